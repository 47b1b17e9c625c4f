//! The samplers the processes share: Poisson counts (with a cached table for repeated small
//! means), geometric lengths, the mean-reverting step, and the scenario's distributions (`{dist: weibull, shape: 1.5,
//! scale: 10}` and so on).
//!
//! Kept in one place so that every process draws a given distribution the same way: a draw's
//! consumption of its stream is part of the model's reproducibility.

use pivotsim_engine::{UniformBits, math};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Poisson, StandardNormal, Weibull};

use pivotsim_scenario::Dist;

/// A Poisson draw with mean `lambda` (0 when λ ≤ 0). Small means use inversion by sequential
/// search (one uniform, exact); large means use rand_distr's rejection sampler.
pub fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    if lambda < 30.0 {
        return poisson_inversion(rng, lambda, math::exp(-lambda));
    }
    Poisson::new(lambda)
        .map(|d| d.sample(rng) as u64)
        .unwrap_or(0)
}

/// The small-mean branch of [`poisson`], for `0 < lambda < 30`, given `p0` = e^(−λ): callers
/// that draw repeatedly at the same few means cache `p0` rather than call `exp` each time.
pub fn poisson_inversion(rng: &mut ChaCha8Rng, lambda: f64, p0: f64) -> u64 {
    let u: f64 = rng.random();
    let mut k = 0u64;
    let mut p = p0;
    let mut cdf = p;
    while u > cdf && k < 1_000 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
    }
    k
}

/// How many terms of the Poisson CDF a [`PoissonHead`] keeps: draws at the small means the
/// model uses (BTC jumps per day) almost never go past it.
const POISSON_HEAD_TERMS: usize = 8;
// `PoissonHead::sample` splits the table into halves of four.
const _: () = assert!(POISSON_HEAD_TERMS == 8);

/// The first terms of the Poisson CDF at one mean, computed once with exactly the arithmetic
/// of [`poisson_inversion`], so that drawing from the table gives the same counts, bit for
/// bit, without its division per step. Callers that draw many times at the same mean keep one.
#[derive(Debug, Clone, Copy)]
pub struct PoissonHead {
    lambda: f64,
    /// For k < [`POISSON_HEAD_TERMS`], the bound with u ≤ P(N ≤ k) ⟺ the uniform's integer
    /// ≤ it ([`UniformBits::at_most`]), P(N ≤ k) as the sequential search accumulates it.
    at_most: [u64; POISSON_HEAD_TERMS],
    /// P(N ≤ POISSON_HEAD_TERMS − 1) and P(N = POISSON_HEAD_TERMS − 1), to continue the
    /// search past the table.
    last_cdf: f64,
    last_term: f64,
}

impl PoissonHead {
    /// The table for mean `lambda` (0 < λ < 30, as for [`poisson_inversion`]) given
    /// `p0` = e^(−λ).
    pub fn new(lambda: f64, p0: f64) -> Self {
        debug_assert!(
            lambda > 0.0 && lambda < 30.0 && p0 > 0.0,
            "Poisson table for mean {lambda}, e^(−mean) {p0}"
        );
        let mut cdf = [0.0; POISSON_HEAD_TERMS];
        let (mut p, mut sum) = (p0, p0);
        cdf[0] = sum;
        for (k, slot) in cdf.iter_mut().enumerate().skip(1) {
            p *= lambda / k as f64;
            sum += p;
            *slot = sum;
        }
        PoissonHead {
            lambda,
            at_most: cdf.map(UniformBits::at_most),
            last_cdf: sum,
            last_term: p,
        }
    }

