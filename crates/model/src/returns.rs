//! Returns of one plan against a baseline on the same future.
//!
//! An investment committee does not ask "what is this plan's IRR" of a company that already
//! owns a mining site: whole-company flows start positive and change sign several times, so
//! that IRR is undefined or meaningless. It asks what the *change* earns: the difference of the
//! plan's and the baseline's cash flows, month by month, on the same future. That difference
//! is a conversion's investment followed by its (different) income, and its IRR, payback,
//! peak funding need and multiple are what this module computes.
//!
//! Where the difference is not a conventional investment (one sign change, outlays first), an
//! IRR is either not unique or a borrowing rate; the modified IRR is reported instead, and the
//! method says which. A failed root search is never reported as a rate.

use pivotsim_engine::math;
use pivotsim_scenario::DebtRate;

use crate::compiled::{ActionSpec, CompiledScenario};

/// One run's monthly cash flows from time zero (index 0), USD, the last including what the
/// horizon added (`at_horizon`: the terminal value, or the owners' equity).
#[derive(Debug, Clone, Copy)]
pub struct CashFlows<'a> {
    /// Flows per month, index 0 at time zero, the last one at the horizon.
    pub monthly: &'a [f64],
    /// What the horizon added to the last flow (an exit value, not an operating flow), USD.
    pub at_horizon: f64,
}

/// Which rate of return was reported for an incremental flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnMethod {
    /// None: the plans' flows do not differ, or the difference has no outlay or no return.
    None,
    /// The internal rate of return: the difference is an investment (outlays, then returns,
    /// one sign change) and the root was found.
    Irr,
    /// The modified internal rate of return: the difference changes sign more than once, or
    /// starts with money received (a borrowing), or its IRR root lies outside the search range.
    Mirr,
}

impl ReturnMethod {
    /// The word used in outputs: `irr`, `mirr`, or empty.
    pub fn key(self) -> &'static str {
        match self {
            ReturnMethod::None => "",
            ReturnMethod::Irr => "irr",
            ReturnMethod::Mirr => "mirr",
        }
    }
}

/// The rates a modified IRR needs, fractions per year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MirrRates {
    /// Rate at which outlays are financed (discounted back): the plan's debt rate.
    pub finance: f64,
    /// Rate at which returns are reinvested (carried forward): the project discount rate.
    pub reinvest: f64,
}

/// What a plan earns over a baseline on one future, from the difference of their flows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncrementalReturns {
    /// Which rate `rate` is.
    pub method: ReturnMethod,
    /// The IRR or modified IRR of the difference, fraction per year; NaN with no method.
    pub rate: f64,
    /// Payback, years: from the first month the cumulative difference goes below zero (the
    /// plan starts to need money the baseline does not) to the month from which it stays at
    /// zero or above, counting operating flows only (not the exit value at the horizon). 0
    /// when it never goes below zero (nothing to pay back); NaN when it is still below zero
    /// at the horizon. A cumulative that recovers and dips again (a loan drawn, then
    /// serviced) pays back only at the last recovery.
    pub payback_years: f64,
    /// Peak funding need: the deepest the cumulative difference goes below zero, USD (0 when
    /// it never does); operating flows only.
    pub peak_funding_usd: f64,
    /// Multiple on invested capital: every incremental inflow (the exit included) over every
    /// incremental outlay, undiscounted; NaN when there is no outlay.
    pub moic: f64,
}

/// The per-future figures of a plan against the baseline, as output columns: for project
/// (unlevered) and equity flows, the IRR (when it was the method), the modified IRR (when it
/// was), payback, peak funding need and multiple on invested capital.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrementalMetric {
    /// IRR of the project flows' difference, fraction per year (NaN unless the method).
    ProjectIrr,
    /// Modified IRR of the project flows' difference, fraction per year (NaN unless the method).
    ProjectMirr,
    /// Payback of the project flows' difference from its first outlay, years.
    ProjectPaybackYears,
    /// Peak funding need of the project flows' difference, USD.
    ProjectPeakFunding,
    /// Multiple on invested capital of the project flows' difference.
    ProjectMoic,
    /// IRR of the equity flows' difference, fraction per year (NaN unless the method).
    EquityIrr,
    /// Modified IRR of the equity flows' difference, fraction per year (NaN unless the method).
    EquityMirr,
    /// Payback of the equity flows' difference from its first outlay, years.
    EquityPaybackYears,
    /// Peak funding need of the equity flows' difference (the owners' money), USD.
    EquityPeakFunding,
    /// Multiple on invested capital of the equity flows' difference.
    EquityMoic,
}

