//! The operator under one plan: the clock, and the routing of each event to the component
//! that owns the state it changes.
//!
//! Events are what changes the operator's own state: failures and repairs, plan actions,
//! projects finishing, inquiries, leases, month closes and reviews, and the horizon. Between
//! events everything accrues at constant rates (`accrual`). The components live beside this
//! file, each with its own state and rules: `facilities` (the plant and its physical
//! invariants), `tenancy` (inquiries and leases), `hosting` (other miners' machines in the
//! operator's halls, and their clients' defaults), `ledger` (the flow table, the books and the
//! accounting identity) and `financing` (debt, covenant, default, valuation); `actions` holds
//! the plan's actions and rules, and `outputs` maps the books to metrics and series. The
//! month close here calls them in a fixed order, which the outputs depend on.

mod accrual;
mod actions;
mod facilities;
mod financing;
mod hosting;
mod ledger;
mod outputs;
mod project_finance;
#[cfg(test)]
mod sweep_tests;
mod tenancy;

use chrono::Datelike;

use crate::compiled::DebtSpec;
use crate::compiled::{ActionSpec, CompiledScenario, PlanSpec, ShockSpec};
use crate::world::World;
use pivotsim_engine::{EventQueue, Handler, SECONDS_PER_DAY, SimTime};
use pivotsim_scenario::HallState;

use accrual::Rates;
use facilities::{CloudState, Facilities, GpuCloud, Project, ProjectKind};
pub use facilities::{HallRuntime, HallUse};
use financing::Financing;
use hosting::Hosting;
pub use hosting::{HostingContract, HostingState};
use ledger::{CapexKind, Ledger, MonthClose};
pub use ledger::{CashEffect, Flow, FlowClass, Flows, MonthRecord};
use project_finance::Collateral;
pub use project_finance::ProjectStatus;
use tenancy::Tenancy;
pub use tenancy::{InquiryStatus, Lease, LeaseState};
pub(crate) use {actions::construction_draws, tenancy::default_clock};

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
    /// Lease `k`'s free rent ends: it starts paying.
    LeaseRentStarts(u32),
    /// Lease `k` reaches an anniversary: the escalator applies.
    LeaseEscalates(u32),
    /// Lease `k` reaches the end of its term.
    LeaseEnds(u32),
    /// Lease `k`'s tenant defaults.
    LeaseDefaults(u32),
    /// Lease `k`'s hall is still not ready past its delivery milestone: the tenant may cancel.
    LeaseCancelDeadline(u32),
    /// The construction of hall `h` needs the space its ASICs kept hashing in.
    AsicsLeave(u32),
    /// GPU-cloud deployment `k` reaches the end of its life.
    GpuCloudRetires(u32),
    /// GPU-cloud deployment `k`'s fixed-price contract ends (its GPUs go to spot).
    GpuContractEnds(u32),
    /// The scenario's debt `k` is drawn.
    DebtDrawn(u32),
    /// A scheduled shock: the largest billing lease defaults.
    LargestTenantDefaults,
    /// Hosting contract `k` reaches the end of its term.
    HostingEnds(u32),
    /// Hosting contract `k`'s client defaults.
    HostingClientDefaults(u32),
    /// Grid outage `k` of site `s` starts.
    GridDown(u16, u32),
    /// Grid outage `k` of site `s` ends.
    GridUp(u16, u32),
    /// Cooling failure `k` of hall `h` starts.
    CoolingDown(u16, u32),
    /// Cooling failure `k` of hall `h` ends.
    CoolingUp(u16, u32),
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
    facilities: Facilities,
    tenancy: Tenancy,
    hosting: Hosting,
    rule_conversions: Vec<u32>,
    /// Refreshes made by the plan's rules: (rule, when, USD spent on new machines).
    refreshes: Vec<(usize, SimTime, f64)>,
    rates: Rates,
    ledger: Ledger,
    financing: Financing<'a>,
    /// Tests: accrue hour by hour through [`Operator::accrue`] only, as the reference that
    /// the run accrual of [`Operator::accrue_hours`] must match up to rounding.
    #[cfg(test)]
    reference_sweep: bool,
}

