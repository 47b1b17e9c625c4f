//! Where an inquiry goes: a policy choosing among the halls that can take it.
//!
//! The operator filters halls by every hard constraint (GPU-ready in time, cooling, density,
//! free racks and MW, site grid headroom); a policy only ranks what remains. One file per
//! policy, so a new rule is a new file and a line in [`policy`].

mod best_fit;
mod first_fit;

pub use best_fit::BestFit;
pub use first_fit::FirstFit;

use pivotsim_scenario::PlacementPolicy;

/// A hall that can take an inquiry.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Global hall index.
    pub hall: usize,
    /// IT capacity free before placing, MW.
    pub free_mw: f64,
}

/// Chooses a hall among feasible candidates (given in hall order).
pub trait Placement {
    /// The chosen candidate's hall, or None when there are none.
    fn choose(&self, need_mw: f64, candidates: &[Candidate]) -> Option<usize>;
}

/// The policy object for a plan's setting.
pub fn policy(p: PlacementPolicy) -> &'static dyn Placement {
    match p {
        PlacementPolicy::FirstFit => &FirstFit,
        PlacementPolicy::BestFit => &BestFit,
    }
}
