//! Leases as AI deals are signed (issue #17): phased delivery, delivery milestones, a deal's
//! tenant defaulting on every phase, pre-leasing before a build, and construction risk, each
//! checked against an outcome worked out by hand.

use pivotsim::model::operator::Flow;
use pivotsim::model::{self, CompiledScenario, Metric, MonthRecord, World};
use pivotsim::scenario::{self, Dist, Scenario};

/// A quiet site from 2026-01-01 for three years (no mining, no opex, no tax, no inquiries, no
/// tenant defaults, no ramp, no construction risk): hall `H1` is GPU-ready (10 MW), halls
/// `H2` and `H3` are idle and convert to 10 MW of GPU capacity at no cost, under `plans_yaml`.
fn deal_site(plans_yaml: &str) -> Scenario {
    deal_site_with(plans_yaml, |yaml| yaml)
}

/// [`deal_site`] with `edit` applied to its YAML first.
fn deal_site_with(plans_yaml: &str, edit: impl Fn(String) -> String) -> Scenario {
    let default = scenario::DEFAULT_SCENARIO_YAML;
    let market = &default[default.find("market:").unwrap()..default.find("finance:").unwrap()];
    let hall = |name: &str, state: &str| {
        format!(
            "      - {{name: {name}, state: {state}, rack_slots: 200, max_kw_per_rack: 132, \
             cooling: liquid, cooling_mw: 10, pue: 1.2}}\n"
        )
    };
    let yaml = format!(
        "name: deal test\nstart: 2026-01-01\nhorizon_years: 3\nseed: 1\nruns: 10\n\
         discount_rate: 0.10\nstarting_cash_usd: 100000000\n{market}\
         sites:\n  - name: S\n    grid_mw: 100\n    opex_usd_per_mw_month: 0\n    halls:\n{}{}{}\
         plans:\n{plans_yaml}",
        hall("H1", "gpu_ready"),
        hall("H2", "idle"),
        hall("H3", "idle"),
    )
    .replace("rate_per_year: 4 ", "rate_per_year: 0 ");
    let yaml = edit(yaml);
    let mut s = match scenario::load_str(&yaml, "<deal test>") {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{yaml}"),
    };
    let ai = s.market.ai.as_mut().unwrap();
    ai.construction_risk = None;
    ai.lease.ramp_months = 0;
    ai.lease.default_hazard_per_year = 0.0;
    s
}

/// Converts `hall` from 2026-01-01 at no cost, ready after `lead` months.
fn free_conversion(hall: &str, lead: u32) -> String {
    format!(
        "      - {{type: convert_hall, date: 2026-01-01, site: S, hall: {hall}, capex_usd_per_mw: 0, \
         lead_time_months: {lead}, to: {{cooling: liquid, rack_slots: 200, max_kw_per_rack: 132, \
         cooling_mw: 10, pue: 1.2}}}}\n"
    )
}

/// A 10 MW phase in GPU-ready `H1` from signing, and a 10 MW phase in `H2` due nine months
/// after signing, at $100/kW-month ($1M a month a phase), flat, under `milestone`.
fn two_phase_deal(milestone: &str) -> String {
    format!(
        "  - name: deal\n    actions:\n{}      - {{type: sign_tenant, date: 2026-01-01, site: S, \
         hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100, \
         phases: [{{hall: H2, mw: 10, start_delay_months: 9}}]{milestone}}}\n",
        free_conversion("H2", 12)
    )
}

/// Runs the first plan of `s` on future 0 of seed 1 and hands the operator at the horizon to
/// `check`.
fn run<R>(s: &Scenario, check: impl FnOnce(&model::Operator) -> R) -> R {
    let model = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    check(&model::run_to_horizon(&model, &world, 0, 1, 0))
}

/// The share of each closed month that lies after `from` and before `to` (seconds), summed:
/// how many months' worth of a monthly rate accrues over [from, to).
fn months_between(months: &[MonthRecord], from: u64, to: u64) -> f64 {
    let mut start = 0;
    let mut total = 0.0;
    for m in months {
        let end = m.end.secs();
        let overlap = to.min(end).saturating_sub(from.max(start));
        total += overlap as f64 / (end - start) as f64;
        start = end;
    }
    total
}