impl IncrementalMetric {
    /// Every figure, in output order.
    pub const ALL: [IncrementalMetric; 10] = [
        IncrementalMetric::ProjectIrr,
        IncrementalMetric::ProjectMirr,
        IncrementalMetric::ProjectPaybackYears,
        IncrementalMetric::ProjectPeakFunding,
        IncrementalMetric::ProjectMoic,
        IncrementalMetric::EquityIrr,
        IncrementalMetric::EquityMirr,
        IncrementalMetric::EquityPaybackYears,
        IncrementalMetric::EquityPeakFunding,
        IncrementalMetric::EquityMoic,
    ];

    /// How many figures there are.
    pub const COUNT: usize = Self::ALL.len();

    /// Position in [`Self::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The key in outputs (runs.csv column, summary.json field).
    pub fn key(self) -> &'static str {
        match self {
            IncrementalMetric::ProjectIrr => "project_irr",
            IncrementalMetric::ProjectMirr => "project_mirr",
            IncrementalMetric::ProjectPaybackYears => "project_payback_years",
            IncrementalMetric::ProjectPeakFunding => "project_peak_funding_usd",
            IncrementalMetric::ProjectMoic => "project_moic",
            IncrementalMetric::EquityIrr => "equity_irr",
            IncrementalMetric::EquityMirr => "equity_mirr",
            IncrementalMetric::EquityPaybackYears => "equity_payback_years",
            IncrementalMetric::EquityPeakFunding => "equity_peak_funding_usd",
            IncrementalMetric::EquityMoic => "equity_moic",
        }
    }

    /// The figure of a comparison whose project and equity returns are `returns`.
    pub fn of(self, returns: &PlanVersusBaseline) -> f64 {
        use IncrementalMetric as M;
        let (p, e) = (&returns.project, &returns.equity);
        // The rate when it was computed by `method`, else NaN.
        let rate =
            |r: &IncrementalReturns, method| if r.method == method { r.rate } else { f64::NAN };
        match self {
            M::ProjectIrr => rate(p, ReturnMethod::Irr),
            M::ProjectMirr => rate(p, ReturnMethod::Mirr),
            M::ProjectPaybackYears => p.payback_years,
            M::ProjectPeakFunding => p.peak_funding_usd,
            M::ProjectMoic => p.moic,
            M::EquityIrr => rate(e, ReturnMethod::Irr),
            M::EquityMirr => rate(e, ReturnMethod::Mirr),
            M::EquityPaybackYears => e.payback_years,
            M::EquityPeakFunding => e.peak_funding_usd,
            M::EquityMoic => e.moic,
        }
    }
}

/// A plan's returns over the baseline on one future, on project and on equity flows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanVersusBaseline {
    /// From the project (unlevered) flows.
    pub project: IncrementalReturns,
    /// From the owners' (equity) flows.
    pub equity: IncrementalReturns,
}

/// The rates of the modified IRRs of plan `plan` against a baseline, for project flows and
/// for equity flows: outlays financed at the rate of the plan's first conversion loan (its
/// actions, then its rules), else of the scenario's first debt, else at the project
/// discount rate; returns reinvested at the project discount rate (project flows) or the
/// equity discount rate (equity flows). A floating rate counts as the base rate at the start
/// plus its spread.
pub fn mirr_rates(model: &CompiledScenario, plan: usize) -> (MirrRates, MirrRates) {
    let plan = &model.plans[plan];
    let conversion_loans = plan
        .actions
        .iter()
        .filter_map(|a| match &a.action {
            ActionSpec::Convert { conversion, .. } => conversion.debt.as_ref(),
            _ => None,
        })
        .chain(
            plan.rules
                .iter()
                .filter_map(|r| r.conversion().and_then(|c| c.debt.as_ref())),
        )
        .map(|d| d.rate);
    let finance = conversion_loans
        .chain(model.finance.debts.iter().map(|d| d.rate))
        .next()
        .map_or(model.project_discount_rate, |rate| match rate {
            DebtRate::Fixed(r) => r,
            DebtRate::FloatingSpread(spread) => {
                model.finance.base_rate.as_ref().map_or(0.0, |b| b.initial) + spread
            }
        });
    (
        MirrRates {
            finance,
            reinvest: model.project_discount_rate,
        },
        MirrRates {
            finance,
            reinvest: model.equity_discount_rate,
        },
    )
}

/// Monthly rate equivalent to an annual `rate`.
fn monthly(rate: f64) -> f64 {
    math::powf(1.0 + rate, 1.0 / 12.0) - 1.0
}

