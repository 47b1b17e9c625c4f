//! GPU cloud as it is sold: fixed-price contracts beside spot, prices by generation,
//! utilisation by regime, residual value by age and generation, GPU-backed debt; each
//! checked against a value worked out by hand.

use pivotsim::model::operator::Flow;
use pivotsim::model::{self, CompiledScenario, Metric, World};
use pivotsim::scenario::{self, Scenario};

/// One 10 MW GPU-ready hall, no inquiries, the AI market held in `regime` (no switching; a
/// bust halves prices), a GPU-hour price of exactly $2.00 (volatility 0, price = level)
/// with `generations` (a YAML fragment under `gpu_hour`, or ""), `finance` (a YAML block or
/// ""), over `years` from 2026-01-01, and one plan of `actions`.
fn cloud_site(
    regime: &str,
    generations: &str,
    finance: &str,
    years: u32,
    actions: &str,
) -> Scenario {
    cloud_site_with_cash(
        10_000_000_000.0,
        regime,
        generations,
        finance,
        years,
        actions,
    )
}

/// [`cloud_site`] with `cash` USD at the start.
fn cloud_site_with_cash(
    cash: f64,
    regime: &str,
    generations: &str,
    finance: &str,
    years: u32,
    actions: &str,
) -> Scenario {
    let default = scenario::DEFAULT_SCENARIO_YAML;
    let market_start = default.find("market:").unwrap();
    let ai_start = default.find("  ai:").unwrap();
    let bitcoin_and_energy = &default[market_start..ai_start];
    let yaml = format!(
        "name: gpu cloud test\nstart: 2026-01-01\nhorizon_years: {years}\nseed: 1\nruns: 10\n\
         discount_rate: 0.10\nstarting_cash_usd: {cash}\n{bitcoin_and_energy}\
         \x20 ai:\n\
         \x20   regimes: {{initial: {regime}, boom_to_bust_per_year: 0, bust_to_boom_per_year: 0, \
         bust_inquiry_factor: 1, bust_price_factor: 0.5, bust_default_factor: 1}}\n\
         \x20   inquiries: {{rate_per_year: 0, size_mw: {{dist: constant, value: 1}}, \
         term_years: {{dist: constant, value: 1}}, price_usd_per_kw_month: 140, price_dispersion: 0, \
         escalator_per_year: 0, liquid_share: 1, density_kw_per_rack: {{dist: constant, value: 100}}, \
         start_delay_months: {{dist: constant, value: 0}}, patience_months: {{dist: constant, value: 0}}}}\n\
         \x20   lease: {{power: passthrough, ramp_months: 0, renewal_probability: 0, default_hazard_per_year: 0}}\n\
         \x20   gpu_hour:\n\
         \x20     price_usd: 2\n\
         \x20     long_run_usd: 2\n\
         \x20     reversion_per_year: 1\n\
         \x20     volatility: 0\n\
         {generations}\
         {finance}\
         sites:\n  - name: S\n    grid_mw: 1000\n    opex_usd_per_mw_month: 0\n    halls:\n\
         \x20     - {{name: H0, state: gpu_ready, rack_slots: 100, max_kw_per_rack: 132, cooling: liquid, cooling_mw: 10, pue: 1.2}}\n\
         plans:\n  - name: cloud\n    actions:\n      - {{type: deploy_gpu_cloud, date: 2026-01-01, site: S, \
         hall: H0, gpus: 1000, kw_per_gpu: 1.0, capex_usd_per_gpu: 30000, annual_failure_rate: 0, {actions}}}\n"
    );
    match scenario::load_str(&yaml, "<gpu cloud test>") {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{yaml}"),
    }
}

/// Metric `m` of the one plan in replication 0.
fn run(s: &Scenario, m: Metric) -> f64 {
    let model = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    model::run_to_horizon(&model, &world, 0, 1, 0)
        .metrics()
        .get(m)
}

