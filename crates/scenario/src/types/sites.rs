//! The operator's sites in the scenario file: grid connections, energy contracts, outages,
//! halls and the ASIC fleets in them.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Dist;

/// A site: one grid connection, one energy contract, several halls.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Unique name.
    pub name: String,
    /// Grid interconnect limit, MW at the meter (IT load × PUE must stay below it).
    #[schemars(range(min = 1e-6, max = 100_000.0), extend("x-expected" = "MW, above 0"))]
    pub grid_mw: f64,
    /// Non-power operating cost, USD per MW of installed IT capacity per month.
    #[schemars(range(min = 0.0, max = 1e7), extend("x-expected" = "USD per MW-month"))]
    pub opex_usd_per_mw_month: f64,
    /// Operating cost of GPU-ready capacity (leased or vacant), USD per MW of IT per month.
    #[serde(default)]
    pub gpu_opex_usd_per_mw_month: f64,
    /// Mining pool fee, fraction of mining revenue (0.02 = 2%).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 0.5), extend("x-expected" = "a fraction of mining revenue"))]
    pub pool_fee: f64,
    /// A fixed-price power purchase agreement, settled against the hourly price.
    #[serde(default)]
    pub ppa: Option<Ppa>,
    /// Payment for load curtailed during high-price hours.
    #[serde(default)]
    pub demand_response: Option<DemandResponse>,
    /// Random grid outages at the site. During one, ASIC halls stop; GPU halls with backup
    /// generators keep running unless the generators fail.
    #[serde(default)]
    pub grid_outages: Option<OutageProcess>,
    /// Grid outages replayed from an empirical trace: a CSV file (path relative to the scenario
    /// file) with a header `start,duration_hours`, `start` written `YYYY-MM-DD` or
    /// `YYYY-MM-DDTHH:MM`. Replayed in every replication, alongside any random outages.
    #[serde(default)]
    pub grid_outage_trace: Option<String>,
    /// The trace's outages: read from `grid_outage_trace` when that is set (replacing anything
    /// here), or given inline. Kept in the effective scenario so its fingerprint covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grid_outage_trace_events: Vec<TraceOutage>,
    /// Probability that the backup generators fail during a grid outage (per outage).
    #[serde(default = "default_generator_failure")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a probability per outage"))]
    pub generator_failure_probability: f64,
    /// The site's halls.
    #[schemars(length(min = 1), extend("x-expected" = "hall"))]
    pub halls: Vec<Hall>,
}

fn default_generator_failure() -> f64 {
    0.2
}

/// One outage of an empirical trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceOutage {
    /// Start, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// Length, hours.
    #[schemars(range(min = 1e-6, max = 87_600.0), extend("x-expected" = "hours above 0"))]
    pub duration_hours: f64,
}

/// Outages as an alternating renewal process: time between outages, then outage length.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageProcess {
    /// Days from the end of one outage to the start of the next.
    #[schemars(extend("x-support" = [1.0 / 24.0, 36500.0]))]
    pub between_days: Dist,
    /// Length of an outage, hours.
    #[schemars(extend("x-support" = [1.0 / 60.0, 87600.0]))]
    pub duration_hours: Dist,
}

/// Cooling failures of a hall: outages that remove a share of its capacity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoolingFailures {
    /// Days from the end of one failure to the start of the next.
    #[schemars(extend("x-support" = [1.0 / 24.0, 36500.0]))]
    pub between_days: Dist,
    /// Length of a failure, hours.
    #[schemars(extend("x-support" = [1.0 / 60.0, 87600.0]))]
    pub duration_hours: Dist,
    /// Share of the hall's capacity lost during a failure (1 = all).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a share of capacity"))]
    pub derate: f64,
}

/// A fixed-price block of power: the site pays `price_usd_per_mwh` on a fixed volume and
/// buys or sells the difference from its actual draw at the hourly price.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ppa {
    /// Share of the site's full facility load (installed IT × PUE) covered, 0–1.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the site's full load"))]
    pub share: f64,
    /// Contract price, USD/MWh.
    #[schemars(range(min = 0.0, max = 1e5), extend("x-expected" = "USD/MWh"))]
    pub price_usd_per_mwh: f64,
}

/// A demand-response programme: curtailed energy earns a credit in hours priced above a
/// trigger.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandResponse {
    /// Hourly price at or above which curtailment earns the credit, USD/MWh.
    #[schemars(range(min = 0.0, max = 1e6), extend("x-expected" = "USD/MWh"))]
    pub trigger_usd_per_mwh: f64,
    /// Credit per MWh curtailed, USD/MWh.
    #[schemars(range(min = 0.0, max = 1e6), extend("x-expected" = "USD/MWh"))]
    pub credit_usd_per_mwh: f64,
}

