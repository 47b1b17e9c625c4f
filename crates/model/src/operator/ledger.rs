//! The books. Every flow the operator accumulates is declared once in the `flows!` table,
//! with how it moves cash and the aggregate it belongs to, so that adding a flow is one line
//! and revenue, EBITDA, project cash and net cash follow; [`Ledger`] books the months to cash
//! and NPV and checks the accounting identity after every event.

use std::ops::{Index, IndexMut};

use crate::returns::CashFlows;

use pivotsim_engine::SECONDS_PER_YEAR;
use pivotsim_engine::{SimTime, math};

/// How a flow moves cash.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CashEffect {
    /// Cash comes in (the flow is added to the aggregates it belongs to).
    In,
    /// Cash goes out (the flow is subtracted).
    Out,
    /// Not cash: a breakdown of another flow, or a physical quantity.
    Not,
}

/// Which aggregate a flow belongs to. The aggregates nest, and each adds its own flows in
/// table order, so that the floating-point sums are always evaluated in the same order:
/// - mining revenue = Σ [`FlowClass::Mining`]; GPU revenue = Σ [`FlowClass::Gpu`];
///   hosting revenue = Σ [`FlowClass::Hosting`]; revenue = mining revenue + GPU revenue +
///   hosting revenue;
/// - energy cost = Σ [`FlowClass::Energy`] (as costs);
/// - EBITDA = revenue − energy cost, then Σ [`FlowClass::Operating`];
/// - project (unlevered) cash = EBITDA, then Σ [`FlowClass::Investment`],
///   [`FlowClass::WorkingCapital`] and [`FlowClass::Tax`];
/// - net cash (to the owners) = EBITDA, then Σ [`FlowClass::Investment`],
///   [`FlowClass::WorkingCapital`], [`FlowClass::Financing`] and [`FlowClass::Tax`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlowClass {
    /// Mining revenue after pool fees and demand-response credits.
    Mining,
    /// Revenue from GPU tenants and GPU clouds (net of credits owed to tenants).
    Gpu,
    /// Revenue from hosting clients' mining machines (net of their bad debt).
    Hosting,
    /// Energy bought or settled.
    Energy,
    /// Other operating flows (in EBITDA).
    Operating,
    /// Capital spent and recovered (below EBITDA, in project and net cash).
    Investment,
    /// Debt drawn and serviced (in net cash only).
    Financing,
    /// Taxes (in project and net cash).
    Tax,
    /// Cash timing of operating flows outside EBITDA: rent prepaid at signing, and its credits
    /// against billed rent (in project and net cash).
    WorkingCapital,
    /// Not in any cash aggregate.
    Memo,
}

/// Declares the flows once: the [`Flow`] enum with each flow's key, how it moves cash, its
/// aggregate and its description. Adding a flow is one line; every sum, the month close and
/// the accounting check follow from the table.
macro_rules! flows {
    ($( $variant:ident => $key:literal, $cash:ident, $class:ident, $doc:literal; )*) => {
        /// One quantity the books accumulate (a row of [`Flows`]).
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Flow {
            $( #[doc = $doc] $variant, )*
        }

        impl Flow {
            /// Every flow, in table order (the order aggregates add them).
            pub const ALL: [Flow; [$( Flow::$variant ),*].len()] = [$( Flow::$variant ),*];

            /// Number of flows.
            pub const COUNT: usize = Self::ALL.len();

            /// Position in `ALL`.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// Stable key with its unit.
            pub const fn key(self) -> &'static str {
                match self { $( Flow::$variant => $key, )* }
            }

            /// How it moves cash.
            pub const fn cash_effect(self) -> CashEffect {
                match self { $( Flow::$variant => CashEffect::$cash, )* }
            }

            /// The aggregate it belongs to.
            pub const fn class(self) -> FlowClass {
                match self { $( Flow::$variant => FlowClass::$class, )* }
            }

            /// One-line description with its unit.
            pub const fn description(self) -> &'static str {
                match self { $( Flow::$variant => $doc, )* }
            }
        }
    };
}

