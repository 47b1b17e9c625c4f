//! The run-at-once accrual ([`Operator::advance`]) against the plain hour-by-hour sweep of
//! [`Operator::accrue`]: every month's flows and every metric must agree to rounding, on
//! scenarios that exercise mining, curtailment, demand response, PPAs, leases (passthrough
//! and included power), GPU clouds, outages and defaults; and where the two differ, the run
//! accrual must be the more accurate.

use super::*;
use crate::metrics::Metric;
use crate::world::energy::PriceSummary;
use accrual::SweepFleet;
use pivotsim_engine::run_until;
use pivotsim_scenario as scenario;

fn compile(yaml: &str) -> CompiledScenario {
    let loaded = scenario::load_str(yaml, "test").expect("a shipped scenario is valid");
    CompiledScenario::new(&loaded.scenario).expect("a shipped horizon fits the calendar")
}

/// Runs `plan` to the horizon with the run accrual or the hour-by-hour reference.
fn run<'a>(
    model: &'a CompiledScenario,
    world: &'a World,
    plan: usize,
    reference: bool,
) -> Operator<'a> {
    let mut queue = EventQueue::new();
    let mut op = Operator::new(model, world, &model.plans[plan], 7, 3);
    op.reference_sweep = reference;
    op.schedule_initial(&mut queue);
    run_until(&mut queue, &mut op, model.end);
    op
}

/// Whether two sums of the same terms agree to rounding. A sum of n terms, each within k
/// roundings of exact, is within about (n + k) ε of the exact sum relative to the sum of the
/// terms' magnitudes (ε = 2^−53 ≈ 1.1e-16), whatever the order. A month has at most 745 hours
/// and each hourly term two or three roundings: ~750 ε ≈ 8e-14. Cash and the money metrics
/// add the 120 months (and NPV discounts them): ~1e-13 of the horizon's gross. The allowance
/// is ten times that: 1e-11 of the values themselves (flows that never cancel), plus `floor`,
/// 1e-12 of the gross money that went through (flows that cancel to near zero, a PPA that
/// settles both ways; or cash near zero).
fn close(a: f64, b: f64, floor: f64) -> bool {
    a == b || (a - b).abs() <= 1e-11 * (a.abs() + b.abs()) + floor
}

/// 1e-12 × the summed magnitudes of the money flows of `months`, USD.
fn money_floor(months: &[MonthRecord]) -> f64 {
    let gross: f64 = months
        .iter()
        .flat_map(|m| m.flows.values())
        .filter(|(name, _)| name.ends_with("_usd"))
        .map(|(_, v)| v.abs())
        .sum();
    1e-12 * gross
}

fn assert_close(yaml: &str, replications: u64) {
    let model = compile(yaml);
    let mut world = World::default();
    for replication in 0..replications {
        world.generate(&model, 7, replication);
        for plan in 0..model.plans.len() {
            let fast = run(&model, &world, plan, false);
            let slow = run(&model, &world, plan, true);
            assert_eq!(fast.months().len(), slow.months().len());
            let horizon = money_floor(slow.months());
            for (month, (a, b)) in fast.months().iter().zip(slow.months()).enumerate() {
                assert_eq!(a.end, b.end);
                assert_eq!(a.defaulted, b.defaulted, "plan {plan}, rep {replication}");
                let monthly = money_floor(std::slice::from_ref(b));
                for ((name, x), (_, y)) in a.flows.values().into_iter().zip(b.flows.values()) {
                    assert!(
                        close(x, y, monthly),
                        "plan {plan}, rep {replication}, month {month}, {name}: {x} vs {y}"
                    );
                }
                assert!(close(a.cash_after_usd, b.cash_after_usd, horizon));
                assert_eq!(a.leased_mw, b.leased_mw);
            }
            let (a, b) = (fast.metrics().values, slow.metrics().values);
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                // Money is cumulative; other metrics (rates, shares, counts, MWh) are compared
                // relative to their size, with a small floor for those near zero (an IRR).
                let metric = Metric::ALL[k];
                let floor = if metric.is_usd() { horizon } else { 1e-12 };
                assert!(
                    close(*x, *y, floor) || (x.is_nan() && y.is_nan()),
                    "plan {plan}, rep {replication}, {}: {x} vs {y}",
                    metric.key()
                );
            }
        }
    }
}

#[test]
fn the_run_accrual_matches_the_hourly_sweep_on_the_default_scenario() {
    assert_close(scenario::DEFAULT_SCENARIO_YAML, 3);
}

#[test]
fn the_run_accrual_matches_the_hourly_sweep_with_gpu_clouds_and_debt() {
    assert_close(
        include_str!("../../../../configs/gpu-cloud-bit-digital.yaml"),
        2,
    );
    assert_close(include_str!("../../../../configs/stress-debt-2022.yaml"), 2);
    assert_close(include_str!("../../../../configs/hosting.yaml"), 1);
    assert_close(
        include_str!("../../../../configs/core-scientific-lease.yaml"),
        2,
    );
}

