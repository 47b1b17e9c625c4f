//! Means adjusted by control variates, with sums that merge exactly.
//!
//! A control is a quantity measured in every unit (a run, or the mean of an antithetic pair)
//! whose expectation μ is known. If the outcome y moves with the controls c, the
//! regression estimate
//!
//! ```text
//! ȳ_cv = ȳ − bᵀ(c̄ − μ),   b = S_cc⁻¹ S_cy
//! ```
//!
//! (S the centred sums of products over the n units) is the intercept of the least-squares
//! fit of y on c − μ: it has the mean of y, and a variance smaller by the share R² of y's
//! variance the controls explain. Its standard error is the intercept's,
//!
//! ```text
//! SE² = s²·(1/n + (c̄ − μ)ᵀ S_cc⁻¹ (c̄ − μ)),   s² = (S_yy − bᵀS_cy)/(n − q − 1),
//! ```
//!
//! which charges the q estimated coefficients (Glasserman, *Monte Carlo Methods in Financial
//! Engineering*, §4.1; the q/n loss and the O(1/n) bias of an estimated b are that section's).
//!
//! The controls here are indicators: each unit gives each control a weight of 0, 1 or 2 in
//! halves (0 or 1 for a run, ½ + ½ for the two members of a pair), so the sums of the
//! controls and of their products are integer counts, and the sums of y times a control are
//! sums of y, 2y or nothing, kept in [`WideSum`]: every sum is exact, so threads and shards
//! merge to the same bits, as every other accumulator of this crate does. The estimate is
//! then formed from those sums in a fixed order of `f64` operations (the same bits on every
//! machine; the centred products of y and the controls in `f64`, those of the controls
//! exactly in integers).

use serde::{Deserialize, Serialize};

use crate::error::InvalidAccumulator;
use crate::moments::Moments;
use crate::proportion::Z95;
use crate::wide::WideSum;

/// The fewest units per coefficient (one per candidate control, and the intercept) for an
/// adjusted estimate; below it the plain mean is kept. The estimated coefficients cost a share
/// of about q/n of the variance and bias the mean by O(q/n) of a standard error; at 20 units
/// per coefficient both are a few percent at most (docs/validation.md, "Control variates").
pub const UNITS_PER_COEFFICIENT: u64 = 20;

/// A pivot smaller than this share of its control's own centred sum of squares marks the
/// control a combination of the ones before it (or constant): it is left out of the fit.
const COLLINEAR: f64 = 1e-9;

/// The sums of several outcomes and one set of indicator controls over the units pushed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ControlledWire")]
pub struct ControlledMeans {
    /// Units pushed (each with every outcome finite).
    units: u64,
    /// Units left out because an outcome was not finite.
    skipped: u64,
    /// Per control, Σw (weights in halves).
    counts: Vec<u64>,
    /// Per pair of controls j ≤ k, row by row, Σw_j·w_k.
    cross: Vec<u64>,
    /// Per outcome: its moments, and per control Σ y·w.
    outcomes: Vec<(Moments, Vec<WideSum>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlledWire {
    units: u64,
    skipped: u64,
    counts: Vec<u64>,
    cross: Vec<u64>,
    outcomes: Vec<(Moments, Vec<WideSum>)>,
}

impl TryFrom<ControlledWire> for ControlledMeans {
    type Error = InvalidAccumulator;

    fn try_from(w: ControlledWire) -> Result<Self, Self::Error> {
        let q = w.counts.len();
        let disagree = |what, left: usize, right: usize| InvalidAccumulator::PartsDisagree {
            what,
            left: left as u64,
            right: right as u64,
        };
        if w.cross.len() != q * (q + 1) / 2 {
            return Err(disagree(
                "control products and controls",
                w.cross.len(),
                q * (q + 1) / 2,
            ));
        }
        for (moments, weighted) in &w.outcomes {
            if moments.count() != w.units {
                return Err(InvalidAccumulator::PartsDisagree {
                    what: "controlled outcome and units",
                    left: moments.count(),
                    right: w.units,
                });
            }
            if weighted.len() != q {
                return Err(disagree(
                    "controlled outcome and controls",
                    weighted.len(),
                    q,
                ));
            }
        }
        let most = w.units.saturating_mul(4);
        if let Some(&c) = w.counts.iter().chain(&w.cross).find(|&&c| c > most) {
            return Err(InvalidAccumulator::PartsDisagree {
                what: "a control's count and four times the units",
                left: c,
                right: most,
            });
        }
        Ok(ControlledMeans {
            units: w.units,
            skipped: w.skipped,
            counts: w.counts,
            cross: w.cross,
            outcomes: w.outcomes,
        })
    }
}

/// The adjusted estimate of one outcome's mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlledEstimate {
    /// ȳ − bᵀ(c̄ − μ), in the outcome's unit.
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Lower bound of its 95% interval, mean − 1.96·SE.
    pub ci95_low: f64,
    /// Upper bound.
    pub ci95_high: f64,
    /// Controls in the fit (those not constant or a combination of others).
    pub controls: usize,
    /// Units the fit was made on (runs, or antithetic pairs).
    pub units: u64,
    /// Share of the outcome's variance over the units the controls explain.
    pub r_squared: f64,
}

impl ControlledMeans {
    /// Sums for `outcomes` outcomes and `controls` controls.
    pub fn new(outcomes: usize, controls: usize) -> Self {
        ControlledMeans {
            units: 0,
            skipped: 0,
            counts: vec![0; controls],
            cross: vec![0; controls * (controls + 1) / 2],
            outcomes: (0..outcomes)
                .map(|_| (Moments::new(), vec![WideSum::default(); controls]))
                .collect(),
        }
    }