#[test]
fn a_phased_deal_bills_each_phase_from_its_own_completion() {
    // Phase 1 bills from signing; phase 2 is due on 2026-10-01 but its hall is ready only on
    // 2027-01-01 (a 12-month build), so it bills from then: $1M in each month of 2026, $2M
    // from January 2027. Phase 2 is delivered late (10 MW); no milestone, no damages. One
    // tenant: its two phases are all of the contracted revenue.
    let (months, m) = run(&deal_site(&two_phase_deal("")), |op| {
        (op.months().to_vec(), op.metrics())
    });
    for (k, m) in months.iter().enumerate() {
        let expected = if k < 12 { 1_000_000.0 } else { 2_000_000.0 };
        let rent = m.flows[Flow::LeaseRevenue];
        assert!((rent - expected).abs() < 1e-6, "month {k}: {rent}");
    }
    assert_eq!(m.get(Metric::MwDeliveredLate), 10.0);
    assert_eq!(m.get(Metric::MwCancelledLate), 0.0);
    assert_eq!(m.get(Metric::LateDeliveryDamages), 0.0);
    assert_eq!(m.get(Metric::LargestTenantShare), 1.0);
    // Year-1 rent is the signed rent of both phases.
    assert_eq!(m.get(Metric::Year1Rent), 100.0);
}

#[test]
fn a_late_phase_earns_damages_until_it_starts_or_is_cancelled_past_its_milestone() {
    // Damages of $50,000 per MW-month on phase 2 (10 MW: $500,000 a month) run from its due
    // date (9 average months after signing) until its hall is ready on 2027-01-01, when it
    // starts: they total $500,000 × the months between, month by month.
    let waits = "\n           , delivery_milestone: {cancel_if_late_months: 6, liquidated_damages_usd_per_mw_month: 50000}";
    let (months, m) = run(&deal_site(&two_phase_deal(waits)), |op| {
        (op.months().to_vec(), op.metrics())
    });
    let due = pivotsim::engine::months_to_secs(9.0);
    let ready = months[11].end.secs(); // 2027-01-01, the close of December 2026
    let expected = 500_000.0 * months_between(&months, due, ready);
    let paid: f64 = months
        .iter()
        .map(|m| m.flows[Flow::LateDeliveryDamages])
        .sum();
    assert!((paid - expected).abs() < 1e-6, "{paid} vs {expected}");
    assert!(expected > 1_000_000.0 && expected < 1_500_000.0);
    assert_eq!(m.get(Metric::MwCancelledLate), 0.0);
    assert!((months[12].flows[Flow::LeaseRevenue] - 2_000_000.0).abs() < 1e-6);

    // With the right to cancel two months after the due date, the tenant cancels phase 2
    // before its hall is ready: damages for exactly two average months' span, no rent from
    // phase 2 ever, and phase 1 goes on.
    let cancels = "\n           , delivery_milestone: {cancel_if_late_months: 2, liquidated_damages_usd_per_mw_month: 50000}";
    let (months, m) = run(&deal_site(&two_phase_deal(cancels)), |op| {
        (op.months().to_vec(), op.metrics())
    });
    let cancelled_at = due + pivotsim::engine::months_to_secs(2.0);
    let expected = 500_000.0 * months_between(&months, due, cancelled_at);
    let paid: f64 = months
        .iter()
        .map(|m| m.flows[Flow::LateDeliveryDamages])
        .sum();
    assert!((paid - expected).abs() < 1e-6, "{paid} vs {expected}");
    assert_eq!(m.get(Metric::MwCancelledLate), 10.0);
    assert_eq!(m.get(Metric::MwDeliveredLate), 0.0);
    for (k, m) in months.iter().enumerate() {
        let rent = m.flows[Flow::LeaseRevenue];
        assert!((rent - 1_000_000.0).abs() < 1e-6, "month {k}: {rent}");
    }
}

