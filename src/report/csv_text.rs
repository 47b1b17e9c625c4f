//! The one rule for a text cell in any CSV pivotsim writes: neutralise what a spreadsheet
//! would run as a formula.
//!
//! Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@`
//! as a formula (and a leading tab or carriage return can hide one), so a plan named
//! `=HYPERLINK(...)` would run when `runs.csv` is opened. Following OWASP's advice on CSV
//! injection (and counting the full-width `＝＋－＠` too), such a text cell is written with a leading `'`, which spreadsheets show as
//! text and pandas, polars and R read as one more character. A cell that is a plain decimal
//! number (`-12.5`, `+3`, `-1e-9`) is left alone: it is data, not a formula, and numbers
//! pivotsim formats never pass through here anyway.
//!
//! `runs.csv`, `timeseries.csv`, `sweep.csv` and the trace CSV all call [`csv_text`], and
//! shards format their rows through the same writer, so a merge still reproduces a single
//! run's bytes.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula when it starts with one:
/// OWASP's list, and the full-width forms of the first four, which Excel in East Asian
/// locales also reads as the start of a formula.
pub const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// `text` as a CSV text cell: prefixed with `'` when it starts with one of
/// [`FORMULA_STARTS`] and is not a plain decimal number; otherwise unchanged.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A sign, digits with at most one decimal point, and an optional exponent: what every
/// spreadsheet reads as a number. `inf`, `NaN` and hexadecimal are not plain.
fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let mantissa_ok = digits > 0
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for formula in [
            "=1+1",
            "+1+1",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "=HYPERLINK(\"http://x\")",
            "-inf",
            "-",
            "+",
            "-1e",
            "--1",
            "\u{FF1D}1+1",
            "\u{FF20}SUM(A1)",
        ] {
            assert_eq!(csv_text(formula), format!("'{formula}"), "{formula:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_untouched() {
        for plain in [
            "-12.5", "+3", "-1e-9", "-0", "1.5E+10", "-.5", "hold", "a=b", "Plan B", "", "'=x",
        ] {
            assert_eq!(csv_text(plain), plain, "{plain:?}");
        }
    }
}
