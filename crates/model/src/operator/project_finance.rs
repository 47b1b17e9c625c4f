//! Project finance: a conversion loan whose lenders can reach only the converted hall.
//!
//! This is how the data-center conversions in the source deals are financed (a construction
//! loan at 70–85% of cost, secured on the project, sized to contracted rent). The loan draws
//! as the capex is spent and capitalises its interest until the commercial operation date
//! (COD, the hall is ready). At COD it becomes term debt (its own terms, or a refinancing),
//! and the parent funds a debt-service reserve (DSRA). From then on it is serviced from the
//! project's own cash flow available for debt service (CFADS: the hall's rent, less its
//! operating cost and any power the landlord pays), through the usual waterfall:
//!
//! 1. debt service; a shortfall is drawn from the reserve, then from locked-up cash, then
//!    cured by the parent with equity (within `equity_cure_limit_usd`, and only when the
//!    parent can spare it); otherwise the project is in payment default;
//! 2. the reserve is refilled to its target;
//! 3. from `first_test_months_after_cod`, the DSCR (trailing twelve months, or since COD) is
//!    tested: below `lock_up_dscr` what is left stays in the project (locked up) until a test
//!    passes; below `min_dscr` for more than `cure_months` consecutive tests the parent cures
//!    it (equity that prepays the loan and counts as CFADS for the test) or the project
//!    defaults;
//! 4. whatever is left goes up to the parent.
//!
//! At a project default the lenders take the project: its hall, leases, reserve and
//! locked-up cash. They recover at most what they are owed, so the parent gets any excess of
//! the project's liquidation value over their claim. The company itself goes on.
//!
//! The same loan finances GPUs with project recourse (`deploy_gpu_cloud`'s `debt` with
//! `recourse: project`), as GPU-backed facilities are structured: the GPUs and their contract
//! sit in a special-purpose vehicle (SPV) whose cash flow (what the GPUs bill, less their
//! energy and their share of the hall's opex) serves the loan through the same waterfall. The
//! loan is drawn when the GPUs are bought; while they wait for their hall it capitalises its
//! interest, as a construction loan does, and it becomes term debt (with its reserve) when
//! they start renting. At its default the lenders take the GPUs and their contract; the hall
//! stays the company's.
//!
//! In the consolidated books the parent's cash is its free cash: money in the reserve and
//! locked up is outside it (moved by the restricted-cash flows), so the owners' flows see
//! cash only when it can reach them.

use std::collections::VecDeque;

use crate::compiled::DebtSpec;
use crate::finance::{Loan, annual_rate, annuity_payment};
use pivotsim_engine::SimTime;
use pivotsim_scenario::{ConversionDebt, DebtRate, GpuDebt, ProjectTerms, Repayment};

/// What a project loan's lenders can take, and whose cash flow serves it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Collateral {
    /// The converted hall, with its leases.
    Hall,
    /// A GPU deployment (its index among the GPU clouds) and its contract, in an SPV.
    Gpus(usize),
}

/// The project's operating flows accrued in the open month, USD.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(super) struct ProjectMonth {
    /// Rent billed by the leases in the project's hall.
    pub(super) revenue: f64,
    /// The hall's operating cost.
    pub(super) opex: f64,
    /// Energy the landlord pays for its tenants (leases with power included).
    pub(super) energy: f64,
}

impl ProjectMonth {
    /// Cash flow available for debt service, USD.
    pub(super) fn cfads(&self) -> f64 {
        self.revenue - self.opex - self.energy
    }
}

/// Where a project loan is in its life.
#[derive(Debug, Clone)]
enum Phase {
    /// Drawing as the capex is spent, interest capitalised.
    Construction,
    /// Term debt serviced from the project's cash flow.
    Operating(Loan),
    /// Repaid: the reserve is released, nothing more happens.
    Repaid,
    /// The lenders took the project.
    Foreclosed,
}

/// What a project loan's month close moved, USD.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(super) struct ProjectClose {
    /// Construction draws (cash in to the parent, which pays the capex).
    pub(super) draws: f64,
    /// Interest added to the construction balance (not paid).
    pub(super) capitalised_interest: f64,
    /// Interest paid.
    pub(super) interest: f64,
    /// Principal repaid (scheduled, and cures applied as prepayments).
    pub(super) principal: f64,
    /// Cash moved from the parent into the reserve or locked up.
    pub(super) to_restricted: f64,
    /// Cash released to the parent from the reserve or lock-up.
    pub(super) from_restricted: f64,
    /// Equity the parent put in to cure a shortfall or a failed test.
    pub(super) cure: f64,
    /// At a default: what the parent gets back, the excess of the project's liquidation
    /// value over the lenders' claim (usually 0).
    pub(super) foreclosed: Option<f64>,
    /// At a default: the plant the lenders took, at its liquidation value, USD (the part of
    /// their claim it settles).
    pub(super) plant_transferred: f64,
}

