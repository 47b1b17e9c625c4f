//! The operator under one plan: halls, fleets, tenants, projects, and the books.
//!
//! Between events the state is piecewise constant, and everything that accrues (revenue,
//! energy, curtailment, rent, opex, capex) is integrated exactly as rate × elapsed time. The
//! hourly energy price, the market's revenue rate and the daily GPU-hour price are read from
//! the shared [`World`] by sweeping over hour and segment boundaries inside
//! [`Operator::advance`], so hourly ticks never pass through the event queue. Events are what
//! changes the operator's own state: failures and repairs, plan actions, projects finishing,
//! inquiries, leases, month closes and reviews, and the horizon.
//!
//! Rent and opex are monthly amounts: they accrue at amount / (seconds in the current calendar
//! month), so a full month bills its monthly amount (to a few roundings per run between
//! events) and a partial one pro rata.

mod actions;
#[cfg(test)]
mod sweep_tests;
mod tenancy;

use pivotsim_engine::math;
use std::collections::VecDeque;

use rand::rngs::ChaCha8Rng;

use crate::compiled::{CompiledScenario, FleetSpec, HallShape, PlanSpec, ShockSpec};
use crate::finance::{DefaultReason, Depreciation, Loan, Trailing, irr_monthly};
use crate::fleet::FleetState;
use crate::metrics::{Metric, RunMetrics, Series};
use crate::world::World;
use crate::world::energy::PriceSummary;
use crate::world::streams::StreamKind;
use pivotsim_engine::{
    EventQueue, HOURS_PER_DAY, Handler, SECONDS_PER_AVG_MONTH, SECONDS_PER_DAY, SECONDS_PER_HOUR,
    SECONDS_PER_YEAR, SimTime, stream,
};
use pivotsim_scenario::{HallState, TerminalValue};

pub use tenancy::{InquiryStatus, Lease, LeaseState};

/// What happens to the operator, in time order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OperatorEvent {
    /// Start of day `n`: failures and repairs.
    Day(u64),
    /// A month ends: book its cash flows, then review the plan's rules.
    MonthClose(usize),
    /// The horizon: book the last (partial) month and stop.
    End,
    /// The plan's action `k` (index into the time-sorted list) is due.
    Action(u32),
    /// Project `k` (a conversion or grid upgrade) is finished.
    ProjectDone(u32),
    /// World inquiry `i` arrives.
    InquiryArrives(u32),
    /// Waiting inquiry `i` runs out of patience.
    InquiryExpires(u32),
    /// Lease `k` is due to start billing.
    LeaseStarts(u32),
    /// Lease `k` steps up its ramp.
    LeaseRamps(u32),
    /// Lease `k` reaches an anniversary: the escalator applies.
    LeaseEscalates(u32),
    /// Lease `k` reaches the end of its term.
    LeaseEnds(u32),
    /// Lease `k`'s tenant defaults.
    LeaseDefaults(u32),
    /// GPU-cloud deployment `k` reaches the end of its life.
    GpuCloudRetires(u32),
    /// The scenario's debt `k` is drawn.
    DebtDrawn(u32),
    /// A scheduled shock: the largest billing lease defaults.
    LargestTenantDefaults,
    /// Grid outage `k` of site `s` starts.
    GridDown(u16, u32),
    /// Grid outage `k` of site `s` ends.
    GridUp(u16, u32),
    /// Cooling failure `k` of hall `h` starts.
    CoolingDown(u16, u32),
    /// Cooling failure `k` of hall `h` ends.
    CoolingUp(u16, u32),
}

/// Money and energy accrued over an interval.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Flows {
    /// Mining revenue after pool fees, USD.
    pub mining_revenue_usd: f64,
    /// Demand-response credits, USD.
    pub dr_credits_usd: f64,
    /// Rent from colocation leases, USD.
    pub lease_revenue_usd: f64,
    /// GPU-hour revenue of operator-owned GPUs, USD.
    pub gpu_cloud_revenue_usd: f64,
    /// Energy bought at the hourly price, USD.
    pub spot_energy_usd: f64,
    /// PPA settlement, USD: the block's contract price minus the hourly price, times its
    /// volume. Negative when power is worth more than the contract (the site gains).
    pub ppa_settlement_usd: f64,
    /// Operating cost, USD.
    pub opex_usd: f64,
    /// Capital spent, USD (conversions, grid upgrades, ASICs, GPUs).
    pub capex_usd: f64,
    /// Of which conversions, USD.
    pub conversion_capex_usd: f64,
    /// Proceeds of ASICs sold, USD.
    pub salvage_usd: f64,
    /// Facility energy drawn, MWh.
    pub energy_mwh: f64,
    /// Facility energy not drawn because machines were curtailed, MWh.
    pub curtailed_mwh: f64,
    /// Hashing done, TH/s × seconds.
    pub th_seconds: f64,
    /// Leased capacity (billing leases, contracted MW) × seconds.
    pub leased_mw_seconds: f64,
    /// Vacant GPU-ready capacity, MW × seconds.
    pub vacant_gpu_mw_seconds: f64,
    /// Loans drawn, USD.
    pub debt_draws_usd: f64,
    /// Interest paid, USD (booked at the month's close).
    pub interest_usd: f64,
    /// Principal repaid, USD (booked at the month's close).
    pub principal_usd: f64,
    /// Taxes paid, USD (booked at the month's close).
    pub taxes_usd: f64,
    /// Service credits owed to tenants for downtime, USD (booked at the month's close).
    pub sla_credits_usd: f64,
    /// Site-hours of grid outage (summed over sites).
    pub grid_outage_hours: f64,
}