flows! {
    MiningRevenue => "mining_revenue_usd", In, Mining, "mining revenue after pool fees, USD";
    DrCredits => "dr_credits_usd", In, Mining, "demand-response credits, USD";
    LeaseRevenue => "lease_revenue_usd", In, Gpu, "rent from colocation leases, USD";
    SlaCredits => "sla_credits_usd", Out, Gpu, "service credits owed to tenants for downtime, USD (booked at the month's close)";
    LateDeliveryDamages => "late_delivery_damages_usd", Out, Gpu, "liquidated damages owed to tenants while a phase they signed for is late, USD";
    GuaranteeFees => "guarantee_fees_usd", Out, Gpu, "fees paid for guarantors' backing of tenants' rent (their credit class's share of the rent billed), USD";
    DefaultRecoveries => "default_recoveries_usd", In, Gpu, "what guarantors or estates paid at tenants' defaults (their class's share of the rent left on the term), USD";
    GpuCloudRevenue => "gpu_cloud_revenue_usd", In, Gpu, "GPU-hour revenue of operator-owned GPUs, USD";
    HostingFees => "hosting_fees_usd", In, Hosting, "hosting fees billed to clients (per kWh drawn or per contracted kW-month), USD";
    HostingPowerBilled => "hosting_power_billed_usd", In, Hosting, "energy passed through to hosting clients (at cost plus any markup), USD";
    HostingBadDebt => "hosting_bad_debt_usd", Out, Hosting, "a defaulted hosting client's unpaid bills less its deposit, written off, USD";
    SpotEnergy => "spot_energy_usd", Out, Energy, "energy bought at the hourly price, USD";
    PpaSettlement => "ppa_settlement_usd", Out, Energy, "PPA settlement, USD: (contract − hourly price) × the block; negative when the site gains";
    Opex => "opex_usd", Out, Operating, "operating cost, USD";
    Capex => "capex_usd", Out, Investment, "capital spent, USD (conversions, grid upgrades, ASICs, GPUs)";
    ConversionCapex => "conversion_capex_usd", Not, Memo, "of the capital spent, conversions, USD";
    AsicCapex => "asic_capex_usd", Not, Memo, "of the capital spent, ASICs bought, USD";
    GpuCapex => "gpu_capex_usd", Not, Memo, "of the capital spent, GPUs deployed, USD";
    Salvage => "salvage_usd", In, Investment, "proceeds of ASICs sold, USD";
    PlantToLenders => "plant_to_lenders_usd", In, Investment, "a converted hall its project lenders took, at its liquidation value (what it settles of their claim; not cash: paired with debt_settled_by_plant_usd), USD";
    RentPrepaid => "rent_prepaid_usd", In, WorkingCapital, "rent prepaid by tenants, and GPU contracts prepaid by customers, at signing, USD";
    PrepaymentCredits => "prepayment_credits_usd", Out, WorkingCapital, "billed rent (or GPU contract revenue) settled from a prepayment rather than paid in cash, USD";
    HostingDeposits => "hosting_deposits_usd", In, WorkingCapital, "deposits received from hosting clients, less those returned or set against arrears (negative then), USD";
    HostingEnergy => "hosting_energy_usd", Not, Memo, "of the spot energy, the energy of hosting clients' machines, USD";
    HostingOpex => "hosting_opex_usd", Not, Memo, "of the opex, the hosting halls', USD";
    LeaseEnergy => "lease_energy_usd", Not, Memo, "of the spot energy, the energy of leases with power included, USD";
    GpuCloudEnergy => "gpu_cloud_energy_usd", Not, Memo, "of the spot energy, the energy of operator-owned GPUs, USD";
    GpuHallOpex => "gpu_hall_opex_usd", Not, Memo, "of the opex, the GPU-ready halls', USD";
    TenantFundedCapex => "tenant_funded_capex_usd", Not, Memo, "conversion capex paid by tenants (not the company's), USD";
    DebtDraws => "debt_draws_usd", In, Financing, "loans drawn, USD";
    EquityRaised => "equity_raised_usd", In, Financing, "new shares sold, gross, USD (cash to the company; not counted in the owners' flows, which count the spending it funds)";
    EquityIssueCosts => "equity_issue_costs_usd", Out, Financing, "fees and discount of the shares sold, USD";
    Interest => "interest_usd", Out, Financing, "interest paid, USD (booked at the month's close)";
    DebtSettledByPlant => "debt_settled_by_plant_usd", Out, Financing, "project debt settled by the hall its lenders took (not cash: paired with plant_to_lenders_usd), USD";
    Principal => "principal_usd", Out, Financing, "principal repaid, USD (booked at the month's close)";
    SeizedAtDefault => "seized_at_default_usd", Out, Financing, "cash left at a company default, taken by the creditors (negative when they absorb a deficit), USD (booked at the default's close)";
    LiquidationProceeds => "liquidation_proceeds_usd", In, Financing, "what the owners keep at a company default, max(0, assets − liabilities), and the excess over the lenders' claim when they take a project, USD";
    RestrictedCashIn => "restricted_cash_in_usd", Out, Financing, "cash put into project accounts the parent cannot use (debt-service reserves, locked-up cash), USD";
    RestrictedCashOut => "restricted_cash_out_usd", In, Financing, "cash out of project accounts to pay their debt or released to the parent, USD";
    Taxes => "taxes_usd", Out, Tax, "taxes paid, USD (booked at the month's close)";
    CapitalisedInterest => "capitalised_interest_usd", Not, Memo, "interest added to construction loans until COD (not paid), USD";
    EquityCures => "equity_cures_usd", Not, Memo, "equity the parent put into project loans to cure missed payments or failed tests, USD";
    EnergyDrawn => "energy_mwh", Not, Memo, "facility energy drawn, MWh";
    Curtailed => "curtailed_mwh", Not, Memo, "facility energy not drawn because machines were curtailed, MWh";
    Hashing => "th_seconds", Not, Memo, "hashing done, TH/s × seconds";
    LeasedMwSeconds => "leased_mw_seconds", Not, Memo, "leased capacity (billing leases, contracted MW) × seconds";
    VacantGpuMwSeconds => "vacant_gpu_mw_seconds", Not, Memo, "vacant GPU-ready capacity, MW × seconds";
    GridOutageHours => "grid_outage_hours", Not, Memo, "site-hours of grid outage (summed over sites)";
}

