//! Plans in the scenario file: the operator's dated actions and the rules it reviews monthly.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AsicFleet, ConversionDebt, Date, DebtRate, HallTarget, ProjectTerms, Recourse, Repayment,
};

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
        /// Calendar months into the build during which the hall's ASICs keep hashing, until
        /// the construction needs the space (at most the lead time). Default 0: they leave
        /// when work starts.
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        #[schemars(range(min = 0, max = 120))]
        asics_hash_for_months: u32,
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
        /// Further phases of the same deal (the first is `hall`, `mw` and
        /// `start_delay_months`): more capacity in this hall or other halls of the same site,
        /// each with its own start; each bills from its own start or its hall's completion,
        /// whichever is later. One tenant: its credit, default and renewal are the deal's.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        phases: Vec<LeasePhase>,
        /// What the tenant may do when a phase's hall is not ready at the phase's start
        /// (absent: it waits without compensation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery_milestone: Option<DeliveryMilestone>,
        /// Months over which each phase ramps to its full billed capacity. Default 0: a
        /// pre-leased anchor pays for what it signed from its start (the market's
        /// `lease.ramp_months` applies to walk-in tenants only).
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        #[schemars(range(min = 0, max = 120))]
        ramp_months: u32,
        /// The tenant's options to renew each phase at the end of its term (absent: it renews
        /// as market tenants do, with `lease.renewal_probability` at the market rent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renewal_options: Option<RenewalOptions>,
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
        /// The GPUs' generation (`market.ai.gpu_hour.generations`), whose GPU-hour price they
        /// earn; absent: the market's single price (without generations) or the newest
        /// generation launched by the deployment's date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        generation: Option<String>,
        /// Share of the spot GPUs' hours rented while the AI market is in a bust; absent:
        /// `utilization`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction"))]
        bust_utilization: Option<f64>,
        /// A fixed-price take-or-pay contract for a share of the GPUs; the rest rent at spot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contract: Option<GpuContract>,
        /// A loan secured on the GPUs, drawn when they are bought (corporate recourse).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        debt: Option<GpuDebt>,
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
    /// Host a client's mining machines in a hall that has no ASICs of the operator's (an ASIC
    /// hall emptied, or an idle hall): the client pays a hosting fee and, under pass-through,
    /// the energy its machines draw; its machines run when its own margin is positive; it may
    /// default (docs/model.md, Hosting). At the end of the term, or at a default, the hall is
    /// free again for the plan.
    HostMiners {
        /// Date the client's machines start.
        date: Date,
        /// Site name.
        site: String,
        /// Hall name.
        hall: String,
        /// The client's machines' draw at full run, MW of IT (within the hall's cooling and
        /// rack density), with `j_per_th`; or give `machines`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1e-3, max = 10_000.0), extend("x-expected" = "MW of IT, within the hall's capacity"))]
        mw: Option<f64>,
        /// The client's machines' efficiency, J/TH (their TH/s = MW × 10⁶ ÷ J/TH), with `mw`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1.0, max = 1_000.0), extend("x-expected" = "J per TH"))]
        j_per_th: Option<f64>,
        /// The client's machines as a count of one model, instead of `mw` and `j_per_th`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        machines: Option<HostedMachines>,
        /// Term, years.
        #[schemars(range(min = 1.0 / 12.0, max = 50.0), extend("x-expected" = "years"))]
        term_years: f64,
        /// Hosting fee on the energy the client's machines draw (IT kWh), USD per kWh: it
        /// falls when they curtail. Give this or `fee_usd_per_kw_month`, not both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "USD per kWh"))]
        fee_usd_per_kwh: Option<f64>,
        /// Hosting fee on the contracted kW of IT, USD per kW-month: owed whether or not the
        /// machines run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 1e5), extend("x-expected" = "USD per kW-month"))]
        fee_usd_per_kw_month: Option<f64>,
        /// Who pays the energy the machines draw (their IT load × the hall's PUE).
        power: HostingPower,
        /// Margin on the energy passed through, a fraction of its cost (0: at cost).
        #[serde(default, skip_serializing_if = "is_zero")]
        #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "a fraction of the energy cost"))]
        power_markup: f64,
        /// Deposit the client pays at the start, months of its expected bill at full run (the
        /// fee, and the energy passed through at the site's mean energy price); returned at
        /// the end, or set against its arrears at a default.
        #[serde(default, skip_serializing_if = "is_zero")]
        #[schemars(range(min = 0.0, max = 24.0), extend("x-expected" = "months of the bill"))]
        deposit_months: f64,
        /// The client's default hazard while its margin is positive, per year.
        #[serde(default = "default_hosting_hazard")]
        #[schemars(range(min = 0.0, max = 10.0), extend("x-expected" = "defaults per year"))]
        default_hazard_per_year: f64,
        /// How much the hazard multiplies when the client's all-in cost is twice what its
        /// machines earn (margin −100%); log-linear in between, capped there.
        #[serde(default = "default_underwater_multiplier")]
        #[schemars(range(min = 1.0, max = 1_000.0), extend("x-expected" = "a factor ≥ 1"))]
        underwater_hazard_multiplier: f64,
        /// Months of bills a defaulting client leaves unpaid (the month of the default
        /// included).
        #[serde(default = "default_arrears_months")]
        #[schemars(range(min = 0, max = 24))]
        arrears_months: u32,
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

/// A lease's renewal options, as deals write them ("two 5-year renewal options").
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalOptions {
    /// Options, each one more term.
    #[schemars(range(min = 1, max = 20))]
    pub count: u32,
    /// Term of each renewal, years.
    #[schemars(range(min = 1.0 / 12.0, max = 50.0), extend("x-expected" = "years"))]
    pub term_years: f64,
    /// Rent of a renewal.
    pub rent: RenewalRent,
}

/// The rent a renewal option sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RenewalRent {
    /// The market rent of the day (times the tenant's own price factor): the tenant renews
    /// with the market's `renewal_probability`.
    Market,
    /// The last rent stepped up by this fraction: the tenant renews whenever that is no more
    /// than the market rent of the day, and otherwise as at `market`.
    FixedStep(f64),
}