    /// Adds one unit: `ys` (one per outcome) and each control's weight in halves (`weight(j)`
    /// in 0..=2: 2 × an indicator for a run, the sum of the two indicators for the mean of a
    /// pair). A unit with a non-finite outcome is only counted as skipped.
    pub fn push(&mut self, ys: &[f64], weight: impl Fn(usize) -> u8) {
        if ys.iter().any(|y| !y.is_finite()) {
            self.skipped += 1;
            return;
        }
        self.units += 1;
        let q = self.counts.len();
        let weights: Vec<u64> = (0..q).map(|j| u64::from(weight(j).min(2))).collect();
        let mut at = 0;
        for (j, &wj) in weights.iter().enumerate() {
            self.counts[j] += wj;
            if wj == 0 {
                at += q - j;
                continue;
            }
            for &wk in &weights[j..] {
                self.cross[at] += wj * wk;
                at += 1;
            }
        }
        for ((moments, weighted), &y) in self.outcomes.iter_mut().zip(ys) {
            moments.push(y);
            for (sum, &w) in weighted.iter_mut().zip(&weights) {
                // y·1 and y·2 are exact in binary floating point (short of overflow).
                if w > 0 {
                    sum.add(y * w as f64);
                }
            }
        }
    }

    /// Adds `other`'s units (exact).
    pub fn merge(&mut self, other: &ControlledMeans) {
        self.units += other.units;
        self.skipped += other.skipped;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.cross.iter_mut().zip(&other.cross) {
            *a += b;
        }
        for ((ma, wa), (mb, wb)) in self.outcomes.iter_mut().zip(&other.outcomes) {
            ma.merge(mb);
            for (a, b) in wa.iter_mut().zip(wb) {
                a.merge(b);
            }
        }
    }

    /// Units pushed, and units skipped for a non-finite outcome.
    pub fn units(&self) -> (u64, u64) {
        (self.units, self.skipped)
    }

    /// Number of controls.
    pub fn controls(&self) -> usize {
        self.counts.len()
    }

    /// Number of outcomes.
    pub fn outcomes(&self) -> usize {
        self.outcomes.len()
    }

