//! What accrues between events, while the operator's state stands still.
//!
//! Between events the state is piecewise constant, and everything that accrues (revenue,
//! energy, curtailment, rent, opex, capex) is integrated exactly as rate × elapsed time. The
//! hourly energy price, the market's revenue rate and the daily GPU-hour price are read from
//! the shared world by sweeping over hour and segment boundaries inside
//! [`Operator::advance`], so hourly ticks never pass through the event queue. [`Rates`] holds
//! what the state implies per second, month or hour, recomputed after every event.
//!
//! Rent and opex are monthly amounts: they accrue at amount / (seconds in the current calendar
//! month), so a full month bills its monthly amount (to a few roundings per run between
//! events) and a partial one pro rata.

use crate::operator::facilities::GpuCloud;
use crate::operator::project_finance::{Collateral, ProjectMonth};
use crate::operator::{Flow, Flows, HallUse, Lease, Operator};
use crate::world::ai_market::AiWorld;
use crate::world::energy::PriceSummary;
use pivotsim_engine::{HOURS_PER_DAY, SECONDS_PER_AVG_MONTH};
use pivotsim_engine::{SECONDS_PER_HOUR, SimTime};

/// Quantities derived from the state, constant between events, used by the accrual sweep.
#[derive(Debug, Clone, Default)]
pub(super) struct Rates {
    pub(super) lease_usd_per_month: f64,
    pub(super) leased_mw: f64,
    pub(super) paid_tenant_facility_mw: f64,
    /// Of `paid_tenant_facility_mw`, the leases' (the rest is operator GPUs').
    pub(super) paid_lease_facility_mw: f64,
    pub(super) passthrough_facility_mw: f64,
    /// Spot GPUs rented, by generation: [in a boom, in a bust] (working GPUs × utilisation of
    /// the regime × share up).
    pub(super) spot_gpus_rented: Vec<[f64; 2]>,
    /// What the contracted GPUs bill, USD per hour (take-or-pay: whatever the regime).
    pub(super) contracted_gpu_usd_per_hour: f64,
    pub(super) opex_usd_per_month: f64,
    /// Of `opex_usd_per_month`, the GPU-ready halls'.
    pub(super) gpu_hall_opex_usd_per_month: f64,
    pub(super) capex_usd_per_sec: f64,
    pub(super) conversion_capex_usd_per_sec: f64,
    pub(super) vacant_gpu_mw: f64,
    /// Billing leases that are (partly) down now: (lease, share down).
    pub(super) down_leases: Vec<(usize, f64)>,
    /// Liquidated damages owed for late phases, USD per month.
    pub(super) late_damages_usd_per_month: f64,
    /// Guarantee fees on the rent billed, USD per month.
    pub(super) guarantee_fees_usd_per_month: f64,
    /// Billing leases with prepaid rent left: (lease, rent, USD per month).
    pub(super) prepaid_leases: Vec<(usize, f64)>,
    /// GPU clouds whose contract has prepayment left: (cloud, what the contract bills, USD
    /// per hour).
    pub(super) prepaid_clouds: Vec<(usize, f64)>,
    /// Sites whose grid is down now.
    pub(super) sites_down: f64,
    /// Each project loan's hall, in the financing's order (empty without project loans).
    pub(super) projects: Vec<ProjectRates>,
    /// Each hall's site (empty without hosting contracts), for the hosting accrual.
    pub(super) site_of_hall: Vec<usize>,
}

impl Rates {
    /// Whether any operator GPU earns now.
    fn has_gpu_cloud(&self) -> bool {
        self.contracted_gpu_usd_per_hour != 0.0
            || self
                .spot_gpus_rented
                .iter()
                .any(|g| g[0] != 0.0 || g[1] != 0.0)
    }

    /// What the operator's GPUs earn per hour on `day` of `ai`, USD: the contracted GPUs'
    /// fixed price, plus each generation's spot GPUs rented in the day's regime × its
    /// GPU-hour price that day.
    pub(super) fn gpu_cloud_usd_per_hour(&self, ai: &AiWorld, day: u64) -> f64 {
        if self.spot_gpus_rented.is_empty() {
            return self.contracted_gpu_usd_per_hour;
        }
        let regime = usize::from(ai.bust_on(day));
        self.spot_gpus_rented
            .iter()
            .enumerate()
            .fold(self.contracted_gpu_usd_per_hour, |total, (g, rented)| {
                total + rented[regime] * ai.gpu_price(g, day)
            })
    }
}