    /// One draw: `poisson_inversion(rng, lambda, p0)` with the same uniform and the same result.
    #[inline]
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        let m = UniformBits::draw(rng).0;
        let t = &self.at_most;
        // The CDF never decreases, so the first k with u ≤ P(N ≤ k) is the number of terms
        // below u: counted without a branch per term (k is as random as u), in two halves so
        // that the usual small count compares three terms.
        let above = |k: usize| u64::from(m > t[k]);
        if m <= t[3] {
            return above(0) + above(1) + above(2);
        }
        if m <= t[POISSON_HEAD_TERMS - 1] {
            return 4 + above(4) + above(5) + above(6);
        }
        self.search_past_table(UniformBits(m).value())
    }

    /// The sequential search for `u`, resumed where the table stops (rare at the means the
    /// table serves).
    #[cold]
    #[inline(never)]
    fn search_past_table(&self, u: f64) -> u64 {
        let mut k = POISSON_HEAD_TERMS as u64 - 1;
        let mut p = self.last_term;
        let mut cdf = self.last_cdf;
        while u > cdf && k < 1_000 {
            k += 1;
            p *= self.lambda / k as f64;
            cdf += p;
        }
        k
    }
}

/// The number of periods without an event before the next one, for events that come with
/// probability p = 1 − e^(−λ) in each period: Geometric(p) failures, P(G ≥ k) = (1 − p)^k =
/// e^(−kλ). Drawn as ⌊E/λ⌋ with E = −ln(1 − U) an exponential clock of mean 1, since
/// P(⌊E/λ⌋ ≥ k) = P(E ≥ kλ) = e^(−kλ): one uniform per event instead of one per period.
#[derive(Debug, Clone, Copy)]
pub struct GeometricGap {
    /// λ, the hazard of one period (> 0).
    hazard: f64,
}

impl GeometricGap {
    /// Gaps between events of hazard `hazard` (λ > 0) per period.
    pub fn new(hazard: f64) -> Self {
        GeometricGap { hazard }
    }

    /// One gap, in whole periods (`u64::MAX` for a gap beyond 10^15 periods, never in a run).
    #[inline]
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        let gap = exp1(rng) / self.hazard;
        if gap < 1e15 { gap as u64 } else { u64::MAX }
    }
}

/// An exponential clock of mean 1, −ln(1 − U), by inversion with the deterministic `ln`
/// (U in [0, 1), so 1 − U in (0, 1] and the clock is finite and ≥ 0). Not `rand_distr`'s
/// `Exp1` (which the tenants' default clocks keep, as their streams were drawn): its ziggurat
/// calls the platform's `ln` in the tail, this uses only the model's own arithmetic.
#[inline]
pub fn exp1(rng: &mut ChaCha8Rng) -> f64 {
    -math::ln(uniform_above_zero(rng))
}

/// A uniform on (0, 1]: 1 − U for the usual U on [0, 1) (the same draw, the same bits as
/// `1.0 - rng.random::<f64>()`). For a clock's survival or a logarithm, which 0 would break.
#[inline]
pub fn uniform_above_zero(rng: &mut ChaCha8Rng) -> f64 {
    1.0 - rng.random::<f64>()
}

/// A geometric number of periods, at least 1, with the given mean (≥ 1): 1 + failures before
/// the first success at probability 1/mean.
pub fn geometric_at_least_one(rng: &mut ChaCha8Rng, mean: f64) -> u64 {
    let p = (1.0 / mean.max(1.0)).clamp(1e-12, 1.0);
    if p >= 1.0 {
        return 1;
    }
    let u: f64 = rng.random();
    // Inversion: failures = floor(ln(1−u) / ln(1−p)).
    let failures = (math::ln(1.0 - u) / math::ln(1.0 - p)).floor();
    1 + failures.min(1e9) as u64
}

/// One step of a mean-reverting (Ornstein–Uhlenbeck) process, in the discretisation the
/// process is calibrated with; every process with mean reversion steps through this.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeanReversion {
    /// The exact step over Δ of an OU process about 0: x' = a·x + s·z, a = e^(−κΔ).
    Exact {
        /// Persistence over one step, e^(−κΔ).
        a: f64,
        /// Standard deviation of one step's noise.
        s: f64,
    },
    /// The Euler step about a level θ: x' = x + (κ(θ − x)Δ + σ√Δ·z).
    Euler {
        /// Reversion speed κ, per unit of time.
        reversion: f64,
        /// The level θ it reverts to.
        level: f64,
        /// Step length Δ, in the units of κ.
        dt: f64,
        /// σ√Δ.
        sd: f64,
    },
}

