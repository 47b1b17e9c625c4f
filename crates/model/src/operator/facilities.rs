//! The physical plant under the plan: halls, ASIC fleets, GPU clouds, projects under way,
//! outages in force, and the physical invariants they must respect.

use rand::rngs::ChaCha8Rng;

use crate::compiled::{CompiledScenario, FleetSpec, GpuContractSpec, HallShape, SiteSpec};
use crate::fleet::{Ageing, DayDraw, FleetState, RATE_PERIOD_DAYS};
use crate::operator::accrual::Rates;
use crate::operator::tenancy::Tenancy;
use crate::operator::tenancy::racks_for;
use crate::placement::Candidate;
use crate::world::gpu_price::GpuGenerationLevels;
use crate::world::streams::StreamKind;
use pivotsim_engine::{SECONDS_PER_YEAR, SimTime, stream};
use pivotsim_scenario::Cooling;
use pivotsim_scenario::HallState;

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
    /// A hosting client's machines; the hall returns to the use it had when the contract
    /// ends or the client defaults (`operator::hosting`).
    Hosting,
    /// Taken by the lenders of its project loan: no longer the company's.
    Foreclosed,
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
    /// A hosting client's machines in the hall, MW IT (0 unless it is hosting).
    pub hosted_mw: f64,
    /// While converting, the hall's ASICs still hashing until the construction needs the
    /// space: when they leave, and the ASIC hall they move to (else they are sold).
    pub asics_leave: Option<(SimTime, Option<usize>)>,
}

impl HallRuntime {
    /// GPU capacity not yet promised, MW IT.
    pub fn free_gpu_mw(&self) -> f64 {
        (self.shape.it_capacity_mw() - self.committed_mw).max(0.0)
    }
}

/// One ASIC fleet with its state and failure stream.
pub(super) struct Fleet {
    pub(super) spec: FleetSpec,
    pub(super) state: FleetState,
    pub(super) rng: ChaCha8Rng,
    /// Share of its working units that can run now (0 in a grid outage, less in a cooling
    /// failure).
    pub(super) online: f64,
    /// Its failure rate by age and its end of life.
    pub(super) ageing: Ageing,
    /// The daily failure probability in force (updated monthly as the fleet ages).
    pub(super) daily_failure_prob: f64,
    /// The day its failure rate is next updated.
    next_rate_day: u64,
    /// Whether it reached the end of its life (its units then retired).
    retired: bool,
    /// Whether a refresh has since taken its place.
    pub(super) replaced: bool,
}

impl Fleet {
    /// Whether it reached the end of its life and no refresh has taken its place yet.
    pub(super) fn retired_unreplaced(&self) -> bool {
        self.retired && !self.replaced
    }
}

/// Operator-owned GPUs in a hall.
#[derive(Debug)]
pub(super) struct GpuCloud {
    pub(super) hall: usize,
    pub(super) gpus: u32,
    pub(super) kw_per_gpu: f64,
    pub(super) utilization: f64,
    pub(super) life_secs: u64,
    /// What the GPUs cost, USD.
    pub(super) capex: f64,
    /// When they started renting (their life runs from then).
    pub(super) activated: Option<SimTime>,
    /// Waiting for the hall, renting, or retired.
    pub(super) state: CloudState,
    /// GPUs failed and awaiting replacement.
    pub(super) failures: FleetState,
    pub(super) daily_failure_prob: f64,
    pub(super) rng: ChaCha8Rng,
    /// Index of the GPUs' generation, whose price the spot GPUs earn.
    pub(super) generation: usize,
    /// Share of the spot GPUs' hours rented in a bust (`utilization` in a boom).
    pub(super) bust_utilization: f64,
    /// The fixed-price contract on part of the GPUs while it runs (None after it ends).
    pub(super) contract: Option<GpuContractSpec>,
    /// The contract's value as signed: contracted GPUs × price × hours of the term, USD (0
    /// without a contract).
    pub(super) contract_value_usd: f64,
    /// What is left of the customer's prepayment, USD: it settles what the contract bills.
    pub(super) prepaid_left: f64,
}

impl GpuCloud {
    /// Share of the GPUs under contract now.
    fn contracted_share(&self) -> f64 {
        self.contract.map_or(0.0, |c| c.share)
    }
}