/// What one project's hall, or its SPV's GPUs, earn and cost per unit of time now (zero once
/// they are no longer the company's).
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(super) struct ProjectRates {
    /// Rent of its billing leases, USD per month.
    pub(super) rent_usd_per_month: f64,
    /// Its operating cost, USD per month.
    pub(super) opex_usd_per_month: f64,
    /// Facility load whose energy the landlord (or the GPUs' owner) pays, MW.
    pub(super) paid_facility_mw: f64,
    /// GPUs in an SPV: what they earn, as [`Rates`] counts the operator's GPUs.
    pub(super) gpus: Option<SpvGpuRates>,
}

/// What the GPUs of an SPV earn now.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(super) struct SpvGpuRates {
    /// What their contract bills, USD per hour (take-or-pay).
    pub(super) contracted_usd_per_hour: f64,
    /// Their spot GPUs rented: [in a boom, in a bust].
    pub(super) spot_rented: [f64; 2],
    /// Their generation, whose GPU-hour price the spot GPUs earn.
    pub(super) generation: usize,
}

impl SpvGpuRates {
    /// What they earn per hour on `day` of `ai`, USD.
    fn usd_per_hour(&self, ai: &AiWorld, day: u64) -> f64 {
        let regime = usize::from(ai.bust_on(day));
        self.contracted_usd_per_hour + self.spot_rented[regime] * ai.gpu_price(self.generation, day)
    }

    /// What they earn over `count` hours from hour `first` of `ai`, USD (prices and the
    /// regime are daily: one term per day the hours touch).
    fn earned_over(&self, ai: &AiWorld, first: u64, count: u64) -> f64 {
        let (mut hour, end, mut usd) = (first, first + count, 0.0);
        while hour < end {
            let day = hour / HOURS_PER_DAY;
            let until = end.min((day + 1) * HOURS_PER_DAY);
            usd += self.usd_per_hour(ai, day) * (until - hour) as f64;
            hour = until;
        }
        usd
    }
}

impl ProjectRates {
    /// Books `months` of the current month and `mwh_price_sum` (the sum over the hours of the
    /// hourly price, USD/MWh) into `month`.
    fn accrue(&self, months: f64, mwh_price_sum: f64, month: &mut ProjectMonth) {
        month.revenue += self.rent_usd_per_month * months;
        month.opex += self.opex_usd_per_month * months;
        month.energy += self.paid_facility_mw * mwh_price_sum;
    }
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
        (leases, clouds): (&mut [Lease], &mut [GpuCloud]),
    ) {
        m[Flow::LeaseRevenue] += self.lease_usd_per_month * months;
        m[Flow::LateDeliveryDamages] += self.late_damages_usd_per_month * months;
        m[Flow::GuaranteeFees] += self.guarantee_fees_usd_per_month * months;
        m[Flow::Opex] += self.opex_usd_per_month * months;
        m[Flow::GpuHallOpex] += self.gpu_hall_opex_usd_per_month * months;
        m[Flow::Capex] += self.capex_usd_per_sec * secs;
        m[Flow::ConversionCapex] += self.conversion_capex_usd_per_sec * secs;
        m[Flow::LeasedMwSeconds] += self.leased_mw * secs;
        m[Flow::VacantGpuMwSeconds] += self.vacant_gpu_mw * secs;
        m[Flow::GridOutageHours] += self.sites_down * hours;
        for &(k, down) in &self.down_leases {
            leases[k].downtime_secs += down * secs;
        }
        // Prepaid rent settles billed rent until it is used up (the rent is still revenue).
        for &(k, rent) in &self.prepaid_leases {
            let credit = (rent * months).min(leases[k].prepaid_left);
            leases[k].prepaid_left -= credit;
            m[Flow::PrepaymentCredits] += credit;
        }
        // So does a GPU contract's prepayment, what the contract bills (still revenue).
        for &(k, usd_per_hour) in &self.prepaid_clouds {
            let credit = (usd_per_hour * hours).min(clouds[k].prepaid_left);
            clouds[k].prepaid_left -= credit;
            m[Flow::PrepaymentCredits] += credit;
        }
    }
}

