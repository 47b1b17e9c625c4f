//! Which assumption decides a plan's value: one-at-a-time swings (the tornado) and
//! variance-based Sobol indices, computed from every future's value of one measure.
//!
//! This module holds the analysis, not the simulation or the files: the command builds the
//! variants (an input at its low, at its high, or a point of a Sobol design), `evaluate` runs
//! them on common futures, and the functions here turn their per-future values into swings
//! and indices. The shipped list of uncertain inputs ([`DEFAULT_INPUTS`]) lives here too, with
//! each range's source in docs/sources.md ("Sensitivity ranges").

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::analysis::estimate::{Estimate, Statistic, estimate, paired_difference};
use crate::analysis::evaluate::VariantValues;
use crate::stats::sobol::{self, SaltelliDesign, SobolIndices};

/// One uncertain input: the scenario values it sets (one or more paths, all set to the same
/// value) and its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// What tables and charts call it.
    pub label: String,
    /// The scenario paths set (a pattern's expansion).
    pub paths: Vec<String>,
    /// The low value, as the scenario reads it (usually a number).
    pub low: serde_json::Value,
    /// The high value.
    pub high: serde_json::Value,
    /// Whether a sampled value must be a whole number: the field holds one (a month count)
    /// and the range is written in whole numbers.
    pub whole: bool,
}

impl Input {
    /// The low and high values as numbers, when both are.
    pub fn numeric_range(&self) -> Option<(f64, f64)> {
        Some((self.low.as_f64()?, self.high.as_f64()?))
    }

    /// The value at `u` in [0, 1) of its range, for a Sobol design: `low + u (high − low)`,
    /// rounded to a whole number when the range is written in whole numbers. `None` when the
    /// range is not numeric.
    pub fn at(&self, u: f64) -> Option<serde_json::Value> {
        let (low, high) = self.numeric_range()?;
        let x = low + u * (high - low);
        Some(if self.whole {
            serde_json::Value::from(x.round() as i64)
        } else {
            serde_json::Value::from(x)
        })
    }
}

/// An entry of the shipped list: path patterns (`[*]` for every item of a list; every
/// pattern's matches are set together) and a range.
#[derive(Debug, Clone, Copy)]
pub struct DefaultInput {
    /// The label.
    pub label: &'static str,
    /// Path patterns, expanded against the scenario; the input is skipped when none matches.
    pub patterns: &'static [&'static str],
    /// Low value.
    pub low: f64,
    /// High value.
    pub high: f64,
    /// Whether the fields are whole numbers (months).
    pub whole: bool,
}

impl DefaultInput {
    /// The input for the paths it matched.
    pub fn input(&self, paths: Vec<String>) -> Input {
        let value = |x: f64| {
            if self.whole {
                serde_json::Value::from(x as i64)
            } else {
                serde_json::Value::from(x)
            }
        };
        Input {
            label: self.label.to_owned(),
            paths,
            low: value(self.low),
            high: value(self.high),
            whole: self.whole,
        }
    }
}

/// The uncertain inputs varied when neither `--param` nor the scenario's `sensitivity:` list
/// names any: the low and high columns of the industry ranges in docs/sources.md
/// ("Sensitivity ranges"), where each figure's source is given.
pub const DEFAULT_INPUTS: [DefaultInput; 14] = [
    DefaultInput {
        label: "BTC price at start (USD)",
        patterns: &["market.bitcoin.price_usd"],
        low: 83_600.0,
        high: 106_900.0,
        whole: false,
    },
    DefaultInput {
        label: "BTC drift (/yr)",
        patterns: &["market.bitcoin.drift_per_year"],
        low: -0.30,
        high: 0.30,
        whole: false,
    },
    DefaultInput {
        label: "BTC volatility (/√yr)",
        patterns: &["market.bitcoin.volatility"],
        low: 0.40,
        high: 0.65,
        whole: false,
    },
    DefaultInput {
        label: "BTC jumps (/yr)",
        patterns: &["market.bitcoin.jumps.rate_per_year"],
        low: 1.0,
        high: 6.0,
        whole: false,
    },
    DefaultInput {
        label: "Rival miners' power cost (USD/MWh)",
        patterns: &["market.bitcoin.hashrate.power_usd_per_mwh"],
        low: 25.0,
        high: 65.0,
        whole: false,
    },
    DefaultInput {
        label: "Energy price level (USD/MWh)",
        patterns: &["market.energy.mean_usd_per_mwh"],
        low: 25.0,
        high: 60.0,
        whole: false,
    },
    DefaultInput {
        label: "AI inquiries (/yr)",
        patterns: &["market.ai.inquiries.rate_per_year"],
        low: 2.0,
        high: 8.0,
        whole: false,
    },
    DefaultInput {
        label: "Walk-in rent, year 1 (USD/kW-month)",
        patterns: &["market.ai.inquiries.price_usd_per_kw_month"],
        low: 82.0,
        high: 157.0,
        whole: false,
    },
    DefaultInput {
        label: "GPU-hour price (USD)",
        patterns: &["market.ai.gpu_hour.price_usd"],
        low: 1.50,
        high: 3.50,
        whole: false,
    },
    DefaultInput {
        label: "Tenant default hazard (/yr)",
        patterns: &["market.ai.lease.default_hazard_per_year"],
        low: 0.005,
        high: 0.05,
        whole: false,
    },
    DefaultInput {
        label: "Conversion capex (USD/MW)",
        patterns: &[
            "plans[*].actions[*].capex_usd_per_mw",
            "plans[*].rules[*].capex_usd_per_mw",
        ],
        low: 3.0e6,
        high: 15.0e6,
        whole: false,
    },
    DefaultInput {
        label: "Conversion lead time (months)",
        patterns: &[
            "plans[*].actions[*].lead_time_months",
            "plans[*].rules[*].lead_time_months",
        ],
        low: 6.0,
        high: 24.0,
        whole: true,
    },
    DefaultInput {
        label: "Project loan rate (/yr)",
        patterns: &[
            "plans[*].actions[*].debt.rate.fixed",
            "plans[*].rules[*].debt.rate.fixed",
        ],
        low: 0.09,
        high: 0.15,
        whole: false,
    },
    DefaultInput {
        label: "Equity discount rate (/yr)",
        patterns: &["finance.discount_rates.equity"],
        low: 0.15,
        high: 0.30,
        whole: false,
    },
];