/// The flows one aggregate adds, in table order, with whether each is added or subtracted:
/// built at compile time from the classes, so that [`Flows::fold`] visits only those flows.
/// The month close and the trailing DSCR fold the table thousands of times per replication,
/// and matching every flow's class against the aggregate's classes was about a tenth of a
/// replication's instructions.
struct FoldPlan {
    /// Indices of the flows, in table order (the first `len`).
    flows: [usize; Flow::COUNT],
    /// Whether each is added (else subtracted).
    adds: [bool; Flow::COUNT],
    len: usize,
}

impl FoldPlan {
    /// The flows of `classes`, added as they move cash in (or, `as_costs`, as they cost:
    /// outflows added).
    const fn new(classes: &[FlowClass], as_costs: bool) -> Self {
        let mut plan = FoldPlan {
            flows: [0; Flow::COUNT],
            adds: [false; Flow::COUNT],
            len: 0,
        };
        let mut i = 0;
        while i < Flow::COUNT {
            let flow = Flow::ALL[i];
            let mut c = 0;
            while c < classes.len() {
                if classes[c] as u32 == flow.class() as u32 {
                    plan.flows[plan.len] = i;
                    plan.adds[plan.len] = matches!(flow.cash_effect(), CashEffect::Out) == as_costs;
                    plan.len += 1;
                    break;
                }
                c += 1;
            }
            i += 1;
        }
        plan
    }
}

const HOSTING_REVENUE: FoldPlan = FoldPlan::new(&[FlowClass::Hosting], false);
const MINING_REVENUE: FoldPlan = FoldPlan::new(&[FlowClass::Mining], false);
const GPU_REVENUE: FoldPlan = FoldPlan::new(&[FlowClass::Gpu], false);
const ENERGY_COST: FoldPlan = FoldPlan::new(&[FlowClass::Energy], true);
const OPERATING: FoldPlan = FoldPlan::new(&[FlowClass::Operating], false);
const BELOW_EBITDA_TO_OWNERS: FoldPlan = FoldPlan::new(
    &[
        FlowClass::Investment,
        FlowClass::WorkingCapital,
        FlowClass::Financing,
        FlowClass::Tax,
    ],
    false,
);
const BELOW_EBITDA_PROJECT: FoldPlan = FoldPlan::new(
    &[
        FlowClass::Investment,
        FlowClass::WorkingCapital,
        FlowClass::Tax,
    ],
    false,
);
const BELOW_EBITDA_FREE_CASH: FoldPlan =
    FoldPlan::new(&[FlowClass::Investment, FlowClass::WorkingCapital], false);

/// Money and energy accrued over an interval: one value per [`Flow`], indexed by it.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Flows([f64; Flow::COUNT]);

impl Default for Flows {
    fn default() -> Self {
        Flows([0.0; Flow::COUNT])
    }
}

impl Index<Flow> for Flows {
    type Output = f64;
    fn index(&self, flow: Flow) -> &f64 {
        &self.0[flow.index()]
    }
}