impl Flows {
    /// Every field with its name, for comparisons in tests.
    #[cfg(test)]
    pub(crate) fn values(&self) -> [(&'static str, f64); 21] {
        [
            ("mining_revenue_usd", self.mining_revenue_usd),
            ("dr_credits_usd", self.dr_credits_usd),
            ("lease_revenue_usd", self.lease_revenue_usd),
            ("gpu_cloud_revenue_usd", self.gpu_cloud_revenue_usd),
            ("spot_energy_usd", self.spot_energy_usd),
            ("ppa_settlement_usd", self.ppa_settlement_usd),
            ("opex_usd", self.opex_usd),
            ("capex_usd", self.capex_usd),
            ("conversion_capex_usd", self.conversion_capex_usd),
            ("salvage_usd", self.salvage_usd),
            ("energy_mwh", self.energy_mwh),
            ("curtailed_mwh", self.curtailed_mwh),
            ("th_seconds", self.th_seconds),
            ("leased_mw_seconds", self.leased_mw_seconds),
            ("vacant_gpu_mw_seconds", self.vacant_gpu_mw_seconds),
            ("debt_draws_usd", self.debt_draws_usd),
            ("interest_usd", self.interest_usd),
            ("principal_usd", self.principal_usd),
            ("taxes_usd", self.taxes_usd),
            ("sla_credits_usd", self.sla_credits_usd),
            ("grid_outage_hours", self.grid_outage_hours),
        ]
    }

    /// GPU revenue (leases net of SLA credits, and GPU cloud), USD.
    pub fn gpu_revenue(&self) -> f64 {
        self.lease_revenue_usd - self.sla_credits_usd + self.gpu_cloud_revenue_usd
    }

    /// All revenue, USD.
    pub fn revenue(&self) -> f64 {
        self.mining_revenue_usd + self.dr_credits_usd + self.gpu_revenue()
    }

    /// Energy cost, USD.
    pub fn energy_cost(&self) -> f64 {
        self.spot_energy_usd + self.ppa_settlement_usd
    }

    /// EBITDA: revenue − energy − opex, USD.
    pub fn ebitda(&self) -> f64 {
        self.revenue() - self.energy_cost() - self.opex_usd
    }

    /// Net cash flow, USD: EBITDA − capex + salvage + loans drawn − debt service − taxes.
    pub fn net_cash(&self) -> f64 {
        self.ebitda() - self.capex_usd + self.salvage_usd + self.debt_draws_usd
            - self.interest_usd
            - self.principal_usd
            - self.taxes_usd
    }

    /// Unlevered cash flow (for IRR and payback), USD: EBITDA − capex + salvage − taxes.
    pub fn project_cash(&self) -> f64 {
        self.ebitda() - self.capex_usd + self.salvage_usd - self.taxes_usd
    }

    fn add(&mut self, o: &Flows) {
        self.mining_revenue_usd += o.mining_revenue_usd;
        self.dr_credits_usd += o.dr_credits_usd;
        self.lease_revenue_usd += o.lease_revenue_usd;
        self.gpu_cloud_revenue_usd += o.gpu_cloud_revenue_usd;
        self.spot_energy_usd += o.spot_energy_usd;
        self.ppa_settlement_usd += o.ppa_settlement_usd;
        self.opex_usd += o.opex_usd;
        self.capex_usd += o.capex_usd;
        self.conversion_capex_usd += o.conversion_capex_usd;
        self.salvage_usd += o.salvage_usd;
        self.energy_mwh += o.energy_mwh;
        self.curtailed_mwh += o.curtailed_mwh;
        self.th_seconds += o.th_seconds;
        self.leased_mw_seconds += o.leased_mw_seconds;
        self.vacant_gpu_mw_seconds += o.vacant_gpu_mw_seconds;
        self.debt_draws_usd += o.debt_draws_usd;
        self.interest_usd += o.interest_usd;
        self.principal_usd += o.principal_usd;
        self.taxes_usd += o.taxes_usd;
        self.sla_credits_usd += o.sla_credits_usd;
        self.grid_outage_hours += o.grid_outage_hours;
    }
}

/// One closed month.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MonthRecord {
    /// When the month was closed (its end).
    pub end: SimTime,
    /// What accrued during it.
    pub flows: Flows,
    /// Cash after booking it, USD.
    pub cash_after_usd: f64,
    /// Leased capacity at the close, MW IT (billing leases).
    pub leased_mw: f64,
    /// Whether the run has defaulted by the close.
    pub defaulted: bool,
}

/// What a hall is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HallUse {
    /// Hashing.
    Asic,
    /// Offline for conversion; GPU-ready at the given time.
    Converting(SimTime),
    /// GPU-ready: hosts leases and GPU-cloud deployments.
    GpuReady,
    /// Empty and unpowered.
    Idle,
}

/// A hall's state under the plan.
#[derive(Debug, Clone)]
pub struct HallRuntime {
    /// Site index.
    pub site: usize,
    /// Current use.
    pub use_: HallUse,
    /// Current (or, while converting, future) shape.
    pub shape: HallShape,
    /// GPU capacity promised to leases and GPU clouds (signed, waiting or billing), MW IT.
    pub committed_mw: f64,
    /// Racks promised to them.
    pub committed_racks: u64,
}

impl HallRuntime {
    /// GPU capacity not yet promised, MW IT.
    pub fn free_gpu_mw(&self) -> f64 {
        (self.shape.it_capacity_mw() - self.committed_mw).max(0.0)
    }
}

/// One ASIC fleet with its state and failure stream.
struct Fleet {
    spec: FleetSpec,
    state: FleetState,
    rng: ChaCha8Rng,
    /// Share of its working units that can run now (0 in a grid outage, less in a cooling
    /// failure).
    online: f64,
}

/// Operator-owned GPUs in a hall.
#[derive(Debug)]
struct GpuCloud {
    hall: usize,
    gpus: u32,
    kw_per_gpu: f64,
    utilization: f64,
    life_secs: u64,
    /// Waiting for the hall, renting, or retired.
    state: CloudState,
    /// GPUs failed and awaiting replacement.
    failures: FleetState,
    daily_failure_prob: f64,
    rng: ChaCha8Rng,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CloudState {
    Pending,
    Active,
    Retired,
}

/// A conversion or grid upgrade under way.
#[derive(Debug, Clone)]
struct Project {
    /// Capex rate while under way, USD per second.
    rate: f64,
    /// Whether it is a conversion (for the conversion-capex metric).
    conversion: bool,
    /// What finishing does.
    kind: ProjectKind,
    done: bool,
}

#[derive(Debug, Clone, Copy)]
enum ProjectKind {
    Conversion { hall: usize },
    Grid { site: usize, add_mw: f64 },
}

/// Quantities derived from the state, constant between events, used by the accrual sweep.
#[derive(Debug, Clone, Default)]
struct Rates {
    lease_usd_per_month: f64,
    leased_mw: f64,
    paid_tenant_facility_mw: f64,
    passthrough_facility_mw: f64,
    gpus_rented: f64,
    opex_usd_per_month: f64,
    capex_usd_per_sec: f64,
    conversion_capex_usd_per_sec: f64,
    vacant_gpu_mw: f64,
    /// Billing leases that are (partly) down now: (lease, share down).
    down_leases: Vec<(usize, f64)>,
    /// Sites whose grid is down now.
    sites_down: f64,
}

impl Rates {
    /// Books what accrues at a constant rate over `secs` seconds (`hours` hours, `months` of
    /// the current month): rent, opex, capex, leased and vacant MW-seconds, outage hours, and
    /// the billing leases' downtime.
    fn accrue_constants(
        &self,
        secs: f64,
        hours: f64,
        months: f64,
        m: &mut Flows,
        leases: &mut [Lease],
    ) {
        m.lease_revenue_usd += self.lease_usd_per_month * months;
        m.opex_usd += self.opex_usd_per_month * months;
        m.capex_usd += self.capex_usd_per_sec * secs;
        m.conversion_capex_usd += self.conversion_capex_usd_per_sec * secs;
        m.leased_mw_seconds += self.leased_mw * secs;
        m.vacant_gpu_mw_seconds += self.vacant_gpu_mw * secs;
        m.grid_outage_hours += self.sites_down * hours;
        for &(k, down) in &self.down_leases {
            leases[k].downtime_secs += down * secs;
        }
    }
}

/// One working fleet's constants over a run of whole hours (see [`Operator::accrue_hours`]).
#[derive(Debug, Clone, Copy)]
struct SweepFleet {
    /// It hashes while the hour's price is below this, USD/MWh.
    threshold: f64,
    /// Facility energy of one hour, MWh.
    mwh: f64,
    /// Mining revenue of one hour, USD.
    revenue: f64,
    /// Hashing of one hour, TH/s × seconds.
    th_seconds: f64,
    /// Demand-response trigger of its site, USD/MWh.
    dr_trigger: f64,
    /// Demand-response credits of one curtailed hour, USD.
    dr_credits: f64,
}

/// Outages in force: per site, outages active and those with failed generators; per hall,
/// the summed derate of active cooling failures.
#[derive(Debug, Clone, Default)]
struct OutageState {
    grid_active: Vec<u32>,
    generators_failed: Vec<u32>,
    cooling_derate: Vec<f64>,
}

/// Counts that are not cash flows.
#[derive(Debug, Clone, Default)]
struct Tallies {
    inquiries: u64,
    lost_inquiries: u64,
    lost_mw: f64,
    lost_contract_value_usd: f64,
    tenant_defaults: u64,
}

/// The operator's state under one plan in one replication.
pub struct Operator<'a> {
    model: &'a CompiledScenario,
    world: &'a World,
    plan: &'a PlanSpec,
    seed: u64,
    replication: u64,
    /// Everything before this time has been accrued.
    clock: SimTime,
    /// Index of the market segment in force at `clock`.
    segment: usize,
    /// Index of the current month (into `model.month_secs`).
    month_index: usize,
    fleets: Vec<Fleet>,
    halls: Vec<HallRuntime>,
    grid_mw: Vec<f64>,
    leases: Vec<Lease>,
    clouds: Vec<GpuCloud>,
    projects: Vec<Project>,
    waiting: VecDeque<u32>,
    inquiry_status: Vec<InquiryStatus>,
    lost_times: Vec<SimTime>,
    rule_conversions: Vec<u32>,
    rates: Rates,
    tallies: Tallies,
    month: Flows,
    total: Flows,
    cash: f64,
    npv: f64,
    months: Vec<MonthRecord>,
    books: Books,
    outage_state: OutageState,
    /// Tests: accrue hour by hour through [`Operator::accrue`] only, as the reference that
    /// the run accrual of [`Operator::accrue_hours`] must match up to rounding.
    #[cfg(test)]
    reference_sweep: bool,
}

