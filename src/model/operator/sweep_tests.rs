//! The run-at-once accrual ([`Operator::advance`]) against the plain hour-by-hour sweep of
//! [`Operator::accrue`]: every month's flows and every metric must agree to rounding, on
//! scenarios that exercise mining, curtailment, demand response, PPAs, leases (passthrough
//! and included power), GPU clouds, outages and defaults; and where the two differ, the run
//! accrual must be the more accurate.

use super::*;
use crate::engine::run_until;
use crate::scenario;

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

/// Whether two accruals of the same flow agree to rounding. Each monthly flow is a sum of
/// at most ~745 hourly terms (31 days × 24 h), each within one rounding of exact, so both
/// sums are within ~745 ε ≈ 1.7e-13 of the exact one relative to the sum of the terms'
/// magnitudes. 1e-11 of |a| + |b| leaves a wide margin for that; the 1e-6 floor covers flows
/// that cancel to near zero (a PPA settles both ways), where the terms' magnitudes (≤ 1e6 USD
/// a month here) times 1e-13 is below it.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-11 * (a.abs() + b.abs()) + 1e-6
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
            for (month, (a, b)) in fast.months().iter().zip(slow.months()).enumerate() {
                assert_eq!(a.end, b.end);
                assert_eq!(a.defaulted, b.defaulted, "plan {plan}, rep {replication}");
                let pairs = a.flows.values().into_iter().zip(b.flows.values());
                for ((name, x), (_, y)) in pairs
                    .chain([(("cash_after_usd", a.cash_after_usd), ("", b.cash_after_usd))])
                    .chain([(("leased_mw", a.leased_mw), ("", b.leased_mw))])
                {
                    assert!(
                        close(x, y),
                        "plan {plan}, rep {replication}, month {month}, {name}: {x} vs {y}"
                    );
                }
            }
            let (a, b) = (fast.metrics().values, slow.metrics().values);
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!(
                    close(*x, *y) || (x.is_nan() && y.is_nan()),
                    "plan {plan}, rep {replication}, metric {k}: {x} vs {y}"
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
        include_str!("../../../configs/gpu-cloud-bit-digital.yaml"),
        2,
    );
    assert_close(include_str!("../../../configs/stress-debt-2022.yaml"), 2);
    assert_close(
        include_str!("../../../configs/core-scientific-lease.yaml"),
        2,
    );
}

#[test]
fn a_month_of_opex_is_nearer_exact_with_the_run_accrual() {
    // Stay-mining never changes its installed units, so its opex rate is constant and each
    // whole calendar month must accrue exactly the monthly rate: the month's seconds over
    // the month's seconds is 1. The hourly sweep adds rate × 3600/month_secs ~730 times (one
    // rounding each); the run accrual adds rate × (a day's seconds)/month_secs once per day,
    // ~30 roundings, so its total error over the horizon must be no larger, and every month
    // must be within 30 roundings of the rate (30 × 2^−53 relative, about 3.3e-15).
    let model = compile(scenario::DEFAULT_SCENARIO_YAML);
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
            .map(|m| (m.flows.opex_usd - rate).abs())
            .sum()
    };
    for m in fast.months() {
        assert!(
            (m.flows.opex_usd - rate).abs() <= 30.0 * f64::EPSILON / 2.0 * rate,
            "month ending {:?}: {} vs {rate}",
            m.end,
            m.flows.opex_usd
        );
    }
    assert!(
        error(&fast) <= error(&slow),
        "{} vs {}",
        error(&fast),
        error(&slow)
    );
}
