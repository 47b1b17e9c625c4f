//! Paired comparison of two alternatives evaluated on the same random inputs.
//!
//! When both alternatives are run on the same futures (common random numbers), the difference
//! per run has far less variance than the difference of two independent means, and "how often
//! does A beat B" is a direct question. This accumulator takes the pair `(a, b)` of one run.

use serde::{Deserialize, Serialize};

use crate::control::ControlledEstimate;
use crate::error::InvalidAccumulator;
use crate::proportion::Proportion;
use crate::summary::{MetricAccumulator, MetricSummary};

/// Accumulates per-run pairs `(a, b)`: the distribution of `a − b` and how often `a` beats `b`,
/// ties with it or loses.
///
/// A pair is a tie when `|a − b|` is within the tolerance given with it (see
/// [`PairedAccumulator::push_with_tolerance`]): a difference that is only floating-point noise
/// is not a win. A pair whose difference is not finite (either value NaN or ±∞, or an overflowing
/// difference) is counted in the difference's `non_finite` and left out of everything else, so
/// `diff.count() == a_wins.trials()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PairedWire")]
pub struct PairedAccumulator {
    diff: MetricAccumulator,
    /// Trials are all finite pairs; successes those with `a − b` above the tie tolerance.
    a_wins: Proportion,
    /// Finite pairs with `|a − b|` within the tie tolerance, counted as trials but not as wins.
    ties: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairedWire {
    diff: MetricAccumulator,
    a_wins: Proportion,
    ties: u64,
}

impl TryFrom<PairedWire> for PairedAccumulator {
    type Error = InvalidAccumulator;

    fn try_from(w: PairedWire) -> Result<Self, Self::Error> {
        let (pairs, trials) = (w.diff.count(), w.a_wins.trials());
        if pairs != trials {
            return Err(InvalidAccumulator::PartsDisagree {
                what: "paired accumulator differences and wins",
                left: pairs,
                right: trials,
            });
        }
        let not_won = trials - w.a_wins.successes();
        if w.ties > not_won {
            return Err(InvalidAccumulator::PartsDisagree {
                what: "paired accumulator ties and pairs not won",
                left: w.ties,
                right: not_won,
            });
        }
        Ok(PairedAccumulator {
            diff: w.diff,
            a_wins: w.a_wins,
            ties: w.ties,
        })
    }
}

impl PairedAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the pair of one run: `a` and `b` are the same metric under the two alternatives.
    /// Only exactly equal values tie (tolerance 0).
    #[inline]
    pub fn push(&mut self, a: f64, b: f64) {
        self.push_with_tolerance(a, b, 0.0);
    }

    /// Adds the pair of one run, counting it a tie when `|a − b| ≤ tolerance` (in the metric's
    /// unit; a negative or NaN tolerance counts only exactly equal values) and a win of `a`
    /// when `a − b > tolerance`.
    #[inline]
    pub fn push_with_tolerance(&mut self, a: f64, b: f64, tolerance: f64) {
        let d = a - b;
        self.diff.push(d);
        self.count_outcome(d, tolerance);
    }

    /// Adds the pairs of the two futures of an antithetic pair, `(a, b, tolerance)` each as in
    /// [`push_with_tolerance`](Self::push_with_tolerance): the differences go in as a pair
    /// ([`MetricAccumulator::push_pair`], so the mean difference's interval uses the pair
    /// means), wins and ties one future at a time.
    #[inline]
    pub fn push_antithetic_pair(&mut self, first: (f64, f64, f64), second: (f64, f64, f64)) {
        let (d0, d1) = (first.0 - first.1, second.0 - second.1);
        self.diff.push_pair(d0, d1);
        self.count_outcome(d0, first.2);
        self.count_outcome(d1, second.2);
    }

