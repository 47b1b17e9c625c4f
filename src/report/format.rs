//! Number formatting for tick labels: dollars with magnitude suffixes, grouped plain numbers,
//! percentages, and calendar labels for fractional years.

use crate::report::plots::ValueFormat;

/// Dollar magnitude suffixes, each 1000 times the previous one.
const USD_UNITS: [&str; 5] = ["", "k", "M", "B", "T"];

/// Significant digits used when no tick step tells how precise a label must be.
const SIGNIFICANT: i32 = 3;

/// Largest number of decimals ever written; finer values fall back to scientific notation.
const MAX_DECIMALS: i32 = 6;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes `x` for a reader: `$1.5B`, `-$2.5M`, `$350k` (Usd), `1,234` or `41.3` (Plain),
/// `25%` (Probability, where `x` is a probability in 0..1).
///
/// Keeps three significant digits (more for large plain numbers, whose integer part is never
/// rounded) and drops trailing zeros. Non-finite values are written `n/a`.
pub fn format_value(x: f64, fmt: ValueFormat) -> String {
    format_with(x, fmt, Precision::Significant)
}

/// Writes a tick label at `x` for ticks `step` apart, with just enough decimals that
/// neighbouring ticks differ (`$1.25B` next to `$1.5B`, `10%` next to `20%`).
pub(crate) fn format_tick(x: f64, fmt: ValueFormat, step: f64) -> String {
    if step.is_finite() && step > 0.0 {
        format_with(x, fmt, Precision::Step(step))
    } else {
        format_value(x, fmt)
    }
}

/// Writes a calendar label for a fractional year on a month boundary: `2027` for January,
/// `Apr 2027` otherwise.
pub(crate) fn format_month(x_years: f64) -> String {
    if !x_years.is_finite() {
        return "n/a".to_owned();
    }
    // Ticks sit exactly on month starts; the epsilon absorbs float error in year + m/12.
    let months = (x_years * 12.0 + 1e-6).floor();
    let year = (months / 12.0).floor();
    let month = (months - year * 12.0) as usize;
    match month {
        0 => format!("{year:.0}"),
        m => format!("{} {year:.0}", MONTHS[m.min(11)]),
    }
}

/// How many digits a label needs.
#[derive(Clone, Copy)]
enum Precision {
    /// A fixed number of significant digits.
    Significant,
    /// Enough decimals to tell apart values this far apart (in the value's own unit).
    Step(f64),
}

fn format_with(x: f64, fmt: ValueFormat, precision: Precision) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    match fmt {
        ValueFormat::Usd => usd(x, precision),
        ValueFormat::Plain => {
            let body = number(x.abs(), precision, 1.0, true);
            signed(x, &body, "", "")
        }
        ValueFormat::Probability => {
            let scaled = match precision {
                Precision::Significant => Precision::Significant,
                Precision::Step(s) => Precision::Step(s * 100.0),
            };
            let body = number(x.abs() * 100.0, scaled, 1.0, false);
            signed(x, &body, "", "%")
        }
    }
}

fn usd(x: f64, precision: Precision) -> String {
    let magnitude = x.abs();
    // Pick the largest unit not above the value, then step up if rounding reaches 1000 of it
    // (999,950 must read "$1M", not "$1000k").
    let mut unit = 0usize;
    while unit + 1 < USD_UNITS.len() && magnitude >= 1000f64.powi(unit as i32 + 1) {
        unit += 1;
    }
    loop {
        let scale = 1000f64.powi(unit as i32);
        let body = number(magnitude / scale, precision, scale, false);
        let rounded: f64 = body.parse().unwrap_or(0.0);
        if rounded >= 1000.0 && unit + 1 < USD_UNITS.len() {
            unit += 1;
            continue;
        }
        return signed(x, &format!("${body}"), "", USD_UNITS[unit]);
    }
}

/// Prefixes a minus sign unless the written value is zero (never "-$0").
fn signed(x: f64, body: &str, prefix: &str, suffix: &str) -> String {
    let is_zero = body.chars().all(|c| !c.is_ascii_digit() || c == '0');
    let sign = if x < 0.0 && !is_zero { "-" } else { "" };
    format!("{sign}{prefix}{body}{suffix}")
}

