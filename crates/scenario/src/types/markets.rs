//! The exogenous markets in the scenario file: bitcoin (price, network, fees), wholesale
//! energy, the AI/HPC hosting market and used-ASIC resale.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Dist, LAST_SUBSIDY_HEIGHT};

/// Boom/bust regime switching of the AI market (a two-state Markov chain in continuous time).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiRegimes {
    /// Regime at the start.
    pub initial: AiRegime,
    /// Hazard of a boom ending, per year.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub boom_to_bust_per_year: f64,
    /// Hazard of a bust ending, per year.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub bust_to_boom_per_year: f64,
    /// Inquiry rate in a bust as a multiple of the boom rate.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple"))]
    pub bust_inquiry_factor: f64,
    /// Lease and GPU-hour price level in a bust as a multiple of the boom level.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple"))]
    pub bust_price_factor: f64,
    /// Tenant default hazard in a bust as a multiple of the base hazard.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple"))]
    pub bust_default_factor: f64,
    /// A macro factor shared with bitcoin, β: each day a boom ends at its hazard ×
    /// e^(−β·r) and a bust at its hazard × e^(β·r), with r the BTC price's log return over
    /// the trailing 90 days (a crash in risk assets ends AI booms sooner). Default 0: the
    /// regimes are independent of bitcoin.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    #[schemars(range(min = 0.0, max = 20.0), extend("x-expected" = "a sensitivity to the 90-day BTC log return"))]
    pub btc_sensitivity: f64,
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

/// A regime of the AI market.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AiRegime {
    /// Demand outruns supply.
    Boom,
    /// The bubble has burst.
    Bust,
}

/// Support of an inquiry's size, MW of IT: validation refuses a bounded distribution outside
/// it, and the model cuts unbounded tails at it (so do the other supports below).
pub const SIZE_MW_SUPPORT: (f64, f64) = (0.001, 10_000.0);
/// Support of a lease term, years (one month to 50 years).
pub const TERM_YEARS_SUPPORT: (f64, f64) = (1.0 / 12.0, 50.0);
/// Support of an inquiry's rack density, kW per rack.
pub const DENSITY_KW_SUPPORT: (f64, f64) = (0.1, 2_000.0);
/// Support of an inquiry's start delay and patience, months.
pub const MONTHS_SUPPORT: (f64, f64) = (0.0, 120.0);

/// Tenant inquiries: a Poisson stream of requests for GPU-ready capacity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inquiries {
    /// Inquiries per year in a boom.
    #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "inquiries per year"))]
    pub rate_per_year: f64,
    /// Capacity asked for, MW of IT load.
    #[schemars(extend("x-support" = [SIZE_MW_SUPPORT.0, SIZE_MW_SUPPORT.1]))]
    pub size_mw: Dist,
    /// Lease term, years.
    #[schemars(extend("x-support" = [TERM_YEARS_SUPPORT.0, TERM_YEARS_SUPPORT.1]))]
    pub term_years: Dist,
    /// Market lease level in a boom, USD per kW of IT per month.
    #[schemars(range(min = 1e-6, max = 1e5), extend("x-expected" = "USD per kW-month, above 0"))]
    pub price_usd_per_kw_month: f64,
    /// Lognormal σ of an inquiry's price around the market level.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "σ of ln price"))]
    pub price_dispersion: f64,
    /// Annual rent escalator, fraction per year.
    #[schemars(range(min = -0.5, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub escalator_per_year: f64,
    /// Share of inquiries that need liquid cooling (the rest accept any cooling).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction"))]
    pub liquid_share: f64,
    /// Rack density needed, kW per rack.
    #[schemars(extend("x-support" = [DENSITY_KW_SUPPORT.0, DENSITY_KW_SUPPORT.1]))]
    pub density_kw_per_rack: Dist,
    /// Months from signing to the start of the lease.
    #[schemars(extend("x-support" = [MONTHS_SUPPORT.0, MONTHS_SUPPORT.1]))]
    pub start_delay_months: Dist,
    /// Months an inquiry waits for capacity before it is lost (0: only capacity free now).
    #[schemars(extend("x-support" = [MONTHS_SUPPORT.0, MONTHS_SUPPORT.1]))]
    pub patience_months: Dist,
}

