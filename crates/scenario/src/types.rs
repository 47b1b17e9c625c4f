//! The scenario file's typed shape: what a user writes, in the units the industry uses.
//!
//! Field names carry their units (`grid_mw`, `price_usd`, `mean_usd_per_mwh`) so a file reads
//! without a manual. Every struct denies unknown fields, so a misspelled key is an error rather
//! than a silently ignored default.
//!
//! Each number's range is declared here, next to its field (`#[schemars(range(..))]`, with
//! `x-expected` saying what it means): the JSON Schema carries it to editors and
//! [`super::ranges`] enforces it, so it is written once. Checks across fields live in
//! [`super::resolve`]. The sections sit in submodules (markets, finance, sites, plans),
//! re-exported here; this file holds the top level, shocks and distributions.

mod finance;
mod markets;
mod plans;
mod sites;

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

pub use finance::*;
pub use markets::*;
pub use plans::*;
pub use sites::*;

/// Longest horizon accepted, years.
pub const MAX_HORIZON_YEARS: u32 = 50;
/// Most plans simulated in one run, stressed copies included (`--stress` adds one copy of
/// every plan per stress). Memory and `summary.json` grow linearly with it (about 0.5 GB and
/// 70 MB at 1,000 plans on the default scenario).
pub const MAX_PLANS: usize = 1_000;
/// Most replications accepted in one run.
pub const MAX_RUNS: u64 = 100_000_000;
/// Blocks between difficulty retargets (a consensus constant; the model's protocol rules use
/// this one, so that validation and simulation agree).
pub const RETARGET_INTERVAL_BLOCKS: u64 = 2016;
/// Height at which the block subsidy reaches zero (33 halvings of 210,000 blocks).
pub const LAST_SUBSIDY_HEIGHT: u64 = 33 * 210_000;

/// A calendar date written `YYYY-MM-DD`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format("%Y-%m-%d"))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                    .map(Date)
                    .map_err(|_| {
                        E::custom(format!(
                            "`{}` is not a date; expected YYYY-MM-DD",
                            crate::names::shown(v)
                        ))
                    })
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

/// Dates are strings to JSON Schema: `format: date` is RFC 3339's `full-date`, which is the
/// `YYYY-MM-DD` the deserializer reads.
impl JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar date written YYYY-MM-DD."
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// A whole scenario: the world's markets, the operator's sites, and the plans to compare.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A human-readable name, shown in reports.
    pub name: String,
    /// First day simulated (00:00 UTC).
    pub start: Date,
    /// Simulated length in calendar years (1 to 50).
    #[schemars(range(min = 1, max = MAX_HORIZON_YEARS))]
    pub horizon_years: u32,
    /// Root random seed. When absent and none is given on the command line, one is drawn,
    /// printed and recorded in the outputs.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Monte Carlo replications (futures) per plan.
    #[serde(default = "default_runs")]
    #[schemars(range(min = 1, max = MAX_RUNS))]
    pub runs: u64,
    /// Antithetic futures: replications in pairs (0 and 1, 2 and 3, …) whose BTC price,
    /// hashrate and energy paths, construction luck, tenant default clocks and AI market take
    /// opposite draws, so the mean's interval is
    /// narrower for the same runs. Off by default; on, the odd replications' futures differ
    /// from those of a run without it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub antithetic: bool,
    /// Annual discount rate for NPV, as a fraction (0.12 = 12%/yr): both the project and the
    /// equity rate unless `finance.discount_rates` gives them (which then take precedence).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub discount_rate: f64,
    /// Cash at the start, USD.
    #[schemars(range(min = -1e13, max = 1e13), extend("x-expected" = "USD"))]
    pub starting_cash_usd: f64,
    /// The world: markets the operator cannot influence.
    pub market: Market,
    /// Debt, covenants, taxes and valuation. Without it: no debt, no taxes, no terminal value.
    #[serde(default)]
    pub finance: Option<Finance>,
    /// Scheduled shocks, applied identically in every replication and plan.
    #[serde(default)]
    pub shocks: Vec<Shock>,
    /// Named sets of extra shocks. `pivotsim run --stress NAME` runs every plan with and
    /// without the set, on the same futures.
    #[serde(default)]
    pub stresses: Vec<Stress>,
    /// The uncertain inputs `pivotsim sensitivity` varies when no `--param` is given, each
    /// from its low to its high value. Without it, the command's shipped list is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_SENSITIVITY_INPUTS), extend("x-expected" = "sensitivity input"))]
    pub sensitivity: Vec<SensitivityInput>,
    /// The operator's sites.
    #[schemars(length(min = 1), extend("x-expected" = "site"))]
    pub sites: Vec<Site>,
    /// Plans to compare on the same futures: at least one, at most 1,000.
    #[schemars(length(min = 1, max = MAX_PLANS), extend("x-expected" = "plan"))]
    pub plans: Vec<Plan>,
}

