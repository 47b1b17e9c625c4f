//! GPU-hour prices by generation: what an operator-owned GPU of each generation rents for,
//! each day of a replication.
//!
//! GPU cloud is priced by generation: a generation launches at a premium, steps down when a
//! newer one launches (the H100 went from $8–12 an hour in 2023 to about $2 by 2025–26) and
//! drifts down with age in between. The *level* of each generation is deterministic (a
//! function of its launch, the newer launches and its age); the market's mean-reverting noise
//! and its boom/bust price factor multiply every generation alike, so generations move
//! together around their own falling levels. The noise is one path per replication from the
//! `GpuPrice` stream, as before generations existed: a scenario without generations has one
//! generation at the market's long-run level and the same prices as before.

use pivotsim_engine::math;
use pivotsim_engine::{Calendar, DAYS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_YEAR, SimTime};
use pivotsim_scenario::{AiRegime, GpuHourPrice};

use crate::world::ai_market::{AiParams, AiWorld};
use crate::world::samplers::MeanReversion;
use crate::world::streams::{StreamKind, Streams};

/// The price levels of the GPU generations, in years from the scenario's start.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuGenerationLevels {
    /// Each generation's launch (years from the start; negative before it) and level at the
    /// start or at its launch if later (USD per GPU-hour, in a boom), in the scenario's order.
    generations: Vec<(f64, f64)>,
    /// Every launch that steps older generations down: the listed ones and the periodic ones
    /// after them up to the horizon, years from the start.
    launches: Vec<f64>,
    /// Multiple of an older generation's level at each newer launch.
    step: f64,
    /// ln(1 − decline per year): a generation's level falls by exp(this × years of age).
    ln_drift: f64,
}

impl GpuGenerationLevels {
    /// From the scenario's GPU-hour section: its generations, or (without them, or with an
    /// empty list) one unnamed generation at `long_run_usd` that never falls. `calendar` dates the launches;
    /// `horizon_years` bounds the periodic ones.
    pub fn new(m: &GpuHourPrice, calendar: &Calendar, horizon_years: f64) -> Self {
        let Some(g) = m.generations.as_ref().filter(|g| !g.list.is_empty()) else {
            return GpuGenerationLevels {
                generations: vec![(f64::NEG_INFINITY, m.long_run_usd)],
                launches: Vec::new(),
                step: 1.0,
                ln_drift: 0.0,
            };
        };
        let years_from_start = |date: chrono::NaiveDate| {
            let days = (date - calendar.start()).num_days();
            days as f64 / DAYS_PER_YEAR
        };
        let generations: Vec<(f64, f64)> = g
            .list
            .iter()
            .map(|x| (years_from_start(x.launch.0), x.price_usd))
            .collect();
        let mut launches: Vec<f64> = generations.iter().map(|x| x.0).collect();
        if let (Some(every), Some(&last)) = (
            g.launch_every_years,
            launches.iter().max_by(|a, b| a.total_cmp(b)),
        ) {
            let mut next = last + every;
            while next <= horizon_years {
                launches.push(next);
                next += every;
            }
        }
        GpuGenerationLevels {
            generations,
            launches,
            step: g.launch_step_factor,
            ln_drift: math::ln(1.0 - g.decline_per_year),
        }
    }

    /// Number of generations (1 without a list).
    pub fn len(&self) -> usize {
        self.generations.len()
    }

    /// Whether there is no generation (never: a scenario has at least the implicit one).
    pub fn is_empty(&self) -> bool {
        self.generations.is_empty()
    }

    /// Level of generation `g` at `years` from the start, USD per GPU-hour in a boom (before
    /// noise): its starting level × step^(newer launches since its start) × (1 − decline)^age,
    /// age counted from the start or its launch, whichever is later. Before its launch: its
    /// launch level.
    pub fn level(&self, g: usize, years: f64) -> f64 {
        let Some(&(launch, price)) = self.generations.get(g) else {
            return 0.0;
        };
        let from = launch.max(0.0);
        if years <= from {
            return price;
        }
        let newer = self
            .launches
            .iter()
            .filter(|&&l| l > launch && l > from && l <= years)
            .count();
        let stepped = if newer == 0 {
            price
        } else {
            price * math::powf(self.step, newer as f64)
        };
        if self.ln_drift == 0.0 {
            stepped
        } else {
            stepped * math::exp(self.ln_drift * (years - from))
        }
    }
}

