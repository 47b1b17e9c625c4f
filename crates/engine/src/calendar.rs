//! Maps simulated time onto the civil calendar of the scenario.
//!
//! The kernel counts plain seconds; anything that depends on months, years or leap days (monthly
//! accounting, annual escalators, dated actions) asks a [`Calendar`], which delegates every date
//! computation to `chrono` so that no calendar arithmetic is written by hand.

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::time::{DAYS_PER_YEAR, SECONDS_PER_DAY, SimTime};

/// The civil calendar of a scenario: `SimTime::ZERO` is midnight at the start of `start`.
///
/// Days are exactly [`SECONDS_PER_DAY`](crate::time::SECONDS_PER_DAY) seconds long;
/// there are no time zones or leap seconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Calendar {
    start: NaiveDate,
}

impl Calendar {
    /// A calendar whose time 0 is midnight at the start of `start`.
    pub const fn new(start: NaiveDate) -> Calendar {
        Calendar { start }
    }

    /// The date of time 0.
    pub const fn start(&self) -> NaiveDate {
        self.start
    }

    /// The date containing instant `t` (whole days after the start, rounded down).
    ///
    /// Saturates at `NaiveDate::MAX` (year 262,142) for instants beyond chrono's range, such as
    /// `SimTime::MAX`.
    pub fn date_of(&self, t: SimTime) -> NaiveDate {
        self.start
            .checked_add_days(Days::new(t.day_index()))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Midnight at the start of `date`, or `None` if `date` is before the start.
    pub fn time_of(&self, date: NaiveDate) -> Option<SimTime> {
        let days = u64::try_from(date.signed_duration_since(self.start).num_days()).ok()?;
        Some(SimTime::from_days(days))
    }

    /// The start date plus `years` calendar years, or `None` past chrono's range.
    ///
    /// A start of Feb 29 lands on Feb 28 in non-leap years (chrono's month clamping).
    pub fn add_years(&self, years: u32) -> Option<NaiveDate> {
        self.start
            .checked_add_months(Months::new(years.checked_mul(12)?))
    }

    /// Instants of the first day of every calendar month after time 0, up to and including `end`.
    ///
    /// Time 0 itself is never included, even when the start is the 1st of a month: a start of
    /// 2026-03-15 or 2026-03-01 both give 2026-04-01, 2026-05-01, ... Ascending order.
    pub fn month_starts(&self, end: SimTime) -> Vec<SimTime> {
        let mut out = Vec::new();
        let Some(first_of_start_month) = self.start.with_day(1) else {
            return out;
        };
        for k in 1u32.. {
            let Some(t) = first_of_start_month
                .checked_add_months(Months::new(k))
                .and_then(|d| self.time_of(d))
            else {
                break;
            };
            if t > end {
                break;
            }
            out.push(t);
        }
        out
    }

    /// The decimal year of `t`: the calendar year plus the elapsed fraction of it
    /// (2028-07-02 00:00 in a leap year is 2028 + 183/366 = 2028.5).
    pub fn decimal_year(&self, t: SimTime) -> f64 {
        let date = self.date_of(t);
        let year = date.year();
        let days_in_year = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366.0
        } else {
            365.0
        };
        let secs_into_day = (t.secs() % SECONDS_PER_DAY) as f64;
        f64::from(year)
            + (f64::from(date.ordinal0()) + secs_into_day / SECONDS_PER_DAY as f64) / days_in_year
    }

    /// Whole calendar months from the start's month to the month containing `t`.
    ///
    /// 0 throughout the first (possibly partial) month, 1 from the 1st of the next month, and
    /// so on. Saturates at `u32::MAX`.
    pub fn month_index(&self, t: SimTime) -> u32 {
        let d = self.date_of(t);
        let months = i64::from(d.year() - self.start.year()) * 12 + i64::from(d.month())
            - i64::from(self.start.month());
        u32::try_from(months).unwrap_or(u32::MAX)
    }

