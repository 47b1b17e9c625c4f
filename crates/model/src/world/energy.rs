//! Hourly wholesale electricity prices: a mean-reverting log price with Poisson spikes.
//!
//! docs/sources.md §4.5: spot power needs mean reversion, spikes and seasonality. The log level X
//! follows an Ornstein–Uhlenbeck process stepped exactly each hour,
//! X' = a·X + s·Z with a = e^(−κΔ) and s = σ·√((1 − a²)/(2κ)), and the price outside spikes is
//! `factor(month) · exp(m + X)`, with m chosen so the stationary mean equals the configured
//! mean. Spikes start with probability 1 − e^(−rate·Δ) per hour and last a geometric number of
//! hours with the configured mean. Prices are capped at the market cap. A replayed history
//! (`EnergyParams::history`) gives the first hours' prices; the log level then continues from
//! the last of them.

use pivotsim_engine::{HOURS_PER_DAY, HOURS_PER_YEAR, math};
use rand::rngs::ChaCha8Rng;

use crate::compiled::{CompiledScenario, ShockSpec};
use crate::world::samplers::{GeometricGap, MeanReversion, geometric_at_least_one, signed_normal};
use crate::world::streams::{StreamKind, Streams};
use crate::world::{World, WorldProcess};

/// Hours in a day, as an index into the hourly path.
pub(crate) const DAY_HOURS: usize = HOURS_PER_DAY as usize;

/// Parameters of the hourly price process.
#[derive(Debug, Clone)]
pub struct EnergyParams {
    /// Stationary mean outside spikes, USD/MWh.
    pub mean: f64,
    /// Mean-reversion speed, per year.
    pub reversion: f64,
    /// Volatility of the log price, per √year.
    pub volatility: f64,
    /// Spikes per year.
    pub spike_rate: f64,
    /// Spike price, USD/MWh.
    pub spike_price: f64,
    /// Mean spike length, hours.
    pub spike_mean_hours: f64,
    /// Price cap, USD/MWh.
    pub cap: f64,
    /// A replayed history: the price of each of the first hours, USD/MWh (empty: none). It
    /// replaces the random path over its span in every future; the mean-reverting price then
    /// continues from its last hour.
    pub history: Vec<f64>,
}

/// The lowest price the mean-reverting log price continues from after a history, USD/MWh: a
/// history may end on a zero or negative price, which has no logarithm.
pub const HISTORY_CONTINUATION_FLOOR_USD_PER_MWH: f64 = 1.0;

impl EnergyParams {
    /// The exact hourly OU step of the log level X, and the offset m of the log price.
    fn step_constants(&self) -> (MeanReversion, f64) {
        let stationary_var = self.volatility * self.volatility / (2.0 * self.reversion);
        let step = MeanReversion::exact_with_stationary_variance(
            self.reversion,
            stationary_var,
            1.0 / HOURS_PER_YEAR,
        );
        // E[exp(X)] = exp(var/2) for the stationary X ~ N(0, var), so m = ln(mean) − var/2.
        let m = math::ln(self.mean) - 0.5 * stationary_var;
        (step, m)
    }
}

