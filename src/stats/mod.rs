//! Streaming, mergeable summaries of per-run scalars.
//!
//! This layer knows nothing of the domain: it turns streams of `f64` (one value per run, or
//! per run and month) into means with confidence intervals, percentiles, VaR/CVaR,
//! probabilities with Wilson intervals, and paired comparisons.
//!
//! # The accumulators
//!
//! | type | holds | merge |
//! |---|---|---|
//! | [`Moments`] | count, mean, M2, min, max | Chan et al.; exact count/min/max |
//! | [`QuantileSketch`] | log-spaced bin counts, 0.1% relative accuracy | exact (integer adds) |
//! | [`Proportion`] | successes, trials | exact |
//! | [`MetricAccumulator`] | [`Moments`] + [`QuantileSketch`] → [`MetricSummary`] | as parts |
//! | [`PairedAccumulator`] | differences + P(a > b) → [`PairedSummary`] | as parts |
//!
//! Each has `new`, `push` and `merge`, is `Clone + Debug + PartialEq + Serialize +
//! Deserialize`, and uses memory independent of the number of values pushed. Deserialization
//! checks invariants (see [`InvalidAccumulator`]), since shard files are user input.
//!
//! # Determinism: how to reduce
//!
//! Architecture Invariant: results do not depend on thread count or sharding. Counts, extremes,
//! sketch bins and proportions merge exactly, in any order. Floating moments do not: `merge` is
//! deterministic but not associative, so `(c0 + c1) + (c2 + c3)` may differ in the last bit from
//! `((c0 + c1) + c2) + c3`. To get identical bytes however the work is split:
//!
//! 1. cut the replications into chunks of a fixed size that does not depend on threads or
//!    shards, and push each chunk's runs, in replication order, into fresh accumulators;
//! 2. fold the chunk accumulators left in chunk-index order: `total = chunk[0]`, then
//!    `total.merge(&chunk[i])` for `i = 1, 2, …`.
//!
//! A shard therefore stores its *per-chunk* accumulators, not one pre-merged total; `merge`
//! collects every shard's chunks and folds them in global chunk order. A fold over
//! deserialized chunks equals the in-memory fold bit for bit **only if `serde_json` is built
//! with its `float_roundtrip` feature**: it writes the shortest decimal that denotes each
//! `f64`, but its default parser reads some of them one ulp off (e.g. `0.40297808792033485`).
//! A test in `summary` fails when the feature is missing.
//!
//! Only [`Moments`] needs this discipline. Sketches and proportions are exact, so a caller that
//! wants smaller shard files may store per-chunk `Moments` but a single merged
//! [`QuantileSketch`] per shard and metric; the result is the same.
//!
//! All arithmetic is IEEE basic operations and `sqrt` (no `ln`/`exp` from the platform `libm`),
//! so results also agree across machines.

#![warn(missing_docs)]

pub mod error;
pub mod exact_sum;
pub mod moments;
pub mod paired;
pub mod proportion;
pub mod sketch;
pub mod summary;

pub use error::InvalidAccumulator;
pub use exact_sum::ExactSum;
pub use moments::Moments;
pub use paired::{PairedAccumulator, PairedSummary};
pub use proportion::{Proportion, Z95, wilson_interval};
pub use sketch::{QuantileSketch, SortedBins};
pub use summary::{MetricAccumulator, MetricSummary, PERCENTILE_LEVELS, Percentiles};
