//! The batched accrual sweep ([`Operator::advance`]) and the world's shared ASIC failure
//! paths against the plain hour-by-hour sweep with every failure drawn by the operator: every
//! month's flows and every metric must agree bit for bit, on scenarios that exercise mining,
//! curtailment, PPAs, leases (passthrough and included power), GPU clouds, outages, defaults,
//! and ASICs sold and moved (which leave the shared path).

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
    replication: u64,
    plan: usize,
    reference: bool,
) -> Operator<'a> {
    let mut queue = EventQueue::new();
    let mut op = Operator::new(model, world, &model.plans[plan], 7, replication);
    op.reference = reference;
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
            let fast = run(&model, &world, replication, plan, false);
            let slow = run(&model, &world, replication, plan, true);
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

#[test]
fn a_fleet_changed_mid_run_draws_on_from_where_the_shared_path_left_its_stream() {
    // The shipped plans only ever empty a fleet they change, so they never draw after leaving
    // the world's path. Here 40% of the first fleet is sold after 400 days and the run goes
    // on: its later draws must be those of a fleet that drew every day itself.
    let model = compile(scenario::DEFAULT_SCENARIO_YAML);
    let mut world = World::default();
    world.generate(&model, 7, 1);
    let run_with_sale = |reference: bool| {
        let mut queue = EventQueue::new();
        let mut op = Operator::new(&model, &world, &model.plans[0], 7, 1);
        op.reference = reference;
        op.schedule_initial(&mut queue);
        run_until(&mut queue, &mut op, SimTime::from_days(400));
        let units = op.fleets[0].state.units;
        op.fleet_state_mut(0).remove(units * 2 / 5);
        run_until(&mut queue, &mut op, model.end);
        (op.fleets[0].state.failed, format!("{:?}", op.months()))
    };
    let (shared, reference) = (run_with_sale(false), run_with_sale(true));
    assert_eq!(shared, reference);
}