/// Debt, depreciation, covenant and valuation state.
#[derive(Debug, Default)]
struct Books {
    loans: Vec<Loan>,
    depreciation: Depreciation,
    trailing: Trailing,
    /// EBITDA of the last twelve months, for the terminal value.
    trailing_ebitda: std::collections::VecDeque<f64>,
    breached_months: u32,
    default: Option<(SimTime, DefaultReason)>,
    /// Unlevered monthly flows; index 0 is time zero (no outlay).
    project_flows: Vec<f64>,
    min_cash: f64,
    min_cash_month: usize,
    terminal_value: f64,
}

impl<'a> Operator<'a> {
    /// The operator at time zero under `plan`, with the scenario's installed fleets.
    pub fn new(
        model: &'a CompiledScenario,
        world: &'a World,
        plan: &'a PlanSpec,
        seed: u64,
        replication: u64,
    ) -> Self {
        let mut op = Operator {
            model,
            world,
            plan,
            seed,
            replication,
            clock: SimTime::ZERO,
            segment: 0,
            month_index: 0,
            fleets: Vec::with_capacity(model.fleets.len()),
            halls: model
                .halls
                .iter()
                .map(|h| HallRuntime {
                    site: h.site,
                    use_: match h.state {
                        HallState::Asic => HallUse::Asic,
                        HallState::GpuReady => HallUse::GpuReady,
                        HallState::Idle => HallUse::Idle,
                    },
                    shape: h.shape,
                    committed_mw: 0.0,
                    committed_racks: 0,
                })
                .collect(),
            grid_mw: model.sites.iter().map(|s| s.grid_mw).collect(),
            leases: Vec::new(),
            clouds: Vec::new(),
            projects: Vec::new(),
            waiting: VecDeque::new(),
            inquiry_status: vec![InquiryStatus::NotYet; world.ai.inquiries.len()],
            lost_times: Vec::new(),
            rule_conversions: vec![0; plan.rules.len()],
            rates: Rates::default(),
            tallies: Tallies::default(),
            month: Flows::default(),
            total: Flows::default(),
            cash: model.starting_cash,
            npv: 0.0,
            months: Vec::with_capacity(model.month_starts.len() + 1),
            books: Books {
                project_flows: vec![0.0],
                min_cash: model.starting_cash,
                ..Books::default()
            },
            outage_state: OutageState {
                grid_active: vec![0; model.sites.len()],
                generators_failed: vec![0; model.sites.len()],
                cooling_derate: vec![0.0; model.halls.len()],
            },
            #[cfg(test)]
            reference_sweep: false,
        };
        for spec in &model.fleets {
            op.add_fleet(spec.clone());
        }
        // Debts without a drawing date are outstanding at the start: no cash arrives.
        for debt in model.finance.debts.iter().filter(|d| d.drawn.is_none()) {
            op.books.loans.push(Loan::drawn(debt.clone()));
        }
        op.refresh_rates();
        op
    }

    /// Adds a fleet with its own failure stream (instance = its position in the list).
    fn add_fleet(&mut self, spec: FleetSpec) {
        let instance = u16::try_from(self.fleets.len()).unwrap_or(u16::MAX);
        let rng = stream(
            self.seed,
            self.replication,
            StreamKind::AsicFailures.process(instance),
        );
        let state = FleetState::new(spec.units, spec.repair_days);
        self.fleets.push(Fleet {
            spec,
            state,
            rng,
            online: 1.0,
        });
    }

