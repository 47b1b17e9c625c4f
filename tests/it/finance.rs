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
    // The owners keep max(0, assets − liabilities) = max(0, −$0.5M + 0 (no plant) − $100M)
    // = 0; the creditors absorb the $0.5M deficit (seized = −$0.5M), so cash ends at 0.
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
    assert_eq!(months[10].cash_after_usd, 0.0);
    assert!((months[10].flows[Flow::SeizedAtDefault] + 500_000.0).abs() < 1e-3);
    assert_eq!(m.get(Metric::LiquidationProceeds), 0.0);
    // Absorbing: the remaining months book nothing and cash stays where it fell.
    assert!(months[11..].iter().all(|mo| mo.flows.net_cash() == 0.0));
    assert_eq!(m.get(Metric::EndCash), 0.0);
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
    // through BTC −66%, with a hosting client that may default. With the debt most futures default;
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
    // The default plan converts hall A on 2027-01-01; with its ASICs sold that day, the
    // proceeds belong to January (the month closed 2027-02-01), not to December.
    let mut s = scenario::load_default().unwrap().scenario;
    if let scenario::Action::ConvertHall {
        asics_hash_for_months,
        ..
    } = &mut s.plans[1].actions[0]
    {
        *asics_hash_for_months = 0;
    }
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

/// A site with one idle 10 MW hall that a plan converts with a project loan: $50M of capex
/// ($5M/MW) over six months from 2026-01-01, 80% borrowed at 0% over 120 months ($40M,
/// $333,333.33 a month from COD), a three-month reserve and no equity cure; a 10 MW anchor
/// at $100/kW-month ($1M a month) from COD (2026-07-01); no tax, opex or inquiries.
fn project_financed_site(cash: f64) -> Scenario {
    let default = scenario::DEFAULT_SCENARIO_YAML;
    let market = &default[default.find("market:").unwrap()..default.find("stresses:").unwrap()];
    let hall = "{cooling: liquid, rack_slots: 200, max_kw_per_rack: 132, cooling_mw: 10, pue: 1.2}";
    let yaml = format!(
        "name: project finance test\nstart: 2026-01-01\nhorizon_years: 3\nseed: 1\nruns: 10\n\
         discount_rate: 0.10\nstarting_cash_usd: {cash}\n{market}\
         sites:\n  - name: S\n    grid_mw: 100\n    opex_usd_per_mw_month: 0\n    halls:\n      \
         - {{name: H, state: idle, rack_slots: 200, max_kw_per_rack: 132, cooling: liquid, cooling_mw: 10, pue: 1.2}}\n\
         plans:\n  - name: convert\n    actions:\n      - type: convert_hall\n        date: 2026-01-01\n        \
         site: S\n        hall: H\n        to: {hall}\n        capex_usd_per_mw: 5000000\n        \
         lead_time_months: 6\n        debt: {{share_of_capex: 0.8, rate: {{fixed: 0.0}}, term_months: 120, \
         repayment: amortizing, recourse: project, project_terms: {{reserve_months: 3}}}}\n      \
         - {{type: sign_tenant, date: 2026-01-01, site: S, hall: H, mw: 10, term_years: 10, \
         price_usd_per_kw_month: 100, start_delay_months: 6}}\n"
    )
    .replace("rate_per_year: 4 ", "rate_per_year: 0 ");
    let mut s = match scenario::load_str(&yaml, "<project finance test>") {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{yaml}"),
    };
    let ai = s.market.ai.as_mut().unwrap();
    ai.construction_risk = None;
    ai.lease.ramp_months = 0;
    ai.lease.default_hazard_per_year = 0.0;
    s
}