fn default_runs() -> u64 {
    1_000
}

/// Exogenous markets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Bitcoin price, network and fees.
    pub bitcoin: BitcoinMarket,
    /// Wholesale electricity.
    pub energy: EnergyMarket,
    /// The AI/HPC hosting market: tenant inquiries, lease terms, GPU-hour prices. Without it
    /// no tenant ever asks for capacity.
    #[serde(default)]
    pub ai: Option<AiMarket>,
    /// What used ASICs sell for.
    #[serde(default)]
    pub asic_resale: Option<AsicResale>,
}

/// A scheduled event applied identically in every replication and plan: how an operator
/// stress-tests a plan ("BTC −50% on 2027-06-01").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shock {
    /// The BTC price is multiplied by `factor` at the start of `date`.
    BtcPrice {
        /// When.
        date: Date,
        /// Multiplier (0.5 = −50%).
        #[schemars(range(min = 1e-6, max = 1_000.0), extend("x-expected" = "a multiplier above 0"))]
        factor: f64,
    },
    /// The network hashrate is multiplied by `factor` at the start of `date`.
    NetworkHashrate {
        /// When.
        date: Date,
        /// Multiplier.
        #[schemars(range(min = 1e-6, max = 1_000.0), extend("x-expected" = "a multiplier above 0"))]
        factor: f64,
    },
    /// The hourly energy price is `usd_per_mwh` from `from` to `to` (exclusive).
    EnergySpike {
        /// First day.
        from: Date,
        /// Day after the last.
        to: Date,
        /// Price, USD/MWh (capped at the market cap).
        #[schemars(range(min = 0.0, max = 1e6), extend("x-expected" = "USD/MWh"))]
        usd_per_mwh: f64,
    },
    /// The AI market turns to bust on `date` (it may recover by its hazard).
    AiBust {
        /// When.
        date: Date,
    },
    /// The base rate steps by `delta` from `date` on.
    RateStep {
        /// When.
        date: Date,
        /// Change, fraction per year (0.02 = +200 bp).
        #[schemars(range(min = -0.5, max = 0.5), extend("x-expected" = "a change in the rate per year"))]
        delta: f64,
    },
    /// The grid at `site` is down for `days` from the start of `date`.
    GridOutage {
        /// Site name.
        site: String,
        /// First day.
        date: Date,
        /// Length, days.
        #[schemars(range(min = 1.0 / 24.0, max = 3_650.0), extend("x-expected" = "days"))]
        days: f64,
    },
    /// The largest billing lease (by MW) defaults on `date`.
    LargestTenantDefaults {
        /// When.
        date: Date,
    },
}

/// A named set of shocks for `--stress NAME`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stress {
    /// Name, given to `--stress`.
    pub name: String,
    /// Shocks added to the scenario's own.
    pub shocks: Vec<Shock>,
}

/// Most inputs of a `sensitivity:` list (and of one `pivotsim sensitivity` run): a tornado
/// simulates two variants per input, a Sobol design `samples × (inputs + 2)`.
pub const MAX_SENSITIVITY_INPUTS: usize = 40;

/// One uncertain input of a sensitivity analysis: a scenario value and the range it may take.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivityInput {
    /// The value varied, written as `--set` writes it (`market.bitcoin.volatility`);
    /// `[*]` stands for every item of a list (`plans[*].actions[*].capex_usd_per_mw` sets
    /// every conversion's capex that the file writes).
    pub path: String,
    /// The low value, in the unit of the field.
    #[schemars(range(min = -1e15, max = 1e15), extend("x-expected" = "the field's unit"))]
    pub low: f64,
    /// The high value, in the unit of the field; above `low`.
    #[schemars(range(min = -1e15, max = 1e15), extend("x-expected" = "the field's unit"))]
    pub high: f64,
    /// What tables and charts call it (default: the path).
    #[serde(default)]
    pub label: Option<String>,
}

/// A probability distribution for a sampled quantity, written `{dist: NAME, ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: f64,
    },
    /// Lognormal with the given median and σ of the log.
    Lognormal {
        /// Median (e^μ).
        median: f64,
        /// Standard deviation of the log.
        #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "σ of the log"))]
        sigma: f64,
    },
    /// Weibull with shape k and scale λ: mean λ·Γ(1 + 1/k).
    Weibull {
        /// Shape k.
        #[schemars(range(min = 0.05, max = 100.0), extend("x-expected" = "a shape above 0"))]
        shape: f64,
        /// Scale λ.
        scale: f64,
    },
    /// Gamma with shape k and scale θ: mean k·θ.
    Gamma {
        /// Shape k.
        #[schemars(range(min = 0.01, max = 1_000.0), extend("x-expected" = "a shape above 0"))]
        shape: f64,
        /// Scale θ.
        scale: f64,
    },
}