/// One more phase of a lease deal: capacity delivered later, or in another hall.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeasePhase {
    /// Hall name (same site as the deal).
    pub hall: String,
    /// Capacity of this phase, MW of IT.
    #[schemars(range(min = 1e-3, max = 10_000.0), extend("x-expected" = "MW of IT, within the hall's GPU capacity"))]
    pub mw: f64,
    /// Months from signing to this phase's contracted start (its delivery date).
    #[schemars(range(min = 0.0, max = 120.0), extend("x-expected" = "months"))]
    pub start_delay_months: f64,
}

/// Delivery terms of a lease deal: liquidated damages while a phase is late, and the
/// tenant's right to cancel a phase that is too late (as in the 2025 campus leases).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMilestone {
    /// Months after a phase's contracted start beyond which, if its hall is still not
    /// ready, the tenant cancels the phase.
    #[schemars(range(min = 0.0, max = 120.0), extend("x-expected" = "months"))]
    pub cancel_if_late_months: f64,
    /// Liquidated damages the landlord owes while a phase is late, USD per MW of the phase
    /// per month late.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1e8), extend("x-expected" = "USD per MW-month"))]
    pub liquidated_damages_usd_per_mw_month: f64,
}

/// A fixed-price multi-year GPU contract (take-or-pay: the contracted GPUs bill the fixed
/// price for every hour they are working, whatever the spot price and utilisation). At its
/// end they return to spot.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuContract {
    /// Share of the deployment's GPUs contracted.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the GPUs"))]
    pub share_of_gpus: f64,
    /// Term from when the GPUs start renting, years.
    #[schemars(range(min = 1.0 / 12.0, max = 30.0), extend("x-expected" = "years"))]
    pub term_years: f64,
    /// Fixed price, USD per GPU-hour.
    #[schemars(range(min = 0.0, max = 1_000.0), extend("x-expected" = "USD per GPU-hour"))]
    pub price_usd_per_gpu_hour: f64,
    /// Share of the contract's value (contracted GPUs × price × hours of the term) the
    /// customer prepays at signing (the deployment's date); it settles what the contract bills
    /// from the start until used up. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the contract's value"))]
    pub prepaid_share_of_contract: f64,
}

