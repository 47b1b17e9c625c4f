//! Simulated time as whole seconds since the scenario start.
//!
//! Time is an integer so that event ordering is exact and identical on every machine: two
//! events scheduled "at the same time" really compare equal, and no epsilon is ever needed.
//! Conversions to fractional days or hours exist only for reporting and for rate × elapsed
//! integrals, never for ordering.

use std::fmt;
use std::ops::Add;

/// Seconds in one hour.
pub const SECONDS_PER_HOUR: u64 = 3_600;

/// Seconds in one day (every simulated day has exactly this many; no leap seconds).
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Hours in one day.
pub const HOURS_PER_DAY: u64 = 24;

/// Days in a year, for rates quoted per year and spans reported in years: the Julian year of
/// 365.25 days (calendar dates use [`crate::Calendar`] instead).
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Hours in a year of [`DAYS_PER_YEAR`] days: 8,766 (exact).
pub const HOURS_PER_YEAR: f64 = DAYS_PER_YEAR * HOURS_PER_DAY as f64;

/// Seconds in a year of [`DAYS_PER_YEAR`] days: 31,557,600 (exact).
pub const SECONDS_PER_YEAR: f64 = DAYS_PER_YEAR * SECONDS_PER_DAY as f64;

/// Months in a year.
pub const MONTHS_PER_YEAR: f64 = 12.0;

/// Seconds in an average month, a twelfth of a year: 2,629,800 (exact).
pub const SECONDS_PER_AVG_MONTH: f64 = SECONDS_PER_YEAR / MONTHS_PER_YEAR;

/// Average months ([`SECONDS_PER_AVG_MONTH`] each) to whole seconds, rounded down; negative
/// spans count as none.
pub fn months_to_secs(months: f64) -> u64 {
    (months.max(0.0) * SECONDS_PER_AVG_MONTH) as u64
}

/// An instant of simulated time: integer seconds since the scenario start (time 0).
///
/// Arithmetic saturates at [`SimTime::MAX`] instead of wrapping, so "never" can be written as
/// `SimTime::MAX` and adding a delay to it stays "never".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);

    /// The latest representable instant; usable as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `secs` seconds after the start.
    #[inline]
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime(secs)
    }

    /// The instant `hours` hours after the start (saturating at [`SimTime::MAX`]).
    #[inline]
    pub const fn from_hours(hours: u64) -> SimTime {
        SimTime(hours.saturating_mul(SECONDS_PER_HOUR))
    }

    /// The instant `days` days after the start (saturating at [`SimTime::MAX`]).
    #[inline]
    pub const fn from_days(days: u64) -> SimTime {
        SimTime(days.saturating_mul(SECONDS_PER_DAY))
    }

    /// Seconds since the start.
    #[inline]
    pub const fn secs(self) -> u64 {
        self.0
    }

    /// Days since the start, fractional (for reporting and integrals, not ordering).
    #[inline]
    pub fn days_f64(self) -> f64 {
        self.0 as f64 / SECONDS_PER_DAY as f64
    }

    /// Hours since the start, fractional (for reporting and integrals, not ordering).
    #[inline]
    pub fn hours_f64(self) -> f64 {
        self.0 as f64 / SECONDS_PER_HOUR as f64
    }

    /// Index of the hour containing this instant: whole hours since the start, rounded down.
    #[inline]
    pub const fn hour_index(self) -> u64 {
        self.0 / SECONDS_PER_HOUR
    }

    /// Index of the day containing this instant: whole days since the start, rounded down.
    #[inline]
    pub const fn day_index(self) -> u64 {
        self.0 / SECONDS_PER_DAY
    }

    /// This instant plus `s` seconds, saturating at [`SimTime::MAX`].
    #[inline]
    pub fn saturating_add_secs(self, s: u64) -> SimTime {
        SimTime(self.0.saturating_add(s))
    }

    /// Seconds from `earlier` to `self`; 0 if `earlier` is actually later.
    #[inline]
    pub fn secs_since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for SimTime {
    type Output = SimTime;

    /// Adds a delay in seconds, saturating at [`SimTime::MAX`].
    #[inline]
    fn add(self, secs: u64) -> SimTime {
        self.saturating_add_secs(secs)
    }
}