/// What a renting GPU deployment earns and draws now.
#[derive(Copy, Clone, Debug)]
pub(super) struct CloudEarnings {
    /// What its contract bills, USD per hour (None without a contract in force).
    pub(super) contracted_usd_per_hour: Option<f64>,
    /// Its spot GPUs rented: [in a boom, in a bust] (working × utilisation × share up).
    pub(super) spot_rented: [f64; 2],
    /// Its facility load (working GPUs × kW × PUE × share up), MW.
    pub(super) facility_mw: f64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum CloudState {
    Pending,
    Active,
    Retired,
}

/// A conversion or grid upgrade under way.
#[derive(Debug, Clone)]
pub(super) struct Project {
    /// Capex rate while under way, USD per second.
    pub(super) rate: f64,
    /// Whether it is a conversion (for the conversion-capex metric).
    pub(super) conversion: bool,
    /// What finishing does.
    pub(super) kind: ProjectKind,
    pub(super) done: bool,
    /// When it finishes.
    pub(super) ready: SimTime,
    /// Share of its capex the company pays from its own cash as it is spent (the rest is
    /// drawn from a project loan as it is spent).
    pub(super) paid_from_cash: f64,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ProjectKind {
    Conversion { hall: usize },
    Grid { site: usize, add_mw: f64 },
}

/// Outages in force: per site, outages active and those with failed generators; per hall,
/// the summed derate of active cooling failures.
#[derive(Debug, Clone, Default)]
pub(super) struct OutageState {
    pub(super) grid_active: Vec<u32>,
    pub(super) generators_failed: Vec<u32>,
    pub(super) cooling_derate: Vec<f64>,
}

/// The plant under the plan. Tenancy and the plan's actions change it through the operator;
/// it answers what fits where and checks the physical invariants.
pub(super) struct Facilities {
    /// ASIC fleets, in the order they were installed (which keys their failure streams).
    pub(super) fleets: Vec<Fleet>,
    pub(super) halls: Vec<HallRuntime>,
    /// Each site's grid limit now, MW (grid upgrades raise it).
    pub(super) grid_mw: Vec<f64>,
    /// GPU-cloud deployments, in order (which keys their failure streams).
    pub(super) clouds: Vec<GpuCloud>,
    /// Conversions and grid upgrades, started or done.
    pub(super) projects: Vec<Project>,
    pub(super) outages: OutageState,
    /// Scratch for [`Facilities::step_day`]: the day's fleet draws begun and not yet ended
    /// (fleet index, draw).
    day_draws: Vec<(usize, DayDraw)>,
}

impl Facilities {
    /// The plant at time zero: the scenario's halls and grids, no fleets yet, no outages.
    pub(super) fn new(model: &CompiledScenario) -> Self {
        Facilities {
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
                    hosted_mw: 0.0,
                    asics_leave: None,
                })
                .collect(),
            grid_mw: model.sites.iter().map(|s| s.grid_mw).collect(),
            clouds: Vec::new(),
            projects: Vec::new(),
            outages: OutageState {
                grid_active: vec![0; model.sites.len()],
                generators_failed: vec![0; model.sites.len()],
                cooling_derate: vec![0.0; model.halls.len()],
            },
            day_draws: Vec::with_capacity(model.fleets.len()),
        }
    }

    /// Adds a fleet with its own failure stream (instance = its position in the list).
    pub(super) fn add_fleet(&mut self, spec: FleetSpec, seed: u64, replication: u64) {
        let instance = u16::try_from(self.fleets.len()).unwrap_or(u16::MAX);
        let rng = stream(
            seed,
            replication,
            StreamKind::AsicFailures.process(instance),
        );
        let state = FleetState::new(spec.units, spec.repair_days);
        let ageing = Ageing::new(
            spec.annual_failure_rate,
            spec.failure_rate_increase_per_year,
            spec.age_years,
            spec.installed,
            spec.life_years,
        );
        self.fleets.push(Fleet {
            daily_failure_prob: spec.daily_failure_prob,
            spec,
            state,
            rng,
            online: 1.0,
            ageing,
            next_rate_day: 0,
            retired: false,
            replaced: false,
        });
    }

