//! The scenario file's typed shape: what a user writes, in the units the industry uses.
//!
//! Field names carry their units (`grid_mw`, `price_usd`, `mean_usd_per_mwh`) so a file reads
//! without a manual. Every struct denies unknown fields, so a misspelled key is an error rather
//! than a silently ignored default. Semantic checks live in `validate`; this file is only shape.

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Longest horizon accepted, years.
pub const MAX_HORIZON_YEARS: u32 = 50;
/// Most replications accepted in one run.
pub const MAX_RUNS: u64 = 100_000_000;
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
                    .map_err(|_| E::custom(format!("`{v}` is not a date; expected YYYY-MM-DD")))
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
    /// Annual discount rate for NPV, as a fraction (0.12 = 12%/yr).
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
    /// The operator's sites.
    #[schemars(length(min = 1), extend("x-expected" = "site"))]
    pub sites: Vec<Site>,
    /// Plans to compare on the same futures. At least one.
    #[schemars(length(min = 1), extend("x-expected" = "plan"))]
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

/// The operator's capital structure and valuation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Tax rate on positive monthly taxable income (EBITDA − interest − depreciation).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 0.9), extend("x-expected" = "a fraction of taxable income"))]
    pub tax_rate: f64,
    /// Straight-line depreciation life of capex, years (for taxes only; cash is unaffected).
    #[serde(default = "default_depreciation_years")]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub depreciation_years: f64,
    /// The floating base rate (SOFR-like), needed by floating-rate debts.
    #[serde(default)]
    pub base_rate: Option<BaseRate>,
    /// Debts outstanding or drawn on a date.
    #[serde(default)]
    pub debts: Vec<Debt>,
    /// The debt-service coverage covenant, if any.
    #[serde(default)]
    pub covenant: Option<Covenant>,
    /// Terminal value at the horizon, added to NPV. Default: none.
    #[serde(default)]
    pub terminal_value: TerminalValue,
}

fn default_gpu_failure_rate() -> f64 {
    0.04
}

fn default_gpu_repair_days() -> u32 {
    4
}

fn default_depreciation_years() -> f64 {
    5.0
}

/// A mean-reverting base rate, stepped monthly: x' = x + κ(θ − x)Δ + σ√Δ Z.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseRate {
    /// Rate at the start, fraction per year (0.043 = 4.3%).
    #[schemars(range(min = -0.05, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub initial: f64,
    /// Long-run level, fraction per year.
    #[schemars(range(min = -0.05, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub long_run: f64,
    /// Mean-reversion speed, per year.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "per year"))]
    pub reversion_per_year: f64,
    /// Volatility, fraction per √year (absolute, e.g. 0.01 = 100 bp).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction per √year"))]
    pub volatility: f64,
}

/// A loan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Debt {
    /// Name, for reports.
    pub name: String,
    /// Amount borrowed, USD.
    #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
    pub principal_usd: f64,
    /// When it is drawn (its cash arrives then). Absent: the loan is already outstanding at
    /// the start, so its principal brings no cash (it was spent before).
    #[serde(default)]
    pub drawn: Option<Date>,
    /// Interest rate.
    pub rate: DebtRate,
    /// Months from drawing to maturity.
    #[schemars(range(min = 1, max = 600))]
    pub term_months: u32,
    /// How principal is repaid.
    pub repayment: Repayment,
}

/// A loan's interest rate, per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DebtRate {
    /// A fixed rate, fraction per year.
    Fixed(
        #[schemars(range(min = -0.05, max = 1.0), extend("x-expected" = "a fraction per year"))]
        f64,
    ),
    /// The base rate plus a spread, fraction per year, reset monthly.
    FloatingSpread(
        #[schemars(range(min = -0.05, max = 1.0), extend("x-expected" = "a fraction per year"))]
        f64,
    ),
}

/// How principal is repaid.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repayment {
    /// Level monthly payments (annuity), recomputed on the remaining balance and term.
    Amortizing,
    /// Interest monthly, all principal at maturity.
    Bullet,
}

/// A minimum debt-service coverage ratio, tested monthly on trailing twelve months.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Covenant {
    /// Minimum DSCR: (EBITDA − taxes) / (interest + principal), trailing 12 months.
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a ratio"))]
    pub min_dscr: f64,
    /// Consecutive breached months that trigger a default.
    #[schemars(range(min = 1, max = 600))]
    pub months_allowed: u32,
}