/// The project of [`project_financed_site`] whose anchor defaults on 2027-01-15.
fn project_whose_anchor_defaults() -> Scenario {
    let mut s = project_financed_site(50_000_000.0);
    s.shocks.push(
        serde_json::from_str(r#"{"type": "largest_tenant_defaults", "date": "2027-01-15"}"#)
            .unwrap(),
    );
    s
}

#[test]
fn a_project_default_leaves_the_parent_its_cash() {
    // The anchor defaults on 2027-01-15. The project's rent stops: Feb's $333,333.33 is paid
    // from January's half month of rent, Mar–May's from the $1M reserve, and June's is missed:
    // on 2027-06-01 the lenders take the project (hall, lease, reserve). The company does not
    // default, owes nothing more and keeps its cash:
    //   $50M − $50M capex + $40M drawn − $1M reserve (at COD)
    //   + the rent billed (from the lease's start, six average months after signing, i.e.
    //     2026-07-02 15:00, to 2027-01-15: about 6.4 months of $1M)
    //   − service paid by the parent, Aug–Feb (7 × $333,333.33 = $2,333,333.33).
    let s = project_whose_anchor_defaults();
    let (m, months) = run_one(&s, 0);
    assert_eq!(m.get(Metric::Defaulted), 0.0);
    assert_eq!(m.get(Metric::ProjectDefaults), 1.0);
    assert_eq!(m.get(Metric::EquityCures), 0.0);
    // months[k] closes on the first of month k + 2 of 2026: months[16] on 2027-06-01.
    let june = &months[16];
    assert!(months[15].debt_outstanding_usd > 35_000_000.0);
    assert!(!june.defaulted && june.debt_outstanding_usd == 0.0);
    let rent: f64 = months.iter().map(|m| m.flows[Flow::LeaseRevenue]).sum();
    // Six months less July's first 1.625 days, plus 14 days of January (31-day months).
    let hand = 1_000_000.0 * (6.0 - 1.625 / 31.0 + 14.0 / 31.0);
    assert!((rent - hand).abs() < 1.0, "{rent} vs {hand}");
    let expected = 50_000_000.0 - 50_000_000.0 + 40_000_000.0 - 1_000_000.0 + rent
        - 7.0 * 40_000_000.0 / 120.0;
    assert!(
        (june.cash_after_usd - expected).abs() < 1e-4,
        "{}",
        june.cash_after_usd
    );
    assert!((m.get(Metric::EndCash) - expected).abs() < 1e-4);
    // The reserve paid March to May.
    let released: f64 = months[13..16]
        .iter()
        .map(|m| m.flows[Flow::RestrictedCashOut])
        .sum();
    assert!((released - 1_000_000.0).abs() < 1e-4, "{released}");
    // Nothing is booked for the hall afterwards.
    assert!(months[17..].iter().all(|mo| mo.flows.net_cash() == 0.0));
}

#[test]
fn a_pre_leased_project_at_good_coverage_never_defaults() {
    // Without the tenant default, the same project covers its service 3× ($1M of rent against
    // $333,333.33): it never locks up, never defaults, and sends everything above its
    // service up to the parent. The reserve (3 × $333,333.33 = $1M) is funded at COD
    // (2026-07-01, the close of months[5]) and nothing else is restricted.
    let s = project_financed_site(50_000_000.0);
    let (m, months) = run_one(&s, 0);
    assert_eq!(m.get(Metric::ProjectDefaults), 0.0);
    assert_eq!(m.get(Metric::Defaulted), 0.0);
    assert!((months[5].flows[Flow::RestrictedCashIn] - 1_000_000.0).abs() < 1e-6);
    assert!((months[5].debt_outstanding_usd - 40_000_000.0).abs() < 1e-6);
    let after_cod: f64 = months[6..]
        .iter()
        .map(|m| m.flows[Flow::RestrictedCashIn] - m.flows[Flow::RestrictedCashOut])
        .sum();
    assert!(after_cod.abs() < 1e-6, "{after_cod}");
}

#[test]
fn an_equity_raise_funds_the_company_and_costs_the_owners_only_its_fees() {
    // No income. Plan `raise` sells $10M of new shares at $10 on 2026-01-01 with a 3% issue
    // cost. The company's cash is $9.7M higher from the first close (2026-02-01). The owners'
    // flows do not count the $10M (they paid it in), only the $300,000 fee: the equity value
    // is −300,000 × 1.1^−(31/365.25). With 1,000,000 shares at the start and 1,000,000 issued,
    // the value per share is ($50M of starting cash + the equity value + the raise's present
    // value, $10M at t = 0) ÷ 2,000,000: about $29.85, below the $50 a share the company held
    // before, because the shares were sold at $10 (dilution).
    let finance = "finance:\n  shares_outstanding: 1000000\n";
    let plans = "  - name: hold\n  - name: raise\n    actions:\n      - {type: raise_equity, date: 2026-01-01, \
                 amount_usd: 10000000, issue_cost: 0.03, price_per_share_usd: 10}\n";
    let s = quiet_site(50_000_000.0, finance, plans);
    let (hold, _) = run_one(&s, 0);
    let (raise, months) = run_one(&s, 1);
    assert_eq!(hold.get(Metric::EquityNpv), 0.0);
    assert!((months[0].cash_after_usd - 59_700_000.0).abs() < 1e-6);
    assert!((raise.get(Metric::EndCash) - 59_700_000.0).abs() < 1e-6);
    let npv = -300_000.0 * 1.1_f64.powf(-31.0 / 365.25);
    assert!((raise.get(Metric::EquityNpv) - npv).abs() < 1e-6);
    assert_eq!(raise.get(Metric::EquityRaised), 10_000_000.0);
    let per_share = (50_000_000.0 + npv + 10_000_000.0) / 2_000_000.0;
    assert!((raise.get(Metric::EquityValuePerShare) - per_share).abs() < 1e-9);
    // The project value does not see financing at all.
    assert_eq!(raise.get(Metric::ProjectNpv), hold.get(Metric::ProjectNpv));
}

#[test]
fn a_revolver_carries_the_company_until_its_limit_and_a_minimum_cash_rule_bites_earlier() {
    // As in the first test: no income, $1M of interest a month, $10.5M at the start, cash
    // $0.5M after 10 closes. With a $5M revolver at 12% (1% a month on the balance drawn at
    // the month's start), each close draws what brings cash back to zero:
    //   close 11: 0.5M; 12: 1M + 5,000 = 1.005M (drawn 1.505M); 13: 1.01505M (2.52005M);
    //   14: 1.0252005M (3.5452505M); 15: 1.035452505M (4.580703005M);
    //   close 16 (2027-05-01) needs 1.04580703M with 0.419296995M of room: cash goes below
    //   zero and the company defaults, owing $105M.
    let legacy = "  debts:\n    - {name: legacy, principal_usd: 100000000, rate: {fixed: 0.12}, \
                  term_months: 24, repayment: bullet}\n";
    let finance =
        format!("finance:\n  revolver: {{limit_usd: 5000000, rate: {{fixed: 0.12}}}}\n{legacy}");
    let s = quiet_site(10_500_000.0, &finance, "  - name: hold\n");
    let (m, months) = run_one(&s, 0);
    assert!(months[..15].iter().all(|mo| !mo.defaulted));
    assert!(
        months[10..15]
            .iter()
            .all(|mo| mo.cash_after_usd.abs() < 1e-6)
    );
    assert!((months[14].debt_outstanding_usd - 104_580_703.005).abs() < 1e-3);
    assert!(months[15].defaulted);
    assert!((months[15].debt_outstanding_usd - 105_000_000.0).abs() < 1e-3);
    assert_eq!(m.get(Metric::DefaultedOnCash), 1.0);
    // A minimum cash of $2M (no revolver): cash is $1.5M after the 9th close (2026-10-01),
    // below the minimum: the company is out of cash then.
    let finance = format!("finance:\n  min_cash_usd: 2000000\n{legacy}");
    let s = quiet_site(10_500_000.0, &finance, "  - name: hold\n");
    let (_, months) = run_one(&s, 0);
    assert!(!months[7].defaulted && months[8].defaulted);
}

#[test]
fn on_the_default_scenario_a_pre_leased_project_defaults_only_when_its_tenant_does() {
    // convert-half-2027 finances each pre-leased hall with a project loan (75% of cost at
    // 9.25%, a six-month reserve, tests from fifteen months after COD; configs/default.yaml).
    // Its anchor's rent covers the service about 1.3× from its start, so, with builds on time
    // and on budget, the lenders take a hall only after a tenant of that hall has defaulted,
    // in every future here; and some do take one (the case is exercised). docs/validation.md
    // quotes the rate over 1,000 futures, and what construction risk adds.
    let mut s = scenario::load_default().unwrap().scenario;
    s.market.ai.as_mut().unwrap().construction_risk = None;
    let model = CompiledScenario::new(&s).unwrap();
    let plan = model
        .plans
        .iter()
        .position(|p| p.name == "convert-half-2027")
        .unwrap();
    let mut foreclosed = 0;
    for rep in 0..200 {
        let mut world = World::default();
        world.generate(&model, s.seed.unwrap(), rep);
        let op = model::run_to_horizon(&model, &world, plan, s.seed.unwrap(), rep);
        assert!(!op.has_defaulted(), "future {rep}: the company defaulted");
        for (hall, taken, _) in op.project_loans() {
            let Some(taken) = taken else { continue };
            foreclosed += 1;
            let tenant_defaulted = op
                .leases()
                .iter()
                .any(|l| l.hall == hall && l.defaulted_at.is_some_and(|t| t < taken));
            assert!(
                tenant_defaulted,
                "future {rep}: hall {hall} taken at {taken} with no tenant default"
            );
        }
    }
    assert!(foreclosed > 10, "{foreclosed}");
}

#[test]
fn the_trace_says_when_the_lenders_take_a_project_and_the_statement_shows_its_accounts() {
    // The project of `a_project_default_leaves_the_parent_its_cash`: the log names the
    // project the lenders took, on 2027-06-01, with the $40M less ten payments
    // (March–May's from the reserve included) it still owed; nothing is logged for its lease
    // afterwards. The statement has one row per month, and shows the reserve ($1M at COD,
    // drawn to 0 by May) and the state.
    let s = project_whose_anchor_defaults();
    let model = CompiledScenario::new(&s).unwrap();
    let trace = model::trace::trace_plan(&model, 0, 1, 0);
    let taken: Vec<_> = trace
        .log
        .iter()
        .filter(|r| r.event == "lenders_take_project")
        .collect();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].subject, "conversion of H: missed payment");
    assert_eq!(
        model.calendar.date_of(taken[0].time).to_string(),
        "2027-06-01"
    );
    let owed = 40_000_000.0 - 10.0 * 40_000_000.0 / 120.0;
    match taken[0].before {
        model::trace::TraceValue::Number(x) => assert!((x - owed).abs() < 1e-4, "{x}"),
        other => panic!("{other:?}"),
    }
    assert!(
        !trace
            .log
            .iter()
            .any(|r| r.time > taken[0].time && r.subject.starts_with("lease"))
    );
    assert!(!trace.log.iter().any(|r| r.event == "company_default"));
    let st = &trace.statement;
    assert_eq!(st.len(), model::months_per_run(&model));
    let h = |k: usize| &st[k].projects[0];
    assert_eq!(h(4).state, "construction");
    assert!((h(5).reserve_usd - 1_000_000.0).abs() < 1e-6);
    assert!((h(5).distributed_usd + 1_000_000.0).abs() < 1e-6);
    assert!(h(15).reserve_usd.abs() < 1e-6);
    assert_eq!(h(16).state, "taken by lenders");
    assert_eq!(st[16].record.debt_outstanding_usd, 0.0);
}

