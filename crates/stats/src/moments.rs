//! Streaming count, mean, variance, minimum and maximum, merged exactly.
//!
//! The mean and its confidence interval are the headline statistics of every metric. The
//! accumulator keeps the count, the exact sums `Σx` and `Σx²` ([`WideSum`], 512-bit fixed
//! point), the minimum and the maximum. Every part merges exactly, so the result is the same
//! bits whatever the order and grouping of pushes and merges: threads, chunks and shards cannot
//! change it. The variance is formed from the exact sums in integer arithmetic, so the
//! cancellation that ruins naive `Σx²` for large means (NPVs around 10⁸ USD that differ by 10³)
//! cannot happen; the only rounding is the final conversion to `f64`.

use serde::{Deserialize, Serialize};

use crate::proportion::Z95;
use crate::wide::{SQUARE_LIMIT, WideSum};

/// Count, exact sum, exact sum of squares, minimum and maximum of a stream of `f64`.
///
/// Values keep the caller's units; [`variance`](Self::variance) is in those units squared.
/// Values must be finite, and are summed exactly when `|x| < 2^100 ≈ 1.27e30` (larger ones are
/// clamped in the sums, see [`WideSum`]); filter non-finite values before pushing, as
/// [`MetricAccumulator`](crate::summary::MetricAccumulator) does.
///
/// An empty accumulator stores zeros (not NaN or ±∞) so that it serializes to JSON; its
/// accessors return NaN.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    count: u64,
    sum: WideSum,
    sum_of_squares: WideSum,
    min: f64,
    max: f64,
}