/// A loan secured on a GPU deployment (like CoreWeave's delayed-draw term loans): a share of
/// the GPU capex, drawn at purchase, repaid within the GPUs' life. With corporate recourse (the
/// default) it is the company's debt: if the company defaults, the lenders take the GPUs with
/// the rest of its assets. With project recourse the GPUs and their contract sit in a
/// special-purpose vehicle whose own cash flow serves the loan; at its default the lenders
/// take the GPUs and the company goes on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuDebt {
    /// Share of the GPU capex borrowed.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the capex"))]
    pub share_of_capex: f64,
    /// Interest rate.
    pub rate: DebtRate,
    /// Months to maturity, at most the GPUs' life.
    #[schemars(range(min = 1, max = 600))]
    pub term_months: u32,
    /// Repayment.
    pub repayment: Repayment,
    /// Whom the lenders can reach: `corporate` (default) or `project` (the GPUs and their
    /// contract alone).
    #[serde(default, skip_serializing_if = "Recourse::is_corporate")]
    pub recourse: Recourse,
    /// The SPV loan's covenants and reserve (with `recourse: project`; defaults apply when
    /// absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_terms: Option<ProjectTerms>,
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
    /// Sign before building: offer the next ASIC hall (file order) to the tenants who are
    /// waiting for capacity, and start converting it as soon as the waiting tenants it could
    /// serve add up to `min_preleased_share` of its capacity; they sign then, for delivery
    /// when it is ready. A tenant counts when the hall's shape suits it and the build's lead
    /// time is within its start delay (it wants the space no earlier than the build gives it).
    ConvertOnPrelease {
        /// Share of the converted hall's GPU capacity the waiting tenants must take before
        /// the build starts (0: any one tenant it suits).
        #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the hall's GPU MW"))]
        min_preleased_share: f64,
        /// Shape after conversion.
        to: HallTarget,
        /// Capex per MW of IT after conversion, USD/MW.
        #[schemars(range(min = 0.0, max = 1e9), extend("x-expected" = "USD per MW"))]
        capex_usd_per_mw: f64,
        /// Months from start to GPU-ready.
        #[schemars(range(min = 0, max = 120))]
        lead_time_months: u32,
        /// Calendar months into each build during which the hall's ASICs keep hashing (at
        /// most the lead time). Default 0.
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        #[schemars(range(min = 0, max = 120))]
        asics_hash_for_months: u32,
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

/// A hosting client's machines: a count of one model.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostedMachines {
    /// Machines.
    #[schemars(range(min = 1, max = 100_000_000))]
    pub units: u32,
    /// Hashrate per machine, TH/s.
    #[schemars(range(min = 1e-3, max = 1e6), extend("x-expected" = "TH/s per machine"))]
    pub th_s: f64,
    /// Power per machine at the wall, W.
    #[schemars(range(min = 1.0, max = 1e6), extend("x-expected" = "W per machine"))]
    pub watts: f64,
}

impl HostedMachines {
    /// Their draw at full run, MW of IT.
    pub fn it_mw(&self) -> f64 {
        f64::from(self.units) * self.watts / 1e6
    }
}

/// Who pays the energy a hosting client's machines draw.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostingPower {
    /// The client pays the site's cost of its energy (plus `power_markup`).
    PassThrough,
    /// The operator pays it out of the fee.
    Included,
}

/// A hosting client's hazard with a positive margin, per year: docs/sources.md, Hosting.
fn default_hosting_hazard() -> f64 {
    0.05
}

/// docs/sources.md, Hosting.
fn default_underwater_multiplier() -> f64 {
    10.0
}

/// docs/sources.md, Hosting.
fn default_arrears_months() -> u32 {
    3
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

fn is_zero_u32(x: &u32) -> bool {
    *x == 0
}
