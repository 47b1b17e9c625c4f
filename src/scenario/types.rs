//! The scenario file's typed shape: what a user writes, in the units the industry uses.
//!
//! Field names carry their units (`grid_mw`, `price_usd`, `mean_usd_per_mwh`) so a file reads
//! without a manual. Every struct denies unknown fields, so a misspelled key is an error rather
//! than a silently ignored default. Semantic checks live in `validate`; this file is only shape.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

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
                    .map_err(|_| E::custom(format!("`{v}` is not a date; expected YYYY-MM-DD")))
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// A whole scenario: the world's markets, the operator's sites, and the plans to compare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A human-readable name, shown in reports.
    pub name: String,
    /// First day simulated (00:00 UTC).
    pub start: Date,
    /// Simulated length in calendar years (1 to 50).
    pub horizon_years: u32,
    /// Root random seed. When absent and none is given on the command line, one is drawn,
    /// printed and recorded in the outputs.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Monte Carlo replications (futures) per plan.
    #[serde(default = "default_runs")]
    pub runs: u64,
    /// Annual discount rate for NPV, as a fraction (0.12 = 12%/yr).
    pub discount_rate: f64,
    /// Cash at the start, USD.
    pub starting_cash_usd: f64,
    /// The world: markets the operator cannot influence.
    pub market: Market,
    /// The operator's sites.
    pub sites: Vec<Site>,
    /// Plans to compare on the same futures. At least one.
    pub plans: Vec<Plan>,
}

fn default_runs() -> u64 {
    1_000
}

/// Exogenous markets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Bitcoin price, network and fees.
    pub bitcoin: BitcoinMarket,
    /// Wholesale electricity.
    pub energy: EnergyMarket,
}

/// The bitcoin market and network, stepped daily.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitcoinMarket {
    /// BTC price at the start, USD.
    pub price_usd: f64,
    /// Expected return of the BTC price, per year (0.0 = no drift; jumps are compensated).
    pub drift_per_year: f64,
    /// Diffusion volatility of the BTC price, annualised (0.5 = 50%/√yr).
    pub volatility: f64,
    /// Merton jumps in the BTC price.
    pub jumps: PriceJumps,
    /// Mining difficulty at the start (for example 1.3379e14 for 133.79 T).
    pub difficulty: f64,
    /// Block height at the start: the height of the next block to be mined.
    pub height: u64,
    /// Blocks of the current difficulty epoch already mined at the start. Default: derived from
    /// `height` (height mod 2016), which assumes `height` counts from genesis.
    #[serde(default)]
    pub epoch_blocks_mined: Option<u64>,
    /// Network hashrate at the start, EH/s.
    pub network_hashrate_eh_s: f64,
    /// How the network hashrate evolves.
    pub hashrate: HashrateProcess,
    /// Transaction fees per block.
    pub fees: Fees,
}

/// Compound-Poisson jumps in log price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceJumps {
    /// Expected jumps per year.
    pub rate_per_year: f64,
    /// Mean of the log jump size (−0.10 ≈ a 10% drop).
    pub mean_log_size: f64,
    /// Standard deviation of the log jump size.
    pub std_log_size: f64,
}

/// Network hashrate: d ln H = (trend + response · ln(hashprice / breakeven)) dt + volatility dW.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashrateProcess {
    /// Growth rate of ln H when hashprice sits at the breakeven, per year.
    pub trend_per_year: f64,
    /// Volatility of ln H, annualised.
    pub volatility: f64,
    /// Sensitivity of growth to ln(hashprice / breakeven), per year. Positive: machines come
    /// online when mining pays and switch off when it does not, so the network can shrink.
    pub response_per_year: f64,
    /// Hashprice at which the marginal network fleet breaks even, USD per PH/s per day.
    pub breakeven_hashprice_usd_per_ph_day: f64,
}

/// Fees per block: a lognormal base level plus rare spike regimes (inscription waves).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// Mean fees per block in the base regime, BTC.
    pub mean_btc_per_block: f64,
    /// Day-to-day lognormal dispersion of the base level (σ of ln fees).
    pub volatility: f64,
    /// Expected spike regimes per year.
    pub spike_rate_per_year: f64,
    /// Mean length of a spike regime, days (exponential).
    pub spike_mean_days: f64,
    /// Fees during a spike as a multiple of the base mean.
    pub spike_multiplier: f64,
}