    /// Counts a finite difference `d` as a win of `a`, a tie or neither.
    #[inline]
    fn count_outcome(&mut self, d: f64, tolerance: f64) {
        if d.is_finite() {
            // `max` drops a NaN tolerance (it returns the other operand).
            let tolerance = tolerance.max(0.0);
            self.a_wins.push(d > tolerance);
            if d.abs() <= tolerance {
                self.ties = self.ties.saturating_add(1);
            }
        }
    }

    /// Adds `other`'s pairs (see [`MetricAccumulator::merge`] for exactness).
    pub fn merge(&mut self, other: &PairedAccumulator) {
        self.diff.merge(&other.diff);
        self.a_wins.merge(&other.a_wins);
        self.ties = self.ties.saturating_add(other.ties);
    }

    /// Number of finite pairs.
    pub fn count(&self) -> u64 {
        self.diff.count()
    }

    /// Accumulator of the differences `a − b`.
    pub fn diff(&self) -> &MetricAccumulator {
        &self.diff
    }

    /// Wins of `a` (`a > b`) out of all finite pairs.
    pub fn a_wins(&self) -> &Proportion {
        &self.a_wins
    }

    /// Finite pairs within the tie tolerance.
    pub fn ties(&self) -> u64 {
        self.ties
    }

    /// Summary; `None` when no finite pair has been pushed.
    pub fn summarize(&self) -> Option<PairedSummary> {
        Some(PairedSummary {
            diff: self.diff.summarize()?,
            p_a_beats_b: self.a_wins.estimate(),
            p_a_beats_b_ci95: self.a_wins.ci95(),
            // `summarize` returned above unless there is at least one finite pair.
            p_tie: self.ties as f64 / self.a_wins.trials() as f64,
            ties: self.ties,
            controlled: None,
        })
    }
}

/// The mean difference a report leads with, and where `summary.json` holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanDifference {
    /// Mean of `a − b`.
    pub mean: f64,
    /// Lower bound of its 95% interval.
    pub ci95_low: f64,
    /// Upper bound.
    pub ci95_high: f64,
    /// The field of the [`PairedSummary`] it comes from: `controlled` or `diff`.
    pub field: &'static str,
}

/// Statistics of a paired comparison of `a` against `b`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PairedSummary {
    /// Statistics of the per-run difference `a − b` (its mean is the mean improvement of `a`).
    pub diff: MetricSummary,
    /// Fraction of pairs where `a` beats `b` by more than the tie tolerance; ties count as
    /// not beating.
    pub p_a_beats_b: f64,
    /// Wilson 95% interval of `p_a_beats_b`.
    pub p_a_beats_b_ci95: (f64, f64),
    /// Fraction of pairs that tie (`|a − b|` within the tolerance); `b` beats `a` in the
    /// remaining `1 − p_a_beats_b − p_tie`.
    pub p_tie: f64,
    /// Pairs that tie.
    pub ties: u64,
    /// The mean difference adjusted by control variates, when they were on and applied
    /// (`diff` keeps the plain statistics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled: Option<ControlledEstimate>,
}

