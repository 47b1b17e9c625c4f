//! Best fit: the hall left with the least free capacity after placing, which keeps large
//! blocks free for large tenants. Ties go to the earlier hall.

use crate::placement::{Candidate, Placement};

/// Takes the tightest feasible hall.
pub struct BestFit;

impl Placement for BestFit {
    fn choose(&self, need_mw: f64, candidates: &[Candidate]) -> Option<usize> {
        let mut best: Option<(f64, usize)> = None;
        for c in candidates {
            let left = c.free_mw - need_mw;
            if best.is_none_or(|(b, _)| left < b) {
                best = Some((left, c.hall));
            }
        }
        best.map(|(_, hall)| hall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_tightest_and_breaks_ties_by_order() {
        // Needing 10 MW: hall 3 would keep 40 free, hall 1 keeps 0, hall 2 keeps 0 → hall 1.
        let c = [
            Candidate {
                hall: 3,
                free_mw: 50.0,
            },
            Candidate {
                hall: 1,
                free_mw: 10.0,
            },
            Candidate {
                hall: 2,
                free_mw: 10.0,
            },
        ];
        assert_eq!(BestFit.choose(10.0, &c), Some(1));
    }
}