#[test]
fn a_prepayment_brings_rent_forward_and_is_credited_until_used() {
    // A 10 MW anchor at $100/kW-month from 2026-01-01 ($1M a month) prepays 25% of its first
    // year's rent at signing: 0.25 × 12 × $1M = $3M. January's cash is $3M + $1M of rent −
    // $1M credited = $3M, February's and March's nothing, April's $1M again. Revenue is the
    // rent billed either way: $1M a month. From the end of March cash is what it is without
    // the prepayment.
    let plan = |share: f64| {
        format!(
            "  - name: lease\n    actions:\n      - {{type: sign_tenant, date: 2026-01-01, site: S, hall: H, \
             mw: 10, term_years: 10, price_usd_per_kw_month: 100, prepaid_share_of_year1_rent: {share}}}\n"
        )
    };
    let run = |share: f64| {
        let mut s = quiet_site(50_000_000.0, "", &plan(share));
        let lease = &mut s.market.ai.as_mut().unwrap().lease;
        lease.ramp_months = 0;
        lease.default_hazard_per_year = 0.0;
        run_one(&s, 0)
    };
    let (m, months) = run(0.25);
    let (_, plain) = run(0.0);
    let cash = |k: usize| months[k].cash_after_usd;
    assert!((cash(0) - 53_000_000.0).abs() < 1e-6, "{}", cash(0));
    assert!((cash(1) - 53_000_000.0).abs() < 1e-6);
    assert!((cash(2) - 53_000_000.0).abs() < 1e-6);
    assert!((cash(3) - 54_000_000.0).abs() < 1e-6);
    assert!((cash(2) - plain[2].cash_after_usd).abs() < 1e-6);
    assert!((months[1].flows.revenue() - 1_000_000.0).abs() < 1e-6);
    assert_eq!(m.get(Metric::RentPrepaid), 3_000_000.0);
    let credited: f64 = months
        .iter()
        .map(|m| m.flows[Flow::PrepaymentCredits])
        .sum();
    assert!((credited - 3_000_000.0).abs() < 1e-6);
}

