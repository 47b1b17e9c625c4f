//! GPU tenants, conversions and paired comparison, checked against analytic results.

use pivotsim::model::{self, CompiledScenario, Metric, World};
use pivotsim::montecarlo::{self, RunOptions};
use pivotsim::scenario::{self, Scenario};

/// A site of `halls` GPU-ready liquid halls of `hall_mw` MW IT each (10 racks per MW) and no ASICs, in a market with
/// no regime switching, under `plans_yaml`. Bitcoin and energy are the default's (they do not
/// touch GPU tenants whose power is passed through).
fn gpu_site(
    halls: usize,
    hall_mw: f64,
    horizon_years: u32,
    inquiries_yaml: &str,
    plans_yaml: &str,
) -> Scenario {
    let default = scenario::DEFAULT_SCENARIO_YAML;
    let market_start = default.find("market:").unwrap();
    let ai_start = default.find("  ai:").unwrap();
    let bitcoin_and_energy = &default[market_start..ai_start];
    let mut hall_list = String::new();
    for i in 0..halls {
        hall_list.push_str(&format!(
            "      - {{name: H{i}, state: gpu_ready, rack_slots: {racks}, max_kw_per_rack: 132, cooling: liquid, cooling_mw: {hall_mw}, pue: 1.2}}\n",
            racks = (hall_mw * 10.0).ceil()
        ));
    }
    let ai = [
        "  ai:".to_owned(),
        "    regimes: {initial: boom, boom_to_bust_per_year: 0, bust_to_boom_per_year: 0, \
         bust_inquiry_factor: 1, bust_price_factor: 1, bust_default_factor: 1}"
            .to_owned(),
        format!("    inquiries:\n{inquiries_yaml}"),
        "    lease: {power: passthrough, ramp_months: 0, renewal_probability: 0, \
         default_hazard_per_year: 0}"
            .to_owned(),
        "    gpu_hour: {price_usd: 2, long_run_usd: 2, reversion_per_year: 1, volatility: 0}"
            .to_owned(),
    ]
    .join("\n");
    let yaml = format!(
        "name: gpu test\nstart: 2026-01-01\nhorizon_years: {horizon_years}\nseed: 1\nruns: 10\n\
         discount_rate: 0.10\nstarting_cash_usd: 10000000000\n{bitcoin_and_energy}{ai}\n\
         sites:\n  - name: S\n    grid_mw: 1000\n    opex_usd_per_mw_month: 0\n    halls:\n{hall_list}\
         plans:\n{plans_yaml}"
    );
    match scenario::load_str(&yaml, "<gpu test>") {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{yaml}"),
    }
}

fn inquiries(rate: f64, size: f64, term: &str, patience: f64) -> String {
    [
        format!("rate_per_year: {rate}"),
        format!("size_mw: {{dist: constant, value: {size}}}"),
        format!("term_years: {term}"),
        "price_usd_per_kw_month: 140".into(),
        "price_dispersion: 0".into(),
        "escalator_per_year: 0".into(),
        "liquid_share: 1".into(),
        "density_kw_per_rack: {dist: constant, value: 100}".into(),
        "start_delay_months: {dist: constant, value: 0}".into(),
        format!("patience_months: {{dist: constant, value: {patience}}}"),
    ]
    .iter()
    .map(|l| format!("      {l}\n"))
    .collect()
}

