//! ASIC failures and repairs: how many machines of each fleet are working on a given day.
//!
//! Tens of thousands of machines each failing a few percent a year would be tens of
//! thousands of events per run, so failures are counted per fleet per day: the day's failures
//! among working units are Binomial(working, p) with p = 1 − e^(−rate/365.25) (for small p
//! its Poisson limit, timed by one exponential clock per failure rather than a draw per day;
//! ASIC fleets and GPU clouds alike), and each cohort comes back after exactly
//! `repair_days`. In steady state the fraction in repair is p·r / (1 + p·r), which the tests
//! check.
//!
//! Machines wear out: a fleet's annual failure rate rises linearly with its age, and at the
//! end of its physical life every unit is retired. The rate is re-read once per
//! [`RATE_PERIOD_DAYS`], at the age in the middle of the period (the rate rises about a point
//! a year, so a month's steps are far finer than the ageing they follow).

use pivotsim_engine::{DAYS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_YEAR, SimTime, math};
use rand::rngs::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::world::samplers::uniform_above_zero;

/// Days between two updates of an ageing fleet's failure rate.
pub const RATE_PERIOD_DAYS: u64 = 30;

/// The probability that a working unit fails during one day at `annual_rate` failures per
/// unit per year.
pub fn daily_failure_prob(annual_rate: f64) -> f64 {
    1.0 - math::exp(-annual_rate / DAYS_PER_YEAR)
}

/// How one fleet ages: its failure rate by age and when it reaches the end of its life.
#[derive(Debug, Clone, Copy)]
pub struct Ageing {
    /// Failures per unit per year at age 0.
    base_rate: f64,
    /// Rise of the annual failure rate per year of age.
    increase_per_year: f64,
    /// Age when installed, years.
    age_at_install: f64,
    /// When installed, seconds from the start.
    installed_secs: u64,
    /// When every unit is retired, seconds from the start (None: never).
    retire_secs: Option<u64>,
}

impl Ageing {
    /// A fleet failing `base_rate` per unit per year when new, `increase_per_year` more per
    /// year of age, installed at `installed` aged `age_years`, retired at `life_years` of age.
    pub fn new(
        base_rate: f64,
        increase_per_year: f64,
        age_years: f64,
        installed: SimTime,
        life_years: Option<f64>,
    ) -> Self {
        Ageing {
            base_rate,
            increase_per_year,
            age_at_install: age_years,
            installed_secs: installed.secs(),
            retire_secs: life_years.map(|life| {
                installed.secs() + ((life - age_years).max(0.0) * SECONDS_PER_YEAR) as u64
            }),
        }
    }

    /// Whether the failure rate changes with age (if not, the draws keep one probability).
    pub fn wears_out(&self) -> bool {
        self.increase_per_year > 0.0
    }

    /// Age at `secs` from the start, years.
    pub fn age_at(&self, secs: u64) -> f64 {
        self.age_at_install + secs.saturating_sub(self.installed_secs) as f64 / SECONDS_PER_YEAR
    }

    /// The daily failure probability for the period of [`RATE_PERIOD_DAYS`] that starts on
    /// day `day`: the annual rate at the age in the middle of the period.
    pub fn daily_prob_for_period(&self, day: u64) -> f64 {
        let middle = day * SECONDS_PER_DAY + RATE_PERIOD_DAYS * SECONDS_PER_DAY / 2;
        daily_failure_prob(self.base_rate + self.increase_per_year * self.age_at(middle))
    }

    /// Whether the fleet has reached the end of its life by the start of day `day`.
    pub fn retired_by(&self, day: u64) -> bool {
        self.retire_secs.is_some_and(|t| day * SECONDS_PER_DAY >= t)
    }

    /// Years of life left at `secs` from the start (None: no end of life).
    pub fn years_left_at(&self, secs: u64) -> Option<f64> {
        self.retire_secs
            .map(|t| t.saturating_sub(secs) as f64 / SECONDS_PER_YEAR)
    }
}