#[test]
fn contracted_gpus_bill_the_fixed_price_times_hours_whatever_the_regime() {
    // All 1,000 GPUs contracted for 3 years at $2.50/GPU-hour over a 2-year horizon (730
    // days, 17,520 h): 1,000 × 2.50 × 17,520 = $43,800,000, in a boom and in a bust alike
    // (take-or-pay: neither the bust's halved price nor its utilisation touches it).
    let contracted = "life_years: 5, utilization: 0.8, bust_utilization: 0.5, \
                      contract: {share_of_gpus: 1, term_years: 3, price_usd_per_gpu_hour: 2.5}";
    for regime in ["boom", "bust"] {
        let s = cloud_site(regime, "", "", 2, contracted);
        let revenue = run(&s, Metric::GpuRevenue);
        assert!((revenue - 43_800_000.0).abs() < 1.0, "{regime}: {revenue}");
    }
}

#[test]
fn spot_gpus_earn_the_regimes_utilisation_and_price() {
    // 60% contracted at $2.50, 40% spot, over 2 years (17,520 h). In a bust the spot GPUs rent
    // 50% of hours at half the $2.00 price: 400 × 0.5 × 1.00 = $200/h, plus 600 × 2.50 =
    // $1,500/h contracted: $1,700 × 17,520 = $29,784,000. In a boom: 400 × 0.8 × 2.00 = $640/h
    // spot, $2,140 × 17,520 = $37,492,800.
    let mixed = "life_years: 5, utilization: 0.8, bust_utilization: 0.5, \
                 contract: {share_of_gpus: 0.6, term_years: 3, price_usd_per_gpu_hour: 2.5}";
    let bust = run(&cloud_site("bust", "", "", 2, mixed), Metric::GpuRevenue);
    assert!((bust - 29_784_000.0).abs() < 1.0, "{bust}");
    let boom = run(&cloud_site("boom", "", "", 2, mixed), Metric::GpuRevenue);
    assert!((boom - 37_492_800.0).abs() < 1.0, "{boom}");
}

#[test]
fn an_expired_contract_returns_its_gpus_to_spot() {
    // A 1-year contract (365.25 days = 8,766 h from the deployment) at $2.50 on all 1,000 GPUs,
    // then spot at 80% × $2.00 for the rest of the 17,520 h: 1,000 × 2.50 × 8,766 + 1,000 ×
    // 0.8 × 2.00 × 8,754 = 21,915,000 + 14,006,400 = $35,921,400.
    let s = cloud_site(
        "boom",
        "",
        "",
        2,
        "life_years: 5, utilization: 0.8, \
         contract: {share_of_gpus: 1, term_years: 1, price_usd_per_gpu_hour: 2.5}",
    );
    let revenue = run(&s, Metric::GpuRevenue);
    assert!((revenue - 35_921_400.0).abs() < 1.0, "{revenue}");
}

/// Generations: the H100 at $2.00 at the start, the B200 launched 2025, and Rubin launching
/// 2027-01-01 (365 days after the start), each launch stepping older levels × 0.75.
const GENERATIONS: &str = "      generations:\n\
    \x20       list:\n\
    \x20         - {name: H100, launch: 2023-03-01, price_usd: 2.0}\n\
    \x20         - {name: B200, launch: 2025-03-01, price_usd: 4.0}\n\
    \x20         - {name: Rubin, launch: 2027-01-01, price_usd: 8.0}\n\
    \x20       launch_step_factor: 0.75\n\
    \x20       decline_per_year: 0\n";

