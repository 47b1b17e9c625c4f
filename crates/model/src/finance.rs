//! The books below EBITDA: debt service, depreciation and taxes, the DSCR covenant, default,
//! and valuation (NPV with a terminal value, IRR, payback).
//!
//! Conventions (docs/model.md): interest accrues monthly at the annual rate / 12 on the balance
//! at the start of the month; an amortizing loan pays a level annuity recomputed each month on
//! the remaining balance and term (so a floating rate changes the payment); a bullet loan pays
//! interest monthly and all principal with the last payment. Taxes are `tax_rate` × positive
//! (EBITDA − interest − straight-line depreciation of capex). Default is absorbing.

use pivotsim_engine::math;
use std::collections::VecDeque;

use crate::compiled::DebtSpec;
use pivotsim_scenario::{DebtRate, Repayment};

/// Level monthly payment of a loan: B·i / (1 − (1 + i)^−n), or B/n when i = 0.
pub fn annuity_payment(balance: f64, monthly_rate: f64, payments: u32) -> f64 {
    if payments == 0 {
        return balance;
    }
    if monthly_rate.abs() < 1e-15 {
        return balance / f64::from(payments);
    }
    balance * monthly_rate / (1.0 - (1.0 + monthly_rate).powi(-(payments as i32)))
}

/// The annual rate of `rate` when the base rate is `base_rate` (fractions per year).
pub fn annual_rate(rate: DebtRate, base_rate: f64) -> f64 {
    match rate {
        DebtRate::Fixed(r) => r,
        DebtRate::FloatingSpread(s) => base_rate + s,
    }
}

/// One month's debt service, USD.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Service {
    /// Interest paid.
    pub interest: f64,
    /// Principal repaid.
    pub principal: f64,
}

/// A loan being repaid.
#[derive(Debug, Clone)]
pub struct Loan {
    spec: DebtSpec,
    /// Outstanding principal, USD.
    pub balance: f64,
    payments_made: u32,
    /// Months left in which interest is capitalised and nothing is paid (construction).
    grace_left: u32,
}

impl Loan {
    /// A loan just drawn, repaid from the next month close.
    pub fn drawn(spec: DebtSpec) -> Self {
        Self::with_grace(spec, 0)
    }

    /// A loan whose interest is capitalised for `grace_months` closes (while what it funds
    /// is built); its term starts after the grace.
    pub fn with_grace(spec: DebtSpec, grace_months: u32) -> Self {
        Loan {
            balance: spec.principal,
            spec,
            payments_made: 0,
            grace_left: grace_months,
        }
    }

    /// The annual rate this month given the base rate.
    pub fn annual_rate(&self, base_rate: f64) -> f64 {
        annual_rate(self.spec.rate, base_rate)
    }

    /// Pays this month's service and returns it.
    pub fn pay_month(&mut self, base_rate: f64) -> Service {
        if self.balance <= 0.0 || self.payments_made >= self.spec.term_months {
            return Service::default();
        }
        let i = self.annual_rate(base_rate) / 12.0;
        if self.grace_left > 0 {
            self.grace_left -= 1;
            self.balance *= 1.0 + i;
            return Service::default();
        }
        let remaining = self.spec.term_months - self.payments_made;
        let interest = self.balance * i;
        let principal = match self.spec.repayment {
            Repayment::Amortizing => {
                (annuity_payment(self.balance, i, remaining) - interest).min(self.balance)
            }
            Repayment::Bullet => {
                if remaining == 1 {
                    self.balance
                } else {
                    0.0
                }
            }
        };
        self.balance -= principal;
        if remaining == 1 {
            self.balance = 0.0;
        }
        self.payments_made += 1;
        Service {
            interest,
            principal,
        }
    }
}

/// Why a run defaulted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DefaultReason {
    /// Cash went below zero.
    Cash,
    /// The DSCR covenant stayed breached for the allowed months.
    Covenant,
}