/// The returns of `plan` over `baseline` (the same future, the same months; a shorter series,
/// as after a default, counts as zeros). A monthly difference within rounding noise of the
/// money both moved, max($1, 1e-9 × Σ|flows|), counts as zero, so that identical plans report
/// no method rather than a rate fitted to floating-point noise. `diff` is a reusable buffer.
pub fn incremental_returns(
    plan: CashFlows<'_>,
    baseline: CashFlows<'_>,
    rates: MirrRates,
    diff: &mut Vec<f64>,
) -> IncrementalReturns {
    let months = plan.monthly.len().max(baseline.monthly.len());
    let at = |f: &[f64], k: usize| f.get(k).copied().unwrap_or(0.0);
    let through: f64 = (0..months)
        .map(|k| at(plan.monthly, k).abs() + at(baseline.monthly, k).abs())
        .filter(|v| v.is_finite())
        .sum();
    let noise = (1e-9 * through).max(1.0);
    diff.clear();
    diff.extend((0..months).map(|k| {
        let d = at(plan.monthly, k) - at(baseline.monthly, k);
        if d.abs() <= noise { 0.0 } else { d }
    }));
    // The exit at the horizon, in the difference's last month: left out of payback and peak
    // funding, which describe the operating cash.
    let exit = plan.at_horizon - baseline.at_horizon;
    let (payback_years, peak_funding_usd) = payback_and_peak(diff, exit);
    let outlays: f64 = diff.iter().filter(|d| **d < 0.0).map(|d| -d).sum();
    let inflows: f64 = diff.iter().filter(|d| **d > 0.0).sum();
    let moic = if outlays > 0.0 {
        inflows / outlays
    } else {
        f64::NAN
    };
    let (method, rate) = rate_of_return(diff, rates);
    IncrementalReturns {
        method,
        rate,
        payback_years,
        peak_funding_usd,
        moic,
    }
}

/// Payback (years, see [`IncrementalReturns::payback_years`]) and peak funding need (USD) of
/// `diff`, whose last month includes `exit`, which both leave out.
fn payback_and_peak(diff: &[f64], exit: f64) -> (f64, f64) {
    let last = diff.len().saturating_sub(1);
    let operating = |k: usize| if k == last { diff[k] - exit } else { diff[k] };
    let mut cumulative = 0.0;
    let mut lowest: f64 = 0.0;
    let mut first_below = None;
    // The month from which the cumulative has stayed at or above zero since (after a dip).
    let mut recovered = None;
    for k in 0..diff.len() {
        cumulative += operating(k);
        lowest = lowest.min(cumulative);
        if cumulative < 0.0 {
            first_below.get_or_insert(k);
            recovered = None;
        } else if first_below.is_some() && recovered.is_none() {
            recovered = Some(k);
        }
    }
    let payback = match (first_below, recovered) {
        (None, _) => 0.0,
        (Some(start), Some(end)) => (end - start) as f64 / 12.0,
        (Some(_), None) => f64::NAN,
    };
    (payback, -lowest)
}

/// The IRR of `diff` when it is a conventional investment and the root is found, else its
/// modified IRR; no method when it has no outlay or no inflow.
fn rate_of_return(diff: &[f64], rates: MirrRates) -> (ReturnMethod, f64) {
    let mut signs = diff.iter().filter(|d| **d != 0.0).map(|d| *d > 0.0);
    let Some(first_positive) = signs.next() else {
        return (ReturnMethod::None, f64::NAN);
    };
    let mut changes = 0;
    let mut previous = first_positive;
    for positive in signs {
        if positive != previous {
            changes += 1;
            previous = positive;
        }
    }
    if changes == 0 {
        return (ReturnMethod::None, f64::NAN);
    }
    if changes == 1
        && !first_positive
        && let Some(irr) = crate::finance::irr_monthly(diff)
    {
        return (ReturnMethod::Irr, irr);
    }
    (ReturnMethod::Mirr, mirr_monthly(diff, rates))
}

