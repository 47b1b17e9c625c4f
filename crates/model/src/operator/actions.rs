//! The plan's actions and rules: conversions, ASIC purchases and sales, grid upgrades, anchor
//! tenants, GPU-cloud deployments, and the monthly review.
//!
//! A conversion takes the hall offline at once, disposes of its ASICs (sold at the day's
//! resale price, or moved to another ASIC hall as far as it has room), spends its capex evenly
//! over the lead time, and leaves the hall GPU-ready and vacant until a tenant signs: stranded
//! capacity is a possible outcome.

use crate::compiled::{ActionSpec, ConversionSpec, DebtSpec, FleetSpec, RuleSpec};
use crate::fleet::FleetState;
use crate::operator::tenancy::racks_for;
use crate::operator::{
    CapexKind, CloudState, Flow, GpuCloud, HallUse, Operator, OperatorEvent, Project, ProjectKind,
};

use crate::world::samplers::{mean, sample};
use crate::world::streams::{StreamKind, tenant_stream};
use pivotsim_engine::months_to_secs;
use pivotsim_engine::{EventQueue, SECONDS_PER_DAY, SECONDS_PER_HOUR, SimTime, stream};
use pivotsim_scenario::{AiRegime, MONTHS_SUPPORT, OVERRUN_SUPPORT, Recourse};