impl IndexMut<Flow> for Flows {
    fn index_mut(&mut self, flow: Flow) -> &mut f64 {
        &mut self.0[flow.index()]
    }
}

impl Flows {
    /// Every flow with its key, for comparisons in tests.
    #[cfg(test)]
    pub(crate) fn values(&self) -> [(&'static str, f64); Flow::COUNT] {
        Flow::ALL.map(|flow| (flow.key(), self[flow]))
    }

    /// `start`, then each flow of `plan` in table order, added or subtracted as it moves
    /// cash (or, for costs, as it costs: outflows added). With no `start`, the first flow
    /// starts the sum (as `a + b`, not `0 + a + b`, which could differ in the sign of a zero).
    fn fold(&self, start: Option<f64>, plan: &FoldPlan) -> f64 {
        let mut sum = start;
        for k in 0..plan.len {
            let value = self.0[plan.flows[k]];
            let adds = plan.adds[k];
            sum = Some(match (sum, adds) {
                (None, true) => value,
                (None, false) => -value,
                (Some(s), true) => s + value,
                (Some(s), false) => s - value,
            });
        }
        sum.unwrap_or(0.0)
    }

    /// Net operating income of the leasing business, USD: rent − SLA credits − late-delivery
    /// damages − guarantee fees − the energy of leases with power included − the GPU-ready
    /// halls' opex.
    pub fn lease_noi(&self) -> f64 {
        self[Flow::LeaseRevenue]
            - self[Flow::SlaCredits]
            - self[Flow::LateDeliveryDamages]
            - self[Flow::GuaranteeFees]
            - self[Flow::LeaseEnergy]
            - self[Flow::GpuHallOpex]
    }

    /// EBITDA of the operator's own GPUs, USD: GPU-hour revenue − their energy.
    pub fn gpu_cloud_ebitda(&self) -> f64 {
        self[Flow::GpuCloudRevenue] - self[Flow::GpuCloudEnergy]
    }

    /// EBITDA of hosting, USD: fees and power billed − bad debt − the hosted machines'
    /// energy − the hosting halls' opex.
    pub fn hosting_ebitda(&self) -> f64 {
        self.hosting_revenue() - self[Flow::HostingEnergy] - self[Flow::HostingOpex]
    }

    /// Hosting revenue: fees and power billed to clients less bad debt, USD.
    pub fn hosting_revenue(&self) -> f64 {
        self.fold(None, &HOSTING_REVENUE)
    }

    /// Mining revenue after pool fees plus demand-response credits, USD.
    pub fn mining_revenue(&self) -> f64 {
        self.fold(None, &MINING_REVENUE)
    }

    /// GPU revenue (leases net of SLA credits, and GPU cloud), USD.
    pub fn gpu_revenue(&self) -> f64 {
        self.fold(None, &GPU_REVENUE)
    }

    /// All revenue, USD.
    pub fn revenue(&self) -> f64 {
        self.mining_revenue() + self.gpu_revenue() + self.hosting_revenue()
    }

    /// Energy cost, USD (the energy flows as costs: positive when paid).
    pub fn energy_cost(&self) -> f64 {
        self.fold(None, &ENERGY_COST)
    }

    /// EBITDA: revenue − energy − opex, USD.
    pub fn ebitda(&self) -> f64 {
        self.fold(Some(self.revenue() - self.energy_cost()), &OPERATING)
    }

    /// Net cash flow to the owners, USD: EBITDA − capex + salvage + loans drawn − debt
    /// service − taxes.
    pub fn net_cash(&self) -> f64 {
        self.fold(Some(self.ebitda()), &BELOW_EBITDA_TO_OWNERS)
    }

    /// Unlevered (project) cash flow, for IRR and payback, USD: EBITDA − capex + salvage −
    /// taxes (the taxes actually paid, after the interest shield).
    pub fn project_cash(&self) -> f64 {
        self.fold(Some(self.ebitda()), &BELOW_EBITDA_PROJECT)
    }

    /// Free cash flow to the firm, for the project value, USD: EBITDA − capex + salvage ±
    /// rent prepayments and their credits − `unlevered_taxes` (the taxes the month would pay without debt). Without debt it is
    /// [`Flows::project_cash`] bit for bit (the same terms in the same order).
    pub fn free_cash_flow(&self, unlevered_taxes: f64) -> f64 {
        self.fold(Some(self.ebitda()), &BELOW_EBITDA_FREE_CASH) - unlevered_taxes
    }

    /// Adds `other` flow by flow.
    pub(super) fn add(&mut self, other: &Flows) {
        for (sum, value) in self.0.iter_mut().zip(&other.0) {
            *sum += value;
        }
    }
}

/// One closed month.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MonthRecord {
    /// When the month was closed (its end).
    pub end: SimTime,
    /// What accrued during it.
    pub flows: Flows,
    /// Cash after booking it, USD.
    pub cash_after_usd: f64,
    /// Leased capacity at the close, MW IT (billing leases).
    pub leased_mw: f64,
    /// Whether the run has defaulted by the close.
    pub defaulted: bool,
    /// Principal outstanding on every loan after the close, USD (frozen at a default: the
    /// lenders' claim).
    pub debt_outstanding_usd: f64,
    /// Trailing-twelve-month DSCR at the close ((EBITDA − taxes) ÷ debt service); None when
    /// no debt was serviced in the window, or after a default.
    pub dscr: Option<f64>,
}