#[test]
fn a_tenant_funded_share_is_not_the_companys_capex() {
    // The project-financed conversion of `project_financed_site` ($50M) with half funded by
    // the tenant: the company spends $25M and borrows 80% of that ($20M, $166,666.67 a month
    // over 120 months at 0%); the tenant's $25M is reported, not spent.
    let mut s = project_financed_site(50_000_000.0);
    if let scenario::Action::ConvertHall {
        tenant_funded_share,
        ..
    } = &mut s.plans[0].actions[0]
    {
        *tenant_funded_share = 0.5;
    }
    let (m, months) = run_one(&s, 0);
    assert!((m.get(Metric::Capex) - 25_000_000.0).abs() < 1e-4);
    assert!((m.get(Metric::TenantFundedCapex) - 25_000_000.0).abs() < 1e-9);
    let drawn: f64 = months.iter().map(|m| m.flows[Flow::DebtDraws]).sum();
    assert!((drawn - 20_000_000.0).abs() < 1e-4);
    assert!((months[6].flows[Flow::Principal] - 20_000_000.0 / 120.0).abs() < 1e-6);
}

#[test]
fn the_terminal_value_by_segment_values_each_business_its_own_way() {
    // The quiet site (no ASICs, no opex, power passed through) with a 10 MW lease at
    // $100/kW-month ($12M of NOI a year) and 1,000 operator GPUs bought for $30,000 each on
    // the start date and rented from then, with a 5-year life. At the 3-year horizon
    // (2029-01-01, 1,096 days later), by segment with a 6% lease cap rate: the leases are
    // worth $12M / 0.06 = $200M, mining nothing (there is none, whatever the GPUs earn), and
    // the GPUs their depreciated cost, $30M × (1 − 1,096 / (5 × 365.25)).
    let finance =
        "finance:\n  terminal_value: {by_segment: {lease_cap_rate: 0.06, mining_multiple: 8}}\n";
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H, \
                 mw: 5, term_years: 10, price_usd_per_kw_month: 200}\n      \
                 - {type: deploy_gpu_cloud, date: 2026-01-01, site: S, hall: H, gpus: 1000, kw_per_gpu: 1.0, \
                 capex_usd_per_gpu: 30000, life_years: 5, utilization: 0.9, annual_failure_rate: 0.0}\n";
    let mut s = quiet_site(50_000_000.0, finance, plans);
    let lease = &mut s.market.ai.as_mut().unwrap().lease;
    lease.ramp_months = 0;
    lease.default_hazard_per_year = 0.0;
    lease.sla = None;
    let (m, _) = run_one(&s, 0);
    let gpus = 30_000_000.0 * (1.0 - 1_096.0 / (5.0 * 365.25));
    let expected = 200_000_000.0 + gpus;
    assert!(
        (m.get(Metric::TerminalValue) - expected).abs() < 1e-3,
        "{} vs {expected}",
        m.get(Metric::TerminalValue)
    );
}

