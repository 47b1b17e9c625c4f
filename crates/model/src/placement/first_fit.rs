//! First fit: the first hall in file order that can take the inquiry. Simple and predictable;
//! it fills early halls first.

use crate::placement::{Candidate, Placement};

/// Takes the first feasible hall.
pub struct FirstFit;

impl Placement for FirstFit {
    fn choose(&self, _need_mw: f64, candidates: &[Candidate]) -> Option<usize> {
        candidates.first().map(|c| c.hall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_first() {
        let c = [
            Candidate {
                hall: 3,
                free_mw: 50.0,
            },
            Candidate {
                hall: 1,
                free_mw: 10.0,
            },
        ];
        assert_eq!(FirstFit.choose(10.0, &c), Some(3));
        assert_eq!(FirstFit.choose(10.0, &[]), None);
    }
}