/// How leases are billed and end.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseTerms {
    /// Whether the tenant pays for its power (`passthrough`) or the rent includes it
    /// (`included`, the operator pays the energy).
    pub power: PowerTerms,
    /// Months over which billed capacity ramps linearly to 100% (0: full from the start).
    #[schemars(range(min = 0, max = 120))]
    pub ramp_months: u32,
    /// Probability a lease renews at its end for another term at the market price.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a probability"))]
    pub renewal_probability: f64,
    /// Tenant default hazard per year in a boom.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub default_hazard_per_year: f64,
    /// Service credits for downtime. Default: none.
    #[serde(default)]
    pub sla: Option<Sla>,
    /// Credit classes an anchor tenant may belong to (`sign_tenant`'s `tenant_class`), each
    /// with its own default hazard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenant_classes: Vec<TenantClass>,
}

/// A tenant credit class: investment-grade, guaranteed by one, a neocloud.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantClass {
    /// Unique name.
    pub name: String,
    /// Default hazard per year in a boom (docs/sources.md §3.7: about 0.1-0.5%/yr for
    /// investment-grade or hyperscaler-guaranteed tenants, 0.5-5% for others).
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub default_hazard_per_year: f64,
    /// Multiple of that hazard in a bust; absent: the market's `bust_default_factor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple"))]
    pub bust_default_factor: Option<f64>,
    /// What the class's credit support costs the landlord, a share of the rent it backs,
    /// paid as that rent is billed (a guarantor's fee). Default 0.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the rent"))]
    pub guarantee_fee_share_of_rent: f64,
    /// What the class's credit support costs the owners in shares: each deal of the class
    /// signed grants its guarantor warrants (at a nil strike) for this share of the company,
    /// exercised at the end of the run (docs/model.md, Credit classes). Default 0.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    #[schemars(range(min = 0.0, max = 0.5), extend("x-expected" = "a fraction of the company's shares"))]
    pub guarantee_warrants_share_of_equity: f64,
    /// What the landlord recovers when a tenant of the class defaults: this share of the
    /// rent left on its term (at the rent of the day), paid at the default by its guarantor
    /// or estate. Default 0.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the rent left"))]
    pub recovery_share_of_remaining_rent: f64,
}

/// Service-level credits: downtime beyond an allowance earns a credit per hour, capped.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Downtime allowed per month before credits, hours.
    #[schemars(range(min = 0.0, max = 744.0), extend("x-expected" = "hours"))]
    pub allowance_hours_per_month: f64,
    /// Credit per hour beyond the allowance, as a share of the month's rent.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a share of the month's rent"))]
    pub credit_per_hour: f64,
    /// Cap on a month's credit, as a share of its rent (docs/sources.md §3.6: typically 0.5).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a share of the month's rent"))]
    pub cap: f64,
}

/// Who pays a tenant's power.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PowerTerms {
    /// The tenant reimburses its energy: neither revenue nor cost to the operator.
    Passthrough,
    /// The operator pays the tenant's energy out of the rent.
    Included,
}

/// The GPU-hour rental price (for GPU-cloud deployments the operator owns): a mean-reverting
/// log price stepped daily, scaled by the regime's price factor.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuHourPrice {
    /// Price at the start, USD per GPU-hour.
    #[schemars(range(min = 1e-6, max = 1_000.0), extend("x-expected" = "USD per GPU-hour, above 0"))]
    pub price_usd: f64,
    /// Long-run level in a boom, USD per GPU-hour.
    #[schemars(range(min = 1e-6, max = 1_000.0), extend("x-expected" = "USD per GPU-hour, above 0"))]
    pub long_run_usd: f64,
    /// Mean-reversion speed, per year.
    #[schemars(range(min = 0.0, max = 1_000.0), extend("x-expected" = "per year"))]
    pub reversion_per_year: f64,
    /// Volatility of the log price, per √year.
    #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
    /// GPU generations, each with its own price level (a deployment's `generation` names
    /// one). Absent: one generation at `long_run_usd` forever. With them, `price_usd /
    /// long_run_usd` is where the market starts against its level (the shared noise starts at
    /// its log), and each generation's level replaces `long_run_usd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generations: Option<GpuGenerations>,
}

/// GPU generations and how their GPU-hour price levels fall: each steps down by a factor
/// when a newer generation launches, and drifts down with age in between (docs/model.md,
/// GPU cloud).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuGenerations {
    /// The generations, in launch order.
    pub list: Vec<GpuGeneration>,
    /// Multiple of every older generation's level at each launch (0.75: a 25% step down).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a multiple, at most 1"))]
    pub launch_step_factor: f64,
    /// Fall of a generation's level per year of age between launches, a fraction per year.
    #[schemars(range(min = 0.0, max = 0.99), extend("x-expected" = "a fraction per year, below 1"))]
    pub decline_per_year: f64,
    /// After the last listed launch, an unnamed newer generation launches every this many
    /// years (each steps the listed ones down). Absent: no launches beyond the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 50.0), extend("x-expected" = "years"))]
    pub launch_every_years: Option<f64>,
}