/// A block of machines in a refresh decision.
#[derive(Debug, Clone, Copy)]
pub struct Machines {
    /// Units.
    pub units: f64,
    /// Hashrate of one unit, TH/s.
    pub th_per_unit: f64,
    /// Facility load of one unit (IT × PUE), MW.
    pub facility_mw_per_unit: f64,
}

impl Machines {
    /// Margin of running all the units for a day, USD: revenue at `hashprice` (USD per PH/s
    /// per day) less the pool's cut (`revenue_share` kept), less power at
    /// `power_usd_per_mwh`.
    pub fn margin_per_day(
        &self,
        hashprice: f64,
        revenue_share: f64,
        power_usd_per_mwh: f64,
    ) -> f64 {
        self.units
            * (self.th_per_unit * hashprice / 1_000.0 * revenue_share
                - self.facility_mw_per_unit * 24.0 * power_usd_per_mwh)
    }
}

/// Months for `net_cost_usd` (the new machines' price less what the old ones sell for) to
/// pay back from the margin the `new` machines earn above the `old` ones' at `hashprice`,
/// `revenue_share` and `power_usd_per_mwh`. The old margin counts as nothing when negative
/// (the old machines could be switched off instead). None when the new machines earn no
/// more; 0 when the swap costs nothing net.
pub fn refresh_payback_months(
    old: Machines,
    new: Machines,
    hashprice: f64,
    revenue_share: f64,
    power_usd_per_mwh: f64,
    net_cost_usd: f64,
) -> Option<f64> {
    let gain = new.margin_per_day(hashprice, revenue_share, power_usd_per_mwh)
        - old
            .margin_per_day(hashprice, revenue_share, power_usd_per_mwh)
            .max(0.0);
    (gain > 0.0).then(|| net_cost_usd.max(0.0) / (gain * DAYS_PER_YEAR / 12.0))
}

/// The working and failed units of one fleet.
#[derive(Debug, Clone)]
pub struct FleetState {
    /// Units installed.
    pub units: u32,
    /// Units out for repair.
    pub failed: u32,
    /// Failures by the day they return: slot `day % repair_days`.
    returning: Vec<u32>,
    /// What is left of the exponential clock (mean 1) that times the next failure, as its
    /// survival e^(−clock), uniform on (0, 1] (NaN: not drawn yet). See
    /// [`FleetState::draw_failures`].
    clock: f64,
    /// The last day stepped and its slot in `returning`, so that consecutive days find their
    /// slot without a division.
    last_step: Option<(u64, usize)>,
}

/// One fleet-day's failure draw, prepared by [`FleetState::begin_day`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayDraw {
    /// Its slot in the repair cohorts (`day % repair_days`).
    slot: usize,
    /// Units working after today's returns.
    working: u32,
    /// Daily failure probability of a working unit.
    p: f64,
    /// e^(−working · p), the survival of the day's hazard, when the day's count is drawn by
    /// the fleet's clock; `None` when it takes a binomial draw instead (p ≥ 1e-3 or a hazard
    /// of 10 or more). Either way a day with no working unit or p ≤ 0 draws nothing.
    survival: Option<f64>,
}

