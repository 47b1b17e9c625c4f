//! The plan's actions and rules: conversions, ASIC purchases, sales and replacements, grid
//! upgrades, anchor tenants, GPU-cloud deployments, and the monthly review (conversions and
//! fleet refreshes).
//!
//! A conversion takes the hall offline at once, disposes of its ASICs (sold at the day's
//! resale price, or moved to another ASIC hall as far as it has room), spends its capex evenly
//! over the lead time, and leaves the hall GPU-ready and vacant until a tenant signs: stranded
//! capacity is a possible outcome.

use crate::compiled::{ActionSpec, ConversionSpec, DebtSpec, FleetSpec, RuleSpec};
use crate::fleet::{FleetState, Machines, refresh_payback_months};
use crate::operator::tenancy::racks_for;
use crate::operator::{
    CapexKind, CloudState, Flow, GpuCloud, HallUse, Operator, OperatorEvent, Project, ProjectKind,
};

use crate::world::bitcoin_market::HashrateParams;
use crate::world::bitcoin_protocol::ChainEvent;
use crate::world::samplers::{mean, mirror_sample, sample};
use crate::world::streams::{StreamKind, paired_stream, tenant_stream};
use pivotsim_engine::{
    DAYS_PER_YEAR, EventQueue, SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_YEAR, SimTime,
    months_to_secs, stream,
};
use pivotsim_scenario::{AiRegime, AsicFleet, MONTHS_SUPPORT, OVERRUN_SUPPORT, Recourse};

/// The best machine on sale on a day.
struct Frontier {
    /// Efficiency, J/TH.
    j_per_th: f64,
    /// Price, USD per TH/s.
    usd_per_th: f64,
    /// The network's median power cost, USD/MWh (what a buyer of used machines pays).
    power_usd_per_mwh: f64,
}