/// One GPU generation (H100, B200, ...).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuGeneration {
    /// Unique name.
    pub name: String,
    /// When it launched (or launches).
    pub launch: super::Date,
    /// Its level in a boom, USD per GPU-hour, at the scenario's start (or at its launch, if
    /// later).
    #[schemars(range(min = 1e-6, max = 1_000.0), extend("x-expected" = "USD per GPU-hour, above 0"))]
    pub price_usd: f64,
}

/// The AI/HPC hosting market.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiMarket {
    /// Boom and bust.
    pub regimes: AiRegimes,
    /// Tenant inquiries.
    pub inquiries: Inquiries,
    /// Lease terms.
    pub lease: LeaseTerms,
    /// GPU-hour price.
    pub gpu_hour: GpuHourPrice,
    /// Delay and cost overrun of conversions (absent: every build is on time and on budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub construction_risk: Option<ConstructionRisk>,
}

/// What can go wrong with a conversion: each build draws a delay and a cost overrun when it
/// starts, both larger when it starts in an AI boom (supply chains for transformers,
/// switchgear and chillers are stretched then).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstructionRisk {
    /// Months added to the lead time (cut to 0–120).
    #[schemars(extend("x-support" = [MONTHS_SUPPORT.0, MONTHS_SUPPORT.1]))]
    pub delay_months: Dist,
    /// Overrun as a fraction of the budgeted capex (cut to 0–2; 0.1 = 10% over budget).
    #[schemars(extend("x-support" = [OVERRUN_SUPPORT.0, OVERRUN_SUPPORT.1]))]
    pub cost_overrun: Dist,
    /// Multiple of both draws for a build started in an AI boom. Default 1.
    #[serde(default = "one")]
    #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "a multiple"))]
    pub boom_factor: f64,
}

/// The range a cost overrun draw is cut to, a fraction of budget.
pub const OVERRUN_SUPPORT: (f64, f64) = (0.0, 2.0);

fn one() -> f64 {
    1.0
}

/// Resale price of used ASICs. With a vintage network: the present value of a machine's
/// remaining margin at the network's power cost, at most a new frontier machine's price per
/// TH/s. Without one (no frontier): `usd_per_th` at the reference hashprice and efficiency,
/// proportional to hashprice and inversely to J/TH.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsicResale {
    /// Price of a machine at the reference efficiency and hashprice, USD per TH/s.
    #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "USD per TH/s"))]
    pub usd_per_th: f64,
    /// Reference hashprice, USD per PH/s per day.
    #[schemars(range(min = 1e-6, max = 1e7), extend("x-expected" = "USD per PH/s per day, above 0"))]
    pub reference_hashprice_usd_per_ph_day: f64,
    /// Reference efficiency, J/TH.
    #[schemars(range(min = 1e-3, max = 1e4), extend("x-expected" = "J/TH, above 0"))]
    pub reference_j_per_th: f64,
    /// With a vintage network: the rate at which a buyer expects hashprice to fall, per year
    /// (halvings and network growth), for the used price as the present value of a machine's
    /// remaining margin (docs/model.md, Fleets). Default 0.25.
    #[serde(default = "default_hashprice_decline")]
    #[schemars(range(min = 0.01, max = 5.0), extend("x-expected" = "a fraction per year"))]
    pub expected_hashprice_decline_per_year: f64,
    /// With a vintage network: the rate at which a buyer discounts that margin, per year.
    /// Default 0.20.
    #[serde(default = "default_buyer_discount_rate")]
    #[schemars(range(min = 0.001, max = 5.0), extend("x-expected" = "a fraction per year"))]
    pub buyer_discount_rate: f64,
}

fn default_hashprice_decline() -> f64 {
    0.25
}

fn default_buyer_discount_rate() -> f64 {
    0.20
}

