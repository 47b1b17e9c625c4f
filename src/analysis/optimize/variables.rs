//! Decision variables of `optimize`: a scenario path, the range it may take and the grid it is
//! searched on (`--var PATH=MIN..MAX[/STEP]`).
//!
//! The search works on grid indices, never on raw values: every candidate is a point of the
//! grid, so an answer is claimed to the grid's step and two searches that meet the same point
//! reuse one evaluation.

use chrono::{Datelike, Months, NaiveDate};

use crate::scenario::names::shown;
use crate::scenario::overrides::{self, Override};

/// Intervals of a number or integer range searched when no step is given.
pub const DEFAULT_INTERVALS: u32 = 20;

/// Most grid points one variable may have.
pub const MAX_POINTS: usize = 100_000;

/// What a variable's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A real number.
    Number,
    /// A whole number (both bounds written as integers).
    Integer,
    /// A calendar date, searched in whole months from the lower bound.
    Date,
}

/// One decision variable and its grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The scenario path, as typed (e.g. `plans[1].actions[0].date`); several paths set to
    /// the same value are written joined by commas.
    pub path: String,
    /// Each scenario path the variable sets.
    paths: Vec<String>,
    /// What its values are.
    pub kind: Kind,
    /// The lower bound: the value itself for numbers and integers; for dates, months since
    /// year 0 (`year × 12 + month − 1`).
    min: f64,
    /// The grid's step: in the variable's unit, or in months for dates.
    step: f64,
    /// The day of the month of every date on the grid (the lower bound's, clamped to the
    /// month's length).
    day: u32,
    /// The number of grid points.
    points: usize,
    /// The bounds as typed, for messages and the table.
    pub range_text: String,
}

