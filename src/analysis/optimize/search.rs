//! The search over a grid of candidates, independent of what a candidate is: it asks for the
//! scores of batches of grid points and keeps the best by feasibility-first ranking.
//!
//! Three strategies, chosen by the problem's shape (docs/decisions.md, Optimisation):
//! - **exhaustive** when the whole grid fits in the budget: one batch, the exact optimum of
//!   the sample-average problem on the grid;
//! - **bisection** for one variable that is itself the objective under a constraint that gets
//!   easier as the variable grows (or shrinks): the smallest (largest) feasible grid point in
//!   ⌈log₂ n⌉ + 2 evaluations, bracketed by an infeasible neighbour;
//! - **pattern search** otherwise: a coarse lattice first, then from the best point the ±h
//!   neighbours along every axis, all in one batch; move to the best of them, else halve h;
//!   stop when no unit move improves (a local optimum on the grid) or the budget is spent.
//!   It uses only comparisons of scores, so jumps and flat stretches of the objective (a
//!   sample average over futures is piecewise constant in a date) do not mislead it.
//!
//! Every point is scored once (a cache by grid point); batches are evaluated in parallel by
//! the caller.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// How good one candidate is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Every constraint is met (at its stated confidence).
    pub feasible: bool,
    /// How far the constraints are from being met (0 when feasible), in shares of their
    /// limits summed over constraints.
    pub violation: f64,
    /// The objective to minimise (a maximised objective negated); NaN when undefined.
    pub cost: f64,
}

impl Score {
    /// Feasibility-first ranking (Deb's rules): a feasible point beats an infeasible one;
    /// two feasible points compare by cost, two infeasible ones by violation. `Less` means
    /// better. An undefined cost ranks last.
    pub fn rank(&self, other: &Score) -> Ordering {
        let key = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
        match (self.feasible, other.feasible) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (true, true) => key(self.cost).total_cmp(&key(other.cost)),
            (false, false) => key(self.violation)
                .total_cmp(&key(other.violation))
                .then(key(self.cost).total_cmp(&key(other.cost))),
        }
    }
}

/// A grid point: one index per variable.
pub type Point = Vec<usize>;

/// Scores a batch of distinct grid points, in order, or fails with the caller's error.
pub type Scorer<'a, E> = dyn FnMut(&[Point]) -> Result<Vec<Score>, E> + 'a;

/// How the grid is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every grid point, in one batch.
    Exhaustive,
    /// One variable, feasible from some grid point on (`feasible_above`) or up to one.
    Bisection {
        /// The constraints hold at and above the answer (minimising the variable); else at
        /// and below it (maximising).
        feasible_above: bool,
    },
    /// Pattern search from a coarse lattice.
    Pattern,
}

impl Strategy {
    /// The name outputs use.
    pub fn key(self) -> &'static str {
        match self {
            Strategy::Exhaustive => "exhaustive",
            Strategy::Bisection { .. } => "bisection",
            Strategy::Pattern => "pattern",
        }
    }
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Every point scored, in the order scored.
    pub scored: Vec<(Point, Score)>,
    /// The best point by [`Score::rank`] (ties to the first scored), if any was scored.
    pub best: Option<Point>,
    /// The search stopped on its own (a grid local optimum, a closed bracket, the whole
    /// grid) rather than by running out of budget.
    pub converged: bool,
}

impl Outcome {
    /// The distinct points scored, best first by [`Score::rank`] (ties in scoring order).
    pub fn ranked(&self) -> Vec<&(Point, Score)> {
        let mut all: Vec<&(Point, Score)> = self.scored.iter().collect();
        all.sort_by(|a, b| a.1.rank(&b.1));
        all
    }
}

/// Searches the grid of `sizes` points per variable with at most `budget` scored points.
/// `score` receives batches of distinct, not yet scored points and returns their scores in
/// order; an error stops the search and is returned.
pub fn search<E>(
    sizes: &[usize],
    strategy: Strategy,
    budget: usize,
    score: &mut Scorer<'_, E>,
) -> Result<Outcome, E> {
    let mut run = Run {
        cache: BTreeMap::new(),
        scored: Vec::new(),
        budget,
        score,
    };
    let converged = match strategy {
        Strategy::Exhaustive => run.exhaustive(sizes)?,
        Strategy::Bisection { feasible_above } => run.bisection(sizes[0], feasible_above)?,
        Strategy::Pattern => run.pattern(sizes)?,
    };
    let best = run.best_of(run.scored.iter().map(|(p, _)| p.clone()).collect());
    Ok(Outcome {
        scored: run.scored,
        best,
        converged,
    })
}

/// The number of points of a grid, if it is at most `limit`.
pub fn grid_size(sizes: &[usize], limit: usize) -> Option<usize> {
    sizes
        .iter()
        .try_fold(1usize, |n, &s| n.checked_mul(s))
        .filter(|&n| n <= limit)
}

struct Run<'a, E> {
    cache: BTreeMap<Point, Score>,
    scored: Vec<(Point, Score)>,
    budget: usize,
    score: &'a mut Scorer<'a, E>,
}