/// Fills `out` with one price per hour, USD/MWh. `daily_factor[h / 24]` is the seasonal
/// multiplier of the hour's day. The path starts with the replayed history, if any, then
/// continues from its last price; without one it starts from the stationary distribution.
/// Every standard normal is multiplied by `normal_sign` (1, or −1 for the mirrored member of
/// an antithetic pair).
pub fn generate_hourly_prices(
    p: &EnergyParams,
    daily_factor: &[f64],
    hours: usize,
    rng: &mut ChaCha8Rng,
    normal_sign: f64,
    out: &mut Vec<f64>,
) {
    out.clear();
    let (ou, m) = p.step_constants();
    let stationary_sd = (p.volatility * p.volatility / (2.0 * p.reversion)).sqrt();
    // Drawn with or without a history, so that a history shifts none of the later draws.
    let z0 = signed_normal(rng, normal_sign);
    let mut x = stationary_sd * z0;
    out.extend(p.history.iter().take(hours).copied());
    let replayed = out.len();
    if let Some(&last) = out.last() {
        // The price outside spikes is factor · exp(m + X): the X that gives the last price
        // with its day's factor (a price at the floor or below continues from the floor).
        let factor = daily_factor
            .get((replayed - 1) / DAY_HOURS)
            .copied()
            .unwrap_or(1.0);
        x = math::ln(last.max(HISTORY_CONTINUATION_FLOOR_USD_PER_MWH) / factor) - m;
    }
    // A spike starts in an hour outside spikes with probability 1 − e^(−rate/8766): the hours
    // outside spikes before the next start are geometric, drawn once per spike rather than
    // as a trial every hour (the same law, one draw instead of hundreds).
    let spikes = (p.spike_rate > 0.0).then(|| GeometricGap::new(p.spike_rate / HOURS_PER_YEAR));
    let mut until_spike = spikes.map_or(u64::MAX, |g| g.sample(rng));
    let mut spike_left: u64 = 0;
    let spike_price = p.spike_price.min(p.cap);
    // Day by day, so that the day's seasonal factor is read once; within a day, the hours
    // before the next spike starts are one run with no spike test in it.
    let mut hour = replayed;
    while hour < hours {
        let day = hour / DAY_HOURS;
        let day_end = ((day + 1) * DAY_HOURS).min(hours);
        let factor = daily_factor.get(day).copied().unwrap_or(1.0);
        while hour < day_end {
            if spike_left == 0 && until_spike > 0 {
                // Ordinary hours, until the next start or the end of the day.
                let run = (until_spike.min((day_end - hour) as u64)) as usize;
                // Extending from a sized iterator writes each price in place with no
                // capacity check.
                out.extend((0..run).map(|_| {
                    x = ou.step(x, signed_normal(rng, normal_sign));
                    let price = factor * math::exp(m + x);
                    // `price.min(cap)` without its NaN handling: prices are never NaN.
                    if price > p.cap { p.cap } else { price }
                }));
                until_spike -= run as u64;
                hour += run;
                continue;
            }
            // An hour of spike: the level still moves (the same draw as in any hour), and a
            // spike that starts now draws its length and the gap to the next start.
            x = ou.step(x, signed_normal(rng, normal_sign));
            if spike_left == 0 {
                spike_left = geometric_at_least_one(rng, p.spike_mean_hours);
                until_spike = spikes.map_or(u64::MAX, |g| g.sample(rng));
            }
            spike_left -= 1;
            out.push(spike_price);
            hour += 1;
        }
    }
}

/// The hourly energy price as a world process: its parameters, the seasonal factor of each
/// day and the horizon. Its path is the world's hourly prices and their daily summaries.
pub(crate) struct EnergyPriceProcess<'m> {
    params: &'m EnergyParams,
    /// Seasonal multiplier of each day.
    daily_factor: &'m [f64],
    /// Whole hours simulated.
    hours: usize,
}

impl<'m> WorldProcess<'m> for EnergyPriceProcess<'m> {
    fn from_scenario(model: &'m CompiledScenario) -> Self {
        EnergyPriceProcess {
            params: &model.energy,
            daily_factor: &model.daily_energy_factor,
            hours: model.hours,
        }
    }

    /// Generates the hourly path, sets the hours of scheduled price spikes (capped), and
    /// caches each day's summary for the plans.
    fn generate(&self, shocks: &[ShockSpec], streams: Streams, world: &mut World) {
        // Mirrored in an antithetic pair: the spikes, drawn from the same stream, are the same
        // in both members.
        let mut rng = streams.mirrored_stream(StreamKind::EnergyPrice);
        generate_hourly_prices(
            self.params,
            self.daily_factor,
            self.hours,
            &mut rng,
            streams.normal_sign(),
            &mut world.hourly_price,
        );
        for shock in shocks {
            if let ShockSpec::EnergySpike {
                from,
                to,
                usd_per_mwh,
            } = *shock
            {
                let (a, b) = (from.hour_index() as usize, to.hour_index() as usize);
                let price = usd_per_mwh.min(self.params.cap);
                for h in world.hourly_price.iter_mut().take(b).skip(a) {
                    *h = price;
                }
            }
        }
        world.daily_price.clear();
        world
            .daily_price
            .extend(world.hourly_price.chunks(DAY_HOURS).map(PriceSummary::of));
    }
}

/// The sum, least and greatest of a run of hourly prices: enough for the operator's accrual
/// to book a run of hours at once for every machine whose decision (hash or curtail) does not
/// change within it. USD/MWh (the sum is USD/MWh × hours, one term per hour).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceSummary {
    /// Sum of the prices, USD/MWh × h.
    pub sum: f64,
    /// Least price, USD/MWh (+∞ for no hours).
    pub min: f64,
    /// Greatest price, USD/MWh (−∞ for no hours).
    pub max: f64,
}

