//! The domain model: markets, sites, fleets, plans and the books, as a pure function.
//!
//! One replication of one plan is `(scenario, plan, replication, seed) -> RunMetrics`, with no
//! I/O and no threads. The world of a replication is generated once ([`World::generate`]) and
//! every plan runs on it, so plan comparisons are paired on the same futures.
#![warn(missing_docs)]

pub mod compiled;
pub mod controls;
pub mod finance;
pub mod fleet;
pub mod lease_value;
pub mod metrics;
pub mod operator;
pub mod placement;
pub mod returns;
pub mod trace;
pub mod world;

pub use compiled::CompiledScenario;
pub use metrics::{Metric, RunMetrics, Series, Unit};
pub use operator::{MonthRecord, Operator, OperatorEvent};
pub use returns::CashFlows;
pub use world::World;

use pivotsim_engine::{EventQueue, run_until};

/// Buffers reused across replications on one thread, so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    /// One world per variant (the scenario as written, then each stress).
    worlds: Vec<World>,
    queue: EventQueue<OperatorEvent>,
    /// Each plan's cash flows of the last replication.
    flows: Vec<PlanCashFlows>,
}

/// One plan's project and equity cash flows, copied out of its run (see
/// [`Operator::cash_flows`]).
#[derive(Default, Debug, Clone)]
struct PlanCashFlows {
    project: Vec<f64>,
    project_at_horizon: f64,
    equity: Vec<f64>,
    equity_at_horizon: f64,
}

impl PlanCashFlows {
    /// Copies `operator`'s cash flows, reusing the buffers.
    fn copy_from(&mut self, operator: &Operator<'_>) {
        let (project, equity) = operator.cash_flows();
        self.project.clear();
        self.project.extend_from_slice(project.monthly);
        self.project_at_horizon = project.at_horizon;
        self.equity.clear();
        self.equity.extend_from_slice(equity.monthly);
        self.equity_at_horizon = equity.at_horizon;
    }
}

impl Scratch {
    /// Plan `plan`'s project and equity cash flows in the last [`simulate_replication`].
    ///
    /// # Panics
    /// If `plan` is not a plan of that replication's scenario.
    pub fn cash_flows(&self, plan: usize) -> (CashFlows<'_>, CashFlows<'_>) {
        let f = &self.flows[plan];
        (
            CashFlows {
                monthly: &f.project,
                at_horizon: f.project_at_horizon,
            },
            CashFlows {
                monthly: &f.equity,
                at_horizon: f.equity_at_horizon,
            },
        )
    }
}

/// Runs plan `plan` on `world` to the horizon with `queue` (cleared first) and returns the
/// operator: the one place a plan is simulated.
fn run_plan<'a>(
    model: &'a CompiledScenario,
    world: &'a World,
    plan: usize,
    seed: u64,
    replication: u64,
    queue: &mut EventQueue<OperatorEvent>,
) -> Operator<'a> {
    queue.clear();
    let mut operator = Operator::new(model, world, &model.plans[plan], seed, replication);
    operator.schedule_initial(queue);
    run_until(queue, &mut operator, model.end);
    operator
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
    let operator = run_plan(model, world, plan, seed, replication, queue);
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
    run_plan(
        model,
        world,
        plan,
        seed,
        replication,
        &mut EventQueue::new(),
    )
}

/// Months each run reports in its series: one per month close, the last at the horizon.
pub fn months_per_run(model: &CompiledScenario) -> usize {
    model.month_starts.len() + 1
}

/// Simulates replication `replication` of every plan; `out[p]` receives plan `p`'s metrics
/// and `series` (cleared first) every plan's monthly series, plan after plan. Each plan's cash
/// flows are kept in `scratch` ([`Scratch::cash_flows`]).
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
    scratch
        .flows
        .resize_with(model.plans.len(), PlanCashFlows::default);
    for plan in 0..model.plans.len() {
        let world = &scratch.worlds[model.plans[plan].variant];
        let operator = run_plan(model, world, plan, seed, replication, &mut scratch.queue);
        operator.write_series(series);
        scratch.flows[plan].copy_from(&operator);
        out.push(operator.metrics());
    }
}
