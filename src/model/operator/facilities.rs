//! The physical plant under the plan: halls, ASIC fleets, GPU clouds, projects under way,
//! outages in force, and the physical invariants they must respect.

use rand::rngs::ChaCha8Rng;

use crate::engine::SimTime;
use crate::model::compiled::{FleetSpec, HallShape};
use crate::model::fleet::FleetState;
use crate::model::operator::{LeaseState, Operator};

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
pub(super) struct Fleet {
    pub(super) spec: FleetSpec,
    pub(super) state: FleetState,
    pub(super) rng: ChaCha8Rng,
    /// Share of its working units that can run now (0 in a grid outage, less in a cooling
    /// failure).
    pub(super) online: f64,
}

/// Operator-owned GPUs in a hall.
#[derive(Debug)]
pub(super) struct GpuCloud {
    pub(super) hall: usize,
    pub(super) gpus: u32,
    pub(super) kw_per_gpu: f64,
    pub(super) utilization: f64,
    pub(super) life_secs: u64,
    /// Waiting for the hall, renting, or retired.
    pub(super) state: CloudState,
    /// GPUs failed and awaiting replacement.
    pub(super) failures: FleetState,
    pub(super) daily_failure_prob: f64,
    pub(super) rng: ChaCha8Rng,
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

impl Operator<'_> {
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
}