impl AiWorld {
    /// Generates the daily GPU-hour price of each generation into `self.gpu_prices_daily`
    /// (after the regimes): an exact daily OU step of the shared log deviation x from the
    /// level (starting at ln(price / long run)), and each generation's price that day is its
    /// level × e^x × the regime's price factor at the day's start.
    pub fn generate_gpu_prices(
        &mut self,
        p: &AiParams,
        levels: &GpuGenerationLevels,
        days: u64,
        streams: Streams,
    ) {
        self.gpu_prices_daily.clear();
        self.gpu_prices_daily
            .resize_with(levels.len(), || Vec::with_capacity(days as usize));
        let mut rng = streams.of(StreamKind::GpuPrice);
        let ou = MeanReversion::exact(p.gpu_reversion, p.gpu_volatility, 1.0 / DAYS_PER_YEAR);
        let mut x = math::ln(p.gpu_price / p.gpu_long_run);
        let mut k = 0;
        for day in 0..days {
            if day > 0 {
                x = ou.advance(x, &mut rng);
            }
            let t = SimTime::from_secs(day * SECONDS_PER_DAY);
            while k + 1 < self.regimes.len() && self.regimes[k + 1].0 <= t {
                k += 1;
            }
            let factor = p.price_factor(self.regimes[k].1);
            let years = t.secs() as f64 / SECONDS_PER_YEAR;
            let noise = math::exp(x);
            for (g, prices) in self.gpu_prices_daily.iter_mut().enumerate() {
                prices.push(levels.level(g, years) * noise * factor);
            }
        }
    }

    /// Generation `g`'s GPU-hour price on `day`, USD (0 past the path).
    pub fn gpu_price(&self, g: usize, day: u64) -> f64 {
        self.gpu_prices_daily
            .get(g)
            .and_then(|p| p.get(day as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// Whether the market is in a bust at the start of `day` (the regime the day's price and
    /// spot utilisation follow).
    pub fn bust_on(&self, day: u64) -> bool {
        self.regime_at(SimTime::from_secs(day * SECONDS_PER_DAY)) == AiRegime::Bust
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_scenario::{GpuGeneration, GpuGenerations};

    fn levels(step: f64, decline: f64, every: Option<f64>) -> GpuGenerationLevels {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let calendar = Calendar::new(start);
        let date =
            |y, m| pivotsim_scenario::Date(chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap());
        let m = GpuHourPrice {
            price_usd: 2.0,
            long_run_usd: 2.0,
            reversion_per_year: 1.0,
            volatility: 0.0,
            generations: Some(GpuGenerations {
                list: vec![
                    GpuGeneration {
                        name: "H100".into(),
                        launch: date(2023, 3),
                        price_usd: 2.0,
                    },
                    GpuGeneration {
                        name: "B200".into(),
                        launch: date(2025, 3),
                        price_usd: 4.0,
                    },
                    GpuGeneration {
                        name: "Rubin".into(),
                        launch: date(2027, 1),
                        price_usd: 8.0,
                    },
                ],
                launch_step_factor: step,
                decline_per_year: decline,
                launch_every_years: every,
            }),
        };
        GpuGenerationLevels::new(&m, &calendar, 10.0)
    }

    #[test]
    fn a_launch_steps_the_older_generations_down_by_the_factor() {
        // Rubin launches 2027-01-01, 365 days (0.99932 years) after the start. Without drift,
        // the H100 ($2.00) and the B200 ($4.00) are worth 0.75 × that from then on: $1.50 and
        // $3.00; Rubin itself keeps its launch level of $8.00.
        let l = levels(0.75, 0.0, None);
        let launch = 365.0 / DAYS_PER_YEAR;
        assert_eq!(l.level(0, launch - 1e-6), 2.0);
        assert!((l.level(0, launch) - 1.5).abs() < 1e-12);
        assert!((l.level(1, launch) - 3.0).abs() < 1e-12);
        assert_eq!(l.level(2, launch), 8.0);
    }

    #[test]
    fn levels_drift_with_age_and_step_at_periodic_launches() {
        // Decline 10%/yr and a launch every 2 years after Rubin (2027-01-01 + 2, + 4, ... years
        // from the start: 2.999, 4.999, ...). At 4 years from the start, the H100 has seen
        // Rubin and one periodic launch: 2.0 × 0.75² × 0.9⁴ = 0.738 1 (to 1e-9). Rubin, 3.0007
        // years old, has seen the periodic launch: 8 × 0.75 × 0.9^(4 − 0.99932).
        let l = levels(0.75, 0.10, Some(2.0));
        let h100 = 2.0 * 0.75 * 0.75 * 0.9_f64.powi(4);
        assert!((l.level(0, 4.0) - h100).abs() < 1e-9, "{}", l.level(0, 4.0));
        assert!((h100 - 0.738_112_5).abs() < 1e-9);
        let rubin_age = 4.0 - 365.0 / DAYS_PER_YEAR;
        let rubin = 8.0 * 0.75 * 0.9_f64.powf(rubin_age);
        assert!((l.level(2, 4.0) - rubin).abs() < 1e-9);
    }
}