/// A refresh a `refresh_asics` rule weighs.
struct RefreshCase {
    /// Index of the fleet retired.
    old: usize,
    /// Its hall.
    hall: usize,
    /// The new machines (units: as many as take the old ones' place).
    fleet: AsicFleet,
    /// Their price, USD per TH/s.
    usd_per_th: f64,
    /// What they cost, USD.
    capex: f64,
    /// What the old machines sell for, USD.
    proceeds: f64,
    /// Months the net cost takes to pay back.
    payback_months: f64,
}

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
                self.buy_asics(*hall, fleet, *usd_per_th, now);
            }
            ActionSpec::SellAsics { hall, model, units } => {
                self.sell_model(*hall, model, *units);
                // Selling frees grid headroom, which waiting inquiries may use.
                self.retry_waiting(now, queue);
            }
            ActionSpec::ReplaceAsics {
                hall,
                model,
                units,
                fleet,
                usd_per_th,
            } => {
                if self.facilities.halls[*hall].use_ != HallUse::Asic {
                    return;
                }
                self.sell_model(*hall, model, *units);
                self.buy_asics(*hall, fleet, *usd_per_th, now);
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
        // The ASICs leave when work starts, or hash on until the construction needs the space.
        if c.asics_hash_months == 0 {
            self.dispose_asics(hall, move_asics_to);
        } else {
            let leave = self.model.add_months(now, c.asics_hash_months);
            self.facilities.halls[hall].asics_leave = Some((leave, move_asics_to));
            queue.schedule(leave, OperatorEvent::AsicsLeave(hall as u32));
        }
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
        let (delay_draw, overrun_draw) =
            construction_draws(self.model, self.seed, self.replication, hall).unwrap_or((0.0, 0.0));
        let factor = if self.world.ai.regime_at(now) == AiRegime::Boom {
            risk.boom_factor
        } else {
            1.0
        };
        let delay = (delay_draw * factor).clamp(MONTHS_SUPPORT.0, MONTHS_SUPPORT.1);
        let overrun = (overrun_draw * factor).clamp(OVERRUN_SUPPORT.0, OVERRUN_SUPPORT.1);
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

    /// The construction of `hall` needs the space its ASICs kept hashing in: they leave now
    /// (moved or sold as the conversion said), freeing their grid headroom.
    pub(super) fn asics_leave(
        &mut self,
        hall: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if let Some((_, move_to)) = self.facilities.halls[hall].asics_leave.take() {
            self.dispose_asics(hall, move_to);
            self.retry_waiting(now, queue);
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

    /// Sells `n` units of fleet `f` at the day's used price.
    fn sell_units(&mut self, f: usize, n: u32) {
        if n == 0 {
            return;
        }
        self.ledger.month[Flow::Salvage] += f64::from(n) * self.used_unit_value(f);
        self.facilities.fleets[f].state.remove(n);
    }

    /// Sells up to `units` of `model` from `hall`, fleet by fleet in the order installed.
    fn sell_model(&mut self, hall: usize, model: &str, units: u32) {
        let mut left = units;
        for f in 0..self.facilities.fleets.len() {
            if left == 0 {
                break;
            }
            if self.facilities.fleets[f].spec.hall == hall
                && self.facilities.fleets[f].spec.model == model
            {
                let n = left.min(self.facilities.fleets[f].state.units);
                self.sell_units(f, n);
                left -= n;
            }
        }
    }

    /// Buys `fleet` new into ASIC hall `hall` at `usd_per_th`, as many units as fit; returns
    /// what they cost, USD (depreciated as ASICs).
    fn buy_asics(&mut self, hall: usize, fleet: &AsicFleet, usd_per_th: f64, now: SimTime) -> f64 {
        if self.facilities.halls[hall].use_ != HallUse::Asic {
            return 0.0;
        }
        let pue = self.facilities.halls[hall].shape.pue;
        let mut spec = FleetSpec::new(self.facilities.halls[hall].site, hall, fleet, pue);
        spec.installed = now;
        spec.units = self.facilities.units_that_fit(hall, &spec, fleet.units);
        if spec.units == 0 {
            return 0.0;
        }
        let capex = f64::from(spec.units) * spec.th_per_unit * usd_per_th;
        self.ledger.pay_capex(capex, CapexKind::Asics);
        self.facilities.add_fleet(spec, self.seed, self.replication);
        capex
    }

    /// Used value of one unit of fleet `f` now, USD. With an efficiency frontier: the present
    /// value of its remaining margin at the network's power cost over the years it can still
    /// earn (its life left, if it has an end of life), scaled down when new frontier machines
    /// sell for less than their own margin is worth (`ResaleSpec::used_value_per_th`).
    /// Without one: the resale block's reference rule. Nothing without a resale block.
    pub(super) fn used_unit_value(&self, f: usize) -> f64 {
        let Some(resale) = self.model.resale else {
            return 0.0;
        };
        let fleet = &self.facilities.fleets[f];
        let spec = &fleet.spec;
        let hashprice = self.hashprice_now();
        match self.frontier_now() {
            Some(frontier) => {
                spec.th_per_unit
                    * resale.used_value_per_th(
                        hashprice,
                        spec.j_per_th,
                        frontier.power_usd_per_mwh,
                        fleet.ageing.years_left_at(self.clock.secs()),
                        frontier.j_per_th,
                        frontier.usd_per_th,
                        // A new machine of its class lasts as long as it did.
                        spec.life_years,
                    )
            }
            None => resale.unit_value(spec.th_per_unit, spec.j_per_th, hashprice),
        }
    }

    /// The best machine on sale today, or None without a vintage network.
    fn frontier_now(&self) -> Option<Frontier> {
        let HashrateParams::Vintages(p) = &self.model.bitcoin.hashrate else {
            return None;
        };
        let path = &self.world.network.frontier_j_per_th;
        let day = (self.clock.secs() / SECONDS_PER_DAY) as usize;
        let j_per_th = *path.get(day).or(path.last())?;
        j_per_th.is_finite().then(|| Frontier {
            j_per_th,
            // Machines cost the same per watt as at the start (the network's entry rule).
            usd_per_th: p.machine_usd_per_th * j_per_th / p.frontier_j_per_th,
            power_usd_per_mwh: p.power_usd_per_mwh,
        })
    }

    /// The mean hashprice over the `months` after `now` expected from `hashprice` today,
    /// USD per PH/s per day: today's until the next halving, half of it after.
    fn expected_hashprice(&self, hashprice: f64, months: f64, now: SimTime) -> f64 {
        let window_days = months * DAYS_PER_YEAR / 12.0;
        if window_days <= 0.0 {
            return hashprice;
        }
        let halving_in_days = self
            .world
            .chain_events
            .iter()
            .find(|(t, e)| *t > now && matches!(e, ChainEvent::Halving { .. }))
            .map_or(f64::INFINITY, |(t, _)| {
                t.secs_since(now) as f64 / SECONDS_PER_DAY as f64
            });
        let before = halving_in_days.min(window_days);
        hashprice * (before + 0.5 * (window_days - before)) / window_days
    }

    /// The mean hourly energy price of the 30 days before `now`, USD/MWh.
    fn trailing_power_price(&self, now: SimTime) -> f64 {
        let today = (now.secs() / SECONDS_PER_DAY) as usize;
        let days = &self.world.daily_price;
        let from = today.saturating_sub(30).min(days.len());
        let window = &days[from..today.min(days.len())];
        if window.is_empty() {
            return days.get(today).map_or(0.0, |d| d.sum / 24.0);
        }
        window.iter().map(|d| d.sum).sum::<f64>() / (24.0 * window.len() as f64)
    }

    /// The refresh a `refresh_asics` rule would make now: the least efficient fleet (highest
    /// J/TH, the first installed on a tie) in an ASIC hall, replaced by as many units of
    /// `template` (at the frontier's J/TH when there is one) as take its IT power and fit
    /// once it is gone, at `usd_per_th` (default: the frontier price). None when nothing can
    /// be refreshed or the new machines earn no more.
    ///
    /// The margins are at the hashprice expected over the next `payback_months`: the
    /// trailing 30-day mean until the next halving, half of it after (buyers know the
    /// schedule; fees, a few percent of revenue, are taken to halve too).
    fn refresh_case(
        &self,
        template: &AsicFleet,
        usd_per_th: Option<f64>,
        payback_months: f64,
        now: SimTime,
    ) -> Option<RefreshCase> {
        let fleets = &self.facilities.fleets;
        // A fleet retired at the end of its life and not yet replaced hashes nothing: it is
        // the least efficient of all, and its replacement takes the power it had.
        let awaiting = |k: usize| fleets[k].state.units == 0 && fleets[k].retired_unreplaced();
        let j_per_th = |k: usize| {
            if awaiting(k) {
                f64::INFINITY
            } else {
                fleets[k].spec.j_per_th
            }
        };
        let old = (0..fleets.len())
            .filter(|k| {
                (fleets[*k].state.units > 0 || awaiting(*k))
                    && self.facilities.halls[fleets[*k].spec.hall].use_ == HallUse::Asic
            })
            .fold(None, |best: Option<usize>, k| match best {
                Some(b) if j_per_th(b) >= j_per_th(k) => Some(b),
                _ => Some(k),
            })?;
        let frontier = self.frontier_now();
        let mut fleet = template.clone();
        fleet.age_years = 0.0;
        if let Some(f) = &frontier {
            fleet.watts = fleet.th_s * f.j_per_th;
        }
        let price = usd_per_th.or(frontier.as_ref().map(|f| f.usd_per_th))?;
        let o = &fleets[old];
        let (hall, site) = (o.spec.hall, o.spec.site);
        let spec = FleetSpec::new(site, hall, &fleet, self.facilities.halls[hall].shape.pue);
        let old_units = if awaiting(old) {
            o.spec.units
        } else {
            o.state.units
        };
        let same_power = (f64::from(old_units) * o.spec.it_mw_per_unit / spec.it_mw_per_unit + 1e-9)
            .floor() as u32;
        let units = self.facilities.units_that_fit_without(
            hall,
            &spec,
            template.units.min(same_power),
            Some(old),
        );
        if units == 0 {
            return None;
        }
        fleet.units = units;
        let capex = f64::from(units) * spec.th_per_unit * price;
        let proceeds = f64::from(o.state.units) * self.used_unit_value(old);
        let from = SimTime::from_secs(now.secs().saturating_sub(30 * SECONDS_PER_DAY));
        let payback_months = refresh_payback_months(
            Machines {
                units: f64::from(o.state.units),
                th_per_unit: o.spec.th_per_unit,
                facility_mw_per_unit: o.spec.facility_mw_per_unit,
            },
            Machines {
                units: f64::from(units),
                th_per_unit: spec.th_per_unit,
                facility_mw_per_unit: spec.facility_mw_per_unit,
            },
            self.expected_hashprice(
                self.world.mean_hashprice_between(from, now),
                payback_months,
                now,
            ),
            self.model.sites[site].revenue_share,
            self.trailing_power_price(now),
            capex - proceeds,
        )?;
        Some(RefreshCase {
            old,
            hall,
            fleet,
            usd_per_th: price,
            capex,
            proceeds,
            payback_months,
        })
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
        // When the GPUs start renting: now, or when their hall is converted.
        let renting_from = match h.use_ {
            HallUse::Converting(at) => at,
            _ => now,
        };
        self.facilities.reserve_gpu(hall, mw, racks);
        let capex = f64::from(n) * capex_per_gpu;
        self.ledger.pay_capex(capex, CapexKind::Gpus);
        // The contract as announced: every contracted GPU billed for every hour of the term.
        let contract_value_usd = contract.map_or(0.0, |c| {
            f64::from(n) * c.share * c.price * c.term_secs as f64 / SECONDS_PER_HOUR as f64
        });
        let prepaid = contract.map_or(0.0, |c| c.prepaid_share * contract_value_usd);
        self.ledger.month[Flow::RentPrepaid] += prepaid;
        let k = self.facilities.clouds.len();
        let loan_name = || format!("GPU loan, {}", self.model.halls[hall].name);
        if let Some(d) = debt.as_ref().filter(|d| d.recourse == Recourse::Project) {
            // In an SPV: drawn now, served from the GPUs' own cash flow; at its default the
            // lenders take the GPUs and their contract, and the company goes on.
            let base_rate = self.base_rate_now();
            self.financing.sign_gpu_loan(
                loan_name(),
                (hall, k),
                d,
                capex,
                (now, renting_from),
                base_rate,
                &mut self.ledger.month,
            );
        } else if let Some(d) = debt {
            // Secured on the GPUs, with corporate recourse: drawn now, serviced from the
            // company's cash, and in a default the lenders take the GPUs with the rest.
            self.draw_debt(
                DebtSpec {
                    name: loan_name(),
                    principal: capex * d.share_of_capex,
                    drawn: Some(now),
                    rate: d.rate,
                    term_months: d.term_months,
                    repayment: d.repayment,
                },
                0,
            );
        }
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
            contract_value_usd,
            prepaid_left: prepaid,
        });
        if ready {
            self.cloud_activates(k, now, queue);
        }
    }

    /// The monthly review: each rule may start converting the next ASIC hall.
    pub(super) fn review_rules(&mut self, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        // After a default the lenders hold what is left: the plan acts no more.
        if self.financing.has_defaulted() {
            return;
        }
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
                    let Some(hall) = self.next_asic_hall() else {
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
                RuleSpec::RefreshAsics {
                    payback_months,
                    fleet,
                    usd_per_th,
                    max_capex_per_year,
                    cooldown_months,
                    not_before,
                } => {
                    if now < *not_before {
                        continue;
                    }
                    self.review_refresh(
                        r,
                        fleet,
                        *usd_per_th,
                        *payback_months,
                        *max_capex_per_year,
                        *cooldown_months,
                        now,
                        queue,
                    );
                }
            }
        }
    }

    /// The hall a conversion rule converts next: the first ASIC hall in file order.
    fn next_asic_hall(&self) -> Option<usize> {
        self.facilities
            .halls
            .iter()
            .position(|h| h.use_ == HallUse::Asic)
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
        let Some(hall) = self.next_asic_hall() else {
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
        // Reached from an inquiry's arrival, which does not accrue up to its instant: the
        // cash the funding test reads must include everything until now.
        self.advance(now);
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

    /// A `refresh_asics` rule at the monthly review: refreshes when the cooldown has passed,
    /// the new machines pay back within `payback_months`, the 12-month budget allows their
    /// price, and the cash above the minimum covers it net of the old machines' sale.
    #[allow(clippy::too_many_arguments)]
    fn review_refresh(
        &mut self,
        rule: usize,
        template: &AsicFleet,
        usd_per_th: Option<f64>,
        payback_months: f64,
        max_capex_per_year: f64,
        cooldown_months: u32,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if let Some((_, last, _)) = self.refreshes.iter().rev().find(|x| x.0 == rule) {
            if now < self.model.add_months(*last, cooldown_months) {
                return;
            }
        }
        let Some(case) = self.refresh_case(template, usd_per_th, payback_months, now) else {
            return;
        };
        if case.payback_months > payback_months {
            return;
        }
        let year_ago = SimTime::from_secs(now.secs().saturating_sub(SECONDS_PER_YEAR as u64));
        let spent: f64 = self
            .refreshes
            .iter()
            .filter(|x| x.0 == rule && x.1 > year_ago)
            .map(|x| x.2)
            .sum();
        if spent + case.capex > max_capex_per_year {
            return;
        }
        let spare =
            self.ledger.cash() - self.model.finance.min_cash - self.facilities.cash_committed(now);
        if spare < case.capex - case.proceeds {
            return;
        }
        let units = self.facilities.fleets[case.old].state.units;
        self.sell_units(case.old, units);
        self.facilities.fleets[case.old].replaced = true;
        let capex = self.buy_asics(case.hall, &case.fleet, case.usd_per_th, now);
        self.refreshes.push((rule, now, capex));
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

/// A hall's construction luck as drawn, before the AI regime's factor and the supports:
/// (delay in months, cost overrun as a fraction of capex), the first two draws of the hall's
/// stream; None without construction risk. In the odd member of an antithetic pair the luck
/// mirrors the even member's (a late build there is an early one here); a gamma, which cannot
/// be mirrored, makes the hall draw its own luck instead. Shared by the conversion and by the
/// control variates ([`crate::controls`]), which must see the same draws.
pub(crate) fn construction_draws(
    model: &crate::CompiledScenario,
    seed: u64,
    replication: u64,
    hall: usize,
) -> Option<(f64, f64)> {
    let risk = model.ai.as_ref().and_then(|a| a.construction_risk)?;
    let mirrorable = mirror_sample(&risk.delay_months, 1.0).is_some()
        && mirror_sample(&risk.cost_overrun, 1.0).is_some();
    let (mut rng, mirror) = if mirrorable {
        paired_stream(
            seed,
            replication,
            model.antithetic,
            StreamKind::ConstructionRisk,
            hall,
        )
    } else {
        let own = tenant_stream(seed, replication, StreamKind::ConstructionRisk, hall);
        (own, false)
    };
    let mut draw = |d: &pivotsim_scenario::Dist| {
        let x = sample(d, &mut rng);
        if mirror {
            mirror_sample(d, x).unwrap_or(x)
        } else {
            x
        }
    };
    Some((draw(&risk.delay_months), draw(&risk.cost_overrun)))
}