    /// Schedules the operator's first events. Every month close is scheduled first, so that
    /// anything dated on the 1st of a month (sequence numbers order same-time events) falls
    /// in the month it opens, not the one it closes.
    pub fn schedule_initial(&self, queue: &mut EventQueue<OperatorEvent>) {
        for (k, at) in self.model.month_starts.iter().enumerate() {
            queue.schedule(*at, OperatorEvent::MonthClose(k));
        }
        queue.schedule_tick(SimTime::ZERO, OperatorEvent::Day(0));
        for (k, a) in self.plan.actions.iter().enumerate() {
            queue.schedule(a.at, OperatorEvent::Action(k as u32));
        }
        for (i, inq) in self.world.ai.inquiries.iter().enumerate() {
            queue.schedule(inq.at, OperatorEvent::InquiryArrives(i as u32));
        }
        for (k, debt) in self.model.finance.debts.iter().enumerate() {
            if let Some(at) = debt.drawn {
                queue.schedule(at, OperatorEvent::DebtDrawn(k as u32));
            }
        }
        for (site, list) in self.world.outages.grid.iter().enumerate() {
            for (k, o) in list.iter().enumerate() {
                queue.schedule(o.from, OperatorEvent::GridDown(site as u16, k as u32));
                queue.schedule(o.to, OperatorEvent::GridUp(site as u16, k as u32));
            }
        }
        for (hall, list) in self.world.outages.cooling.iter().enumerate() {
            for (k, o) in list.iter().enumerate() {
                queue.schedule(o.from, OperatorEvent::CoolingDown(hall as u16, k as u32));
                queue.schedule(o.to, OperatorEvent::CoolingUp(hall as u16, k as u32));
            }
        }
        for shock in &self.world.shocks {
            if let ShockSpec::LargestTenantDefaults { at } = shock {
                queue.schedule(*at, OperatorEvent::LargestTenantDefaults);
            }
        }
        queue.schedule(self.model.end, OperatorEvent::End);
    }

    /// Accrues everything from the clock up to `to`.
    ///
    /// Runs of whole hours inside one market segment (between two events, so at most a day:
    /// ASIC failures are drawn at every midnight) go through [`Operator::accrue_hours`], which
    /// books the run at once; the ragged ends (events and segment boundaries inside an hour)
    /// go through [`Operator::accrue`], one term per piece.
    pub fn advance(&mut self, to: SimTime) {
        let world = self.world;
        // Default is absorbing: a defaulted operator accrues nothing, so only the clock and
        // the segment index move.
        let defaulted = self.books.default.is_some();
        #[cfg(test)]
        if self.reference_sweep {
            return self.advance_hour_by_hour(to);
        }
        while self.clock < to {
            let segment_end = world.segment_end(self.segment, self.model.end);
            let rate = world
                .segments
                .get(self.segment)
                .map_or(0.0, |s| s.usd_per_th_second);
            let stop = to.min(segment_end);
            let until = if defaulted {
                stop
            } else if self.clock.secs() % SECONDS_PER_HOUR == 0
                && stop.secs_since(self.clock) >= SECONDS_PER_HOUR
            {
                let first = self.clock.hour_index();
                let count = stop.secs_since(self.clock) / SECONDS_PER_HOUR;
                self.accrue_hours(first, count, rate);
                SimTime::from_hours(first + count)
            } else {
                let hour = self.clock.hour_index();
                let until = stop.min(SimTime::from_hours(hour + 1));
                let (price, gpu_price) = world.prices_at(hour);
                self.accrue(until.secs_since(self.clock) as f64, price, rate, gpu_price);
                until
            };
            self.clock = until;
            if until == segment_end && self.segment + 1 < world.segments.len() {
                self.segment += 1;
            }
        }
    }

    /// The plain sweep that [`Operator::advance`] must reproduce: one [`Operator::accrue`] per
    /// hour or segment piece.
    #[cfg(test)]
    fn advance_hour_by_hour(&mut self, to: SimTime) {
        let world = self.world;
        while self.clock < to {
            let hour = self.clock.hour_index();
            let segment_end = world.segment_end(self.segment, self.model.end);
            let until = to.min(SimTime::from_hours(hour + 1)).min(segment_end);
            let (price, gpu_price) = world.prices_at(hour);
            let rate = world
                .segments
                .get(self.segment)
                .map_or(0.0, |s| s.usd_per_th_second);
            self.accrue(until.secs_since(self.clock) as f64, price, rate, gpu_price);
            self.clock = until;
            if until == segment_end && self.segment + 1 < world.segments.len() {
                self.segment += 1;
            }
        }
    }

    /// Accrues `count` whole hours from hour `first`, all at mining revenue rate `rate`, as
    /// one run: nothing but the hourly energy price changes within it. Each term that does
    /// not depend on the price is booked once, as its hourly rate × the run's length, and so
    /// is each fleet whose decision holds for the whole run (it hashes when the run's highest
    /// price is below its threshold, with energy cost MWh × the sum of the prices; it is
    /// curtailed when the lowest is not). A fleet that switches within the run is booked from
    /// counts: its hashing hours and their summed prices ([`SweepFleet::accrue_run`]). The
    /// hour-by-hour sweep of [`Operator::accrue`] gives the same flows up to rounding, with
    /// ~24 times more roundings (`sweep_tests` bounds the difference and checks which is
    /// nearer the exact value).
    fn accrue_hours(&mut self, first: u64, count: u64, rate: f64) {
        const SECS: f64 = SECONDS_PER_HOUR as f64;
        let world = self.world;
        let Some((prices, summary)) = world.price_run(first as usize, count as usize) else {
            // Past the price path (not reached from a valid scenario): the plain sweep.
            for hour in first..first + count {
                let (price, gpu_price) = world.prices_at(hour);
                self.accrue(SECS, price, rate, gpu_price);
            }
            return;
        };
        let hours = count as f64;
        let secs = SECS * hours;
        let months = secs
            / self
                .model
                .month_secs
                .get(self.month_index)
                .copied()
                .unwrap_or(SECONDS_PER_AVG_MONTH);
        let m = &mut self.month;
        for fleet in &self.fleets {
            let working = f64::from(fleet.state.working()) * fleet.online;
            if working == 0.0 {
                continue;
            }
            let spec = &fleet.spec;
            let site = &self.model.sites[spec.site];
            let net_rate = rate * site.revenue_share;
            let mwh = working * spec.facility_mw_per_unit;
            let th = working * spec.th_per_unit;
            let fleet = SweepFleet {
                threshold: net_rate * spec.breakeven_factor,
                mwh,
                revenue: th * net_rate * SECS,
                th_seconds: th * SECS,
                dr_trigger: site.dr_trigger,
                dr_credits: mwh * site.dr_credit,
            };
            fleet.accrue_run(prices, summary, m);
        }
        let r = &self.rates;
        let paid_mwh = r.paid_tenant_facility_mw * hours;
        m.energy_mwh += paid_mwh + r.passthrough_facility_mw * hours;
        m.spot_energy_usd += r.paid_tenant_facility_mw * summary.sum;
        if r.gpus_rented != 0.0 {
            // The GPU-hour price is daily: one term per day the run touches.
            let end = first + count;
            let mut hour = first;
            while hour < end {
                let day = hour / HOURS_PER_DAY;
                let until = end.min((day + 1) * HOURS_PER_DAY);
                let gpu_price = world.ai.gpu_price_daily.get(day as usize).copied();
                m.gpu_cloud_revenue_usd +=
                    r.gpus_rented * gpu_price.unwrap_or(0.0) * (until - hour) as f64;
                hour = until;
            }
        }
        r.accrue_constants(secs, hours, months, m, &mut self.leases);
        for site in &self.model.sites {
            // Σ block · (contract − price) over the hours.
            m.ppa_settlement_usd += site.ppa_block_mw * (site.ppa_price * hours - summary.sum);
        }
    }