/// How the business is valued at the horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TerminalValue {
    /// No terminal value.
    #[default]
    None,
    /// Trailing 12-month EBITDA × a multiple.
    ExitMultiple(
        #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple of EBITDA"))]
        f64,
    ),
    /// Trailing 12-month EBITDA / a capitalisation rate.
    CapRate(
        #[schemars(range(min = 0.001, max = 1.0), extend("x-expected" = "a fraction per year"))]
        f64,
    ),
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

/// Tenant inquiries: a Poisson stream of requests for GPU-ready capacity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inquiries {
    /// Inquiries per year in a boom.
    #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "inquiries per year"))]
    pub rate_per_year: f64,
    /// Capacity asked for, MW of IT load.
    #[schemars(extend("x-support" = [0.001, 10000.0]))]
    pub size_mw: Dist,
    /// Lease term, years.
    #[schemars(extend("x-support" = [1.0 / 12.0, 50.0]))]
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
    #[schemars(extend("x-support" = [0.1, 2000.0]))]
    pub density_kw_per_rack: Dist,
    /// Months from signing to the start of the lease.
    #[schemars(extend("x-support" = [0.0, 120.0]))]
    pub start_delay_months: Dist,
    /// Months an inquiry waits for capacity before it is lost (0: only capacity free now).
    #[schemars(extend("x-support" = [0.0, 120.0]))]
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
    /// Cap on a month's credit, as a share of its rent (REFERENCE §3.6: typically 0.5).
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
}

/// Resale price of used ASICs: `usd_per_th` at the reference hashprice and efficiency,
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
    /// How the network hashrate evolves.
    pub hashrate: HashrateProcess,
    /// Transaction fees per block.
    pub fees: Fees,
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

/// Network hashrate: d ln H = (trend + response · ln(hashprice / breakeven)) dt + volatility dW.
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
}

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
}

/// A named plan: what the operator does over the horizon.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Unique name.
    pub name: String,
    /// How inquiries are placed into GPU-ready capacity. Default: `first_fit`.
    #[serde(default)]
    pub placement: PlacementPolicy,
    /// Dated actions, applied in date order (ties in file order).
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Rules evaluated at every monthly review.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// Which GPU-ready hall an inquiry goes to.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementPolicy {
    /// The first hall (in file order) that fits.
    #[default]
    FirstFit,
    /// The hall that fits with the least IT capacity left over.
    BestFit,
}

/// What happens to a converted hall's ASICs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AsicDisposal {
    /// Sold at the resale price of the day.
    #[default]
    Sell,
    /// Moved into another ASIC hall of the same site as far as it has room; the rest sold.
    MoveTo(String),
}