#[test]
fn a_deals_tenant_defaults_on_every_phase_at_once() {
    // The largest tenant defaults on 2027-06-01: both phases of the deal end then (one
    // default, counted once), and no rent is billed after.
    let mut s = deal_site(&two_phase_deal(""));
    s.shocks.push(
        serde_json::from_str(r#"{"type": "largest_tenant_defaults", "date": "2027-06-01"}"#)
            .unwrap(),
    );
    let (defaults, all_ended, months) = run(&s, |op| {
        (
            op.metrics().get(Metric::TenantDefaults),
            op.leases().iter().all(|l| l.defaulted_at.is_some()),
            op.months().to_vec(),
        )
    });
    assert_eq!(defaults, 1.0);
    assert!(all_ended);
    assert!((months[16].flows[Flow::LeaseRevenue] - 2_000_000.0).abs() < 1e-6);
    assert_eq!(months[17].flows[Flow::LeaseRevenue], 0.0);
}

/// The default scenario with one 20 MW ASIC hall converted by the pre-lease rule at
/// `min_share`, and inquiries that are all 12 MW, liquid-cooled at 100 kW a rack, wanting
/// their space 15 months after signing and waiting up to a year.
fn prelease_scenario(min_share: f64) -> Scenario {
    let mut s = scenario::load_default().unwrap().scenario;
    let ai = s.market.ai.as_mut().unwrap();
    ai.construction_risk = None;
    ai.inquiries.size_mw = Dist::Constant { value: 12.0 };
    ai.inquiries.start_delay_months = Dist::Constant { value: 15.0 };
    ai.inquiries.patience_months = Dist::Constant { value: 12.0 };
    ai.inquiries.density_kw_per_rack = Dist::Constant { value: 100.0 };
    ai.inquiries.liquid_share = 1.0;
    s.starting_cash_usd = 1e10; // the build is always funded
    let adaptive = s.plans.iter_mut().find(|p| p.name == "adaptive").unwrap();
    if let scenario::Rule::ConvertOnPrelease {
        min_preleased_share,
        max_conversions,
        not_before,
        ..
    } = &mut adaptive.rules[0]
    {
        *min_preleased_share = min_share;
        *max_conversions = 1;
        *not_before = None;
    } else {
        panic!("the default's adaptive plan builds on pre-leases");
    }
    s
}

#[test]
fn the_pre_lease_rule_builds_when_waiting_tenants_take_its_share_and_signs_them_for_it() {
    // Half of a 20 MW hall is 10 MW: the first 12 MW inquiry is enough, so the build starts
    // the moment it arrives (its 15-month start is after the 12-month build) and it signs for
    // that hall then, due 15 months later. Asking for 70% (14 MW) can never be met: two
    // inquiries would need 24 MW, more than the hall holds, so it never builds.
    for rep in 0..20 {
        let s = prelease_scenario(0.5);
        let model = CompiledScenario::new(&s).unwrap();
        let plan = model
            .plans
            .iter()
            .position(|p| p.name == "adaptive")
            .unwrap();
        let mut world = World::default();
        world.generate(&model, 7, rep);
        let first = world.ai.inquiries.iter().find(|q| q.at.secs() > 0);
        let trace = model::trace::trace_plan(&model, plan, 7, rep);
        let converted = trace.log.iter().find(|r| {
            r.quantity == "hall_use" && r.after == model::trace::TraceValue::Text("converting")
        });
        match (first, converted) {
            (Some(q), Some(c)) => {
                assert_eq!(
                    c.time, q.at,
                    "future {rep}: the build starts with the first tenant"
                );
                let op = model::run_to_horizon(&model, &world, plan, 7, rep);
                let lease = &op.leases()[0];
                assert_eq!(lease.mw, 12.0);
                assert_eq!(
                    lease.due.secs(),
                    q.at.secs() + pivotsim::engine::months_to_secs(15.0)
                );
            }
            (None, None) => {}
            other => panic!("future {rep}: {other:?}"),
        }

        let s = prelease_scenario(0.7);
        let model = CompiledScenario::new(&s).unwrap();
        let op = model::run_to_horizon(&model, &world, plan, 7, rep);
        assert_eq!(
            op.metrics().get(Metric::ConversionCapex),
            0.0,
            "future {rep}"
        );
    }
}

#[test]
fn construction_risk_delays_the_build_and_the_sponsor_pays_the_overrun() {
    // A 3-month delay and a 20% overrun, both doubled in the boom the market stays in: the
    // $50M, 6-month build of `H2` ($5M/MW) takes 6 + 6 months and costs $70M; its project
    // loan lends 80% of the $50M budget ($40M), so the company pays the other $30M.
    let plans = "  - name: build\n    actions:\n      - {type: convert_hall, date: 2026-01-01, site: S, \
                 hall: H2, capex_usd_per_mw: 5000000, lead_time_months: 6, to: {cooling: liquid, \
                 rack_slots: 200, max_kw_per_rack: 132, cooling_mw: 10, pue: 1.2}, \
                 debt: {share_of_capex: 0.8, rate: {fixed: 0.0}, term_months: 120, \
                 repayment: amortizing, recourse: project}}\n";
    let mut s = deal_site(plans);
    let ai = s.market.ai.as_mut().unwrap();
    ai.regimes.initial = scenario::AiRegime::Boom;
    ai.regimes.boom_to_bust_per_year = 0.0;
    ai.construction_risk = Some(scenario::ConstructionRisk {
        delay_months: Dist::Constant { value: 3.0 },
        cost_overrun: Dist::Constant { value: 0.2 },
        boom_factor: 2.0,
    });
    let (m, months, owed) = run(&s, |op| {
        let owed = op.project_loans().next().map(|(_, _, owed)| owed);
        (op.metrics(), op.months().to_vec(), owed)
    });
    assert!((m.get(Metric::ConversionCapex) - 70_000_000.0).abs() < 1e-3);
    let drawn: f64 = months.iter().map(|m| m.flows[Flow::DebtDraws]).sum();
    assert!((drawn - 40_000_000.0).abs() < 1e-3, "{drawn}");
    assert!(owed.is_some(), "the build has its project loan");
    // Ready 6 calendar months plus 6 average months after the start: the spending runs until
    // then, into the month it ends in.
    let model = CompiledScenario::new(&s).unwrap();
    let ready = model.add_months(pivotsim::engine::SimTime::ZERO, 6).secs()
        + pivotsim::engine::months_to_secs(6.0);
    let spending = months
        .iter()
        .filter(|m| m.flows[Flow::ConversionCapex] > 0.0)
        .count();
    let last = months.iter().position(|m| m.end.secs() >= ready).unwrap();
    assert_eq!(spending, last + 1);
}

#[test]
fn a_plan_that_never_offers_space_loses_no_deals() {
    // Stay-mining has no GPU-ready hall and no conversion: the inquiries that reach the site
    // are not deals it lost. Convert-half-2027 offers space, so it counts those it misses.
    let s = scenario::load_default().unwrap().scenario;
    let model = CompiledScenario::new(&s).unwrap();
    let mut world = World::default();
    world.generate(&model, 1, 0);
    assert!(!world.ai.inquiries.is_empty());
    let stay = model::run_to_horizon(&model, &world, 0, 1, 0).metrics();
    assert_eq!(stay.get(Metric::Inquiries), world.ai.inquiries.len() as f64);
    assert_eq!(stay.get(Metric::LostInquiries), 0.0);
    assert_eq!(stay.get(Metric::LostContractValue), 0.0);
    let convert = model::run_to_horizon(&model, &world, 1, 1, 0).metrics();
    assert!(convert.get(Metric::LostInquiries) > 0.0);
}

#[test]
fn renewal_options_at_a_fixed_step_are_taken_while_no_dearer_than_the_market() {
    // A one-year 10 MW lease at $100/kW-month ($1M a month) in GPU-ready `H1`, in a boom that
    // lasts (market rent $130) and where no market tenant ever renews: with two one-year
    // options at the same rent it bills all three years; with one, two years; with options
    // at +50% ($150, dearer than the market) it leaves after its first year.
    let billed_months = |options: &str| {
        let plans = format!(
            "  - name: lease\n    actions:\n      - {{type: sign_tenant, date: 2026-01-01, site: S, \
             hall: H1, mw: 10, term_years: 1, price_usd_per_kw_month: 100, {options}}}\n"
        );
        let mut s = deal_site(&plans);
        let ai = s.market.ai.as_mut().unwrap();
        ai.regimes.initial = scenario::AiRegime::Boom;
        ai.regimes.boom_to_bust_per_year = 0.0;
        ai.lease.renewal_probability = 0.0;
        run(&s, |op| {
            op.months()
                .iter()
                // A term is 365.25 days, so the last month billed is a few hours short.
                .filter(|m| m.flows[Flow::LeaseRevenue] > 900_000.0)
                .count()
        })
    };
    let fixed = |count: u32, step: f64| {
        format!("renewal_options: {{count: {count}, term_years: 1, rent: {{fixed_step: {step}}}}}")
    };
    assert_eq!(billed_months(&fixed(2, 0.0)), 36);
    assert_eq!(billed_months(&fixed(1, 0.0)), 24);
    assert_eq!(billed_months(&fixed(2, 0.5)), 12);
}

#[test]
fn a_defaulted_tenants_space_is_re_let_at_the_market_rent() {
    // GPU-ready `H1` is leased to a 10 MW anchor at $100; market tenants (10 MW, wanting
    // their space at once, waiting up to a year, at the boom's $130 with no dispersion)
    // arrive about monthly and queue for it. The anchor defaults on 2027-01-15: the tenant
    // that has waited longest signs for the hall that moment, at $130.
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, \
                 hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100}\n";
    let mut s = deal_site(plans);
    s.shocks.push(
        serde_json::from_str(r#"{"type": "largest_tenant_defaults", "date": "2027-01-15"}"#)
            .unwrap(),
    );
    let ai = s.market.ai.as_mut().unwrap();
    ai.regimes.initial = scenario::AiRegime::Boom;
    ai.regimes.boom_to_bust_per_year = 0.0;
    ai.inquiries.rate_per_year = 12.0;
    ai.inquiries.size_mw = Dist::Constant { value: 10.0 };
    ai.inquiries.start_delay_months = Dist::Constant { value: 0.0 };
    ai.inquiries.patience_months = Dist::Constant { value: 12.0 };
    ai.inquiries.density_kw_per_rack = Dist::Constant { value: 100.0 };
    ai.inquiries.price_dispersion = 0.0;
    let model = CompiledScenario::new(&s).unwrap();
    let default_at = model
        .calendar
        .time_of(chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap())
        .unwrap();
    run(&s, |op| {
        let leases = op.leases();
        assert_eq!(leases[0].defaulted_at, Some(default_at));
        let relet = leases
            .iter()
            .skip(1)
            .find(|l| l.hall == 0 && l.due >= default_at)
            .expect("the hall is re-let");
        assert_eq!(relet.due, default_at, "a waiting tenant takes it at once");
        assert!(
            (relet.year1_rent - 130.0).abs() < 1e-9,
            "{}",
            relet.year1_rent
        );
    });
}

#[test]
fn a_campus_tenant_larger_than_any_hall_takes_several_halls_as_one_deal() {
    // Three 10 MW GPU halls (`H2` and `H3` converted at once, at no cost) and market tenants of
    // 18 MW: none fits one hall, so the first takes 10 MW in `H1` (the most room, file order
    // among equals) and 8 MW in `H2`, one deal: one tenant, one default clock; the second
    // cannot find 18 MW in what is left (2 + 10) and waits.
    let plans = format!(
        "  - name: campus\n    actions:\n{}{}",
        free_conversion("H2", 0),
        free_conversion("H3", 0)
    );
    let mut s = deal_site(&plans);
    let ai = s.market.ai.as_mut().unwrap();
    ai.inquiries.rate_per_year = 4.0;
    ai.inquiries.size_mw = Dist::Constant { value: 18.0 };
    ai.inquiries.start_delay_months = Dist::Constant { value: 0.0 };
    ai.inquiries.patience_months = Dist::Constant { value: 1.0 };
    ai.inquiries.density_kw_per_rack = Dist::Constant { value: 100.0 };
    ai.inquiries.liquid_share = 1.0;
    run(&s, |op| {
        let leases = op.leases();
        assert!(leases.len() >= 2, "{}", leases.len());
        assert_eq!((leases[0].hall, leases[0].mw), (0, 10.0));
        assert_eq!((leases[1].hall, leases[1].mw), (1, 8.0));
        assert_eq!(leases[0].deal, 0);
        assert_eq!(leases[1].deal, 0);
        assert_eq!(leases[0].due, leases[1].due);
        // Until the first tenant leaves, nobody else fits 18 MW.
        assert!(leases.iter().skip(2).all(|l| l.due >= leases[0].end));
    });
}

#[test]
fn a_guaranteed_tenant_costs_its_guarantee_fee_on_the_rent_it_pays() {
    // A 10 MW anchor at $100/kW-month ($1M a month) in a class whose guarantor takes 4% of
    // the rent it backs: $40,000 a month in fees, $1.44M over three years, and the leasing
    // business's NOI margin is 96% (no opex, no energy, no credits here).
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, \
                 hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100, \
                 tenant_class: backed}\n";
    let classes = "    lease:\n      tenant_classes:\n        - {name: backed, default_hazard_per_year: 0, \
                   guarantee_fee_share_of_rent: 0.04}\n";
    let s = deal_site_with(plans, |yaml| yaml.replacen("    lease:\n", classes, 1));
    let m = run(&s, |op| op.metrics());
    assert!((m.get(Metric::GuaranteeFees) - 1_440_000.0).abs() < 1e-6);
    assert!((m.get(Metric::LeaseNoiMargin) - 0.96).abs() < 1e-12);
}

