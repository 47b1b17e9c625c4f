//! The operator under one plan: which machines hash, what they earn and cost, and the books.
//!
//! Between events the state is piecewise constant, and everything that accrues (revenue,
//! energy, curtailment, opex) is integrated exactly as rate × elapsed time. The hourly energy
//! price and the market's revenue rate are read from the shared [`World`] by sweeping over hour
//! and segment boundaries inside [`Operator::advance`], so hourly ticks never pass through the
//! event queue. Events are only what changes the operator's own state: a day's failures and
//! repairs, a month's close, and the horizon.

use rand::rngs::ChaCha8Rng;

use crate::engine::{EventQueue, Handler, ProcessId, SECONDS_PER_DAY, SimTime, stream};
use crate::model::compiled::CompiledScenario;
use crate::model::fleet::FleetState;
use crate::model::metrics::{Metric, RunMetrics};
use crate::model::world::{World, process};

/// Seconds per year for discounting (365.25 days).
const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// What happens to the operator, in time order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OperatorEvent {
    /// Start of day `n`: failures and repairs.
    Day(u64),
    /// A month ends: book its cash flows. The index is into the month-start list.
    MonthClose(usize),
    /// The horizon: book the last (partial) month and stop.
    End,
}

/// Money and energy accrued over an interval.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Flows {
    /// Mining revenue after pool fees, USD.
    pub mining_revenue_usd: f64,
    /// Demand-response credits, USD.
    pub dr_credits_usd: f64,
    /// Energy bought at the hourly price, USD.
    pub spot_energy_usd: f64,
    /// PPA settlement, USD: the block's contract price minus the hourly price, times its
    /// volume. Negative when power is worth more than the contract (the site gains).
    pub ppa_settlement_usd: f64,
    /// Non-power operating cost, USD.
    pub opex_usd: f64,
    /// Facility energy drawn, MWh.
    pub energy_mwh: f64,
    /// Facility energy not drawn because machines were curtailed, MWh.
    pub curtailed_mwh: f64,
    /// Hashing done, TH/s × seconds.
    pub th_seconds: f64,
}

impl Flows {
    /// Revenue, USD.
    pub fn revenue(&self) -> f64 {
        self.mining_revenue_usd + self.dr_credits_usd
    }

    /// Energy cost, USD.
    pub fn energy_cost(&self) -> f64 {
        self.spot_energy_usd + self.ppa_settlement_usd
    }

    /// Net cash flow, USD.
    pub fn net_cash(&self) -> f64 {
        self.revenue() - self.energy_cost() - self.opex_usd
    }

    fn add(&mut self, o: &Flows) {
        self.mining_revenue_usd += o.mining_revenue_usd;
        self.dr_credits_usd += o.dr_credits_usd;
        self.spot_energy_usd += o.spot_energy_usd;
        self.ppa_settlement_usd += o.ppa_settlement_usd;
        self.opex_usd += o.opex_usd;
        self.energy_mwh += o.energy_mwh;
        self.curtailed_mwh += o.curtailed_mwh;
        self.th_seconds += o.th_seconds;
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
}

/// The operator's state under one plan in one replication.
pub struct Operator<'a> {
    model: &'a CompiledScenario,
    world: &'a World,
    /// Everything before this time has been accrued.
    clock: SimTime,
    /// Index of the market segment in force at `clock`.
    segment: usize,
    fleets: Vec<FleetState>,
    failure_rngs: Vec<ChaCha8Rng>,
    month: Flows,
    total: Flows,
    cash: f64,
    npv: f64,
    months: Vec<MonthRecord>,
}

impl<'a> Operator<'a> {
    /// The operator at time zero with the scenario's installed fleets.
    pub fn new(model: &'a CompiledScenario, world: &'a World, seed: u64, replication: u64) -> Self {
        let fleets = model
            .fleets
            .iter()
            .map(|f| FleetState::new(f.units, f.repair_days))
            .collect();
        let failure_rngs = (0..model.fleets.len())
            .map(|i| {
                let instance = u16::try_from(i).unwrap_or(u16::MAX);
                stream(
                    seed,
                    replication,
                    ProcessId::new(process::ASIC_FAILURES, instance),
                )
            })
            .collect();
        Operator {
            model,
            world,
            clock: SimTime::ZERO,
            segment: 0,
            fleets,
            failure_rngs,
            month: Flows::default(),
            total: Flows::default(),
            cash: model.starting_cash,
            npv: 0.0,
            months: Vec::with_capacity(model.month_starts.len() + 1),
        }
    }

    /// Schedules the operator's first events.
    pub fn schedule_initial(&self, queue: &mut EventQueue<OperatorEvent>) {
        queue.schedule(SimTime::ZERO, OperatorEvent::Day(0));
        if let Some(first) = self.model.month_starts.first() {
            queue.schedule(*first, OperatorEvent::MonthClose(0));
        }
        queue.schedule(self.model.end, OperatorEvent::End);
    }

    /// Accrues everything from the clock up to `to`.
    pub fn advance(&mut self, to: SimTime) {
        let world = self.world;
        while self.clock < to {
            let hour = self.clock.hour_index();
            let hour_end = SimTime::from_hours(hour + 1);
            let segment_end = world.segment_end(self.segment, self.model.end);
            let until = to.min(hour_end).min(segment_end);
            let price = world
                .hourly_price
                .get(hour as usize)
                .copied()
                .unwrap_or(0.0);
            let rate = world
                .segments
                .get(self.segment)
                .map_or(0.0, |s| s.usd_per_th_second);
            self.accrue(until.secs_since(self.clock) as f64, price, rate);
            self.clock = until;
            if until == segment_end && self.segment + 1 < world.segments.len() {
                self.segment += 1;
            }
        }
    }

