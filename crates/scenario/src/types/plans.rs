//! Plans in the scenario file: the operator's dated actions and the rules it reviews monthly.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AsicFleet, ConversionDebt, Date, DebtRate, HallTarget, Repayment};

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
        /// A loan for a share of the capex the company pays (see `ConversionDebt`).
        #[serde(default)]
        debt: Option<ConversionDebt>,
        /// Share of the conversion's capex the tenant pays (as CoreWeave funded much of Core
        /// Scientific's conversions): the company spends and depreciates only the rest, and
        /// its loan is a share of that rest.
        #[serde(default, skip_serializing_if = "is_zero")]
        #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the capex"))]
        tenant_funded_share: f64,
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
        /// Year-1 rent, USD per kW of IT per month (or give `contract_value_usd`).
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 1e5), extend("x-expected" = "USD per kW-month"))]
        price_usd_per_kw_month: Option<f64>,
        /// Total contract value as a deal announcement states it, USD: the rent of the whole
        /// term with its escalator, from which the year-1 rent is derived (docs/model.md).
        /// Give this or `price_usd_per_kw_month`, not both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
        contract_value_usd: Option<f64>,
        /// Annual escalator, fraction per year.
        #[serde(default)]
        #[schemars(range(min = -0.5, max = 1.0), extend("x-expected" = "a fraction per year"))]
        escalator_per_year: f64,
        /// Months from the lease's start during which it bills nothing (free rent, within the
        /// term).
        #[serde(default, skip_serializing_if = "is_zero")]
        #[schemars(range(min = 0.0, max = 120.0), extend("x-expected" = "months"))]
        free_rent_months: f64,
        /// The tenant's credit class (`market.ai.lease.tenant_classes`); absent: the market's
        /// default hazard.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant_class: Option<String>,
        /// Months from signing to the lease start.
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 120.0), extend("x-expected" = "months"))]
        start_delay_months: f64,
        /// Share of the first year's rent (MW × rent × 12) the tenant prepays at signing; it is
        /// credited against the rent it bills from its start until used up.
        #[serde(default, skip_serializing_if = "is_zero")]
        #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of year-1 rent"))]
        prepaid_share_of_year1_rent: f64,
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
        /// Permanent GPU failures per GPU per year (docs/sources.md §5.6 base 4%).
        #[serde(default = "default_gpu_failure_rate")]
        #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "failures per GPU per year"))]
        annual_failure_rate: f64,
        /// Days to replace a failed GPU (docs/sources.md §5.6 base 4).
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
    /// Replace machines in an ASIC hall: `units` of `model` are sold at the day's used price
    /// and `fleet` is bought new (age 0) at `usd_per_th`, as far as the hall then has room.
    ReplaceAsics {
        /// Date of the swap.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// Model retired (sold).
        model: String,
        /// Units retired (at most those installed).
        #[schemars(range(min = 1, max = 100_000_000))]
        units: u32,
        /// The new machines (`units`: how many are bought, at most).
        fleet: AsicFleet,
        /// Price of the new machines, USD per TH/s.
        #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "USD per TH/s"))]
        usd_per_th: f64,
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
    /// Sell new shares for cash (an at-the-market programme or a placement). The cash is the
    /// company's at once, less the issue cost; the owners' flows do not count it, as they
    /// already count the spending it funds.
    RaiseEquity {
        /// Date of the raise.
        date: Date,
        /// Gross amount raised, USD.
        #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
        amount_usd: f64,
        /// Fees and discount, a fraction of the amount (ATM commissions are 2–3%).
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 0.5), extend("x-expected" = "a fraction of the amount"))]
        issue_cost: f64,
        /// Price of the new shares, USD per share: with `finance.shares_outstanding`, it
        /// counts the shares issued, for the value per share.
        #[serde(default)]
        #[schemars(range(min = 1e-6, max = 1e9), extend("x-expected" = "USD per share"))]
        price_per_share_usd: Option<f64>,
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
    /// Refresh the least efficient fleet (highest J/TH, the first installed on a tie; a fleet
    /// retired at the end of its life and not yet replaced comes first) when
    /// new machines would pay back their net cost (price less the old machines' used value)
    /// within `payback_months` from the extra margin they earn at the trailing 30-day
    /// hashprice and the site's power cost. The new machines take the old ones' IT power
    /// (docs/model.md, Fleets).
    RefreshAsics {
        /// Most months the net cost may take to pay back.
        #[schemars(range(min = 0.0, max = 600.0), extend("x-expected" = "months"))]
        payback_months: f64,
        /// The new machine. With a vintage network it is bought at the frontier: its power is
        /// `th_s` × the frontier's J/TH of the day (`watts` is then ignored). `units`: most
        /// units bought per refresh.
        fleet: AsicFleet,
        /// Price of the new machines, USD per TH/s. Default: the frontier machine's price of
        /// the day (`market.bitcoin.hashrate.frontier`; required without a vintage network).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 10_000.0), extend("x-expected" = "USD per TH/s"))]
        usd_per_th: Option<f64>,
        /// Most spent on new machines in any 12 months, USD (before the old ones' proceeds).
        #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
        max_capex_usd_per_year: f64,
        /// Months after a refresh before this rule may refresh again. Default 12.
        #[serde(default = "default_refresh_cooldown_months")]
        #[schemars(range(min = 0, max = 600))]
        cooldown_months: u32,
        /// Earliest date the rule may fire. Default: the start.
        #[serde(default)]
        not_before: Option<Date>,
    },
}

fn default_refresh_cooldown_months() -> u32 {
    12
}

fn default_gpu_failure_rate() -> f64 {
    0.04
}

fn default_gpu_repair_days() -> u32 {
    4
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