/// Resamples behind a swing's interval when the statistic is not the mean.
pub const SWING_RESAMPLES: usize = 500;
/// Resamples behind a Sobol index's interval.
pub const SOBOL_RESAMPLES: usize = 1_000;

/// One input's effect on one plan: the statistic at the input's low and high values, and the
/// swing between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swing {
    /// The input's index.
    pub input: usize,
    /// The plan's index.
    pub plan: usize,
    /// The statistic with the input at its low value.
    pub low: Estimate,
    /// The statistic with the input at its high value.
    pub high: Estimate,
    /// `high − low` with its 95% interval.
    pub swing: Estimate,
}

/// The tornado of every plan: the base statistic per plan and every input's swing.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// The statistic of each plan at the base values.
    pub base: Vec<Estimate>,
    /// One entry per input and plan, input-major.
    pub swings: Vec<Swing>,
}

/// The tornado from the values of measure `measure` in `variants`: the base first, then each
/// input's low and high variant.
///
/// The swing is `stat(high) − stat(low)`, both on the same futures. Its interval: for the
/// mean, the swing ± the paired half-width (z·s_d/√n of the per-future differences, from
/// [`paired_difference`]); for any other statistic, the 2.5% and 97.5% points of the swing
/// over [`SWING_RESAMPLES`] paired bootstrap resamples of the futures (a resample keeps each
/// future's low and high values together), drawn from `seed`. An input no plan value depends
/// on gives the same values at low and high, hence a swing of exactly 0 with a zero-width
/// interval.
pub fn tornado(
    variants: &[VariantValues],
    measure: usize,
    statistic: Statistic,
    seed: u64,
) -> Tornado {
    let base_values = &variants[0];
    let plans = base_values.plans();
    let base = (0..plans)
        .map(|p| estimate(base_values.get(measure, p), statistic))
        .collect();
    let mut swings = Vec::new();
    for (input, pair) in variants[1..].chunks(2).enumerate() {
        for plan in 0..plans {
            let (lows, highs) = (pair[0].get(measure, plan), pair[1].get(measure, plan));
            let low = estimate(lows, statistic);
            let high = estimate(highs, statistic);
            let value = high.value - low.value;
            let (ci_low, ci_high) = if lows == highs {
                // Bit for bit the same futures: no effect, and no uncertainty about it.
                (0.0, 0.0)
            } else if statistic == Statistic::Mean {
                let h = paired_difference(lows, highs).half_width();
                (value - h, value + h)
            } else {
                let stream = seed ^ ((input as u64) << 32 | plan as u64);
                paired_bootstrap(lows, highs, statistic, stream)
            };
            swings.push(Swing {
                input,
                plan,
                low,
                high,
                swing: Estimate {
                    value,
                    low: ci_low,
                    high: ci_high,
                    futures: low.futures.min(high.futures),
                },
            });
        }
    }
    Tornado { base, swings }
}

/// The 95% percentile interval of `stat(high) − stat(low)` over paired resamples of the
/// futures.
fn paired_bootstrap(lows: &[f64], highs: &[f64], statistic: Statistic, seed: u64) -> (f64, f64) {
    let n = lows.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    let mut draws = Vec::with_capacity(SWING_RESAMPLES);
    for _ in 0..SWING_RESAMPLES {
        for k in 0..n {
            let j = rng.random_range(0..n);
            a[k] = lows[j];
            b[k] = highs[j];
        }
        let d = estimate(&b, statistic).value - estimate(&a, statistic).value;
        if !d.is_nan() {
            draws.push(d);
        }
    }
    if draws.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| draws[((q * draws.len() as f64) as usize).min(draws.len() - 1)];
    (at(0.025), at(0.975))
}