impl Variable {
    /// Parses `PATH=MIN..MAX` or `PATH=MIN..MAX/STEP`; `PATH,PATH2=…` sets several paths to
    /// the same value (a conversion date and its tenant's signing date move together). Both bounds integers make an integer
    /// variable, both dates (`YYYY-MM-DD`) a date variable searched in whole months (STEP in
    /// months); otherwise numbers. Without a step, numbers and integers are searched on
    /// [`DEFAULT_INTERVALS`] intervals (an integer step rounded up), dates month by month.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || {
            format!(
                "expected PATH=MIN..MAX or PATH=MIN..MAX/STEP (e.g. starting_cash_usd=\
                 20000000..200000000/5000000 or plans[1].actions[0].date=2027-01-01..2029-01-01), \
                 got `{}`",
                shown(text)
            )
        };
        let (path, range) = text.split_once('=').ok_or_else(expected)?;
        let path = path.trim();
        let paths: Vec<String> = path.split(',').map(|p| p.trim().to_owned()).collect();
        let (bounds, step) = match range.split_once('/') {
            Some((b, s)) => (b, Some(s.trim())),
            None => (range, None),
        };
        let (low, high) = bounds.split_once("..").ok_or_else(expected)?;
        let (low, high) = (low.trim(), high.trim());
        // The path's syntax is checked as `--set` checks it; whether the scenario has it is
        // checked when the scenario is loaded.
        for p in &paths {
            overrides::parse(&format!("{p}={low}")).map_err(|e| e.to_string())?;
        }
        let range_text = format!("{low}..{high}");
        let empty = |shown_low: &str, shown_high: &str| {
            format!(
                "--var {}: the range {}..{} is empty; expected MIN below MAX",
                shown(path),
                shown(shown_low),
                shown(shown_high)
            )
        };
        let date = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        let integer = |t: &str| {
            t.parse::<i64>()
                .ok()
                .filter(|v| v.unsigned_abs() < (1 << 53))
        };
        let number = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
        let bad_step = |what: &str| {
            format!(
                "--var {}: the step `{}` is not {what}",
                shown(path),
                shown(step.unwrap_or(""))
            )
        };
        let (kind, min, max, step, day) = if let (Some(a), Some(b)) = (date(low), date(high)) {
            if a >= b {
                return Err(empty(low, high));
            }
            let months = match step {
                None => 1,
                Some(s) => s
                    .trim_end_matches('m')
                    .parse::<u32>()
                    .ok()
                    .filter(|&m| m >= 1)
                    .ok_or_else(|| bad_step("a whole number of months (e.g. 3)"))?,
            };
            (
                Kind::Date,
                month_index(a),
                month_index(b),
                f64::from(months),
                a.day(),
            )
        } else if let (Some(a), Some(b)) = (integer(low), integer(high)) {
            if a >= b {
                return Err(empty(low, high));
            }
            let span = (b - a) as f64;
            let step = match step {
                None => (span / f64::from(DEFAULT_INTERVALS)).ceil().max(1.0),
                Some(s) => integer(s)
                    .filter(|&v| v >= 1)
                    .ok_or_else(|| bad_step("a positive whole number"))?
                    as f64,
            };
            (Kind::Integer, a as f64, b as f64, step, 1)
        } else if let (Some(a), Some(b)) = (number(low), number(high)) {
            if a >= b {
                return Err(empty(low, high));
            }
            let step = match step {
                None => (b - a) / f64::from(DEFAULT_INTERVALS),
                Some(s) => number(s)
                    .filter(|&v| v > 0.0)
                    .ok_or_else(|| bad_step("a positive number"))?,
            };
            (Kind::Number, a, b, step, 1)
        } else {
            return Err(format!(
                "--var {}: `{}..{}` is not a range of numbers, whole numbers or dates \
                 (YYYY-MM-DD); expected two of the same kind",
                shown(path),
                shown(low),
                shown(high)
            ));
        };
        // A tolerance of a millionth of a step keeps `0..1/0.1` at 11 points despite rounding.
        let intervals = ((max - min) / step + 1e-6).floor();
        if intervals < 1.0 {
            return Err(format!(
                "--var {}: the step is wider than the range {range_text}; expected a step that \
                 leaves at least two values",
                shown(path)
            ));
        }
        if intervals >= MAX_POINTS as f64 {
            return Err(format!(
                "--var {}: {range_text} in steps of {} makes more than {MAX_POINTS} values; \
                 expected a coarser step",
                shown(path),
                shown(step_text(kind, step).as_str())
            ));
        }
        let mut variable = Variable {
            path: paths.join(","),
            paths,
            kind,
            min,
            step,
            day,
            points: intervals as usize + 1,
            range_text,
        };
        // A date grid whose last month would pass the upper bound's day stops a month short.
        if kind == Kind::Date
            && let (Some(last), Some(upper)) = (variable.date_at(variable.points - 1), date(high))
            && last > upper
        {
            variable.points -= 1;
            if variable.points < 2 {
                return Err(empty(low, high));
            }
        }
        Ok(variable)
    }

    /// The number of grid points.
    pub fn points(&self) -> usize {
        self.points
    }

    /// The grid's step in the variable's unit (in months for a date).
    pub fn step(&self) -> f64 {
        self.step
    }

    /// The grid's step as users write it (`5000000`, `0.05`, `1 month`).
    pub fn step_text(&self) -> String {
        step_text(self.kind, self.step)
    }

    /// The date at grid point `index` (date variables only).
    fn date_at(&self, index: usize) -> Option<NaiveDate> {
        let months = self.min as i64 + index as i64 * self.step as i64;
        let first = NaiveDate::from_ymd_opt(
            i32::try_from(months.div_euclid(12)).ok()?,
            u32::try_from(months.rem_euclid(12)).ok()? + 1,
            1,
        )?;
        // The lower bound's day, or the month's last day when the month is shorter.
        let last_day = first.checked_add_months(Months::new(1))?.pred_opt()?.day();
        first.with_day(self.day.min(last_day))
    }

    /// The value at grid point `index`, as the scenario reads it.
    pub fn value_at(&self, index: usize) -> serde_json::Value {
        match self.kind {
            Kind::Integer => serde_json::Value::from((self.min + index as f64 * self.step) as i64),
            Kind::Number => serde_json::Value::from(self.number_at(index)),
            Kind::Date => self.date_at(index).map_or(serde_json::Value::Null, |d| {
                serde_json::Value::from(d.format("%Y-%m-%d").to_string())
            }),
        }
    }

    /// A number on the grid, rounded to 12 significant digits so that `0.1 × 3` reads `0.3`.
    fn number_at(&self, index: usize) -> f64 {
        let raw = self.min + index as f64 * self.step;
        format!("{raw:.11e}").parse().unwrap_or(raw)
    }

    /// The value at grid point `index` as text (`2028-03-01`, `45000000`, `0.7`).
    pub fn text_at(&self, index: usize) -> String {
        match self.value_at(index) {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// The value at grid point `index` as a number on a plot's axis: the value, or a date in
    /// fractional years (2028.25 is 1 April 2028).
    pub fn numeric_at(&self, index: usize) -> f64 {
        match self.kind {
            Kind::Integer | Kind::Number => self.number_at(index),
            Kind::Date => (self.min + index as f64 * self.step) / 12.0,
        }
    }

    /// The `--set`-like overrides that put grid point `index` into the scenario, one per
    /// path; messages about a value name the `--var`.
    pub fn overrides_at(&self, index: usize) -> Vec<Override> {
        self.paths
            .iter()
            .map(|path| {
                let mut o = Override::new(path, self.value_at(index));
                o.given_as = format!("--var {}={}", self.path, self.text_at(index));
                o
            })
            .collect()
    }
}

/// Months since year 0 of a date's month.
fn month_index(d: NaiveDate) -> f64 {
    f64::from(d.year()) * 12.0 + f64::from(d.month0())
}

/// A step as users write it.
fn step_text(kind: Kind, step: f64) -> String {
    match kind {
        Kind::Date if step == 1.0 => "1 month".into(),
        Kind::Date => format!("{step} months"),
        Kind::Integer => format!("{}", step as i64),
        Kind::Number => format!("{step}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_numbers_and_dates_make_their_grids() {
        // 10..200 in steps of 5: (200 − 10)/5 + 1 = 39 points, the last exactly 200.
        let v = Variable::parse("starting_cash_usd=10..200/5").unwrap();
        assert_eq!((v.kind, v.points()), (Kind::Integer, 39));
        assert_eq!(v.value_at(38), serde_json::json!(200));
        // Written with decimals, a number; without a step, 20 intervals of (1 − 0)/20 = 0.05, 21 points; 0.05 × 3 reads 0.15.
        let v = Variable::parse("a.b=0.0..1.0").unwrap();
        assert_eq!((v.kind, v.points()), (Kind::Number, 21));
        assert_eq!(v.text_at(3), "0.15");
        // 2027-01-31..2027-06-30 in months: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30.
        let v = Variable::parse("plans[1].actions[0].date=2027-01-31..2027-06-30").unwrap();
        assert_eq!((v.kind, v.points()), (Kind::Date, 6));
        assert_eq!(v.text_at(1), "2027-02-28");
        assert_eq!(v.text_at(5), "2027-06-30");
        // Two-month steps from 2027-01-15 to 2027-06-01: Jan, Mar, May (Jul is past the end).
        let v = Variable::parse("d=2027-01-15..2027-06-01/2").unwrap();
        assert_eq!(v.points(), 3);
        assert_eq!(v.text_at(2), "2027-05-15");
        assert_eq!(v.numeric_at(2), (2027.0 * 12.0 + 4.0) / 12.0);
    }

    #[test]
    fn empty_inverted_and_mixed_ranges_are_refused() {
        for bad in [
            "x=5..5",
            "x=6..2",
            "x=2027-01-01..2026-01-01",
            "x=1..2027-01-01",
            "x=1-3",
            "x=0..1/0",
            "x=0..1/2",
            "x=0..10/-1",
            "x=a..b",
            "=0..1",
        ] {
            assert!(Variable::parse(bad).is_err(), "{bad}");
        }
        // One variable may set several paths to the same value.
        let v = Variable::parse("a.date, b.date=2027-01-01..2027-03-01").unwrap();
        let set = v.overrides_at(2);
        assert_eq!(set.len(), 2);
        assert_eq!(
            (set[1].path.as_str(), &set[1].value),
            ("b.date", &serde_json::json!("2027-03-01"))
        );
        let message = Variable::parse("starting_cash_usd=9..3").unwrap_err();
        assert!(message.contains("empty"), "{message}");
    }
}