    /// Accrues `secs` seconds at one energy price (USD/MWh), one mining revenue rate (USD per
    /// TH/s per second, before pool fees) and one GPU-hour price (USD). A machine hashes while
    /// the price is below what its energy earns: rate × revenue share × TH/s × 3600 / facility
    /// MW. GPU loads are never curtailed.
    fn accrue(&mut self, secs: f64, price: f64, rate: f64, gpu_price: f64) {
        // Default is absorbing: a defaulted operator accrues nothing more.
        if self.books.default.is_some() {
            return;
        }
        let hours = secs / SECONDS_PER_HOUR as f64;
        let months = secs
            / self
                .model
                .month_secs
                .get(self.month_index)
                .copied()
                .unwrap_or(SECONDS_PER_AVG_MONTH);
        let m = &mut self.month;
        for fleet in &self.fleets {
            let working = f64::from(fleet.state.working()) * fleet.online;
            if working == 0.0 {
                continue;
            }
            let spec = &fleet.spec;
            let site = &self.model.sites[spec.site];
            let net_rate = rate * site.revenue_share;
            let mwh = working * spec.facility_mw_per_unit * hours;
            if price < net_rate * spec.breakeven_factor {
                let th = working * spec.th_per_unit;
                m.mining_revenue_usd += th * net_rate * secs;
                m.th_seconds += th * secs;
                m.energy_mwh += mwh;
                m.spot_energy_usd += mwh * price;
            } else {
                m.curtailed_mwh += mwh;
                if price >= site.dr_trigger {
                    m.dr_credits_usd += mwh * site.dr_credit;
                }
            }
        }
        let r = &self.rates;
        m.gpu_cloud_revenue_usd += r.gpus_rented * gpu_price * hours;
        let paid_mwh = r.paid_tenant_facility_mw * hours;
        m.energy_mwh += paid_mwh + r.passthrough_facility_mw * hours;
        m.spot_energy_usd += paid_mwh * price;
        r.accrue_constants(secs, hours, months, m, &mut self.leases);
        for site in &self.model.sites {
            m.ppa_settlement_usd += site.ppa_block_mw * hours * (site.ppa_price - price);
        }
    }

    /// Recomputes the derived rates after a change of state.
    fn refresh_rates(&mut self) {
        let mut r = Rates::default();
        let (asic_down, gpu_down) = self.outage_shares();
        r.sites_down = self
            .outage_state
            .grid_active
            .iter()
            .filter(|n| **n > 0)
            .count() as f64;
        for f in &mut self.fleets {
            f.online = 1.0 - asic_down[f.spec.hall];
        }
        for (k, lease) in self.leases.iter().enumerate() {
            if lease.state != LeaseState::Billing {
                continue;
            }
            let down = gpu_down[lease.hall];
            if down > 0.0 {
                r.down_leases.push((k, down));
            }
            let billed_mw = lease.mw * lease.billed_share;
            r.lease_usd_per_month += billed_mw * 1_000.0 * lease.price;
            r.leased_mw += lease.mw;
            let facility = billed_mw * self.halls[lease.hall].shape.pue * (1.0 - down);
            if lease.power_included {
                r.paid_tenant_facility_mw += facility;
            } else {
                r.passthrough_facility_mw += facility;
            }
        }
        for c in &self.clouds {
            if c.state == CloudState::Active {
                let up = 1.0 - gpu_down[c.hall];
                let working = f64::from(c.failures.working());
                r.gpus_rented += working * c.utilization * up;
                r.paid_tenant_facility_mw +=
                    working * c.kw_per_gpu / 1_000.0 * self.halls[c.hall].shape.pue * up;
            }
        }
        for f in &self.fleets {
            let site = &self.model.sites[f.spec.site];
            r.opex_usd_per_month +=
                site.asic_opex_usd_per_mw_month * f64::from(f.state.units) * f.spec.it_mw_per_unit;
        }
        for h in &self.halls {
            if h.use_ == HallUse::GpuReady {
                let capacity = h.shape.it_capacity_mw();
                r.opex_usd_per_month +=
                    self.model.sites[h.site].gpu_opex_usd_per_mw_month * capacity;
                r.vacant_gpu_mw += (capacity - h.committed_mw).max(0.0);
            }
        }
        for p in &self.projects {
            if !p.done {
                r.capex_usd_per_sec += p.rate;
                if p.conversion {
                    r.conversion_capex_usd_per_sec += p.rate;
                }
            }
        }
        self.rates = r;
    }

    /// The share of each hall's capacity down now, for ASICs and for GPU loads. A grid
    /// outage stops ASICs; GPU halls with backup generators ride through it unless the
    /// generators failed. Cooling failures derate by their share.
    fn outage_shares(&self) -> (Vec<f64>, Vec<f64>) {
        let o = &self.outage_state;
        let mut asic = Vec::with_capacity(self.halls.len());
        let mut gpu = Vec::with_capacity(self.halls.len());
        for (h, hall) in self.halls.iter().enumerate() {
            let cooling = o.cooling_derate[h].min(1.0);
            let grid_down = o.grid_active[hall.site] > 0;
            let generators_carry =
                hall.shape.backup_generators && o.generators_failed[hall.site] == 0;
            asic.push(if grid_down { 1.0 } else { cooling });
            gpu.push(if grid_down && !generators_carry {
                1.0
            } else {
                cooling
            });
        }
        (asic, gpu)
    }

    /// SLA credits of the month: each billing lease's downtime beyond the allowance earns
    /// `credit_per_hour` of its monthly rent per hour, capped at `cap`.
    fn sla_credits(&mut self) -> f64 {
        let Some(sla) = self.model.ai.as_ref().and_then(|a| a.sla.as_ref()) else {
            for lease in &mut self.leases {
                lease.downtime_secs = 0.0;
            }
            return 0.0;
        };
        let mut credits = 0.0;
        for lease in &mut self.leases {
            let hours = lease.downtime_secs / SECONDS_PER_HOUR as f64;
            lease.downtime_secs = 0.0;
            if lease.state != LeaseState::Billing || hours <= sla.allowance_hours_per_month {
                continue;
            }
            let share =
                ((hours - sla.allowance_hours_per_month) * sla.credit_per_hour).min(sla.cap);
            credits += share * lease.mw * lease.billed_share * 1_000.0 * lease.price;
        }
        credits
    }

