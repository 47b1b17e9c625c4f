//! The books: the cash flows accrued in the open month, the month close that books them to
//! cash, and the accounting identity checked after every event.

use std::ops::{Index, IndexMut};

use crate::engine::{SimTime, math};
use crate::model::ai::SECONDS_PER_YEAR;
use crate::model::operator::Operator;

/// How a flow moves cash.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cash {
    /// Cash comes in (the flow is added to the aggregates it belongs to).
    In,
    /// Cash goes out (the flow is subtracted).
    Out,
    /// Not cash: a breakdown of another flow, or a physical quantity.
    Not,
}

/// Which aggregate a flow belongs to. The aggregates nest, and each adds its own flows in
/// table order, so that the floating-point sums are always evaluated in the same order:
/// - mining revenue = Σ [`Class::Mining`]; GPU revenue = Σ [`Class::Gpu`];
///   revenue = mining revenue + GPU revenue;
/// - energy cost = Σ [`Class::Energy`] (as costs);
/// - EBITDA = revenue − energy cost, then Σ [`Class::Operating`];
/// - project (unlevered) cash = EBITDA, then Σ [`Class::Investment`] and [`Class::Tax`];
/// - net cash (to the owners) = EBITDA, then Σ [`Class::Investment`], [`Class::Financing`]
///   and [`Class::Tax`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Mining revenue after pool fees and demand-response credits.
    Mining,
    /// Revenue from GPU tenants and GPU clouds (net of credits owed to tenants).
    Gpu,
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
            pub const fn cash(self) -> Cash {
                match self { $( Flow::$variant => Cash::$cash, )* }
            }

            /// The aggregate it belongs to.
            pub const fn class(self) -> Class {
                match self { $( Flow::$variant => Class::$class, )* }
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
    GpuCloudRevenue => "gpu_cloud_revenue_usd", In, Gpu, "GPU-hour revenue of operator-owned GPUs, USD";
    SpotEnergy => "spot_energy_usd", Out, Energy, "energy bought at the hourly price, USD";
    PpaSettlement => "ppa_settlement_usd", Out, Energy, "PPA settlement, USD: the block's contract price minus the hourly price, times its volume; negative when power is worth more than the contract (the site gains)";
    Opex => "opex_usd", Out, Operating, "operating cost, USD";
    Capex => "capex_usd", Out, Investment, "capital spent, USD (conversions, grid upgrades, ASICs, GPUs)";
    ConversionCapex => "conversion_capex_usd", Not, Memo, "of the capital spent, conversions, USD";
    Salvage => "salvage_usd", In, Investment, "proceeds of ASICs sold, USD";
    DebtDraws => "debt_draws_usd", In, Financing, "loans drawn, USD";
    Interest => "interest_usd", Out, Financing, "interest paid, USD (booked at the month's close)";
    Principal => "principal_usd", Out, Financing, "principal repaid, USD (booked at the month's close)";
    Taxes => "taxes_usd", Out, Tax, "taxes paid, USD (booked at the month's close)";
    EnergyDrawn => "energy_mwh", Not, Memo, "facility energy drawn, MWh";
    Curtailed => "curtailed_mwh", Not, Memo, "facility energy not drawn because machines were curtailed, MWh";
    Hashing => "th_seconds", Not, Memo, "hashing done, TH/s × seconds";
    LeasedMwSeconds => "leased_mw_seconds", Not, Memo, "leased capacity (billing leases, contracted MW) × seconds";
    VacantGpuMwSeconds => "vacant_gpu_mw_seconds", Not, Memo, "vacant GPU-ready capacity, MW × seconds";
    GridOutageHours => "grid_outage_hours", Not, Memo, "site-hours of grid outage (summed over sites)";
}

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

    /// `start`, then each flow of `classes` in table order, added or subtracted as it moves
    /// cash (or, `as_costs`, as it costs: outflows added). With no `start`, the first flow
    /// starts the sum (as `a + b`, not `0 + a + b`, which could differ in the sign of a zero).
    fn fold(&self, start: Option<f64>, classes: &[Class], as_costs: bool) -> f64 {
        let mut sum = start;
        for flow in Flow::ALL {
            if !classes.contains(&flow.class()) {
                continue;
            }
            let value = self[flow];
            let adds = (flow.cash() == Cash::Out) == as_costs;
            sum = Some(match (sum, adds) {
                (None, true) => value,
                (None, false) => -value,
                (Some(s), true) => s + value,
                (Some(s), false) => s - value,
            });
        }
        sum.unwrap_or(0.0)
    }

    /// Mining revenue after pool fees plus demand-response credits, USD.
    pub fn mining_revenue(&self) -> f64 {
        self.fold(None, &[Class::Mining], false)
    }

    /// GPU revenue (leases net of SLA credits, and GPU cloud), USD.
    pub fn gpu_revenue(&self) -> f64 {
        self.fold(None, &[Class::Gpu], false)
    }

    /// All revenue, USD.
    pub fn revenue(&self) -> f64 {
        self.mining_revenue() + self.gpu_revenue()
    }

    /// Energy cost, USD (the energy flows as costs: positive when paid).
    pub fn energy_cost(&self) -> f64 {
        self.fold(None, &[Class::Energy], true)
    }

    /// EBITDA: revenue − energy − opex, USD.
    pub fn ebitda(&self) -> f64 {
        self.fold(
            Some(self.revenue() - self.energy_cost()),
            &[Class::Operating],
            false,
        )
    }

    /// Net cash flow to the owners, USD: EBITDA − capex + salvage + loans drawn − debt
    /// service − taxes.
    pub fn net_cash(&self) -> f64 {
        self.fold(
            Some(self.ebitda()),
            &[Class::Investment, Class::Financing, Class::Tax],
            false,
        )
    }

    /// Unlevered (project) cash flow, for IRR and payback, USD: EBITDA − capex + salvage −
    /// taxes.
    pub fn project_cash(&self) -> f64 {
        self.fold(Some(self.ebitda()), &[Class::Investment, Class::Tax], false)
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
}

