//! The operator's capital structure in the scenario file: debts, the base rate, covenants,
//! taxes and terminal value, and the loans that fund conversions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Date;

/// The operator's capital structure and valuation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Tax rate on positive monthly taxable income (EBITDA − interest − depreciation).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 0.9), extend("x-expected" = "a fraction of taxable income"))]
    pub tax_rate: f64,
    /// Share of a year's taxable income that losses carried forward from earlier years may
    /// offset (0.8: the US rule for losses since 2018; 1: no limit; 0: no carry-forward).
    /// Losses within a tax year (the calendar year) always offset that year's income in full.
    #[serde(default = "default_loss_carryforward_limit")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of taxable income"))]
    pub loss_carryforward_limit: f64,
    /// Straight-line depreciation life of capex, years (for taxes only; cash is unaffected).
    #[serde(default = "default_depreciation_years")]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub depreciation_years: f64,
    /// Depreciation lives by asset class, years; each class absent here, or all of them when
    /// the block is absent, uses `depreciation_years`.
    #[serde(default)]
    pub depreciation_by_class: Option<DepreciationByClass>,
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
    /// The discount rates of the two values (project and equity). When given they take
    /// precedence over the scenario's top-level `discount_rate`, which is then not used;
    /// without them `discount_rate` is both.
    // Not written when absent, so that the recorded scenario, and its fingerprint, of a
    // scenario without it stay what they were before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_rates: Option<DiscountRates>,
    /// A revolving credit facility: drawn at a month's close to keep cash at
    /// `min_cash_usd`, repaid from cash above it.
    // Fields added after the fingerprint format was fixed are not written when absent or at
    // their default, so older scenarios keep their recorded form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revolver: Option<Revolver>,
    /// The least cash the company may hold after the revolver, USD: below it the company is
    /// out of cash and defaults (0: it defaults when cash goes below zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
    pub min_cash_usd: f64,
    /// What a liquidation recovers for the plant, as a share of its undepreciated (tax) book
    /// value; at a company default the owners keep max(0, cash + reserves + this × book
    /// value − debt). 0: the plant is worth nothing to them.
    #[serde(
        default = "default_liquidation_recovery",
        skip_serializing_if = "is_default_liquidation_recovery"
    )]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of book value"))]
    pub liquidation_recovery: f64,
    /// Shares outstanding at the start: with it, every `raise_equity` states its price, and
    /// the outputs give the equity value per share after the shares issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1.0, max = 1e15), extend("x-expected" = "shares"))]
    pub shares_outstanding: Option<f64>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Share of book value a liquidation recovers when the scenario does not say: 0.5 [E]
/// (docs/model.md, Finance).
pub const DEFAULT_LIQUIDATION_RECOVERY: f64 = 0.5;

fn default_liquidation_recovery() -> f64 {
    DEFAULT_LIQUIDATION_RECOVERY
}

fn is_default_liquidation_recovery(x: &f64) -> bool {
    *x == default_liquidation_recovery()
}

/// A revolving credit facility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revolver {
    /// Most that may be drawn at once, USD.
    #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
    pub limit_usd: f64,
    /// Interest on the drawn balance.
    pub rate: DebtRate,
}

/// Whom the lenders of a conversion loan can reach.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recourse {
    /// The company: the loan is drawn when work starts and serviced from all its cash; a
    /// failure to pay is the company's default.
    #[default]
    Corporate,
    /// The project alone (non-recourse project finance): a construction loan drawn as the
    /// capex is spent, capitalising interest until the commercial operation date (COD),
    /// serviced and tested on the converted hall's own cash flows; at its default the
    /// lenders take the project and the company keeps the rest.
    Project,
}

impl Recourse {
    pub(crate) fn is_corporate(&self) -> bool {
        *self == Recourse::Corporate
    }
}

/// The covenants of a project loan, as project-finance lenders write them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectTerms {
    /// Months after COD before the first DSCR test (the ramp to stabilised operation).
    #[serde(default = "default_first_test")]
    #[schemars(range(min = 0, max = 120))]
    pub first_test_months_after_cod: u32,
    /// Below this DSCR (trailing twelve months, or since COD when shorter) no cash goes up
    /// to the parent: it is trapped in the project until a test passes again.
    #[serde(default = "default_lock_up")]
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a ratio"))]
    pub lock_up_dscr: f64,
    /// Below this DSCR for more than `cure_months` consecutive tests the loan is in default,
    /// unless the parent cures it.
    #[serde(default = "default_min_dscr")]
    #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a ratio"))]
    pub min_dscr: f64,
    /// Consecutive failed tests allowed before a default.
    #[serde(default = "default_cure_months")]
    #[schemars(range(min = 0, max = 120))]
    pub cure_months: u32,
    /// Most equity the parent may put in, over the loan's life, to cure failed tests and
    /// missed payments, USD (applied to prepay the loan).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1e13), extend("x-expected" = "USD"))]
    pub equity_cure_limit_usd: f64,
    /// Months of debt service held in a reserve account (DSRA), funded by the parent at COD,
    /// drawn when the project cannot pay, refilled from its cash, released at repayment.
    #[serde(default = "default_reserve_months")]
    #[schemars(range(min = 0, max = 60))]
    pub reserve_months: u32,
}