/// Whether `plan` ever offers GPU-ready space: a hall GPU-ready at the start, or a conversion
/// among its actions or rules. A plan that never does cannot lose a tenant it could have
/// served, so its inquiries are not counted as lost deals.
fn offers_space(model: &CompiledScenario, plan: &PlanSpec) -> bool {
    model.halls.iter().any(|h| h.state == HallState::GpuReady)
        || plan.rules.iter().any(|r| r.conversion().is_some())
        || plan
            .actions
            .iter()
            .any(|a| matches!(a.action, ActionSpec::Convert { .. }))
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
            facilities: Facilities::new(model),
            tenancy: Tenancy::new(world.ai.inquiries.len(), offers_space(model, plan)),
            hosting: Hosting::default(),
            rule_conversions: vec![0; plan.rules.len()],
            refreshes: Vec::new(),
            rates: Rates::default(),
            ledger: Ledger::new(
                model.starting_cash,
                model.project_discount_rate,
                model.equity_discount_rate,
                model.month_starts.len() + 1,
            ),
            financing: Financing::new(&model.finance),
            #[cfg(test)]
            reference_sweep: false,
        };
        for spec in &model.fleets {
            op.facilities
                .add_fleet(spec.clone(), op.seed, op.replication);
        }
        op.refresh_rates();
        op
    }

    /// The floating base rate of the open month (0 when the scenario has none), per year.
    fn base_rate_now(&self) -> f64 {
        self.world
            .base_rate
            .get(self.month_index)
            .copied()
            .unwrap_or(0.0)
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

    /// Closes the month at the clock: the tenants' SLA credits, then debt service, the
    /// project loans' waterfalls and taxes, then the revolver (nothing of these after a
    /// default), booked to cash; then the company's default test; then the record; then the
    /// projects whose lenders took them leave the company.
    fn close_month(&mut self) {
        // After a default nothing is booked: the empty month, with no taxes.
        let booked = if self.financing.has_defaulted() {
            self.ledger.discard_open_month();
            financing::MonthBooked::default()
        } else {
            let base_rate = self.base_rate_now();
            let sla = self.model.ai.as_ref().and_then(|a| a.sla.as_ref());
            self.ledger.month[Flow::SlaCredits] = self.tenancy.sla_credits(sla, self.clock);
            // The tax year of the month being closed: the year of its last second.
            let last_second = SimTime::from_secs(self.clock.secs().saturating_sub(1));
            let year = self.model.calendar.date_of(last_second).year();
            let free_cash = self.ledger.cash() + self.ledger.month.net_cash();
            let booked = self.financing.book_month(
                &mut self.ledger.month,
                base_rate,
                year,
                self.clock,
                free_cash,
            );
            let projected = self.ledger.cash() + self.ledger.month.net_cash();
            self.financing.revolve(projected, &mut self.ledger.month);
            booked
        };
        self.ledger.book_month(self.clock, booked.unlevered_taxes);
        if let Some(kept) = self.financing.test_default(self.ledger.cash(), self.clock) {
            self.ledger.settle_default(self.clock, kept);
            // The guarantors hold their share of what a liquidation leaves the shares.
            let took = self.financing.warrants_take(kept);
            self.ledger.warrants_exercised(self.clock, took, false);
        }
        let defaulted = self.financing.has_defaulted();
        let at_close = MonthClose {
            leased_mw: self.rates.leased_mw,
            defaulted,
            debt_outstanding_usd: self.financing.debt_outstanding(),
            dscr: if defaulted {
                None
            } else {
                self.financing.dscr()
            },
        };
        self.ledger.record_month(self.clock, at_close);
        self.month_index += 1;
        for (hall, collateral) in booked.foreclosed {
            self.foreclose(hall, collateral);
        }
    }

    /// The lenders of a project loan took its collateral. A hall: it, its leases and its GPUs
    /// leave the company, and the plan no longer acts on it. GPUs in an SPV: they and their
    /// contract leave, and their space in `hall` is free again.
    fn foreclose(&mut self, hall: usize, collateral: Collateral) {
        match collateral {
            Collateral::Hall => {
                self.tenancy.foreclose(hall);
                self.facilities.foreclose(hall);
            }
            Collateral::Gpus(cloud) => self.facilities.foreclose_cloud(cloud),
        }
    }

    /// At the horizon: the terminal value, to the unlevered flows and the project value
    /// whole, and to the equity value (NPV) as the owners' equity.
    fn value_at_horizon(&mut self) {
        let gpu_residual = self
            .facilities
            .gpu_residual_value(self.clock, &self.model.gpu_levels);
        let in_place = self.rates.lease_usd_per_month - self.rates.gpu_hall_opex_usd_per_month;
        let (facilities, clock) = (&self.facilities, self.clock);
        let mining_multiple =
            |life: Option<f64>, multiple: f64| facilities.mining_multiple(clock, life, multiple);
        let hosting_years_left = self.hosting.years_left(clock);
        if let Some(v) = self.financing.value_at_horizon(
            in_place,
            gpu_residual,
            mining_multiple,
            hosting_years_left,
        ) {
            self.ledger
                .book_horizon_value(self.clock, v.value, v.equity);
            // The guarantors hold their share of everything the shares hold at the horizon:
            // the cash and the equity in the business.
            let took = self.financing.warrants_take(self.ledger.cash() + v.equity);
            self.ledger.warrants_exercised(self.clock, took, true);
        }
    }

    /// Draws a loan now (see [`Financing::draw`]).
    fn draw_debt(&mut self, spec: DebtSpec, grace_months: u32) {
        self.financing
            .draw(spec, grace_months, &mut self.ledger.month);
    }

    /// What has accrued in the month not yet closed.
    pub fn accrued_this_month(&self) -> &Flows {
        &self.ledger.month
    }

    /// The run's project (unlevered) and equity cash flows, monthly from time zero, for
    /// returns against a baseline (see [`crate::returns`]).
    pub fn cash_flows(&self) -> (crate::returns::CashFlows<'_>, crate::returns::CashFlows<'_>) {
        self.ledger.cash_flows()
    }

    /// Closed months so far.
    pub fn months(&self) -> &[MonthRecord] {
        self.ledger.months()
    }

    /// Whether the run has defaulted (on cash or on the covenant).
    pub fn has_defaulted(&self) -> bool {
        self.financing.has_defaulted()
    }

    /// Cash now, USD (months booked so far).
    pub fn cash(&self) -> f64 {
        self.ledger.cash()
    }

    /// ASIC hashrate installed (working or in repair), TH/s.
    pub fn installed_asic_th_s(&self) -> f64 {
        self.facilities
            .fleets
            .iter()
            .map(|f| f64::from(f.state.units) * f.spec.th_per_unit)
            .sum()
    }

    /// Mean efficiency of the ASICs installed, weighted by hashrate, J/TH (0 without any):
    /// a refresh lowers it even when the hashrate stays the same.
    pub fn installed_asic_j_per_th(&self) -> f64 {
        let th = self.installed_asic_th_s();
        if th <= 0.0 {
            return 0.0;
        }
        self.facilities
            .fleets
            .iter()
            .map(|f| f64::from(f.state.units) * f.spec.th_per_unit * f.spec.j_per_th)
            .sum::<f64>()
            / th
    }

    /// The halls' states.
    pub fn halls(&self) -> &[HallRuntime] {
        &self.facilities.halls
    }

    /// Checks the physical invariants (see [`Facilities::check_invariants`]).
    pub fn check_invariants(&self) -> Result<(), String> {
        self.facilities
            .check_invariants(self.model, &self.tenancy, self.clock)
    }

    /// Checks the accounting identity (see [`Ledger::check_accounts`]).
    pub fn check_accounts(&self) -> Result<(), String> {
        self.ledger.check_accounts(self.clock)
    }

    /// The leases signed so far.
    pub fn leases(&self) -> &[Lease] {
        &self.tenancy.leases
    }

    /// Each project loan signed so far, as its last month close left it.
    pub fn project_statuses(&self) -> Vec<ProjectStatus> {
        self.financing.projects.iter().map(|p| p.status()).collect()
    }

    /// Cash in the projects' reserve and lock-up accounts, USD.
    pub fn restricted_cash(&self) -> f64 {
        self.financing.restricted_cash()
    }

    /// Why the company defaulted, in words, if it did.
    pub fn default_reason(&self) -> Option<&'static str> {
        self.financing.default().map(|(_, reason)| match reason {
            crate::finance::DefaultReason::Cash => "out of cash",
            crate::finance::DefaultReason::Covenant => "corporate DSCR covenant",
        })
    }

    /// The project loans signed so far: each one's hall (global index), when its lenders
    /// took it (if they did) and what it owes now, USD.
    pub fn project_loans(&self) -> impl Iterator<Item = (usize, Option<SimTime>, f64)> + '_ {
        self.financing
            .projects
            .iter()
            .map(|p| (p.hall, p.foreclosed_at, p.balance()))
    }
}