/// The parent's position when a project loan closes its month.
#[derive(Copy, Clone, Debug)]
pub(super) struct ParentCash {
    /// Free cash the parent would hold after this close without any cure, USD.
    pub(super) available: f64,
    /// The least cash the parent must keep, USD: it cures only above it.
    pub(super) floor: f64,
}

/// A project loan at a month close, as the monthly statement shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectStatus {
    /// The loan's name (`conversion of <hall>`).
    pub name: String,
    /// Why its lenders took it, once they did (`missed payment`, or the DSCR test).
    pub foreclosure_reason: Option<&'static str>,
    /// The converted hall (global index).
    pub hall: usize,
    /// `construction`, `operating`, `locked up`, `repaid` or `taken by lenders`.
    pub state: &'static str,
    /// Owed to the lenders, USD.
    pub balance_usd: f64,
    /// The last tested DSCR (None before the first test and once it is over).
    pub dscr: Option<f64>,
    /// Debt-service reserve, USD.
    pub reserve_usd: f64,
    /// Cash locked up in the project, USD.
    pub locked_up_usd: f64,
    /// The month's cash flow available for debt service, USD.
    pub cfads_usd: f64,
    /// The month's interest and principal paid, USD.
    pub service_usd: f64,
    /// What went up to the parent this month, USD (negative when the parent put cash in:
    /// the reserve at COD, a cure).
    pub distributed_usd: f64,
    /// Equity the parent put in this month to cure it, USD.
    pub cure_usd: f64,
}

/// A conversion loan with project recourse.
#[derive(Debug, Clone)]
pub(super) struct ProjectLoan {
    /// Name, for reports.
    pub(super) name: String,
    /// The converted hall, or the hall the GPUs stand in (global index).
    pub(super) hall: usize,
    /// What the lenders can take: the hall, or the GPUs.
    pub(super) collateral: Collateral,
    share_of_capex: f64,
    terms: ProjectTerms,
    construction_rate: DebtRate,
    /// The term debt at COD.
    term: (DebtRate, u32, Repayment),
    /// Capex spent evenly from `start` to `ready`, USD per second.
    spend_rate: f64,
    start: SimTime,
    ready: SimTime,
    /// The last month close (the start before the first).
    last_close: SimTime,
    /// Total capex of the conversion, USD, and its tax life, months (its book value).
    capex: f64,
    life_months: u32,
    phase: Phase,
    /// Construction balance, USD (principal drawn plus capitalised interest).
    construction_balance: f64,
    /// Reserve target and balance, USD.
    reserve_target: f64,
    pub(super) reserve: f64,
    /// Cash locked up in the project, USD.
    pub(super) trapped: f64,
    /// (CFADS incl. deemed cures, debt service) of the months since COD, at most twelve.
    window: VecDeque<(f64, f64)>,
    months_since_cod: u32,
    months_since_start: u32,
    breached: u32,
    cure_left: f64,
    /// The open month's operating flows.
    pub(super) month: ProjectMonth,
    /// The last tested DSCR, if a test has run.
    pub(super) dscr: Option<f64>,
    /// When the lenders took the project, if they did.
    pub(super) foreclosed_at: Option<SimTime>,
    /// Why they did.
    pub(super) foreclosure_reason: Option<&'static str>,
    /// Whether cash is locked up after the last test.
    pub(super) locked_up: bool,
    /// The last month close's flows and CFADS, USD, for the statement.
    last: (ProjectClose, f64),
}

impl ProjectLoan {
    /// A project loan for the conversion of `hall` (named `name`) under `debt`, whose `capex`
    /// (USD) is spent evenly from `start` to `ready` and depreciates over `life_months`.
    pub(super) fn new(
        name: String,
        hall: usize,
        debt: &ConversionDebt,
        capex: f64,
        (start, ready): (SimTime, SimTime),
        life_months: u32,
    ) -> Self {
        let span = ready.secs_since(start) as f64;
        let term = debt
            .refinance_at_cod
            .map_or((debt.rate, debt.term_months, debt.repayment), |r| {
                (r.rate, r.term_months, r.repayment)
            });
        let terms = debt.project_terms.unwrap_or_default();
        ProjectLoan {
            name,
            hall,
            collateral: Collateral::Hall,
            share_of_capex: debt.share_of_capex,
            terms,
            construction_rate: debt.rate,
            term,
            spend_rate: if span > 0.0 { capex / span } else { 0.0 },
            start,
            ready,
            last_close: start,
            capex,
            life_months,
            phase: Phase::Construction,
            construction_balance: if span > 0.0 {
                0.0
            } else {
                capex * debt.share_of_capex
            },
            reserve_target: 0.0,
            reserve: 0.0,
            trapped: 0.0,
            window: VecDeque::with_capacity(13),
            months_since_cod: 0,
            months_since_start: 0,
            breached: 0,
            cure_left: terms.equity_cure_limit_usd,
            month: ProjectMonth::default(),
            dscr: None,
            locked_up: false,
            foreclosed_at: None,
            foreclosure_reason: None,
            last: (ProjectClose::default(), 0.0),
        }
    }