impl MeanReversion {
    /// The exact step with volatility σ: s = σ·√((1 − a²)/(2κ)), or σ√Δ (a random walk) when
    /// κ ≤ 0.
    pub fn exact(reversion: f64, volatility: f64, dt: f64) -> Self {
        let a = math::exp(-reversion * dt);
        let s = if reversion > 0.0 {
            volatility * ((1.0 - a * a) / (2.0 * reversion)).sqrt()
        } else {
            volatility * dt.sqrt()
        };
        MeanReversion::Exact { a, s }
    }

    /// The exact step given the stationary variance v = σ²/(2κ): s = √(v·(1 − a²)). The same
    /// step as [`MeanReversion::exact`] in exact arithmetic, but formed (and so rounded)
    /// differently; the energy price is calibrated with this form and its paths are kept to
    /// the bit.
    pub fn exact_with_stationary_variance(
        reversion: f64,
        stationary_variance: f64,
        dt: f64,
    ) -> Self {
        let a = math::exp(-reversion * dt);
        let s = (stationary_variance * (1.0 - a * a)).sqrt();
        MeanReversion::Exact { a, s }
    }

    /// The Euler step towards `level` at speed `reversion` with volatility σ, over `dt`.
    pub fn euler(reversion: f64, level: f64, volatility: f64, dt: f64) -> Self {
        MeanReversion::Euler {
            reversion,
            level,
            dt,
            sd: volatility * dt.sqrt(),
        }
    }

    /// The value after one step from `x` with standard normal shock `z`.
    #[inline]
    pub fn step(&self, x: f64, z: f64) -> f64 {
        match *self {
            MeanReversion::Exact { a, s } => a * x + s * z,
            MeanReversion::Euler {
                reversion,
                level,
                dt,
                sd,
            } => x + (reversion * (level - x) * dt + sd * z),
        }
    }

    /// One step from `x`, drawing its shock (one standard normal) from `rng`.
    #[inline]
    pub fn advance(&self, x: f64, rng: &mut ChaCha8Rng) -> f64 {
        let z: f64 = StandardNormal.sample(rng);
        self.step(x, z)
    }
}

/// One standard normal times `sign` (1, or −1 in the mirrored member of an antithetic pair,
/// `Streams::normal_sign`): the same draw, and the same use of the stream, either way.
#[inline]
pub fn signed_normal(rng: &mut ChaCha8Rng, sign: f64) -> f64 {
    let z: f64 = StandardNormal.sample(rng);
    sign * z
}

/// Draws one value of a scenario distribution. Parameters were validated, so constructor failures cannot happen; if one
/// did, the distribution's central value is returned rather than panicking.
pub fn sample(d: &Dist, rng: &mut ChaCha8Rng) -> f64 {
    match *d {
        Dist::Constant { value } => value,
        Dist::Uniform { min, max } => {
            if max > min {
                rng.random_range(min..max)
            } else {
                min
            }
        }
        Dist::Exponential { mean } => Exp::new(1.0 / mean).map_or(mean, |e| e.sample(rng)),
        Dist::Lognormal { median, sigma } => {
            LogNormal::new(math::ln(median), sigma).map_or(median, |l| l.sample(rng))
        }
        Dist::Weibull { shape, scale } => {
            Weibull::new(scale, shape).map_or(scale, |w| w.sample(rng))
        }
        Dist::Gamma { shape, scale } => {
            Gamma::new(shape, scale).map_or(shape * scale, |g| g.sample(rng))
        }
    }
}