/// Income tax as a tax return computes it, booked monthly: taxable income is summed over the
/// calendar year, so a month's loss offsets the same year's profits in full (a month's tax is
/// the year-to-date liability less what the year has paid, negative when a loss returns some
/// of it), and a year's net loss is carried forward, offsetting at most `limit` of a later
/// year's taxable income (the US rule since 2018: 80%, no expiry).
#[derive(Debug, Clone)]
pub struct TaxBook {
    rate: f64,
    limit: f64,
    /// The tax year being booked.
    year: Option<i32>,
    /// Losses carried into this year from earlier ones, USD.
    carried: f64,
    /// Taxable income so far this year (before losses carried in), USD.
    year_income: f64,
    /// Tax paid so far this year, USD.
    year_paid: f64,
}

impl TaxBook {
    /// A book at `rate` (fraction of taxable income) whose carried losses offset at most
    /// `limit` of a year's taxable income.
    pub fn new(rate: f64, limit: f64) -> Self {
        TaxBook {
            rate,
            limit,
            year: None,
            carried: 0.0,
            year_income: 0.0,
            year_paid: 0.0,
        }
    }

    /// Books a month of tax year `year` with taxable income `income` (USD, negative for a
    /// loss) and returns its tax, USD: the year's liability so far less what it has paid.
    pub fn month(&mut self, year: i32, income: f64) -> f64 {
        if self.year != Some(year) {
            if self.year.is_some() {
                // Close the past year: losses it used leave the pool, a net loss joins it.
                let used = self.offset();
                self.carried += (-self.year_income).max(0.0) - used;
            }
            self.year = Some(year);
            self.year_income = 0.0;
            self.year_paid = 0.0;
        }
        self.year_income += income;
        let liability = self.rate * (self.year_income.max(0.0) - self.offset());
        let tax = liability - self.year_paid;
        self.year_paid = liability;
        tax
    }

    /// Carried losses used against this year's income so far, USD.
    fn offset(&self) -> f64 {
        self.carried.min(self.limit * self.year_income.max(0.0))
    }

    /// Losses carried into the current year and not yet used, USD.
    pub fn losses_carried(&self) -> f64 {
        self.carried - self.offset()
    }
}

/// Depreciation of past capex, straight-line.
#[derive(Debug, Clone, Default)]
pub struct Depreciation {
    /// (months left, monthly amount) per month of capex.
    layers: VecDeque<(u32, f64)>,
}

impl Depreciation {
    /// Adds a month's capex, depreciated over `months`.
    pub fn add(&mut self, capex: f64, months: u32) {
        if capex > 0.0 && months > 0 {
            self.layers.push_back((months, capex / f64::from(months)));
        }
    }

    /// What is left to depreciate (the undepreciated book value), USD.
    pub fn remaining(&self) -> f64 {
        self.layers
            .iter()
            .map(|(months, amount)| f64::from(*months) * amount)
            .sum()
    }

    /// This month's depreciation (and ages every layer by a month).
    pub fn take_month(&mut self) -> f64 {
        let mut total = 0.0;
        for layer in self.layers.iter_mut() {
            total += layer.1;
            layer.0 -= 1;
        }
        self.layers.retain(|l| l.0 > 0);
        total
    }
}

/// Trailing twelve months of (EBITDA − taxes, debt service), for the DSCR.
#[derive(Debug, Clone, Default)]
pub struct Trailing {
    months: VecDeque<(f64, f64)>,
}

impl Trailing {
    /// Records a month.
    pub fn push(&mut self, cash_available: f64, service: f64) {
        self.months.push_back((cash_available, service));
        if self.months.len() > 12 {
            self.months.pop_front();
        }
    }

    /// DSCR over the window, or None when no debt was serviced.
    pub fn dscr(&self) -> Option<f64> {
        let (cash, service) = self
            .months
            .iter()
            .fold((0.0, 0.0), |(a, b), m| (a + m.0, b + m.1));
        (service > 1e-9).then(|| cash / service)
    }
}

/// NPV at an annual rate of monthly cash flows, flow k (1-based) discounted (1+r)^(−k/12), plus
/// `flows[0]` at time zero undiscounted.
pub fn npv_monthly(annual_rate: f64, flows: &[f64]) -> f64 {
    flows
        .iter()
        .enumerate()
        .map(|(k, f)| f * math::powf(1.0 + annual_rate, -(k as f64) / 12.0))
        .sum()
}