/// What capital buys, for its depreciation life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum CapexKind {
    /// Mining machines.
    Asics,
    /// Operator-owned GPUs.
    Gpus,
    /// Electrical and mechanical fit-out: a hall's conversion (`conversion`) or a grid
    /// upgrade.
    FitOut {
        /// Whether it is a conversion's.
        conversion: bool,
    },
}

/// The state at a month's close that its record keeps beside the flows.
#[derive(Copy, Clone, Debug)]
pub(super) struct MonthClose {
    /// Leased capacity (billing leases), MW IT.
    pub(super) leased_mw: f64,
    /// Whether the run has defaulted.
    pub(super) defaulted: bool,
    /// Principal outstanding, USD.
    pub(super) debt_outstanding_usd: f64,
    /// Trailing DSCR, if any.
    pub(super) dscr: Option<f64>,
}

/// The books of one run: the open month's flows, cash, the equity and project values, the
/// closed months, and the unlevered monthly flows for IRR and payback. Cash moves only when a
/// month is booked.
#[derive(Debug)]
pub(super) struct Ledger {
    /// What has accrued in the month not yet closed.
    pub(super) month: Flows,
    /// The sum of the booked months' flows.
    total: Flows,
    /// Cash at time zero, USD.
    starting_cash: f64,
    /// Annual discount rate of the project value, fraction per year.
    project_rate: f64,
    /// Annual discount rate of the equity value, fraction per year.
    equity_rate: f64,
    /// Cash now, USD.
    cash: f64,
    /// Equity value: net present value of the booked months' net cash flows to the owners
    /// (and, at the horizon, the equity), at the equity rate, USD.
    npv: f64,
    /// Project value: net present value of the booked months' free cash flows to the firm
    /// (and, at the horizon, the terminal value), at the project rate, USD.
    project_npv: f64,
    months: Vec<MonthRecord>,
    /// Unlevered monthly flows, USD; index 0 is time zero (no outlay). The last includes the
    /// terminal value.
    project_flows: Vec<f64>,
    /// Free cash flows to the firm, monthly, USD (taxes as if unlevered: no interest
    /// shield), in step with `project_npv`; index 0 is time zero, the last includes the
    /// terminal value. The project side of returns against a baseline.
    free_cash_flows: Vec<f64>,
    /// The owners' monthly flows, USD, in step with `npv`: each booked month's net cash, minus
    /// the cash lost at a default, plus the equity at the horizon; index 0 is time zero.
    equity_flows: Vec<f64>,
    /// What the horizon added to the last project and equity flows, USD (terminal value and
    /// equity), so that operating flows can be told apart from the exit.
    horizon_values: (f64, f64),
    /// Lowest cash recorded at any close (or at the start), USD, and the month (1-based) it
    /// was reached (0: at the start).
    min_cash: f64,
    min_cash_month: usize,
    /// Present value at the equity rate of the equity raised, USD.
    raised_pv: f64,
    /// What the guarantors' warrants took from the owners at the end of the run, USD.
    warrants_took: f64,
    /// Shares issued by raises.
    shares_issued: f64,
}

