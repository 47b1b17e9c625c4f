//! Numbers for people, in one place: dollars with magnitude suffixes, grouped plain numbers,
//! percentages and calendar labels, for the terminal tables, plot labels and sweeps alike.
//!
//! Every style picks its unit (or decimal band) from the value, writes it, and steps up when
//! rounding reaches the next unit: 999,950 is `$1.0M` in a table and `$1M` on an axis, never
//! `$1000k`.

/// How values on an axis or in a cell are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// US dollars with a magnitude suffix: `$1.2M`, `$350k`, `-$2.1B`.
    Usd,
    /// A plain number with thousands separators: `1,234`, `41.3`.
    Plain,
    /// A probability (0..1) written as a percentage: `0%`..`100%`.
    Probability,
}

/// Dollar magnitude suffixes, each 1000 times the previous one.
const USD_UNITS: [&str; 5] = ["", "k", "M", "B", "T"];

/// Decimals a table cell shows in each dollar unit: `$12`, `$850k`, `$1.2M`, `$2.50B`, `$1.00T`.
const TABLE_USD_DECIMALS: [usize; 5] = [0, 0, 1, 2, 2];

/// Significant digits used when no tick step tells how precise a label must be.
const SIGNIFICANT: i32 = 3;

/// Largest number of decimals ever written; finer values fall back to scientific notation.
const MAX_DECIMALS: i32 = 6;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats USD for a table cell: `$12.3M`, `-$1.05B`, `$850k`, `$12`; `n/a` when not finite.
pub fn usd(x: f64) -> String {
    format_with(x, ValueFormat::Usd, Precision::Table)
}

/// Formats a plain quantity for a table cell: `1,234,567` from 10,000 up, whole numbers from
/// 100, two decimals from 1 and four below; `n/a` when not finite.
pub fn quantity(x: f64) -> String {
    format_with(x, ValueFormat::Plain, Precision::Table)
}

/// Formats a probability (0..1) for a table cell as a percentage with one decimal: `33.6%`.
pub fn percent(p: f64) -> String {
    format_with(p, ValueFormat::Probability, Precision::Table)
}

/// Formats a whole count with thousands separators: `10`, `1,000`.
pub fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

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
    /// A fixed number of significant digits, trailing zeros dropped (plot labels).
    Significant,
    /// Enough decimals to tell apart values this far apart (in the value's own unit).
    Step(f64),
    /// The fixed decimals of a table column for the value's unit or band, zeros kept, so
    /// that cells of one magnitude line up (`$1.0M`, `$12.5M`).
    Table,
}

/// The digits of one written number, once the style has settled its unit.
#[derive(Clone, Copy)]
enum Digits {
    /// [`SIGNIFICANT`] significant digits, trailing zeros dropped.
    Significant,
    /// Enough decimals to tell apart values this far apart (in the written unit times
    /// `scale`), trailing zeros dropped.
    Step(f64),
    /// Exactly this many decimals, zeros kept.
    Fixed(usize),
}

fn format_with(x: f64, fmt: ValueFormat, precision: Precision) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    match (fmt, precision) {
        (ValueFormat::Usd, _) => usd_with(x, precision),
        (ValueFormat::Plain, Precision::Table) => plain_table(x),
        (ValueFormat::Plain, Precision::Significant) => {
            signed(x, &number(x.abs(), Digits::Significant, 1.0, true), "", "")
        }
        (ValueFormat::Plain, Precision::Step(s)) => {
            signed(x, &number(x.abs(), Digits::Step(s), 1.0, true), "", "")
        }
        (ValueFormat::Probability, _) => {
            let digits = match precision {
                Precision::Significant => Digits::Significant,
                Precision::Step(s) => Digits::Step(s * 100.0),
                Precision::Table => Digits::Fixed(1),
            };
            let body = number(x.abs() * 100.0, digits, 1.0, false);
            signed(x, &body, "", "%")
        }
    }
}