impl Operator<'_> {
    /// Books the month accrued so far at the clock: operating flows, then debt service,
    /// depreciation and taxes; tests the covenant and cash; records the month.
    pub(super) fn close_month(&mut self) {
        let finance = &self.model.finance;
        if self.books.default.is_some() {
            self.month = Flows::default();
        } else {
            let base = self
                .world
                .base_rate
                .get(self.month_index)
                .copied()
                .unwrap_or(0.0);
            let (mut interest, mut principal) = (0.0, 0.0);
            for loan in &mut self.books.loans {
                let s = loan.pay_month(base);
                interest += s.interest;
                principal += s.principal;
            }
            self.month[Flow::SlaCredits] = self.sla_credits();
            let ebitda = self.month.ebitda();
            self.books
                .depreciation
                .add(self.month[Flow::Capex], finance.depreciation_months);
            let depreciation = self.books.depreciation.take_month();
            self.month[Flow::Interest] = interest;
            self.month[Flow::Principal] = principal;
            self.month[Flow::Taxes] =
                finance.tax_rate * (ebitda - interest - depreciation).max(0.0);
            self.books
                .trailing
                .push(ebitda - self.month[Flow::Taxes], interest + principal);
            self.books.trailing_ebitda.push_back(ebitda);
            if self.books.trailing_ebitda.len() > 12 {
                self.books.trailing_ebitda.pop_front();
            }
        }
        let net = self.month.net_cash();
        self.cash += net;
        let years = self.clock.secs() as f64 / SECONDS_PER_YEAR;
        self.npv += net * math::powf(1.0 + self.model.discount_rate, -years);
        self.books.project_flows.push(self.month.project_cash());
        self.total.add(&self.month);
        let month_number = self.months.len() + 1;
        if self.cash < self.books.min_cash {
            self.books.min_cash = self.cash;
            self.books.min_cash_month = month_number;
        }
        if self.books.default.is_none() {
            self.test_default();
            if self.books.default.is_some() {
                // The equity is wiped out: any cash left goes to the creditors.
                self.npv -= self.cash.max(0.0) * math::powf(1.0 + self.model.discount_rate, -years);
            }
        }
        self.months.push(MonthRecord {
            end: self.clock,
            flows: self.month,
            cash_after_usd: self.cash,
            leased_mw: self.rates.leased_mw,
            defaulted: self.books.default.is_some(),
        });
        self.month = Flows::default();
        self.month_index += 1;
    }

    /// Pays a lump sum now (ASICs, GPUs, a zero-lead-time project).
    pub(super) fn pay_capex(&mut self, usd: f64, conversion: bool) {
        self.month[Flow::Capex] += usd;
        if conversion {
            self.month[Flow::ConversionCapex] += usd;
        }
    }

    /// Checks the accounting identity: cash = starting cash + Σ booked months' net cash flow.
    ///
    /// Cash changes only when a month is booked (`close_month` adds `month.net_cash()` to it)
    /// and `total` is the sum of the booked months' flows. `net_cash` is linear in the flows,
    /// so Σ net_cash(month) = net_cash(Σ months) = `total.net_cash()`, and the identity is
    /// `cash − starting_cash = total.net_cash()`: O(1), so it can run after every event. Both
    /// sides are float sums of the same terms in different orders; each of the n month
    /// bookings and each of the ~12 terms of a net rounds by at most one ulp of the running
    /// magnitude, so they differ by about (n + 12) × 2.2e-16 × scale, where scale bounds
    /// the magnitudes (starting cash, cash, and every flow's total). That is below 2e-12 ×
    /// scale for the 600 months of a 50-year horizon; the check allows 1e-7 × scale, so it
    /// trips only on a flow booked to cash and not to the books (or the reverse), or on a
    /// NaN or infinity.
    pub fn check_accounts(&self) -> Result<(), String> {
        let t = &self.total;
        let booked = t.net_cash();
        let scale = self.model.starting_cash.abs()
            + self.cash.abs()
            + Flow::ALL
                .iter()
                .filter(|flow| flow.cash() != Cash::Not)
                .map(|flow| t[*flow].abs())
                .sum::<f64>();
        let gap = (self.cash - self.model.starting_cash - booked).abs();
        // Written so that a NaN anywhere fails the check.
        if gap <= 1e-7 * scale {
            Ok(())
        } else {
            Err(format!(
                "cash {} − starting cash {} differs from the booked net cash flow {booked} by {gap} at {}",
                self.cash, self.model.starting_cash, self.clock
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
                flow.cash() == Cash::Not,
                flow.class() == Class::Memo,
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
        let gpu = v(Flow::LeaseRevenue) - v(Flow::SlaCredits) + v(Flow::GpuCloudRevenue);
        let revenue = v(Flow::MiningRevenue) + v(Flow::DrCredits) + gpu;
        let energy = v(Flow::SpotEnergy) + v(Flow::PpaSettlement);
        let ebitda = revenue - energy - v(Flow::Opex);
        let net = ebitda - v(Flow::Capex) + v(Flow::Salvage) + v(Flow::DebtDraws)
            - v(Flow::Interest)
            - v(Flow::Principal)
            - v(Flow::Taxes);
        let project = ebitda - v(Flow::Capex) + v(Flow::Salvage) - v(Flow::Taxes);
        assert_eq!(f.gpu_revenue().to_bits(), gpu.to_bits());
        assert_eq!(f.revenue().to_bits(), revenue.to_bits());
        assert_eq!(f.energy_cost().to_bits(), energy.to_bits());
        assert_eq!(f.ebitda().to_bits(), ebitda.to_bits());
        assert_eq!(f.net_cash().to_bits(), net.to_bits());
        assert_eq!(f.project_cash().to_bits(), project.to_bits());
    }
}