#[test]
fn a_guarantor_paid_in_warrants_takes_its_share_of_the_owners_claim_at_the_horizon() {
    // A 10 MW anchor at $100/kW-month ($1M a month) for three years, in a class whose
    // guarantor receives warrants for 10% of the company. The site has no mining, no opex,
    // no tax, no debt and no terminal value, so at the horizon the shares hold the cash:
    // $100M at the start + 36 × $1M of rent = $136M. The warrants (nil strike) take 10% of
    // it, $13.6M, undiscounted; the equity value falls by its present value at 10% a year
    // at the horizon, 2029-01-01, 1,096 days (2028 is a leap year) or 1,096 / 365.25 years
    // after the start: $13.6M × 1.1^(−3.000684) = $10,217,214.74.
    let plans = |class: &str| {
        format!(
            "  - name: lease\n    actions:\n      - {{type: sign_tenant, date: 2026-01-01, \
             site: S, hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100, \
             tenant_class: {class}}}\n"
        )
    };
    let classes = "    lease:\n      tenant_classes:\n        - {name: backed, default_hazard_per_year: 0, \
                   guarantee_warrants_share_of_equity: 0.1}\n        - {name: plain, \
                   default_hazard_per_year: 0}\n";
    let with_classes = |yaml: String| yaml.replacen("    lease:\n", classes, 1);
    let backed = run(&deal_site_with(&plans("backed"), with_classes), |op| {
        (op.metrics(), op.cash())
    });
    let plain = run(&deal_site_with(&plans("plain"), with_classes), |op| {
        op.metrics()
    });
    let (m, cash) = backed;
    assert!((cash - 136_000_000.0).abs() < 1e-3, "{cash}");
    assert!(
        (m.get(Metric::GuarantorDilution) - 13_600_000.0).abs() < 1e-3,
        "{}",
        m.get(Metric::GuarantorDilution)
    );
    assert_eq!(plain.get(Metric::GuarantorDilution), 0.0);
    let lost = plain.get(Metric::Npv) - m.get(Metric::Npv);
    assert!((lost - 10_217_214.74).abs() < 0.01, "{lost}");
    // Cash and the business do not move: the shares change hands.
    assert_eq!(m.get(Metric::EndCash), plain.get(Metric::EndCash));
    assert_eq!(m.get(Metric::ProjectNpv), plain.get(Metric::ProjectNpv));
}