#[test]
fn hosting_is_valued_at_the_multiple_capped_by_its_contracts_years_left() {
    // The quiet site's hall, idle, hosts 5 MW of a client's machines from the start for 5
    // years at $20/kW-month ($100,000 a month, owed whether they run or not), power passed
    // through at cost (billed = bought: no margin), no opex, no deposit, no default. Hosting
    // EBITDA over the last twelve months is $1.2M. At the 3-year horizon (2029-01-01, 1,096
    // days in) the contract has 5 × 365.25 − 1,096 = 730.25 days left, 1.99932 years: by
    // segment at 8×, hosting is worth $1.2M × min(8, 1.99932) = $2,399,179; there is no
    // mining, lease or GPU.
    let finance =
        "finance:\n  terminal_value: {by_segment: {lease_cap_rate: 0.06, mining_multiple: 8}}\n";
    let mut s = quiet_site(50_000_000.0, finance, "  - name: host\n");
    s.sites[0].halls[0].state = scenario::HallState::Idle;
    s.plans[0].actions.push(
        serde_json::from_str(
            r#"{"type": "host_miners", "date": "2026-01-01", "site": "S", "hall": "H", "mw": 5,
                "j_per_th": 17.5, "term_years": 5, "fee_usd_per_kw_month": 20,
                "power": "pass_through", "default_hazard_per_year": 0}"#,
        )
        .unwrap(),
    );
    let (m, months) = run_one(&s, 0);
    let last_year: f64 = months[months.len() - 12..]
        .iter()
        .map(|mo| mo.flows.hosting_ebitda())
        .sum();
    assert!((last_year - 1_200_000.0).abs() < 1e-3, "{last_year}");
    let expected = 1_200_000.0 * (5.0 * 365.25 - 1_096.0) / 365.25;
    assert!(
        (m.get(Metric::TerminalValue) - expected).abs() < 1e-3,
        "{} vs {expected}",
        m.get(Metric::TerminalValue)
    );
}

