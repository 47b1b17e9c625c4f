//! Market histories: CSV files of real prices the scenario replays, read when it is loaded.
//!
//! `market.bitcoin.history` holds dated rows of BTC price, difficulty and fees;
//! `market.energy.history` hourly wholesale prices. Both may be sparse: each row holds until
//! the next. Like the outage traces (see [`crate::trace`]), a path is relative to the scenario
//! file's folder, and every problem names the file, its line and the column, and says what was
//! expected. The order of the rows is checked here (dates increase strictly); how the rows
//! meet the scenario's start and the energy cap is checked in [`crate::resolve`], which sees
//! inline rows too.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::error::ScenarioError;
use crate::field;
use crate::names::shown;
use crate::source::SourceDocument;
use crate::trace::{csv_error as error, located, read_input_csv};
use crate::types::{BitcoinHistoryRow, EnergyHistoryRow, Scenario};

/// Header of a bitcoin history, exactly.
pub const BITCOIN_HEADER: [&str; 4] = ["date", "price_usd", "difficulty", "fees_btc_per_block"];
/// Header of an energy history, exactly.
pub const ENERGY_HEADER: [&str; 2] = ["datetime", "usd_per_mwh"];

/// Reads `market.bitcoin.history` and `market.energy.history` into their `history_rows`.
pub fn load_histories(scenario: &mut Scenario, doc: &SourceDocument) -> Result<(), ScenarioError> {
    if let Some(rel) = &scenario.market.bitcoin.history {
        let field = field!(Scenario.market.bitcoin.history);
        let (text, path) = read_input_csv(doc, field, rel, "history")?;
        scenario.market.bitcoin.history_rows = parse_bitcoin(&text, &path.display().to_string())
            .map_err(|e| located(doc, field, "history", &e))?;
    }
    if let Some(rel) = &scenario.market.energy.history {
        let field = field!(Scenario.market.energy.history);
        let (text, path) = read_input_csv(doc, field, rel, "history")?;
        scenario.market.energy.history_rows = parse_energy(&text, &path.display().to_string())
            .map_err(|e| located(doc, field, "history", &e))?;
    }
    Ok(())
}

/// `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The start of an hour: `YYYY-MM-DDTHH:00`, or `YYYY-MM-DD` for midnight.
pub fn parse_hour(text: &str) -> Option<NaiveDateTime> {
    crate::trace::parse_start(text).filter(|t| t.minute() == 0)
}

/// Parses a bitcoin history: the header [`BITCOIN_HEADER`], then one row per date.
pub fn parse_bitcoin(text: &str, file: &str) -> Result<Vec<BitcoinHistoryRow>, ScenarioError> {
    let mut out: Vec<BitcoinHistoryRow> = Vec::new();
    let mut last: Option<(NaiveDate, usize)> = None;
    for (line, fields) in rows(text, file, &BITCOIN_HEADER)? {
        let column = field!(BitcoinHistoryRow.date);
        let date = parse_date(fields[0]).ok_or_else(|| {
            error(
                file,
                line,
                column,
                format!("`{}` is not a date; expected YYYY-MM-DD", shown(fields[0])),
            )
        })?;
        increasing(file, line, column, date, &mut last)?;
        out.push(BitcoinHistoryRow {
            date: date.format("%Y-%m-%d").to_string(),
            price_usd: number(
                file,
                line,
                field!(BitcoinHistoryRow.price_usd),
                fields[1],
                (1e-6, 1e9),
                "USD per BTC, above 0, at most 1e9",
            )?,
            difficulty: number(
                file,
                line,
                field!(BitcoinHistoryRow.difficulty),
                fields[2],
                (1.0, 1e20),
                "a difficulty from 1 to 1e20",
            )?,
            fees_btc_per_block: number(
                file,
                line,
                field!(BitcoinHistoryRow.fees_btc_per_block),
                fields[3],
                (0.0, 1_000.0),
                "BTC per block, from 0 to 1000",
            )?,
        });
    }
    Ok(out)
}

/// Parses an energy history: the header [`ENERGY_HEADER`], then one row per hour.
pub fn parse_energy(text: &str, file: &str) -> Result<Vec<EnergyHistoryRow>, ScenarioError> {
    let mut out: Vec<EnergyHistoryRow> = Vec::new();
    let mut last: Option<(NaiveDateTime, usize)> = None;
    for (line, fields) in rows(text, file, &ENERGY_HEADER)? {
        let column = field!(EnergyHistoryRow.datetime);
        let hour = parse_hour(fields[0]).ok_or_else(|| {
            error(
                file,
                line,
                column,
                format!(
                    "`{}` is not the start of an hour; expected YYYY-MM-DDTHH:00 or YYYY-MM-DD",
                    shown(fields[0])
                ),
            )
        })?;
        increasing(file, line, column, hour, &mut last)?;
        out.push(EnergyHistoryRow {
            datetime: hour.format("%Y-%m-%dT%H:%M").to_string(),
            usd_per_mwh: number(
                file,
                line,
                field!(EnergyHistoryRow.usd_per_mwh),
                fields[1],
                (-1e4, 1e6),
                "USD/MWh from -10000 to 1e6",
            )?,
        });
    }
    Ok(out)
}