#[test]
fn a_guarantor_paid_in_warrants_shares_what_a_liquidation_leaves_the_owners() {
    // The same anchor and 10% class, but the company must keep $150M of cash and starts with
    // $100M: it defaults at the first close, 2026-02-01, when January's $1M of rent has
    // brought its cash to $101M. With no debt and no book value (the halls cost nothing) the
    // owners keep all of it, and the guarantor's warrants take 10%, $10.1M; the equity value
    // loses that at the default, 31 days in: $10.1M × 1.1^(−31/365.25).
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, \
                 hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100, \
                 tenant_class: backed}\n";
    let classes = |share: f64| {
        format!(
            "    lease:\n      tenant_classes:\n        - {{name: backed, default_hazard_per_year: 0, \
             guarantee_warrants_share_of_equity: {share}}}\n"
        )
    };
    let scenario = |share: f64| {
        deal_site_with(plans, |yaml| {
            yaml.replacen("    lease:\n", &classes(share), 1).replacen(
                "sites:\n",
                "finance: {min_cash_usd: 150000000}\nsites:\n",
                1,
            )
        })
    };
    let m = run(&scenario(0.1), |op| op.metrics());
    let without = run(&scenario(0.0), |op| op.metrics());
    assert_eq!(m.get(Metric::Defaulted), 1.0);
    assert!((m.get(Metric::LiquidationProceeds) - 101_000_000.0).abs() < 1e-3);
    assert!((m.get(Metric::GuarantorDilution) - 10_100_000.0).abs() < 1e-3);
    let lost = without.get(Metric::Npv) - m.get(Metric::Npv);
    let expected = 10_100_000.0 * 1.1f64.powf(-31.0 / 365.25);
    assert!((lost - expected).abs() < 1e-3, "{lost} against {expected}");
}