#[test]
fn a_pure_miner_is_worth_the_same_by_segment_as_at_the_same_multiple() {
    // stay-mining has neither leases nor GPUs: by segment, its terminal value is its mining
    // EBITDA at the mining multiple, the same as the exit multiple on all its EBITDA (with
    // fleets that never reach an end of life and no refreshes, so that the multiple is not
    // cut to their remaining years).
    let mut base = scenario::load_default().unwrap().scenario;
    base.plans[0].rules.clear();
    for hall in &mut base.sites[0].halls {
        for fleet in &mut hall.asics {
            fleet.life_years = None;
        }
    }
    let mut segment = base.clone();
    segment.finance.as_mut().unwrap().terminal_value =
        serde_json::from_str(r#"{"by_segment": {"lease_cap_rate": 0.065, "mining_multiple": 8}}"#)
            .unwrap();
    base.finance.as_mut().unwrap().terminal_value = scenario::TerminalValue::ExitMultiple(8.0);
    // A future whose miner has no positive EBITDA at the horizon (or has defaulted) is worth
    // 0 both ways; the comparison needs futures where it is worth something.
    let mut positive = 0;
    for rep in 0..6 {
        let (a, b) = (run_rep(&base, 0, rep), run_rep(&segment, 0, rep));
        let (a, b) = (a.get(Metric::TerminalValue), b.get(Metric::TerminalValue));
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
        positive += u32::from(a > 0.0);
    }
    assert!(
        positive >= 3,
        "{positive} of 6 futures with a positive terminal value"
    );
}

fn run_rep(s: &Scenario, plan: usize, rep: u64) -> RunMetrics {
    let model = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&model, 7, rep);
    model::run_to_horizon(&model, &world, plan, 7, rep).metrics()
}

