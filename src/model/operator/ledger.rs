//! The books: the cash flows accrued in the open month, the month close that books them to
//! cash, and the accounting identity checked after every event.

use crate::engine::{SimTime, math};
use crate::model::ai::SECONDS_PER_YEAR;
use crate::model::operator::Operator;

/// Money and energy accrued over an interval.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Flows {
    /// Mining revenue after pool fees, USD.
    pub mining_revenue_usd: f64,
    /// Demand-response credits, USD.
    pub dr_credits_usd: f64,
    /// Rent from colocation leases, USD.
    pub lease_revenue_usd: f64,
    /// GPU-hour revenue of operator-owned GPUs, USD.
    pub gpu_cloud_revenue_usd: f64,
    /// Energy bought at the hourly price, USD.
    pub spot_energy_usd: f64,
    /// PPA settlement, USD: the block's contract price minus the hourly price, times its
    /// volume. Negative when power is worth more than the contract (the site gains).
    pub ppa_settlement_usd: f64,
    /// Operating cost, USD.
    pub opex_usd: f64,
    /// Capital spent, USD (conversions, grid upgrades, ASICs, GPUs).
    pub capex_usd: f64,
    /// Of which conversions, USD.
    pub conversion_capex_usd: f64,
    /// Proceeds of ASICs sold, USD.
    pub salvage_usd: f64,
    /// Facility energy drawn, MWh.
    pub energy_mwh: f64,
    /// Facility energy not drawn because machines were curtailed, MWh.
    pub curtailed_mwh: f64,
    /// Hashing done, TH/s × seconds.
    pub th_seconds: f64,
    /// Leased capacity (billing leases, contracted MW) × seconds.
    pub leased_mw_seconds: f64,
    /// Vacant GPU-ready capacity, MW × seconds.
    pub vacant_gpu_mw_seconds: f64,
    /// Loans drawn, USD.
    pub debt_draws_usd: f64,
    /// Interest paid, USD (booked at the month's close).
    pub interest_usd: f64,
    /// Principal repaid, USD (booked at the month's close).
    pub principal_usd: f64,
    /// Taxes paid, USD (booked at the month's close).
    pub taxes_usd: f64,
    /// Service credits owed to tenants for downtime, USD (booked at the month's close).
    pub sla_credits_usd: f64,
    /// Site-hours of grid outage (summed over sites).
    pub grid_outage_hours: f64,
}

impl Flows {
    /// Every field with its name, for comparisons in tests.
    #[cfg(test)]
    pub(crate) fn values(&self) -> [(&'static str, f64); 21] {
        [
            ("mining_revenue_usd", self.mining_revenue_usd),
            ("dr_credits_usd", self.dr_credits_usd),
            ("lease_revenue_usd", self.lease_revenue_usd),
            ("gpu_cloud_revenue_usd", self.gpu_cloud_revenue_usd),
            ("spot_energy_usd", self.spot_energy_usd),
            ("ppa_settlement_usd", self.ppa_settlement_usd),
            ("opex_usd", self.opex_usd),
            ("capex_usd", self.capex_usd),
            ("conversion_capex_usd", self.conversion_capex_usd),
            ("salvage_usd", self.salvage_usd),
            ("energy_mwh", self.energy_mwh),
            ("curtailed_mwh", self.curtailed_mwh),
            ("th_seconds", self.th_seconds),
            ("leased_mw_seconds", self.leased_mw_seconds),
            ("vacant_gpu_mw_seconds", self.vacant_gpu_mw_seconds),
            ("debt_draws_usd", self.debt_draws_usd),
            ("interest_usd", self.interest_usd),
            ("principal_usd", self.principal_usd),
            ("taxes_usd", self.taxes_usd),
            ("sla_credits_usd", self.sla_credits_usd),
            ("grid_outage_hours", self.grid_outage_hours),
        ]
    }

    /// GPU revenue (leases net of SLA credits, and GPU cloud), USD.
    pub fn gpu_revenue(&self) -> f64 {
        self.lease_revenue_usd - self.sla_credits_usd + self.gpu_cloud_revenue_usd
    }

    /// All revenue, USD.
    pub fn revenue(&self) -> f64 {
        self.mining_revenue_usd + self.dr_credits_usd + self.gpu_revenue()
    }

    /// Energy cost, USD.
    pub fn energy_cost(&self) -> f64 {
        self.spot_energy_usd + self.ppa_settlement_usd
    }

    /// EBITDA: revenue − energy − opex, USD.
    pub fn ebitda(&self) -> f64 {
        self.revenue() - self.energy_cost() - self.opex_usd
    }

    /// Net cash flow, USD: EBITDA − capex + salvage + loans drawn − debt service − taxes.
    pub fn net_cash(&self) -> f64 {
        self.ebitda() - self.capex_usd + self.salvage_usd + self.debt_draws_usd
            - self.interest_usd
            - self.principal_usd
            - self.taxes_usd
    }

    /// Unlevered cash flow (for IRR and payback), USD: EBITDA − capex + salvage − taxes.
    pub fn project_cash(&self) -> f64 {
        self.ebitda() - self.capex_usd + self.salvage_usd - self.taxes_usd
    }

    fn add(&mut self, o: &Flows) {
        self.mining_revenue_usd += o.mining_revenue_usd;
        self.dr_credits_usd += o.dr_credits_usd;
        self.lease_revenue_usd += o.lease_revenue_usd;
        self.gpu_cloud_revenue_usd += o.gpu_cloud_revenue_usd;
        self.spot_energy_usd += o.spot_energy_usd;
        self.ppa_settlement_usd += o.ppa_settlement_usd;
        self.opex_usd += o.opex_usd;
        self.capex_usd += o.capex_usd;
        self.conversion_capex_usd += o.conversion_capex_usd;
        self.salvage_usd += o.salvage_usd;
        self.energy_mwh += o.energy_mwh;
        self.curtailed_mwh += o.curtailed_mwh;
        self.th_seconds += o.th_seconds;
        self.leased_mw_seconds += o.leased_mw_seconds;
        self.vacant_gpu_mw_seconds += o.vacant_gpu_mw_seconds;
        self.debt_draws_usd += o.debt_draws_usd;
        self.interest_usd += o.interest_usd;
        self.principal_usd += o.principal_usd;
        self.taxes_usd += o.taxes_usd;
        self.sla_credits_usd += o.sla_credits_usd;
        self.grid_outage_hours += o.grid_outage_hours;
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
            self.month.sla_credits_usd = self.sla_credits();
            let ebitda = self.month.ebitda();
            self.books
                .depreciation
                .add(self.month.capex_usd, finance.depreciation_months);
            let depreciation = self.books.depreciation.take_month();
            self.month.interest_usd = interest;
            self.month.principal_usd = principal;
            self.month.taxes_usd = finance.tax_rate * (ebitda - interest - depreciation).max(0.0);
            self.books
                .trailing
                .push(ebitda - self.month.taxes_usd, interest + principal);
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
        self.month.capex_usd += usd;
        if conversion {
            self.month.conversion_capex_usd += usd;
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
            + [
                t.mining_revenue_usd,
                t.dr_credits_usd,
                t.lease_revenue_usd,
                t.gpu_cloud_revenue_usd,
                t.sla_credits_usd,
                t.spot_energy_usd,
                t.ppa_settlement_usd,
                t.opex_usd,
                t.capex_usd,
                t.salvage_usd,
                t.debt_draws_usd,
                t.interest_usd,
                t.principal_usd,
                t.taxes_usd,
            ]
            .iter()
            .map(|x| x.abs())
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
