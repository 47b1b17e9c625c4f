//! ASIC failures and repairs: how many machines of each fleet are working on a given day.
//!
//! Tens of thousands of machines each failing a few percent a year would be tens of
//! thousands of events per run, so failures are drawn per fleet per day: the day's failures
//! among working units are Binomial(working, p) with p = 1 − e^(−rate/365.25), and each
//! cohort comes back after exactly `repair_days`. In steady state the fraction in repair is
//! p·r / (1 + p·r), which the tests check.

use pivotsim_engine::math;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::world::samplers::PoissonHead;

/// The working and failed units of one fleet.
#[derive(Debug, Clone)]
pub struct FleetState {
    /// Units installed.
    pub units: u32,
    /// Units out for repair.
    pub failed: u32,
    /// Failures by the day they return: slot `day % repair_days`.
    returning: Vec<u32>,
    /// The Poisson draw's table (e^(−working · p) and the first CDF terms) by units in repair
    /// (`None`: not yet computed), valid for `cache_key`. Working counts repeat from day to
    /// day, so this saves nearly every `exp` and division of the daily draws, with the same
    /// bits.
    heads_by_failed: Vec<Option<PoissonHead>>,
    /// The last day stepped and its slot in `returning`, so that consecutive days find their
    /// slot without a division.
    last_step: Option<(u64, usize)>,
    /// (units, daily failure probability bits) the cache was filled for.
    cache_key: (u32, u64),
}

impl FleetState {
    /// A fleet with every unit working.
    pub fn new(units: u32, repair_days: u32) -> Self {
        FleetState {
            units,
            failed: 0,
            returning: vec![0; repair_days.max(1) as usize],
            heads_by_failed: Vec::new(),
            cache_key: (units, f64::NAN.to_bits()),
            last_step: None,
        }
    }

    /// Units working (not in repair).
    pub fn working(&self) -> u32 {
        self.units - self.failed
    }

    /// Removes `n` units (sold or moved out), working ones first, then those in repair.
    pub fn remove(&mut self, n: u32) {
        let n = n.min(self.units);
        let from_working = n.min(self.working());
        let mut from_failed = n - from_working;
        self.units -= n;
        // Units in repair leave from the cohorts due back soonest.
        for slot in self.returning.iter_mut() {
            let take = from_failed.min(*slot);
            *slot -= take;
            self.failed -= take;
            from_failed -= take;
        }
    }

    /// Adds `n` working units (moved back in).
    pub fn add(&mut self, n: u32) {
        self.units += n;
    }

    /// Advances to day `day`: units that failed `repair_days` ago return, then today's failures
    /// are drawn among the working units.
    #[inline]
    pub fn step_day(&mut self, day: u64, daily_failure_prob: f64, rng: &mut ChaCha8Rng) {
        let slot = match self.last_step {
            // `day % len`, from yesterday's slot (`(day − 1) % len`) without a division.
            Some((last_day, last_slot)) if day.checked_sub(1) == Some(last_day) => {
                if last_slot + 1 == self.returning.len() {
                    0
                } else {
                    last_slot + 1
                }
            }
            _ => (day % self.returning.len() as u64) as usize,
        };
        self.last_step = Some((day, slot));
        self.failed -= self.returning[slot];
        let working = self.working();
        let failures = self.draw_failures(working, daily_failure_prob, rng);
        self.returning[slot] = failures;
        self.failed += failures;
    }