#[test]
fn the_mining_multiple_is_at_most_the_years_the_fleet_has_left() {
    // stay-mining over the default's 10 years, by segment at 8× with an 11-year ASIC life:
    // the S19 XP units (7,000 + 3,000 × 140 TH/s = 1.4 EH/s) said to be 4 years old at the
    // start are 14 at the horizon (none left); the S21s (3,000 + 6,000 × 200 TH/s) and the
    // S21 Hyds (4,000 × 335 TH/s), new at the start, have 11 − 3,653/365.25 = 0.99863 years
    // left (2026-03-01 to 2036-03-01 is 3,653 days). Weighted by hashrate: (1.4 × 0 + (1.8 +
    // 1.34) × 0.99863) / 4.54 = 0.6907 years, so the terminal value is mining EBITDA × 0.6907
    // instead of × 8.
    let base = scenario::load_default().unwrap().scenario;
    let with = |life: Option<f64>| {
        let mut s = base.clone();
        let tv = match life {
            Some(l) => format!(
                r#"{{"by_segment": {{"lease_cap_rate": 0.065, "mining_multiple": 8, "asic_life_years": {l}}}}}"#
            ),
            None => r#"{"by_segment": {"lease_cap_rate": 0.065, "mining_multiple": 8}}"#.into(),
        };
        s.finance.as_mut().unwrap().terminal_value = serde_json::from_str(&tv).unwrap();
        s.plans[0].rules.clear();
        for hall in &mut s.sites[0].halls {
            for fleet in &mut hall.asics {
                fleet.age_years = if fleet.model == "S19 XP" { 4.0 } else { 0.0 };
                fleet.life_years = None;
            }
        }
        s
    };
    let left = 11.0 - 3_653.0 / 365.25;
    let years = (1.4 * 0.0 + (1.8 + 1.34) * left) / 4.54;
    let (full, aged) = (run_rep(&with(None), 0, 0), run_rep(&with(Some(11.0)), 0, 0));
    let (a, b) = (
        full.get(Metric::TerminalValue),
        aged.get(Metric::TerminalValue),
    );
    assert!(
        a > 0.0 && (b - a * years / 8.0).abs() < 1e-6 * a,
        "{a} {b} {years}"
    );
}

#[test]
fn the_mining_multiple_counts_each_fleets_own_life_left() {
    // stay-mining without refreshes, by segment at 8× with `asic_life_years: 11`. Over the
    // 3,653 days (10.00137 years) to the horizon no fleet reaches its end of life:
    //   S19 XP (1.4 EH/s) aged 9.5 with a 20-year life: 20 − 9.5 − 10.00137 = 0.49863 left;
    //   S21 (1.8 EH/s) new, no life of its own: asic_life_years 11 − 10.00137 = 0.99863;
    //   S21 Hyd (1.34 EH/s) new with a 10.5-year life: 0.49863.
    // Per fleet, each at most 8, weighted by hashrate: (1.4 · 0.49863 + 1.8 · 0.99863 + 1.34
    // · 0.49863) / 4.54 = 0.69956 years, so the terminal value is mining EBITDA × 0.69956
    // instead of × 8 (the same futures: the failure rates do not depend on age here).
    let mut s = scenario::load_default().unwrap().scenario;
    s.plans[0].rules.clear();
    let tv = |life: bool| {
        if life {
            r#"{"by_segment": {"lease_cap_rate": 0.065, "mining_multiple": 8, "asic_life_years": 11}}"#
        } else {
            r#"{"by_segment": {"lease_cap_rate": 0.065, "mining_multiple": 8}}"#
        }
    };
    let with = |lives: bool| {
        let mut s = s.clone();
        s.finance.as_mut().unwrap().terminal_value = serde_json::from_str(tv(lives)).unwrap();
        for hall in &mut s.sites[0].halls {
            for fleet in &mut hall.asics {
                fleet.failure_rate_increase_per_year = 0.0;
                (fleet.age_years, fleet.life_years) = match (lives, fleet.model.as_str()) {
                    (true, "S19 XP") => (9.5, Some(20.0)),
                    (true, "S21 Hyd") => (0.0, Some(10.5)),
                    _ => (0.0, None),
                };
            }
        }
        s
    };
    let days = 3_653.0 / 365.25;
    let years = (1.4 * (20.0 - 9.5 - days) + 1.8 * (11.0 - days) + 1.34 * (10.5 - days)) / 4.54;
    let (full, aged) = (run_rep(&with(false), 0, 0), run_rep(&with(true), 0, 0));
    let (a, b) = (
        full.get(Metric::TerminalValue),
        aged.get(Metric::TerminalValue),
    );
    assert!(
        a > 0.0 && (b - a * years / 8.0).abs() < 1e-6 * a,
        "{a} {b} {years}"
    );
}

