//! The event log of one replication of one plan, to explain a surprising outcome.
//!
//! The operator runs exactly as in a Monte Carlo run, wrapped in a handler that takes a small
//! snapshot of its state before and after every event and records what changed. The world's
//! own events (difficulty retargets, halvings) are merged in by time. When the lenders of a
//! project take it, or the company defaults, the log says so and why. Beside the log, the
//! trace keeps the monthly statement: each month's books, cash, debt and DSCR, and each
//! project loan's balance, DSCR, reserve, locked-up cash and distributions. Nothing here
//! changes the simulation: a traced run produces the same metrics as an untraced one (a test
//! checks it).

use crate::compiled::ActionSpec;
use crate::operator::{HallUse, LeaseState, MonthRecord, Operator, OperatorEvent, ProjectStatus};
use crate::world::bitcoin_protocol::ChainEvent;
use crate::{CompiledScenario, RunMetrics, World};
use pivotsim_engine::{EventQueue, Handler, SECONDS_PER_YEAR, SimTime, run_until};

/// A value before or after an event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceValue {
    /// Nothing (the event changed no tracked quantity).
    None,
    /// A number in the quantity's unit.
    Number(f64),
    /// A state name.
    Text(&'static str),
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRecord {
    /// When.
    pub time: SimTime,
    /// What happened (`month_close`, `inquiry`, `convert_hall`, `difficulty_retarget`, …).
    pub event: &'static str,
    /// Where or to whom: a site, hall, lease or inquiry; empty for the whole operator.
    pub subject: String,
    /// The quantity that changed (`cash_usd`, `hall_use`, …); empty when none did.
    pub quantity: &'static str,
    /// Its value before the event.
    pub before: TraceValue,
    /// Its value after.
    pub after: TraceValue,
}

/// One month of the statement: the month's record (flows, cash, debt, DSCR), the cash in
/// project accounts, and each project loan signed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthStatement {
    /// The month's record, as the outputs see it.
    pub record: MonthRecord,
    /// Cash in the projects' reserve and lock-up accounts at the close, USD.
    pub restricted_cash_usd: f64,
    /// Each project loan signed by the close, in signing order.
    pub projects: Vec<ProjectStatus>,
}

/// A traced replication: the event log in time order, the monthly statement, and the metrics.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The event log (world events first at equal times).
    pub log: Vec<TraceRecord>,
    /// One entry per month close.
    pub statement: Vec<MonthStatement>,
    /// The run's metrics.
    pub metrics: RunMetrics,
}

/// The operator quantities compared around every event.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Snapshot {
    cash_usd: f64,
    billing_lease_mw: f64,
    committed_gpu_mw: f64,
    gpu_ready_mw: f64,
    defaulted: f64,
    asic_ph_s: f64,
    asic_j_per_th: f64,
}

const QUANTITIES: [&str; 7] = [
    "cash_usd",
    "billing_lease_mw",
    "committed_gpu_mw",
    "gpu_ready_mw",
    "defaulted",
    "asic_ph_s",
    "asic_j_per_th",
];

impl Snapshot {
    fn of(op: &Operator<'_>) -> Self {
        let halls = op.halls();
        Snapshot {
            cash_usd: op.cash(),
            billing_lease_mw: op
                .leases()
                .iter()
                .filter(|l| l.state == LeaseState::Billing)
                .map(|l| l.mw)
                .sum(),
            committed_gpu_mw: halls.iter().map(|h| h.committed_mw).sum(),
            gpu_ready_mw: halls
                .iter()
                .filter(|h| h.use_ == HallUse::GpuReady)
                .map(|h| h.shape.it_capacity_mw())
                .sum(),
            defaulted: if op.has_defaulted() { 1.0 } else { 0.0 },
            asic_ph_s: op.installed_asic_th_s() / 1_000.0,
            asic_j_per_th: op.installed_asic_j_per_th(),
        }
    }

    fn values(&self) -> [f64; 7] {
        [
            self.cash_usd,
            self.billing_lease_mw,
            self.committed_gpu_mw,
            self.gpu_ready_mw,
            self.defaulted,
            self.asic_ph_s,
            self.asic_j_per_th,
        ]
    }
}

fn hall_use_name(u: &HallUse) -> &'static str {
    match u {
        HallUse::Asic => "asic",
        HallUse::Converting(_) => "converting",
        HallUse::GpuReady => "gpu_ready",
        HallUse::Idle => "idle",
        HallUse::Hosting => "hosting",
        HallUse::Foreclosed => "foreclosed",
    }
}