/// The bitcoin market and network, stepped daily.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BitcoinMarket {
    /// BTC price at the start, USD.
    #[schemars(range(min = 1e-6, max = 1e9), extend("x-expected" = "USD per BTC, above 0"))]
    pub price_usd: f64,
    /// Expected return of the BTC price, per year (0.0 = no drift; jumps are compensated).
    #[schemars(range(min = -2.0, max = 2.0), extend("x-expected" = "per year"))]
    pub drift_per_year: f64,
    /// Diffusion volatility of the BTC price, annualised (0.5 = 50%/√yr).
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
    /// Merton jumps in the BTC price.
    pub jumps: PriceJumps,
    /// Mining difficulty at the start (for example 1.3379e14 for 133.79 T).
    #[schemars(range(min = 1.0, max = 1e20), extend("x-expected" = "a difficulty above 1"))]
    pub difficulty: f64,
    /// Block height at the start: the height of the next block to be mined.
    #[schemars(range(min = 0, max = LAST_SUBSIDY_HEIGHT - 1))]
    pub height: u64,
    /// Blocks of the current difficulty epoch already mined at the start. Default: derived from
    /// `height` (height mod 2016), which assumes `height` counts from genesis.
    #[serde(default)]
    #[schemars(range(min = 0, max = 2015))]
    pub epoch_blocks_mined: Option<u64>,
    /// Network hashrate at the start, EH/s.
    #[schemars(range(min = 1e-6, max = 1e7), extend("x-expected" = "EH/s, above 0"))]
    pub network_hashrate_eh_s: f64,
    /// How the network hashrate evolves: a network of machine vintages (the default), or the
    /// legacy response to a fixed breakeven hashprice.
    pub hashrate: HashrateModel,
    /// Transaction fees per block.
    pub fees: Fees,
    /// A real market path replayed in every future: a CSV file (path relative to the scenario
    /// file) with the header `date,price_usd,difficulty,fees_btc_per_block`, one row per date
    /// (`YYYY-MM-DD`, increasing), each held until the next. From the start to its last row
    /// the price, difficulty and fees are the file's; after it the market continues
    /// stochastically from the last row. Its first row must be dated on or before `start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// The history's rows: read from `history` when that is set (replacing anything here), or
    /// given inline. Kept in the effective scenario so its fingerprint covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history_rows: Vec<BitcoinHistoryRow>,
}

/// One row of a bitcoin market history: the values in force from its date to the next row's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BitcoinHistoryRow {
    /// The day it takes effect, `YYYY-MM-DD`.
    pub date: String,
    /// BTC price, USD.
    #[schemars(range(min = 1e-6, max = 1e9), extend("x-expected" = "USD per BTC, above 0"))]
    pub price_usd: f64,
    /// Mining difficulty.
    #[schemars(range(min = 1.0, max = 1e20), extend("x-expected" = "a difficulty above 1"))]
    pub difficulty: f64,
    /// Mean transaction fees per block, BTC.
    #[schemars(range(min = 0.0, max = 1_000.0), extend("x-expected" = "BTC per block"))]
    pub fees_btc_per_block: f64,
}

/// One row of an energy price history: the price from its hour to the next row's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnergyHistoryRow {
    /// The hour it takes effect, `YYYY-MM-DDTHH:MM` (minutes 00) or `YYYY-MM-DD` (midnight).
    pub datetime: String,
    /// Wholesale price, USD/MWh (negative prices happen; at most the market cap).
    #[schemars(range(min = -1e4, max = 1e6), extend("x-expected" = "USD/MWh, at most the cap"))]
    pub usd_per_mwh: f64,
}

/// Compound-Poisson jumps in log price.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceJumps {
    /// Expected jumps per year.
    #[schemars(range(min = 0.0, max = 365.0), extend("x-expected" = "jumps per year"))]
    pub rate_per_year: f64,
    /// Mean of the log jump size (−0.10 ≈ a 10% drop).
    #[schemars(range(min = -5.0, max = 5.0), extend("x-expected" = "log size"))]
    pub mean_log_size: f64,
    /// Standard deviation of the log jump size.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "log size"))]
    pub std_log_size: f64,
}

/// How the network hashrate evolves. The two forms are told apart by their fields: a block
/// with any of the legacy form's growth fields is the legacy form, any other a vintage
/// network (so a mistyped field is reported against the form meant, not as "no variant").
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum HashrateModel {
    /// A network made of machine vintages: new machines enter at the efficiency frontier when
    /// hashprice pays for them, old ones switch off when it no longer pays their power.
    Vintages(VintageNetwork),
    /// Legacy: growth responds to ln(hashprice / a fixed breakeven). Kept so that older
    /// scenario files still load; the shipped configs use [`HashrateModel::Vintages`].
    Breakeven(HashrateProcess),
}

