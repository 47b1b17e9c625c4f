//! A count of successes in Bernoulli trials, and the Wilson score interval.
//!
//! Probabilities such as P(default) or P(NPV < 0) are estimated from counts. The Wilson
//! interval is used rather than the Wald interval `p̂ ± z·√(p̂(1−p̂)/n)` because it keeps good
//! coverage near 0 and 1 and never leaves `[0, 1]`; with 0 defaults in 10,000 runs Wald would
//! claim certainty.

use serde::{Deserialize, Serialize};

use crate::error::InvalidAccumulator;

/// Two-sided 95% standard-normal quantile, `Φ⁻¹(0.975)`.
pub const Z95: f64 = 1.959963984540054;

/// Successes out of trials. Merging adds both counts, so it is exact and order-independent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProportionWire")]
pub struct Proportion {
    successes: u64,
    trials: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProportionWire {
    successes: u64,
    trials: u64,
}

impl TryFrom<ProportionWire> for Proportion {
    type Error = InvalidAccumulator;

    fn try_from(w: ProportionWire) -> Result<Self, Self::Error> {
        if w.successes > w.trials {
            return Err(InvalidAccumulator::SuccessesExceedTrials {
                successes: w.successes,
                trials: w.trials,
            });
        }
        Ok(Proportion {
            successes: w.successes,
            trials: w.trials,
        })
    }
}

impl Proportion {
    /// No trials yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one trial, a success when `success` is true.
    #[inline]
    pub fn push(&mut self, success: bool) {
        self.trials = self.trials.saturating_add(1);
        self.successes = self.successes.saturating_add(u64::from(success));
    }

    /// Adds `other`'s successes and trials to `self`.
    pub fn merge(&mut self, other: &Proportion) {
        self.successes = self.successes.saturating_add(other.successes);
        self.trials = self.trials.saturating_add(other.trials);
    }

    /// Number of successes.
    pub fn successes(&self) -> u64 {
        self.successes
    }

    /// Number of trials.
    pub fn trials(&self) -> u64 {
        self.trials
    }

    /// Point estimate `successes / trials`; NaN when there are no trials.
    pub fn estimate(&self) -> f64 {
        if self.trials == 0 {
            f64::NAN
        } else {
            self.successes as f64 / self.trials as f64
        }
    }

    /// Wilson 95% interval, [`wilson_interval`]`(successes, trials, Z95)`.
    pub fn ci95(&self) -> (f64, f64) {
        wilson_interval(self.successes, self.trials, Z95)
    }
}

/// Wilson score interval for a binomial proportion.
///
/// With `p̂ = s/n`:
/// `centre = (p̂ + z²/2n) / (1 + z²/n)`,
/// `half = z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n)`, interval `centre ± half`.
///
/// Conventions: `trials = 0` gives `(0, 1)` (no information); `successes > trials` is clamped
/// to `trials`; `z` is taken as `|z|`; the lower bound is exactly `0` when `successes = 0` and
/// the upper exactly `1` when `successes = trials` (the formula gives these up to rounding);
/// bounds are clamped to `[0, 1]`. A NaN `z` gives `(NaN, NaN)`.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if z.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if trials == 0 {
        return (0.0, 1.0);
    }
    let successes = successes.min(trials);
    let n = trials as f64;
    let z = z.abs();
    let z2 = z * z;
    let p = successes as f64 / n;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let high = if successes == trials {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_worked_example() {
        // 81 of 263, z = 1.96: p̂ = 81/263 = 0.307985; z²/n = 3.8416/263 = 0.0146068;
        // centre = (0.307985 + 0.0073034)/1.0146068 = 0.310749;
        // half = 1.96·√(0.307985·0.692015/263 + 3.8416/(4·263²))/1.0146068
        //      = 1.96·√(0.00081038 + 0.0000138848)/1.0146068 = 0.0554615;
        // interval (0.255288, 0.366211) → (0.2553, 0.3662) to 4 decimals.
        let (lo, hi) = wilson_interval(81, 263, 1.96);
        assert!(close(lo, 0.255_288, 5e-6), "{lo}");
        assert!(close(hi, 0.366_211, 5e-6), "{hi}");
        assert_eq!(((lo * 1e4).round(), (hi * 1e4).round()), (2553.0, 3662.0));
    }

    #[test]
    fn wilson_edges() {
        // 0 of 10: p̂ = 0 so centre = half = (z²/2n)/(1 + z²/n): the lower bound is 0 and the
        // upper z²/(n + z²) = 3.8416/13.8416 = 0.277540.
        let (lo, hi) = wilson_interval(0, 10, 1.96);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.277_540, 1e-6));
        // 10 of 10, by symmetry: upper exactly 1, lower n/(n + z²) = 10/13.8416 = 0.722460.
        let (lo, hi) = wilson_interval(10, 10, 1.96);
        assert_eq!(hi, 1.0);
        assert!(close(lo, 0.722_460, 1e-6));
        // No trials: no information.
        assert_eq!(wilson_interval(0, 0, Z95), (0.0, 1.0));
        // A negative z is read as its magnitude.
        assert_eq!(
            wilson_interval(81, 263, -1.96),
            wilson_interval(81, 263, 1.96)
        );
        // z = 0 collapses to the point estimate 0.5 for 5 of 10.
        assert_eq!(wilson_interval(5, 10, 0.0), (0.5, 0.5));
        assert!(wilson_interval(5, 10, f64::NAN).0.is_nan());
    }

    #[test]
    fn push_merge_estimate() {
        let mut a = Proportion::new();
        assert!(a.estimate().is_nan());
        for k in 0..10 {
            a.push(k % 4 == 0); // k = 0, 4, 8 succeed: 3 of 10
        }
        let mut b = Proportion::new();
        for k in 0..5 {
            b.push(k < 4); // 4 of 5
        }
        a.merge(&b);
        // 7 successes out of 15 trials.
        assert_eq!((a.successes(), a.trials()), (7, 15));
        assert_eq!(a.estimate(), 7.0 / 15.0);
        assert_eq!(a.ci95(), wilson_interval(7, 15, Z95));
    }

    #[test]
    fn deserialization_checks_invariant() {
        let ok: Proportion = serde_json::from_str(r#"{"successes":3,"trials":5}"#).unwrap();
        assert_eq!((ok.successes(), ok.trials()), (3, 5));
        let err = serde_json::from_str::<Proportion>(r#"{"successes":6,"trials":5}"#);
        assert!(err.unwrap_err().to_string().contains("6 successes"));
    }
}