/// Wraps the operator and records every event's effect.
struct Recorder<'o, 'a> {
    operator: &'o mut Operator<'a>,
    model: &'a CompiledScenario,
    plan: usize,
    world: &'a World,
    log: Vec<TraceRecord>,
    statement: Vec<MonthStatement>,
}

impl Recorder<'_, '_> {
    fn name_and_subject(&self, event: OperatorEvent) -> (&'static str, String) {
        let hall = |h: usize| {
            self.model
                .halls
                .get(h)
                .map_or_else(|| format!("hall {h}"), |s| s.name.clone())
        };
        let lease = |k: u32| {
            self.operator.leases().get(k as usize).map_or_else(
                || format!("lease {k}"),
                |l| format!("lease {k} in {}", hall(l.hall)),
            )
        };
        match event {
            OperatorEvent::Day(d) => ("day", format!("day {d}")),
            OperatorEvent::MonthClose(_) => ("month_close", String::new()),
            OperatorEvent::End => ("horizon", String::new()),
            OperatorEvent::Action(k) => {
                let Some(timed) = self.model.plans[self.plan].actions.get(k as usize) else {
                    return ("action", format!("action {k}"));
                };
                match &timed.action {
                    ActionSpec::Convert { hall: h, .. } => ("convert_hall", hall(*h)),
                    ActionSpec::SignTenant { hall: h, .. } => ("sign_tenant", hall(*h)),
                    ActionSpec::DeployGpuCloud { hall: h, .. } => ("deploy_gpu_cloud", hall(*h)),
                    ActionSpec::BuyAsics { .. } => ("buy_asics", String::new()),
                    ActionSpec::SellAsics { .. } => ("sell_asics", String::new()),
                    ActionSpec::ReplaceAsics { hall: h, .. } => ("replace_asics", hall(*h)),
                    ActionSpec::DrawDebt(_) => ("draw_debt", String::new()),
                    ActionSpec::RaiseEquity { .. } => ("raise_equity", String::new()),
                    ActionSpec::UpgradeGrid { .. } => ("upgrade_grid", String::new()),
                    ActionSpec::HostMiners(spec) => ("host_miners", hall(spec.hall)),
                }
            }
            OperatorEvent::ProjectDone(k) => ("project_done", format!("project {k}")),
            OperatorEvent::InquiryArrives(i) | OperatorEvent::InquiryExpires(i) => {
                let name = if matches!(event, OperatorEvent::InquiryArrives(_)) {
                    "inquiry"
                } else {
                    "inquiry_expires"
                };
                let subject = self.world.ai.inquiries.get(i as usize).map_or_else(
                    || format!("inquiry {i}"),
                    |q| {
                        format!(
                            "inquiry {i}: {:.1} MW for {:.1} years at ${:.0}/kW-month",
                            q.size_mw,
                            q.term_secs as f64 / SECONDS_PER_YEAR,
                            q.price
                        )
                    },
                );
                (name, subject)
            }
            OperatorEvent::LeaseStarts(k) => ("lease_starts", lease(k)),
            OperatorEvent::LeaseRamps(k) => ("lease_ramps", lease(k)),
            OperatorEvent::LeaseRentStarts(k) => ("lease_rent_starts", lease(k)),
            OperatorEvent::LeaseEscalates(k) => ("lease_escalates", lease(k)),
            OperatorEvent::LeaseEnds(k) => ("lease_ends", lease(k)),
            OperatorEvent::LeaseDefaults(k) => ("lease_defaults", lease(k)),
            OperatorEvent::LeaseCancelDeadline(k) => ("lease_cancel_deadline", lease(k)),
            OperatorEvent::AsicsLeave(h) => ("asics_leave", hall(h as usize)),
            OperatorEvent::GpuCloudRetires(k) => ("gpu_cloud_retires", format!("deployment {k}")),
            OperatorEvent::GpuContractEnds(k) => ("gpu_contract_ends", format!("deployment {k}")),
            OperatorEvent::HostingEnds(k) => ("hosting_ends", format!("hosting contract {k}")),
            OperatorEvent::HostingClientDefaults(k) => {
                ("hosting_client_defaults", format!("hosting contract {k}"))
            }
            OperatorEvent::DebtDrawn(k) => ("debt_drawn", format!("debt {k}")),
            OperatorEvent::LargestTenantDefaults => ("largest_tenant_defaults", String::new()),
            OperatorEvent::GridDown(s, _) | OperatorEvent::GridUp(s, _) => {
                let site = self
                    .model
                    .sites
                    .get(usize::from(s))
                    .map_or_else(|| format!("site {s}"), |x| x.name.clone());
                let name = if matches!(event, OperatorEvent::GridDown(..)) {
                    "grid_down"
                } else {
                    "grid_up"
                };
                (name, site)
            }
            OperatorEvent::CoolingDown(h, _) => ("cooling_down", hall(usize::from(h))),
            OperatorEvent::CoolingUp(h, _) => ("cooling_up", hall(usize::from(h))),
        }
    }
}

