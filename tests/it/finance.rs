//! Debt, covenants, default and shocks, checked against hand-derived outcomes.

use pivotsim::model::operator::Flow;
use pivotsim::model::{self, CompiledScenario, Metric, RunMetrics, World};
use pivotsim::montecarlo::{self, RunOptions};
use pivotsim::scenario::{self, Scenario};

/// A site with one GPU-ready 10 MW hall and no ASICs (no mining, no PPA, no opex), starting on
/// 2026-01-01 with `cash`, under `finance_yaml` and `plans_yaml`.
fn quiet_site(cash: f64, finance_yaml: &str, plans_yaml: &str) -> Scenario {
    let default = scenario::DEFAULT_SCENARIO_YAML;
    let market = &default[default.find("market:").unwrap()..default.find("finance:").unwrap()];
    let yaml = format!(
        "name: finance test\nstart: 2026-01-01\nhorizon_years: 3\nseed: 1\nruns: 10\n\
         discount_rate: 0.10\nstarting_cash_usd: {cash}\n{market}{finance_yaml}\n\
         sites:\n  - name: S\n    grid_mw: 100\n    opex_usd_per_mw_month: 0\n    halls:\n      \
         - {{name: H, state: gpu_ready, rack_slots: 200, max_kw_per_rack: 132, cooling: liquid, cooling_mw: 10, pue: 1.2}}\n\
         plans:\n{plans_yaml}"
    )
    // The default market's AI inquiries would lease the hall: switch them off.
    .replace("rate_per_year: 4 ", "rate_per_year: 0 ");
    match scenario::load_str(&yaml, "<finance test>") {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{yaml}"),
    }
}

/// The quiet site with a 10 MW lease at $100/kW-month from 2026-01-01 ($1,000,000 a month),
/// no ramp and no tenant default.
fn leased_quiet_site() -> Scenario {
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H, \
                 mw: 10, term_years: 10, price_usd_per_kw_month: 100}\n";
    let mut s = quiet_site(50_000_000.0, "", plans);
    let lease = &mut s.market.ai.as_mut().unwrap().lease;
    lease.ramp_months = 0;
    lease.default_hazard_per_year = 0.0;
    s
}

fn run_one(s: &Scenario, plan: usize) -> (RunMetrics, Vec<pivotsim::model::MonthRecord>) {
    let model = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, plan, 1, 0);
    (op.metrics(), op.months().to_vec())
}

#[test]
fn a_plan_whose_debt_service_exceeds_its_income_defaults_when_cash_runs_out() {
    // No income. A $100M bullet loan at 12% already outstanding (no cash arrives) costs
    // $1,000,000 of interest a month. Starting with $10.5M, cash is $0.5M after 10 closes and
    // −$0.5M after the 11th (2026-12-01): the run defaults then, on cash, and books nothing more.
    let finance = "finance:\n  debts:\n    - {name: legacy, principal_usd: 100000000, rate: {fixed: 0.12}, \
                   term_months: 24, repayment: bullet}\n";
    let s = quiet_site(10_500_000.0, finance, "  - name: hold\n");
    let (m, months) = run_one(&s, 0);
    assert_eq!(m.get(Metric::Defaulted), 1.0);
    assert_eq!(m.get(Metric::DefaultedOnCash), 1.0);
    let dec_1 = (31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30) as f64 / 365.25;
    assert!(
        (m.get(Metric::DefaultYears) - dec_1).abs() < 1e-9,
        "{}",
        m.get(Metric::DefaultYears)
    );
    assert!(!months[9].defaulted && months[10].defaulted);
    assert!((months[10].cash_after_usd + 500_000.0).abs() < 1e-3);
    // Absorbing: the remaining months book nothing and cash stays where it fell.
    assert!(months[11..].iter().all(|mo| mo.flows.net_cash() == 0.0));
    assert!((m.get(Metric::EndCash) + 500_000.0).abs() < 1e-3);
    assert_eq!(m.get(Metric::Interest), 11_000_000.0);
}