impl Handler<OperatorEvent> for Operator<'_> {
    fn handle(
        &mut self,
        now: SimTime,
        event: OperatorEvent,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        // An inquiry that is only counted, or waits, or is lost changes no rate, so the run of
        // hours it falls in is not cut there: accruing up to it would split that run in two
        // and move the sums' last bits, and an input that only adds inquiries (the inquiry
        // rate) would not leave a plan that never takes one exactly unchanged. The inquiry's
        // handling accrues up to now itself before it signs a tenant or reads the cash
        // (`sign_inquiry`, the pre-lease rule).
        let inquiry = matches!(
            event,
            OperatorEvent::InquiryArrives(_) | OperatorEvent::InquiryExpires(_)
        );
        if !inquiry {
            self.advance(now);
        }
        // A default is absorbing: the lenders hold what is left, so the plan acts no more, and
        // its machines, tenants and inquiries change nothing it reports. Month closes still
        // record the (empty) months, and the end closes the books.
        if self.financing.has_defaulted()
            && !matches!(event, OperatorEvent::MonthClose(_) | OperatorEvent::End)
        {
            return;
        }
        match event {
            OperatorEvent::Day(day) => {
                // Fleets at the end of their life leave: less opex, and room for tenants.
                if self.facilities.step_day(day) > 0 {
                    self.retry_waiting(now, queue);
                    self.refresh_rates();
                }
                let next = SimTime::from_secs((day + 1) * SECONDS_PER_DAY);
                if next < self.model.end {
                    queue.schedule_tick(next, OperatorEvent::Day(day + 1));
                }
                // ASIC failures change nothing the rates depend on (opex counts installed units);
                // GPU failures change the GPUs rented.
                if !self.facilities.clouds.is_empty() {
                    self.refresh_rates();
                }
            }
            OperatorEvent::MonthClose(_) => {
                self.close_month();
                self.review_rules(now, queue);
                self.review_hosting(now, queue);
            }
            OperatorEvent::End => {
                if self.ledger.months().last().is_none_or(|m| m.end < now) {
                    self.close_month();
                }
                self.value_at_horizon();
            }
            OperatorEvent::GridDown(site, k) => {
                let s = usize::from(site);
                let fail = self.world.outages.grid[s][k as usize].generators_fail;
                self.facilities.grid_down(s, fail);
            }
            OperatorEvent::GridUp(site, k) => {
                let s = usize::from(site);
                let fail = self.world.outages.grid[s][k as usize].generators_fail;
                self.facilities.grid_up(s, fail);
            }
            OperatorEvent::CoolingDown(hall, k) => {
                let h = usize::from(hall);
                let derate = self.world.outages.cooling[h][k as usize].derate;
                self.facilities.cooling_down(h, derate);
            }
            OperatorEvent::CoolingUp(hall, k) => {
                let h = usize::from(hall);
                let derate = self.world.outages.cooling[h][k as usize].derate;
                self.facilities.cooling_up(h, derate);
            }
            OperatorEvent::LargestTenantDefaults => {
                if let Some(k) = self.tenancy.largest_billing_lease() {
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
            // Its rent enters the rates when they are refreshed below.
            OperatorEvent::LeaseRentStarts(_) => {}
            OperatorEvent::LeaseEscalates(k) => self.lease_escalates(k as usize, now, queue),
            OperatorEvent::LeaseEnds(k) => self.lease_ends(k as usize, now, queue),
            OperatorEvent::LeaseDefaults(k) => self.lease_defaults(k as usize, now, queue),
            OperatorEvent::LeaseCancelDeadline(k) => {
                self.lease_cancel_deadline(k as usize, now, queue);
            }
            OperatorEvent::AsicsLeave(h) => self.asics_leave(h as usize, now, queue),
            OperatorEvent::GpuCloudRetires(k) => self.cloud_retires(k as usize, now, queue),
            OperatorEvent::GpuContractEnds(k) => self.cloud_contract_ends(k as usize),
            OperatorEvent::HostingEnds(k) => self.hosting_ends(k as usize, now, queue),
            OperatorEvent::HostingClientDefaults(k) => {
                self.hosting_client_defaults(k as usize, now, queue);
            }
        }
        // An inquiry that left the clock behind changed nothing (anything that does accrues up
        // to now first), so its rates stand.
        let unchanged = inquiry && self.clock < now;
        if !matches!(event, OperatorEvent::Day(_)) && !unchanged {
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