impl Ledger {
    /// Empty books with `starting_cash` USD, discounting the project value at `project_rate`
    /// and the equity value at `equity_rate` (fractions per year), with room for `months`
    /// closes.
    pub(super) fn new(
        starting_cash: f64,
        project_rate: f64,
        equity_rate: f64,
        months: usize,
    ) -> Self {
        Ledger {
            month: Flows::default(),
            total: Flows::default(),
            starting_cash,
            project_rate,
            equity_rate,
            cash: starting_cash,
            npv: 0.0,
            project_npv: 0.0,
            months: Vec::with_capacity(months),
            project_flows: vec![0.0],
            free_cash_flows: vec![0.0],
            equity_flows: vec![0.0],
            horizon_values: (0.0, 0.0),
            min_cash: starting_cash,
            min_cash_month: 0,
            raised_pv: 0.0,
            warrants_took: 0.0,
            shares_issued: 0.0,
        }
    }

    /// Pays a lump sum of capital of kind `kind` now, USD.
    pub(super) fn pay_capex(&mut self, usd: f64, kind: CapexKind) {
        self.month[Flow::Capex] += usd;
        match kind {
            CapexKind::Asics => self.month[Flow::AsicCapex] += usd,
            CapexKind::Gpus => self.month[Flow::GpuCapex] += usd,
            CapexKind::FitOut { conversion: true } => self.month[Flow::ConversionCapex] += usd,
            CapexKind::FitOut { conversion: false } => {}
        }
    }

    /// Drops what the open month accrued (after a default nothing more is booked).
    pub(super) fn discard_open_month(&mut self) {
        self.month = Flows::default();
    }

    /// The discount factor at `rate` a year of a flow at `at`.
    fn discount_at(rate: f64, at: SimTime) -> f64 {
        let years = at.secs() as f64 / SECONDS_PER_YEAR;
        math::powf(1.0 + rate, -years)
    }

    /// The equity discount factor of a flow at `at`.
    fn discount(&self, at: SimTime) -> f64 {
        Self::discount_at(self.equity_rate, at)
    }

    /// Books the open month (complete, with its debt service and taxes) at `at`: its net
    /// cash flow to cash and the equity value, its free cash flow (with `unlevered_taxes`,
    /// USD, the taxes it would pay without debt) to the project value, its unlevered flow,
    /// the totals and the lowest cash.
    pub(super) fn book_month(&mut self, at: SimTime, unlevered_taxes: f64) {
        let net = self.month.net_cash();
        self.cash += net;
        // The owners' flow: the company's net cash counts as paid out to them (or in by them
        // when negative), except new equity, which they paid in themselves.
        let to_owners = net - self.month[Flow::EquityRaised];
        self.npv += to_owners * self.discount(at);
        let free_cash_flow = self.month.free_cash_flow(unlevered_taxes);
        self.project_npv += free_cash_flow * Self::discount_at(self.project_rate, at);
        self.project_flows.push(self.month.project_cash());
        self.free_cash_flows.push(free_cash_flow);
        self.equity_flows.push(to_owners);
        self.total.add(&self.month);
    }

    /// On a company default at `at`, after the month is booked: the creditors take the cash
    /// (or absorb its deficit) and the owners keep `kept` (USD, what a liquidation leaves
    /// them), both booked as financing flows of that month, so that cash (then `kept`), the
    /// equity value, the owners' flows and the month's record agree. The project value keeps
    /// the free cash flows up to the default and gets no terminal value (the model books
    /// nothing after a default).
    pub(super) fn settle_default(&mut self, at: SimTime, kept: f64) {
        let seized = self.cash;
        let flow = kept - seized;
        self.month[Flow::SeizedAtDefault] += seized;
        self.month[Flow::LiquidationProceeds] += kept;
        self.total[Flow::SeizedAtDefault] += seized;
        self.total[Flow::LiquidationProceeds] += kept;
        self.cash += flow;
        self.npv += flow * self.discount(at);
        if let Some(last) = self.equity_flows.last_mut() {
            *last += flow;
        }
    }

    /// Records the booked month ending at `end` (with the state at its close: leased MW,
    /// default, debt outstanding and DSCR) and opens the next one.
    pub(super) fn record_month(&mut self, end: SimTime, at_close: MonthClose) {
        // The lowest cash is that of the records (after a default's settlement).
        if self.cash < self.min_cash {
            self.min_cash = self.cash;
            self.min_cash_month = self.months.len() + 1;
        }
        self.months.push(MonthRecord {
            end,
            flows: self.month,
            cash_after_usd: self.cash,
            leased_mw: at_close.leased_mw,
            defaulted: at_close.defaulted,
            debt_outstanding_usd: at_close.debt_outstanding_usd,
            dscr: at_close.dscr,
        });
        self.month = Flows::default();
    }