/// Hourly wholesale electricity price: exponential of a mean-reverting (Ornstein–Uhlenbeck)
/// log level, with Poisson spikes and optional monthly seasonality.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyMarket {
    /// Long-run mean price outside spikes, USD/MWh.
    pub mean_usd_per_mwh: f64,
    /// Mean-reversion speed of the log price, per year (100 ≈ a 2.5-day half-life).
    pub reversion_per_year: f64,
    /// Volatility of the log price, per √year.
    pub volatility: f64,
    /// Expected price spikes per year.
    pub spike_rate_per_year: f64,
    /// Price during a spike, USD/MWh.
    pub spike_usd_per_mwh: f64,
    /// Mean spike length, hours (exponential, at least one hour).
    pub spike_mean_hours: f64,
    /// Market price cap, USD/MWh.
    pub cap_usd_per_mwh: f64,
    /// Multipliers on the mean for January..December. Default: all 1.
    #[serde(default)]
    pub monthly_factors: Option<Vec<f64>>,
}

/// A site: one grid connection, one energy contract, several halls.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Unique name.
    pub name: String,
    /// Grid interconnect limit, MW at the meter (IT load × PUE must stay below it).
    pub grid_mw: f64,
    /// Non-power operating cost, USD per MW of installed IT capacity per month.
    pub opex_usd_per_mw_month: f64,
    /// Mining pool fee, fraction of mining revenue (0.02 = 2%).
    #[serde(default)]
    pub pool_fee: f64,
    /// A fixed-price power purchase agreement, settled against the hourly price.
    #[serde(default)]
    pub ppa: Option<Ppa>,
    /// Payment for load curtailed during high-price hours.
    #[serde(default)]
    pub demand_response: Option<DemandResponse>,
    /// The site's halls.
    pub halls: Vec<Hall>,
}

/// A fixed-price block of power: the site pays `price_usd_per_mwh` on a fixed volume and
/// buys or sells the difference from its actual draw at the hourly price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ppa {
    /// Share of the site's full facility load (installed IT × PUE) covered, 0–1.
    pub share: f64,
    /// Contract price, USD/MWh.
    pub price_usd_per_mwh: f64,
}

/// A demand-response programme: curtailed energy earns a credit in hours priced above a
/// trigger.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandResponse {
    /// Hourly price at or above which curtailment earns the credit, USD/MWh.
    pub trigger_usd_per_mwh: f64,
    /// Credit per MWh curtailed, USD/MWh.
    pub credit_usd_per_mwh: f64,
}

/// How a hall rejects heat.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cooling {
    /// Fans and outside air.
    Air,
    /// Single- or two-phase immersion tanks.
    Immersion,
    /// Water-cooled (hydro) ASICs.
    Hydro,
    /// Direct-to-chip liquid cooling for GPU racks.
    Liquid,
}

/// A hall: the unit of capacity that changes use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hall {
    /// Name, unique within its site.
    pub name: String,
    /// Rack positions.
    pub rack_slots: u32,
    /// Most IT power one rack position can carry, kW.
    pub max_kw_per_rack: f64,
    /// Cooling technology.
    pub cooling: Cooling,
    /// Heat the cooling plant can reject, MW (equal to the IT load it can carry).
    pub cooling_mw: f64,
    /// Power usage effectiveness: facility power / IT power (≥ 1).
    pub pue: f64,
    /// ASIC fleets installed at the start.
    #[serde(default)]
    pub asics: Vec<AsicFleet>,
}

/// One model of ASIC in a hall.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsicFleet {
    /// Model name, for reports.
    pub model: String,
    /// Hashrate of one unit, TH/s.
    pub th_s: f64,
    /// Power of one unit at the wall, W.
    pub watts: f64,
    /// Units installed.
    pub units: u32,
    /// Units that fit in one rack position.
    pub units_per_rack: u32,
    /// Hard failures per unit per year, as a fraction (0.06 = 6%/yr).
    pub annual_failure_rate: f64,
    /// Days a failed unit is out before it hashes again.
    pub repair_days: u32,
}

/// A named plan: what the operator does over the horizon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Unique name.
    pub name: String,
    /// Dated actions, applied in date order.
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// A dated change the operator makes. This version knows no action kinds yet: every plan is
/// "keep the sites as they are" (the mining baseline). Conversions, ASIC purchases and sales,
/// grid upgrades and tenant signings are added here as variants.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {}

impl fmt::Display for Cooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cooling::Air => "air",
            Cooling::Immersion => "immersion",
            Cooling::Hydro => "hydro",
            Cooling::Liquid => "liquid",
        })
    }
}