/// Fields only the legacy form has.
const LEGACY_HASHRATE_FIELDS: [&str; 3] = [
    "trend_per_year",
    "response_per_year",
    "breakeven_hashprice_usd_per_ph_day",
];

impl<'de> Deserialize<'de> for HashrateModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let legacy = LEGACY_HASHRATE_FIELDS
            .iter()
            .any(|f| value.get(f).is_some());
        if legacy {
            serde_json::from_value(value)
                .map(HashrateModel::Breakeven)
                .map_err(|e| D::Error::custom(format!("legacy hashrate form: {e}")))
        } else {
            serde_json::from_value(value)
                .map(HashrateModel::Vintages)
                .map_err(|e| D::Error::custom(format!("vintage network: {e}")))
        }
    }
}

/// A network of machine vintages (docs/model.md, World). Each vintage has an efficiency and an
/// installed hashrate; the share of it that runs is the share of its owners whose power cost
/// the hashprice covers. New hashrate enters at the frontier when a smoothed hashprice covers
/// a frontier machine's power and its price over the payback period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VintageNetwork {
    /// The machines hashing at the start: efficiency and share of the running hashrate (the
    /// shares must sum to 1).
    #[schemars(length(min = 1, max = 16), extend("x-expected" = "vintage"))]
    pub fleet: Vec<FleetVintage>,
    /// The best machine on sale and how it improves.
    pub frontier: EfficiencyFrontier,
    /// Median all-in power cost of the network's miners (energy plus hosting overheads),
    /// USD/MWh.
    #[schemars(range(min = 1e-3, max = 1e4), extend("x-expected" = "USD/MWh, above 0"))]
    pub power_usd_per_mwh: f64,
    /// Spread of the miners' power costs: σ of ln cost across the network. A vintage's
    /// running share falls from 1 to 0 over about ±2σ around its median breakeven.
    #[schemars(range(min = 0.01, max = 3.0), extend("x-expected" = "σ of ln USD/MWh"))]
    pub power_dispersion: f64,
    /// Months of margin (hashprice less power) a new machine must earn back its price in.
    #[schemars(range(min = 1.0, max = 120.0), extend("x-expected" = "months"))]
    pub payback_months: f64,
    /// New hashrate per year, as a fraction of the installed network, when new machines pay
    /// back for every buyer (the supply chain's limit).
    #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "a fraction per year"))]
    pub max_entry_per_year: f64,
    /// Time constant of the hashprice that orders are placed on (orders lag hashprice while
    /// machines are made and shipped), days.
    #[schemars(range(min = 1.0, max = 1_000.0), extend("x-expected" = "days"))]
    pub order_lag_days: f64,
    /// Time constant of switching running machines on and off as hashprice moves, days.
    #[schemars(range(min = 0.1, max = 365.0), extend("x-expected" = "days"))]
    pub switch_days: f64,
    /// Share of installed machines scrapped per year (wear-out, sale for parts).
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per year"))]
    pub retirement_per_year: f64,
    /// Volatility of ln H around the vintages' running hashrate (weather, curtailment), per
    /// √year; mean-reverting within about a month.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
}

/// One vintage of the starting network.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetVintage {
    /// Efficiency, J/TH.
    #[schemars(range(min = 1e-3, max = 1e4), extend("x-expected" = "J/TH, above 0"))]
    pub j_per_th: f64,
    /// Share of the starting running hashrate.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction"))]
    pub share: f64,
}

/// The efficiency frontier: J/TH of the best machine on sale, falling toward a physical floor
/// at an uncertain rate, d ln(J − floor) = −rate dt + volatility dW (so the J/TH gained per
/// year slows as the floor nears).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfficiencyFrontier {
    /// Best machine on sale at the start, J/TH.
    #[schemars(range(min = 1e-3, max = 1e4), extend("x-expected" = "J/TH, above 0"))]
    pub j_per_th: f64,
    /// Physical floor the frontier approaches, J/TH (below `j_per_th`).
    #[schemars(range(min = 0.0, max = 1e4), extend("x-expected" = "J/TH"))]
    pub floor_j_per_th: f64,
    /// Rate at which the gap to the floor closes, per year.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per year"))]
    pub improvement_per_year: f64,
    /// Volatility of ln(J − floor), per √year.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
    /// Price of a frontier machine at the start, USD per TH/s; later frontier machines cost
    /// the same per watt (so USD/TH falls with J/TH).
    #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "USD per TH/s"))]
    pub machine_usd_per_th: f64,
}