/// A dated change the operator makes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Convert a hall to GPU-ready: offline for the lead time, capex spent evenly over it.
    ConvertHall {
        /// When work starts.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// Shape after conversion.
        to: HallTarget,
        /// Capex per MW of IT capacity after conversion, USD/MW.
        #[schemars(range(min = 0.0, max = 1e9), extend("x-expected" = "USD per MW"))]
        capex_usd_per_mw: f64,
        /// Months from start to GPU-ready.
        #[schemars(range(min = 0, max = 120))]
        lead_time_months: u32,
        /// What happens to the hall's ASICs.
        #[serde(default)]
        asics: AsicDisposal,
        /// A loan drawn when work starts, for a share of the capex.
        #[serde(default)]
        debt: Option<ConversionDebt>,
    },
    /// Sign a tenant for a hall on a date (an anchor tenant; billing starts when the lease
    /// starts and the hall is GPU-ready, whichever is later).
    SignTenant {
        /// Signing date.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// Capacity leased, MW of IT.
        #[schemars(range(min = 1e-3, max = 10_000.0), extend("x-expected" = "MW of IT, within the hall's GPU capacity"))]
        mw: f64,
        /// Term, years.
        #[schemars(range(min = 1.0 / 12.0, max = 50.0), extend("x-expected" = "years"))]
        term_years: f64,
        /// Rent, USD per kW of IT per month.
        #[schemars(range(min = 0.0, max = 1e5), extend("x-expected" = "USD per kW-month"))]
        price_usd_per_kw_month: f64,
        /// Annual escalator, fraction per year.
        #[serde(default)]
        #[schemars(range(min = -0.5, max = 1.0), extend("x-expected" = "a fraction per year"))]
        escalator_per_year: f64,
        /// Months from signing to the lease start.
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 120.0), extend("x-expected" = "months"))]
        start_delay_months: f64,
    },
    /// Install operator-owned GPUs in a GPU-ready hall and rent them by the hour.
    DeployGpuCloud {
        /// Date installed.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// GPUs.
        #[schemars(range(min = 1, max = 10_000_000))]
        gpus: u32,
        /// IT power per GPU including its share of the server and network, kW.
        #[schemars(range(min = 1e-3, max = 100.0), extend("x-expected" = "kW per GPU"))]
        kw_per_gpu: f64,
        /// Capex per GPU, USD.
        #[schemars(range(min = 0.0, max = 1e7), extend("x-expected" = "USD per GPU"))]
        capex_usd_per_gpu: f64,
        /// Years until the GPUs are retired.
        #[schemars(range(min = 0.1, max = 30.0), extend("x-expected" = "years"))]
        life_years: f64,
        /// Share of hours rented (0–1).
        #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction"))]
        utilization: f64,
        /// Permanent GPU failures per GPU per year (REFERENCE §5.6 base 4%).
        #[serde(default = "default_gpu_failure_rate")]
        #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "failures per GPU per year"))]
        annual_failure_rate: f64,
        /// Days to replace a failed GPU (REFERENCE §5.6 base 4).
        #[serde(default = "default_gpu_repair_days")]
        #[schemars(range(min = 1, max = 3_650))]
        repair_days: u32,
    },
    /// Buy and install ASICs in an ASIC hall.
    BuyAsics {
        /// Date installed.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// The machines.
        fleet: AsicFleet,
        /// Price, USD per TH/s.
        #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "USD per TH/s"))]
        usd_per_th: f64,
    },
    /// Sell some units of one ASIC model from a hall at the resale price of the day.
    SellAsics {
        /// Date sold.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// Model name.
        model: String,
        /// Units sold (at most those installed).
        #[schemars(range(min = 1, max = 100_000_000))]
        units: u32,
    },
    /// Borrow on a date (e.g. to fund a conversion).
    DrawDebt {
        /// The loan; its `drawn` date is this action's date.
        date: Date,
        /// Name, for reports.
        name: String,
        /// Amount borrowed, USD.
        #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
        principal_usd: f64,
        /// Interest rate.
        rate: DebtRate,
        /// Months from drawing to maturity.
        #[schemars(range(min = 1, max = 600))]
        term_months: u32,
        /// How principal is repaid.
        repayment: Repayment,
    },
    /// Raise a site's grid limit after a lead time.
    UpgradeGrid {
        /// When work starts.
        date: Date,
        /// Site name.
        site: String,
        /// MW added.
        #[schemars(range(min = 1e-3, max = 100_000.0), extend("x-expected" = "MW, above 0"))]
        add_mw: f64,
        /// Capex, USD, spent evenly over the lead time.
        #[schemars(range(min = 0.0, max = 1e12), extend("x-expected" = "USD"))]
        capex_usd: f64,
        /// Months until the extra capacity is usable.
        #[schemars(range(min = 0, max = 120))]
        lead_time_months: u32,
    },
}

/// A rule evaluated at each monthly review.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// When the trailing 30-day hashprice is below a threshold and enough inquiries were lost
    /// recently, start converting the next ASIC hall (file order).
    ConvertNextAsicHall {
        /// Trailing 30-day mean hashprice below which the rule fires, USD per PH/s per day.
        #[schemars(range(min = 0.0, max = 1e7), extend("x-expected" = "USD per PH/s per day"))]
        hashprice_30d_below_usd_per_ph_day: f64,
        /// Inquiries lost within the lookback needed to fire (0: no condition).
        #[schemars(range(min = 0, max = 1_000_000))]
        min_lost_inquiries: u32,
        /// Lookback for lost inquiries, months.
        #[schemars(range(min = 1, max = 600))]
        lookback_months: u32,
        /// Shape after conversion.
        to: HallTarget,
        /// Capex per MW of IT after conversion, USD/MW.
        #[schemars(range(min = 0.0, max = 1e9), extend("x-expected" = "USD per MW"))]
        capex_usd_per_mw: f64,
        /// Months from start to GPU-ready.
        #[schemars(range(min = 0, max = 120))]
        lead_time_months: u32,
        /// Most halls this rule converts.
        #[schemars(range(min = 1, max = 10_000))]
        max_conversions: u32,
        /// Earliest date the rule may fire. Default: the start.
        #[serde(default)]
        not_before: Option<Date>,
        /// A loan drawn when each conversion starts, for a share of its capex.
        #[serde(default)]
        debt: Option<ConversionDebt>,
    },
}

/// A loan that funds a share of a conversion's capex, drawn when work starts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionDebt {
    /// Share of the conversion capex borrowed (0.8 = 80% loan-to-cost).
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the capex"))]
    pub share_of_capex: f64,
    /// Interest rate.
    pub rate: DebtRate,
    /// Months to maturity.
    #[schemars(range(min = 1, max = 600))]
    pub term_months: u32,
    /// Repayment.
    pub repayment: Repayment,
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