    /// An SPV loan on GPU deployment `cloud`, standing in `hall`, under `debt`: the GPUs cost
    /// `capex` (USD, its book value over `life_months`) and `debt.share_of_capex` of it is
    /// drawn at `start`, when they are bought, at base rate `base_rate`. GPUs that rent from `start` (`ready` ≤ `start`)
    /// put the loan into service at once, and the second value is the reserve the parent
    /// funds now, USD; GPUs waiting for their hall until `ready` capitalise its interest until
    /// then, when it becomes term debt and the reserve is funded (at that month close).
    pub(super) fn on_gpus(
        name: String,
        (hall, cloud): (usize, usize),
        debt: &GpuDebt,
        capex: f64,
        (start, ready): (SimTime, SimTime),
        life_months: u32,
        base_rate: f64,
    ) -> (Self, f64) {
        let principal = capex * debt.share_of_capex;
        let conversion = ConversionDebt {
            share_of_capex: debt.share_of_capex,
            rate: debt.rate,
            term_months: debt.term_months,
            repayment: debt.repayment,
            recourse: debt.recourse,
            project_terms: debt.project_terms,
            refinance_at_cod: None,
        };
        // Spent at once: `new` holds it all as drawn, and nothing more is drawn.
        let mut loan =
            ProjectLoan::new(name, hall, &conversion, capex, (start, start), life_months);
        loan.collateral = Collateral::Gpus(cloud);
        loan.ready = ready.max(start);
        if loan.ready > start {
            return (loan, 0.0);
        }
        let reserve = loan.term_out_at(principal, start, base_rate);
        (loan, reserve)
    }

    /// What the lenders are owed now, USD (0 once repaid or foreclosed).
    pub(super) fn balance(&self) -> f64 {
        match &self.phase {
            Phase::Construction => self.construction_balance,
            Phase::Operating(loan) => loan.balance,
            Phase::Repaid | Phase::Foreclosed => 0.0,
        }
    }

