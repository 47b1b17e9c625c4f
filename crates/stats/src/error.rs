//! Why a stored accumulator was refused.
//!
//! Accumulators are read back from shard files, which are user-controlled input. Rather than
//! trust them (an out-of-range bin index would make a later merge allocate gigabytes, an
//! inconsistent count would make quantiles lie), deserialization checks the invariants and fails
//! with one of these errors. Every variant is fatal for the file it came from: the shard must be
//! regenerated.

use thiserror::Error;

/// An accumulator read from storage breaks one of its invariants.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidAccumulator {
    /// A sketch bin index lies outside the range any finite value can map to.
    #[error("sketch bin index {index} is outside the valid range {min}..={max}")]
    BinIndexOutOfRange {
        /// The offending index.
        index: i64,
        /// Smallest valid index.
        min: i32,
        /// Largest valid index.
        max: i32,
    },
    /// Sketch bins not in canonical form: indices must be strictly ascending, counts positive.
    #[error("sketch bins not strictly ascending with positive counts at index {index}")]
    NonCanonicalBins {
        /// The index where the order or count is wrong.
        index: i32,
    },
    /// A sketch's stored total differs from the sum of its bins and zero count.
    #[error("sketch count {stored} does not equal the sum of its bins {summed}")]
    CountMismatch {
        /// The `count` field as stored.
        stored: u64,
        /// Zero count plus every bin count.
        summed: u128,
    },
    /// The parts of a composite accumulator disagree on how many values they have seen.
    #[error("{what}: parts disagree on the number of values ({left} vs {right})")]
    PartsDisagree {
        /// Which accumulator and which parts.
        what: &'static str,
        /// Count of the first part.
        left: u64,
        /// Count of the second part.
        right: u64,
    },
    /// A proportion claims more successes than trials.
    #[error("proportion has {successes} successes out of only {trials} trials")]
    SuccessesExceedTrials {
        /// Stored successes.
        successes: u64,
        /// Stored trials.
        trials: u64,
    },
}