impl Recorder<'_, '_> {
    /// Whether `event` is about a lease that has ended in a hall the company lost.
    fn lease_lost(&self, event: OperatorEvent) -> bool {
        let k = match event {
            OperatorEvent::LeaseStarts(k)
            | OperatorEvent::LeaseRamps(k)
            | OperatorEvent::LeaseRentStarts(k)
            | OperatorEvent::LeaseEscalates(k)
            | OperatorEvent::LeaseEnds(k)
            | OperatorEvent::LeaseDefaults(k)
            | OperatorEvent::LeaseCancelDeadline(k) => k as usize,
            _ => return false,
        };
        self.operator.leases().get(k).is_some_and(|l| {
            l.state == LeaseState::Ended
                && self
                    .operator
                    .halls()
                    .get(l.hall)
                    .is_some_and(|h| h.use_ == HallUse::Foreclosed)
        })
    }
}

impl Handler<OperatorEvent> for Recorder<'_, '_> {
    fn handle(
        &mut self,
        now: SimTime,
        event: OperatorEvent,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let before = Snapshot::of(self.operator);
        let uses_before: Vec<&'static str> = self
            .operator
            .halls()
            .iter()
            .map(|h| hall_use_name(&h.use_))
            .collect();
        // (taken, owed) per project loan, to log the ones its lenders take (no allocation
        // without project loans).
        let loans_before: Vec<(bool, f64)> = self
            .operator
            .project_loans()
            .map(|(_, taken, owed)| (taken.is_some(), owed))
            .collect();
        // An event about something the company no longer has (after its default, or a lease
        // of a hall its lenders took) changes nothing, and is left out unless it does.
        let moot = (self.operator.has_defaulted()
            && !matches!(event, OperatorEvent::MonthClose(_) | OperatorEvent::End))
            || self.lease_lost(event);
        self.operator.handle(now, event, queue);
        let after = Snapshot::of(self.operator);
        let (name, subject) = self.name_and_subject(event);
        let start = self.log.len();
        if matches!(event, OperatorEvent::MonthClose(_))
            || (matches!(event, OperatorEvent::End)
                && self.statement.len() < self.operator.months().len())
        {
            if let Some(record) = self.operator.months().last() {
                self.statement.push(MonthStatement {
                    record: *record,
                    restricted_cash_usd: self.operator.restricted_cash(),
                    projects: self.operator.project_statuses(),
                });
            }
        }
        let newly_taken = self
            .operator
            .project_loans()
            .zip(&loans_before)
            .any(|((_, taken, _), (was_taken, _))| taken.is_some() && !was_taken);
        if newly_taken {
            for (a, (was_taken, owed)) in self
                .operator
                .project_statuses()
                .into_iter()
                .zip(loans_before)
            {
                if let (false, Some(reason)) = (was_taken, a.foreclosure_reason) {
                    self.log.push(TraceRecord {
                        time: now,
                        event: "lenders_take_project",
                        subject: format!("{}: {reason}", a.name),
                        quantity: "project_debt_usd",
                        before: TraceValue::Number(owed),
                        after: TraceValue::Number(a.balance_usd),
                    });
                }
            }
        }
        if before.defaulted == 0.0 && after.defaulted == 1.0 {
            self.log.push(TraceRecord {
                time: now,
                event: "company_default",
                subject: self.operator.default_reason().unwrap_or("").to_owned(),
                quantity: "",
                before: TraceValue::None,
                after: TraceValue::None,
            });
        }
        for ((quantity, b), a) in QUANTITIES.iter().zip(before.values()).zip(after.values()) {
            if b.to_bits() != a.to_bits() {
                self.log.push(TraceRecord {
                    time: now,
                    event: name,
                    subject: subject.clone(),
                    quantity,
                    before: TraceValue::Number(b),
                    after: TraceValue::Number(a),
                });
            }
        }
        for (h, (b, hall)) in uses_before.iter().zip(self.operator.halls()).enumerate() {
            let a = hall_use_name(&hall.use_);
            if *b != a {
                self.log.push(TraceRecord {
                    time: now,
                    event: name,
                    subject: self
                        .model
                        .halls
                        .get(h)
                        .map_or_else(String::new, |s| s.name.clone()),
                    quantity: "hall_use",
                    before: TraceValue::Text(b),
                    after: TraceValue::Text(a),
                });
            }
        }
        // Days change nothing tracked most of the time; other events are always listed,
        // unless they are moot.
        if self.log.len() == start && !matches!(event, OperatorEvent::Day(_)) && !moot {
            self.log.push(TraceRecord {
                time: now,
                event: name,
                subject,
                quantity: "",
                before: TraceValue::None,
                after: TraceValue::None,
            });
        }
    }
}