/// Erlang B by the recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Mean over runs of the lost fraction, and its standard error across runs.
fn loss_fraction(s: &Scenario, runs: u64) -> (f64, f64) {
    let model = CompiledScenario::new(s).unwrap();
    let mut fractions = Vec::new();
    montecarlo::run(
        &model,
        &RunOptions::new(runs, 42, 0),
        |row| {
            let r = &row.plans[0];
            fractions.push(r.get(Metric::LostInquiries) / r.get(Metric::Inquiries));
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .unwrap();
    let n = fractions.len() as f64;
    let mean = fractions.iter().sum::<f64>() / n;
    let var = fractions.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn lost_inquiries_match_erlang_b_for_any_term_distribution() {
    // c = 5 halls that each hold exactly one 10 MW tenant, Poisson inquiries at λ = 4/yr, no
    // patience, no defaults or renewals: an M/G/c/c loss system with offered load
    // a = λ × mean term = 4 × 1 yr = 4 Erlangs. Erlang B(5, 4) = 0.19907 (recursion: 0.8,
    // 0.61538, 0.45070, 0.31068, 0.19907), whatever the term
    // distribution (insensitivity). Over 120 runs of 50 years (~24,000 inquiries), the mean
    // loss fraction must be within 4 standard errors (plus 0.005 for the empty start).
    let b = erlang_b(5, 4.0);
    assert!((b - 0.19907).abs() < 1e-5, "{b}");
    for term in [
        "{dist: exponential, mean: 1}",
        "{dist: constant, value: 1}",
        "{dist: uniform, min: 0.5, max: 1.5}",
    ] {
        let s = gpu_site(
            5,
            10.0,
            50,
            &inquiries(4.0, 10.0, term, 0.0),
            "  - name: hold\n",
        );
        let (mean, se) = loss_fraction(&s, 120);
        assert!(
            (mean - b).abs() < 4.0 * se + 0.005,
            "term {term}: loss {mean:.4} ± {se:.4}, Erlang B {b:.4}"
        );
    }
}

#[test]
fn a_fully_leased_70_mw_hall_earns_the_core_scientific_contract() {
    // docs/sources.md §3.2/§8: Core Scientific ← CoreWeave, 70 MW IT for 12 years at $121.5/kW-month
    // = 70,000 kW × $121.5 × 144 months = $1,224,720,000. Rent bills per calendar month, and
    // the lease starts on the 1st, so exactly 144 full months are billed.
    let plans = "  - name: anchor\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H0, \
                 mw: 70, term_years: 12, price_usd_per_kw_month: 121.5}\n";
    let s = gpu_site(
        1,
        70.0,
        12,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        plans,
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    let rent = m.get(Metric::GpuRevenue);
    assert!((rent - 1_224_720_000.0).abs() < 1.0, "lease revenue {rent}");
    // NPV: 144 monthly payments P = $8,505,000 discounted at r = 10%/yr. With the monthly
    // equivalent rate i = 1.1^(1/12) − 1, the annuity formula gives PV = P·(1 − (1+i)^−144)/i.
    // Month ends fall on calendar dates (28–31 days apart), which moves each discount factor
    // by at most ~1.5 days of interest: agreement within 0.05%.
    let p = 70_000.0 * 121.5;
    let i = 1.1f64.powf(1.0 / 12.0) - 1.0;
    let annuity = p * (1.0 - (1.0 + i).powi(-144)) / i;
    let npv = m.get(Metric::Npv);
    assert!(
        (npv / annuity - 1.0).abs() < 5e-4,
        "NPV {npv} vs annuity {annuity}"
    );
    assert_eq!(
        m.get(Metric::LeasedMwAtHorizon),
        0.0,
        "the lease has ended at the horizon"
    );
    assert!((m.get(Metric::LeasedMwMean) - 70.0).abs() < 1e-6);
}

#[test]
fn identical_plans_differ_by_exactly_zero_in_every_future() {
    let mut s = scenario::load_default().unwrap().scenario;
    s.horizon_years = 4;
    let mut twin = s.plans[1].clone();
    twin.name = "twin".into();
    s.plans = vec![s.plans[1].clone(), twin];
    let model = CompiledScenario::new(&s).unwrap();
    let result = montecarlo::run(
        &model,
        &RunOptions::new(40, 3, 0),
        |row| {
            // Bit for bit (undefined metrics are NaN, which never compares equal).
            let bits = |r: &pivotsim::model::RunMetrics| r.values.map(f64::to_bits);
            assert_eq!(
                bits(&row.plans[0]),
                bits(&row.plans[1]),
                "replication {}",
                row.replication
            );
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .unwrap();
    let npv = result.pairs[0].metric(Metric::Npv).summarize().unwrap();
    assert_eq!(npv.diff.min, 0.0);
    assert_eq!(npv.diff.max, 0.0);
    assert_eq!(npv.ties, 40);
    // 40 ties of 40 pairs: a plan never beats its own copy, on any dollar metric.
    assert_eq!((npv.p_tie, npv.p_a_beats_b), (1.0, 0.0));
    for metric in Metric::ALL.into_iter().filter(|m| m.is_usd()) {
        let s = result.pairs[0].metric(metric).summarize().unwrap();
        assert_eq!((s.p_tie, s.p_a_beats_b), (1.0, 0.0), "{}", metric.key());
    }
}

#[test]
fn float_noise_on_a_large_plan_is_a_tie_not_a_win() {
    // Two runs with $1e8 of revenue and NPVs that differ by 1e-7: the tolerance is
    // max($1, 1e-9 × $1e8 = $0.1) = $1, so the pair ties; a $2 difference is a win.
    let mut a = pivotsim::model::RunMetrics {
        values: [0.0; Metric::COUNT],
    };
    a.values[Metric::Revenue.index()] = 1e8;
    let mut b = a;
    a.values[Metric::Npv.index()] = 5e7 + 1e-7;
    b.values[Metric::Npv.index()] = 5e7;
    assert_eq!(montecarlo::money_through(&a), 1e8);
    let tolerance = montecarlo::money_tie_tolerance(&a, &b);
    assert_eq!(tolerance, 1.0);
    let mut p = pivotsim::stats::PairedAccumulator::new();
    p.push_with_tolerance(a.get(Metric::Npv), b.get(Metric::Npv), tolerance);
    assert_eq!((p.ties(), p.a_wins().successes()), (1, 0));
    p.push_with_tolerance(5e7 + 2.0, 5e7, tolerance);
    assert_eq!((p.ties(), p.a_wins().successes()), (1, 1));
    // With $1e12 through, the tolerance is 1e-9 × $1e12 = $1,000 (to the rounding of 1e-9).
    a.values[Metric::Capex.index()] = 1e12 - 1e8;
    assert!((montecarlo::money_tie_tolerance(&a, &b) - 1e3).abs() < 1e-9);
}

#[test]
fn plans_that_differ_after_year_five_are_identical_before() {
    // Two plans convert hall A on different dates in year 6 (2031-06 vs 2031-09): every month
    // closed before 2031-03-01 (year five from the 2026-03-01 start) must be the same.
    let mut s = scenario::load_default().unwrap().scenario;
    let convert = |date: &str| -> scenario::Plan {
        let yaml = format!(
            "name: p{date}\nactions:\n  - {{type: convert_hall, date: {date}, site: West Texas, hall: A, \
             to: {{cooling: liquid, rack_slots: 400, max_kw_per_rack: 132, cooling_mw: 20, pue: 1.2}}, \
             capex_usd_per_mw: 9000000, lead_time_months: 12}}\n"
        );
        serde_json::from_value(
            serde_json::to_value(scenario::source::parse(&yaml, "plan").unwrap().value).unwrap(),
        )
        .unwrap()
    };
    s.plans = vec![convert("2031-06-01"), convert("2031-09-01")];
    let model = CompiledScenario::new(&s).unwrap();
    let year_five = model
        .calendar
        .time_of(chrono::NaiveDate::from_ymd_opt(2031, 3, 1).unwrap())
        .unwrap();
    for rep in 0..5 {
        let mut world = World::default();
        world.generate(&model, 11, rep);
        let months: Vec<Vec<_>> = (0..2)
            .map(|p| {
                let op = model::run_to_horizon(&model, &world, p, 11, rep);
                op.months().to_vec()
            })
            .collect();
        let before: Vec<_> = months[0].iter().filter(|m| m.end <= year_five).collect();
        assert_eq!(before.len(), 60);
        for (a, b) in before.iter().zip(&months[1]) {
            assert_eq!(*a, b, "replication {rep}: months differ before year five");
        }
        assert_ne!(
            months[0].last(),
            months[1].last(),
            "the plans do differ later"
        );
    }
}

#[test]
fn a_converted_hall_without_tenants_is_stranded_capacity() {
    // No inquiries at all: hall H0 (GPU-ready from the start, 10 MW IT) stays vacant for the
    // whole 2-year horizon: vacant GPU MW-months = 10 MW × 24 months (average months of
    // 365.25/12 days over 2 calendar years = exactly 24), and GPU revenue is zero.
    let s = gpu_site(
        1,
        10.0,
        2,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        "  - name: idle\n",
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    // 2026-01-01 to 2028-01-01 is 730 days; 730 / (365.25/12) = 23.984 months.
    let expected = 10.0 * 730.0 / (365.25 / 12.0);
    assert!(
        (m.get(Metric::VacantGpuMwMonths) - expected).abs() < 1e-6,
        "{}",
        m.get(Metric::VacantGpuMwMonths)
    );
    assert_eq!(m.get(Metric::GpuRevenue), 0.0);
}

#[test]
fn patient_inquiries_wait_and_both_policies_fill_halls_to_capacity() {
    // Two halls of 10 MW and a stream of patient 4 MW inquiries under each placement policy
    // (the policies' choices themselves are unit-tested in model::placement).
    let plans =
        "  - name: first\n    placement: first_fit\n  - name: best\n    placement: best_fit\n";
    let s = gpu_site(
        2,
        10.0,
        3,
        &inquiries(6.0, 4.0, "{dist: constant, value: 10}", 12.0),
        plans,
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 5, 0);
    for p in 0..2 {
        let op = model::run_to_horizon(&model, &world, p, 5, 0);
        // 4 MW tenants, 10-year terms, 2 halls of 10 MW: each hall holds two (8 MW), so
        // exactly four are ever signed; later inquiries wait 12 months and are lost (or are
        // still waiting at the horizon).
        let m = op.metrics();
        assert_eq!(op.leases().len(), 4, "plan {p}");
        assert!(m.get(Metric::LostInquiries) >= 1.0);
        assert!((m.get(Metric::LeasedMwAtHorizon) - 16.0).abs() < 1e-9);
    }
}

#[test]
fn gpu_cloud_revenue_is_gpus_times_utilization_times_price_times_hours() {
    // 1,000 GPUs at 80% utilization for 2 years at a constant $2.00/GPU-hour (volatility 0 and
    // price = long-run level): 1,000 × 0.8 × 2.00 × 17,520 h (730 days) = $28,032,000. The
    // deployment's life (3 years) outlasts the horizon.
    let plans = "  - name: cloud\n    actions:\n      - {type: deploy_gpu_cloud, date: 2026-01-01, site: S, \
                 hall: H0, gpus: 1000, kw_per_gpu: 1.0, capex_usd_per_gpu: 30000, life_years: 3, utilization: 0.8, \
                 annual_failure_rate: 0}\n";
    let s = gpu_site(
        1,
        10.0,
        2,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        plans,
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert!(
        (m.get(Metric::GpuRevenue) - 28_032_000.0).abs() < 1.0,
        "{}",
        m.get(Metric::GpuRevenue)
    );
    // Capex: 1,000 GPUs × $30,000 paid on deployment.
    assert_eq!(m.get(Metric::Capex), 30_000_000.0);
}

#[test]
fn a_converted_halls_asics_sell_at_the_used_price() {
    // Converting hall A on day one sells its 7,000 S19 XP (140 TH/s, 21.5 J/TH, 3.5 years
    // old of an 8-year life: 4.5 years left) at the used price of the day (docs/model.md,
    // Fleets): the present value of the margin a buyer at the network's $45/MWh expects as
    // hashprice h falls 25%/yr, discounted at 20%, until it no longer covers the power
    // c = 21.5 · 24 · 45 / 10⁶ per TH/s per day (t* = ln(h/c)/0.25) or the life ends;
    // scaled by price/PV of a new frontier machine (12 J/TH at $23/TH, 8 years) when that
    // PV exceeds its price. Conversion capex: $9M × 20 MW = $180M, spent evenly over 12
    // months.
    let mut s = scenario::load_default().unwrap().scenario;
    s.horizon_years = 2;
    s.starting_cash_usd = 1e10; // no default, whatever the capex
    s.market.ai.as_mut().unwrap().construction_risk = None; // on budget
    s.plans.truncate(2);
    if let scenario::Action::ConvertHall {
        date,
        asics_hash_for_months,
        ..
    } = &mut s.plans[1].actions[0]
    {
        *date = s.start;
        *asics_hash_for_months = 0; // sold on day one
    }
    s.plans[1].actions.truncate(1);
    s.plans[1].rules.clear();
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 4, 0);
    let hp = world.segments[0].hashprice;
    let op = model::run_to_horizon(&model, &world, 1, 4, 0);
    let m = op.metrics();
    let pv = |j: f64, life: f64| {
        let (h, c) = (hp / 1_000.0, j * 24.0 * 45.0 / 1e6);
        if h <= c {
            return 0.0;
        }
        let t = ((h / c).ln() / 0.25).min(life);
        365.25 * (h * (1.0 - (-0.45 * t).exp()) / 0.45 - c * (1.0 - (-0.2 * t).exp()) / 0.2)
    };
    let (used, new) = (pv(3_010.0 / 140.0, 4.5), pv(12.0, 8.0));
    let per_th = if new > 23.0 { used * 23.0 / new } else { used };
    let expected = 7_000.0 * 140.0 * per_th;
    assert!(expected > 0.0, "hashprice {hp} covers an S19 XP's power");
    assert!(
        (m.get(Metric::SalvageProceeds) / expected - 1.0).abs() < 1e-9,
        "{} vs {expected}",
        m.get(Metric::SalvageProceeds)
    );
    assert!(
        (m.get(Metric::ConversionCapex) - 180_000_000.0).abs() < 1.0,
        "{}",
        m.get(Metric::ConversionCapex)
    );
}

#[test]
fn every_shipped_config_keeps_its_invariants_at_every_event() {
    // Test builds check grid, cooling, density and rack invariants after every event
    // (Operator::check_invariants); running each shipped config's plans, conversions and grid
    // upgrades included, for a few futures exercises them.
    let files = crate::common::shipped_configs();
    for path in files {
        let loaded = scenario::load_file(&path).unwrap();
        let model = CompiledScenario::new(&loaded.scenario).unwrap();
        montecarlo::run(
            &model,
            &RunOptions::new(6, 9, 0),
            |_| Ok::<(), ()>(()),
            |_| {},
        )
        .unwrap();
    }
}

#[test]
fn the_escalator_applies_on_each_calendar_anniversary() {
    // 1 MW at $100/kW-month with a 3% escalator from 2026-01-01 for two years, no ramp: the
    // first 12 months bill $100,000, the next 12 $103,000 → $2,436,000.
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H0, \
                 mw: 1, term_years: 5, price_usd_per_kw_month: 100, escalator_per_year: 0.03}\n";
    let s = gpu_site(
        1,
        10.0,
        2,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        plans,
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let rent = op.metrics().get(Metric::GpuRevenue);
    assert!((rent - 2_436_000.0).abs() < 1e-3, "{rent}");
}

#[test]
fn a_waiting_inquiry_is_offered_a_hall_as_soon_as_its_conversion_starts() {
    // An idle hall is converted on 2026-04-01 with a 3-month lead (ready 2026-07-01). One
    // inquiry arrives 2026-02-01 with 3 months of patience (until 2026-05-01) and a lease start
    // 6 months after signing. Offered the hall when the conversion starts (its lease would
    // start 2026-10-01, after the hall is ready) it signs; it must not wait for completion,
    // by which time its patience has run out.
    let mut s = gpu_site(
        1,
        10.0,
        2,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        "  - name: convert\n",
    );
    s.sites[0].halls[0].state = scenario::HallState::Idle;
    s.plans[0].actions.push(
        serde_json::from_str(
            r#"{"type": "convert_hall", "date": "2026-04-01", "site": "S", "hall": "H0",
                "to": {"cooling": "liquid", "rack_slots": 100, "max_kw_per_rack": 132, "cooling_mw": 10, "pue": 1.2},
                "capex_usd_per_mw": 1000000, "lead_time_months": 3}"#,
        )
        .unwrap(),
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let month = 365.25 / 12.0 * 86_400.0;
    world.ai.inquiries = vec![pivotsim::model::world::ai_market::Inquiry {
        at: model
            .calendar
            .time_of(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())
            .unwrap(),
        size_mw: 5.0,
        term_secs: (5.0 * 365.25 * 86_400.0) as u64,
        price: 140.0,
        price_factor: 1.0,
        liquid: true,
        density_kw: 100.0,
        start_delay_secs: (6.0 * month) as u64,
        patience_secs: (3.0 * month) as u64,
    }];
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert_eq!(m.get(Metric::LostInquiries), 0.0);
    assert_eq!(op.leases().len(), 1);
}

#[test]
fn gpu_failures_take_gpus_out_of_rental_at_the_renewal_rate() {
    // 1,000 GPUs failing 36.525%/yr (p ≈ 0.1%/day) and out 10 days each: in steady state
    // p·r/(1 + p·r) ≈ 0.99% are out, so revenue falls about 1% below the no-failure value of
    // 1,000 × 0.8 × $2 × 17,520 h = $28,032,000 (1% ± 0.3% allowed for noise and warm-up).
    let plans = "  - name: cloud\n    actions:\n      - {type: deploy_gpu_cloud, date: 2026-01-01, site: S, \
                 hall: H0, gpus: 1000, kw_per_gpu: 1.0, capex_usd_per_gpu: 30000, life_years: 3, utilization: 0.8, \
                 annual_failure_rate: 0.36525, repair_days: 10}\n";
    let s = gpu_site(
        1,
        10.0,
        2,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        plans,
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let shortfall = 1.0 - op.metrics().get(Metric::GpuRevenue) / 28_032_000.0;
    let p = 1.0 - (-0.36525f64 / 365.25).exp();
    let expected = p * 10.0 / (1.0 + p * 10.0);
    assert!(
        (shortfall - expected).abs() < 0.003,
        "shortfall {shortfall}, expected {expected}"
    );
}

/// One replication of plan 0 of `s` (seed 1, replication `rep`).
fn one_run(s: &Scenario, rep: u64) -> pivotsim::model::RunMetrics {
    let model = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, rep);
    model::run_to_horizon(&model, &world, 0, 1, rep).metrics()
}

/// A 70 MW anchor from 2026-01-01 for 12 years with a 3% escalator, stated by `terms`
/// (a YAML fragment: its rent or contract value, free rent…), on a 12-year horizon.
fn escalating_anchor(terms: &str) -> Scenario {
    let plans = format!(
        "  - name: anchor\n    actions:\n      - {{type: sign_tenant, date: 2026-01-01, site: S, hall: H0, \
         mw: 70, term_years: 12, escalator_per_year: 0.03, {terms}}}\n"
    );
    gpu_site(
        1,
        70.0,
        12,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        &plans,
    )
}

#[test]
fn an_escalating_lease_bills_the_closed_form_total_and_its_contract_value() {
    // Year-1 rent R = $100/kW-month on 70,000 kW, stepping up 3% at each anniversary, for
    // exactly 12 years from the 1st of a month: 144 billed months, 12 at each step, so the
    // rent is 12 × 70,000 × 100 × ((1.03^12 − 1) / 0.03) = 12 × 7M × 14.192030 =
    // $1,192,130,483.17 (to the dollar, as the months bill whole). The same lease stated by that
    // contract value bills the same, and both report it as `contracted_revenue_usd`.
    let total = 12.0 * 70_000.0 * 100.0 * (1.03f64.powi(12) - 1.0) / 0.03;
    assert!((total - 1_192_130_483.17).abs() < 0.01, "{total}");
    let by_rent = one_run(&escalating_anchor("price_usd_per_kw_month: 100"), 0);
    assert!(
        (by_rent.get(Metric::GpuRevenue) - total).abs() < 1.0,
        "{}",
        by_rent.get(Metric::GpuRevenue)
    );
    assert!((by_rent.get(Metric::ContractedRevenue) - total).abs() < 1e-3);
    assert_eq!(by_rent.get(Metric::LargestTenantShare), 1.0);
    let by_value = one_run(
        &escalating_anchor(&format!("contract_value_usd: {total}")),
        0,
    );
    assert!((by_value.get(Metric::GpuRevenue) - total).abs() < 1.0);
    // Three months of free rent: the first three months of year-1 rent ($7M each) are not
    // billed; the term does not move.
    let free = one_run(
        &escalating_anchor("price_usd_per_kw_month: 100, free_rent_months: 3"),
        0,
    );
    let billed = free.get(Metric::GpuRevenue);
    // Three average months are 91.31 days: January to March (90 days) and 1.31 days of April.
    let april = 1.3125 / 30.0 * 7_000_000.0;
    assert!(
        (billed - (total - 3.0 * 7_000_000.0 - april)).abs() < 1.0,
        "{billed}"
    );
}

#[test]
fn a_tenant_classes_defaults_match_its_hazard() {
    // One 10 MW anchor of class `neocloud` (5%/yr) for 10 years, in a market whose own hazard
    // is 0 and that stays in a boom: the default time is exponential with rate 0.05/yr, so
    // P(default within 10 years) = 1 − e^(−0.5) = 0.3935. Over 600 futures the share is
    // within 4 standard errors (4 × √(0.3935 × 0.6065 / 600) = 0.080).
    let plans = "  - name: anchor\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, hall: H0, \
                 mw: 10, term_years: 10, price_usd_per_kw_month: 100}\n";
    let mut s = gpu_site(
        1,
        10.0,
        10,
        &inquiries(0.0, 10.0, "{dist: constant, value: 1}", 0.0),
        plans,
    );
    s.market.ai.as_mut().unwrap().lease.tenant_classes = vec![
        serde_json::from_str(r#"{"name": "investment-grade", "default_hazard_per_year": 0.002}"#)
            .unwrap(),
        serde_json::from_str(r#"{"name": "neocloud", "default_hazard_per_year": 0.05}"#).unwrap(),
    ];
    if let scenario::Action::SignTenant { tenant_class, .. } = &mut s.plans[0].actions[0] {
        *tenant_class = Some("neocloud".into());
    }
    let model = CompiledScenario::new(&s).unwrap();
    let mut defaults = 0u32;
    montecarlo::run(
        &model,
        &RunOptions::new(600, 7, 0),
        |row| {
            defaults += row.plans[0].get(Metric::TenantDefaults) as u32;
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .unwrap();
    let share = f64::from(defaults) / 600.0;
    let expected = 1.0 - (-0.5f64).exp();
    assert!((share - expected).abs() < 0.08, "{share} vs {expected}");
}