impl<E> Run<'_, E> {
    /// Scores the points not yet scored, as many as the budget leaves, in one batch.
    fn score_batch(&mut self, points: &[Point]) -> Result<(), E> {
        let mut fresh: Vec<Point> = Vec::new();
        for p in points {
            if !self.cache.contains_key(p) && !fresh.contains(p) {
                fresh.push(p.clone());
            }
        }
        fresh.truncate(self.budget - self.scored.len().min(self.budget));
        if fresh.is_empty() {
            return Ok(());
        }
        let scores = (self.score)(&fresh)?;
        for (p, s) in fresh.into_iter().zip(scores) {
            self.cache.insert(p.clone(), s);
            self.scored.push((p, s));
        }
        Ok(())
    }

    fn spent(&self) -> bool {
        self.scored.len() >= self.budget
    }

    /// The best scored point among `points` (ties to the first listed).
    fn best_of(&self, points: Vec<Point>) -> Option<Point> {
        let mut best: Option<(Point, Score)> = None;
        for p in points {
            let Some(&s) = self.cache.get(&p) else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(_, b)| s.rank(b) == Ordering::Less)
            {
                best = Some((p, s));
            }
        }
        best.map(|(p, _)| p)
    }

    fn exhaustive(&mut self, sizes: &[usize]) -> Result<bool, E> {
        let total = grid_size(sizes, usize::MAX).unwrap_or(usize::MAX);
        let points: Vec<Point> = (0..total.min(self.budget))
            .map(|i| unravel(i, sizes))
            .collect();
        self.score_batch(&points)?;
        Ok(self.scored.len() == total)
    }

    /// Bisection for the edge of the feasible set, working on indices flipped so that the
    /// feasible end is the top (`feasible_above`) in either direction.
    fn bisection(&mut self, n: usize, feasible_above: bool) -> Result<bool, E> {
        let at = |k: usize| vec![if feasible_above { k } else { n - 1 - k }];
        let feasible = |run: &Self, k: usize| run.cache.get(&at(k)).is_some_and(|s| s.feasible);
        self.score_batch(&[at(n - 1), at(0)])?;
        if !feasible(self, n - 1) {
            // Not even the easiest end meets the constraints.
            return Ok(true);
        }
        if feasible(self, 0) || !self.cache.contains_key(&at(0)) {
            return Ok(self.cache.contains_key(&at(0)));
        }
        // Invariant: `low` is infeasible, `high` feasible.
        let (mut low, mut high) = (0, n - 1);
        while high - low > 1 {
            if self.spent() {
                return Ok(false);
            }
            let mid = low + (high - low) / 2;
            self.score_batch(&[at(mid)])?;
            if feasible(self, mid) {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(true)
    }

    fn pattern(&mut self, sizes: &[usize]) -> Result<bool, E> {
        // The lattice of each axis's ends and middle when it takes at most half the budget,
        // else the centre alone.
        let axis_marks: Vec<Vec<usize>> = sizes
            .iter()
            .map(|&n| {
                let mut marks = vec![0, (n - 1) / 2, n - 1];
                marks.dedup();
                marks
            })
            .collect();
        let lattice_size = axis_marks.iter().map(Vec::len).product::<usize>();
        let start: Vec<Point> = if lattice_size * 2 <= self.budget {
            let lens: Vec<usize> = axis_marks.iter().map(Vec::len).collect();
            (0..lattice_size)
                .map(|i| {
                    unravel(i, &lens)
                        .iter()
                        .zip(&axis_marks)
                        .map(|(&j, marks)| marks[j])
                        .collect()
                })
                .collect()
        } else {
            vec![sizes.iter().map(|&n| (n - 1) / 2).collect()]
        };
        self.score_batch(&start)?;
        let Some(mut incumbent) = self.best_of(start) else {
            return Ok(false);
        };
        let mut steps: Vec<usize> = sizes.iter().map(|&n| ((n - 1) / 4).max(1)).collect();
        loop {
            let mut neighbours = Vec::new();
            for (axis, &h) in steps.iter().enumerate() {
                let here = incumbent[axis];
                for there in [here.saturating_sub(h), (here + h).min(sizes[axis] - 1)] {
                    if there != here {
                        let mut p = incumbent.clone();
                        p[axis] = there;
                        neighbours.push(p);
                    }
                }
            }
            let budget_left = !self.spent();
            self.score_batch(&neighbours)?;
            let mut candidates = vec![incumbent.clone()];
            candidates.extend(neighbours);
            let Some(best) = self.best_of(candidates) else {
                return Ok(false);
            };
            if best != incumbent {
                incumbent = best;
            } else if steps.iter().all(|&h| h == 1) {
                // No unit move improves: a local optimum on the grid.
                return Ok(true);
            } else {
                for h in &mut steps {
                    *h = (*h / 2).max(1);
                }
            }
            if !budget_left || self.spent() {
                return Ok(false);
            }
        }
    }
}

/// Grid point number `i` (the last variable fastest).
fn unravel(mut i: usize, sizes: &[usize]) -> Point {
    let mut p = vec![0; sizes.len()];
    for (axis, &n) in sizes.iter().enumerate().rev() {
        p[axis] = i % n;
        i /= n;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unconstrained(cost: f64) -> Score {
        Score {
            feasible: true,
            violation: 0.0,
            cost,
        }
    }

    fn run(
        sizes: &[usize],
        strategy: Strategy,
        budget: usize,
        f: impl Fn(&[usize]) -> Score,
    ) -> (Outcome, Vec<usize>) {
        let mut batches = Vec::new();
        let outcome = search::<()>(sizes, strategy, budget, &mut |points| {
            batches.push(points.len());
            Ok(points.iter().map(|p| f(p)).collect())
        })
        .unwrap();
        (outcome, batches)
    }

    #[test]
    fn pattern_search_finds_the_minimum_of_a_separable_bowl() {
        // f(x, y) = (x − 13)² + 3(y − 7)² on 41 × 21 points: convex and separable, so moves
        // along the axes reach the minimum (13, 7), where f = 0, and no unit move improves.
        let f = |p: &[usize]| {
            let (x, y) = (p[0] as f64, p[1] as f64);
            unconstrained((x - 13.0).powi(2) + 3.0 * (y - 7.0).powi(2))
        };
        let (outcome, batches) = run(&[41, 21], Strategy::Pattern, 60, f);
        assert_eq!(outcome.best, Some(vec![13, 7]));
        assert!(outcome.converged);
        assert!(outcome.scored.len() <= 60);
        // The 3 × 3 lattice comes first, in one batch; later batches hold up to 4 neighbours.
        assert_eq!(batches[0], 9);
        assert!(batches[1..].iter().all(|&b| b <= 4));
    }

    #[test]
    fn pattern_search_respects_its_budget_and_keeps_the_best_seen() {
        let f = |p: &[usize]| unconstrained((p[0] as f64 - 70.0).abs());
        let (outcome, _) = run(&[101], Strategy::Pattern, 5, f);
        assert_eq!(outcome.scored.len(), 5);
        assert!(!outcome.converged);
        let best = outcome.best.unwrap();
        let best_cost = f(&best).cost;
        assert!(outcome.scored.iter().all(|(_, s)| s.cost >= best_cost));
    }

    #[test]
    fn exhaustive_search_finds_the_global_minimum_of_a_two_well_function() {
        // Two wells: at 5 (depth −1) and at 30 (depth −2); a local search from the middle
        // could stop in either, the whole grid cannot miss the deeper one.
        let f = |p: &[usize]| {
            let x = p[0] as f64;
            unconstrained(
                -(-(x - 5.0).powi(2) / 4.0).exp() - 2.0 * (-(x - 30.0).powi(2) / 4.0).exp(),
            )
        };
        let (outcome, batches) = run(&[40], Strategy::Exhaustive, 60, f);
        assert_eq!(outcome.best, Some(vec![30]));
        assert_eq!(batches, vec![40]);
        assert!(outcome.converged);
    }

    #[test]
    fn bisection_brackets_the_edge_of_a_monotone_constraint() {
        // Feasible from index 37 of 101 on: the answer is 37 and 36 is infeasible, found in
        // 2 + ⌈log₂ 100⌉ = 9 evaluations at most.
        let f = |p: &[usize]| Score {
            feasible: p[0] >= 37,
            violation: 37usize.saturating_sub(p[0]) as f64,
            cost: p[0] as f64,
        };
        let (outcome, _) = run(
            &[101],
            Strategy::Bisection {
                feasible_above: true,
            },
            60,
            f,
        );
        assert_eq!(outcome.best, Some(vec![37]));
        assert!(outcome.converged);
        assert!(outcome.scored.len() <= 9, "{}", outcome.scored.len());
        assert!(
            outcome
                .scored
                .iter()
                .any(|(p, s)| p == &vec![36] && !s.feasible)
        );
        // Maximising instead, feasible up to 62: the answer is 62.
        let g = |p: &[usize]| Score {
            feasible: p[0] <= 62,
            violation: p[0].saturating_sub(62) as f64,
            cost: -(p[0] as f64),
        };
        let (outcome, _) = run(
            &[101],
            Strategy::Bisection {
                feasible_above: false,
            },
            60,
            g,
        );
        assert_eq!(outcome.best, Some(vec![62]));
    }

    #[test]
    fn feasibility_comes_first() {
        // Minimise x + y subject to x + y ≥ 10 on 0..=20 squared: every point of the line
        // x + y = 10 is optimal, and the first of them in grid order is (0, 10).
        let f = |p: &[usize]| {
            let s = (p[0] + p[1]) as f64;
            Score {
                feasible: s >= 10.0,
                violation: (10.0 - s).max(0.0) / 10.0,
                cost: s,
            }
        };
        let (outcome, _) = run(&[21, 21], Strategy::Exhaustive, 1000, f);
        assert_eq!(outcome.best, Some(vec![0, 10]));
        let infeasible = Score {
            feasible: false,
            violation: 0.1,
            cost: -100.0,
        };
        assert_eq!(
            unconstrained(5.0).rank(&infeasible),
            Ordering::Less,
            "a feasible point beats any infeasible one"
        );
    }
}