    /// Start of day `day`: fleets at the end of their life retire, then ASIC and GPU failures
    /// and repairs. Returns the ASIC units retired.
    pub(super) fn step_day(&mut self, day: u64) -> u32 {
        let mut retired = 0;
        // Every fleet's day begins before any ends, so that their `exp`s overlap (see
        // `FleetState::begin_day`); each fleet draws from its own stream, in the same order.
        self.day_draws.clear();
        for (k, f) in self.fleets.iter_mut().enumerate() {
            if f.state.units > 0 && f.ageing.retired_by(day) {
                retired += f.state.units;
                f.state.remove(f.state.units);
                f.retired = true;
            }
            if f.ageing.wears_out() && day >= f.next_rate_day {
                f.daily_failure_prob = f.ageing.daily_prob_for_period(day);
                f.next_rate_day = day + RATE_PERIOD_DAYS;
            }
            if let Some(draw) = f.state.begin_day(day, f.daily_failure_prob) {
                self.day_draws.push((k, draw));
            }
        }
        for &(k, draw) in &self.day_draws {
            let f = &mut self.fleets[k];
            f.state.end_day(draw, &mut f.rng);
        }
        for c in &mut self.clouds {
            if c.state == CloudState::Active {
                c.failures.step_day(day, c.daily_failure_prob, &mut c.rng);
            }
        }
        retired
    }

    /// A grid outage starts at `site` (`generators_fail`: its backup generators fail too).
    pub(super) fn grid_down(&mut self, site: usize, generators_fail: bool) {
        self.outages.grid_active[site] += 1;
        if generators_fail {
            self.outages.generators_failed[site] += 1;
        }
    }

    /// A grid outage at `site` ends.
    pub(super) fn grid_up(&mut self, site: usize, generators_fail: bool) {
        self.outages.grid_active[site] = self.outages.grid_active[site].saturating_sub(1);
        if generators_fail {
            self.outages.generators_failed[site] =
                self.outages.generators_failed[site].saturating_sub(1);
        }
    }

    /// A cooling failure derating hall `hall` by `derate` (a share) starts.
    pub(super) fn cooling_down(&mut self, hall: usize, derate: f64) {
        self.outages.cooling_derate[hall] += derate;
    }

    /// A cooling failure derating hall `hall` by `derate` ends.
    pub(super) fn cooling_up(&mut self, hall: usize, derate: f64) {
        self.outages.cooling_derate[hall] = (self.outages.cooling_derate[hall] - derate).max(0.0);
    }

    /// Applies the outages in force to the fleets (the share of each that can run) and
    /// returns the number of sites whose grid is down and each hall's GPU share down.
    pub(super) fn apply_outages(&mut self) -> (f64, Vec<f64>) {
        let (asic_down, gpu_down) = self.outage_shares();
        let sites_down = self.outages.grid_active.iter().filter(|n| **n > 0).count() as f64;
        for f in &mut self.fleets {
            f.online = 1.0 - asic_down[f.spec.hall];
        }
        (sites_down, gpu_down)
    }