    /// Whether the project still belongs to the company and still owes its lenders.
    pub(super) fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Construction | Phase::Operating(_))
    }

    /// Whether the lenders took the project.
    pub(super) fn is_foreclosed(&self) -> bool {
        matches!(self.phase, Phase::Foreclosed)
    }

    /// Cash held in the project's reserve and lock-up accounts, USD.
    pub(super) fn restricted(&self) -> f64 {
        self.reserve + self.trapped
    }

    /// Where the loan stands after its last month close, for the statement.
    pub(super) fn status(&self) -> ProjectStatus {
        let (close, cfads) = self.last;
        ProjectStatus {
            name: self.name.clone(),
            foreclosure_reason: self.foreclosure_reason,
            hall: self.hall,
            state: match self.phase {
                Phase::Construction => "construction",
                Phase::Operating(_) if self.locked_up => "locked up",
                Phase::Operating(_) => "operating",
                Phase::Repaid => "repaid",
                Phase::Foreclosed => "taken by lenders",
            },
            balance_usd: self.balance(),
            dscr: self.dscr.filter(|_| self.is_active()),
            reserve_usd: self.reserve,
            locked_up_usd: self.trapped,
            cfads_usd: cfads,
            service_usd: close.interest + close.principal,
            distributed_usd: if matches!(self.phase, Phase::Operating(_) | Phase::Repaid) {
                cfads - close.interest - close.principal - close.to_restricted
                    + close.from_restricted
            } else {
                0.0
            },
            cure_usd: close.cure,
        }
    }

    /// Closes the month ending at `now` at base rate `base_rate`, with the parent's cash
    /// position `parent`; `recovery` is the share of book value a liquidation recovers.
    pub(super) fn close_month(
        &mut self,
        now: SimTime,
        base_rate: f64,
        parent: ParentCash,
        recovery: f64,
    ) -> ProjectClose {
        let month = std::mem::take(&mut self.month);
        let close = self.close(month, now, base_rate, parent, recovery);
        self.last = (close, month.cfads());
        close
    }

    /// The month close of [`ProjectLoan::close_month`], with the month's flows `month`.
    fn close(
        &mut self,
        month: ProjectMonth,
        now: SimTime,
        base_rate: f64,
        parent: ParentCash,
        recovery: f64,
    ) -> ProjectClose {
        let mut close = ProjectClose::default();
        if !self.is_active() {
            return close;
        }
        self.months_since_start += 1;
        if matches!(self.phase, Phase::Construction) {
            // `build` reads the previous close (the month's spending) and moves it to `now`.
            self.build(now, base_rate, &mut close);
            return close;
        }
        self.last_close = now;
        let Phase::Operating(loan) = &mut self.phase else {
            return close;
        };
        let service = loan.pay_month(base_rate);
        // A bullet's principal at maturity is refinanced, not paid from a month's rent: the
        // parent pays it (its cash stands for the new lenders'), outside the waterfall and
        // the test.
        let balloon = if self.term.2 == Repayment::Bullet {
            service.principal
        } else {
            0.0
        };
        let owed = service.interest + service.principal - balloon;
        let cfads = month.cfads();
        self.months_since_cod += 1;
        close.interest = service.interest;
        close.principal = service.principal;
        // 1. Debt service; a shortfall from the reserve (which pays service, not the hall's
        // running costs), then locked-up cash, then a cure.
        let mut excess = cfads - owed;
        if excess < 0.0 {
            let from_reserve = self.reserve.min(-excess).min(owed);
            self.reserve -= from_reserve;
            excess += from_reserve;
            let from_trapped = self.trapped.min(-excess);
            self.trapped -= from_trapped;
            excess += from_trapped;
            close.from_restricted += from_reserve + from_trapped;
            if excess < 0.0 {
                let gap = -excess;
                // The parent does not pay into a project it will lose at this month's test.
                let lost_anyway = self.test_fails_beyond_cure(cfads, owed, gap);
                if lost_anyway || !self.cure(gap, parent, &mut close) {
                    // A missed payment: the lenders take the project with what its accounts
                    // hold; this month's service was not paid, so their claim includes its
                    // principal.
                    let claim = self.balance() + service.principal;
                    self.foreclosure_reason = Some("missed payment");
                    self.reserve += from_reserve;
                    self.trapped += from_trapped;
                    close.interest = 0.0;
                    close.principal = 0.0;
                    close.from_restricted = 0.0;
                    self.foreclose(claim, recovery, &mut close);
                    return close;
                }
                excess = 0.0;
            }
        } else {
            // 2. Refill the reserve.
            let refill = (self.reserve_target - self.reserve).clamp(0.0, excess);
            self.reserve += refill;
            close.to_restricted += refill;
            excess -= refill;
        }
        self.window.push_back((cfads, owed));
        if self.window.len() > 12 {
            self.window.pop_front();
        }
        // 3. The covenant test.
        if self.months_since_cod >= self.terms.first_test_months_after_cod.max(1) {
            let (cash, service) = self
                .window
                .iter()
                .fold((0.0, 0.0), |(a, b), m| (a + m.0, b + m.1));
            if service > 1e-9 {
                let dscr = cash / service;
                self.dscr = Some(dscr);
                self.locked_up = dscr < self.terms.lock_up_dscr;
                if dscr < self.terms.min_dscr {
                    self.breached += 1;
                } else {
                    self.breached = 0;
                }
                if self.breached > self.terms.cure_months {
                    let needed = self.terms.min_dscr * service - cash;
                    if self.cure(needed, parent, &mut close) {
                        // The cure prepays the loan and counts as CFADS for the test.
                        if let Phase::Operating(loan) = &mut self.phase {
                            let prepaid = needed.min(loan.balance);
                            loan.balance -= prepaid;
                            close.principal += prepaid;
                        }
                        if let Some(last) = self.window.back_mut() {
                            last.0 += needed;
                        }
                        self.breached = 0;
                        self.locked_up = false;
                    } else {
                        let claim = self.balance();
                        self.foreclosure_reason =
                            Some("DSCR below the minimum past the cure period");
                        self.foreclose(claim, recovery, &mut close);
                        return close;
                    }
                }
            }
        }
        // 4. Lock-up, or distribution (with release of what was locked up).
        if self.locked_up {
            self.trapped += excess;
            close.to_restricted += excess;
        } else if self.trapped > 0.0 {
            close.from_restricted += self.trapped;
            self.trapped = 0.0;
        }
        if self.balance() <= 0.0 {
            close.from_restricted += self.restricted();
            self.reserve = 0.0;
            self.trapped = 0.0;
            self.phase = Phase::Repaid;
        }
        close
    }

    /// A construction month: interest on the balance is capitalised, the month's share of
    /// the capex is drawn, and at COD the balance becomes term debt and the reserve is
    /// funded by the parent.
    fn build(&mut self, now: SimTime, base_rate: f64, close: &mut ProjectClose) {
        let i = annual_rate(self.construction_rate, base_rate) / 12.0;
        close.capitalised_interest = self.construction_balance * i;
        self.construction_balance += close.capitalised_interest;
        let from = self.last_close.max(self.start);
        let to = now.min(self.ready);
        let spent = if to > from {
            self.spend_rate * to.secs_since(from) as f64
        } else {
            0.0
        };
        self.last_close = now;
        close.draws = self.share_of_capex * spent;
        self.construction_balance += close.draws;
        if now < self.ready {
            return;
        }
        close.to_restricted += self.term_out_at(self.construction_balance, now, base_rate);
    }

    /// The loan becomes term debt of `principal` (USD) at `now` and base rate `base_rate`;
    /// the parent funds the reserve: `reserve_months` of the first payment. Returns it, USD.
    fn term_out_at(&mut self, principal: f64, now: SimTime, base_rate: f64) -> f64 {
        let (rate, term_months, repayment) = self.term;
        let i = annual_rate(rate, base_rate) / 12.0;
        let payment = match repayment {
            Repayment::Amortizing => annuity_payment(principal, i, term_months),
            Repayment::Bullet => principal * i,
        };
        self.reserve_target = f64::from(self.terms.reserve_months) * payment;
        self.reserve = self.reserve_target;
        self.phase = Phase::Operating(Loan::drawn(DebtSpec {
            name: self.name.clone(),
            principal,
            drawn: Some(now),
            rate,
            term_months,
            repayment,
        }));
        self.reserve
    }

    /// Whether this month's test, with `cfads` and `owed` (USD) added to the window, would
    /// end in a default that the cure left after paying `gap` (USD) could not prevent.
    fn test_fails_beyond_cure(&self, cfads: f64, owed: f64, gap: f64) -> bool {
        // `months_since_cod` already counts this month.
        if self.months_since_cod < self.terms.first_test_months_after_cod.max(1) {
            return false;
        }
        let skip = (self.window.len() + 1).saturating_sub(12);
        let (cash, service) = self
            .window
            .iter()
            .skip(skip)
            .chain(std::iter::once(&(cfads, owed)))
            .fold((0.0, 0.0), |(a, b), m| (a + m.0, b + m.1));
        service > 1e-9
            && cash / service < self.terms.min_dscr
            && self.breached + 1 > self.terms.cure_months
            && self.terms.min_dscr * service - cash > self.cure_left - gap
    }

    /// Cures `amount` (USD) with the parent's equity, if the limit and the parent's cash
    /// allow; returns whether it did.
    fn cure(&mut self, amount: f64, parent: ParentCash, close: &mut ProjectClose) -> bool {
        let spare = parent.available - close.cure - parent.floor;
        if amount <= self.cure_left && amount <= spare {
            self.cure_left -= amount;
            close.cure += amount;
            true
        } else {
            false
        }
    }

    /// The lenders take the project against `claim` (USD): its reserve, locked-up cash and
    /// plant (at `recovery` × book value) pay them, and any excess comes back to the parent.
    fn foreclose(&mut self, claim: f64, recovery: f64, close: &mut ProjectClose) {
        self.foreclosed_at = Some(self.last_close);
        let life = f64::from(self.life_months.max(1));
        let book = self.capex * (1.0 - f64::from(self.months_since_start) / life).max(0.0);
        let plant = recovery * book;
        let value = self.restricted() + plant;
        close.foreclosed = Some((value - claim).max(0.0));
        // The plant settles that much of the claim: a disposal at its value, so that the
        // project value, which counts no financing, sees the asset leave at a price.
        close.plant_transferred = plant.min(claim);
        self.reserve = 0.0;
        self.trapped = 0.0;
        self.locked_up = false;
        self.phase = Phase::Foreclosed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH: u64 = 30 * 86_400;

    fn debt(rate: f64, term_months: u32, terms: ProjectTerms) -> ConversionDebt {
        ConversionDebt {
            share_of_capex: 0.8,
            rate: DebtRate::Fixed(rate),
            term_months,
            repayment: Repayment::Amortizing,
            recourse: pivotsim_scenario::Recourse::Project,
            project_terms: Some(terms),
            refinance_at_cod: None,
        }
    }

    fn at(months: u64) -> SimTime {
        SimTime::from_secs(months * MONTH)
    }

    /// A parent with plenty of cash.
    const RICH: ParentCash = ParentCash {
        available: 1e12,
        floor: 0.0,
    };

    /// A $15M conversion (80% = $12M borrowed at 0% over 120 months: $100,000 a month) built
    /// in three months; returns the loan at COD and the close that reached it.
    fn at_cod(terms: ProjectTerms) -> (ProjectLoan, ProjectClose) {
        let mut p = ProjectLoan::new(
            "conversion of A".into(),
            0,
            &debt(0.0, 120, terms),
            15_000_000.0,
            (at(0), at(3)),
            120,
        );
        let mut last = ProjectClose::default();
        for m in 1..=3 {
            last = p.close_month(at(m), 0.0, RICH, 0.5);
        }
        (p, last)
    }

    /// Runs `months` operating closes after COD with `cfads(k)` (k = 1, 2, … since COD) and
    /// returns every close.
    fn operate(
        p: &mut ProjectLoan,
        months: u64,
        parent: ParentCash,
        cfads: impl Fn(u64) -> f64,
    ) -> Vec<ProjectClose> {
        (1..=months)
            .map(|k| {
                p.month.revenue = cfads(k);
                p.close_month(at(3 + k), 0.0, parent, 0.5)
            })
            .collect()
    }

    fn terms(lock_up_dscr: f64, min_dscr: f64, cure_limit: f64) -> ProjectTerms {
        ProjectTerms {
            first_test_months_after_cod: 6,
            lock_up_dscr,
            min_dscr,
            cure_months: 2,
            equity_cure_limit_usd: cure_limit,
            reserve_months: 6,
        }
    }

    #[test]
    fn construction_interest_is_capitalised_until_cod() {
        // $12M of capex spent evenly over three 30-day months, 80% drawn as spent ($3.2M a
        // month) at 12% a year (1% a month) on the balance at the start of each month:
        // month 1: 0 + 3.2M = 3,200,000; month 2: 3.2M × 1.01 + 3.2M = 6,432,000;
        // month 3 (COD): 6.432M × 1.01 + 3.2M = 9,696,320. Capitalised: 32,000 + 64,320.
        // At COD the term loan's annuity over 12 months at 1% is
        // 9,696,320 × 0.01 / (1 − 1.01^−12) = 861,506.29, and the reserve holds six of them.
        let mut p = ProjectLoan::new(
            "conversion of A".into(),
            0,
            &debt(0.12, 12, ProjectTerms::default()),
            12_000_000.0,
            (at(0), at(3)),
            120,
        );
        let closes: Vec<_> = (1..=3)
            .map(|m| p.close_month(at(m), 0.0, RICH, 0.5))
            .collect();
        let draws: f64 = closes.iter().map(|c| c.draws).sum();
        let capitalised: f64 = closes.iter().map(|c| c.capitalised_interest).sum();
        assert!((draws - 9_600_000.0).abs() < 1e-6);
        assert!((capitalised - 96_320.0).abs() < 1e-6);
        assert!((p.balance() - 9_696_320.0).abs() < 1e-6);
        let payment = 9_696_320.0 * 0.01 / (1.0 - 1.01_f64.powi(-12));
        assert!((payment - 861_506.29).abs() < 0.01, "{payment}");
        assert!((closes[2].to_restricted - 6.0 * payment).abs() < 1e-6);
        assert!((p.reserve - 6.0 * payment).abs() < 1e-6);
        // Nothing was paid during construction.
        assert!(
            closes
                .iter()
                .all(|c| c.interest == 0.0 && c.principal == 0.0)
        );
    }

    #[test]
    fn a_project_at_1_40_times_coverage_never_defaults_nor_locks_up() {
        // Service is $100,000 a month; CFADS $140,000 (1.40×, above the 1.25× lock-up): every
        // month sends $40,000 up, the loan is repaid after 120 months and the $600,000 reserve
        // comes back.
        let (mut p, cod) = at_cod(terms(1.25, 1.10, 0.0));
        assert!((cod.to_restricted - 600_000.0).abs() < 1e-6);
        let closes = operate(&mut p, 120, RICH, |_| 140_000.0);
        assert!(
            closes
                .iter()
                .all(|c| c.foreclosed.is_none() && c.to_restricted == 0.0)
        );
        assert!(
            closes
                .iter()
                .all(|c| (c.principal - 100_000.0).abs() < 1e-6)
        );
        assert!((p.dscr.unwrap() - 1.4).abs() < 1e-12);
        assert!((closes[119].from_restricted - 600_000.0).abs() < 1e-6);
        assert!(!p.is_active() && !p.is_foreclosed() && p.balance() == 0.0);
    }

    #[test]
    fn a_project_at_1_10_times_locks_up_cash_but_does_not_default() {
        // CFADS $110,000 against $100,000 of service: 1.10×, below the 1.25× lock-up and above
        // the 1.05× minimum. Months 1–5 (before the first test, at month 6) send $10,000 up
        // each; from month 6 it stays in the project: after 24 months 19 × $10,000 = $190,000
        // is locked up, and the loan never defaults.
        let (mut p, _) = at_cod(terms(1.25, 1.05, 0.0));
        let closes = operate(&mut p, 24, RICH, |_| 110_000.0);
        assert!(closes.iter().all(|c| c.foreclosed.is_none()));
        assert!(closes[..5].iter().all(|c| c.to_restricted == 0.0));
        assert!(p.locked_up);
        assert!((p.trapped - 190_000.0).abs() < 1e-6, "{}", p.trapped);
        assert!((p.reserve - 600_000.0).abs() < 1e-6);
    }

    /// CFADS $140,000, except nothing in months 13–15 (a tenant stops paying for a quarter).
    fn a_bad_quarter(k: u64) -> f64 {
        if (13..=15).contains(&k) {
            0.0
        } else {
            140_000.0
        }
    }

    #[test]
    fn a_cure_restores_compliance() {
        // Service $100,000 a month, minimum 1.10×, two failed tests allowed. The bad quarter's
        // service comes from the reserve. The trailing DSCR is (12 − z) × 140,000 / 1,200,000
        // with z zero months in the window: 1.05 from month 15 to month 24. Months 15, 16 fail
        // (allowed); month 17 is the third: the parent cures with 1.10 × 1,200,000 −
        // 1,260,000 = $60,000 of equity, which prepays the loan and counts as CFADS. The test
        // then passes at exactly 1.10 until the zero months leave the window, and never fails
        // again.
        let (mut p, _) = at_cod(terms(1.20, 1.10, 1_000_000.0));
        let closes = operate(&mut p, 36, RICH, a_bad_quarter);
        assert!(closes.iter().all(|c| c.foreclosed.is_none()));
        let cures: Vec<(usize, f64)> = closes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.cure > 0.0)
            .map(|(k, c)| (k + 1, c.cure))
            .collect();
        assert_eq!(cures.len(), 1, "{cures:?}");
        assert_eq!(cures[0].0, 17);
        assert!((cures[0].1 - 60_000.0).abs() < 1e-6);
        assert!((closes[16].principal - 160_000.0).abs() < 1e-6);
        assert!(p.dscr.unwrap() >= 1.10);
        assert!(p.is_active());
    }

    #[test]
    fn without_a_cure_the_lenders_take_the_project() {
        // The same bad quarter with no equity cure allowed: the third failed test (month 17)
        // is a default. The lenders are owed 12M − 17 × 100,000 = $10.3M; the reserve is back
        // to $600,000 (refilled in months 16–17 from $140,000 − $100,000 = $40,000 each: it
        // was drawn to $300,000 in the bad quarter, so it holds $380,000), and the plant's
        // book value after 20 of its 120 months is 15M × 100/120 = $12.5M, half of which a
        // liquidation recovers: 380,000 + 6.25M < 10.3M, so nothing comes back to the parent.
        let (mut p, _) = at_cod(terms(1.20, 1.10, 0.0));
        let closes = operate(&mut p, 17, RICH, a_bad_quarter);
        assert!(closes[..16].iter().all(|c| c.foreclosed.is_none()));
        assert_eq!(closes[16].foreclosed, Some(0.0));
        assert!(p.is_foreclosed() && p.balance() == 0.0 && p.restricted() == 0.0);
        // A foreclosed project books nothing more.
        assert_eq!(
            p.close_month(at(40), 0.0, RICH, 0.5),
            ProjectClose::default()
        );
    }

    #[test]
    fn the_parent_does_not_pay_into_a_project_it_will_lose_at_the_same_test() {
        // No reserve, a 1.30× minimum with no failed test allowed, $300,000 of cure. CFADS
        // $140,000, then nothing from month 13. Month 13: the $100,000 shortfall is cured,
        // and the test (11 × 140,000 / 1,200,000 = 1.283) needs 1.30 × 1.2M − 1.54M =
        // $20,000 more: $120,000 cured, $180,000 left. Month 14: the test (1.40M / 1.2M =
        // 1.167) would need $160,000, more than the $80,000 left after paying the month's
        // $100,000: the parent pays nothing and the lenders take the project.
        let mut t = terms(1.30, 1.30, 300_000.0);
        t.cure_months = 0;
        t.reserve_months = 0;
        let (mut p, _) = at_cod(t);
        let closes = operate(&mut p, 14, RICH, |k| if k >= 13 { 0.0 } else { 140_000.0 });
        assert!(
            (closes[12].cure - 120_000.0).abs() < 1e-6,
            "{}",
            closes[12].cure
        );
        assert!(closes[12].foreclosed.is_none());
        assert!(closes[13].foreclosed.is_some());
        assert_eq!(closes[13].cure, 0.0);
    }

    #[test]
    fn a_missed_payment_beyond_the_reserve_is_a_default_unless_the_parent_cures_it() {
        // No CFADS from COD: the $600,000 reserve pays months 1–6; month 7's $100,000 is missed.
        // With $50,000 of cure left, the parent cannot cover it and the lenders take the
        // project; this month's unpaid service is not booked.
        let (mut p, _) = at_cod(terms(1.20, 1.10, 50_000.0));
        let closes = operate(&mut p, 7, RICH, |_| 0.0);
        assert!(
            closes[..6]
                .iter()
                .all(|c| (c.from_restricted - 100_000.0).abs() < 1e-6)
        );
        assert!(closes[6].foreclosed.is_some());
        assert_eq!((closes[6].interest, closes[6].principal), (0.0, 0.0));
        // With enough cure left but a parent that cannot spare the cash, the same.
        let (mut p, _) = at_cod(terms(1.20, 1.10, 10_000_000.0));
        let poor = ParentCash {
            available: 50_000.0,
            floor: 0.0,
        };
        let closes = operate(&mut p, 7, poor, |_| 0.0);
        assert!(closes[6].foreclosed.is_some());
        // And a parent that can: it pays the $100,000 and keeps the project.
        let (mut p, _) = at_cod(terms(1.20, 1.10, 10_000_000.0));
        let closes = operate(&mut p, 7, RICH, |_| 0.0);
        assert!(closes[6].foreclosed.is_none());
        assert!((closes[6].cure - 100_000.0).abs() < 1e-6);
    }

    fn gpu_debt(rate: f64, term_months: u32) -> GpuDebt {
        GpuDebt {
            share_of_capex: 0.7,
            rate: DebtRate::Fixed(rate),
            term_months,
            repayment: Repayment::Amortizing,
            recourse: pivotsim_scenario::Recourse::Project,
            project_terms: None,
        }
    }

    #[test]
    fn an_spv_loan_on_renting_gpus_is_in_service_at_once_with_its_reserve() {
        // $30M of GPUs, 70% ($21M) borrowed at 12% (1% a month) over 24 months, the GPUs
        // renting from the purchase: no construction, the annuity is
        // 21M × 0.01 / (1 − 1.01^−24) = $988,542.92 from the first close, and the parent
        // funds the default six months of it ($5,931,257.5) into the reserve at once. With
        // CFADS of $1.5M a month (1.52×, above the 1.20× lock-up) the first close pays
        // $210,000 of interest (1% of $21M) and $778,542.92 of principal, and the rest goes up.
        let (mut p, reserve) = ProjectLoan::on_gpus(
            "GPU loan, A".into(),
            (0, 3),
            &gpu_debt(0.12, 24),
            30_000_000.0,
            (at(0), at(0)),
            60,
            0.0,
        );
        let payment = 21_000_000.0 * 0.01 / (1.0 - 1.01_f64.powi(-24));
        assert!((payment - 988_542.92).abs() < 0.01, "{payment}");
        assert!((reserve - 6.0 * payment).abs() < 1e-6);
        assert_eq!(p.collateral, Collateral::Gpus(3));
        assert!((p.balance() - 21_000_000.0).abs() < 1e-6);
        p.month.revenue = 1_500_000.0;
        let first = p.close_month(at(1), 0.0, RICH, 0.5);
        assert!((first.interest - 210_000.0).abs() < 1e-6);
        assert!((first.principal - (payment - 210_000.0)).abs() < 1e-6);
        assert_eq!((first.draws, first.capitalised_interest), (0.0, 0.0));
        assert_eq!(first.to_restricted, 0.0);
        // Over its 24 months it is repaid and the reserve comes back.
        let closes: Vec<_> = (2..=24)
            .map(|m| {
                p.month.revenue = 1_500_000.0;
                p.close_month(at(m), 0.0, RICH, 0.5)
            })
            .collect();
        assert!(closes.iter().all(|c| c.foreclosed.is_none()));
        assert!((closes[22].from_restricted - 6.0 * payment).abs() < 1e-6);
        assert!(!p.is_active() && !p.is_foreclosed());
    }

    #[test]
    fn an_spv_loan_on_gpus_waiting_for_their_hall_capitalises_until_they_rent() {
        // The same $21M drawn at purchase, the hall ready two months later: 1% a month is
        // capitalised at each close until then, 21M × 1.01² = $21,422,100 at the second
        // close, which becomes the term debt (with its reserve, funded at that close).
        let (mut p, reserve) = ProjectLoan::on_gpus(
            "GPU loan, A".into(),
            (0, 0),
            &gpu_debt(0.12, 24),
            30_000_000.0,
            (at(0), at(2)),
            60,
            0.0,
        );
        assert_eq!(reserve, 0.0);
        let first = p.close_month(at(1), 0.0, RICH, 0.5);
        assert!((first.capitalised_interest - 210_000.0).abs() < 1e-6);
        assert_eq!((first.draws, first.to_restricted), (0.0, 0.0));
        let second = p.close_month(at(2), 0.0, RICH, 0.5);
        assert!((p.balance() - 21_422_100.0).abs() < 1e-6, "{}", p.balance());
        let payment = 21_422_100.0 * 0.01 / (1.0 - 1.01_f64.powi(-24));
        assert!((second.to_restricted - 6.0 * payment).abs() < 1e-6);
    }
}