    /// Books the value at the horizon `at`: the owners' `equity` to the equity value, the
    /// whole `value` to the project value and to the last unlevered flow, USD.
    pub(super) fn book_horizon_value(&mut self, at: SimTime, value: f64, equity: f64) {
        self.npv += equity * self.discount(at);
        self.project_npv += value * Self::discount_at(self.project_rate, at);
        if let Some(last) = self.project_flows.last_mut() {
            *last += value;
        }
        if let Some(last) = self.free_cash_flows.last_mut() {
            *last += value;
        }
        if let Some(last) = self.equity_flows.last_mut() {
            *last += equity;
        }
        self.horizon_values = (value, equity);
    }

    /// At the end of the run `at` (the horizon, after its value is booked, or a default,
    /// after its settlement), the guarantors exercise their warrants and take `usd` of what
    /// the owners held: out of the equity value and the owners' last flow (and, at the
    /// horizon, out of what the exit added to it). Not cash: the company's cash and its
    /// accounts do not move, its shares change hands.
    pub(super) fn warrants_exercised(&mut self, at: SimTime, usd: f64, at_horizon: bool) {
        if usd == 0.0 {
            return;
        }
        self.npv -= usd * self.discount(at);
        if let Some(last) = self.equity_flows.last_mut() {
            *last -= usd;
        }
        if at_horizon {
            self.horizon_values.1 -= usd;
        }
        self.warrants_took += usd;
    }

    /// What the guarantors' warrants took from the owners, USD (0 without warrants).
    pub(super) fn warrants_took(&self) -> f64 {
        self.warrants_took
    }

    /// Sells new shares at `at`: `amount` (USD) comes in, `cost` (USD) goes out, and
    /// `shares` are issued when the scenario counts them; the raise's present value at the
    /// equity rate is kept for the value per share.
    pub(super) fn raise_equity(
        &mut self,
        amount: f64,
        cost: f64,
        shares: Option<f64>,
        at: SimTime,
    ) {
        self.month[Flow::EquityRaised] += amount;
        self.month[Flow::EquityIssueCosts] += cost;
        self.raised_pv += amount * self.discount(at);
        self.shares_issued += shares.unwrap_or(0.0);
    }

    /// The equity value per share at the horizon, USD, given `shares_outstanding` at the
    /// start: the starting cash (the equity value is what the owners gain over holding it)
    /// plus the equity value plus the present value of the new equity (the new holders paid
    /// for their shares), over all the shares.
    pub(super) fn value_per_share(&self, shares_outstanding: f64) -> f64 {
        (self.starting_cash + self.npv + self.raised_pv) / (shares_outstanding + self.shares_issued)
    }

    /// Cash now, USD.
    pub(super) fn cash(&self) -> f64 {
        self.cash
    }

    /// Equity value so far (net present value of the owners' cash flows), USD.
    pub(super) fn npv(&self) -> f64 {
        self.npv
    }

    /// Project value so far (net present value of the free cash flows to the firm), USD.
    pub(super) fn project_npv(&self) -> f64 {
        self.project_npv
    }

    /// The sum of the booked months' flows.
    pub(super) fn total(&self) -> &Flows {
        &self.total
    }

    /// The closed months.
    pub(super) fn months(&self) -> &[MonthRecord] {
        &self.months
    }

    /// Unlevered monthly flows, USD; index 0 is time zero.
    pub(super) fn project_flows(&self) -> &[f64] {
        &self.project_flows
    }

    /// The project (free cash flow to the firm, as the project value counts it) and equity
    /// cash flows of the run, monthly from time zero, with what the horizon added to each
    /// (see [`CashFlows`]).
    pub(super) fn cash_flows(&self) -> (CashFlows<'_>, CashFlows<'_>) {
        (
            CashFlows {
                monthly: &self.free_cash_flows,
                at_horizon: self.horizon_values.0,
            },
            CashFlows {
                monthly: &self.equity_flows,
                at_horizon: self.horizon_values.1,
            },
        )
    }

    /// The lowest cash, USD, and the month (1-based; 0: at the start) it was reached.
    pub(super) fn min_cash(&self) -> (f64, usize) {
        (self.min_cash, self.min_cash_month)
    }