    /// Years since the start as `t.days_f64() / 365.25` (Julian years; for discounting and
    /// rates quoted per year, not for calendar dates: use [`Calendar::add_years`] for those).
    pub fn year_fraction(&self, t: SimTime) -> f64 {
        t.days_f64() / DAYS_PER_YEAR
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SECONDS_PER_DAY;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn date_of_and_time_of() {
        let cal = Calendar::new(date(2026, 3, 15));
        // March has 31 days: Mar 15 + 16 days = Mar 31, + 17 days = Apr 1.
        assert_eq!(cal.date_of(SimTime::from_days(17)), date(2026, 4, 1));
        // The last second of day 16 is still Mar 31 (floor to the day).
        assert_eq!(
            cal.date_of(SimTime::from_secs(17 * SECONDS_PER_DAY - 1)),
            date(2026, 3, 31)
        );
        // Inverse: Apr 1 is 17 days = 1,468,800 s after the start.
        assert_eq!(
            cal.time_of(date(2026, 4, 1)),
            Some(SimTime::from_secs(1_468_800))
        );
        assert_eq!(cal.time_of(date(2026, 3, 15)), Some(SimTime::ZERO));
        // One day before the start has no instant.
        assert_eq!(cal.time_of(date(2026, 3, 14)), None);
        // Far beyond chrono's range saturates rather than panicking.
        assert_eq!(cal.date_of(SimTime::MAX), NaiveDate::MAX);
    }

    #[test]
    fn leap_day() {
        // 2028 is a leap year (divisible by 4, not by 100): Feb 28 + 1 = Feb 29, + 2 = Mar 1.
        let cal = Calendar::new(date(2028, 2, 28));
        assert_eq!(cal.date_of(SimTime::from_days(1)), date(2028, 2, 29));
        assert_eq!(cal.date_of(SimTime::from_days(2)), date(2028, 3, 1));
        // 2027 is not: Feb 28 + 1 = Mar 1.
        let cal = Calendar::new(date(2027, 2, 28));
        assert_eq!(cal.date_of(SimTime::from_days(1)), date(2027, 3, 1));
    }

    #[test]
    fn add_years() {
        // Same month and day ten years on.
        let cal = Calendar::new(date(2026, 3, 1));
        assert_eq!(cal.add_years(10), Some(date(2036, 3, 1)));
        assert_eq!(cal.add_years(0), Some(date(2026, 3, 1)));
        // Feb 29 + 1 year: 2029 has no Feb 29, chrono clamps to Feb 28; + 4 years is leap again.
        let cal = Calendar::new(date(2028, 2, 29));
        assert_eq!(cal.add_years(1), Some(date(2029, 2, 28)));
        assert_eq!(cal.add_years(4), Some(date(2032, 2, 29)));
        // u32::MAX × 12 months overflows u32: None, not a panic.
        assert_eq!(cal.add_years(u32::MAX), None);
    }

    #[test]
    fn month_starts_mid_month() {
        let cal = Calendar::new(date(2026, 3, 15));
        // One year of 365 days ends on 2027-03-15; firsts after time 0: 2026-04-01 through
        // 2027-03-01 = Apr..Dec (9) + Jan..Mar (3) = 12.
        let starts = cal.month_starts(SimTime::from_days(365));
        assert_eq!(starts.len(), 12);
        // First is Apr 1 = 17 days after Mar 15 (see date_of_and_time_of).
        assert_eq!(starts[0], SimTime::from_days(17));
        // Last is 2027-03-01: 365 − 14 = 351 days (Mar 1 is 14 days before Mar 15).
        assert_eq!(starts[11], SimTime::from_days(351));
        // May 1 = Apr 1 + 30 days = 47 days.
        assert_eq!(starts[1], SimTime::from_days(47));
    }

    #[test]
    fn month_starts_on_first_and_inclusive_end() {
        let cal = Calendar::new(date(2026, 3, 1));
        // Time 0 (Mar 1) is excluded; Apr 1 is 31 days later. With end exactly at Apr 1 it is
        // included (<= end); one second earlier it is not.
        assert_eq!(
            cal.month_starts(SimTime::from_days(31)),
            vec![SimTime::from_days(31)]
        );
        assert!(
            cal.month_starts(SimTime::from_secs(31 * SECONDS_PER_DAY - 1))
                .is_empty()
        );
        // Mar 1 2026 → Mar 1 2027 is 365 days (no Feb 29 in 2027): Apr..Mar = 12 firsts.
        assert_eq!(cal.month_starts(SimTime::from_days(365)).len(), 12);
    }

    #[test]
    fn month_index_and_year_fraction() {
        let cal = Calendar::new(date(2026, 3, 15));
        // Day 16 is Mar 31: still the first (partial) month.
        assert_eq!(cal.month_index(SimTime::from_days(16)), 0);
        // Day 17 is Apr 1: month 1.
        assert_eq!(cal.month_index(SimTime::from_days(17)), 1);
        // Day 351 is 2027-03-01: (2027 − 2026) × 12 + 3 − 3 = 12.
        assert_eq!(cal.month_index(SimTime::from_days(351)), 12);
        // 730.5 days / 365.25 = 2 years exactly.
        assert_eq!(
            cal.year_fraction(SimTime::from_secs(730 * SECONDS_PER_DAY + 43_200)),
            2.0
        );
    }

    #[test]
    fn decimal_year_counts_the_elapsed_fraction() {
        // 2028 is a leap year (366 days); 2028-07-02 is day-of-year index 183, so 2028.5.
        let cal = Calendar::new(NaiveDate::from_ymd_opt(2028, 1, 1).unwrap());
        let t = cal
            .time_of(NaiveDate::from_ymd_opt(2028, 7, 2).unwrap())
            .unwrap();
        assert_eq!(cal.decimal_year(t), 2028.5);
        assert_eq!(cal.decimal_year(SimTime::ZERO), 2028.0);
    }
}