/// The antithetic counterpart of an exponential clock of mean 1, x' = F⁻¹(1 − F(x)) with
/// F(x) = 1 − e^(−x): the clock a uniform U → 1 − U gives, −ln(1 − e^(−x)). Exp(1) again,
/// and decreasing in x, so a tenant that defaults early in one member of an antithetic pair
/// defaults late in the other. A clock of 0 (never drawn in practice) maps to +∞.
pub fn mirror_exp1(x: f64) -> f64 {
    let survival = math::exp(-x);
    if survival >= 1.0 {
        return f64::INFINITY;
    }
    -math::ln(1.0 - survival)
}

/// The `q`-quantile of `d`, F⁻¹(q), for 0 < q < 1, with `z_q` = Φ⁻¹(q) the standard
/// normal's (given by the caller, which keeps a table of them: Φ⁻¹ has no closed form). A
/// value drawn from `d` falls below it with probability exactly `q`, so 1{x < F⁻¹(q)} is a
/// control variate of known mean. None for a constant (nothing to control), a degenerate
/// distribution, or a gamma (no closed-form quantile).
pub fn quantile(d: &Dist, q: f64, z_q: f64) -> Option<f64> {
    // −ln(1 − q): the quantile of Exp(1).
    let exp1 = || -math::ln(1.0 - q);
    match *d {
        Dist::Uniform { min, max } if max > min => Some(min + q * (max - min)),
        Dist::Exponential { mean } if mean > 0.0 => Some(mean * exp1()),
        Dist::Lognormal { median, sigma } if median > 0.0 && sigma > 0.0 => {
            Some(median * math::exp(sigma * z_q))
        }
        Dist::Weibull { shape, scale } if shape > 0.0 && scale > 0.0 => {
            Some(scale * math::powf(exp1(), 1.0 / shape))
        }
        _ => None,
    }
}

/// The antithetic counterpart of a value `x` drawn from `d`, x' = F⁻¹(1 − F(x)): the same
/// distribution, decreasing in x (a normal's Z → −Z, a uniform's U → 1 − U). None for a
/// gamma, whose quantile has no closed form: a caller then draws it independently.
pub fn mirror_sample(d: &Dist, x: f64) -> Option<f64> {
    match *d {
        Dist::Constant { value } => Some(value),
        // U → 1 − U on [min, max].
        Dist::Uniform { min, max } => Some(min + max - x),
        // x = mean·E with E ~ Exp(1).
        Dist::Exponential { mean } if mean > 0.0 => Some(mean * mirror_exp1(x / mean)),
        // x = median·e^(σZ), so −Z gives median·e^(−σZ) = median²/x.
        Dist::Lognormal { median, .. } if x > 0.0 => Some(median * (median / x)),
        // x = scale·E^(1/shape) with E ~ Exp(1).
        Dist::Weibull { shape, scale } if shape > 0.0 && scale > 0.0 => {
            let e = math::powf(x / scale, shape);
            Some(scale * math::powf(mirror_exp1(e), 1.0 / shape))
        }
        Dist::Exponential { .. } | Dist::Lognormal { .. } | Dist::Weibull { .. } => Some(x),
        Dist::Gamma { .. } => None,
    }
}

/// The distribution's mean.
pub fn mean(d: &Dist) -> f64 {
    match *d {
        Dist::Constant { value } => value,
        Dist::Uniform { min, max } => 0.5 * (min + max),
        Dist::Exponential { mean } => mean,
        Dist::Lognormal { median, sigma } => median * math::exp(0.5 * sigma * sigma),
        Dist::Weibull { shape, scale } => scale * gamma_fn(1.0 + 1.0 / shape),
        Dist::Gamma { shape, scale } => shape * scale,
    }
}

/// Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; relative error < 1e-13).
pub fn gamma_fn(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * math::powf(t, x + 0.5) * math::exp(-t) * a
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_engine::{DAYS_PER_YEAR, ProcessId, stream};

    #[test]
    fn geometric_gaps_have_the_geometric_law() {
        // Hazard λ = 0.05 a period: a period has an event with p = 1 − e^(−0.05) = 0.048771,
        // so the gap G (periods without one before it) has P(G = 0) = p, P(G ≥ 10) =
        // e^(−0.5) = 0.60653 and E[G] = (1 − p)/p = 1/(e^0.05 − 1) = 19.504. Over 200,000
        // gaps: sd of P(G = 0) is √(p(1 − p)/200,000) = 4.8e-4, of P(G ≥ 10) 1.1e-3, and of the
        // mean √((1 − p)/p²/200,000) = 0.045; allow 4 sd.
        let gap = GeometricGap::new(0.05);
        let mut rng = stream(3, 0, ProcessId::new(999, 1));
        let n = 200_000;
        let (mut zeros, mut long, mut sum) = (0u32, 0u32, 0u64);
        for _ in 0..n {
            let g = gap.sample(&mut rng);
            zeros += u32::from(g == 0);
            long += u32::from(g >= 10);
            sum += g;
        }
        let share = |k: u32| f64::from(k) / f64::from(n);
        assert!(
            (share(zeros) - 0.048771).abs() < 4.0 * 4.8e-4,
            "P(0) {}",
            share(zeros)
        );
        assert!(
            (share(long) - 0.60653).abs() < 4.0 * 1.1e-3,
            "P(≥10) {}",
            share(long)
        );
        let mean = sum as f64 / f64::from(n);
        assert!((mean - 19.504).abs() < 4.0 * 0.045, "mean {mean}");
    }

    #[test]
    fn a_mirrored_draw_has_the_complementary_probability() {
        // x' = F⁻¹(1 − F(x)), so F(x) + F(x') = 1 with each distribution's closed-form CDF.
        let cdf = |d: &Dist, x: f64| match *d {
            Dist::Uniform { min, max } => (x - min) / (max - min),
            Dist::Exponential { mean } => 1.0 - (-x / mean).exp(),
            Dist::Weibull { shape, scale } => 1.0 - (-(x / scale).powf(shape)).exp(),
            // Φ(ln(x/m)/σ): symmetric about the median, so F(x) + F(x') = 1 iff x·x' = m².
            Dist::Lognormal { median, .. } => x / median,
            _ => unreachable!(),
        };
        let dists = [
            Dist::Uniform {
                min: 3.0,
                max: 24.0,
            },
            Dist::Exponential { mean: 0.08 },
            Dist::Weibull {
                shape: 1.7,
                scale: 5.0,
            },
            Dist::Lognormal {
                median: 2.0,
                sigma: 0.8,
            },
        ];
        let mut rng = stream(1, 0, ProcessId::new(999, 0));
        for d in &dists {
            for _ in 0..1_000 {
                let x = sample(d, &mut rng);
                let y = mirror_sample(d, x).unwrap();
                let total = if let Dist::Lognormal { .. } = d {
                    cdf(d, x) * cdf(d, y)
                } else {
                    cdf(d, x) + cdf(d, y)
                };
                assert!((total - 1.0).abs() < 1e-9, "{d:?}: {x} → {y}");
            }
        }
        assert_eq!(
            mirror_sample(&Dist::Constant { value: 4.0 }, 4.0),
            Some(4.0)
        );
        assert_eq!(
            mirror_sample(
                &Dist::Gamma {
                    shape: 2.0,
                    scale: 1.0
                },
                1.0
            ),
            None
        );
        // Exp(1): e^(−E) + e^(−E') = 1; at ln 2, the median, the mirror is itself.
        assert!((mirror_exp1(std::f64::consts::LN_2) - std::f64::consts::LN_2).abs() < 1e-12);
        assert_eq!(mirror_exp1(0.0), f64::INFINITY);
    }

    #[test]
    fn mirrored_clocks_keep_their_mean_and_pair_negatively() {
        // E and E' = −ln(1 − e^(−E)) are both Exp(1) (mean 1, sd 1): over 20,000 draws the
        // mean of E' is within 4·1/√20000 = 0.028 of 1. Their covariance is
        // 1 − π²/6 ≈ −0.645 (E[E·E'] = 2 − π²/6 for the antithetic exponential pair).
        let mut rng = stream(2, 0, ProcessId::new(999, 0));
        let n = 20_000;
        let (mut sum, mut sum_mirror, mut cross) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let e: f64 = rand_distr::Exp1.sample(&mut rng);
            let m = mirror_exp1(e);
            sum += e;
            sum_mirror += m;
            cross += e * m;
        }
        let n = f64::from(n);
        assert!((sum_mirror / n - 1.0).abs() < 0.028, "{}", sum_mirror / n);
        let covariance = cross / n - (sum / n) * (sum_mirror / n);
        let want = 1.0 - std::f64::consts::PI.powi(2) / 6.0;
        assert!((covariance - want).abs() < 0.05, "{covariance} vs {want}");
    }

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = stream(17, 0, ProcessId::new(60, 0));
        let xs: Vec<f64> = (0..n).map(|_| sample(d, &mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, (var / n as f64).sqrt())
    }

    #[test]
    fn the_poisson_table_draws_what_the_sequential_search_draws() {
        // Same stream, same mean: the table must give the count of `poisson_inversion` on
        // every draw, inside the table (small means) and past it (means of 5 to 25, where
        // counts above 7 are common), and leave the stream at the same place.
        for lambda in [1e-4, 0.05, 0.5, 1.7, 5.0, 9.9, 25.0] {
            let head = PoissonHead::new(lambda, math::exp(-lambda));
            let mut a = stream(3, 0, ProcessId::new(9, 0));
            let mut b = stream(3, 0, ProcessId::new(9, 0));
            for i in 0..20_000 {
                let expected = poisson_inversion(&mut a, lambda, math::exp(-lambda));
                assert_eq!(head.sample(&mut b), expected, "λ = {lambda}, draw {i}");
            }
            assert_eq!(rand::Rng::next_u64(&mut a), rand::Rng::next_u64(&mut b));
        }
    }

    #[test]
    fn poisson_sampler_mean_and_variance() {
        // Poisson(λ) has mean and variance λ. For λ = 2.5 over 200,000 draws the mean's sd is
        // √(2.5/200,000) = 0.0035; allow 0.015 (≈4 sd). For the variance allow 2%.
        let mut rng = stream(5, 0, ProcessId::new(9, 0));
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, 2.5) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 2.5).abs() < 0.015, "{mean}");
        assert!((var / 2.5 - 1.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn geometric_mean_matches() {
        // 1 + Geometric(p = 1/m) failures has mean 1 + (1 − p)/p = 1/p = m. m = 10, 100,000
        // draws: sd of the mean = √((1−p)/p²)/√n ≈ 0.03; allow 0.12.
        let mut rng = stream(5, 0, ProcessId::new(9, 1));
        let n = 100_000;
        let mean = (0..n)
            .map(|_| geometric_at_least_one(&mut rng, 10.0) as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 10.0).abs() < 0.12, "{mean}");
    }

    #[test]
    fn gamma_function_matches_known_values() {
        // Γ(1) = 1, Γ(5) = 4! = 24, Γ(1/2) = √π, Γ(3/2) = √π/2.
        assert!((gamma_fn(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-10);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
        assert!((gamma_fn(1.5) - std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-12);
    }

    #[test]
    fn samplers_match_their_analytic_means() {
        // Weibull(k = 2, λ = 10): mean λ·Γ(1 + 1/2) = 10·√π/2 = 8.8623.
        // Lognormal(median 5, σ = 0.5): mean 5·e^(0.125) = 5.6657.
        // Gamma(k = 3, θ = 2): mean 6. Exponential(mean 4): 4. Uniform(2, 8): 5.
        // 200,000 draws each: every sample mean within 5 standard errors of the analytic mean.
        let cases = [
            (
                Dist::Weibull {
                    shape: 2.0,
                    scale: 10.0,
                },
                10.0 * std::f64::consts::PI.sqrt() / 2.0,
            ),
            (
                Dist::Lognormal {
                    median: 5.0,
                    sigma: 0.5,
                },
                5.0 * 0.125f64.exp(),
            ),
            (
                Dist::Gamma {
                    shape: 3.0,
                    scale: 2.0,
                },
                6.0,
            ),
            (Dist::Exponential { mean: 4.0 }, 4.0),
            (Dist::Uniform { min: 2.0, max: 8.0 }, 5.0),
            (Dist::Constant { value: 3.5 }, 3.5),
        ];
        for (d, analytic) in cases {
            assert!(
                (mean(&d) - analytic).abs() < 1e-9,
                "{d:?}: mean() = {}",
                mean(&d)
            );
            let (m, se) = sample_mean(&d, 200_000);
            assert!(
                (m - analytic).abs() <= 5.0 * se + 1e-12,
                "{d:?}: {m} vs {analytic} (se {se})"
            );
        }
    }

    #[test]
    fn mean_reversion_steps_are_the_formulas() {
        // Exact: κ = 2/yr, σ = 0.3, Δ = 1/365.25: a = e^(−2/365.25), s = 0.3·√((1 − a²)/4).
        let dt = 1.0 / DAYS_PER_YEAR;
        let a = math::exp(-2.0 * dt);
        let s = 0.3 * ((1.0 - a * a) / 4.0).sqrt();
        let exact = MeanReversion::exact(2.0, 0.3, dt);
        assert_eq!(exact, MeanReversion::Exact { a, s });
        assert_eq!(
            exact.step(0.5, -1.25).to_bits(),
            (a * 0.5 + s * -1.25).to_bits()
        );
        // Without reversion it is a random walk with step σ√Δ.
        assert_eq!(
            MeanReversion::exact(0.0, 0.3, dt),
            MeanReversion::Exact {
                a: 1.0,
                s: 0.3 * dt.sqrt()
            }
        );
        // The stationary-variance form: v = 0.09/4 = 0.0225, s = √(v(1 − a²)), within an ulp
        // or two of the σ form.
        let by_variance = MeanReversion::exact_with_stationary_variance(2.0, 0.0225, dt);
        let MeanReversion::Exact { a: a2, s: s2 } = by_variance else {
            panic!("{by_variance:?}")
        };
        assert_eq!(a2, a);
        assert!((s2 / s - 1.0).abs() < 1e-15, "{s2} vs {s}");
        // Euler, monthly: x' = x + (κ(θ − x)Δ + σ√Δ·z) with κ = 0.5, θ = 0.04, σ = 0.01.
        let euler = MeanReversion::euler(0.5, 0.04, 0.01, 1.0 / 12.0);
        let (x, z) = (0.05, 0.7);
        let expected = x + (0.5 * (0.04 - x) * (1.0 / 12.0) + 0.01 * (1.0f64 / 12.0).sqrt() * z);
        assert_eq!(euler.step(x, z).to_bits(), expected.to_bits());
    }

    #[test]
    fn advancing_draws_one_standard_normal() {
        // `advance` is `step` with the next standard normal of the stream, and takes no more.
        let ou = MeanReversion::exact(1.0, 0.3, 1.0 / DAYS_PER_YEAR);
        let (mut a, mut b) = (
            stream(8, 0, ProcessId::new(9, 2)),
            stream(8, 0, ProcessId::new(9, 2)),
        );
        let (mut x, mut y) = (0.1, 0.1);
        for _ in 0..100 {
            x = ou.advance(x, &mut a);
            let z: f64 = StandardNormal.sample(&mut b);
            y = ou.step(y, z);
            assert_eq!(x.to_bits(), y.to_bits());
        }
        assert_eq!(rand::Rng::next_u64(&mut a), rand::Rng::next_u64(&mut b));
    }
}