#[test]
fn a_breached_dscr_covenant_defaults_after_the_allowed_months() {
    // A 10 MW anchor lease at $100/kW-month earns $1,000,000 a month (power passed through, no
    // opex); a $100M bullet loan at 12% costs $1,000,000 of interest: DSCR = 1.0 < 1.25 every
    // month. With 3 breached months allowed, the run defaults at the third close (2026-04-01),
    // on the covenant, with plenty of cash.
    let finance = "finance:\n  covenant: {min_dscr: 1.25, months_allowed: 3}\n  debts:\n    - {name: loan, \
                   principal_usd: 100000000, rate: {fixed: 0.12}, term_months: 36, repayment: bullet}\n";
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H, \
                 mw: 10, term_years: 10, price_usd_per_kw_month: 100}\n";
    let mut s = quiet_site(50_000_000.0, finance, plans);
    s.market.ai.as_mut().unwrap().lease.ramp_months = 0;
    s.market.ai.as_mut().unwrap().lease.default_hazard_per_year = 0.0;
    let (m, months) = run_one(&s, 0);
    assert_eq!(m.get(Metric::DefaultedOnCovenant), 1.0);
    assert!(
        !months[1].defaulted && months[2].defaulted,
        "default at the third close"
    );
    // The month records carry the covenant's test and the lenders' claim: DSCR = $1,000,000
    // of EBITDA (no tax) ÷ $1,000,000 of interest = 1.0 while the run stands, none once it
    // has defaulted; the $100M bullet stays outstanding (frozen at the default).
    for m in &months[..2] {
        assert!((m.dscr.unwrap() - 1.0).abs() < 1e-9, "{:?}", m.dscr);
    }
    assert_eq!(months[2].dscr, None);
    assert!(
        months[..4]
            .iter()
            .all(|m| m.debt_outstanding_usd == 100_000_000.0)
    );
    assert!((m.get(Metric::DefaultYears) - (31.0 + 28.0 + 31.0) / 365.25).abs() < 1e-9);
    // The creditors take the cash left at the default (over $40M here: $50M at the start, and
    // three months of $1M rent less $1M interest), booked in the default's month, so end cash,
    // the month's record and the equity value agree that the owners kept nothing.
    let seized = months[2].flows[Flow::SeizedAtDefault];
    assert!(seized > 40_000_000.0, "{seized}");
    assert!((months[2].cash_after_usd).abs() < 1e-6);
    assert_eq!(m.get(Metric::EndCash), 0.0);
}