impl fmt::Display for SimTime {
    /// Formats as `d<days>+HH:MM:SS`, e.g. `d123+04:05:06`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rem = self.0 % SECONDS_PER_DAY;
        write!(
            f,
            "d{}+{:02}:{:02}:{:02}",
            self.day_index(),
            rem / SECONDS_PER_HOUR,
            (rem % SECONDS_PER_HOUR) / 60,
            rem % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_indices() {
        // 2 days = 2 × 86,400 = 172,800 s; 5 hours = 18,000 s.
        assert_eq!(SimTime::from_days(2).secs(), 172_800);
        assert_eq!(SimTime::from_hours(5).secs(), 18_000);
        // 100,000 s = 27 h 46 min 40 s → hour 27, day 1.
        let t = SimTime::from_secs(100_000);
        assert_eq!(t.hour_index(), 27);
        assert_eq!(t.day_index(), 1);
        // 129,600 s = 1.5 days = 36 hours exactly.
        let t = SimTime::from_secs(129_600);
        assert_eq!(t.days_f64(), 1.5);
        assert_eq!(t.hours_f64(), 36.0);
        // 365.25 days of reporting: 365 × 86,400 + 21,600 = 31,557,600 s.
        assert_eq!(SimTime::from_secs(31_557_600).days_f64(), 365.25);
    }

    #[test]
    fn year_units_are_the_julian_year_exactly() {
        // 365.25 × 24 = 8,766 h; 365.25 × 86,400 = 31,557,600 s; / 12 = 2,629,800 s. All are
        // integers below 2^53, so the products are exact and equal the literals bit for bit.
        assert_eq!(DAYS_PER_YEAR, 365.25);
        assert_eq!(HOURS_PER_YEAR, 8_766.0);
        assert_eq!(SECONDS_PER_YEAR, 31_557_600.0);
        assert_eq!(SECONDS_PER_YEAR, 365.25 * 86_400.0);
        assert_eq!(SECONDS_PER_AVG_MONTH, 2_629_800.0);
        assert_eq!(SECONDS_PER_HOUR * HOURS_PER_DAY, SECONDS_PER_DAY);
        // 1.5 months = 3,944,700 s; a negative span is none.
        assert_eq!(months_to_secs(1.5), 3_944_700);
        assert_eq!(months_to_secs(-2.0), 0);
    }

    #[test]
    fn saturating_arithmetic() {
        // u64::MAX + 1 saturates to u64::MAX instead of wrapping to 0.
        assert_eq!(SimTime::MAX + 1, SimTime::MAX);
        assert_eq!(SimTime::MAX.saturating_add_secs(10), SimTime::MAX);
        // u64::MAX days × 86,400 overflows, so it saturates.
        assert_eq!(SimTime::from_days(u64::MAX), SimTime::MAX);
        // 10 + 5 = 15 s.
        assert_eq!(SimTime::from_secs(10) + 5, SimTime::from_secs(15));
        // 100 − 40 = 60 s; the reverse would be negative, so 0.
        let (a, b) = (SimTime::from_secs(40), SimTime::from_secs(100));
        assert_eq!(b.secs_since(a), 60);
        assert_eq!(a.secs_since(b), 0);
    }

    #[test]
    fn display() {
        // 123 days + 4 h 5 min 6 s = 123 × 86,400 + 4 × 3,600 + 5 × 60 + 6 = 10,641,906 s.
        assert_eq!(SimTime::from_secs(10_641_906).to_string(), "d123+04:05:06");
        assert_eq!(SimTime::ZERO.to_string(), "d0+00:00:00");
        // 86,399 s is the last second of day 0.
        assert_eq!(SimTime::from_secs(86_399).to_string(), "d0+23:59:59");
    }

    #[test]
    fn ordering_is_by_seconds() {
        // Plain integer order: 59 s < 1 min + 0 s = 60 s < 1 h.
        assert!(SimTime::from_secs(59) < SimTime::from_secs(60));
        assert!(SimTime::from_secs(60) < SimTime::from_hours(1));
        assert_eq!(SimTime::default(), SimTime::ZERO);
    }
}