/// One working fleet's constants over a run of whole hours (see [`Operator::accrue_hours`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct SweepFleet {
    /// It hashes while the hour's price is below this, USD/MWh.
    pub(super) threshold: f64,
    /// Facility energy of one hour, MWh.
    pub(super) mwh: f64,
    /// Mining revenue of one hour, USD.
    pub(super) revenue: f64,
    /// Hashing of one hour, TH/s × seconds.
    pub(super) th_seconds: f64,
    /// Demand-response trigger of its site, USD/MWh.
    pub(super) dr_trigger: f64,
    /// Demand-response credits of one curtailed hour, USD.
    pub(super) dr_credits: f64,
}

impl Operator<'_> {
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
        let defaulted = self.financing.has_defaulted();
        #[cfg(test)]
        if self.reference_sweep {
            return self.advance_hour_by_hour(to);
        }
        // A market segment sets only the mining revenue rate: with no ASICs working, its
        // boundaries are not cut, so the bitcoin path leaves a plan without miners the same
        // to the last bit (a cut splits a run of hours and moves the sums' last bits).
        let mining = self
            .facilities
            .fleets
            .iter()
            .any(|f| f.state.working() > 0 && f.online > 0.0);
        while self.clock < to {
            let segment_end = world.segment_end(self.segment, self.model.end);
            let rate = world
                .segments
                .get(self.segment)
                .map_or(0.0, |s| s.usd_per_th_second);
            let stop = if mining { to.min(segment_end) } else { to };
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
                let price = world.energy_price_at(hour);
                let gpu = self
                    .rates
                    .gpu_cloud_usd_per_hour(&world.ai, hour / HOURS_PER_DAY);
                self.accrue(until.secs_since(self.clock) as f64, price, rate, gpu);
                until
            };
            self.clock = until;
            while self.segment + 1 < world.segments.len()
                && world.segment_end(self.segment, self.model.end) <= until
            {
                self.segment += 1;
            }
        }
    }

    /// The plain sweep that [`Operator::advance`] must reproduce: one [`Operator::accrue`] per
    /// hour or segment piece.
    #[cfg(test)]
    pub(super) fn advance_hour_by_hour(&mut self, to: SimTime) {
        let world = self.world;
        while self.clock < to {
            let hour = self.clock.hour_index();
            let segment_end = world.segment_end(self.segment, self.model.end);
            let until = to.min(SimTime::from_hours(hour + 1)).min(segment_end);
            let price = world.energy_price_at(hour);
            let gpu = self
                .rates
                .gpu_cloud_usd_per_hour(&world.ai, hour / HOURS_PER_DAY);
            let rate = world
                .segments
                .get(self.segment)
                .map_or(0.0, |s| s.usd_per_th_second);
            self.accrue(until.secs_since(self.clock) as f64, price, rate, gpu);
            self.clock = until;
            while self.segment + 1 < world.segments.len()
                && world.segment_end(self.segment, self.model.end) <= until
            {
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
    pub(super) fn accrue_hours(&mut self, first: u64, count: u64, rate: f64) {
        const SECS: f64 = SECONDS_PER_HOUR as f64;
        let world = self.world;
        let Some((prices, summary)) = world.price_run(first as usize, count as usize) else {
            // Past the price path (not reached from a valid scenario): the plain sweep.
            for hour in first..first + count {
                let price = world.energy_price_at(hour);
                let gpu = self
                    .rates
                    .gpu_cloud_usd_per_hour(&world.ai, hour / HOURS_PER_DAY);
                self.accrue(SECS, price, rate, gpu);
            }
            return;
        };
        let hours = count as f64;
        let secs = SECS * hours;
        let months = secs / self.current_month_secs();
        let m = &mut self.ledger.month;
        for fleet in &self.facilities.fleets {
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
        if !self.hosting.contracts.is_empty() {
            self.hosting.accrue_run(
                (prices, summary),
                months,
                rate,
                (&self.model.sites, &self.rates.site_of_hall),
                m,
            );
        }
        let r = &self.rates;
        let paid_mwh = r.paid_tenant_facility_mw * hours;
        m[Flow::EnergyDrawn] += paid_mwh + r.passthrough_facility_mw * hours;
        m[Flow::SpotEnergy] += r.paid_tenant_facility_mw * summary.sum;
        m[Flow::LeaseEnergy] += r.paid_lease_facility_mw * summary.sum;
        m[Flow::GpuCloudEnergy] +=
            (r.paid_tenant_facility_mw - r.paid_lease_facility_mw) * summary.sum;
        if r.has_gpu_cloud() {
            // GPU-hour prices and the regime are daily: one term per day the run touches.
            let end = first + count;
            let mut hour = first;
            while hour < end {
                let day = hour / HOURS_PER_DAY;
                let until = end.min((day + 1) * HOURS_PER_DAY);
                m[Flow::GpuCloudRevenue] +=
                    r.gpu_cloud_usd_per_hour(&world.ai, day) * (until - hour) as f64;
                hour = until;
            }
        }
        r.accrue_constants(
            secs,
            hours,
            months,
            m,
            (&mut self.tenancy.leases, &mut self.facilities.clouds),
        );
        for (rates, project) in r.projects.iter().zip(&mut self.financing.projects) {
            rates.accrue(months, summary.sum, &mut project.month);
            if let Some(gpus) = &rates.gpus {
                project.month.revenue += gpus.earned_over(&world.ai, first, count);
            }
        }
        for site in &self.model.sites {
            // Σ block · (contract − price) over the hours.
            m[Flow::PpaSettlement] += site.ppa_block_mw * (site.ppa_price * hours - summary.sum);
        }
    }

    /// Accrues `secs` seconds at one energy price (USD/MWh), one mining revenue rate (USD per
    /// TH/s per second, before pool fees) and one GPU-cloud revenue rate (USD per hour, from
    /// [`Rates::gpu_cloud_usd_per_hour`]). A machine hashes while
    /// the price is below what its energy earns: rate × revenue share × TH/s × 3600 / facility
    /// MW. GPU loads are never curtailed.
    pub(super) fn accrue(&mut self, secs: f64, price: f64, rate: f64, gpu_usd_per_hour: f64) {
        // Default is absorbing: a defaulted operator accrues nothing more.
        if self.financing.has_defaulted() {
            return;
        }
        let hours = secs / SECONDS_PER_HOUR as f64;
        let months = secs / self.current_month_secs();
        let m = &mut self.ledger.month;
        for fleet in &self.facilities.fleets {
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
                m[Flow::MiningRevenue] += th * net_rate * secs;
                m[Flow::Hashing] += th * secs;
                m[Flow::EnergyDrawn] += mwh;
                m[Flow::SpotEnergy] += mwh * price;
            } else {
                m[Flow::Curtailed] += mwh;
                if price >= site.dr_trigger {
                    m[Flow::DrCredits] += mwh * site.dr_credit;
                }
            }
        }
        if !self.hosting.contracts.is_empty() {
            self.hosting.accrue_at_price(
                (secs, months),
                price,
                rate,
                (&self.model.sites, &self.rates.site_of_hall),
                m,
            );
        }
        let r = &self.rates;
        m[Flow::GpuCloudRevenue] += gpu_usd_per_hour * hours;
        let paid_mwh = r.paid_tenant_facility_mw * hours;
        m[Flow::EnergyDrawn] += paid_mwh + r.passthrough_facility_mw * hours;
        m[Flow::SpotEnergy] += paid_mwh * price;
        m[Flow::LeaseEnergy] += r.paid_lease_facility_mw * hours * price;
        m[Flow::GpuCloudEnergy] +=
            (r.paid_tenant_facility_mw - r.paid_lease_facility_mw) * hours * price;
        r.accrue_constants(
            secs,
            hours,
            months,
            m,
            (&mut self.tenancy.leases, &mut self.facilities.clouds),
        );
        for (rates, project) in r.projects.iter().zip(&mut self.financing.projects) {
            rates.accrue(months, hours * price, &mut project.month);
            if let Some(gpus) = &rates.gpus {
                let day = self.clock.hour_index() / HOURS_PER_DAY;
                project.month.revenue += gpus.usd_per_hour(&self.world.ai, day) * hours;
            }
        }
        for site in &self.model.sites {
            m[Flow::PpaSettlement] += site.ppa_block_mw * hours * (site.ppa_price - price);
        }
    }

    /// Length of the current calendar month, s (the average month past the calendar, which a
    /// valid scenario never reaches): rent and opex are monthly amounts accrued per second.
    fn current_month_secs(&self) -> f64 {
        self.model
            .month_secs
            .get(self.month_index)
            .copied()
            .unwrap_or(SECONDS_PER_AVG_MONTH)
    }

    /// Recomputes the derived rates after a change of state.
    pub(super) fn refresh_rates(&mut self) {
        let mut r = Rates {
            projects: std::mem::take(&mut self.rates.projects),
            ..Rates::default()
        };
        r.projects.clear();
        let (sites_down, gpu_down) = self.facilities.apply_outages();
        for p in &self.financing.projects {
            let hall = &self.facilities.halls[p.hall];
            let mut rates = ProjectRates::default();
            if let Collateral::Gpus(cloud) = p.collateral {
                if let Some(e) = p
                    .is_active()
                    .then(|| self.facilities.cloud_earnings(cloud, &gpu_down))
                    .flatten()
                {
                    // The SPV pays its share of the hall's running cost, pro rata to the IT
                    // load its GPUs take (as a colocation fee to the parent), and their energy.
                    let c = &self.facilities.clouds[cloud];
                    let it_mw = f64::from(c.gpus) * c.kw_per_gpu / 1_000.0;
                    rates.opex_usd_per_month =
                        self.model.sites[hall.site].gpu_opex_usd_per_mw_month * it_mw;
                    rates.paid_facility_mw = e.facility_mw;
                    rates.gpus = Some(SpvGpuRates {
                        contracted_usd_per_hour: e.contracted_usd_per_hour.unwrap_or(0.0),
                        spot_rented: e.spot_rented,
                        generation: c.generation,
                    });
                }
            } else if p.is_active() && hall.use_ == HallUse::GpuReady {
                let site = &self.model.sites[hall.site];
                rates.opex_usd_per_month =
                    site.gpu_opex_usd_per_mw_month * hall.shape.it_capacity_mw();
                self.tenancy.add_project_rates(
                    p.hall,
                    &self.facilities.halls,
                    self.clock,
                    &mut rates,
                );
            }
            r.projects.push(rates);
        }
        r.sites_down = sites_down;
        if !self.hosting.contracts.is_empty() {
            let (asic_down, _) = self.facilities.outage_shares();
            self.hosting.set_up_shares(&asic_down);
            r.site_of_hall = self.facilities.halls.iter().map(|h| h.site).collect();
        }
        let ai = self.model.ai.as_ref();
        let fee_share =
            |class: Option<usize>| ai.map_or(0.0, |a| a.lease_hazard(class).guarantee_fee_share);
        self.tenancy.add_rates(
            &self.facilities.halls,
            &gpu_down,
            self.clock,
            fee_share,
            &mut r,
        );
        self.facilities
            .add_rates(&self.model.sites, &gpu_down, &mut r);
        self.rates = r;
    }
}

impl SweepFleet {
    /// Books this fleet over a run of hours at `prices`, summarised by `summary`, into `m`:
    /// it hashes in the hours priced below its threshold and is curtailed in the others, and
    /// earns demand-response credits in the curtailed hours at or above its site's trigger.
    /// Each flow is booked once, as the hourly amount × the hours (energy cost: MWh × the
    /// sum of the hashing hours' prices).
    ///
    /// Inlined into the fleet loop of [`Operator::accrue_hours`]: it runs once per fleet and
    /// run of hours (31,000 times a replication), and most runs are answered from the
    /// summary in a few instructions, so the call's register saves and restores were an
    /// eighth of its cost.
    #[inline]
    pub(super) fn accrue_run(&self, prices: &[f64], summary: PriceSummary, m: &mut Flows) {
        let hours = prices.len() as u64;
        let (hashing, price_sum) = summary.hours_below(prices, self.threshold);
        if hashing > 0 {
            let n = hashing as f64;
            m[Flow::MiningRevenue] += self.revenue * n;
            m[Flow::Hashing] += self.th_seconds * n;
            m[Flow::EnergyDrawn] += self.mwh * n;
            m[Flow::SpotEnergy] += self.mwh * price_sum;
        }
        if hashing < hours {
            m[Flow::Curtailed] += self.mwh * (hours - hashing) as f64;
            // Credited hours: priced at or above both the threshold and the trigger.
            let level = self.threshold.max(self.dr_trigger);
            let credited = hours - summary.hours_below(prices, level).0;
            if credited > 0 {
                m[Flow::DrCredits] += self.dr_credits * credited as f64;
            }
        }
    }
}
