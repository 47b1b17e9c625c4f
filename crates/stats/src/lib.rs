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
//! | [`Moments`] | count, exact Σx and Σx² ([`WideSum`]), min, max | exact (integer adds) |
//! | [`QuantileSketch`] | log-spaced bin counts, 0.1% relative accuracy | exact (integer adds) |
//! | [`Proportion`] | successes, trials | exact |
//! | [`MetricAccumulator`] | [`Moments`] + [`QuantileSketch`] → [`MetricSummary`] | as parts |
//! | [`PairedAccumulator`] | differences + P(a > b) → [`PairedSummary`] | as parts |
//! | [`ControlledMeans`] | outcomes' moments, indicator controls' counts and products, Σ y·control → [`ControlledEstimate`] | exact (integer adds) |
//!
//! Each has `new`, `push` and `merge`, is `Clone + Debug + PartialEq + Serialize +
//! Deserialize`, and uses memory independent of the number of values pushed. Deserialization
//! checks invariants (see [`InvalidAccumulator`]), since shard files are user input.
//!
//! # Determinism
//!
//! Architecture Invariant: results do not depend on thread count or sharding. Every
//! accumulator merges *exactly*: counts, extremes, sketch bins and proportions are integers,
//! and the sums behind means and variances are fixed-point integers ([`WideSum`],
//! [`ExactSum`]). Merging is therefore associative and commutative, so any split of the runs
//! into chunks, threads or shards, combined in any order, gives the same bits as one pass. The
//! Monte Carlo layer still folds chunks in index order, but nothing depends on it.
//!
//! All arithmetic is IEEE basic operations and `sqrt` (no `ln`/`exp` from the platform `libm`),
//! so results also agree across machines.

#![warn(missing_docs)]

pub mod band;
pub mod control;
pub mod error;
pub mod exact_sum;
pub mod moments;
pub mod paired;
pub mod proportion;
pub mod sketch;
pub mod sobol;
pub mod summary;
pub mod wide;

pub use band::BandSketch;
pub use control::{ControlledEstimate, ControlledMeans};
pub use error::InvalidAccumulator;
pub use exact_sum::ExactSum;
pub use moments::Moments;
pub use paired::{MeanDifference, PairedAccumulator, PairedSummary};
pub use proportion::{Proportion, Z95, wilson_interval};
pub use sketch::{QuantileSketch, SortedBins};
pub use summary::{MetricAccumulator, MetricSummary, PERCENTILE_LEVELS, Percentiles};
pub use wide::WideSum;
