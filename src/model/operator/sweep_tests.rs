//! The batched accrual sweep ([`Operator::advance`]) against the plain hour-by-hour one: every
//! month's flows and every metric must agree bit for bit, on scenarios that exercise mining,
//! curtailment, PPAs, leases (passthrough and included power), GPU clouds, outages and
//! defaults.

use super::*;
use crate::engine::run_until;
use crate::scenario;

fn compile(yaml: &str) -> CompiledScenario {
    let loaded = scenario::load_str(yaml, "test").expect("a shipped scenario is valid");
    CompiledScenario::new(&loaded.scenario).expect("a shipped horizon fits the calendar")
}

/// Runs `plan` to the horizon with the batched or the reference sweep.
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

fn assert_identical(yaml: &str, replications: u64) {
    let model = compile(yaml);
    let mut world = World::default();
    for replication in 0..replications {
        world.generate(&model, 7, replication);
        for plan in 0..model.plans.len() {
            let fast = run(&model, &world, plan, false);
            let slow = run(&model, &world, plan, true);
            assert_eq!(fast.months().len(), slow.months().len());
            for (a, b) in fast.months().iter().zip(slow.months()) {
                // Debug output of f64 is round-trip exact, so equal strings are equal bits.
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "plan {plan}, rep {replication}"
                );
            }
            let (a, b) = (fast.metrics().values, slow.metrics().values);
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.to_bits(), y.to_bits(), "plan {plan}, rep {replication}");
            }
        }
    }
}

#[test]
fn the_batched_sweep_matches_the_hourly_one_on_the_default_scenario() {
    assert_identical(scenario::DEFAULT_SCENARIO_YAML, 3);
}

#[test]
fn the_batched_sweep_matches_the_hourly_one_with_gpu_clouds_and_debt() {
    assert_identical(
        include_str!("../../../configs/gpu-cloud-bit-digital.yaml"),
        2,
    );
    assert_identical(include_str!("../../../configs/stress-debt-2022.yaml"), 2);
    assert_identical(
        include_str!("../../../configs/core-scientific-lease.yaml"),
        2,
    );
}