#[test]
fn a_month_of_opex_is_nearer_exact_with_the_run_accrual() {
    // Stay-mining does not change its installed units, so its opex rate is constant and each
    // whole calendar month must accrue exactly the monthly rate: the month's seconds over
    // the month's seconds is 1. The hourly sweep adds rate × (3600/month_secs) ~730 times;
    // the run accrual adds rate × (run secs/month_secs) once per run, about 40 runs a month
    // (31 midnights, plus retargets, halvings and grid outages inside a day). Each addition
    // carries at most three roundings of 2^−53 relative to the rate, so every month must be
    // within 120 × 2^−53 = 60 ε of it (the hourly sweep's bound would be ~2,200 × 2^−53), and
    // the total error over the horizon must be no larger than the hourly sweep's. (Its fleets
    // here never reach an end of life and it refreshes none, so that its units stay put.)
    let mut loaded =
        scenario::load_str(scenario::DEFAULT_SCENARIO_YAML, "test").expect("the default loads");
    loaded.scenario.plans[0].rules.clear();
    for hall in &mut loaded.scenario.sites[0].halls {
        for fleet in &mut hall.asics {
            fleet.life_years = None;
        }
    }
    let model = CompiledScenario::new(&loaded.scenario).expect("the default compiles");
    let mut world = World::default();
    world.generate(&model, 7, 0);
    let fast = run(&model, &world, 0, false);
    let slow = run(&model, &world, 0, true);
    let rate = fast.rates.opex_usd_per_month;
    assert!(rate > 0.0);
    assert_eq!(rate, slow.rates.opex_usd_per_month);
    let error = |op: &Operator| -> f64 {
        op.months()
            .iter()
            .map(|m| (m.flows[Flow::Opex] - rate).abs())
            .sum()
    };
    for m in fast.months() {
        assert!(
            (m.flows[Flow::Opex] - rate).abs() <= 60.0 * f64::EPSILON * rate,
            "month ending {:?}: {} vs {rate}",
            m.end,
            m.flows[Flow::Opex]
        );
    }
    assert!(
        error(&fast) <= error(&slow),
        "{} vs {}",
        error(&fast),
        error(&slow)
    );
}

#[test]
fn a_fleet_run_books_what_its_hours_count() {
    // Prices tie with the threshold and the trigger, in every order of the two (and with no
    // trigger), over runs that are all below, all above, mixed, or one hour long. The run
    // must book n hashing hours (revenue, hashing and energy × n, energy cost MWh × their
    // summed prices), the other hours as curtailed, and demand-response credits for the
    // curtailed hours at or above the trigger. Small integers add and multiply exactly, so
    // the books must equal the counts exactly.
    let prices = [
        10.0, 50.0, 50.0, 80.0, 100.0, 100.0, 120.0, 30.0, 100.0, 50.0, 200.0, 5.0,
    ];
    let orders = [
        (50.0, 100.0),
        (100.0, 50.0),
        (100.0, 100.0),
        (1e9, 50.0),
        (1.0, 100.0),
        (50.0, f64::INFINITY),
    ];
    for (threshold, trigger) in orders {
        let fleet = SweepFleet {
            threshold,
            mwh: 2.0,
            revenue: 3.0,
            th_seconds: 5.0,
            dr_trigger: trigger,
            dr_credits: 7.0,
        };
        let runs = [
            &prices[..],
            &prices[..1],
            &prices[3..4],
            &prices[1..3],
            &prices[4..6],
            &prices[6..11],
        ];
        for run in runs {
            let mut got = Flows::default();
            fleet.accrue_run(run, PriceSummary::of(run), &mut got);
            let hashing: Vec<f64> = run.iter().copied().filter(|&p| p < threshold).collect();
            let n = hashing.len() as f64;
            let curtailed = (run.len() - hashing.len()) as f64;
            let credited = run
                .iter()
                .filter(|&&p| p >= threshold && p >= trigger)
                .count();
            let case = format!("threshold {threshold}, trigger {trigger}, run {run:?}");
            assert_eq!(got[Flow::MiningRevenue], 3.0 * n, "{case}");
            assert_eq!(got[Flow::Hashing], 5.0 * n, "{case}");
            assert_eq!(got[Flow::EnergyDrawn], 2.0 * n, "{case}");
            assert_eq!(
                got[Flow::SpotEnergy],
                2.0 * hashing.iter().sum::<f64>(),
                "{case}"
            );
            assert_eq!(got[Flow::Curtailed], 2.0 * curtailed, "{case}");
            assert_eq!(got[Flow::DrCredits], 7.0 * credited as f64, "{case}");
        }
    }
}