    /// Books the month accrued so far at the clock: operating flows, then debt service,
    /// depreciation and taxes; tests the covenant and cash; records the month.
    fn close_month(&mut self) {
        let finance = &self.model.finance;
        if self.books.default.is_some() {
            self.month = Flows::default();
        } else {
            let base = self
                .world
                .base_rate
                .get(self.month_index)
                .copied()
                .unwrap_or(0.0);
            let (mut interest, mut principal) = (0.0, 0.0);
            for loan in &mut self.books.loans {
                let s = loan.pay_month(base);
                interest += s.interest;
                principal += s.principal;
            }
            self.month.sla_credits_usd = self.sla_credits();
            let ebitda = self.month.ebitda();
            self.books
                .depreciation
                .add(self.month.capex_usd, finance.depreciation_months);
            let depreciation = self.books.depreciation.take_month();
            self.month.interest_usd = interest;
            self.month.principal_usd = principal;
            self.month.taxes_usd = finance.tax_rate * (ebitda - interest - depreciation).max(0.0);
            self.books
                .trailing
                .push(ebitda - self.month.taxes_usd, interest + principal);
            self.books.trailing_ebitda.push_back(ebitda);
            if self.books.trailing_ebitda.len() > 12 {
                self.books.trailing_ebitda.pop_front();
            }
        }
        let net = self.month.net_cash();
        self.cash += net;
        let years = self.clock.secs() as f64 / SECONDS_PER_YEAR;
        self.npv += net * math::powf(1.0 + self.model.discount_rate, -years);
        self.books.project_flows.push(self.month.project_cash());
        self.total.add(&self.month);
        let month_number = self.months.len() + 1;
        if self.cash < self.books.min_cash {
            self.books.min_cash = self.cash;
            self.books.min_cash_month = month_number;
        }
        if self.books.default.is_none() {
            self.test_default();
            if self.books.default.is_some() {
                // The equity is wiped out: any cash left goes to the creditors.
                self.npv -= self.cash.max(0.0) * math::powf(1.0 + self.model.discount_rate, -years);
            }
        }
        self.months.push(MonthRecord {
            end: self.clock,
            flows: self.month,
            cash_after_usd: self.cash,
            leased_mw: self.rates.leased_mw,
            defaulted: self.books.default.is_some(),
        });
        self.month = Flows::default();
        self.month_index += 1;
    }

    /// Default when cash is below zero, or when the DSCR covenant has been breached for the
    /// allowed number of consecutive months.
    fn test_default(&mut self) {
        if self.cash < 0.0 {
            self.books.default = Some((self.clock, DefaultReason::Cash));
            return;
        }
        if let Some((min_dscr, allowed)) = self.model.finance.covenant {
            match self.books.trailing.dscr() {
                Some(dscr) if dscr < min_dscr => self.books.breached_months += 1,
                _ => self.books.breached_months = 0,
            }
            if self.books.breached_months >= allowed {
                self.books.default = Some((self.clock, DefaultReason::Covenant));
            }
        }
    }

    /// At the horizon: the terminal value of trailing-twelve-month EBITDA, added to the IRR
    /// flows whole and to NPV as equity (less outstanding debt, at least zero).
    fn value_at_horizon(&mut self) {
        if self.books.default.is_some() {
            return;
        }
        let ebitda: f64 = self.books.trailing_ebitda.iter().sum();
        let value = match self.model.finance.terminal {
            TerminalValue::None => 0.0,
            TerminalValue::ExitMultiple(m) => ebitda * m,
            TerminalValue::CapRate(r) => ebitda / r,
        }
        .max(0.0);
        self.books.terminal_value = value;
        let debt: f64 = self.books.loans.iter().map(|l| l.balance).sum();
        let equity = (value - debt).max(0.0);
        let years = self.clock.secs() as f64 / SECONDS_PER_YEAR;
        self.npv += equity * math::powf(1.0 + self.model.discount_rate, -years);
        if let Some(last) = self.books.project_flows.last_mut() {
            *last += value;
        }
    }

    /// Draws a loan: the cash arrives now; interest is capitalised for `grace_months`
    /// closes, then service starts.
    pub(super) fn draw_debt(&mut self, spec: crate::compiled::DebtSpec, grace_months: u32) {
        if self.books.default.is_some() {
            return;
        }
        self.month.debt_draws_usd += spec.principal;
        self.books.loans.push(Loan::with_grace(spec, grace_months));
    }

    /// Pays a lump sum now (ASICs, GPUs, a zero-lead-time project).
    fn pay_capex(&mut self, usd: f64, conversion: bool) {
        self.month.capex_usd += usd;
        if conversion {
            self.month.conversion_capex_usd += usd;
        }
    }

    /// The hashprice in force now, USD per PH/s per day.
    fn hashprice_now(&self) -> f64 {
        self.world
            .segments
            .get(self.segment)
            .map_or(0.0, |s| s.hashprice)
    }

    /// What has accrued in the month not yet closed.
    pub fn accrued_this_month(&self) -> &Flows {
        &self.month
    }

    /// Closed months so far.
    pub fn months(&self) -> &[MonthRecord] {
        &self.months
    }

    /// Whether the run has defaulted (on cash or on the covenant).
    pub fn has_defaulted(&self) -> bool {
        self.books.default.is_some()
    }

    /// Cash now, USD (months booked so far).
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// The halls' states.
    pub fn halls(&self) -> &[HallRuntime] {
        &self.halls
    }

    /// The leases signed so far.
    pub fn leases(&self) -> &[Lease] {
        &self.leases
    }

    /// The run's metrics (call after the horizon).
    pub fn metrics(&self) -> RunMetrics {
        let t = &self.total;
        let irr = irr_monthly(&self.books.project_flows);
        let mut values = [0.0; Metric::COUNT];
        let horizon_secs = self.model.end.secs().max(1) as f64;
        let month_secs = SECONDS_PER_YEAR / 12.0;
        for metric in Metric::ALL {
            values[metric.index()] = match metric {
                Metric::Revenue => t.revenue(),
                Metric::MiningRevenue => t.mining_revenue_usd + t.dr_credits_usd,
                Metric::GpuRevenue => t.gpu_revenue(),
                Metric::EnergyCost => t.energy_cost(),
                Metric::GrossMargin => t.revenue() - t.energy_cost(),
                Metric::Opex => t.opex_usd,
                Metric::Capex => t.capex_usd,
                Metric::ConversionCapex => t.conversion_capex_usd,
                Metric::SalvageProceeds => t.salvage_usd,
                Metric::EndCash => self.cash,
                Metric::Npv => self.npv,
                Metric::MeanHashprice => self.world.mean_hashprice,
                Metric::HashpriceAtHorizon => self.world.final_hashprice,
                Metric::CurtailedEnergy => t.curtailed_mwh,
                Metric::EnergyUsed => t.energy_mwh,
                Metric::MeanHashrateOnline => t.th_seconds / horizon_secs / 1_000.0,
                Metric::LeasedMwMean => t.leased_mw_seconds / horizon_secs,
                Metric::LeasedMwAtHorizon => self.rates.leased_mw,
                Metric::VacantGpuMwMonths => t.vacant_gpu_mw_seconds / month_secs,
                Metric::Inquiries => self.tallies.inquiries as f64,
                Metric::LostInquiries => self.tallies.lost_inquiries as f64,
                Metric::LostMw => self.tallies.lost_mw,
                Metric::LostContractValue => self.tallies.lost_contract_value_usd,
                Metric::TenantDefaults => self.tallies.tenant_defaults as f64,
                Metric::YearsToFirstHalving => {
                    self.world.years_to_first_halving.unwrap_or(f64::NAN)
                }
                Metric::Interest => t.interest_usd,
                Metric::SlaCredits => t.sla_credits_usd,
                Metric::GridOutageHours => t.grid_outage_hours,
                Metric::PrincipalRepaid => t.principal_usd,
                Metric::Taxes => t.taxes_usd,
                Metric::TerminalValue => self.books.terminal_value,
                Metric::Irr => irr.unwrap_or(f64::NAN),
                Metric::IrrDefined => f64::from(u8::from(irr.is_some())),
                Metric::MinCash => self.books.min_cash,
                Metric::MinCashMonth => self.books.min_cash_month as f64,
                Metric::PaybackMonth => payback_month(&self.books.project_flows),
                Metric::Defaulted => f64::from(u8::from(self.books.default.is_some())),
                Metric::DefaultYears => self
                    .books
                    .default
                    .map_or(f64::NAN, |(t, _)| t.secs() as f64 / SECONDS_PER_YEAR),
                Metric::DefaultedOnCash => f64::from(u8::from(matches!(
                    self.books.default,
                    Some((_, DefaultReason::Cash))
                ))),
                Metric::DefaultedOnCovenant => f64::from(u8::from(matches!(
                    self.books.default,
                    Some((_, DefaultReason::Covenant))
                ))),
            };
        }
        RunMetrics { values }
    }