/// The data rows of `text` as (line number, trimmed fields), after checking that the first
/// non-blank line is exactly `header`, that every row has its number of values and that
/// there is at least one.
fn rows<'t>(
    text: &'t str,
    file: &str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'t str>)>, ScenarioError> {
    let expected = header.join(",");
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((n, first)) = lines.next() else {
        return Err(error(
            file,
            1,
            "",
            format!("the history is empty; expected a header `{expected}`"),
        ));
    };
    let columns: Vec<&str> = first.split(',').map(str::trim).collect();
    if columns != header {
        return Err(error(
            file,
            n + 1,
            "",
            format!("the header is `{}`; expected `{expected}`", shown(first)),
        ));
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != header.len() {
            return Err(error(
                file,
                n + 1,
                "",
                format!(
                    "expected {} values ({}), got {}",
                    header.len(),
                    header.join(", "),
                    fields.len()
                ),
            ));
        }
        out.push((n + 1, fields));
    }
    if out.is_empty() {
        return Err(error(
            file,
            n + 1,
            "",
            "the history has a header but no rows; expected at least one row".into(),
        ));
    }
    Ok(out)
}

/// Refuses a row dated at or before the previous one (`last`, with its line), then records it.
fn increasing<T: PartialOrd + std::fmt::Display + Copy>(
    file: &str,
    line: usize,
    column: &str,
    when: T,
    last: &mut Option<(T, usize)>,
) -> Result<(), ScenarioError> {
    if let Some((before, before_line)) = *last
        && when <= before
    {
        let what = if when == before {
            "repeats"
        } else {
            "comes before"
        };
        return Err(error(
            file,
            line,
            column,
            format!(
                "{when} {what} {before} on line {before_line}; expected rows in increasing \
                 order with no date twice"
            ),
        ));
    }
    *last = Some((when, line));
    Ok(())
}

/// A finite number within `range` (inclusive), or an error saying what was expected.
fn number(
    file: &str,
    line: usize,
    column: &str,
    text: &str,
    range: (f64, f64),
    expected: &str,
) -> Result<f64, ScenarioError> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= range.0 && *v <= range.1)
        .ok_or_else(|| {
            error(
                file,
                line,
                column,
                format!("`{}` is out of range; expected {expected}", shown(text)),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "date,price_usd,difficulty,fees_btc_per_block\n";

    #[test]
    fn reads_sparse_rows_and_normalises_dates() {
        let rows = parse_bitcoin(
            &format!("{HEADER}2022-01-01,47000,2.4e13,0.05\n\n2022-02-01, 38000 ,2.6e13,0.04\n"),
            "h.csv",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            BitcoinHistoryRow {
                date: "2022-02-01".into(),
                price_usd: 38_000.0,
                difficulty: 2.6e13,
                fees_btc_per_block: 0.04
            }
        );
        let hours = parse_energy(
            "datetime,usd_per_mwh\n2022-01-01,30\n2022-01-01T05:00,-12.5\n",
            "e",
        )
        .unwrap();
        assert_eq!(hours[0].datetime, "2022-01-01T00:00");
        assert_eq!(hours[1].usd_per_mwh, -12.5);
    }

    #[test]
    fn locates_each_kind_of_bad_row() {
        let at = |text: &str| {
            let e = parse_bitcoin(text, "h.csv").unwrap_err();
            (e.position.line, e.path)
        };
        // Line numbers count blank lines too, as an editor shows them.
        assert_eq!(at("date,price,difficulty,fees\n"), (1, String::new()));
        assert_eq!(at(HEADER), (1, String::new()));
        assert_eq!(at(""), (1, String::new()));
        assert_eq!(
            at(&format!(
                "{HEADER}2022-01-01,47000,2.4e13,0.05\n\n2022-02-30,1,2,3\n"
            )),
            (4, "date".into())
        );
        assert_eq!(
            at(&format!("{HEADER}2022-02-01,1,2,0\n2022-01-01,1,2,0\n")),
            (3, "date".into())
        );
        assert_eq!(
            at(&format!("{HEADER}2022-02-01,1,2,0\n2022-02-01,1,2,0\n")),
            (3, "date".into())
        );
        assert_eq!(
            at(&format!("{HEADER}2022-02-01,-5,2,0\n")),
            (2, "price_usd".into())
        );
        assert_eq!(
            at(&format!("{HEADER}2022-02-01,5,0.5,0\n")),
            (2, "difficulty".into())
        );
        assert_eq!(
            at(&format!("{HEADER}2022-02-01,5,2,NaN\n")),
            (2, "fees_btc_per_block".into())
        );
        assert_eq!(at(&format!("{HEADER}2022-02-01,5,2\n")), (2, String::new()));
        let e = parse_energy("datetime,usd_per_mwh\n2022-01-01T05:30,3\n", "e").unwrap_err();
        assert_eq!((e.position.line, e.path.as_str()), (2, "datetime"));
        let e = parse_energy("datetime,usd_per_mwh\n2022-01-01T05:00,1e7\n", "e").unwrap_err();
        assert_eq!((e.position.line, e.path.as_str()), (2, "usd_per_mwh"));
    }
}