#[test]
fn a_generation_launch_lowers_the_old_generations_price_by_the_step_factor() {
    // With volatility 0 and price = level, the H100 earns exactly its level: $2.00 until the
    // Rubin launch on day 365, then 0.75 × 2.00 = $1.50; the B200 $4.00 then $3.00; Rubin
    // $8.00 from its launch.
    let s = cloud_site(
        "boom",
        GENERATIONS,
        "",
        2,
        "life_years: 5, utilization: 1, generation: H100",
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    assert_eq!(world.ai.gpu_price(0, 364), 2.0);
    assert_eq!(world.ai.gpu_price(0, 365), 1.5);
    assert_eq!(world.ai.gpu_price(1, 364), 4.0);
    assert_eq!(world.ai.gpu_price(1, 365), 3.0);
    assert_eq!(world.ai.gpu_price(2, 365), 8.0);
    // So 1,000 H100s fully rented for 2 years earn 1,000 × (2.00 × 365 + 1.50 × 365) × 24 =
    // $30,660,000.
    let revenue = run(&s, Metric::GpuRevenue);
    assert!((revenue - 30_660_000.0).abs() < 1.0, "{revenue}");
}

#[test]
fn the_terminal_value_of_gpus_falls_with_age_and_with_new_generations() {
    // $30M of H100s with a 4-year life (1,461 days), valued at the 2-year horizon (730 days)
    // by segment: 1 − 730/1,461 of their life is left (straight line: $15.0103M) and Rubin's
    // launch has cut the H100's level to 0.75 of what it was at purchase: × 0.75 =
    // $11,257,700. No leases and no mining, so that is the whole terminal value (the GPUs'
    // EBITDA is not capitalised; they are valued as assets).
    let finance =
        "finance:\n  terminal_value: {by_segment: {lease_cap_rate: 0.08, mining_multiple: 3}}\n";
    let s = cloud_site(
        "boom",
        GENERATIONS,
        finance,
        2,
        "life_years: 4, utilization: 1, generation: H100",
    );
    let expected: f64 = 30_000_000.0 * (1.0 - 730.0 / 1_461.0) * 0.75;
    assert!((expected - 11_257_700.2).abs() < 0.1);
    let terminal = run(&s, Metric::TerminalValue);
    assert!((terminal - expected).abs() < 1.0, "{terminal}");
}

#[test]
fn a_gpu_loan_is_drawn_at_purchase_and_amortises_within_the_gpus_life() {
    // 70% of the $30M GPU capex ($21M) at 12% fixed, amortising over 24 months, drawn when
    // the GPUs are bought: level payments of P·i/(1 − (1+i)^−n) with i = 1%, n = 24 total
    // 24 × 21M × 0.01 / (1 − 1.01^−24) = $23,725,030, of which $2,725,030 is interest; the
    // loan is repaid within the 2-year horizon.
    let s = cloud_site(
        "boom",
        "",
        "",
        2,
        "life_years: 5, utilization: 0.8, \
         debt: {share_of_capex: 0.7, rate: {fixed: 0.12}, term_months: 24, repayment: amortizing}",
    );
    let i: f64 = 0.01;
    let payment = 21_000_000.0 * i / (1.0 - (1.0 + i).powi(-24));
    let interest = 24.0 * payment - 21_000_000.0;
    assert!((interest - 2_725_030.0).abs() < 1.0, "{interest}");
    let paid = run(&s, Metric::Interest);
    assert!((paid - interest).abs() < 1.0, "{paid} vs {interest}");
}

#[test]
fn a_prepaid_gpu_contract_counts_its_value_and_settles_its_first_bills() {
    // All 1,000 GPUs contracted for 3 years at $2.50/GPU-hour, 20% prepaid, over a 2-year
    // horizon. As announced the contract is worth 1,000 × $2.50 × 3 × 8,766 h = $65,745,000;
    // the customer prepays 20%, $13,149,000, on 2026-01-01. It bills $2,500 an hour, so the
    // prepayment settles the first 13,149,000 / 2,500 = 5,259.6 hours: January to July 2026
    // (744 + 672 + 744 + 720 + 744 + 720 + 744 = 5,088 h) in full, then 171.6 h of August,
    // $429,000, and nothing from September. The revenue is what is billed, prepaid or not:
    // $2,500 × 17,520 h = $43,800,000.
    let s = cloud_site(
        "boom",
        "",
        "",
        2,
        "life_years: 5, utilization: 0.8, contract: {share_of_gpus: 1, term_years: 3, \
         price_usd_per_gpu_hour: 2.5, prepaid_share_of_contract: 0.2}",
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert!((m.get(Metric::ContractedRevenue) - 65_745_000.0).abs() < 1e-3);
    assert!((m.get(Metric::RentPrepaid) - 13_149_000.0).abs() < 1e-3);
    assert!((m.get(Metric::GpuRevenue) - 43_800_000.0).abs() < 1e-3);
    let credits: Vec<f64> = op
        .months()
        .iter()
        .map(|m| m.flows[Flow::PrepaymentCredits])
        .collect();
    assert!((credits[0] - 744.0 * 2_500.0).abs() < 1e-6, "{credits:?}");
    assert!((credits[7] - 429_000.0).abs() < 1e-3, "{credits:?}");
    assert_eq!(credits[8], 0.0);
    assert!((credits.iter().sum::<f64>() - 13_149_000.0).abs() < 1e-3);
}

/// A $21M loan on the 1,000 GPUs ($30M): 70% at 12% fixed (1% a month), amortising over 24
/// months, with `recourse` and, for an SPV, `terms` (a YAML map, or "").
fn gpu_loan(recourse: &str, terms: &str) -> String {
    let terms = if terms.is_empty() {
        String::new()
    } else {
        format!(", project_terms: {terms}")
    };
    format!(
        "debt: {{share_of_capex: 0.7, rate: {{fixed: 0.12}}, term_months: 24, \
         repayment: amortizing, recourse: {recourse}{terms}}}"
    )
}

/// The level payment of the $21M loan: 21M × 0.01 / (1 − 1.01^−24), USD a month.
fn gpu_loan_payment() -> f64 {
    21_000_000.0 * 0.01 / (1.0 - 1.01_f64.powi(-24))
}

#[test]
fn an_spv_gpu_loan_is_served_from_the_gpus_cash_and_stays_out_of_the_corporate_covenant() {
    // All 1,000 GPUs contracted at $2.50 an hour ($1.86M in January's 744 h) against the
    // loan's $988,542.92 a month: the SPV serves it from the GPUs' own cash at about 1.8x.
    // The first close pays 1% of $21M, $210,000, of interest and $778,542.92 of principal;
    // over 24 months the interest is 24 × 988,542.92 − 21M = $2,725,030, as for the same
    // loan with corporate recourse; the parent funds the six-month reserve,
    // 6 × 988,542.92 = $5,931,257.50, when the loan is drawn, and gets it back at the
    // 24th close. A corporate covenant of 100x (which no business meets) defaults the
    // company at the first close when the loan is the company's, and never when it is the
    // SPV's: the SPV's service is not in the corporate test.
    let contract = "life_years: 5, utilization: 0.8, \
                    contract: {share_of_gpus: 1, term_years: 3, price_usd_per_gpu_hour: 2.5}";
    let covenant = "finance:\n  covenant: {min_dscr: 100, months_allowed: 1}\n";
    let spv = cloud_site(
        "boom",
        "",
        covenant,
        2,
        &format!("{contract}, {}", gpu_loan("project", "")),
    );
    let payment = gpu_loan_payment();
    assert!((payment - 988_542.92).abs() < 0.01);
    let model = CompiledScenario::new(&spv).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert_eq!(m.get(Metric::Defaulted), 0.0);
    assert_eq!(m.get(Metric::ProjectDefaults), 0.0);
    assert!((m.get(Metric::Interest) - 2_725_030.0).abs() < 1.0);
    let months = op.months();
    assert!((months[0].flows[Flow::DebtDraws] - 21_000_000.0).abs() < 1e-6);
    assert!((months[0].flows[Flow::Interest] - 210_000.0).abs() < 1e-6);
    assert!((months[0].flows[Flow::Principal] - (payment - 210_000.0)).abs() < 1e-6);
    assert!((months[0].flows[Flow::RestrictedCashIn] - 6.0 * payment).abs() < 1e-6);
    assert!((months[23].flows[Flow::RestrictedCashOut] - 6.0 * payment).abs() < 1e-6);
    assert_eq!(op.restricted_cash(), 0.0);
    let corporate = cloud_site(
        "boom",
        "",
        covenant,
        2,
        &format!("{contract}, {}", gpu_loan("corporate", "")),
    );
    assert_eq!(run(&corporate, Metric::DefaultedOnCovenant), 1.0);
}

/// Spot GPUs only, in a bust: 1,000 × 50% rented × $1.00 (half the $2.00 price) = $500 an
/// hour, about $372,000 a month less about $36,000 of energy (1.2 MW), against the loan's
/// $988,542.92: a third of its service.
const BUST_SPOT: &str = "life_years: 5, utilization: 0.8, bust_utilization: 0.5";

/// SPV terms: a six-month reserve, the first test after six months, no failed test
/// allowed, no equity cure.
const STRICT_TERMS: &str = "{first_test_months_after_cod: 6, lock_up_dscr: 1.2, min_dscr: 1.1, \
                            cure_months: 0, equity_cure_limit_usd: 0, reserve_months: 6}";

#[test]
fn in_a_bust_the_spv_lenders_take_the_gpus_and_the_company_goes_on() {
    // $20M at the start: the GPUs cost $30M, the loan brings $21M and the parent funds the
    // $5,931,257.50 reserve, leaving $5,068,742.50. Each month the reserve pays the ~$650,000
    // the GPUs' cash falls short of the service (6 × 650,000 < 5.93M: no payment is missed),
    // so the parent's cash does not move. The first test, at the sixth close (2026-06-30),
    // finds a DSCR near 0.34 < 1.10 with no failure allowed: the lenders take the GPUs, their
    // contract and what is left of the reserve. They are owed about $16.3M; the GPUs' book
    // value is at most $30M, of which a liquidation recovers 30% (at most $9M) and the reserve
    // holds about $2M, so nothing comes back. The company goes on with its $5,068,742.50
    // (nothing else earns or costs in this site), and its GPU revenue is January to June's:
    // $500 × 4,344 h (181 days) = $2,172,000, nothing after.
    let s = cloud_site_with_cash(
        20_000_000.0,
        "bust",
        "",
        "finance:\n  liquidation_recovery: 0.3\n",
        2,
        &format!("{BUST_SPOT}, {}", gpu_loan("project", STRICT_TERMS)),
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert_eq!(m.get(Metric::Defaulted), 0.0);
    assert_eq!(m.get(Metric::ProjectDefaults), 1.0);
    let kept = 20_000_000.0 - 30_000_000.0 + 21_000_000.0 - 6.0 * gpu_loan_payment();
    assert!((kept - 5_068_742.50).abs() < 0.01);
    assert!(
        (m.get(Metric::EndCash) - kept).abs() < 1.0,
        "{}",
        m.get(Metric::EndCash)
    );
    assert!((m.get(Metric::GpuRevenue) - 2_172_000.0).abs() < 1e-3);
    let months = op.months();
    assert!(
        months[6..]
            .iter()
            .all(|r| r.flows[Flow::GpuCloudRevenue] == 0.0
                && r.flows[Flow::GpuCloudEnergy] == 0.0
                && r.flows[Flow::Interest] == 0.0)
    );
    assert_eq!(op.restricted_cash(), 0.0);
    // The hall's space is the company's again: 10 MW free.
    assert!((op.halls()[0].free_gpu_mw() - 10.0).abs() < 1e-9);
}

#[test]
fn in_the_same_bust_a_corporate_gpu_loan_drains_the_company_and_defaults_it() {
    // The same deployment and loan with corporate recourse: $20M − $30M + $21M = $11M after
    // the purchase, and the company pays the ~$650,000 a month the GPUs fall short of the
    // service from its own cash (between $630,000 and $680,000 whatever the energy price's
    // path, as the energy is $30,000–$60,000 a month). $11M lasts 11M / 680,000 = 16.2 to
    // 11M / 630,000 = 17.5 closes: the company defaults on cash at the 17th (2027-05-31),
    // within 16–18 months, and its owners lose what the SPV would have let them keep.
    let s = cloud_site_with_cash(
        20_000_000.0,
        "bust",
        "",
        "finance:\n  liquidation_recovery: 0.3\n",
        2,
        &format!("{BUST_SPOT}, {}", gpu_loan("corporate", "")),
    );
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    let op = model::run_to_horizon(&model, &world, 0, 1, 0);
    let m = op.metrics();
    assert_eq!(m.get(Metric::DefaultedOnCash), 1.0);
    assert_eq!(m.get(Metric::ProjectDefaults), 0.0);
    let years = m.get(Metric::DefaultYears);
    assert!((16.0 / 12.0..=18.0 / 12.0).contains(&years), "{years}");
}
