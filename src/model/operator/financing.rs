//! Debt and valuation: loans, depreciation, the DSCR covenant and default, the terminal
//! value at the horizon, and payback.

use std::collections::VecDeque;

use crate::engine::{SimTime, math};
use crate::model::ai::SECONDS_PER_YEAR;
use crate::model::compiled::DebtSpec;
use crate::model::finance::{DefaultReason, Depreciation, Loan, Trailing};
use crate::model::operator::{Flow, Operator};
use crate::scenario::TerminalValue;

/// Debt, depreciation, covenant and valuation state.
#[derive(Debug, Default)]
pub(super) struct Books {
    pub(super) loans: Vec<Loan>,
    pub(super) depreciation: Depreciation,
    pub(super) trailing: Trailing,
    /// EBITDA of the last twelve months, for the terminal value.
    pub(super) trailing_ebitda: VecDeque<f64>,
    pub(super) breached_months: u32,
    pub(super) default: Option<(SimTime, DefaultReason)>,
    /// Unlevered monthly flows; index 0 is time zero (no outlay).
    pub(super) project_flows: Vec<f64>,
    pub(super) min_cash: f64,
    pub(super) min_cash_month: usize,
    pub(super) terminal_value: f64,
}

impl Operator<'_> {
    /// Default when cash is below zero, or when the DSCR covenant has been breached for the
    /// allowed number of consecutive months.
    pub(super) fn test_default(&mut self) {
        if self.cash < 0.0 {
            self.books.default = Some((self.clock, DefaultReason::Cash));
            return;
        }
        if let Some((min_dscr, allowed)) = self.model.finance.covenant {
            match self.books.trailing.dscr() {
                Some(dscr) if dscr < min_dscr => self.books.breached_months += 1,
                _ => self.books.breached_months = 0,
            }
            if self.books.breached_months >= allowed {
                self.books.default = Some((self.clock, DefaultReason::Covenant));
            }
        }
    }

    /// At the horizon: the terminal value of trailing-twelve-month EBITDA, added to the IRR
    /// flows whole and to NPV as equity (less outstanding debt, at least zero).
    pub(super) fn value_at_horizon(&mut self) {
        if self.books.default.is_some() {
            return;
        }
        let ebitda: f64 = self.books.trailing_ebitda.iter().sum();
        let value = match self.model.finance.terminal {
            TerminalValue::None => 0.0,
            TerminalValue::ExitMultiple(m) => ebitda * m,
            TerminalValue::CapRate(r) => ebitda / r,
        }
        .max(0.0);
        self.books.terminal_value = value;
        let debt: f64 = self.books.loans.iter().map(|l| l.balance).sum();
        let equity = (value - debt).max(0.0);
        let years = self.clock.secs() as f64 / SECONDS_PER_YEAR;
        self.npv += equity * math::powf(1.0 + self.model.discount_rate, -years);
        if let Some(last) = self.books.project_flows.last_mut() {
            *last += value;
        }
    }

    /// Draws a loan: the cash arrives now; interest is capitalised for `grace_months`
    /// closes, then service starts.
    pub(super) fn draw_debt(&mut self, spec: DebtSpec, grace_months: u32) {
        if self.books.default.is_some() {
            return;
        }
        self.month[Flow::DebtDraws] += spec.principal;
        self.books.loans.push(Loan::with_grace(spec, grace_months));
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