impl Operator<'_> {
    pub(super) fn apply_action(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let plan = self.plan;
        let Some(timed) = plan.actions.get(k) else {
            return;
        };
        match &timed.action {
            ActionSpec::Convert {
                hall,
                conversion,
                move_asics_to,
            } => {
                self.start_conversion(*hall, conversion, *move_asics_to, now, queue);
            }
            ActionSpec::SignTenant { .. } => self.sign_anchor(timed, now, queue),
            ActionSpec::HostMiners(spec) => self.host_miners(timed, *spec, now, queue),
            ActionSpec::DeployGpuCloud { .. } => self.deploy_cloud(&timed.action, now, queue),
            ActionSpec::BuyAsics {
                hall,
                fleet,
                usd_per_th,
            } => {
                if self.facilities.halls[*hall].use_ != HallUse::Asic {
                    return;
                }
                let pue = self.facilities.halls[*hall].shape.pue;
                let mut spec = FleetSpec::new(self.facilities.halls[*hall].site, *hall, fleet, pue);
                spec.installed = now;
                spec.units = self.facilities.units_that_fit(*hall, &spec, fleet.units);
                if spec.units > 0 {
                    self.ledger.pay_capex(
                        f64::from(spec.units) * spec.th_per_unit * usd_per_th,
                        CapexKind::Asics,
                    );
                    self.facilities.add_fleet(spec, self.seed, self.replication);
                }
            }
            ActionSpec::SellAsics { hall, model, units } => {
                let mut left = *units;
                for f in 0..self.facilities.fleets.len() {
                    if left == 0 {
                        break;
                    }
                    if self.facilities.fleets[f].spec.hall == *hall
                        && &self.facilities.fleets[f].spec.model == model
                    {
                        let n = left.min(self.facilities.fleets[f].state.units);
                        self.sell_units(f, n);
                        left -= n;
                    }
                }
                // Selling frees grid headroom, which waiting inquiries may use.
                self.retry_waiting(now, queue);
            }
            ActionSpec::DrawDebt(spec) => self.draw_debt(spec.clone(), 0),
            ActionSpec::RaiseEquity {
                amount,
                cost,
                shares,
            } => self.ledger.raise_equity(*amount, *cost, *shares, now),
            ActionSpec::UpgradeGrid {
                site,
                add_mw,
                capex_usd,
                lead_time_months,
            } => {
                let ready = self.model.add_months(now, *lead_time_months);
                self.start_project(
                    ProjectKind::Grid {
                        site: *site,
                        add_mw: *add_mw,
                    },
                    *capex_usd,
                    (false, 1.0),
                    now,
                    ready,
                    queue,
                );
            }
        }
        // Capacity a conversion offers goes to waiting tenants only after the plan's other
        // actions of this moment: an anchor signed the same day for the hall comes first.
        if plan.actions.get(k + 1).is_none_or(|next| next.at > now) {
            self.retry_waiting(now, queue);
        }
    }

    /// Starts converting `hall`: offline now, GPU-ready after the lead time.
    pub(super) fn start_conversion(
        &mut self,
        hall: usize,
        c: &ConversionSpec,
        move_asics_to: Option<usize>,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if !matches!(
            self.facilities.halls[hall].use_,
            HallUse::Asic | HallUse::Idle
        ) {
            return;
        }
        self.dispose_asics(hall, move_asics_to);
        let (delay_secs, overrun) = self.construction_luck(hall, now);
        let ready = self.model.add_months(now, c.lead_time_months) + delay_secs;
        let h = &mut self.facilities.halls[hall];
        h.shape = c.to;
        h.use_ = HallUse::Converting(ready);
        let budget = c.capex_usd_per_mw * c.to.it_capacity_mw();
        // The tenant funds its share of the budget; the company, the rest and any overrun.
        let tenant_funded = budget * c.tenant_funded_share;
        self.ledger.month[Flow::TenantFundedCapex] += tenant_funded;
        let budgeted = budget - tenant_funded;
        let capex = budget * (1.0 + overrun) - tenant_funded;
        let name = format!("conversion of {}", self.model.halls[hall].name);
        // A project loan pays its share of the capex as it is spent; a corporate loan is
        // drawn now, so the company's cash pays all of it. Lenders commit to a share of the
        // budget: an overrun is the sponsor's (drawn pro rata, so the loan's share of what is
        // spent falls to share ÷ (1 + overrun)).
        let mut paid_from_cash = 1.0;
        if let Some(d) = c.debt.as_ref().filter(|d| d.recourse == Recourse::Project) {
            let mut d = d.clone();
            d.share_of_capex *= budgeted / capex.max(f64::MIN_POSITIVE);
            self.financing
                .sign_project_loan(name, hall, &d, capex, (now, ready));
            paid_from_cash = 1.0 - d.share_of_capex;
        } else if let Some(d) = &c.debt {
            self.draw_debt(
                DebtSpec {
                    name,
                    principal: budgeted * d.share_of_capex,
                    drawn: Some(now),
                    rate: d.rate,
                    term_months: d.term_months,
                    repayment: d.repayment,
                },
                c.lead_time_months,
            );
        }
        self.start_project(
            ProjectKind::Conversion { hall },
            capex,
            (true, paid_from_cash),
            now,
            ready,
            queue,
        );
        // The hall counts for inquiries whose lease starts after it is ready: it is offered to
        // them by the caller, once the plan's other moves of the moment (an anchor signed the
        // same day for this hall) are made.
    }

    /// The delay (seconds) and cost overrun (a fraction of budget) of a conversion of `hall`
    /// started `now`: drawn from the hall's own stream, so every plan converting the hall
    /// meets the same luck, and scaled up when the AI market is in a boom. None without
    /// construction risk.
    fn construction_luck(&self, hall: usize, now: SimTime) -> (u64, f64) {
        let Some(risk) = self.model.ai.as_ref().and_then(|a| a.construction_risk) else {
            return (0, 0.0);
        };
        let mut rng = tenant_stream(
            self.seed,
            self.replication,
            StreamKind::ConstructionRisk,
            hall,
        );
        let factor = if self.world.ai.regime_at(now) == AiRegime::Boom {
            risk.boom_factor
        } else {
            1.0
        };
        let delay = (sample(&risk.delay_months, &mut rng) * factor)
            .clamp(MONTHS_SUPPORT.0, MONTHS_SUPPORT.1);
        let overrun = (sample(&risk.cost_overrun, &mut rng) * factor)
            .clamp(OVERRUN_SUPPORT.0, OVERRUN_SUPPORT.1);
        (months_to_secs(delay), overrun)
    }

    /// Registers a project spending `capex` evenly until `ready` (at once if `ready` is now).
    /// `(conversion, paid_from_cash)`: whether it is a conversion, and the share of its
    /// capex the company's own cash pays.
    fn start_project(
        &mut self,
        kind: ProjectKind,
        capex: f64,
        (conversion, paid_from_cash): (bool, f64),
        now: SimTime,
        ready: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let span = ready.secs_since(now);
        let rate = if span == 0 {
            self.ledger
                .pay_capex(capex, CapexKind::FitOut { conversion });
            0.0
        } else {
            capex / span as f64
        };
        let k = self.facilities.projects.len() as u32;
        self.facilities.projects.push(Project {
            rate,
            conversion,
            kind,
            done: false,
            ready,
            paid_from_cash,
        });
        queue.schedule(ready.max(now), OperatorEvent::ProjectDone(k));
    }

    pub(super) fn finish_project(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if self.facilities.projects[k].done {
            return;
        }
        self.facilities.projects[k].done = true;
        match self.facilities.projects[k].kind {
            ProjectKind::Conversion { hall } => {
                self.facilities.halls[hall].use_ = HallUse::GpuReady;
                self.hall_ready(hall, now, queue);
            }
            ProjectKind::Grid { site, add_mw } => {
                self.facilities.grid_mw[site] += add_mw;
                self.retry_waiting(now, queue);
            }
        }
    }

    /// Removes every ASIC from `hall`: moved to `move_to` as far as it has room, the rest sold.
    fn dispose_asics(&mut self, hall: usize, move_to: Option<usize>) {
        for f in 0..self.facilities.fleets.len() {
            if self.facilities.fleets[f].spec.hall != hall
                || self.facilities.fleets[f].state.units == 0
            {
                continue;
            }
            let units = self.facilities.fleets[f].state.units;
            // Only working units move; those in repair are sold as they are.
            let working = self.facilities.fleets[f].state.working();
            let mut moved = 0;
            if let Some(target) =
                move_to.filter(|t| self.facilities.halls[*t].use_ == HallUse::Asic)
            {
                let pue = self.facilities.halls[target].shape.pue;
                let mut spec = self.facilities.fleets[f].spec.clone();
                spec = FleetSpec {
                    hall: target,
                    facility_mw_per_unit: spec.it_mw_per_unit * pue,
                    breakeven_factor: spec.th_per_unit * SECONDS_PER_HOUR as f64
                        / (spec.it_mw_per_unit * pue),
                    ..spec
                };
                // Take the units out first so the site's grid check does not count them twice.
                self.facilities.fleets[f].state.remove(units);
                moved = self.facilities.units_that_fit(target, &spec, working);
                if moved > 0 {
                    spec.units = moved;
                    self.facilities.add_fleet(spec, self.seed, self.replication);
                }
                self.facilities.fleets[f].state.add(units - moved);
            }
            self.sell_units(f, units - moved);
        }
    }

    /// The hashprice in force now, USD per PH/s per day.
    pub(super) fn hashprice_now(&self) -> f64 {
        self.world
            .segments
            .get(self.segment)
            .map_or(0.0, |s| s.hashprice)
    }

    /// Sells `n` units of fleet `f` at the day's resale price.
    fn sell_units(&mut self, f: usize, n: u32) {
        if n == 0 {
            return;
        }
        let spec = &self.facilities.fleets[f].spec;
        let unit_value = self.model.resale.map_or(0.0, |r| {
            r.unit_value(spec.th_per_unit, spec.j_per_th, self.hashprice_now())
        });
        self.ledger.month[Flow::Salvage] += f64::from(n) * unit_value;
        self.facilities.fleets[f].state.remove(n);
    }

    /// Installs operator-owned GPUs (a `DeployGpuCloud` action): as many as the hall, its
    /// racks and the site's grid still allow; they rent from when the hall is GPU-ready.
    fn deploy_cloud(
        &mut self,
        action: &ActionSpec,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let ActionSpec::DeployGpuCloud {
            hall,
            gpus,
            kw_per_gpu,
            capex_per_gpu,
            life_secs,
            utilization,
            daily_failure_prob,
            repair_days,
            generation,
            bust_utilization,
            contract,
            ref debt,
        } = *action
        else {
            return;
        };
        let h = &self.facilities.halls[hall];
        if !matches!(h.use_, HallUse::GpuReady | HallUse::Converting(_)) {
            return;
        }
        let per_gpu_mw = kw_per_gpu / 1_000.0;
        let by_mw = (h.free_gpu_mw() / per_gpu_mw + 1e-9).floor();
        let by_grid = ((self.facilities.grid_mw[h.site]
            - self.facilities.committed_site_mw(h.site))
        .max(0.0)
            / (per_gpu_mw * h.shape.pue)
            + 1e-9)
            .floor();
        let free_racks = u64::from(h.shape.rack_slots).saturating_sub(h.committed_racks) as f64;
        let by_racks = (free_racks * h.shape.max_kw_per_rack / kw_per_gpu + 1e-9).floor();
        let n = f64::from(gpus)
            .min(by_mw)
            .min(by_grid)
            .min(by_racks)
            .max(0.0) as u32;
        if n == 0 {
            return;
        }
        let mw = f64::from(n) * per_gpu_mw;
        let racks = racks_for(mw, h.shape.max_kw_per_rack);
        let ready = h.use_ == HallUse::GpuReady;
        self.facilities.reserve_gpu(hall, mw, racks);
        let capex = f64::from(n) * capex_per_gpu;
        self.ledger.pay_capex(capex, CapexKind::Gpus);
        if let Some(d) = debt {
            // Secured on the GPUs, with corporate recourse: drawn now, serviced from the
            // company's cash, and in a default the lenders take the GPUs with the rest.
            self.draw_debt(
                DebtSpec {
                    name: format!("GPU loan, {}", self.model.halls[hall].name),
                    principal: capex * d.share_of_capex,
                    drawn: Some(now),
                    rate: d.rate,
                    term_months: d.term_months,
                    repayment: d.repayment,
                },
                0,
            );
        }
        let k = self.facilities.clouds.len();
        // Each deployment's failures draw from their own stream (instance = its position).
        let instance = u16::try_from(k).unwrap_or(u16::MAX);
        let rng = stream(
            self.seed,
            self.replication,
            StreamKind::GpuFailures.process(instance),
        );
        self.facilities.clouds.push(GpuCloud {
            hall,
            gpus: n,
            kw_per_gpu,
            utilization,
            capex: f64::from(n) * capex_per_gpu,
            activated: None,
            life_secs,
            state: CloudState::Pending,
            failures: FleetState::new(n, repair_days),
            daily_failure_prob,
            rng,
            generation,
            bust_utilization,
            contract,
        });
        if ready {
            self.cloud_activates(k, now, queue);
        }
    }

    /// The monthly review: each rule may start converting the next ASIC hall.
    pub(super) fn review_rules(&mut self, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let plan = self.plan;
        for (r, rule) in plan.rules.iter().enumerate() {
            match rule {
                RuleSpec::ConvertNextAsicHall {
                    hashprice_below,
                    min_lost,
                    lookback_secs,
                    conversion,
                    max_conversions,
                    not_before,
                } => {
                    if self.rule_conversions[r] >= *max_conversions || now < *not_before {
                        continue;
                    }
                    let from = SimTime::from_secs(now.secs().saturating_sub(30 * SECONDS_PER_DAY));
                    if self.world.mean_hashprice_between(from, now) >= *hashprice_below {
                        continue;
                    }
                    let since = SimTime::from_secs(now.secs().saturating_sub(*lookback_secs));
                    let lost = self.tenancy.lost_since(since);
                    if lost < *min_lost as usize {
                        continue;
                    }
                    let Some(hall) = self
                        .facilities
                        .halls
                        .iter()
                        .position(|h| h.use_ == HallUse::Asic)
                    else {
                        continue;
                    };
                    if !self.can_fund(conversion, now) {
                        continue;
                    }
                    self.rule_conversions[r] += 1;
                    self.start_conversion(hall, conversion, None, now, queue);
                    self.retry_waiting(now, queue);
                }
                RuleSpec::ConvertOnPrelease { .. } => self.review_prelease(r, now, queue),
            }
        }
    }

    /// An operator starts a build only when its cash above the minimum covers the part of the
    /// budget it does not borrow plus the overrun it should expect (a contingency: lenders
    /// commit to a share of the budget, the sponsor funds overruns), after what the builds
    /// under way still need from it.
    fn can_fund(&self, conversion: &ConversionSpec, now: SimTime) -> bool {
        let budget = conversion.capex_usd_per_mw * conversion.to.it_capacity_mw();
        let borrowed = conversion.debt.as_ref().map_or(0.0, |d| d.share_of_capex);
        let contingency = self
            .model
            .ai
            .as_ref()
            .and_then(|a| a.construction_risk)
            .map_or(0.0, |risk| {
                let boom = self.world.ai.regime_at(now) == AiRegime::Boom;
                mean(&risk.cost_overrun) * if boom { risk.boom_factor } else { 1.0 }
            });
        let spare =
            self.ledger.cash() - self.model.finance.min_cash - self.facilities.cash_committed(now);
        spare >= budget * (1.0 - borrowed + contingency)
    }

    /// Every pre-lease rule of the plan, reviewed now (a tenant has just started waiting, or
    /// the month turned).
    pub(super) fn review_preleases(&mut self, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        for r in 0..self.plan.rules.len() {
            if matches!(self.plan.rules[r], RuleSpec::ConvertOnPrelease { .. }) {
                self.review_prelease(r, now, queue);
            }
        }
    }

    /// Pre-lease rule `r`: if the waiting tenants the next ASIC hall could serve once
    /// converted take at least the rule's share of it, start converting it; they are then
    /// placed in it (for delivery when it is ready) by `start_conversion`.
    fn review_prelease(&mut self, r: usize, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let plan = self.plan;
        let RuleSpec::ConvertOnPrelease {
            min_share,
            conversion,
            max_conversions,
            not_before,
        } = &plan.rules[r]
        else {
            return;
        };
        if self.rule_conversions[r] >= *max_conversions || now < *not_before {
            return;
        }
        let Some(hall) = self
            .facilities
            .halls
            .iter()
            .position(|h| h.use_ == HallUse::Asic)
        else {
            return;
        };
        let ready = self.model.add_months(now, conversion.lead_time_months);
        let (tenants, preleased) =
            self.tenancy
                .waiting_that_fit(&conversion.to, ready, now, self.world);
        let capacity = conversion.to.it_capacity_mw();
        if preleased <= 0.0 || preleased < min_share * capacity * (1.0 - 1e-12) {
            return;
        }
        if !self.can_fund(conversion, now) {
            return;
        }
        self.rule_conversions[r] += 1;
        self.start_conversion(hall, conversion, None, now, queue);
        // The tenants counted sign now, for this hall, however late its build turns out.
        for i in tenants {
            self.sign_preleased(i, hall, now, queue);
        }
        self.retry_waiting(now, queue);
    }

    pub(super) fn cloud_activates(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        self.facilities.clouds[k].state = CloudState::Active;
        self.facilities.clouds[k].activated = Some(now);
        queue.schedule(
            now + self.facilities.clouds[k].life_secs,
            OperatorEvent::GpuCloudRetires(k as u32),
        );
        // The contract's term runs from when the GPUs start renting.
        if let Some(c) = self.facilities.clouds[k].contract {
            queue.schedule(now + c.term_secs, OperatorEvent::GpuContractEnds(k as u32));
        }
    }

    /// Deployment `k`'s fixed-price contract ends: its GPUs rent at spot from now on.
    pub(super) fn cloud_contract_ends(&mut self, k: usize) {
        if let Some(c) = self.facilities.clouds.get_mut(k) {
            c.contract = None;
        }
    }

    pub(super) fn cloud_retires(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let c = &mut self.facilities.clouds[k];
        if c.state != CloudState::Active {
            return;
        }
        c.state = CloudState::Retired;
        let mw = f64::from(c.gpus) * c.kw_per_gpu / 1_000.0;
        let hall = c.hall;
        let racks = racks_for(mw, self.facilities.halls[hall].shape.max_kw_per_rack);
        self.facilities.release_gpu(hall, mw, racks);
        self.retry_waiting(now, queue);
    }
}
