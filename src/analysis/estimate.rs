//! Statistics of a measure over futures, each with a 95% confidence interval: a mean, a
//! quantile, a conditional value at risk, a probability, and the mean difference of two
//! variants on the same futures.
//!
//! Futures where a metric is undefined (NaN) are left out. Sums run in future order, so the
//! same values give the same bits however they were computed or sharded.

use crate::stats::{Z95, wilson_interval};

/// A statistic of the distribution of a measure over futures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The mean.
    Mean,
    /// The `q`-quantile, `0 < q < 1` (the median is 0.5).
    Quantile(f64),
    /// The conditional value at risk: the mean of the worst `alpha` share of futures (the
    /// lowest values), `0 < alpha ≤ 1`.
    Cvar(f64),
    /// The share of futures where the value is positive (for a 0/1 measure such as
    /// `defaulted`: its probability), with a Wilson interval.
    Probability,
}

impl Statistic {
    /// The name outputs use: `mean`, `p05`, `median`, `cvar05`, `prob`.
    pub fn key(self) -> String {
        match self {
            Statistic::Mean => "mean".into(),
            Statistic::Quantile(0.5) => "median".into(),
            Statistic::Quantile(q) => format!("p{}", percent(q)),
            Statistic::Cvar(a) => format!("cvar{}", percent(a)),
            Statistic::Probability => "prob".into(),
        }
    }

    /// A statistic by name: `mean`, `median`, `pNN` (a percentile, `p5` or `p05`, `p97.5`),
    /// `cvarNN` (the worst NN%), `prob`.
    pub fn by_name(name: &str) -> Option<Self> {
        let share = |digits: &str| -> Option<f64> {
            let pct: f64 = digits.parse().ok()?;
            (pct > 0.0 && pct < 100.0 && pct.is_finite()).then_some(pct / 100.0)
        };
        match name {
            "mean" => Some(Statistic::Mean),
            "median" => Some(Statistic::Quantile(0.5)),
            "prob" | "probability" => Some(Statistic::Probability),
            _ => {
                if let Some(d) = name.strip_prefix("cvar") {
                    share(d).map(Statistic::Cvar)
                } else if let Some(d) = name.strip_prefix('p') {
                    share(d).map(Statistic::Quantile)
                } else {
                    None
                }
            }
        }
    }
}

/// A share as a two-digit percentage (`0.05` → `05`, `0.975` → `97.5`).
fn percent(share: f64) -> String {
    let pct = share * 100.0;
    if pct.fract() == 0.0 {
        format!("{pct:02.0}")
    } else {
        format!("{pct}")
    }
}

/// An estimate with its 95% confidence interval, in the measure's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The point estimate (NaN when no future defines the measure).
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
    /// The futures the estimate rests on (those defining the measure).
    pub futures: usize,
}

impl Estimate {
    const UNDEFINED: Estimate = Estimate {
        value: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
        futures: 0,
    };

    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The defined values, in order.
fn defined(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| !v.is_nan()).collect()
}

/// `statistic` of `values` with its 95% interval.
///
/// - Mean: the sample mean ± z·s/√n.
/// - Quantile: the order statistic at rank ⌈nq⌉, with the distribution-free interval between
///   the order statistics at ranks nq ∓ z·√(nq(1−q)) (the normal approximation to the binomial
///   count of futures below the true quantile).
/// - CVaR: the mean of the ⌈n·alpha⌉ lowest values ± z·s_tail/√(n·alpha), which ignores the
///   uncertainty of the tail's threshold (an approximation, narrow for small tails).
/// - Probability: the share of positive values with a Wilson interval.
pub fn estimate(values: &[f64], statistic: Statistic) -> Estimate {
    let mut x = defined(values);
    let n = x.len();
    if n == 0 {
        return Estimate::UNDEFINED;
    }
    match statistic {
        Statistic::Mean => mean_interval(&x),
        Statistic::Probability => {
            let successes = x.iter().filter(|&&v| v > 0.0).count() as u64;
            let (low, high) = wilson_interval(successes, n as u64, Z95);
            Estimate {
                value: successes as f64 / n as f64,
                low,
                high,
                futures: n,
            }
        }
        Statistic::Quantile(q) => {
            x.sort_by(f64::total_cmp);
            let rank = |r: f64| -> f64 { x[(r.ceil().max(1.0) as usize).min(n) - 1] };
            let nq = n as f64 * q;
            let spread = Z95 * (nq * (1.0 - q)).sqrt();
            Estimate {
                value: rank(nq),
                low: rank(nq - spread),
                high: rank(nq + spread + 1.0),
                futures: n,
            }
        }
        Statistic::Cvar(alpha) => {
            x.sort_by(f64::total_cmp);
            let tail = ((n as f64 * alpha).ceil() as usize).clamp(1, n);
            let mut e = mean_interval(&x[..tail]);
            e.futures = n;
            e
        }
    }
}