impl Moments {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        // The same clamp as the squares', so the two sums describe the same values.
        self.sum.add(x.clamp(-SQUARE_LIMIT, SQUARE_LIMIT));
        self.sum_of_squares.add_square(x);
        if self.count == 1 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
    }

    /// Combines `other` into `self` as if its values had been pushed here. Exact: any order
    /// and grouping of merges gives the same bits.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        self.count = self.count.saturating_add(other.count);
        self.sum.merge(&other.sum);
        self.sum_of_squares.merge(&other.sum_of_squares);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Arithmetic mean `Σx/n` (the exact sum rounded once, then divided); NaN when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum.to_f64() / self.count as f64
        }
    }

    /// Sample variance `Σ(x − mean)²/(n − 1)`, in squared units; NaN when `n < 2`.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.sum
                .sum_squared_deviations(&self.sum_of_squares, self.count)
                / (self.count - 1) as f64
        }
    }

    /// Sample standard deviation `√variance`; NaN when `n < 2`.
    pub fn std_dev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Standard error of the mean `sd/√n`; NaN when `n < 2`.
    pub fn std_error(&self) -> f64 {
        self.std_dev() / (self.count as f64).sqrt()
    }

    /// 95% confidence interval for the mean, `mean ± 1.959963984540054·SE`.
    ///
    /// Normal approximation (z rather than Student's t): with `n = 30` the true coverage is
    /// about 94%, with `n = 100` about 94.7%, converging to 95% as `n` grows. NaN bounds when
    /// `n < 2`.
    pub fn ci95(&self) -> (f64, f64) {
        let half = Z95 * self.std_error();
        let mean = self.mean();
        (mean - half, mean + half)
    }

    /// Smallest value pushed; NaN when empty.
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// Largest value pushed; NaN when empty.
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;
    use rand_distr::{Distribution, LogNormal, Normal};

    fn of(values: impl IntoIterator<Item = f64>) -> Moments {
        let mut m = Moments::new();
        for x in values {
            m.push(x);
        }
        m
    }

    #[test]
    fn one_to_hundred_exact() {
        let m = of((1..=100).map(f64::from));
        assert_eq!(m.count(), 100);
        // mean = (Σ k)/n = 5050/100 = 50.5, exactly representable.
        assert_eq!(m.mean(), 50.5);
        // Σ(k − 50.5)² = n(n²−1)/12 = 100·9999/12 = 83,325; sample variance = 83,325/99
        // = 841.666…; the exact sums leave one rounding in the final division.
        assert!((m.variance() - 83_325.0 / 99.0).abs() <= 1e-14 * 841.67);
        assert!((m.std_dev() - (83_325.0f64 / 99.0).sqrt()).abs() <= 1e-14 * 29.02);
        // SE = sd/√100 = sd/10.
        assert!((m.std_error() - m.std_dev() / 10.0).abs() <= 1e-15 * 2.91);
        // CI = 50.5 ± 1.959963984540054·2.9011491975882016 (= √(83325/99)/10).
        let half = 1.959963984540054 * 2.901_149_197_588_201_6;
        let (lo, hi) = m.ci95();
        assert!((lo - (50.5 - half)).abs() < 1e-12 && (hi - (50.5 + half)).abs() < 1e-12);
        assert_eq!((m.min(), m.max()), (1.0, 100.0));
    }

    #[test]
    fn empty_and_single() {
        let empty = Moments::new();
        // No values: every statistic is undefined.
        assert!(empty.mean().is_nan() && empty.min().is_nan() && empty.max().is_nan());
        assert!(empty.variance().is_nan());
        // The empty state holds zeros, so it survives JSON (NaN would be written as null and
        // fail to read back).
        let json = serde_json::to_string(&empty).unwrap();
        assert_eq!(serde_json::from_str::<Moments>(&json).unwrap(), empty);

        let one = of([7.25]);
        // One value: mean and extremes are that value; the sample variance (n − 1 = 0) is not
        // defined.
        assert_eq!((one.mean(), one.min(), one.max()), (7.25, 7.25, 7.25));
        assert!(one.variance().is_nan() && one.ci95().0.is_nan());

        // Merging with an empty accumulator, either side, changes nothing.
        let mut a = one.clone();
        a.merge(&empty);
        assert_eq!(a, one);
        let mut b = Moments::new();
        b.merge(&one);
        assert_eq!(b, one);
    }

    #[test]
    fn merge_in_any_grouping_is_exact() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Large mean, small spread: the case where naive Σx² would lose everything.
        let dist = LogNormal::new(18.0, 0.3).unwrap();
        let values: Vec<f64> = (0..10_001).map(|_| dist.sample(&mut rng)).collect();
        let whole = of(values.iter().copied());
        let (left, right) = values.split_at(4_321);
        let mut merged = of(left.iter().copied());
        merged.merge(&of(right.iter().copied()));

        // Every part is an exact sum, so the split changes nothing, not even the last bit.
        assert_eq!(merged, whole);
        assert_eq!(merged.mean().to_bits(), whole.mean().to_bits());
        assert_eq!(merged.variance().to_bits(), whole.variance().to_bits());
        // Nor does the order: the values pushed in reverse give the same accumulator.
        let reversed = of(values.iter().rev().copied());
        assert_eq!(reversed, whole);
        // And a JSON round trip (a shard file) restores it exactly.
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::from_str::<Moments>(&json).unwrap(), whole);
        // Against f64 arithmetic in two passes over the data (mean, then Σ(x − mean)²):
        // agreement to 1e-12 relative.
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
        assert!(rel(whole.mean(), mean) <= 1e-12);
        assert!(rel(whole.variance(), var) <= 1e-12);
    }

    #[test]
    fn standard_error_of_normal_draws() {
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        let normal = Normal::new(0.0, 1.0).unwrap();
        let n = 100_000;
        let m = of((0..n).map(|_| normal.sample(&mut rng)));
        // SE = σ/√n with σ = 1: 1/√100000 = 0.0031623. The sample sd has its own sd
        // ≈ σ/√(2n) = 0.0022, so SE·√n = sd is within 0.011 (5 of those) of 1.
        let expected = 1.0 / (n as f64).sqrt();
        assert!((m.std_error() - expected).abs() <= 0.011 * expected);
        // The mean is within 5 standard errors of 0.
        assert!(m.mean().abs() <= 5.0 * expected);
    }

    #[test]
    fn ci95_coverage() {
        // 2,000 experiments of n = 100 draws from N(3, 2²). With z = 1.96 in place of Student's
        // t₉₉ (1.984) the true coverage is P(|T₉₉| ≤ 1.96) ≈ 0.9472; the binomial sd of the
        // observed rate over 2,000 experiments is √(0.95·0.05/2000) ≈ 0.0049, so 95% ± 1.5%
        // is ≥ 2.5 sd from the truth on either side. Seeded, so the outcome is fixed.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (mu, sigma) = (3.0, 2.0);
        let normal = Normal::new(mu, sigma).unwrap();
        let experiments = 2_000;
        let mut covered = 0;
        for _ in 0..experiments {
            let m = of((0..100).map(|_| normal.sample(&mut rng)));
            let (lo, hi) = m.ci95();
            if lo <= mu && mu <= hi {
                covered += 1;
            }
        }
        let rate = f64::from(covered) / f64::from(experiments);
        assert!((rate - 0.95).abs() <= 0.015, "coverage {rate}");
    }
}