/// How a hall rejects heat.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hall {
    /// Name, unique within its site.
    pub name: String,
    /// Rack positions.
    #[schemars(range(min = 1, max = 10_000_000))]
    pub rack_slots: u32,
    /// Most IT power one rack position can carry, kW.
    #[schemars(range(min = 1e-3, max = 2_000.0), extend("x-expected" = "kW per rack, above 0"))]
    pub max_kw_per_rack: f64,
    /// Cooling technology.
    pub cooling: Cooling,
    /// Heat the cooling plant can reject, MW (equal to the IT load it can carry).
    #[schemars(range(min = 1e-6, max = 10_000.0), extend("x-expected" = "MW of heat, above 0"))]
    pub cooling_mw: f64,
    /// Power usage effectiveness: facility power / IT power (≥ 1).
    #[schemars(range(min = 1.0, max = 5.0), extend("x-expected" = "a ratio from 1 to 5"))]
    pub pue: f64,
    /// What the hall does at the start. Default: `asic`.
    #[serde(default)]
    pub state: HallState,
    /// Backup generators that carry GPU load through grid outages. Default: none.
    #[serde(default)]
    pub backup_generators: bool,
    /// Random cooling failures.
    #[serde(default)]
    pub cooling_failures: Option<CoolingFailures>,
    /// ASIC fleets installed at the start (only in an `asic` hall).
    #[serde(default)]
    pub asics: Vec<AsicFleet>,
}

/// What a hall does at the start of the horizon.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HallState {
    /// Hashing with its ASIC fleets.
    #[default]
    Asic,
    /// Converted and vacant, ready for GPU tenants.
    GpuReady,
    /// Empty and unpowered.
    Idle,
}

/// The physical shape of a converted hall.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HallTarget {
    /// Cooling after conversion.
    pub cooling: Cooling,
    /// Rack positions after conversion.
    #[schemars(range(min = 1, max = 10_000_000))]
    pub rack_slots: u32,
    /// Most IT kW per rack after conversion.
    #[schemars(range(min = 1e-3, max = 2_000.0), extend("x-expected" = "kW per rack, above 0"))]
    pub max_kw_per_rack: f64,
    /// Cooling capacity after conversion, MW (the IT load it can carry).
    #[schemars(range(min = 1e-6, max = 10_000.0), extend("x-expected" = "MW of heat, above 0"))]
    pub cooling_mw: f64,
    /// PUE after conversion.
    #[schemars(range(min = 1.0, max = 5.0), extend("x-expected" = "a ratio from 1 to 5"))]
    pub pue: f64,
    /// Backup generators installed by the conversion. Default: none.
    #[serde(default)]
    pub backup_generators: bool,
}

/// One model of ASIC in a hall.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsicFleet {
    /// Model name, for reports.
    pub model: String,
    /// Hashrate of one unit, TH/s.
    #[schemars(range(min = 1e-6, max = 1e6), extend("x-expected" = "TH/s per unit, above 0"))]
    pub th_s: f64,
    /// Power of one unit at the wall, W.
    #[schemars(range(min = 1e-3, max = 1e6), extend("x-expected" = "W per unit, above 0"))]
    pub watts: f64,
    /// Units installed.
    #[schemars(range(min = 0, max = 100_000_000))]
    pub units: u32,
    /// Units that fit in one rack position.
    #[schemars(range(min = 1, max = 10_000))]
    pub units_per_rack: u32,
    /// Hard failures per unit per year, as a fraction (0.06 = 6%/yr).
    #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "failures per unit per year"))]
    pub annual_failure_rate: f64,
    /// Days a failed unit is out before it hashes again.
    #[schemars(range(min = 1, max = 3_650))]
    pub repair_days: u32,
    /// Age of the machines at the start (or when bought), years: with the terminal value's
    /// `asic_life_years`, how much life the fleet has left at the horizon.
    #[serde(default, skip_serializing_if = "is_zero_years")]
    #[schemars(range(min = 0.0, max = 50.0), extend("x-expected" = "years"))]
    pub age_years: f64,
    /// How much the failure rate rises per year of age, failures per unit per year per year:
    /// the rate at age a is `annual_failure_rate + failure_rate_increase_per_year × a`
    /// (wear-out; docs/model.md, Fleets). Default 0: a constant rate.
    #[serde(default, skip_serializing_if = "is_zero_years")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "failures per unit per year, per year of age"))]
    pub failure_rate_increase_per_year: f64,
    /// Physical life, years: when the machines reach this age they are retired (they stop
    /// hashing and leave the hall, worth nothing beyond scrap, counted as 0). Default: they
    /// never wear out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 50.0), extend("x-expected" = "years"))]
    pub life_years: Option<f64>,
}

fn is_zero_years(x: &f64) -> bool {
    *x == 0.0
}

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