#[test]
fn a_scheduled_btc_drop_shows_on_its_date_and_never_earlier() {
    // BTC −50% on 2027-06-01 in every replication: against the same world without the shock,
    // every market segment before that day is identical, and on the day the hashprice (which is
    // proportional to the BTC price) is exactly half.
    let base = scenario::load_default().unwrap().scenario;
    let mut shocked = base.clone();
    shocked.shocks.push(
        serde_json::from_str(r#"{"type": "btc_price", "date": "2027-06-01", "factor": 0.5}"#)
            .unwrap(),
    );
    let (m0, m1) = (
        CompiledScenario::new(&base).unwrap(),
        CompiledScenario::new(&shocked).unwrap(),
    );
    let day = m1
        .calendar
        .time_of(chrono::NaiveDate::from_ymd_opt(2027, 6, 1).unwrap())
        .unwrap();
    for rep in 0..20 {
        let (mut w0, mut w1) = (World::default(), World::default());
        w0.generate(&m0, 7, rep);
        w1.generate(&m1, 7, rep);
        let before = w0.segments.iter().take_while(|s| s.start < day).count();
        assert_eq!(
            w0.segments[..before],
            w1.segments[..before],
            "replication {rep}: earlier segments differ"
        );
        let (a, b) = (&w0.segments[before], &w1.segments[before]);
        assert_eq!(a.start, day);
        assert!(
            (b.hashprice / a.hashprice - 0.5).abs() < 1e-12,
            "replication {rep}"
        );
    }
}

#[test]
fn the_2022_debt_stress_defaults_far_more_often_than_without_debt() {
    // configs/stress-debt-2022.yaml (docs/sources.md §6.2): equipment debt amortizing over 30 months
    // through BTC −66% and a hosting client's default. With the debt most futures default;
    // without it (same futures) almost none do.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/stress-debt-2022.yaml");
    let with_debt = scenario::load_file(&path).unwrap().scenario;
    let mut without = with_debt.clone();
    without.finance.as_mut().unwrap().debts.clear();
    let p_default = |s: &Scenario| {
        let model = CompiledScenario::new(s).unwrap();
        let r = montecarlo::run(
            &model,
            &RunOptions::new(60, 5, 0),
            |_| Ok::<(), ()>(()),
            |_| {},
        )
        .unwrap();
        r.plans[0].metric(Metric::Defaulted).moments().mean()
    };
    let (with, none) = (p_default(&with_debt), p_default(&without));
    assert!(with >= 0.5, "P(default) with debt {with}");
    assert!(none <= 0.05, "P(default) without debt {none}");
}

#[test]
fn downtime_beyond_the_sla_allowance_earns_capped_credits() {
    // A 10 MW lease at $100/kW-month bills $1,000,000 a month. A scheduled 3-day grid outage in
    // March (the hall has no backup generators) keeps the tenant down 72 h. With an allowance
    // of 0.5 h and 10% of the month's rent per hour beyond it, capped at 50%: the credit share
    // is min(0.5, 71.5 × 0.1) = 0.5, so March pays $500,000 back; no other month does.
    let mut s = leased_quiet_site();
    let lease = &mut s.market.ai.as_mut().unwrap().lease;
    lease.sla = Some(scenario::Sla {
        allowance_hours_per_month: 0.5,
        credit_per_hour: 0.1,
        cap: 0.5,
    });
    s.shocks.push(
        serde_json::from_str(
            r#"{"type": "grid_outage", "site": "S", "date": "2026-03-10", "days": 3}"#,
        )
        .unwrap(),
    );
    let (m, months) = run_one(&s, 0);
    assert!((months[2].flows[Flow::SlaCredits] - 500_000.0).abs() < 1e-6);
    assert!(
        months
            .iter()
            .enumerate()
            .all(|(k, mo)| k == 2 || mo.flows[Flow::SlaCredits] == 0.0)
    );
    // 36 months × $1,000,000 of rent, less the credit.
    assert!((m.get(Metric::GpuRevenue) - (36_000_000.0 - 500_000.0)).abs() < 1e-3);
    assert_eq!(m.get(Metric::SlaCredits), 500_000.0);
}

#[test]
fn backup_generators_carry_gpu_tenants_through_grid_outages() {
    // Frequent random grid outages (every ~10 days, ~12 h) with generators that never fail: a
    // hall with backup generators keeps its tenant up, so no SLA credit is ever owed; the same
    // hall without backup owes credits.
    let mut s = leased_quiet_site();
    let lease = &mut s.market.ai.as_mut().unwrap().lease;
    lease.sla = Some(scenario::Sla {
        allowance_hours_per_month: 0.5,
        credit_per_hour: 0.01,
        cap: 0.5,
    });
    s.sites[0].grid_outages = Some(scenario::OutageProcess {
        between_days: scenario::Dist::Exponential { mean: 10.0 },
        duration_hours: scenario::Dist::Exponential { mean: 12.0 },
    });
    s.sites[0].generator_failure_probability = 0.0;
    s.sites[0].halls[0].backup_generators = true;
    let (with_backup, _) = run_one(&s, 0);
    assert!(with_backup.get(Metric::GridOutageHours) > 500.0);
    assert_eq!(with_backup.get(Metric::SlaCredits), 0.0);
    s.sites[0].halls[0].backup_generators = false;
    let (without, _) = run_one(&s, 0);
    assert!(without.get(Metric::SlaCredits) > 0.0);
}

#[test]
fn a_sale_on_the_first_of_a_month_is_booked_in_the_month_it_opens() {
    // The default plan converts hall A on 2027-01-01 and sells its ASICs that day: the
    // proceeds belong to January (the month closed 2027-02-01), not to December.
    let s = scenario::load_default().unwrap().scenario;
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 3, 0);
    let op = model::run_to_horizon(&model, &world, 1, 3, 0);
    let close = |y, m, d| {
        model
            .calendar
            .time_of(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .unwrap()
    };
    let month = |end| op.months().iter().find(|mo| mo.end == end).unwrap().flows;
    assert_eq!(month(close(2027, 1, 1))[Flow::Salvage], 0.0);
    assert!(month(close(2027, 2, 1))[Flow::Salvage] > 0.0);
}

/// The leased quiet site ($1,000,000 of rent a month, no costs) under `finance_yaml`.
fn leased_quiet_site_with(finance_yaml: &str) -> Scenario {
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H, \
                 mw: 10, term_years: 10, price_usd_per_kw_month: 100}\n";
    let mut s = quiet_site(50_000_000.0, finance_yaml, plans);
    let lease = &mut s.market.ai.as_mut().unwrap().lease;
    lease.ramp_months = 0;
    lease.default_hazard_per_year = 0.0;
    s
}