impl FleetState {
    /// A fleet with every unit working.
    pub fn new(units: u32, repair_days: u32) -> Self {
        FleetState {
            units,
            failed: 0,
            returning: vec![0; repair_days.max(1) as usize],
            clock: f64::NAN,
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
        if let Some(draw) = self.begin_day(day, daily_failure_prob) {
            self.end_day(draw, rng);
        }
    }

    /// The first half of [`FleetState::step_day`]: the units due back return, and today's
    /// failure draw is prepared (its survival e^(−hazard) computed), or `None` for a fleet
    /// with no units. [`FleetState::end_day`] then draws the failures. A caller stepping
    /// several fleets begins every fleet's day before ending any, so that their `exp`s,
    /// which depend on nothing drawn, overlap in the processor instead of each waiting
    /// behind the previous fleet's draws (the draws and their order are the same).
    ///
    /// The two calls are a pair: between them the returned units have left `failed` but
    /// their slot still holds them, so nothing else may touch the fleet until `end_day`.
    #[inline]
    pub(crate) fn begin_day(&mut self, day: u64, daily_failure_prob: f64) -> Option<DayDraw> {
        if self.units == 0 {
            // Nothing to step (a fleet sold, retired or moved out): no unit is in repair
            // (`failed` ≤ `units`, and the cohorts sum to `failed`, so every slot is 0), and
            // no failure is drawn among 0 working units, which takes no random number. The
            // day would only move the slot on, and the next stepped day after a gap finds it
            // from `day % repair_days`, the same slot.
            return None;
        }
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
        let p = daily_failure_prob;
        let hazard = f64::from(working) * p;
        let binomial = p >= 1e-3 || hazard >= 10.0;
        Some(DayDraw {
            slot,
            working,
            p,
            survival: (!binomial).then(|| math::exp(-hazard)),
        })
    }

    /// The second half of [`FleetState::step_day`]: draws the failures `draw` prepared and
    /// sends them to repair.
    #[inline]
    pub(crate) fn end_day(&mut self, draw: DayDraw, rng: &mut ChaCha8Rng) {
        let failures = self.draw_failures(&draw, rng);
        self.returning[draw.slot] = failures;
        self.failed += failures;
    }

    /// Binomial(n, p) failures. For small p the Poisson limit, mean n·p, is within n·p² of it
    /// in total variation (p ≈ 2·10⁻⁴ a day for ASICs); it is capped at n.
    ///
    /// The Poisson counts of successive days are the points of one unit-rate Poisson process
    /// laid over the fleet's cumulative hazard: day d covers the next h_d = n_d·p_d of it, and
    /// the gaps between points are independent exponential clocks E of mean 1. The fleet
    /// keeps the clock left before its next failure as a survival V = e^(−E), uniform on
    /// (0, 1]: the clock runs out within the day if E ≤ h, that is V ≥ S = e^(−h), and the
    /// rest of the day is then worth a survival S/V, against which the next clock is
    /// compared; a day the clock outlasts leaves V/S. The count of a day is Poisson(h_d) and
    /// independent of earlier days (the clock is memoryless), as with a draw every day, for
    /// one uniform per failure and one `exp` per fleet-day instead of a uniform per
    /// fleet-day and a table of the Poisson CDF for every new count in repair. Larger p or
    /// means (a rate above about 37% a year, more than 10 expected failures a day, a test's
    /// p = 1) take a binomial draw and leave the clock as it is (still uniform, being
    /// independent of that draw).
    #[inline]
    fn draw_failures(&mut self, draw: &DayDraw, rng: &mut ChaCha8Rng) -> u32 {
        let (n, p) = (draw.working, draw.p);
        if n == 0 || p <= 0.0 {
            return 0;
        }
        let Some(mut survival) = draw.survival else {
            return Binomial::new(u64::from(n), p.min(1.0))
                .map(|d| d.sample(rng).min(u64::from(n)) as u32)
                .unwrap_or(0);
        };
        // A clock not drawn yet (NaN) is drawn now.
        let mut clock = if self.clock.is_nan() {
            uniform_above_zero(rng)
        } else {
            self.clock
        };
        let mut failures = 0u32;
        while clock >= survival {
            failures += 1;
            survival /= clock;
            clock = uniform_above_zero(rng);
        }
        self.clock = clock / survival;
        failures.min(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::samplers::exp1;
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
    fn failures_over_a_year_follow_the_rate_at_its_age() {
        // A fleet aged a = 5 at 6%/yr new, +1 point per year of age: the rate over its sixth
        // year is λ(s) = 0.06 + 0.01·s for s in [5, 6], so the expected failures per unit over
        // the year are ∫₅⁶ λ = 0.06 + 0.01·5.5 = 0.115 (closed form). With repair_days = 1 a
        // failed unit is out a single day, so the working count stays within p ≈ 3e-4 of N.
        // N = 100,000: 11,500 expected, sd ≈ √11,500 ≈ 107 (0.9%); allow 3% (the 365 stepped
        // days are 0.07% short of a year of 365.25). A constant 6% would give 6,000.
        let ageing = Ageing::new(0.06, 0.01, 5.0, SimTime::ZERO, None);
        let mut f = FleetState::new(100_000, 1);
        let mut rng = stream(11, 0, ProcessId::new(100, 0));
        let mut p = 0.0;
        let mut failures = 0u64;
        for day in 0..365 {
            if day % RATE_PERIOD_DAYS == 0 {
                p = ageing.daily_prob_for_period(day);
            }
            f.step_day(day, p, &mut rng);
            // With r = 1 yesterday's failures are back and those out are today's.
            failures += u64::from(f.failed);
        }
        let expected = 100_000.0 * (0.06 + 0.01 * 5.5);
        let measured = failures as f64;
        assert!(
            (measured / expected - 1.0).abs() < 0.03,
            "{measured} failures vs {expected}"
        );
    }

    #[test]
    fn refresh_pays_back_in_the_months_worked_by_hand() {
        // Old: 1,000 S19 XP (140 TH/s, 3.01 kW, PUE 1.06 → 3.1906e-3 MW). New: 1,000 units of
        // 270 TH/s at 3.24 kW (12 J/TH) → 3.4344e-3 MW. Hashprice $40/PH/day, 98% kept,
        // power $40/MWh.
        //   old margin/day = 1000 · (140 · 0.04 · 0.98 − 3.1906e-3 · 24 · 40) = 1000 · (5.488 −
        //     3.0630) = 2,425.0
        //   new margin/day = 1000 · (270 · 0.04 · 0.98 − 3.4344e-3 · 24 · 40) = 1000 · (10.584 −
        //     3.2970) = 7,287.0
        //   gain = 4,862.0/day = 147,985/month (× 365.25/12)
        // New at $20/TH = $5.4M, old sold at $4/TH = $0.56M: net $4.84M → 32.71 months.
        let old = Machines {
            units: 1_000.0,
            th_per_unit: 140.0,
            facility_mw_per_unit: 3.01e-3 * 1.06,
        };
        let new = Machines {
            units: 1_000.0,
            th_per_unit: 270.0,
            facility_mw_per_unit: 3.24e-3 * 1.06,
        };
        let net = 1_000.0 * 270.0 * 20.0 - 1_000.0 * 140.0 * 4.0;
        let months = refresh_payback_months(old, new, 40.0, 0.98, 40.0, net).unwrap();
        assert!((months - 32.71).abs() < 0.01, "{months}");
        // The rule compares this with its limit: 33 months fires, 32 does not.
        assert!(months <= 33.0 && months > 32.0);
        // Hashprice at $15: the old machines lose money (5.488·15/40 = 2.058 < 3.063), so
        // only the new margin counts: 1000 · (3.969 − 3.297) = 672/day → 4.84M / (672 ·
        // 30.4375) = 236.6 months.
        let months = refresh_payback_months(old, new, 15.0, 0.98, 40.0, net).unwrap();
        assert!((months - 236.6).abs() < 0.2, "{months}");
        // New machines no better than the old: no payback at all.
        assert!(refresh_payback_months(old, old, 40.0, 0.98, 40.0, 0.0).is_none());
    }

    #[test]
    fn end_of_life_is_the_day_the_age_reaches_the_life() {
        // Installed at age 7.5 with an 8-year life: it retires 0.5 year = 182.625 days later,
        // i.e. at the start of day 183 (the first day starting at or after it), not day 182.
        let ageing = Ageing::new(0.06, 0.0, 7.5, SimTime::ZERO, Some(8.0));
        assert!(!ageing.retired_by(182));
        assert!(ageing.retired_by(183));
        // Bought on day 100 at age 0 with a 1-year life: 365.25 days later, day 466.
        let bought = SimTime::from_secs(100 * SECONDS_PER_DAY);
        let ageing = Ageing::new(0.06, 0.0, 0.0, bought, Some(1.0));
        assert!(!ageing.retired_by(465));
        assert!(ageing.retired_by(466));
        assert!((ageing.years_left_at(bought.secs()).unwrap() - 1.0).abs() < 1e-12);
        // Already past its life when installed: retired at once.
        let old = Ageing::new(0.06, 0.0, 9.0, bought, Some(8.0));
        assert!(old.retired_by(100));
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
    fn daily_counts_are_poisson_at_the_days_mean() {
        // 100,000 units out for one day each (r = 1) at p = 1.6e-5: n·p = 1.6 (to within the
        // p ≈ 1.6e-5 of units out). Each day's count is Poisson(1.6): P(0) = e^(−1.6) =
        // 0.20190, P(1) = 1.6·P(0) = 0.32303, P(2) = 1.28·P(0) = 0.25843, P(3) = 0.13783, and
        // the variance equals the mean. Over 200,000 days the sd of a share near 0.3 is
        // √(0.3·0.7/200,000) = 0.001; allow 0.005, and 3% on the variance-to-mean ratio (a
        // Poisson sample variance has sd √((λ + 2λ²)/200,000) = 0.0058, 0.36% of λ).
        // Days are independent, the clock carrying nothing over (it is memoryless): two days
        // in a row without a failure have probability e^(−1.6)² = e^(−3.2) = 0.040762 (sd of
        // the share over 200,000 pairs √(0.0408·0.959/200,000) = 4.4e-4; allow 0.002), and
        // the lag-1 correlation of the counts is 0 (sd 1/√200,000 = 0.0022; allow 0.01).
        let p = 1.6e-5;
        let mut f = FleetState::new(100_000, 1);
        let mut rng = stream(12, 0, ProcessId::new(100, 0));
        let days = 200_000u64;
        let mut counts = [0u64; 4];
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        let mut daily = Vec::with_capacity(days as usize);
        for day in 0..days {
            f.step_day(day, p, &mut rng);
            let k = f.failed;
            if (k as usize) < counts.len() {
                counts[k as usize] += 1;
            }
            sum += f64::from(k);
            sum_sq += f64::from(k) * f64::from(k);
            daily.push(f64::from(k));
        }
        let pairs = daily.windows(2);
        let both_zero = pairs.clone().filter(|w| w[0] == 0.0 && w[1] == 0.0).count();
        let share = both_zero as f64 / (days - 1) as f64;
        assert!((share - 0.040762).abs() < 0.002, "two quiet days {share}");
        let m = sum / days as f64;
        let lag1: f64 = pairs.map(|w| (w[0] - m) * (w[1] - m)).sum::<f64>() / (days - 1) as f64;
        let correlation = lag1 / (sum_sq / days as f64 - m * m);
        assert!(correlation.abs() < 0.01, "lag-1 correlation {correlation}");
        let p0 = (-1.6f64).exp();
        for (k, expected) in [p0, 1.6 * p0, 1.28 * p0, 1.6f64.powi(3) / 6.0 * p0]
            .into_iter()
            .enumerate()
        {
            let share = counts[k] as f64 / days as f64;
            assert!(
                (share - expected).abs() < 0.005,
                "P({k}) {share} vs {expected}"
            );
        }
        let mean = sum / days as f64;
        let variance = sum_sq / days as f64 - mean * mean;
        assert!((mean / 1.6 - 1.0).abs() < 0.01, "mean {mean}");
        assert!(
            (variance / mean - 1.0).abs() < 0.03,
            "dispersion {}",
            variance / mean
        );
    }

    #[test]
    fn the_clocks_give_the_same_counts_as_a_plain_clock_on_every_day() {
        same_draws_as_plain_clock(|_| true);
    }

    #[test]
    fn skipped_days_keep_the_slot_of_their_date() {
        // A GPU cloud's failures step only while it is active, so days can be skipped; the
        // slot must still be `day % repair_days`, not the next one along.
        same_draws_as_plain_clock(|day| day % 7 != 3 && !(400..433).contains(&day));
    }

    /// The reference's Poisson count for `hazard` expected failures, written in the clock's
    /// own terms: exponential clocks ([`exp1`], mean 1) run out one after another within the
    /// hazard, and the clock left (drawn at the first call) carries over. The fleet works with
    /// survivals e^(−clock) instead, so the two agree in law and, but for rounding in the last
    /// bits, draw for draw.
    fn plain_clock_count(clock: &mut Option<f64>, hazard: f64, rng: &mut ChaCha8Rng) -> u32 {
        let mut left = hazard;
        let mut k = 0;
        let mut c = clock.unwrap_or_else(|| exp1(rng));
        while c <= left {
            left -= c;
            k += 1;
            c = exp1(rng);
        }
        *clock = Some(c - left);
        k
    }

    #[test]
    fn an_emptied_fleet_refilled_draws_as_if_stepped_throughout() {
        // A fleet sold out on day 1,000 and refilled with 4,000 working units on day 1,300
        // (a plan moving its machines out and back). Reference: every day stepped, slot
        // `day % 20`, a clock run down by n·p whenever units work and not at all when none
        // do. The fleet skips the empty days outright; the failures it counts and the stream
        // position must match the reference on every day, and a skipped day that still drew
        // would shift every later draw.
        let p = 1.0 - (-0.3f64 / 365.25).exp();
        let mut fleet = FleetState::new(5_000, 20);
        let mut rng = stream(6, 0, ProcessId::new(100, 0));
        let mut reference_rng = stream(6, 0, ProcessId::new(100, 0));
        let (mut units, mut failed, mut returning) = (5_000u32, 0u32, vec![0u32; 20]);
        let mut clock = None;
        for day in 0..2_000u64 {
            if day == 1_000 {
                fleet.remove(fleet.units);
                (units, failed) = (0, 0);
                returning.fill(0);
            }
            if day == 1_300 {
                fleet.add(4_000);
                units = 4_000;
            }
            fleet.step_day(day, p, &mut rng);
            let slot = (day % 20) as usize;
            failed -= returning[slot];
            let n = units - failed;
            let k = if n == 0 {
                0
            } else {
                plain_clock_count(&mut clock, f64::from(n) * p, &mut reference_rng).min(n)
            };
            returning[slot] = k;
            failed += k;
            assert_eq!(fleet.failed, failed, "day {day}");
            assert_eq!(fleet.returning, returning, "day {day}");
        }
        assert!(failed > 0, "the refilled fleet fails again");
        assert_eq!(
            rand::Rng::next_u64(&mut rng),
            rand::Rng::next_u64(&mut reference_rng)
        );
    }

    /// Steps a fleet on the days `stepped` keeps and checks it against a reference that runs
    /// one clock down by n·p each stepped day and finds the slot as `day % r`. Same stream,
    /// same units removed half-way: same counts, and the stream ends in the same place.
    fn same_draws_as_plain_clock(stepped: impl Fn(u64) -> bool) {
        // 30%/yr: p = 8.2e-4 and n·p ≈ 4, inside the Poisson branch.
        let p = 1.0 - (-0.3f64 / 365.25).exp();
        let mut fleet = FleetState::new(5_000, 20);
        let mut rng = stream(4, 0, ProcessId::new(100, 0));
        let mut reference_rng = stream(4, 0, ProcessId::new(100, 0));
        let (mut units, mut failed, mut returning) = (5_000u32, 0u32, vec![0u32; 20]);
        let mut clock = None;
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
            let k = plain_clock_count(&mut clock, f64::from(n) * p, &mut reference_rng).min(n);
            returning[slot] = k;
            failed += k;
            assert_eq!(fleet.failed, failed, "day {day}");
        }
        assert_eq!(
            rand::Rng::next_u64(&mut rng),
            rand::Rng::next_u64(&mut reference_rng)
        );
    }
}