    /// The adjusted mean of outcome `outcome`, given each control's known mean (as a value
    /// of the indicator, 0 to 1). None when a unit was skipped, with fewer than
    /// [`UNITS_PER_COEFFICIENT`] units per coefficient, when no control varies, or when the
    /// fit leaves no degrees of freedom: the plain mean then stands. It is given even when
    /// the controls explain little (its interval then a little wider than the plain one):
    /// choosing between the two on the same data would make the reported interval
    /// optimistic.
    pub fn estimate(&self, outcome: usize, means: &[f64]) -> Option<ControlledEstimate> {
        let (moments, weighted) = self.outcomes.get(outcome)?;
        let q = self.counts.len();
        let n = self.units;
        if self.skipped > 0
            || means.len() != q
            || q == 0
            || n < UNITS_PER_COEFFICIENT * (q as u64 + 1)
        {
            return None;
        }
        let nf = n as f64;
        // Centred sums, the controls in their own unit (halves / 2): S_jk exactly in integers
        // first, n·Σw_j w_k − Σw_j·Σw_k, then scaled by 1/(4n).
        let mut s = vec![vec![0.0; q]; q];
        let mut cross = self.cross.iter();
        for (j, &count_j) in self.counts.iter().enumerate() {
            for (k, &count_k) in self.counts.iter().enumerate().skip(j) {
                let product = cross.next().copied().unwrap_or(0);
                let exact =
                    i128::from(n) * i128::from(product) - i128::from(count_j) * i128::from(count_k);
                let v = exact as f64 / (4.0 * nf);
                s[j][k] = v;
                s[k][j] = v;
            }
        }
        let sum_y = moments.mean() * nf;
        let s_y: Vec<f64> = (0..q)
            .map(|j| 0.5 * weighted[j].to_f64() - 0.5 * self.counts[j] as f64 * sum_y / nf)
            .collect();
        let s_yy = moments.variance() * (nf - 1.0);
        // c̄ − μ.
        let d: Vec<f64> = (0..q)
            .map(|j| 0.5 * self.counts[j] as f64 / nf - means[j])
            .collect();
        let (b, s_inv_d, used) = solve_two(s, &s_y, &d)?;
        let explained: f64 = b.iter().zip(&s_y).map(|(b, s)| b * s).sum();
        let dof = n.checked_sub(used as u64 + 1).filter(|&f| f > 0)? as f64;
        let residual = (s_yy - explained).max(0.0);
        let s2 = residual / dof;
        let shift: f64 = b.iter().zip(&d).map(|(b, d)| b * d).sum();
        let leverage: f64 = d.iter().zip(&s_inv_d).map(|(d, x)| d * x).sum();
        let mean = moments.mean() - shift;
        let std_error = (s2 * (1.0 / nf + leverage.max(0.0))).sqrt();
        Some(ControlledEstimate {
            mean,
            std_error,
            ci95_low: mean - Z95 * std_error,
            ci95_high: mean + Z95 * std_error,
            controls: used,
            units: n,
            r_squared: if s_yy > 0.0 {
                (explained / s_yy).clamp(0.0, 1.0)
            } else {
                0.0
            },
        })
    }
}

/// Solves S·x = r for two right-hand sides by Gaussian elimination in column order, leaving
/// out each control whose pivot is below [`COLLINEAR`] of its own diagonal (x = 0 there).
/// S is symmetric positive semi-definite (a matrix of centred sums of products), so no row
/// exchange is needed; a fixed order keeps the result the same bits everywhere. Returns both
/// solutions and how many controls were kept; None when none was.
fn solve_two(mut s: Vec<Vec<f64>>, r1: &[f64], r2: &[f64]) -> Option<(Vec<f64>, Vec<f64>, usize)> {
    let q = s.len();
    let diagonal: Vec<f64> = (0..q).map(|j| s[j][j]).collect();
    let (mut r1, mut r2) = (r1.to_vec(), r2.to_vec());
    let mut kept = vec![false; q];
    for k in 0..q {
        let pivot = s[k][k];
        // (Written so that a NaN pivot is left out too.)
        let independent = pivot > COLLINEAR * diagonal[k] && diagonal[k] > 0.0;
        if !independent {
            continue;
        }
        kept[k] = true;
        let (above, below) = s.split_at_mut(k + 1);
        let pivot_row = &above[k];
        for (i, row) in below.iter_mut().enumerate().map(|(i, r)| (i + k + 1, r)) {
            let f = row[k] / pivot;
            if f == 0.0 {
                continue;
            }
            for (x, p) in row.iter_mut().zip(pivot_row).skip(k) {
                *x -= f * p;
            }
            r1[i] -= f * r1[k];
            r2[i] -= f * r2[k];
        }
    }
    let used = kept.iter().filter(|&&k| k).count();
    if used == 0 {
        return None;
    }
    let (mut x1, mut x2) = (vec![0.0; q], vec![0.0; q]);
    for k in (0..q).rev() {
        if !kept[k] {
            continue;
        }
        let (mut a1, mut a2) = (r1[k], r2[k]);
        for j in k + 1..q {
            a1 -= s[k][j] * x1[j];
            a2 -= s[k][j] * x2[j];
        }
        x1[k] = a1 / s[k][k];
        x2[k] = a2 / s[k][k];
    }
    Some((x1, x2, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
    use rand_distr::{Distribution, StandardNormal};

    /// y = a + β·1{U < q} + ε per run, pushed with the one indicator as control.
    fn linear_in_an_indicator(n: usize, seed: u64) -> (ControlledMeans, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut acc = ControlledMeans::new(1, 1);
        let mut ys = Vec::new();
        for _ in 0..n {
            let hit = rng.random::<f64>() < 0.3;
            let noise: f64 = StandardNormal.sample(&mut rng);
            let y = 10.0 + 4.0 * f64::from(u8::from(hit)) + noise;
            acc.push(&[y], |_| 2 * u8::from(hit));
            ys.push(y);
        }
        (acc, ys)
    }

    #[test]
    fn the_adjusted_mean_has_the_variance_the_indicator_leaves() {
        // y = 10 + 4·B + ε, B ~ Bernoulli(0.3), ε ~ N(0, 1): E[y] = 11.2, Var(y) =
        // 16·0.21 + 1 = 4.36, and the part B leaves is Var(ε) = 1. The plain mean of n runs
        // has SE √(4.36/n); the adjusted one √(1/n)·(1 + O(1/n)): at n = 20,000, 0.01476
        // against 0.00707. Over 40 seeds the adjusted means scatter about 11.2 with that
        // standard deviation (within 25%, the scatter of 40 draws) and the reported SEs match.
        let n = 20_000;
        let mut means = Vec::new();
        for seed in 0..40 {
            let (acc, ys) = linear_in_an_indicator(n, seed);
            let e = acc.estimate(0, &[0.3]).expect("enough units");
            assert!((e.std_error - (1.0 / n as f64).sqrt()).abs() < 0.03 * e.std_error);
            assert!((e.r_squared - 3.36 / 4.36).abs() < 0.02, "{}", e.r_squared);
            assert_eq!(e.controls, 1);
            let plain = ys.iter().sum::<f64>() / n as f64;
            assert!((plain - e.mean).abs() < 6.0 * (4.36 / n as f64).sqrt());
            means.push(e.mean);
        }
        let m = means.iter().sum::<f64>() / 40.0;
        let sd = (means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 39.0).sqrt();
        assert!((m - 11.2).abs() < 4.0 * sd / 40f64.sqrt(), "{m}");
        let want = (1.0 / n as f64).sqrt();
        assert!((sd / want - 1.0).abs() < 0.25, "{sd} against {want}");
    }

    #[test]
    fn a_weak_control_moves_the_mean_little_and_narrows_the_interval_a_little() {
        // y = 0.6·B + ε with B ~ Bernoulli(1/2), ε ~ N(0, 1): the control explains
        // 0.36·0.25/(0.09 + 1) = 8.3% of the variance, so the SE shrinks by √(1 − 0.083),
        // 4.2%, less a q/n charge of 0.01%; the mean moves by b·(c̄ − 1/2), a fraction of
        // the plain SE.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut acc = ControlledMeans::new(1, 1);
        let mut m = Moments::new();
        for _ in 0..10_000 {
            let hit = rng.random::<f64>() < 0.5;
            let noise: f64 = StandardNormal.sample(&mut rng);
            let y = 0.6 * f64::from(u8::from(hit)) + noise;
            acc.push(&[y], |_| 2 * u8::from(hit));
            m.push(y);
        }
        let e = acc
            .estimate(0, &[0.5])
            .expect("a control that narrows the interval");
        assert!((e.mean - m.mean()).abs() < 0.5 * m.std_error());
        let ratio = e.std_error / m.std_error();
        assert!((ratio - (1.0f64 - 0.0826).sqrt()).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn controls_that_explain_nothing_cost_about_q_over_n() {
        // Twenty controls independent of y on 1,000 units (above the 20 per coefficient the
        // estimate needs): they explain about 20/1,000 of the variance by chance and charge
        // as much in degrees of freedom and leverage, so the adjusted interval is the plain
        // one within a few percent, and the mean moves by a fraction of a standard error.
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut acc = ControlledMeans::new(1, 20);
        let mut m = Moments::new();
        for _ in 0..1_000 {
            let y: f64 = StandardNormal.sample(&mut rng);
            let hits: Vec<u8> = (0..20)
                .map(|_| 2 * u8::from(rng.random::<f64>() < 0.5))
                .collect();
            acc.push(&[y], |j| hits[j]);
            m.push(y);
        }
        let e = acc.estimate(0, &[0.5; 20]).expect("enough units");
        let ratio = e.std_error / m.std_error();
        assert!((0.95..1.05).contains(&ratio), "{ratio}");
        assert!((e.mean - m.mean()).abs() < 0.5 * m.std_error());
    }

    #[test]
    fn collinear_and_constant_controls_are_left_out() {
        // Controls: B, B again, 1 − B, and one never set. Only the first enters the fit, and
        // the estimate is the one-control estimate, bit for bit.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut one = ControlledMeans::new(1, 1);
        let mut four = ControlledMeans::new(1, 4);
        for _ in 0..5_000 {
            let hit = rng.random::<f64>() < 0.3;
            let y = 3.0 * f64::from(u8::from(hit)) + rng.random::<f64>();
            let b = 2 * u8::from(hit);
            one.push(&[y], |_| b);
            four.push(&[y], |j| [b, b, 2 - b, 0][j]);
        }
        let e1 = one.estimate(0, &[0.3]).expect("enough units");
        let e4 = four
            .estimate(0, &[0.3, 0.3, 0.7, 0.0])
            .expect("enough units");
        assert_eq!(e4.controls, 1);
        assert!((e1.mean - e4.mean).abs() < 1e-12 && (e1.std_error - e4.std_error).abs() < 1e-12);
    }

    #[test]
    fn too_few_units_or_a_skipped_one_keep_the_plain_mean() {
        let (acc, _) = linear_in_an_indicator(15, 1);
        assert!(
            acc.estimate(0, &[0.3]).is_none(),
            "15 units for 2 coefficients"
        );
        let (mut acc, _) = linear_in_an_indicator(1_000, 1);
        assert!(acc.estimate(0, &[0.3]).is_some());
        acc.push(&[f64::NAN], |_| 0);
        assert_eq!(acc.units(), (1_000, 1));
        assert!(acc.estimate(0, &[0.3]).is_none());
    }

    #[test]
    fn merges_are_exact_and_survive_json() {
        // Any split of the units, merged in any order, and a JSON round trip, give the same
        // bits as one pass.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let units: Vec<(f64, [u8; 3])> = (0..3_000)
            .map(|_| {
                let w = [0, 1, 2].map(|_| rng.random_range(0..3u8));
                (rng.random::<f64>() * 1e8 - 3e7, w)
            })
            .collect();
        let fill = |range: std::ops::Range<usize>| {
            let mut acc = ControlledMeans::new(1, 3);
            for (y, w) in &units[range] {
                acc.push(&[*y], |j| w[j]);
            }
            acc
        };
        let whole = fill(0..3_000);
        let mut merged = fill(2_000..3_000);
        merged.merge(&fill(0..700));
        merged.merge(&fill(700..2_000));
        let json = serde_json::to_string(&merged).expect("serializes");
        let back: ControlledMeans = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, whole);
        let means = [0.5, 0.5, 0.5];
        assert_eq!(
            back.estimate(0, &means).map(|e| e.mean.to_bits()),
            whole.estimate(0, &means).map(|e| e.mean.to_bits())
        );
    }

    #[test]
    fn a_stored_accumulator_that_disagrees_with_itself_is_refused() {
        let mut acc = ControlledMeans::new(1, 2);
        acc.push(&[1.0], |_| 2);
        let mut json: serde_json::Value = serde_json::to_value(&acc).expect("serializes");
        json["cross"] = serde_json::json!([4, 4]);
        assert!(serde_json::from_value::<ControlledMeans>(json.clone()).is_err());
        json["cross"] = serde_json::json!([4, 4, 400]);
        assert!(serde_json::from_value::<ControlledMeans>(json).is_err());
    }
}