    /// Appends the run's monthly series to `out`: for each closed month, one value per
    /// [`Series`] in order.
    pub fn write_series(&self, out: &mut Vec<f64>) {
        let mut start = SimTime::ZERO;
        for m in &self.months {
            let secs = m.end.secs_since(start).max(1) as f64;
            for series in Series::ALL {
                out.push(match series {
                    Series::Cash => m.cash_after_usd,
                    Series::MiningRevenue => m.flows.mining_revenue_usd + m.flows.dr_credits_usd,
                    Series::GpuRevenue => m.flows.gpu_revenue(),
                    Series::Hashprice => self.world.mean_hashprice_between(start, m.end),
                    Series::LeasedMw => m.leased_mw,
                    Series::HashrateOnline => m.flows.th_seconds / secs / 1_000.0,
                    Series::Defaulted => f64::from(u8::from(m.defaulted)),
                });
            }
            start = m.end;
        }
    }

    /// Checks the physical invariants of DESIGN §3.4 for the current state:
    /// - each site's load (every working machine hashing, every billing tenant and active GPU
    ///   cloud drawing) times PUE is within its grid limit;
    /// - each ASIC hall's IT load is within its cooling and rack density, and its racks within
    ///   its slots;
    /// - each GPU hall's promised capacity and racks are within its capacity and slots.
    pub fn check_invariants(&self) -> Result<(), String> {
        const SLACK: f64 = 1.0 + 1e-9;
        let mut site_mw = vec![0.0; self.model.sites.len()];
        let mut hall_it_mw = vec![0.0; self.halls.len()];
        let mut hall_racks = vec![0u64; self.halls.len()];
        for f in &self.fleets {
            let working = f64::from(f.state.working());
            site_mw[f.spec.site] += working * f.spec.facility_mw_per_unit;
            hall_it_mw[f.spec.hall] += f64::from(f.state.units) * f.spec.it_mw_per_unit;
            hall_racks[f.spec.hall] +=
                u64::from(f.state.units).div_ceil(u64::from(f.spec.units_per_rack));
        }
        for lease in &self.leases {
            if lease.state == LeaseState::Billing {
                let hall = &self.halls[lease.hall];
                site_mw[hall.site] += lease.mw * lease.billed_share * hall.shape.pue;
            }
        }
        for c in &self.clouds {
            if c.state == CloudState::Active {
                let hall = &self.halls[c.hall];
                site_mw[hall.site] += f64::from(c.gpus) * c.kw_per_gpu / 1_000.0 * hall.shape.pue;
            }
        }
        for (i, (mw, grid)) in site_mw.iter().zip(&self.grid_mw).enumerate() {
            if *mw > grid * SLACK {
                return Err(format!(
                    "site {}: facility load {mw:.3} MW exceeds grid limit {grid} MW at {}",
                    self.model.sites[i].name, self.clock
                ));
            }
        }
        for (i, hall) in self.halls.iter().enumerate() {
            let name = &self.model.halls[i].name;
            let capacity = hall.shape.it_capacity_mw();
            match hall.use_ {
                HallUse::Asic => {
                    if hall_it_mw[i] > capacity * SLACK {
                        return Err(format!(
                            "hall {name}: ASIC IT load {:.3} MW exceeds cooling/density {capacity:.3} MW",
                            hall_it_mw[i]
                        ));
                    }
                    if hall_racks[i] > u64::from(hall.shape.rack_slots) {
                        return Err(format!(
                            "hall {name}: {} racks in use, {} slots",
                            hall_racks[i], hall.shape.rack_slots
                        ));
                    }
                }
                HallUse::GpuReady | HallUse::Converting(_) => {
                    if hall_it_mw[i] > 0.0 {
                        return Err(format!("hall {name}: ASICs left in a GPU hall"));
                    }
                    if hall.committed_mw > capacity * SLACK
                        || hall.committed_racks > u64::from(hall.shape.rack_slots)
                    {
                        return Err(format!(
                            "hall {name}: {:.3} MW and {} racks promised, capacity {capacity:.3} MW and {} slots",
                            hall.committed_mw, hall.committed_racks, hall.shape.rack_slots
                        ));
                    }
                }
                HallUse::Idle => {
                    if hall_it_mw[i] > 0.0 || hall.committed_mw > 0.0 {
                        return Err(format!("hall {name}: load in an idle hall"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks the accounting identity: cash = starting cash + Σ booked months' net cash flow.
    ///
    /// Cash changes only when a month is booked (`close_month` adds `month.net_cash()` to it)
    /// and `total` is the sum of the booked months' flows. `net_cash` is linear in the flows,
    /// so Σ net_cash(month) = net_cash(Σ months) = `total.net_cash()`, and the identity is
    /// `cash − starting_cash = total.net_cash()`: O(1), so it can run after every event. Both
    /// sides are float sums of the same terms in different orders; each of the n month
    /// bookings and each of the ~12 terms of a net rounds by at most one ulp of the running
    /// magnitude, so they differ by about (n + 12) × 2.2e-16 × scale, where scale bounds
    /// the magnitudes (starting cash, cash, and every flow's total). That is below 2e-12 ×
    /// scale for the 600 months of a 50-year horizon; the check allows 1e-7 × scale, so it
    /// trips only on a flow booked to cash and not to the books (or the reverse), or on a
    /// NaN or infinity.
    pub fn check_accounts(&self) -> Result<(), String> {
        let t = &self.total;
        let booked = t.net_cash();
        let scale = self.model.starting_cash.abs()
            + self.cash.abs()
            + [
                t.mining_revenue_usd,
                t.dr_credits_usd,
                t.lease_revenue_usd,
                t.gpu_cloud_revenue_usd,
                t.sla_credits_usd,
                t.spot_energy_usd,
                t.ppa_settlement_usd,
                t.opex_usd,
                t.capex_usd,
                t.salvage_usd,
                t.debt_draws_usd,
                t.interest_usd,
                t.principal_usd,
                t.taxes_usd,
            ]
            .iter()
            .map(|x| x.abs())
            .sum::<f64>();
        let gap = (self.cash - self.model.starting_cash - booked).abs();
        // Written so that a NaN anywhere fails the check.
        if gap <= 1e-7 * scale {
            Ok(())
        } else {
            Err(format!(
                "cash {} − starting cash {} differs from the booked net cash flow {booked} by {gap} at {}",
                self.cash, self.model.starting_cash, self.clock
            ))
        }
    }
}

impl SweepFleet {
    /// Books this fleet over a run of hours at `prices`, summarised by `summary`, into `m`:
    /// it hashes in the hours priced below its threshold and is curtailed in the others, and
    /// earns demand-response credits in the curtailed hours at or above its site's trigger.
    /// Each flow is booked once, as the hourly amount × the hours (energy cost: MWh × the
    /// sum of the hashing hours' prices).
    fn accrue_run(&self, prices: &[f64], summary: PriceSummary, m: &mut Flows) {
        let hours = prices.len() as u64;
        let (hashing, price_sum) = summary.hours_below(prices, self.threshold);
        if hashing > 0 {
            let n = hashing as f64;
            m.mining_revenue_usd += self.revenue * n;
            m.th_seconds += self.th_seconds * n;
            m.energy_mwh += self.mwh * n;
            m.spot_energy_usd += self.mwh * price_sum;
        }
        if hashing < hours {
            m.curtailed_mwh += self.mwh * (hours - hashing) as f64;
            // Credited hours: priced at or above both the threshold and the trigger.
            let level = self.threshold.max(self.dr_trigger);
            let credited = hours - summary.hours_below(prices, level).0;
            if credited > 0 {
                m.dr_credits_usd += self.dr_credits * credited as f64;
            }
        }
    }
}

/// The first month (1-based) whose cumulative unlevered cash flow is back at or above zero
/// after having gone below it; 0 when it never went below; NaN when it never came back.
fn payback_month(flows: &[f64]) -> f64 {
    let mut cumulative = 0.0;
    let mut went_negative = false;
    for (k, f) in flows.iter().enumerate() {
        cumulative += f;
        if cumulative < 0.0 {
            went_negative = true;
        } else if went_negative {
            return k as f64;
        }
    }
    if went_negative { f64::NAN } else { 0.0 }
}

impl Handler<OperatorEvent> for Operator<'_> {
    fn handle(
        &mut self,
        now: SimTime,
        event: OperatorEvent,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        self.advance(now);
        match event {
            OperatorEvent::Day(day) => {
                for f in &mut self.fleets {
                    f.state.step_day(day, f.spec.daily_failure_prob, &mut f.rng);
                }
                for c in &mut self.clouds {
                    if c.state == CloudState::Active {
                        c.failures.step_day(day, c.daily_failure_prob, &mut c.rng);
                    }
                }
                let next = SimTime::from_secs((day + 1) * SECONDS_PER_DAY);
                if next < self.model.end {
                    queue.schedule_tick(next, OperatorEvent::Day(day + 1));
                }
                // ASIC failures change nothing the rates depend on (opex counts installed units);
                // GPU failures change the GPUs rented.
                if !self.clouds.is_empty() {
                    self.refresh_rates();
                }
            }
            OperatorEvent::MonthClose(_) => {
                self.close_month();
                self.review_rules(now, queue);
            }
            OperatorEvent::End => {
                if self.months.last().is_none_or(|m| m.end < now) {
                    self.close_month();
                }
                self.value_at_horizon();
            }
            OperatorEvent::GridDown(site, k) => {
                let s = usize::from(site);
                self.outage_state.grid_active[s] += 1;
                if self.world.outages.grid[s][k as usize].generators_fail {
                    self.outage_state.generators_failed[s] += 1;
                }
            }
            OperatorEvent::GridUp(site, k) => {
                let s = usize::from(site);
                self.outage_state.grid_active[s] =
                    self.outage_state.grid_active[s].saturating_sub(1);
                if self.world.outages.grid[s][k as usize].generators_fail {
                    self.outage_state.generators_failed[s] =
                        self.outage_state.generators_failed[s].saturating_sub(1);
                }
            }
            OperatorEvent::CoolingDown(hall, k) => {
                let h = usize::from(hall);
                self.outage_state.cooling_derate[h] +=
                    self.world.outages.cooling[h][k as usize].derate;
            }
            OperatorEvent::CoolingUp(hall, k) => {
                let h = usize::from(hall);
                let d = self.world.outages.cooling[h][k as usize].derate;
                self.outage_state.cooling_derate[h] =
                    (self.outage_state.cooling_derate[h] - d).max(0.0);
            }
            OperatorEvent::LargestTenantDefaults => {
                let largest = (0..self.leases.len())
                    .filter(|k| self.leases[*k].state == LeaseState::Billing)
                    .max_by(|a, b| self.leases[*a].mw.total_cmp(&self.leases[*b].mw));
                if let Some(k) = largest {
                    self.lease_defaults(k, now, queue);
                }
            }
            OperatorEvent::DebtDrawn(k) => {
                if let Some(spec) = self.model.finance.debts.get(k as usize) {
                    self.draw_debt(spec.clone(), 0);
                }
            }
            OperatorEvent::Action(k) => self.apply_action(k as usize, now, queue),
            OperatorEvent::ProjectDone(k) => self.finish_project(k as usize, now, queue),
            OperatorEvent::InquiryArrives(i) => self.inquiry_arrives(i as usize, now, queue),
            OperatorEvent::InquiryExpires(i) => self.inquiry_expires(i as usize, now),
            OperatorEvent::LeaseStarts(k) => self.lease_starts(k as usize, now, queue),
            OperatorEvent::LeaseRamps(k) => self.lease_ramps(k as usize, now, queue),
            OperatorEvent::LeaseEscalates(k) => self.lease_escalates(k as usize, now, queue),
            OperatorEvent::LeaseEnds(k) => self.lease_ends(k as usize, now, queue),
            OperatorEvent::LeaseDefaults(k) => self.lease_defaults(k as usize, now, queue),
            OperatorEvent::GpuCloudRetires(k) => self.cloud_retires(k as usize, now, queue),
        }
        if !matches!(event, OperatorEvent::Day(_)) {
            self.refresh_rates();
        }
        // Test and debug builds check the physical invariants and the accounting identity
        // after every event.
        if cfg!(debug_assertions) {
            if let Err(violation) = self.check_invariants().and_then(|()| self.check_accounts()) {
                panic!("invariant violated: {violation}");
            }
        }
    }
}