/// The annual IRR of monthly flows (`flows[0]` at time zero), or None when it is not defined:
/// no sign change, or no root in (−99.9%, +10,000%) per year. Found by bisection on the
/// monthly rate, so with several sign changes it returns one root.
pub fn irr_monthly(flows: &[f64]) -> Option<f64> {
    let has_neg = flows.iter().any(|f| *f < 0.0);
    let has_pos = flows.iter().any(|f| *f > 0.0);
    if !has_neg || !has_pos {
        return None;
    }
    let npv = |m: f64| -> f64 {
        flows
            .iter()
            .enumerate()
            .map(|(k, f)| f / (1.0 + m).powi(k as i32))
            .sum()
    };
    let (mut lo, mut hi) = (
        math::powf(0.001, 1.0 / 12.0) - 1.0,
        math::powf(101.0, 1.0 / 12.0) - 1.0,
    );
    let (mut f_lo, f_hi) = (npv(lo), npv(hi));
    if !(f_lo.is_finite() && f_hi.is_finite()) || f_lo.signum() == f_hi.signum() {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let f_mid = npv(mid);
        if f_mid.signum() == f_lo.signum() {
            lo = mid;
            f_lo = f_mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-14 {
            break;
        }
    }
    Some((1.0 + 0.5 * (lo + hi)).powi(12) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_engine::SimTime;

    fn loan(principal: f64, rate: f64, months: u32, repayment: Repayment) -> Loan {
        Loan::drawn(DebtSpec {
            name: "l".into(),
            principal,
            drawn: Some(SimTime::ZERO),
            rate: DebtRate::Fixed(rate),
            term_months: months,
            repayment,
        })
    }

    #[test]
    fn a_years_losses_offset_its_profits_and_net_losses_carry_forward_at_80_percent() {
        // At 21%. Within 2026: −100 then +150. The year's taxable income so far is 50, so the
        // second month pays 0.21 × 50 = 10.5 (monthly taxes with no netting would pay 31.5).
        let mut t = TaxBook::new(0.21, 0.8);
        assert_eq!(t.month(2026, -100.0), 0.0);
        assert!((t.month(2026, 150.0) - 10.5).abs() < 1e-12);
        // A later loss in the year returns tax paid that year: −40 leaves 10 of income, a
        // liability of 2.1, so the month's tax is 2.1 − 10.5 = −8.4.
        assert!((t.month(2026, -40.0) - (-8.4)).abs() < 1e-12);
        // 2027 loses 100 net (no tax); 2028 earns 100. The 100 carried in offsets at most
        // 80% of 2028's income: 80, so 20 is taxed, 4.2, and 20 stays carried.
        assert_eq!(t.month(2027, -100.0), 0.0);
        assert!((t.month(2028, 100.0) - 4.2).abs() < 1e-12);
        assert!((t.losses_carried() - 20.0).abs() < 1e-12);
        // 2029 earns 100: the remaining 20 offsets it (within the 80 allowed): 0.21 × 80.
        assert!((t.month(2029, 100.0) - 16.8).abs() < 1e-12);
        assert_eq!(t.losses_carried(), 0.0);
        // Without carry-forward (limit 0) the 2028 income is taxed whole: 21.
        let mut none = TaxBook::new(0.21, 0.0);
        none.month(2027, -100.0);
        assert!((none.month(2028, 100.0) - 21.0).abs() < 1e-12);
    }

    #[test]
    fn an_amortizing_schedule_matches_the_annuity_formula_to_the_cent() {
        // $1,000,000 at 12%/yr (1%/month) over 36 months: the level payment is
        // 1,000,000 × 0.01 / (1 − 1.01^−36) = $33,214.31. Every month pays exactly that (to the
        // cent), the first month's interest is $10,000.00, and the balance is zero at the end.
        let mut l = loan(1_000_000.0, 0.12, 36, Repayment::Amortizing);
        let expected = 1_000_000.0 * 0.01 / (1.0 - 1.01f64.powi(-36));
        assert!((expected - 33_214.31).abs() < 0.005);
        let first = l.pay_month(0.0);
        assert!((first.interest - 10_000.0).abs() < 1e-9);
        assert!((first.interest + first.principal - expected).abs() < 0.005);
        let mut total_principal = first.principal;
        for _ in 1..36 {
            let s = l.pay_month(0.0);
            assert!((s.interest + s.principal - expected).abs() < 0.005, "{s:?}");
            total_principal += s.principal;
        }
        assert!((total_principal - 1_000_000.0).abs() < 0.005);
        assert_eq!(l.balance, 0.0);
        assert_eq!(l.pay_month(0.0), Service::default());
    }

    #[test]
    fn interest_is_capitalised_during_the_grace() {
        // $1,000,000 at 12% with 2 months of grace: the balance grows to 1,000,000 × 1.01² =
        // $1,020,100, nothing is paid, then the 12-month amortization starts on that balance.
        let spec = DebtSpec {
            name: "g".into(),
            principal: 1_000_000.0,
            drawn: Some(SimTime::ZERO),
            rate: DebtRate::Fixed(0.12),
            term_months: 12,
            repayment: Repayment::Amortizing,
        };
        let mut l = Loan::with_grace(spec, 2);
        assert_eq!(l.pay_month(0.0), Service::default());
        assert_eq!(l.pay_month(0.0), Service::default());
        assert!((l.balance - 1_020_100.0).abs() < 1e-6);
        let first = l.pay_month(0.0);
        let level = 1_020_100.0 * 0.01 / (1.0 - 1.01f64.powi(-12));
        assert!((first.interest + first.principal - level).abs() < 1e-6);
    }

    #[test]
    fn a_bullet_loan_pays_interest_then_all_principal() {
        // $500,000 at 6% for 12 months: interest 500,000 × 0.005 = $2,500 a month; the 12th
        // payment adds the $500,000 principal.
        let mut l = loan(500_000.0, 0.06, 12, Repayment::Bullet);
        for _ in 0..11 {
            assert_eq!(
                l.pay_month(0.0),
                Service {
                    interest: 2_500.0,
                    principal: 0.0
                }
            );
        }
        assert_eq!(
            l.pay_month(0.0),
            Service {
                interest: 2_500.0,
                principal: 500_000.0
            }
        );
    }

    #[test]
    fn npv_and_irr_match_hand_computed_values() {
        // Flows: −1,000 now, then +600 after 12 and 24 months (annual steps written as monthly
        // flows with zeros between). At 10%/yr: NPV = −1,000 + 600/1.1 + 600/1.21
        // = −1,000 + 545.4545 + 495.8678 = 41.3223.
        let mut flows = vec![0.0; 25];
        flows[0] = -1_000.0;
        flows[12] = 600.0;
        flows[24] = 600.0;
        assert!((npv_monthly(0.10, &flows) - 41.322_314).abs() < 1e-5);
        // IRR: −1,000 + 600/(1+r) + 600/(1+r)² = 0 → with x = 1/(1+r): 600x² + 600x − 1,000 = 0,
        // x = (−600 + √(360,000 + 2,400,000)) / 1,200 = 0.884,437…, r = 1/x − 1 = 13.0662%.
        let irr = irr_monthly(&flows).unwrap();
        assert!((irr - 0.130_662).abs() < 1e-5, "{irr}");
        // All-positive flows have no IRR.
        assert_eq!(irr_monthly(&[1.0, 2.0]), None);
    }

    #[test]
    fn depreciation_is_straight_line() {
        // $1,200 of capex over 12 months: $100 a month for 12 months, then nothing.
        let mut d = Depreciation::default();
        d.add(1_200.0, 12);
        for _ in 0..12 {
            assert!((d.take_month() - 100.0).abs() < 1e-12);
        }
        assert_eq!(d.take_month(), 0.0);
    }

    #[test]
    fn dscr_over_the_trailing_year() {
        // Twelve months of $150 available against $100 of service: DSCR 1.5; a 13th month of
        // $0 available drops the oldest: (11 × 150) / 1,200 = 1.375.
        let mut t = Trailing::default();
        for _ in 0..12 {
            t.push(150.0, 100.0);
        }
        assert!((t.dscr().unwrap() - 1.5).abs() < 1e-12);
        t.push(0.0, 100.0);
        assert!((t.dscr().unwrap() - 1.375).abs() < 1e-12);
    }
}