/// Runs replication `replication` of plan `plan` and returns its trace: the event log in
/// time order (world events first at equal times), the monthly statement and the metrics.
pub fn trace_plan(model: &CompiledScenario, plan: usize, seed: u64, replication: u64) -> Trace {
    let mut world = World::default();
    world.generate_variant(model, model.plans[plan].variant, seed, replication);
    let mut queue = EventQueue::new();
    let mut operator = Operator::new(model, &world, &model.plans[plan], seed, replication);
    operator.schedule_initial(&mut queue);
    let mut recorder = Recorder {
        operator: &mut operator,
        model,
        plan,
        world: &world,
        log: Vec::new(),
        statement: Vec::new(),
    };
    run_until(&mut queue, &mut recorder, model.end);
    let operator_log = recorder.log;
    let statement = recorder.statement;
    let metrics = operator.metrics();

    let mut log: Vec<TraceRecord> = world
        .chain_events
        .iter()
        .filter(|(t, _)| *t <= model.end)
        .map(|(t, e)| match e {
            ChainEvent::Retarget { height, from, to } => TraceRecord {
                time: *t,
                event: "difficulty_retarget",
                subject: format!("block {height}"),
                quantity: "difficulty",
                before: TraceValue::Number(*from),
                after: TraceValue::Number(*to),
            },
            ChainEvent::Halving {
                height,
                subsidy_btc,
            } => TraceRecord {
                time: *t,
                event: "halving",
                subject: format!("block {height}"),
                quantity: "subsidy_btc",
                before: TraceValue::Number(subsidy_btc * 2.0),
                after: TraceValue::Number(*subsidy_btc),
            },
        })
        .collect();
    log.extend(operator_log);
    // Stable: world events stay ahead of operator events at the same instant, and operator
    // events keep their processing order.
    log.sort_by_key(|r| r.time);
    Trace {
        log,
        statement,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_scenario as scenario;

    #[test]
    fn a_traced_run_is_the_untraced_run_and_lists_what_happened() {
        let loaded = scenario::load_default().unwrap();
        let model = CompiledScenario::new(&loaded.scenario).unwrap();
        // The convert-half plan: conversions, inquiries, leases, month closes.
        let plan = 1;
        let Trace {
            log,
            statement,
            metrics: traced,
        } = trace_plan(&model, plan, 42, 3);
        // The statement has one month per close, as the run's records.
        assert_eq!(statement.len(), crate::months_per_run(&model));
        let mut world = World::default();
        world.generate_variant(&model, model.plans[plan].variant, 42, 3);
        let mut queue = EventQueue::new();
        let plain = crate::simulate_plan(&model, &world, plan, 42, 3, &mut queue, None);
        // Tracing observes only: the metrics agree to the bit.
        for (a, b) in traced.values.iter().zip(plain.values.iter()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert!(log.windows(2).all(|w| w[0].time <= w[1].time), "time order");
        let has = |e: &str| log.iter().any(|r| r.event == e);
        for e in [
            "difficulty_retarget",
            "halving",
            "inquiry",
            "convert_hall",
            "month_close",
        ] {
            assert!(has(e), "no {e} in the trace");
        }
        // One month close per month, each booking cash.
        let closes = log
            .iter()
            .filter(|r| r.event == "month_close" && r.quantity == "cash_usd")
            .count();
        assert!(closes >= 100, "{closes} month closes moved cash");
        // The halving halves the subsidy: 3.125 → 1.5625 BTC for the 2028 halving.
        let halving = log.iter().find(|r| r.event == "halving").unwrap();
        assert_eq!(halving.before, TraceValue::Number(3.125));
        assert_eq!(halving.after, TraceValue::Number(1.5625));
        // A conversion shows as the hall leaving ASIC use.
        assert!(log.iter().any(|r| r.quantity == "hall_use"
            && r.before == TraceValue::Text("asic")
            && r.after == TraceValue::Text("converting")));
    }
}