    /// Checks the accounting identity: cash = starting cash + Σ booked months' net cash flow.
    ///
    /// Cash changes only when a month is booked (`book_month` adds `month.net_cash()` to it)
    /// and `total` is the sum of the booked months' flows. `net_cash` is linear in the flows,
    /// so Σ net_cash(month) = net_cash(Σ months) = `total.net_cash()`, and the identity is
    /// `cash − starting_cash = total.net_cash()`: O(1), so it can run after every event. Both
    /// sides are float sums of the same terms in different orders; each of the n month
    /// bookings and each of the ~12 terms of a net rounds by at most one ulp of the running
    /// magnitude, so they differ by about (n + 12) × 2.2e-16 × scale, where scale bounds
    /// the magnitudes (starting cash, cash, and every flow's total). That is below 2e-12 ×
    /// scale for the 600 months of a 50-year horizon; the check allows 1e-7 × scale, so it
    /// trips only on a flow booked to cash and not to the books (or the reverse), or on a
    /// NaN or infinity. `now` only labels the message.
    pub(super) fn check_accounts(&self, now: SimTime) -> Result<(), String> {
        let t = &self.total;
        let booked = t.net_cash();
        let scale = self.starting_cash.abs()
            + self.cash.abs()
            + Flow::ALL
                .iter()
                .filter(|flow| flow.cash_effect() != CashEffect::Not)
                .map(|flow| t[*flow].abs())
                .sum::<f64>();
        let gap = (self.cash - self.starting_cash - booked).abs();
        // Written so that a NaN anywhere fails the check.
        if gap <= 1e-7 * scale {
            Ok(())
        } else {
            Err(format!(
                "cash {} − starting cash {} differs from the booked net cash flow {booked} by {gap} at {now}",
                self.cash, self.starting_cash
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_moves_cash_exactly_when_it_is_in_a_cash_aggregate() {
        for flow in Flow::ALL {
            assert_eq!(
                flow.cash_effect() == CashEffect::Not,
                flow.class() == FlowClass::Memo,
                "{}",
                flow.key()
            );
        }
    }

    #[test]
    fn the_aggregates_add_their_flows_in_the_written_order() {
        // Values whose sums round differently in different orders: each aggregate must equal,
        // bit for bit, the expression it stands for, evaluated left to right.
        let mut f = Flows::default();
        for (k, flow) in Flow::ALL.into_iter().enumerate() {
            f[flow] = 0.1 * (k as f64 + 1.0) + 1e6 / (k as f64 + 3.0);
        }
        let v = |flow| f[flow];
        let gpu = v(Flow::LeaseRevenue)
            - v(Flow::SlaCredits)
            - v(Flow::LateDeliveryDamages)
            - v(Flow::GuaranteeFees)
            + v(Flow::DefaultRecoveries)
            + v(Flow::GpuCloudRevenue);
        let hosting = v(Flow::HostingFees) + v(Flow::HostingPowerBilled) - v(Flow::HostingBadDebt);
        let revenue = v(Flow::MiningRevenue) + v(Flow::DrCredits) + gpu + hosting;
        let energy = v(Flow::SpotEnergy) + v(Flow::PpaSettlement);
        let ebitda = revenue - energy - v(Flow::Opex);
        let net = ebitda - v(Flow::Capex)
            + v(Flow::Salvage)
            + v(Flow::PlantToLenders)
            + v(Flow::RentPrepaid)
            - v(Flow::PrepaymentCredits)
            + v(Flow::HostingDeposits)
            + v(Flow::DebtDraws)
            + v(Flow::EquityRaised)
            - v(Flow::EquityIssueCosts)
            - v(Flow::Interest)
            - v(Flow::DebtSettledByPlant)
            - v(Flow::Principal)
            - v(Flow::SeizedAtDefault)
            + v(Flow::LiquidationProceeds)
            - v(Flow::RestrictedCashIn)
            + v(Flow::RestrictedCashOut)
            - v(Flow::Taxes);
        let project = ebitda - v(Flow::Capex)
            + v(Flow::Salvage)
            + v(Flow::PlantToLenders)
            + v(Flow::RentPrepaid)
            - v(Flow::PrepaymentCredits)
            + v(Flow::HostingDeposits)
            - v(Flow::Taxes);
        assert_eq!(f.gpu_revenue().to_bits(), gpu.to_bits());
        assert_eq!(f.hosting_revenue().to_bits(), hosting.to_bits());
        assert_eq!(f.revenue().to_bits(), revenue.to_bits());
        assert_eq!(f.energy_cost().to_bits(), energy.to_bits());
        assert_eq!(f.ebitda().to_bits(), ebitda.to_bits());
        assert_eq!(f.net_cash().to_bits(), net.to_bits());
        assert_eq!(f.project_cash().to_bits(), project.to_bits());
    }
}
