//! The one rule for a number in a CSV cell, shared by every CSV writer so that `runs.csv`,
//! `timeseries.csv` and `sweep.csv` read the same way in pandas, polars, R and a spreadsheet:
//! an undefined value (NaN, or an infinity) is an empty cell, never the text `NaN` that some
//! readers take for a string; a whole-number kind (a count, a 0/1 flag, a month index) is
//! written without decimals (`43`, not `43.0`), decided by what the column holds, never by
//! the value; any other number in its shortest round-trip form, so the bytes depend only on
//! the value.

use crate::model::{Metric, Unit};

/// What a column holds, which decides how its numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// Any real number: shortest round-trip form (`0.25`, `1.0`, `1e-7`).
    Real,
    /// A whole number: no decimals (`0`, `43`).
    Whole,
}

impl NumberKind {
    /// The kind of a `runs.csv` metric column, from its unit kind in the metric table.
    pub fn of(metric: Metric) -> Self {
        match metric.unit() {
            Unit::Count => NumberKind::Whole,
            Unit::Usd | Unit::Plain => NumberKind::Real,
        }
    }
}

/// Appends `value` to `cell` as a CSV cell of `kind` holds it (nothing when undefined).
pub fn push_number(cell: &mut String, floats: &mut ryu::Buffer, value: f64, kind: NumberKind) {
    use std::fmt::Write as _;
    if !value.is_finite() {
        return;
    }
    // A whole-number column only ever holds whole numbers; a fraction there would be a bug
    // upstream, and is written in full rather than rounded away.
    let whole = kind == NumberKind::Whole && value.fract() == 0.0 && value.abs() < 9.0e15;
    if whole {
        let _ = write!(cell, "{}", value as i64);
    } else {
        cell.push_str(floats.format(value));
    }
}

/// `value` as a CSV cell of `kind` holds it (empty when undefined).
pub fn number(floats: &mut ryu::Buffer, value: f64, kind: NumberKind) -> String {
    let mut cell = String::new();
    push_number(&mut cell, floats, value, kind);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_values_are_empty_and_whole_kinds_have_no_decimals() {
        let mut floats = ryu::Buffer::new();
        let mut cell = |v, k| number(&mut floats, v, k);
        assert_eq!(cell(f64::NAN, NumberKind::Real), "");
        assert_eq!(cell(f64::INFINITY, NumberKind::Whole), "");
        assert_eq!(cell(43.0, NumberKind::Whole), "43");
        assert_eq!(cell(-0.0, NumberKind::Whole), "0");
        assert_eq!(cell(43.0, NumberKind::Real), "43.0");
        assert_eq!(cell(0.1, NumberKind::Real), "0.1");
        // A fraction in a whole column is written in full, not silently rounded.
        assert_eq!(cell(2.5, NumberKind::Whole), "2.5");
    }

    #[test]
    fn counts_and_flags_are_whole_and_money_is_real() {
        assert_eq!(NumberKind::of(Metric::Defaulted), NumberKind::Whole);
        assert_eq!(NumberKind::of(Metric::LostInquiries), NumberKind::Whole);
        assert_eq!(NumberKind::of(Metric::Npv), NumberKind::Real);
        assert_eq!(NumberKind::of(Metric::LostMw), NumberKind::Real);
    }
}