fn default_first_test() -> u32 {
    6
}
fn default_lock_up() -> f64 {
    1.20
}
fn default_min_dscr() -> f64 {
    1.10
}
fn default_cure_months() -> u32 {
    3
}
fn default_reserve_months() -> u32 {
    6
}

impl Default for ProjectTerms {
    fn default() -> Self {
        ProjectTerms {
            first_test_months_after_cod: default_first_test(),
            lock_up_dscr: default_lock_up(),
            min_dscr: default_min_dscr(),
            cure_months: default_cure_months(),
            equity_cure_limit_usd: 0.0,
            reserve_months: default_reserve_months(),
        }
    }
}

/// The term debt a construction loan becomes at COD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refinancing {
    /// Interest rate of the term debt.
    pub rate: DebtRate,
    /// Months from COD to maturity.
    #[schemars(range(min = 1, max = 600))]
    pub term_months: u32,
    /// Repayment (`bullet`: a note paying coupons, principal at maturity).
    pub repayment: Repayment,
}

/// The annual discount rates of the project (unlevered) value and of the equity value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRates {
    /// Rate of the project value (free cash flow to the firm), a fraction per year: the
    /// weighted cost of capital of the business, whatever it borrows.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub project: f64,
    /// Rate of the equity value (cash to and from the owners), a fraction per year: the
    /// owners' required return.
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction per year"))]
    pub equity: f64,
}

/// Straight-line depreciation lives by what the capital bought, years (for taxes only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepreciationByClass {
    /// Mining machines bought (`buy_asics`).
    #[serde(default)]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub asics_years: Option<f64>,
    /// Operator-owned GPUs (`deploy_gpu_cloud`).
    #[serde(default)]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub gpus_years: Option<f64>,
    /// Electrical and mechanical fit-out: hall conversions (less their building share) and
    /// grid upgrades.
    #[serde(default)]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub fit_out_years: Option<f64>,
    /// Buildings: the `conversion_building_share` of each conversion's capex (shell, roof,
    /// structure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 100.0), extend("x-expected" = "years"))]
    pub buildings_years: Option<f64>,
    /// Share of a conversion's capex that is building work, depreciated over
    /// `buildings_years` (default 0: all of it is fit-out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0), extend("x-expected" = "a fraction of the capex"))]
    pub conversion_building_share: Option<f64>,
}

fn default_loss_carryforward_limit() -> f64 {
    0.8
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
    /// Each business at what a buyer pays for it: the leases' trailing 12-month net operating
    /// income at a data-center cap rate, mining's trailing 12-month EBITDA at a multiple that
    /// reflects the fleet's remaining life, and operator-owned GPUs at their depreciated
    /// cost.
    BySegment {
        /// Cap rate of the leasing business's NOI (docs/sources.md §6.3: 5.5–7%).
        #[schemars(range(min = 0.001, max = 1.0), extend("x-expected" = "a fraction per year"))]
        lease_cap_rate: f64,
        /// Multiple of mining EBITDA: about the years of earnings the fleet has left.
        #[schemars(range(min = 0.0, max = 100.0), extend("x-expected" = "a multiple of EBITDA"))]
        mining_multiple: f64,
        /// Economic life of an ASIC, years: when given, the mining multiple is at most the
        /// years the fleet has left at the horizon (each fleet's life less its age then,
        /// weighted by hashrate).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.1, max = 50.0), extend("x-expected" = "years"))]
        asic_life_years: Option<f64>,
    },
}

/// A loan that funds a share of a conversion's capex: with corporate recourse drawn in full
/// when work starts (interest capitalised until the hall is ready); with project recourse
/// drawn as the capex is spent.
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
    /// Whom the lenders can reach: `corporate` (default) or `project`.
    #[serde(default, skip_serializing_if = "Recourse::is_corporate")]
    pub recourse: Recourse,
    /// The project loan's covenants and reserve (with `recourse: project`; defaults apply
    /// when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_terms: Option<ProjectTerms>,
    /// The term debt the construction loan becomes at COD (with `recourse: project`);
    /// absent: it keeps `rate`, `term_months` and `repayment`, counted from COD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refinance_at_cod: Option<Refinancing>,
}