#[test]
fn without_debt_project_and_equity_values_are_equal() {
    // No debt, one 10% rate (the scenario's discount_rate), a 21% tax and an 8× exit multiple.
    // Without debt the taxes as if unlevered are the taxes paid, every month's free cash flow
    // to the firm is its net cash flow to the owners (the same terms in the same order), and
    // the owners' share of the terminal value is all of it: the two values are equal, to the
    // cent (here bit for bit), and npv_usd is the equity value.
    let s = leased_quiet_site_with(
        "finance:\n  tax_rate: 0.21\n  terminal_value: {exit_multiple: 8}\n",
    );
    let (m, _) = run_one(&s, 0);
    let (project, equity) = (m.get(Metric::ProjectNpv), m.get(Metric::EquityNpv));
    assert!(project > 0.0);
    assert!((project - equity).abs() < 0.01, "{project} vs {equity}");
    assert_eq!(m.get(Metric::Npv), equity);
}

#[test]
fn a_loan_at_the_project_rate_without_tax_changes_neither_value() {
    // Modigliani–Miller. Both rates 10%/yr, no tax. A $100M loan drawn on the start date
    // (2026-01-01), amortizing over 24 months at the monthly rate j = 1.1^(1/12) − 1 (quoted
    // as 12 j a year), so that its service discounted at 10%/yr is worth its principal at the
    // draw date. Project value: the loan is not a project flow and without tax it shields
    // nothing, so the project value is the same, bit for bit. Equity value: + the draw − the
    // discounted service − the debt left at the horizon (none: it is repaid in year 2), which
    // is zero at the draw date. The model books the draw at the close of the month it arrives
    // in (2026-02-01, 31 days later), where that month's interest is also paid, so the draw's
    // cash is discounted one month more than its value at the draw date:
    // equity − project ≈ −$100M × (1 − 1.1^(−31/365.25)) = −$805,667 (x = ln 1.1 × 31/365.25
    // = 0.0080893; 1 − e^−x = x − x²/2 + x³/6). The 24 level payments A = P j / (1 − (1+j)^−24)
    // fall on the 1st of each month, on average about a day earlier than the k/12-year grid
    // (February is short and 2026–27 have 365 days, not 365.25), which costs ≈ 24 × $4.6M ×
    // ln 1.1 × 0.003 yr ≈ $30,000 more: within $40,000 of the one-month figure. Exactly, it is
    // P × d(t₁) − Σ A × d(t_k) with the real close dates t_k, which the test also checks to $1.
    let j: f64 = 1.1_f64.powf(1.0 / 12.0) - 1.0;
    let loan = format!(
        "  debts:\n    - {{name: loan, principal_usd: 100000000, drawn: 2026-01-01, \
         rate: {{fixed: {}}}, term_months: 24, repayment: amortizing}}\n",
        12.0 * j
    );
    let unlevered = leased_quiet_site_with("finance:\n  terminal_value: {exit_multiple: 8}\n");
    let levered = leased_quiet_site_with(&format!(
        "finance:\n  terminal_value: {{exit_multiple: 8}}\n{loan}"
    ));
    let (u, _) = run_one(&unlevered, 0);
    let (l, _) = run_one(&levered, 0);
    assert_eq!(l.get(Metric::Defaulted), 0.0);
    assert_eq!(
        l.get(Metric::ProjectNpv).to_bits(),
        u.get(Metric::ProjectNpv).to_bits()
    );
    assert_eq!(u.get(Metric::EquityNpv), u.get(Metric::ProjectNpv));
    let one_month = 100_000_000.0 * (1.0 - 1.1_f64.powf(-31.0 / 365.25));
    assert!((one_month - 805_667.0).abs() < 1.0, "{one_month}");
    let gap = l.get(Metric::EquityNpv) - l.get(Metric::ProjectNpv);
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let d = |k: u32| {
        let close = start.checked_add_months(chrono::Months::new(k)).unwrap();
        let years = (close - start).num_days() as f64 / 365.25;
        1.1_f64.powf(-years)
    };
    let payment = 100_000_000.0 * j / (1.0 - (1.0 + j).powi(-24));
    let exact = 100_000_000.0 * d(1) - (1..=24).map(|k| payment * d(k)).sum::<f64>();
    assert!(
        (gap - exact).abs() < 1.0,
        "equity − project = {gap}, expected {exact}"
    );
    assert!(
        (gap + one_month).abs() < 40_000.0,
        "equity − project = {gap}"
    );
}