    /// Binomial(n, p) failures. For n·p below 1 with small p the Poisson limit is within
    /// n·p² of it in total variation and far cheaper; it is capped at n.
    #[inline]
    fn draw_failures(&mut self, n: u32, p: f64, rng: &mut ChaCha8Rng) -> u32 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        // The usual day: this working count's Poisson table is cached. A table exists only
        // where `draw_failures_uncached` chose the Poisson branch for this same (units, p,
        // working), so using it here draws exactly what that would.
        if let Some(head) = self.cached_head(n, p) {
            return head.sample(rng).min(u64::from(n)) as u32;
        }
        self.draw_failures_uncached(n, p, rng)
    }

    /// The Poisson table cached for `n` working units at daily probability `p`, if any.
    #[inline]
    fn cached_head(&self, n: u32, p: f64) -> Option<&PoissonHead> {
        if self.cache_key != (self.units, p.to_bits()) {
            return None;
        }
        self.heads_by_failed
            .get((self.units - n) as usize)?
            .as_ref()
    }

    /// [`FleetState::draw_failures`] when no table is cached: builds it, or draws a binomial.
    #[cold]
    #[inline(never)]
    fn draw_failures_uncached(&mut self, n: u32, p: f64, rng: &mut ChaCha8Rng) -> u32 {
        let mean = f64::from(n) * p;
        if p < 1e-3 && mean < 10.0 {
            // 0 < mean < 10 here, so this is `poisson(rng, mean)` with its table cached.
            return (self.head(n, p, mean).sample(rng).min(u64::from(n))) as u32;
        }
        Binomial::new(u64::from(n), p.min(1.0))
            .map(|d| d.sample(rng).min(u64::from(n)) as u32)
            .unwrap_or(0)
    }

    /// The Poisson table for `n` working units at daily probability `p` (mean = n · p),
    /// from the cache when this working count was seen before with the same units and p.
    fn head(&mut self, n: u32, p: f64, mean: f64) -> &PoissonHead {
        let key = (self.units, p.to_bits());
        if self.cache_key != key {
            self.cache_key = key;
            self.heads_by_failed.clear();
        }
        // Only the failed count varies while the key holds; a fleet rarely has more than a
        // few dozen units out, so the cache stays small.
        let failed = (self.units - n) as usize;
        if failed >= self.heads_by_failed.len() {
            self.heads_by_failed.resize(failed + 1, None);
        }
        self.heads_by_failed[failed].get_or_insert_with(|| PoissonHead::new(mean, math::exp(-mean)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_engine::{ProcessId, stream};

    #[test]
    fn steady_state_fraction_in_repair_matches_the_renewal_formula() {
        // Each working unit fails with p per day and is out r days. Flow balance in steady
        // state: failures/day = W·p, units in repair = W·p·r, so the fraction in repair is
        // p·r / (1 + p·r). With 6%/yr, p = 1 − e^(−0.06/365.25) = 1.6426e-4, r = 30:
        // p·r = 4.928e-3 → 0.4904%. 10,000 units over 20 years after a one-year warm-up.
        let p = 1.0 - (-0.06f64 / 365.25).exp();
        let r = 30u32;
        let mut f = FleetState::new(10_000, r);
        let mut rng = stream(9, 0, ProcessId::new(100, 0));
        let mut sum = 0.0;
        let days = 20 * 365;
        for d in 0..(365 + days) {
            f.step_day(d, p, &mut rng);
            if d >= 365 {
                sum += f64::from(f.failed);
            }
        }
        let fraction = sum / days as f64 / 10_000.0;
        let pr = p * f64::from(r);
        let expected = pr / (1.0 + pr);
        // About 12,000 failures over the window: relative sd ≈ 1/√12,000 ≈ 0.9%; allow 5%.
        assert!(
            (fraction / expected - 1.0).abs() < 0.05,
            "{fraction} vs {expected}"
        );
    }

    #[test]
    fn failed_units_return_after_exactly_repair_days() {
        // With p = 1 every working unit fails on day 0; none can fail again while out, and all
        // come back on day r, when they all fail again.
        let mut f = FleetState::new(5, 3);
        let mut rng = stream(1, 0, ProcessId::new(100, 0));
        f.step_day(0, 1.0, &mut rng);
        assert_eq!(f.failed, 5);
        f.step_day(1, 1.0, &mut rng);
        f.step_day(2, 1.0, &mut rng);
        assert_eq!(f.failed, 5);
        f.step_day(3, 0.0, &mut rng);
        assert_eq!(f.failed, 0);
    }

    #[test]
    fn cached_first_terms_give_the_same_draws_as_plain_poisson() {
        same_draws_as_plain_poisson(|_| true);
    }

    #[test]
    fn skipped_days_keep_the_slot_of_their_date() {
        // A GPU cloud's failures step only while it is active, so days can be skipped; the
        // slot must still be `day % repair_days`, not the next one along.
        same_draws_as_plain_poisson(|day| day % 7 != 3 && !(400..433).contains(&day));
    }

    /// Steps a fleet on the days `stepped` keeps and checks it against a reference that
    /// recomputes e^(−n·p) on every draw through `poisson` and finds the slot as `day % r`.
    /// The fleet caches the Poisson table by units in repair. Same stream, same units removed
    /// half-way: same counts.
    fn same_draws_as_plain_poisson(stepped: impl Fn(u64) -> bool) {
        use crate::world::samplers::poisson;
        // 30%/yr: p = 8.2e-4 and n·p ≈ 4, inside the Poisson branch.
        let p = 1.0 - (-0.3f64 / 365.25).exp();
        let mut fleet = FleetState::new(5_000, 20);
        let mut rng = stream(4, 0, ProcessId::new(100, 0));
        let mut reference_rng = stream(4, 0, ProcessId::new(100, 0));
        let (mut units, mut failed, mut returning) = (5_000u32, 0u32, vec![0u32; 20]);
        for day in (0..3_000u64).filter(|d| stepped(*d)) {
            if day == 1_500 {
                fleet.remove(1_000);
                units -= 1_000;
                failed = fleet.failed;
                returning.clone_from(&fleet.returning);
            }
            fleet.step_day(day, p, &mut rng);
            let slot = (day % 20) as usize;
            failed -= returning[slot];
            let n = units - failed;
            let k = poisson(&mut reference_rng, f64::from(n) * p).min(u64::from(n)) as u32;
            returning[slot] = k;
            failed += k;
            assert_eq!(fleet.failed, failed, "day {day}");
        }
    }
}