/// Legacy network hashrate: d ln H = (trend + response · ln(hashprice / breakeven)) dt +
/// volatility dW.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HashrateProcess {
    /// Growth rate of ln H when hashprice sits at the breakeven, per year.
    #[schemars(range(min = -5.0, max = 5.0), extend("x-expected" = "per year"))]
    pub trend_per_year: f64,
    /// Volatility of ln H, annualised.
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
    /// Sensitivity of growth to ln(hashprice / breakeven), per year. Positive: machines come
    /// online when mining pays and switch off when it does not, so the network can shrink.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub response_per_year: f64,
    /// Hashprice at which the marginal network fleet breaks even, USD per PH/s per day.
    #[schemars(range(min = 1e-6, max = 1e7), extend("x-expected" = "USD per PH/s per day, above 0"))]
    pub breakeven_hashprice_usd_per_ph_day: f64,
}

/// Fees per block: a lognormal base level plus rare spike regimes (inscription waves).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// Mean fees per block in the base regime, BTC.
    #[schemars(range(min = 0.0, max = 1_000.0), extend("x-expected" = "BTC per block"))]
    pub mean_btc_per_block: f64,
    /// Day-to-day lognormal dispersion of the base level (σ of ln fees).
    #[schemars(range(min = 0.0, max = 5.0), extend("x-expected" = "σ of ln fees"))]
    pub volatility: f64,
    /// Expected spike regimes per year.
    #[schemars(range(min = 0.0, max = 365.0), extend("x-expected" = "per year"))]
    pub spike_rate_per_year: f64,
    /// Mean length of a spike regime, days (exponential).
    #[schemars(range(min = 0.01, max = 3_650.0), extend("x-expected" = "days, above 0"))]
    pub spike_mean_days: f64,
    /// Fees during a spike as a multiple of the base mean.
    #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "a multiple of the base"))]
    pub spike_multiplier: f64,
}

/// Hourly wholesale electricity price: exponential of a mean-reverting (Ornstein–Uhlenbeck)
/// log level, with Poisson spikes and optional monthly seasonality.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnergyMarket {
    /// Long-run mean price outside spikes, USD/MWh.
    #[schemars(range(min = 1e-6, max = 1e6), extend("x-expected" = "USD/MWh, above 0 and at most the cap"))]
    pub mean_usd_per_mwh: f64,
    /// Mean-reversion speed of the log price, per year (100 ≈ a 2.5-day half-life).
    #[schemars(range(min = 1e-6, max = 100_000.0), extend("x-expected" = "per year, above 0"))]
    pub reversion_per_year: f64,
    /// Volatility of the log price, per √year.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per √year"))]
    pub volatility: f64,
    /// Expected price spikes per year.
    #[schemars(range(min = 0.0, max = 8_760.0), extend("x-expected" = "per year"))]
    pub spike_rate_per_year: f64,
    /// Price during a spike, USD/MWh.
    #[schemars(range(min = 0.0, max = 1e6), extend("x-expected" = "USD/MWh, at most the cap"))]
    pub spike_usd_per_mwh: f64,
    /// Mean spike length, hours (exponential, at least one hour).
    #[schemars(range(min = 1.0, max = 8_760.0), extend("x-expected" = "hours, at least 1"))]
    pub spike_mean_hours: f64,
    /// Market price cap, USD/MWh.
    #[schemars(range(min = 1e-6, max = 1e6), extend("x-expected" = "USD/MWh, above 0"))]
    pub cap_usd_per_mwh: f64,
    /// Multipliers on the mean for January..December. Default: all 1.
    #[serde(default)]
    #[schemars(
        length(equal = 12),
        inner(range(min = 1e-3, max = 100.0)),
        extend(
            "x-expected" = "multipliers (January to December)",
            "x-expected-items" = "a multiplier above 0"
        )
    )]
    pub monthly_factors: Option<Vec<f64>>,
    /// A real hourly price path replayed in every future: a CSV file (path relative to the
    /// scenario file) with the header `datetime,usd_per_mwh`, one row per hour it changes
    /// (`YYYY-MM-DDTHH:00` or `YYYY-MM-DD`, increasing), each held until the next. It replaces
    /// the random path from the start to its last row's hour; the mean-reverting price then
    /// continues from the last price. Its first row must be dated on or before `start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// The history's rows: read from `history` when that is set (replacing anything here), or
    /// given inline. Kept in the effective scenario so its fingerprint covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history_rows: Vec<EnergyHistoryRow>,
}
