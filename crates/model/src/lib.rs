//! The domain model: markets, sites, fleets, plans and the books, as a pure function.
//!
//! One replication of one plan is `(scenario, plan, replication, seed) -> RunMetrics`, with no
//! I/O and no threads. The world of a replication is generated once ([`World::generate`]) and
//! every plan runs on it, so plan comparisons are paired on the same futures.
#![warn(missing_docs)]

pub mod compiled;
pub mod finance;
pub mod fleet;
pub mod metrics;
pub mod operator;
pub mod placement;
pub mod trace;
pub mod world;

pub use compiled::CompiledScenario;
pub use metrics::{Metric, RunMetrics, Series, Unit};
pub use operator::{MonthRecord, Operator, OperatorEvent};
pub use world::World;

use pivotsim_engine::{EventQueue, run_until};

/// Buffers reused across replications on one thread, so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    /// One world per variant (the scenario as written, then each stress).
    worlds: Vec<World>,
    queue: EventQueue<OperatorEvent>,
}

/// Simulates plan `plan` (index into `model.plans`) on an already generated world. When
/// `series` is given, the run's monthly series are appended to it (see
/// [`Operator::write_series`]).
pub fn simulate_plan(
    model: &CompiledScenario,
    world: &World,
    plan: usize,
    seed: u64,
    replication: u64,
    queue: &mut EventQueue<OperatorEvent>,
    series: Option<&mut Vec<f64>>,
) -> RunMetrics {
    queue.clear();
    let mut operator = Operator::new(model, world, &model.plans[plan], seed, replication);
    operator.schedule_initial(queue);
    run_until(queue, &mut operator, model.end);
    if let Some(out) = series {
        operator.write_series(out);
    }
    operator.metrics()
}

/// Runs plan `plan` on `world` to the horizon and returns the operator, for callers that want
/// more than the metrics (monthly records, leases, halls).
pub fn run_to_horizon<'a>(
    model: &'a CompiledScenario,
    world: &'a World,
    plan: usize,
    seed: u64,
    replication: u64,
) -> Operator<'a> {
    let mut queue = EventQueue::new();
    let mut operator = Operator::new(model, world, &model.plans[plan], seed, replication);
    operator.schedule_initial(&mut queue);
    run_until(&mut queue, &mut operator, model.end);
    operator
}

/// Months each run reports in its series: one per month close, the last at the horizon.
pub fn months_per_run(model: &CompiledScenario) -> usize {
    model.month_starts.len() + 1
}

/// Simulates replication `replication` of every plan; `out[p]` receives plan `p`'s metrics
/// and `series` (cleared first) every plan's monthly series, plan after plan.
pub fn simulate_replication(
    model: &CompiledScenario,
    seed: u64,
    replication: u64,
    scratch: &mut Scratch,
    out: &mut Vec<RunMetrics>,
    series: &mut Vec<f64>,
) {
    out.clear();
    series.clear();
    scratch
        .worlds
        .resize_with(model.variants.len().max(1), World::default);
    for (v, world) in scratch.worlds.iter_mut().enumerate() {
        world.generate_variant(model, v, seed, replication);
    }
    for plan in 0..model.plans.len() {
        out.push(simulate_plan(
            model,
            &scratch.worlds[model.plans[plan].variant],
            plan,
            seed,
            replication,
            &mut scratch.queue,
            Some(&mut *series),
        ));
    }
}