/// One input's Sobol indices for one plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolRow {
    /// The input's index.
    pub input: usize,
    /// The plan's index.
    pub plan: usize,
    /// First-order and total indices with their bootstrap intervals.
    pub indices: SobolIndices,
}

/// Sobol indices of every input for every plan, from the values of measure `measure` at the
/// points of `design` (one variant per point, in the design's order): each point's output is
/// `statistic` of the measure over the futures evaluated. Plan-major.
pub fn sobol(
    variants: &[VariantValues],
    design: &SaltelliDesign,
    measure: usize,
    statistic: Statistic,
    seed: u64,
) -> Vec<SobolRow> {
    let plans = variants.first().map_or(0, VariantValues::plans);
    let mut rows = Vec::new();
    for plan in 0..plans {
        let outputs: Vec<f64> = variants
            .iter()
            .map(|v| estimate(v.get(measure, plan), statistic).value)
            .collect();
        let indices = sobol::indices(
            &outputs,
            design.samples(),
            design.inputs(),
            SOBOL_RESAMPLES,
            seed ^ plan as u64,
        )
        .expect("one output per design point");
        rows.extend(
            indices
                .into_iter()
                .enumerate()
                .map(|(input, indices)| SobolRow {
                    input,
                    plan,
                    indices,
                }),
        );
    }
    rows
}

/// The scramble of a Sobol design drawn from a scenario's seed (both halves folded into the
/// 32 bits `sobol_burley` takes), so that another seed gives another design.
pub fn design_seed(seed: u64) -> u32 {
    (seed ^ (seed >> 32)) as u32
}

/// Futures `[start, end)` of shard `index` (from 1) of `count` over `runs` futures: the
/// shards split them as evenly as whole futures allow, in order.
pub fn shard_futures(runs: u64, index: u64, count: u64) -> std::ops::Range<u64> {
    let at = |k: u64| (u128::from(runs) * u128::from(k) / u128::from(count.max(1))) as u64;
    at(index.saturating_sub(1))..at(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(per_future: &[f64]) -> VariantValues {
        VariantValues::from_values(1, per_future.len(), per_future.to_vec())
    }

    #[test]
    fn swings_by_hand() {
        // Base 10, 20, 30; input 0 moves every future by −5 at low and +5 at high, so the
        // mean swing is exactly 10 with no spread (interval of zero width); input 1 changes
        // nothing: exactly 0.
        let variants = [
            values(&[10.0, 20.0, 30.0]),
            values(&[5.0, 15.0, 25.0]),
            values(&[15.0, 25.0, 35.0]),
            values(&[10.0, 20.0, 30.0]),
            values(&[10.0, 20.0, 30.0]),
        ];
        let t = tornado(&variants, 0, Statistic::Mean, 1);
        assert_eq!(t.base[0].value, 20.0);
        assert_eq!(t.swings[0].swing.value, 10.0);
        assert_eq!(
            (t.swings[0].swing.low, t.swings[0].swing.high),
            (10.0, 10.0)
        );
        assert_eq!(t.swings[1].swing.value, 0.0);
        assert_eq!((t.swings[1].swing.low, t.swings[1].swing.high), (0.0, 0.0));
        // The median moves by the same 10; every paired resample of a constant shift moves
        // it by 10 too, so the bootstrap interval is [10, 10].
        let m = tornado(&variants, 0, Statistic::Quantile(0.5), 1);
        assert_eq!(m.swings[0].swing.value, 10.0);
        assert_eq!(
            (m.swings[0].swing.low, m.swings[0].swing.high),
            (10.0, 10.0)
        );
    }

    #[test]
    fn shards_cover_the_futures_once_in_order() {
        // 10 futures in 3 shards: ⌊10k/3⌋ for k = 0..3 gives 0, 3, 6, 10.
        assert_eq!(shard_futures(10, 1, 3), 0..3);
        assert_eq!(shard_futures(10, 2, 3), 3..6);
        assert_eq!(shard_futures(10, 3, 3), 6..10);
        assert_eq!(shard_futures(2, 1, 4), 0..0);
    }

    #[test]
    fn sampled_values_keep_the_range_and_its_kind() {
        let months = DEFAULT_INPUTS[11].input(vec!["x".into()]);
        assert_eq!(months.at(0.0), Some(serde_json::json!(6)));
        assert_eq!(months.at(0.5), Some(serde_json::json!(15)));
        let rate = DEFAULT_INPUTS[2].input(vec!["x".into()]);
        assert_eq!(rate.at(0.5), Some(serde_json::json!(0.525)));
    }
}