#[test]
fn a_backed_tenants_default_recovers_its_share_of_the_rent_left() {
    // A 10 MW anchor at $100/kW-month ($1M a month) for 10 years from 2026-01-01, in a class
    // whose backstop pays half the rent left at a default; it defaults on 2027-01-01, with
    // 10 × 365.25 − 365 days of its term left: the landlord receives 0.5 × $1M × that in
    // average months, at the default.
    let plans = "  - name: lease\n    actions:\n      - {type: sign_tenant, date: 2026-01-01, site: S, \
                 hall: H1, mw: 10, term_years: 10, price_usd_per_kw_month: 100, \
                 tenant_class: backed}\n";
    let classes = "    lease:\n      tenant_classes:\n        - {name: backed, default_hazard_per_year: 0, \
                   recovery_share_of_remaining_rent: 0.5}\n";
    let mut s = deal_site_with(plans, |yaml| yaml.replacen("    lease:\n", classes, 1));
    s.shocks.push(
        serde_json::from_str(r#"{"type": "largest_tenant_defaults", "date": "2027-01-01"}"#)
            .unwrap(),
    );
    let (m, months) = run(&s, |op| (op.metrics(), op.months().to_vec()));
    let days_left = 10.0 * 365.25 - 365.0;
    let expected =
        0.5 * 1_000_000.0 * days_left * 86_400.0 / pivotsim::engine::SECONDS_PER_AVG_MONTH;
    assert!(
        (m.get(Metric::DefaultRecoveries) - expected).abs() < 1e-3,
        "{}",
        m.get(Metric::DefaultRecoveries)
    );
    assert!((months[12].flows[Flow::DefaultRecoveries] - expected).abs() < 1e-3);
}

#[test]
fn asics_hash_on_until_the_construction_needs_their_space() {
    // convert-half-2027 with hall A's S19 XP kept hashing for the first 6 of its 12 build
    // months: the hall converts on 2027-01-01 and its anchor still signs for it that day (a
    // hall never carries its ASICs and its GPUs at once, so the grid counts the larger), its
    // machines leave on 2027-07-01 (`asics_leave`, the installed hashrate falls then and not
    // before), and the plan mines more than with the machines gone at the start.
    let run = |months: u32| {
        let mut s = scenario::load_default().unwrap().scenario;
        s.market.ai.as_mut().unwrap().construction_risk = None;
        let plan = s
            .plans
            .iter_mut()
            .find(|p| p.name == "convert-half-2027")
            .unwrap();
        if let scenario::Action::ConvertHall {
            asics_hash_for_months,
            ..
        } = &mut plan.actions[0]
        {
            *asics_hash_for_months = months;
        }
        let model = CompiledScenario::new(&s).unwrap();
        let trace = model::trace::trace_plan(&model, 1, 3, 0);
        let mut world = World::default();
        world.generate(&model, 3, 0);
        let op = model::run_to_horizon(&model, &world, 1, 3, 0);
        (trace, op.metrics(), op.leases()[0].hall)
    };
    let (trace, kept, anchor_hall) = run(6);
    assert_eq!(anchor_hall, 0, "hall A's anchor signs");
    let date = |t| {
        CompiledScenario::new(&scenario::load_default().unwrap().scenario)
            .unwrap()
            .calendar
            .date_of(t)
            .to_string()
    };
    let leave = trace
        .log
        .iter()
        .find(|r| r.event == "asics_leave")
        .expect("the ASICs leave");
    assert_eq!(date(leave.time), "2027-07-01");
    assert_eq!(leave.subject, "A");
    assert!(
        trace
            .log
            .iter()
            .any(|r| r.event == "asics_leave" && r.quantity == "asic_ph_s"),
        "the installed hashrate falls when they leave"
    );
    let (_, gone, _) = run(0);
    assert!(kept.get(Metric::MiningRevenue) > gone.get(Metric::MiningRevenue));
}
