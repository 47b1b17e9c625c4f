//! Financing: the operator's debts and what follows from them. It owns the loans, the
//! depreciation schedule (for taxes), the trailing DSCR and the covenant's breach count, the
//! default, and the valuation at the horizon; the month close calls it to book debt service
//! and taxes and to test for default.
//!
//! New kinds of debt (project-finance loans tied to a conversion, a revolver) and their rules
//! (lock-up, cures, reserves) belong here, with their own state.

use std::collections::VecDeque;

use crate::compiled::{DebtSpec, FinanceSpec};
use crate::finance::{DefaultReason, Depreciation, Loan, TaxBook, Trailing};
use crate::operator::{Flow, Flows};
use pivotsim_engine::SimTime;
use pivotsim_scenario::TerminalValue;

/// Debt, depreciation, covenant, default and valuation state under the scenario's terms.
#[derive(Debug)]
pub(super) struct Financing<'a> {
    terms: &'a FinanceSpec,
    loans: Vec<Loan>,
    /// Depreciation of all capex at one life, when every class has the same life (one
    /// schedule, as before classes existed, so such scenarios keep their exact numbers);
    /// otherwise of the fit-out.
    depreciation: Depreciation,
    /// Depreciation of ASICs and of GPUs, when the lives differ by class.
    by_class: Option<(Depreciation, Depreciation)>,
    /// The taxes paid (interest deducted).
    taxes: TaxBook,
    /// The taxes the business would pay without debt, for the project value.
    unlevered_taxes: TaxBook,
    trailing: Trailing,
    /// EBITDA of the last twelve months, USD, for the terminal value.
    trailing_ebitda: VecDeque<f64>,
    /// Consecutive month closes with the DSCR below the covenant.
    breached_months: u32,
    default: Option<(SimTime, DefaultReason)>,
    /// Terminal value at the horizon, USD (0 until then, and after a default).
    terminal_value: f64,
}

/// What the operator is worth at the horizon, USD.
#[derive(Copy, Clone, Debug)]
pub(super) struct HorizonValue {
    /// The whole business (enterprise value).
    pub(super) value: f64,
    /// What is left to the owners: the value less outstanding debt, at least zero.
    pub(super) equity: f64,
}

impl<'a> Financing<'a> {
    /// At time zero: the scenario's debts without a drawing date are outstanding (their cash
    /// arrived before the run).
    pub(super) fn new(terms: &'a FinanceSpec) -> Self {
        Financing {
            terms,
            loans: terms
                .debts
                .iter()
                .filter(|d| d.drawn.is_none())
                .map(|d| Loan::drawn(d.clone()))
                .collect(),
            depreciation: Depreciation::default(),
            by_class: {
                let d = terms.depreciation_months;
                (d.asics != d.fit_out || d.gpus != d.fit_out)
                    .then(|| (Depreciation::default(), Depreciation::default()))
            },
            taxes: TaxBook::new(terms.tax_rate, terms.loss_carryforward_limit),
            unlevered_taxes: TaxBook::new(terms.tax_rate, terms.loss_carryforward_limit),
            trailing: Trailing::default(),
            trailing_ebitda: VecDeque::new(),
            breached_months: 0,
            default: None,
            terminal_value: 0.0,
        }
    }

    /// Whether the run has defaulted (absorbing: nothing accrues afterwards).
    pub(super) fn has_defaulted(&self) -> bool {
        self.default.is_some()
    }

    /// When and why the run defaulted, if it did.
    pub(super) fn default(&self) -> Option<(SimTime, DefaultReason)> {
        self.default
    }

    /// Principal outstanding on every loan, USD.
    pub(super) fn debt_outstanding(&self) -> f64 {
        self.loans.iter().map(|l| l.balance).sum()
    }

    /// The trailing-twelve-month DSCR, or None when no debt was serviced in the window.
    pub(super) fn dscr(&self) -> Option<f64> {
        self.trailing.dscr()
    }

    /// The terminal value booked at the horizon, USD.
    pub(super) fn terminal_value(&self) -> f64 {
        self.terminal_value
    }

    /// Draws a loan into the open month `month`: the cash arrives now; interest is
    /// capitalised for `grace_months` closes, then service starts. Nothing after a default.
    pub(super) fn draw(&mut self, spec: DebtSpec, grace_months: u32, month: &mut Flows) {
        if self.has_defaulted() {
            return;
        }
        month[Flow::DebtDraws] += spec.principal;
        self.loans.push(Loan::with_grace(spec, grace_months));
    }