impl PriceSummary {
    /// Summarises `prices`. The same slice always gives the same bits: the world caches each
    /// day's summary and the operator computes those of shorter runs with this same code.
    #[inline]
    pub fn of(prices: &[f64]) -> Self {
        // Four lanes, so that the additions of a day overlap instead of forming one chain of
        // 24; the lanes are combined pairwise. Prices are never NaN, so plain comparisons
        // stand in for `f64::min` and `max` (which would pay for NaN handling).
        let mut sum = [0.0; 4];
        let mut min = [f64::INFINITY; 4];
        let mut max = [f64::NEG_INFINITY; 4];
        let add = |lane: usize, price: f64| {
            sum[lane] += price;
            min[lane] = if price < min[lane] { price } else { min[lane] };
            max[lane] = if price > max[lane] { price } else { max[lane] };
        };
        by_lane(prices, add);
        let least = |a: f64, b: f64| if a < b { a } else { b };
        let most = |a: f64, b: f64| if a > b { a } else { b };
        PriceSummary {
            sum: (sum[0] + sum[1]) + (sum[2] + sum[3]),
            min: least(least(min[0], min[1]), least(min[2], min[3])),
            max: most(most(max[0], max[1]), most(max[2], max[3])),
        }
    }

    /// The hours of `prices`, which this summarises, priced below `level`: how many, and the
    /// sum of their prices. A run wholly below `level` (its greatest price is) or wholly at
    /// or above it (its least price is) is answered from the summary; otherwise by one pass,
    /// [`PriceSummary::below`]. The same bits either way.
    #[inline]
    pub fn hours_below(&self, prices: &[f64], level: f64) -> (u64, f64) {
        if self.max < level {
            (prices.len() as u64, self.sum)
        } else if self.min >= level {
            (0, 0.0)
        } else {
            Self::below(prices, level)
        }
    }

    /// The hours of `prices` priced below `level`: how many, and the sum of their prices.
    /// Summed in the lanes of [`PriceSummary::of`] (an hour at or above `level` adds +0), so
    /// when every hour is below, the sum is `of(prices).sum` to the bit.
    #[inline]
    pub fn below(prices: &[f64], level: f64) -> (u64, f64) {
        let mut sum = [0.0; 4];
        let mut count = [0u64; 4];
        let add = |lane: usize, price: f64| {
            let below = price < level;
            sum[lane] += if below { price } else { 0.0 };
            count[lane] += u64::from(below);
        };
        by_lane(prices, add);
        (count.iter().sum(), (sum[0] + sum[1]) + (sum[2] + sum[3]))
    }
}