/// Writes a non-negative `value` (already divided by `scale`), trimming trailing zeros.
fn number(value: f64, precision: Precision, scale: f64, group: bool) -> String {
    let decimals = match precision {
        Precision::Significant => {
            if value == 0.0 {
                0
            } else {
                let exponent = value.log10().floor() as i32;
                if exponent < -(MAX_DECIMALS - SIGNIFICANT + 1) {
                    return format!("{value:.*e}", (SIGNIFICANT - 1) as usize);
                }
                (SIGNIFICANT - 1 - exponent).clamp(0, MAX_DECIMALS)
            }
        }
        Precision::Step(step) => step_decimals(step / scale),
    };
    let text = format!("{value:.*}", decimals as usize);
    let text = trim_zeros(&text);
    if group { group_thousands(&text) } else { text }
}

/// Fewest decimals (0..=MAX_DECIMALS) that write `step` exactly, e.g. 0.25 needs 2.
fn step_decimals(step: f64) -> i32 {
    (0..=MAX_DECIMALS)
        .find(|&d| {
            let shifted = step * 10f64.powi(d);
            (shifted - shifted.round()).abs() <= 1e-6 * shifted.max(1.0)
        })
        .unwrap_or(MAX_DECIMALS)
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text.to_owned()
    }
}

fn group_thousands(text: &str) -> String {
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let mut grouped = String::with_capacity(text.len() + int_part.len() / 3);
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if let Some(f) = frac_part {
        grouped.push('.');
        grouped.push_str(f);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_uses_magnitude_suffixes() {
        assert_eq!(format_value(1.5e9, ValueFormat::Usd), "$1.5B");
        assert_eq!(format_value(-2.5e6, ValueFormat::Usd), "-$2.5M");
        assert_eq!(format_value(350_000.0, ValueFormat::Usd), "$350k");
        assert_eq!(format_value(0.0, ValueFormat::Usd), "$0");
        assert_eq!(format_value(-0.0, ValueFormat::Usd), "$0");
        assert_eq!(format_value(999.0, ValueFormat::Usd), "$999");
        // 3 significant digits: 1,234,567 -> 1.23M.
        assert_eq!(format_value(1_234_567.0, ValueFormat::Usd), "$1.23M");
        // Rounds to 1000k, which must be written in the next unit.
        assert_eq!(format_value(999_950.0, ValueFormat::Usd), "$1M");
        assert_eq!(format_value(2.1e12, ValueFormat::Usd), "$2.1T");
    }

    #[test]
    fn plain_groups_thousands() {
        assert_eq!(format_value(1234.0, ValueFormat::Plain), "1,234");
        assert_eq!(format_value(41.3, ValueFormat::Plain), "41.3");
        assert_eq!(format_value(-1_234_567.0, ValueFormat::Plain), "-1,234,567");
        assert_eq!(format_value(0.5, ValueFormat::Plain), "0.5");
        assert_eq!(format_value(1.5e-9, ValueFormat::Plain), "1.50e-9");
    }

    #[test]
    fn probability_is_percent() {
        assert_eq!(format_value(0.25, ValueFormat::Probability), "25%");
        assert_eq!(format_value(1.0, ValueFormat::Probability), "100%");
        assert_eq!(format_value(0.0, ValueFormat::Probability), "0%");
        assert_eq!(format_value(0.0125, ValueFormat::Probability), "1.25%");
    }

    #[test]
    fn non_finite_is_na() {
        assert_eq!(format_value(f64::NAN, ValueFormat::Usd), "n/a");
        assert_eq!(format_value(f64::INFINITY, ValueFormat::Plain), "n/a");
    }

    #[test]
    fn ticks_take_precision_from_step() {
        // Step $250M: 1.25B needs two decimals, 1.5B one, 1B none.
        assert_eq!(format_tick(1.25e9, ValueFormat::Usd, 2.5e8), "$1.25B");
        assert_eq!(format_tick(1.5e9, ValueFormat::Usd, 2.5e8), "$1.5B");
        assert_eq!(format_tick(1.0e9, ValueFormat::Usd, 2.5e8), "$1B");
        assert_eq!(format_tick(-2.0e8, ValueFormat::Usd, 2e8), "-$200M");
        // Step 0.5% -> one decimal where needed.
        assert_eq!(format_tick(0.015, ValueFormat::Probability, 0.005), "1.5%");
        assert_eq!(format_tick(0.02, ValueFormat::Probability, 0.005), "2%");
        assert_eq!(format_tick(2500.0, ValueFormat::Plain, 500.0), "2,500");
    }

    #[test]
    fn months_label_january_as_year() {
        assert_eq!(format_month(2027.0), "2027");
        assert_eq!(format_month(2027.0 + 3.0 / 12.0), "Apr 2027");
        assert_eq!(format_month(2026.5), "Jul 2026");
    }
}