/// The mean of `x` (all defined) ± z·s/√n; the interval is the point when n = 1.
fn mean_interval(x: &[f64]) -> Estimate {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 {
        x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let h = Z95 * (var / n).sqrt();
    Estimate {
        value: mean,
        low: mean - h,
        high: mean + h,
        futures: x.len(),
    }
}

/// The mean of `b − a` over the futures where both are defined (`a` and `b` hold the same
/// futures in the same order: two variants on common random numbers), with its 95% interval.
/// Exactly zero, with a zero-width interval, when the two agree on every future.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Estimate {
    assert_eq!(
        a.len(),
        b.len(),
        "paired values must cover the same futures"
    );
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| !x.is_nan() && !y.is_nan())
        .map(|(x, y)| y - x)
        .collect();
    if d.is_empty() {
        return Estimate::UNDEFINED;
    }
    mean_interval(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_interval_matches_the_textbook_formula() {
        // x = 1..=5: mean 3, sample variance 2.5, so the half-width is
        // 1.96 × √(2.5/5) = 1.96 × 0.70711 = 1.38590.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN], Statistic::Mean);
        assert_eq!(e.value, 3.0);
        assert_eq!(e.futures, 5);
        assert!((e.half_width() - Z95 * 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn quantile_and_cvar_by_hand() {
        // 1..=100: the median is the 50th value (50); the interval's ranks are
        // 50 ∓ 1.96·√25 = 50 ∓ 9.8 → ranks ⌈40.2⌉ = 41 and, one rank wider above (the
        // upper rank counts the order statistic just past the limit), ⌈59.8 + 1⌉ = 61.
        let x: Vec<f64> = (1..=100).map(f64::from).collect();
        let e = estimate(&x, Statistic::Quantile(0.5));
        assert_eq!((e.value, e.low, e.high), (50.0, 41.0, 61.0));
        // CVaR 5%: the mean of the 5 lowest, (1+2+3+4+5)/5 = 3.
        assert_eq!(estimate(&x, Statistic::Cvar(0.05)).value, 3.0);
        // 30 positive values of 100: p = 0.3.
        let flags: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i < 30))).collect();
        let p = estimate(&flags, Statistic::Probability);
        assert_eq!(p.value, 0.3);
        assert!(p.low < 0.3 && p.high > 0.3);
    }

    #[test]
    fn identical_variants_differ_by_exactly_zero() {
        let a = [1.5, -2.0, f64::NAN, 7.25];
        let e = paired_difference(&a, &a);
        assert_eq!((e.value, e.low, e.high, e.futures), (0.0, 0.0, 0.0, 3));
    }

    #[test]
    fn statistic_names_round_trip() {
        for s in [
            Statistic::Mean,
            Statistic::Quantile(0.5),
            Statistic::Quantile(0.05),
            Statistic::Quantile(0.975),
            Statistic::Cvar(0.05),
            Statistic::Probability,
        ] {
            assert_eq!(Statistic::by_name(&s.key()), Some(s), "{}", s.key());
        }
        assert_eq!(Statistic::by_name("p5"), Some(Statistic::Quantile(0.05)));
        assert_eq!(Statistic::by_name("p0"), None);
        assert_eq!(Statistic::by_name("p100"), None);
        assert_eq!(Statistic::by_name("average"), None);
    }
}