fn usd_with(x: f64, precision: Precision) -> String {
    let magnitude = x.abs();
    // Pick the largest unit not above the value, then step up if rounding reaches 1000 of it
    // (999,950 must read "$1M" or "$1.0M", not "$1000k").
    let mut unit = 0usize;
    while unit + 1 < USD_UNITS.len() && magnitude >= 1000f64.powi(unit as i32 + 1) {
        unit += 1;
    }
    loop {
        let scale = 1000f64.powi(unit as i32);
        let digits = match precision {
            Precision::Significant => Digits::Significant,
            Precision::Step(s) => Digits::Step(s),
            Precision::Table => Digits::Fixed(TABLE_USD_DECIMALS[unit]),
        };
        let body = number(magnitude / scale, digits, scale, false);
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

/// A table cell's plain number: the decimals of its magnitude band (four below 1, two below
/// 100, none from 100, grouped from 10,000), the band chosen again when rounding reaches the
/// next one (99.996 is `100`, 9,999.6 is `10,000`).
fn plain_table(x: f64) -> String {
    let magnitude = x.abs();
    if magnitude == 0.0 {
        return "0".to_owned();
    }
    let band = |m: f64| -> (usize, bool) {
        if m >= 1e4 {
            (0, true)
        } else if m >= 100.0 {
            (0, false)
        } else if m >= 1.0 {
            (2, false)
        } else {
            (4, false)
        }
    };
    let (mut decimals, mut group) = band(magnitude);
    loop {
        let body = number(magnitude, Digits::Fixed(decimals), 1.0, group);
        let rounded: f64 = body.replace(',', "").parse().unwrap_or(0.0);
        let next = band(rounded);
        if next != (decimals, group) && rounded > magnitude {
            (decimals, group) = next;
            continue;
        }
        return signed(x, &body, "", "");
    }
}

/// Writes a non-negative `value` (already divided by `scale`); trailing zeros are trimmed
/// except at a fixed precision.
fn number(value: f64, digits: Digits, scale: f64, group: bool) -> String {
    let decimals = match digits {
        Digits::Fixed(d) => {
            let text = format!("{value:.d$}");
            return if group { group_thousands(&text) } else { text };
        }
        Digits::Significant => {
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
        Digits::Step(step) => step_decimals(step / scale),
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
    fn table_usd_keeps_its_unit_decimals() {
        assert_eq!(usd(1_234_567.0), "$1.2M");
        assert_eq!(usd(-2_500_000_000.0), "-$2.50B");
        assert_eq!(usd(850_000.0), "$850k");
        assert_eq!(usd(12.4), "$12");
        assert_eq!(usd(1_000_000.0), "$1.0M");
        assert_eq!(usd(f64::NAN), "n/a");
    }

    #[test]
    fn table_usd_steps_up_a_unit_where_rounding_reaches_it() {
        // Every case sits clearly on one side of the half-way point of the last digit shown,
        // so no float representation error can decide it.
        // $: 0 decimals, so 999.5 + a little rounds to 1000 -> the next unit, k (0 decimals).
        assert_eq!(usd(999.4), "$999");
        assert_eq!(usd(999.6), "$1k");
        // k: 0 decimals; 999,499 -> 999k; 999,950 -> 1000k -> M with 1 decimal: 0.99995 -> 1.0.
        assert_eq!(usd(999_499.0), "$999k");
        assert_eq!(usd(999_950.0), "$1.0M");
        assert_eq!(usd(-999_950.0), "-$1.0M");
        // M: 1 decimal; 999.94M -> 999.9M; 999.96M -> 1000.0M -> B with 2 decimals: 1.00.
        assert_eq!(usd(999_940_000.0), "$999.9M");
        assert_eq!(usd(999_960_000.0), "$1.00B");
        // B: 2 decimals; 999.996B -> 1000.00B -> T.
        assert_eq!(usd(999_994_000_000.0), "$999.99B");
        assert_eq!(usd(999_996_000_000.0), "$1.00T");
        // T is the last unit: larger values stay in it.
        assert_eq!(usd(2.5e15), "$2500.00T");
        // A negative amount that rounds to zero is not "-$0".
        assert_eq!(usd(-0.3), "$0");
    }

    #[test]
    fn table_quantities_change_band_where_rounding_reaches_it() {
        assert_eq!(quantity(1_234_567.0), "1,234,567");
        assert_eq!(quantity(41.256), "41.26");
        assert_eq!(quantity(0.0), "0");
        assert_eq!(quantity(0.8261), "0.8261");
        // Below 1: four decimals; 0.99996 rounds to 1.0000 -> the 1..100 band, two decimals.
        assert_eq!(quantity(0.99994), "0.9999");
        assert_eq!(quantity(0.99996), "1.00");
        // 1..100: two decimals; 99.996 rounds to 100.00 -> whole numbers.
        assert_eq!(quantity(99.994), "99.99");
        assert_eq!(quantity(99.996), "100");
        // 100..10,000: whole; 9,999.6 rounds to 10000 -> grouped.
        assert_eq!(quantity(9_999.4), "9999");
        assert_eq!(quantity(9_999.6), "10,000");
        assert_eq!(quantity(-9_999.6), "-10,000");
        assert_eq!(quantity(f64::INFINITY), "n/a");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(10), "10");
    }

    #[test]
    fn table_percent_has_one_decimal() {
        assert_eq!(percent(0.336), "33.6%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.99996), "100.0%");
    }

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