    /// Books the month's debt service and taxes into `month` (of tax year `year`), whose
    /// operating flows are complete: every loan's interest and principal at base rate
    /// `base_rate`, then taxes on EBITDA less interest and depreciation, through the tax
    /// book (a year's losses offset its profits; net losses carry forward). Updates the
    /// trailing DSCR and the trailing twelve months' EBITDA. Returns the taxes the month
    /// would have paid without debt (on EBITDA less depreciation, with their own losses
    /// carried), USD: the taxes of the project value, which no interest shields.
    pub(super) fn book_month(&mut self, month: &mut Flows, base_rate: f64, year: i32) -> f64 {
        let (mut interest, mut principal) = (0.0, 0.0);
        for loan in &mut self.loans {
            let s = loan.pay_month(base_rate);
            interest += s.interest;
            principal += s.principal;
        }
        let ebitda = month.ebitda();
        let lives = self.terms.depreciation_months;
        let depreciation = match &mut self.by_class {
            None => {
                self.depreciation.add(month[Flow::Capex], lives.fit_out);
                self.depreciation.take_month()
            }
            Some((asics, gpus)) => {
                let (a, g) = (month[Flow::AsicCapex], month[Flow::GpuCapex]);
                asics.add(a, lives.asics);
                gpus.add(g, lives.gpus);
                self.depreciation
                    .add(month[Flow::Capex] - a - g, lives.fit_out);
                asics.take_month() + gpus.take_month() + self.depreciation.take_month()
            }
        };
        month[Flow::Interest] = interest;
        month[Flow::Principal] = principal;
        month[Flow::Taxes] = self.taxes.month(year, ebitda - interest - depreciation);
        self.trailing
            .push(ebitda - month[Flow::Taxes], interest + principal);
        self.trailing_ebitda.push_back(ebitda);
        if self.trailing_ebitda.len() > 12 {
            self.trailing_ebitda.pop_front();
        }
        self.unlevered_taxes.month(year, ebitda - depreciation)
    }

    /// After a month is booked with `cash` left at `now`: default when cash is below zero,
    /// or when the DSCR covenant has been breached for the allowed number of consecutive
    /// months. Returns whether the run defaulted now.
    pub(super) fn test_default(&mut self, cash: f64, now: SimTime) -> bool {
        if self.has_defaulted() {
            return false;
        }
        if cash < 0.0 {
            self.default = Some((now, DefaultReason::Cash));
            return true;
        }
        if let Some((min_dscr, allowed)) = self.terms.covenant {
            match self.trailing.dscr() {
                Some(dscr) if dscr < min_dscr => self.breached_months += 1,
                _ => self.breached_months = 0,
            }
            if self.breached_months >= allowed {
                self.default = Some((now, DefaultReason::Covenant));
                return true;
            }
        }
        false
    }

    /// At the horizon: the terminal value of the trailing twelve months' EBITDA under the
    /// scenario's rule, and the owners' equity in it. None after a default.
    pub(super) fn value_at_horizon(&mut self) -> Option<HorizonValue> {
        if self.has_defaulted() {
            return None;
        }
        let ebitda: f64 = self.trailing_ebitda.iter().sum();
        let value = match self.terms.terminal {
            TerminalValue::None => 0.0,
            TerminalValue::ExitMultiple(m) => ebitda * m,
            TerminalValue::CapRate(r) => ebitda / r,
        }
        .max(0.0);
        self.terminal_value = value;
        let debt = self.debt_outstanding();
        Some(HorizonValue {
            value,
            equity: (value - debt).max(0.0),
        })
    }
}

/// The first month (1-based) whose cumulative unlevered cash flow is back at or above zero
/// after having gone below it; 0 when it never went below; NaN when it never came back.
pub(super) fn payback_month(flows: &[f64]) -> f64 {
    let mut cumulative = 0.0;
    let mut went_negative = false;
    for (k, f) in flows.iter().enumerate() {
        cumulative += f;
        if cumulative < 0.0 {
            went_negative = true;
        } else if went_negative {
            return k as f64;
        }
    }
    if went_negative { f64::NAN } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::DepreciationMonths;

    fn terms(asics: u32, gpus: u32, fit_out: u32) -> FinanceSpec {
        FinanceSpec {
            tax_rate: 0.5,
            loss_carryforward_limit: 0.8,
            depreciation_months: DepreciationMonths {
                asics,
                gpus,
                fit_out,
            },
            base_rate: None,
            debts: Vec::new(),
            covenant: None,
            terminal: TerminalValue::None,
        }
    }

    /// A month with $10,000 of EBITDA that spends $1,200 on ASICs, $2,400 on GPUs and
    /// $12,000 on a conversion; returns its taxes.
    fn taxes_of_a_month(terms: &FinanceSpec) -> f64 {
        let mut f = Financing::new(terms);
        let mut month = Flows::default();
        month[Flow::MiningRevenue] = 10_000.0;
        month[Flow::AsicCapex] = 1_200.0;
        month[Flow::GpuCapex] = 2_400.0;
        month[Flow::ConversionCapex] = 12_000.0;
        month[Flow::Capex] = 15_600.0;
        f.book_month(&mut month, 0.0, 2026);
        month[Flow::Taxes]
    }

    #[test]
    fn each_asset_class_depreciates_over_its_own_life() {
        // Lives of 12, 24 and 120 months: the first month depreciates 1,200/12 + 2,400/24 +
        // 12,000/120 = 300, so at 50% the tax is 0.5 × (10,000 − 300) = 4,850. With one life
        // of 120 months for everything it is 15,600/120 = 130 and the tax 4,935.
        assert!((taxes_of_a_month(&terms(12, 24, 120)) - 4_850.0).abs() < 1e-9);
        assert!((taxes_of_a_month(&terms(120, 120, 120)) - 4_935.0).abs() < 1e-9);
    }
}