#[test]
fn replacing_asics_sells_the_old_and_buys_the_new_as_far_as_they_fit() {
    // stay-mining replaces hall A's 7,000 S19 XP on 2030-03-01 with S21 XPs (270 TH/s,
    // 3,645 W, 10 a rack) at $20/TH. Hall A has 600 rack slots: 6,000 fit (cooling: 22 MW /
    // 3.645 kW = 6,035), so the capex is 6,000 · 270 · 20 = $32.4M; the S19 XPs are sold at
    // the day's used price (salvage > 0 unless hashprice is below their power cost). Fleets
    // bought on that date with an 8-year life have 2 years left at the 2036 horizon.
    let mut s = scenario::load_default().unwrap().scenario;
    s.plans[0].rules.clear();
    s.plans[0].actions = vec![
        serde_json::from_str(
            r#"{"type": "replace_asics", "date": "2030-03-01", "site": "West Texas",
                "hall": "A", "model": "S19 XP", "units": 7000, "usd_per_th": 20,
                "fleet": {"model": "S21 XP", "th_s": 270, "watts": 3645, "units": 7000,
                          "units_per_rack": 10, "annual_failure_rate": 0.06,
                          "repair_days": 30, "life_years": 8}}"#,
        )
        .unwrap(),
    ];
    let m = run_rep(&s, 0, 0);
    assert!(
        (m.get(Metric::Capex) - 32_400_000.0).abs() < 1.0,
        "{}",
        m.get(Metric::Capex)
    );
    assert!(m.get(Metric::SalvageProceeds) >= 0.0);
}

#[test]
fn the_refresh_rule_fires_only_within_its_payback_limit() {
    // The same futures with a payback limit of 0 months (nothing that costs anything net pays
    // back at once) and of 600 months (any refresh that earns more pays back): the first never
    // buys machines; the second does in most futures. The hand-worked payback itself is checked
    // in the model's `refresh_pays_back_in_the_months_worked_by_hand`.
    let base = scenario::load_default().unwrap().scenario;
    let with = |months: f64| {
        let mut s = base.clone();
        if let Some(scenario::Rule::RefreshAsics { payback_months, .. }) =
            s.plans[0].rules.first_mut()
        {
            *payback_months = months;
        } else {
            panic!("the default's stay-mining refreshes");
        }
        s
    };
    let (never, always) = (with(0.0), with(600.0));
    let mut refreshed = 0;
    for rep in 0..4 {
        assert_eq!(run_rep(&never, 0, rep).get(Metric::Capex), 0.0);
        if run_rep(&always, 0, rep).get(Metric::Capex) > 0.0 {
            refreshed += 1;
        }
    }
    assert!(refreshed >= 3, "{refreshed} of 4 futures refreshed");
}