/// Calls `add(lane, price)` for each of `prices`, in order, with lane = its index mod 4: the
/// four interleaved partial sums of [`PriceSummary`].
#[inline(always)]
fn by_lane(prices: &[f64], mut add: impl FnMut(usize, f64)) {
    let chunks = prices.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &price) in chunk.iter().enumerate() {
            add(lane, price);
        }
    }
    for (lane, &price) in rest.iter().enumerate() {
        add(lane, price);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::streams::{StreamKind, Streams};
    use rand::Rng;
    use rand_distr::{Distribution, StandardNormal};

    fn params() -> EnergyParams {
        EnergyParams {
            mean: 40.0,
            reversion: 100.0,
            volatility: 1.5,
            spike_rate: 0.0,
            spike_price: 1_500.0,
            spike_mean_hours: 4.0,
            cap: 5_000.0,
            history: Vec::new(),
        }
    }

    #[test]
    fn stationary_mean_and_log_variance_match_the_ou_formulas() {
        // Log-OU with κ = 100/yr, σ = 1.5/√yr: stationary var of ln P is σ²/(2κ) = 0.01125, and
        // E[P] = the configured mean, 40. Over 20 years of hours the process decorrelates every
        // ~88 hours (1/κ), giving ~2,000 effective samples: sd of the mean ≈ 40·0.106/√2000 ≈
        // 0.095, so ±0.5 is a 5-sigma band; the variance's relative sd ≈ √(2/2000) ≈ 3%.
        let p = params();
        let hours = 20 * HOURS_PER_YEAR as usize;
        let mut rng = Streams::new(1, 0).of(StreamKind::EnergyPrice);
        let mut out = Vec::new();
        generate_hourly_prices(&p, &[], hours, &mut rng, 1.0, &mut out);
        let mean = out.iter().sum::<f64>() / hours as f64;
        assert!((mean - 40.0).abs() < 0.5, "mean {mean}");
        let logs: Vec<f64> = out.iter().map(|x| x.ln()).collect();
        let lm = logs.iter().sum::<f64>() / hours as f64;
        let lv = logs.iter().map(|x| (x - lm).powi(2)).sum::<f64>() / hours as f64;
        assert!((lv / 0.01125 - 1.0).abs() < 0.15, "log variance {lv}");
    }

    /// Whether each of `hours` hours is a spike hour, on a path with spikes starting at
    /// `rate` a year (lasting 4 hours on average, at $1,500/MWh) drawn with `seed`.
    fn spike_hours(rate: f64, hours: usize, seed: u64) -> Vec<bool> {
        let mut p = params();
        p.spike_rate = rate;
        let mut rng = Streams::new(seed, 0).of(StreamKind::EnergyPrice);
        let mut out = Vec::new();
        generate_hourly_prices(&p, &[], hours, &mut rng, 1.0, &mut out);
        // The OU price is never exactly the spike price.
        out.iter().map(|&x| x == p.spike_price).collect()
    }

    #[test]
    fn spike_hours_match_rate_times_mean_length() {
        // Spikes start at 15/yr when not spiking and last 4 hours on average: the long-run
        // fraction of spike hours is r·L/(1 + r·L) per hour with r = 15/8766, L = 4 → 0.006798.
        // Over 50 years (438,300 h, ~750 spikes) the relative sd is about 1/√750·√2 ≈ 5%.
        let hours = 50 * HOURS_PER_YEAR as usize;
        let in_spike = spike_hours(15.0, hours, 2);
        let spikes = in_spike.iter().filter(|&&b| b).count() as f64 / hours as f64;
        let rl = 15.0 / HOURS_PER_YEAR * 4.0;
        let expected = rl / (1.0 + rl);
        assert!(
            (spikes / expected - 1.0).abs() < 0.15,
            "spike fraction {spikes} vs {expected}"
        );
    }

    #[test]
    fn prices_never_exceed_the_cap() {
        let mut p = params();
        p.spike_rate = 50.0;
        p.spike_price = 5_000.0;
        p.cap = 3_000.0;
        let mut rng = Streams::new(3, 0).of(StreamKind::EnergyPrice);
        let mut out = Vec::new();
        generate_hourly_prices(&p, &[], HOURS_PER_YEAR as usize, &mut rng, 1.0, &mut out);
        assert_eq!(out.iter().cloned().fold(0.0, f64::max), 3_000.0);
    }

    #[test]
    fn the_path_is_the_ou_step_with_spikes_started_by_geometric_gaps() {
        // The path as written plainly (a normal every hour; outside spikes, a count of hours
        // left before the next start, drawn as a geometric gap each time one starts) must
        // equal the generated one bit for bit and leave the stream at the same place; with a
        // high spike rate and a seasonal factor so that every branch is taken often.
        let mut p = params();
        p.spike_rate = 400.0;
        let factors: Vec<f64> = (0..400).map(|d| 0.9 + 0.001 * f64::from(d)).collect();
        let hours = 365 * 24;
        let mut rng = Streams::new(4, 0).of(StreamKind::EnergyPrice);
        let mut out = Vec::new();
        generate_hourly_prices(&p, &factors, hours, &mut rng, 1.0, &mut out);

        let mut reference = Streams::new(4, 0).of(StreamKind::EnergyPrice);
        let (ou, m) = p.step_constants();
        let sd = (p.volatility * p.volatility / (2.0 * p.reversion)).sqrt();
        let z0: f64 = StandardNormal.sample(&mut reference);
        let mut x = sd * z0;
        let gap = GeometricGap::new(p.spike_rate / HOURS_PER_YEAR);
        let mut until = gap.sample(&mut reference);
        let mut left = 0u64;
        let mut spikes = 0;
        for (h, &price) in out.iter().enumerate() {
            let z: f64 = StandardNormal.sample(&mut reference);
            x = ou.step(x, z);
            if left == 0 {
                if until == 0 {
                    left = geometric_at_least_one(&mut reference, p.spike_mean_hours);
                    until = gap.sample(&mut reference);
                    spikes += 1;
                } else {
                    until -= 1;
                }
            }
            let expected = if left > 0 {
                left -= 1;
                p.spike_price
            } else {
                factors[h / 24] * math::exp(m + x)
            };
            assert_eq!(price.to_bits(), expected.min(p.cap).to_bits(), "hour {h}");
        }
        assert!(spikes > 300, "{spikes} spikes");
        assert_eq!(rng.next_u64(), reference.next_u64());
    }

    #[test]
    fn spikes_start_as_often_as_an_hourly_trial_would_start_them() {
        // The model: in each hour outside a spike, a spike starts with probability
        // p = 1 − e^(−rate/8766) and lasts a geometric number of hours of mean L (≥ 1, the
        // first of them the hour it starts). Renewal: a cycle is G hours without a start,
        // G ~ Geometric(p) failures with E[G] = (1 − p)/p = 1/(e^λ − 1), then L spike hours.
        // At 400/yr, λ = 400/8766 = 0.045631, E[G] = 21.419, L = 4: E[cycle] = 25.419 hours,
        // so 175,320 hours (20 years) hold 6,897 starts and a share 4/25.419 = 15.74% of
        // spike hours. Var(cycle) = (1 − p)/p² + (1 − 1/L)·L² = 480.2 + 12 = 492.2, so the
        // count's sd is √(6,897 · 492.2 / 25.419²) ≈ 72 (1.0%); allow 4%.
        let hours = 20 * HOURS_PER_YEAR as usize;
        let in_spike = spike_hours(400.0, hours, 9);
        let lambda = 400.0 / HOURS_PER_YEAR;
        let cycle = 1.0 / (lambda.exp() - 1.0) + 4.0;
        // A run of spike hours begins after an hour outside spikes. A start in the hour right
        // after a spike (G = 0, probability p = 1 − e^(−λ) = 0.04461) extends that run, so
        // 6,897 · e^(−λ) = 6,590 runs.
        let runs = in_spike.windows(2).filter(|w| !w[0] && w[1]).count();
        let share = in_spike.iter().filter(|&&b| b).count() as f64 / hours as f64;
        let expected_runs = hours as f64 / cycle * (-lambda).exp();
        assert!(
            (runs as f64 / expected_runs - 1.0).abs() < 0.04,
            "{runs} runs of spike hours vs {expected_runs}"
        );
        assert!((share / (4.0 / cycle) - 1.0).abs() < 0.04, "share {share}");
    }

    #[test]
    fn a_price_summary_is_the_sum_least_and_greatest() {
        // Small integers add exactly in any order, so the sums are exact: 1 + 2 + … + n =
        // n(n + 1)/2. Lengths 0 to 25 cover every remainder of the four lanes.
        for n in 0..=25u32 {
            let prices: Vec<f64> = (1..=n).rev().map(f64::from).collect();
            let s = PriceSummary::of(&prices);
            assert_eq!(s.sum, f64::from(n * (n + 1) / 2), "n = {n}");
            assert_eq!(s.min, if n == 0 { f64::INFINITY } else { 1.0 });
            assert_eq!(
                s.max,
                if n == 0 {
                    f64::NEG_INFINITY
                } else {
                    f64::from(n)
                }
            );
            // Below 10.5: the hours priced 1 to min(n, 10), summing to k(k + 1)/2.
            let k = n.min(10);
            assert_eq!(
                PriceSummary::below(&prices, 10.5),
                (u64::from(k), f64::from(k * (k + 1) / 2))
            );
        }
    }

    #[test]
    fn every_hour_below_gives_the_summary_sum_to_the_bit() {
        // `hours_below` takes `of(prices).sum` for a run wholly below the level and a pass,
        // `below(prices, level)`, otherwise; the two must agree when every hour is below, so
        // that which branch runs never shows in the books. At levels across the prices,
        // `hours_below` must equal the pass bit for bit.
        let mut rng = Streams::new(5, 0).of(StreamKind::EnergyPrice);
        let mut out = Vec::new();
        generate_hourly_prices(&params(), &[], 24 * 50, &mut rng, 1.0, &mut out);
        for len in [1, 5, 23, 24] {
            for day in out.chunks(len) {
                let s = PriceSummary::of(day);
                let (count, sum) = PriceSummary::below(day, f64::INFINITY);
                assert_eq!((count, sum.to_bits()), (day.len() as u64, s.sum.to_bits()));
                for level in [0.0, s.min, 40.0, s.max, s.max.next_up()] {
                    let (a, b) = (s.hours_below(day, level), PriceSummary::below(day, level));
                    assert_eq!((a.0, a.1.to_bits()), (b.0, b.1.to_bits()), "level {level}");
                }
            }
        }
    }
}