#[test]
fn a_cheap_loan_adds_no_project_value() {
    // A 7% loan and a 20% equity rate (project rate 12%, tax 21%): discounting the owners'
    // flows at 20% makes the $100M at 7% look like free money to the equity value, but the
    // project value discounts free cash flows, whose taxes are computed as if unlevered and
    // which carry no loan flow: it is identical, bit for bit, with and without the loan.
    let rates = "finance:\n  tax_rate: 0.21\n  terminal_value: {exit_multiple: 8}\n  \
                 discount_rates: {project: 0.12, equity: 0.20}\n";
    let loan = "  debts:\n    - {name: loan, principal_usd: 100000000, drawn: 2026-01-01, \
                rate: {fixed: 0.07}, term_months: 24, repayment: amortizing}\n";
    let (u, _) = run_one(&leased_quiet_site_with(rates), 0);
    let (l, _) = run_one(&leased_quiet_site_with(&format!("{rates}{loan}")), 0);
    assert_eq!(l.get(Metric::Defaulted), 0.0);
    assert_eq!(
        l.get(Metric::ProjectNpv).to_bits(),
        u.get(Metric::ProjectNpv).to_bits()
    );
    // The equity value does gain (20% vs 7%): the reason the project value is the one to
    // compare plans on when their financing differs.
    assert!(l.get(Metric::EquityNpv) > u.get(Metric::EquityNpv));
    // The interest shield lowers the taxes paid, but not the project value's taxes.
    assert!(l.get(Metric::Taxes) < u.get(Metric::Taxes));
}

#[test]
fn discount_rates_take_precedence_over_discount_rate() {
    // discount_rate is 10%; discount_rates {project: 10%, equity: 10%} gives the same values
    // bit for bit, and an equity rate of 30% lowers only the equity value (positive flows).
    let base = leased_quiet_site_with("finance:\n  terminal_value: {exit_multiple: 8}\n");
    let same = leased_quiet_site_with(
        "finance:\n  terminal_value: {exit_multiple: 8}\n  discount_rates: {project: 0.10, equity: 0.10}\n",
    );
    let higher = leased_quiet_site_with(
        "finance:\n  terminal_value: {exit_multiple: 8}\n  discount_rates: {project: 0.10, equity: 0.30}\n",
    );
    let (b, _) = run_one(&base, 0);
    let (s, _) = run_one(&same, 0);
    let (h, _) = run_one(&higher, 0);
    assert_eq!(b.values.map(f64::to_bits), s.values.map(f64::to_bits));
    assert_eq!(h.get(Metric::ProjectNpv), b.get(Metric::ProjectNpv));
    assert!(h.get(Metric::EquityNpv) < b.get(Metric::EquityNpv));
}

#[test]
fn stay_mining_ties_with_itself_under_a_stress_that_cannot_touch_it() {
    // Issue #15: an AI bust (and its largest tenant walking away) cannot touch a plan with no
    // GPU tenants, so on every future "stay-mining [ai-bust-2028]" equals stay-mining to the
    // rounding of sums taken in another order: every dollar comparison is a tie, never a win.
    let dir = tempfile::tempdir().unwrap();
    let o = crate::common::run_in(
        dir.path(),
        &[
            "run",
            "--runs",
            "64",
            "--stress",
            "ai-bust-2028",
            "--format",
            "json",
            "--no-plots",
            "-q",
            "--out",
            "out",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let comparison = summary["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["a"] == "stay-mining [ai-bust-2028]")
        .expect("the stressed copy is compared with the baseline");
    assert_eq!(comparison["b"], "stay-mining");
    for metric in [
        "npv_usd",
        "project_npv_usd",
        "equity_npv_usd",
        "end_cash_usd",
    ] {
        let m = &comparison["metrics"][metric];
        assert_eq!(m["p_tie"], 1.0, "{metric}: {m}");
        assert_eq!(m["p_a_beats_b"], 0.0, "{metric}");
    }
    assert_eq!(comparison["return_methods"]["project"]["none"], 64);
    // A stressed plan is compared with the baseline's copy in the same (stressed) world.
    let stressed = summary["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["a"] == "convert-half-2027 [ai-bust-2028]")
        .unwrap();
    assert_eq!(stressed["b"], "stay-mining [ai-bust-2028]");
}