    /// Adds the plant to `r`, the rates between events, after the tenants: GPUs rented and
    /// their facility power (less the share down in each hall, `gpu_down`), opex of installed
    /// ASICs and of GPU-ready halls at their `sites`' rates, vacant GPU-ready MW, and the
    /// capex of projects under way.
    pub(super) fn add_rates(&self, sites: &[SiteSpec], gpu_down: &[f64], r: &mut Rates) {
        for (k, c) in self.clouds.iter().enumerate() {
            if let Some(e) = self.cloud_earnings(k, gpu_down) {
                if let Some(billed) = e.contracted_usd_per_hour {
                    r.contracted_gpu_usd_per_hour += billed;
                    if c.prepaid_left > 0.0 {
                        r.prepaid_clouds.push((k, billed));
                    }
                }
                if r.spot_gpus_rented.len() <= c.generation {
                    r.spot_gpus_rented.resize(c.generation + 1, [0.0; 2]);
                }
                let rented = &mut r.spot_gpus_rented[c.generation];
                rented[0] += e.spot_rented[0];
                rented[1] += e.spot_rented[1];
                r.paid_tenant_facility_mw += e.facility_mw;
            }
        }
        for f in &self.fleets {
            let site = &sites[f.spec.site];
            r.opex_usd_per_month +=
                site.asic_opex_usd_per_mw_month * f64::from(f.state.units) * f.spec.it_mw_per_unit;
        }
        for h in &self.halls {
            if h.use_ == HallUse::GpuReady {
                let capacity = h.shape.it_capacity_mw();
                let opex = sites[h.site].gpu_opex_usd_per_mw_month * capacity;
                r.opex_usd_per_month += opex;
                r.gpu_hall_opex_usd_per_month += opex;
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
    }

    /// What GPU deployment `cloud` earns and draws now, with each hall's GPU share down
    /// `gpu_down`; None unless it is renting.
    pub(super) fn cloud_earnings(&self, cloud: usize, gpu_down: &[f64]) -> Option<CloudEarnings> {
        let c = &self.clouds[cloud];
        if c.state != CloudState::Active {
            return None;
        }
        let up = 1.0 - gpu_down[c.hall];
        let working = f64::from(c.failures.working());
        // Contracted GPUs bill take-or-pay while working; the rest rent at spot, at the
        // utilisation of the day's regime.
        let contracted = c.contracted_share();
        let contracted_usd_per_hour = c
            .contract
            .map(|contract| working * contracted * up * contract.price);
        let spot = if contracted == 0.0 {
            working
        } else {
            working * (1.0 - contracted)
        };
        Some(CloudEarnings {
            contracted_usd_per_hour,
            spot_rented: [spot * c.utilization * up, spot * c.bust_utilization * up],
            facility_mw: working * c.kw_per_gpu / 1_000.0 * self.halls[c.hall].shape.pue * up,
        })
    }

    /// The share of each hall's capacity down now, for ASICs and for GPU loads. A grid
    /// outage stops ASICs; GPU halls with backup generators ride through it unless the
    /// generators failed. Cooling failures derate by their share.
    pub(super) fn outage_shares(&self) -> (Vec<f64>, Vec<f64>) {
        let o = &self.outages;
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

    /// Site facility load already promised: installed ASICs plus GPU capacity promised in
    /// GPU-ready or converting halls, MW.
    pub(super) fn committed_site_mw(&self, site: usize) -> f64 {
        self.committed_site_mw_without(site, None)
    }

    /// How much promising `mw` more of GPU capacity in `hall` adds to its site's committed
    /// load, MW: its facility load (× PUE), less what overlaps ASICs still hashing in a hall
    /// being converted around them (the site counts the larger of the two).
    pub(super) fn added_load(&self, hall: usize, mw: f64) -> f64 {
        let h = &self.halls[hall];
        if h.asics_leave.is_none() {
            return mw * h.shape.pue;
        }
        let asic = self.hall_asic_mw(hall, None);
        let before = asic.max(h.committed_mw * h.shape.pue);
        let after = asic.max((h.committed_mw + mw) * h.shape.pue);
        after - before
    }

    /// The facility load of the ASICs installed in `hall` (working or not), MW, leaving out
    /// fleet `except`.
    fn hall_asic_mw(&self, hall: usize, except: Option<usize>) -> f64 {
        self.fleets
            .iter()
            .enumerate()
            .filter(|(k, f)| f.spec.hall == hall && Some(*k) != except)
            .map(|(_, f)| f64::from(f.state.units) * f.spec.facility_mw_per_unit)
            .sum()
    }

    /// [`Facilities::committed_site_mw`] as if fleet `except` were gone.
    fn committed_site_mw_without(&self, site: usize, except: Option<usize>) -> f64 {
        let asic: f64 = self
            .fleets
            .iter()
            .enumerate()
            .filter(|(k, f)| f.spec.site == site && Some(*k) != except)
            .map(|(_, f)| f)
            .map(|f| f64::from(f.state.units) * f.spec.facility_mw_per_unit)
            .sum();
        let gpu: f64 = self
            .halls
            .iter()
            .filter(|h| h.site == site)
            .map(|h| (h.committed_mw + h.hosted_mw) * h.shape.pue)
            .sum();
        // A hall being converted around its still-hashing ASICs never carries both loads:
        // the ASICs leave before its GPUs arrive, so it counts the larger of the two.
        let overlap: f64 = (0..self.halls.len())
            .filter(|&i| self.halls[i].site == site && self.halls[i].asics_leave.is_some())
            .map(|i| {
                self.hall_asic_mw(i, except)
                    .min(self.halls[i].committed_mw * self.halls[i].shape.pue)
            })
            .sum();
        asic + gpu - overlap
    }

    /// How many of `wanted` units of `spec` fit in ASIC hall `hall`: racks, cooling and
    /// density in the hall, and the site's grid.
    pub(super) fn units_that_fit(&self, hall: usize, spec: &FleetSpec, wanted: u32) -> u32 {
        self.units_that_fit_without(hall, spec, wanted, None)
    }

    /// [`Facilities::units_that_fit`] as if fleet `except` were gone (to replace it).
    pub(super) fn units_that_fit_without(
        &self,
        hall: usize,
        spec: &FleetSpec,
        wanted: u32,
        except: Option<usize>,
    ) -> u32 {
        let h = &self.halls[hall];
        if f64::from(spec.units_per_rack) * spec.it_mw_per_unit * 1_000.0
            > h.shape.max_kw_per_rack * (1.0 + 1e-9)
        {
            return 0;
        }
        let (mut it_mw, mut racks) = (0.0, 0u64);
        for (_, f) in self
            .fleets
            .iter()
            .enumerate()
            .filter(|(k, f)| f.spec.hall == hall && Some(*k) != except)
        {
            it_mw += f64::from(f.state.units) * f.spec.it_mw_per_unit;
            racks += u64::from(f.state.units).div_ceil(u64::from(f.spec.units_per_rack));
        }
        let by_racks =
            (u64::from(h.shape.rack_slots).saturating_sub(racks)) * u64::from(spec.units_per_rack);
        let cooling_left = (h.shape.it_capacity_mw() - it_mw).max(0.0);
        let by_cooling = (cooling_left / spec.it_mw_per_unit + 1e-9).floor() as u64;
        let grid_left =
            (self.grid_mw[h.site] - self.committed_site_mw_without(h.site, except)).max(0.0);
        let by_grid = (grid_left / spec.facility_mw_per_unit + 1e-9).floor() as u64;
        u64::from(wanted).min(by_racks).min(by_cooling).min(by_grid) as u32
    }

    /// Checks the physical invariants (ARCHITECTURE.md, Invariants) for the current state:
    /// - each site's load (every working machine hashing, every billing tenant and active GPU
    ///   cloud drawing) times PUE is within its grid limit;
    /// - each ASIC hall's IT load is within its cooling and rack density, and its racks within
    ///   its slots;
    /// - each GPU hall's promised capacity and racks are within its capacity and slots.
    pub(super) fn check_invariants(
        &self,
        model: &CompiledScenario,
        tenancy: &Tenancy,
        now: SimTime,
    ) -> Result<(), String> {
        const SLACK: f64 = 1.0 + 1e-9;
        let mut site_mw = vec![0.0; model.sites.len()];
        let mut hall_it_mw = vec![0.0; self.halls.len()];
        let mut hall_racks = vec![0u64; self.halls.len()];
        for f in &self.fleets {
            let working = f64::from(f.state.working());
            site_mw[f.spec.site] += working * f.spec.facility_mw_per_unit;
            hall_it_mw[f.spec.hall] += f64::from(f.state.units) * f.spec.it_mw_per_unit;
            hall_racks[f.spec.hall] +=
                u64::from(f.state.units).div_ceil(u64::from(f.spec.units_per_rack));
        }
        tenancy.add_site_load(&self.halls, &mut site_mw);
        // A hosting client's machines counted at full run, whether they run or not.
        for hall in &self.halls {
            site_mw[hall.site] += hall.hosted_mw * hall.shape.pue;
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
                    model.sites[i].name, now
                ));
            }
        }
        for (i, hall) in self.halls.iter().enumerate() {
            let name = &model.halls[i].name;
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
                    // Only a hall converting around its ASICs, until they leave, holds any.
                    let keeps_asics =
                        matches!(hall.use_, HallUse::Converting(_)) && hall.asics_leave.is_some();
                    if hall_it_mw[i] > 0.0 && !keeps_asics {
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
                HallUse::Hosting => {
                    if hall_it_mw[i] > 0.0 || hall.committed_mw > 0.0 {
                        return Err(format!(
                            "hall {name}: the operator's load in a hosting hall"
                        ));
                    }
                    if hall.hosted_mw > capacity * SLACK {
                        return Err(format!(
                            "hall {name}: {:.3} MW hosted, capacity {capacity:.3} MW",
                            hall.hosted_mw
                        ));
                    }
                }
                HallUse::Idle | HallUse::Foreclosed => {
                    if hall_it_mw[i] > 0.0 || hall.committed_mw > 0.0 {
                        return Err(format!("hall {name}: load in an idle or foreclosed hall"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Halls that can take `mw` at `density_kw` per rack (liquid-cooled if `liquid`), ready by
    /// `start`, in hall order.
    /// How a campus tenant of `mw` (at `density_kw` a rack, liquid-cooled if `liquid`), larger
    /// than any one suitable hall of a site could ever hold, can take several halls of that
    /// site, all ready by `start`: the first site (file order) whose suitable halls hold it
    /// together, filled largest room first, within the site's grid; (hall, MW) each. None if
    /// no site can. A tenant that would fit a hall when it is empty is not split.
    pub(super) fn campus_split(
        &self,
        mw: f64,
        density_kw: f64,
        liquid: bool,
        start: SimTime,
    ) -> Option<Vec<(usize, f64)>> {
        for site in 0..self.grid_mw.len() {
            let mut room: Vec<(usize, f64)> = self
                .halls
                .iter()
                .enumerate()
                .filter(|(_, h)| h.site == site)
                .filter(|(_, h)| match h.use_ {
                    HallUse::GpuReady => true,
                    HallUse::Converting(at) => at <= start,
                    HallUse::Asic | HallUse::Idle | HallUse::Foreclosed | HallUse::Hosting => false,
                })
                .filter(|(_, h)| {
                    (!liquid || h.shape.cooling == Cooling::Liquid)
                        && h.shape.max_kw_per_rack >= density_kw
                })
                .map(|(i, h)| {
                    let racks_free =
                        u64::from(h.shape.rack_slots).saturating_sub(h.committed_racks);
                    // Whole racks only, so the pieces' racks fit.
                    let by_racks = racks_free as f64 * density_kw / 1_000.0;
                    (i, h.free_gpu_mw().min(by_racks))
                })
                .filter(|(_, free)| *free > 1e-9)
                .collect();
            let largest_hall = room
                .iter()
                .map(|(i, _)| self.halls[*i].shape.it_capacity_mw())
                .fold(0.0, f64::max);
            if mw <= largest_hall {
                continue;
            }
            room.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut left = mw;
            let mut pieces = Vec::new();
            let mut load = 0.0;
            for (hall, free) in room {
                if left <= 1e-9 {
                    break;
                }
                let take = free.min(left);
                pieces.push((hall, take));
                load += self.added_load(hall, take);
                left -= take;
            }
            if left <= 1e-9
                && self.committed_site_mw(site) + load <= self.grid_mw[site] * (1.0 + 1e-12)
            {
                return Some(pieces);
            }
        }
        None
    }

    pub(super) fn candidates(
        &self,
        mw: f64,
        density_kw: f64,
        liquid: bool,
        start: SimTime,
    ) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (i, h) in self.halls.iter().enumerate() {
            let ready = match h.use_ {
                HallUse::GpuReady => true,
                HallUse::Converting(at) => at <= start,
                HallUse::Asic | HallUse::Idle | HallUse::Hosting | HallUse::Foreclosed => false,
            };
            if !ready || (liquid && h.shape.cooling != Cooling::Liquid) {
                continue;
            }
            if h.shape.max_kw_per_rack < density_kw {
                continue;
            }
            if !self.has_room(i, mw, racks_for(mw, density_kw)) {
                continue;
            }
            out.push(Candidate {
                hall: i,
                free_mw: h.free_gpu_mw(),
            });
        }
        out
    }

    /// Whether `hall` can still promise `mw` of GPU capacity in `racks` racks: unpromised MW
    /// and rack slots, and its site's grid for the load it adds.
    pub(super) fn has_room(&self, hall: usize, mw: f64, racks: u64) -> bool {
        let h = &self.halls[hall];
        h.committed_racks.saturating_add(racks) <= u64::from(h.shape.rack_slots)
            && mw <= h.free_gpu_mw() * (1.0 + 1e-12)
            && self.committed_site_mw(h.site) + self.added_load(hall, mw)
                <= self.grid_mw[h.site] * (1.0 + 1e-12)
    }

    /// Promises `mw` MW IT and `racks` racks of GPU hall `hall` (to a lease or a GPU cloud).
    pub(super) fn reserve_gpu(&mut self, hall: usize, mw: f64, racks: u64) {
        let h = &mut self.halls[hall];
        h.committed_mw += mw;
        h.committed_racks += racks;
    }

    /// The mining EBITDA multiple the installed ASICs support at `now`: each fleet's years
    /// left (its own `life_years` if given, else `default_life`, less its age; `multiple`
    /// without either), at most `multiple`, averaged with weights of the fleets' hashrate.
    /// 0 when every fleet has been retired or sold (nothing is left to earn); None when the
    /// plant never had ASICs.
    pub(super) fn mining_multiple(
        &self,
        now: SimTime,
        default_life: Option<f64>,
        multiple: f64,
    ) -> Option<f64> {
        let (mut weighted, mut hashrate) = (0.0, 0.0);
        for f in &self.fleets {
            let th = f64::from(f.state.units) * f.spec.th_per_unit;
            let left = match (f.ageing.years_left_at(now.secs()), default_life) {
                (Some(left), _) => left,
                (None, Some(life)) => (life - f.ageing.age_at(now.secs())).max(0.0),
                (None, None) => multiple,
            };
            weighted += th * left.min(multiple);
            hashrate += th;
        }
        if self.fleets.is_empty() {
            None
        } else if hashrate > 0.0 {
            Some(weighted / hashrate)
        } else {
            Some(0.0)
        }
    }

    /// What the operator's GPUs are worth at `now`, USD: their cost × the share of their
    /// life left (straight-line from when they started renting) × their generation's price
    /// level now against its level then (`levels`, at `years` from the start now and at
    /// activation): a GPU is worth what is left of its earning power, and a newer generation
    /// or age lowers what an hour of it earns. Whole while waiting for their hall, nothing
    /// once retired.
    pub(super) fn gpu_residual_value(&self, now: SimTime, levels: &GpuGenerationLevels) -> f64 {
        let years = |t: SimTime| t.secs() as f64 / SECONDS_PER_YEAR;
        self.clouds
            .iter()
            .map(|c| match (c.state, c.activated) {
                (CloudState::Pending, _) => c.capex,
                (CloudState::Active, Some(from)) => {
                    let used = now.secs().saturating_sub(from.secs()) as f64;
                    let straight_line = c.capex * (1.0 - used / c.life_secs.max(1) as f64).max(0.0);
                    let then = levels.level(c.generation, years(from));
                    let level = levels.level(c.generation, years(now));
                    if then > 0.0 && level != then {
                        straight_line * (level / then)
                    } else {
                        straight_line
                    }
                }
                _ => 0.0,
            })
            .fold(0.0, |total, v| total + v)
    }

    /// The capex still to be paid from the company's own cash by the projects under way at
    /// `now`, USD.
    pub(super) fn cash_committed(&self, now: SimTime) -> f64 {
        self.projects
            .iter()
            .filter(|p| !p.done)
            .map(|p| p.rate * p.ready.secs().saturating_sub(now.secs()) as f64 * p.paid_from_cash)
            .sum()
    }

    /// The lenders of its project loan took `hall`: nothing is promised in it any more, and
    /// the company's GPUs in it go with it.
    pub(super) fn foreclose(&mut self, hall: usize) {
        let h = &mut self.halls[hall];
        h.use_ = HallUse::Foreclosed;
        h.committed_mw = 0.0;
        h.committed_racks = 0;
        for c in self.clouds.iter_mut().filter(|c| c.hall == hall) {
            c.state = CloudState::Retired;
        }
    }

    /// The lenders of its SPV loan took GPU deployment `cloud` with its contract: it earns,
    /// draws and is worth nothing more to the company, and its space and racks are free.
    pub(super) fn foreclose_cloud(&mut self, cloud: usize) {
        let c = &mut self.clouds[cloud];
        if c.state == CloudState::Retired {
            return;
        }
        c.state = CloudState::Retired;
        c.contract = None;
        c.prepaid_left = 0.0;
        let (hall, mw) = (c.hall, f64::from(c.gpus) * c.kw_per_gpu / 1_000.0);
        let racks = racks_for(mw, self.halls[hall].shape.max_kw_per_rack);
        self.release_gpu(hall, mw, racks);
    }

    /// Frees what [`Facilities::reserve_gpu`] promised.
    pub(super) fn release_gpu(&mut self, hall: usize, mw: f64, racks: u64) {
        let h = &mut self.halls[hall];
        h.committed_mw = (h.committed_mw - mw).max(0.0);
        h.committed_racks = h.committed_racks.saturating_sub(racks);
    }
}