impl PairedSummary {
    /// The mean difference to report: the control-variate estimate when there is one (the
    /// narrower interval, for the same mean in expectation), else the plain mean.
    pub fn mean_difference(&self) -> MeanDifference {
        match &self.controlled {
            Some(c) => MeanDifference {
                mean: c.mean,
                ci95_low: c.ci95_low,
                ci95_high: c.ci95_high,
                field: "controlled",
            },
            None => MeanDifference {
                mean: self.diff.mean,
                ci95_low: self.diff.ci95_low,
                ci95_high: self.diff.ci95_high,
                field: "diff",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proportion::{Z95, wilson_interval};

    #[test]
    fn counts_wins_ties_and_differences() {
        let mut p = PairedAccumulator::new();
        // Differences 1, −1, 0, 2: a wins on (1, 0) and (3, 1), ties on (2, 2).
        for (a, b) in [(1.0, 0.0), (0.0, 1.0), (2.0, 2.0), (3.0, 1.0)] {
            p.push(a, b);
        }
        // A pair with a NaN is left out of everything but the non-finite count.
        p.push(f64::NAN, 1.0);
        let s = p.summarize().unwrap();
        // mean (1 − 1 + 0 + 2)/4 = 0.5; min −1, max 2.
        assert_eq!((s.diff.count, s.diff.non_finite), (4, 1));
        assert_eq!((s.diff.mean, s.diff.min, s.diff.max), (0.5, -1.0, 2.0));
        // 2 wins of 4, Wilson interval of 2/4.
        assert_eq!(s.p_a_beats_b, 0.5);
        assert_eq!(s.p_a_beats_b_ci95, wilson_interval(2, 4, Z95));
        assert_eq!(s.ties, 1);
        assert_eq!(s.p_tie, 0.25);
    }

    #[test]
    fn differences_within_the_tolerance_are_ties_not_wins() {
        let mut p = PairedAccumulator::new();
        // Float noise of 1e-7 on $1e8 with a $1 tolerance: a tie, not a win of either side.
        p.push_with_tolerance(1e8 + 1e-7, 1e8, 1.0);
        p.push_with_tolerance(1e8, 1e8 + 1e-7, 1.0);
        // Exactly at the tolerance is still a tie; $1.5 above it is a win.
        p.push_with_tolerance(3.0, 2.0, 1.0);
        p.push_with_tolerance(2.5, 1.0, 1.0);
        let s = p.summarize().unwrap();
        // 3 ties and 1 win of 4 pairs.
        assert_eq!((s.ties, s.p_tie, s.p_a_beats_b), (3, 0.75, 0.25));
        // A NaN tolerance counts only exact equality.
        let mut q = PairedAccumulator::new();
        q.push_with_tolerance(1.0 + 1e-12, 1.0, f64::NAN);
        assert_eq!((q.ties(), q.a_wins().successes()), (0, 1));
    }

    #[test]
    fn antithetic_pairs_count_each_future_and_pair_the_differences() {
        let mut p = PairedAccumulator::new();
        // Differences (2, −2) and (1, 0.5 within the tolerance 1).
        p.push_antithetic_pair((3.0, 1.0, 0.0), (1.0, 3.0, 0.0));
        p.push_antithetic_pair((2.0, 1.0, 0.0), (1.5, 1.0, 1.0));
        let s = p.summarize().unwrap();
        // Four futures: one win (d = 2) and one win (d = 1 > 0), one tie (0.5 ≤ 1).
        assert_eq!((s.diff.count, p.a_wins().successes(), s.ties), (4, 2, 1));
        // Pair means of the differences 0 and 0.75: variance 0.28125; SE² = 4·2·0.28125/16.
        assert_eq!(s.diff.mean, 1.5 / 4.0);
        assert!((s.diff.std_error - (4.0 * 2.0 * 0.281_25_f64 / 16.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn merge_and_json() {
        assert_eq!(PairedAccumulator::new().summarize(), None);
        let mut first = PairedAccumulator::new();
        let mut second = PairedAccumulator::new();
        let mut whole = PairedAccumulator::new();
        for k in 0..200 {
            // a beats b when k mod 3 = 0 (67 of 200: k = 0, 3, …, 198); equal never.
            let (a, b) = (
                f64::from(k),
                f64::from(k) + if k % 3 == 0 { -1.5 } else { 2.5 },
            );
            whole.push(a, b);
            if k < 77 {
                first.push(a, b)
            } else {
                second.push(a, b)
            }
        }
        first.merge(&second);
        assert_eq!(first.a_wins(), whole.a_wins());
        assert_eq!(first.a_wins().successes(), 67);
        let json = serde_json::to_string(&first.summarize().unwrap()).unwrap();
        let back: PairedSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, first.summarize().unwrap());
        let acc_json = serde_json::to_string(&first).unwrap();
        assert_eq!(
            serde_json::from_str::<PairedAccumulator>(&acc_json).unwrap(),
            first
        );
    }
}