/// The modified IRR of monthly flows, fraction per year, measured from the first non-zero
/// flow (as an IRR is, whatever zeros precede it): outlays discounted to that month at the
/// finance rate, inflows carried to the last month at the reinvestment rate, and
/// MIRR = (FV(inflows) / PV(outlays))^(1/n) − 1 over the n months between, annualised. NaN
/// without both an outlay and an inflow.
pub fn mirr_monthly(flows: &[f64], rates: MirrRates) -> f64 {
    let Some(first) = flows.iter().position(|f| *f != 0.0) else {
        return f64::NAN;
    };
    let last = flows.len() - 1;
    let (finance, reinvest) = (monthly(rates.finance), monthly(rates.reinvest));
    let (mut pv_outlays, mut fv_inflows) = (0.0, 0.0);
    for (k, f) in flows.iter().enumerate().skip(first) {
        if *f < 0.0 {
            pv_outlays += -f * math::powf(1.0 + finance, -((k - first) as f64));
        } else if *f > 0.0 {
            fv_inflows += f * math::powf(1.0 + reinvest, (last - k) as f64);
        }
    }
    let n = (last - first) as f64;
    if pv_outlays <= 0.0 || fv_inflows <= 0.0 || n == 0.0 {
        return f64::NAN;
    }
    let per_month = math::powf(fv_inflows / pv_outlays, 1.0 / n) - 1.0;
    math::powf(1.0 + per_month, 12.0) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: MirrRates = MirrRates {
        finance: 0.10,
        reinvest: 0.12,
    };

    fn flows(monthly: &[f64]) -> CashFlows<'_> {
        CashFlows {
            monthly,
            at_horizon: 0.0,
        }
    }

    #[test]
    fn a_textbook_mirr() {
        // Three periods (monthly here, annualised at the end): −1,000 at t0, +600 at t1,
        // +600 at t2, finance rate f and reinvestment rate r per month. Hand computation with
        // f = 1%, r = 2% per month: PV(outlays) = 1,000; FV(inflows) = 600 × 1.02 + 600 =
        // 1,212; MIRR per month = (1,212 / 1,000)^(1/2) − 1 = 0.1009087; annualised
        // 1.1009087^12 − 1 = 2.1697 (216.97%/yr).
        let rates = MirrRates {
            finance: 1.01f64.powi(12) - 1.0,
            reinvest: 1.02f64.powi(12) - 1.0,
        };
        let per_month = (1_212.0f64 / 1_000.0).sqrt() - 1.0;
        assert!((per_month - 0.100_908_7).abs() < 1e-7);
        let mirr = mirr_monthly(&[-1_000.0, 600.0, 600.0], rates);
        assert!((mirr - 2.1697).abs() < 1e-4, "{mirr}");
        assert!(
            (mirr - ((1.0 + per_month).powi(12) - 1.0)).abs() < 1e-9,
            "{mirr}"
        );
        // An outlay after an inflow is discounted at the finance rate: −1,000, +2,300, −1,320
        // (two sign changes). PV(outlays) = 1,000 + 1,320 / 1.01² = 2,293.99; FV(inflows) =
        // 2,300 × 1.02 = 2,346; per month (2,346 / 2,293.99)^(1/2) − 1 = 0.011272...
        let pv = 1_000.0 + 1_320.0 / 1.01f64.powi(2);
        let per_month = (2_346.0 / pv).sqrt() - 1.0;
        assert!((per_month - 0.011_272).abs() < 1e-6, "{per_month}");
        let mirr = mirr_monthly(&[-1_000.0, 2_300.0, -1_320.0], rates);
        assert!((mirr - ((1.0 + per_month).powi(12) - 1.0)).abs() < 1e-9);
    }

    #[test]
    fn a_conversion_against_mining_reports_its_irr_payback_peak_and_multiple() {
        // Baseline: mining earns 10 a month for 24 months. The conversion: months 1–3 spend
        // 110 a month (no mining while the hall is rebuilt: the difference is −110 − 10 =
        // −120 a month), then it earns 40 a month (difference +30) for months 4–24.
        // Difference: 3 × −120, then 21 × +30. Conventional (one sign change), so the IRR of
        // the difference is reported. Hand computation: the monthly IRR i solves
        // 120·(1/(1+i) + 1/(1+i)² + 1/(1+i)³) = 30·Σ_{k=4..24} (1+i)^−k; bisection gives
        // i = 5.1703%/month, 83.11%/yr. Payback: the cumulative goes below zero at month 1,
        // reaches −360 after month 3, gains 30 a month after and is back to 0 at month 15
        // for good: 14 months, 1.1667 years. Peak funding 360. Multiple 630 / 360 = 1.75.
        let mut baseline = vec![0.0];
        let mut plan = vec![0.0];
        for month in 1..=24 {
            baseline.push(10.0);
            plan.push(if month <= 3 { -110.0 } else { 40.0 });
        }
        let mut buf = Vec::new();
        let r = incremental_returns(flows(&plan), flows(&baseline), RATES, &mut buf);
        assert_eq!(r.method, ReturnMethod::Irr);
        let i = (1.0 + r.rate).powf(1.0 / 12.0) - 1.0;
        let npv: f64 = buf
            .iter()
            .enumerate()
            .map(|(k, d)| d / (1.0 + i).powi(k as i32))
            .sum();
        assert!(npv.abs() < 1e-6, "NPV at the IRR {npv}");
        assert!((r.rate - 0.8311).abs() < 5e-4, "{}", r.rate);
        assert!((r.payback_years - 14.0 / 12.0).abs() < 1e-12);
        assert_eq!(r.peak_funding_usd, 360.0);
        assert!((r.moic - 1.75).abs() < 1e-12);
    }

    #[test]
    fn payback_waits_for_the_last_recovery() {
        // A loan drawn in month 2 lifts the cumulative above zero for a month, then it dips
        // again: −100, +150, −200, +60, +60, +60 → cumulative −100, +50, −150, −90, −30, +30.
        // First below zero at month 1, above zero for good from month 6: 5 months. Peak 150.
        let base = [0.0; 7];
        let plan = [0.0, -100.0, 150.0, -200.0, 60.0, 60.0, 60.0];
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut Vec::new());
        assert!(
            (r.payback_years - 5.0 / 12.0).abs() < 1e-12,
            "{}",
            r.payback_years
        );
        assert_eq!(r.peak_funding_usd, 150.0);
    }

    #[test]
    fn the_exit_value_counts_in_the_return_but_not_in_payback_or_peak_funding() {
        // Difference −100 at month 1, 0 after, +150 at the horizon (month 3) as an exit.
        // Payback on operating flows never happens; peak funding 100; multiple 1.5; the IRR
        // of −100 then +150 two months later: (1.5)^(1/2) − 1 per month, 1.5^6 − 1 per year.
        let baseline = [0.0, 0.0, 0.0, 0.0];
        let plan = [0.0, -100.0, 0.0, 150.0];
        let r = incremental_returns(
            CashFlows {
                monthly: &plan,
                at_horizon: 150.0,
            },
            flows(&baseline),
            RATES,
            &mut Vec::new(),
        );
        assert!(r.payback_years.is_nan());
        assert_eq!(r.peak_funding_usd, 100.0);
        assert!((r.moic - 1.5).abs() < 1e-12);
        assert_eq!(r.method, ReturnMethod::Irr);
        assert!((r.rate - (1.5f64.powi(6) - 1.0)).abs() < 1e-9, "{}", r.rate);
    }

    #[test]
    fn several_sign_changes_or_a_borrowing_report_the_mirr() {
        let mut buf = Vec::new();
        let base = [0.0; 4];
        // Two sign changes.
        let plan = [0.0, -1_000.0, 2_300.0, -1_320.0];
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut buf);
        assert_eq!(r.method, ReturnMethod::Mirr);
        assert_eq!(r.rate.to_bits(), mirr_monthly(&buf, RATES).to_bits());
        // Money first, then outlays (selling ASICs early, losing their income): one sign
        // change, but an IRR would be a borrowing rate, not a return.
        let plan = [0.0, 500.0, -300.0, -300.0];
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut buf);
        assert_eq!(r.method, ReturnMethod::Mirr);
        assert!(r.rate.is_finite());
    }

    #[test]
    fn identical_plans_or_noise_report_no_method() {
        // Flows of $1e9 a month differing by 1e-7: rounding noise of sums taken in another
        // order, within max($1, 1e-9 × the money moved), so the difference is zero.
        let base = [0.0, 1e9, 1e9, 1e9];
        let plan = [0.0, 1e9 + 1e-7, 1e9 - 1e-7, 1e9];
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut Vec::new());
        assert_eq!(r.method, ReturnMethod::None);
        assert!(r.rate.is_nan() && r.moic.is_nan());
        // Nothing to pay back and nothing to fund.
        assert_eq!((r.payback_years, r.peak_funding_usd), (0.0, 0.0));
        // Only gains: no outlay, so no rate and no multiple.
        let plan = [0.0, 2e9, 1e9, 1e9];
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut Vec::new());
        assert_eq!(r.method, ReturnMethod::None);
        assert!(r.moic.is_nan());
    }

    #[test]
    fn a_shorter_series_counts_as_zeros() {
        // A plan that defaulted after month 1 books nothing more: its months 2–3 are zero.
        let base = [0.0, 10.0, 10.0, 10.0];
        let plan = [0.0, -50.0];
        let mut buf = Vec::new();
        let r = incremental_returns(flows(&plan), flows(&base), RATES, &mut buf);
        assert_eq!(buf, [0.0, -60.0, -10.0, -10.0]);
        assert_eq!(r.method, ReturnMethod::None);
        assert_eq!(r.peak_funding_usd, 80.0);
    }
}