    /// Accrues `secs` seconds at one energy price (USD/MWh) and one revenue rate (USD per TH/s
    /// per second, before pool fees). A machine hashes while the price is below what its energy
    /// earns: rate × revenue share × TH/s × 3600 / facility MW.
    fn accrue(&mut self, secs: f64, price: f64, rate: f64) {
        let hours = secs / 3_600.0;
        let m = &mut self.month;
        for (spec, fleet) in self.model.fleets.iter().zip(&self.fleets) {
            let working = f64::from(fleet.working());
            if working == 0.0 {
                continue;
            }
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
        for site in &self.model.sites {
            m.ppa_settlement_usd += site.ppa_block_mw * hours * (site.ppa_price - price);
            m.opex_usd += site.opex_usd_per_sec * secs;
        }
    }

    /// Books the month accrued so far at the clock.
    fn close_month(&mut self) {
        let net = self.month.net_cash();
        self.cash += net;
        let years = self.clock.secs() as f64 / SECONDS_PER_YEAR;
        self.npv += net * (1.0 + self.model.discount_rate).powf(-years);
        self.total.add(&self.month);
        self.months.push(MonthRecord {
            end: self.clock,
            flows: self.month,
            cash_after_usd: self.cash,
        });
        self.month = Flows::default();
    }

    /// What has accrued in the month not yet closed.
    pub fn accrued_this_month(&self) -> &Flows {
        &self.month
    }

    /// Closed months so far.
    pub fn months(&self) -> &[MonthRecord] {
        &self.months
    }

    /// Cash now, USD (months booked so far).
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// The run's metrics (call after the horizon).
    pub fn metrics(&self) -> RunMetrics {
        let t = &self.total;
        let mut values = [0.0; Metric::COUNT];
        let horizon_secs = self.model.end.secs().max(1) as f64;
        for metric in Metric::ALL {
            values[metric.index()] = match metric {
                Metric::Revenue => t.revenue(),
                Metric::EnergyCost => t.energy_cost(),
                Metric::GrossMargin => t.revenue() - t.energy_cost(),
                Metric::Opex => t.opex_usd,
                Metric::EndCash => self.cash,
                Metric::Npv => self.npv,
                Metric::MeanHashprice => self.world.mean_hashprice,
                Metric::HashpriceAtHorizon => self.world.final_hashprice,
                Metric::CurtailedEnergy => t.curtailed_mwh,
                Metric::EnergyUsed => t.energy_mwh,
                Metric::MeanHashrateOnline => t.th_seconds / horizon_secs / 1_000.0,
            };
        }
        RunMetrics { values }
    }

    /// Checks the physical invariants of DESIGN §3.4 for the current state: each site's
    /// facility load (every working machine hashing) within its grid limit, each hall's IT load
    /// within its cooling and rack density, and racks in use within its slots.
    pub fn check_invariants(&self) -> Result<(), String> {
        let model = self.model;
        let mut site_mw = vec![0.0; model.sites.len()];
        let mut hall_it_mw = vec![0.0; model.halls.len()];
        let mut hall_racks = vec![0u64; model.halls.len()];
        for (spec, fleet) in model.fleets.iter().zip(&self.fleets) {
            let working = f64::from(fleet.working());
            site_mw[spec.site] += working * spec.facility_mw_per_unit;
            hall_it_mw[spec.hall] += working * spec.it_mw_per_unit;
            hall_racks[spec.hall] +=
                u64::from(fleet.units).div_ceil(u64::from(spec.units_per_rack));
        }
        const SLACK: f64 = 1.0 + 1e-9;
        for (site, mw) in model.sites.iter().zip(&site_mw) {
            if *mw > site.grid_mw * SLACK {
                return Err(format!(
                    "site {}: facility load {mw:.3} MW exceeds grid limit {} MW at {}",
                    site.name, site.grid_mw, self.clock
                ));
            }
        }
        for (i, hall) in model.halls.iter().enumerate() {
            let density_mw = f64::from(hall.rack_slots) * hall.max_kw_per_rack / 1_000.0;
            if hall_it_mw[i] > hall.cooling_mw.min(density_mw) * SLACK {
                return Err(format!(
                    "hall {}: IT load {:.3} MW exceeds cooling {} MW or density {density_mw} MW",
                    hall.name, hall_it_mw[i], hall.cooling_mw
                ));
            }
            if hall_racks[i] > u64::from(hall.rack_slots) {
                return Err(format!(
                    "hall {}: {} racks in use, {} slots",
                    hall.name, hall_racks[i], hall.rack_slots
                ));
            }
        }
        Ok(())
    }
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
                for ((spec, fleet), rng) in self
                    .model
                    .fleets
                    .iter()
                    .zip(&mut self.fleets)
                    .zip(&mut self.failure_rngs)
                {
                    fleet.step_day(day, spec.daily_failure_prob, rng);
                }
                let next = SimTime::from_secs((day + 1) * SECONDS_PER_DAY);
                if next < self.model.end {
                    queue.schedule(next, OperatorEvent::Day(day + 1));
                }
            }
            OperatorEvent::MonthClose(k) => {
                self.close_month();
                if let Some(next) = self.model.month_starts.get(k + 1) {
                    queue.schedule(*next, OperatorEvent::MonthClose(k + 1));
                }
            }
            OperatorEvent::End => {
                if self.months.last().is_none_or(|m| m.end < now) {
                    self.close_month();
                }
            }
        }
        // Test and debug builds check the physical invariants after every event.
        if cfg!(debug_assertions) {
            if let Err(violation) = self.check_invariants() {
                panic!("invariant violated: {violation}");
            }
        }
    }
}
