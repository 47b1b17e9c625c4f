//! Empirical outage traces: CSV files the scenario points to, read when it is loaded.
//!
//! Only this layer reads input files. A trace path is relative to the scenario file's folder
//! (or to the working directory for a scenario given as text). Every problem names the trace
//! file, its line and the column, and says what was expected.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};

use crate::error::{ErrorKind, ScenarioError};
use crate::field;
use crate::names::{self, shown};
use crate::source::{Position, SourceDocument, join_field, join_index};
use crate::types::{Scenario, Site, TraceOutage};

/// Largest trace file accepted, bytes.
pub const MAX_TRACE_BYTES: u64 = 16 * 1024 * 1024;

/// Whether opening or reading the file would block until some other process writes: a FIFO
/// or a socket. (Devices such as `/dev/zero` are read up to the size limit instead.)
fn waits_for_a_writer(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        kind.is_fifo() || kind.is_socket()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Reads every site's `grid_outage_trace` into `grid_outage_trace_events`.
pub fn load_traces(scenario: &mut Scenario, doc: &SourceDocument) -> Result<(), ScenarioError> {
    for (i, site) in scenario.sites.iter_mut().enumerate() {
        let Some(rel) = &site.grid_outage_trace else {
            continue;
        };
        let field = join_field(
            &join_index(field!(Scenario.sites), i),
            field!(Site.grid_outage_trace),
        );
        let (text, path) = read_input_csv(doc, &field, rel, "trace")?;
        site.grid_outage_trace_events = parse(&text, &path.display().to_string())
            .map_err(|e| located(doc, &field, "trace", &e))?;
    }
    Ok(())
}

/// Reads the CSV file `rel` (relative to the scenario file's folder) that the scenario field
/// `field` names, as text, with its resolved path. `what` names the file in messages ("the
/// trace"). Refuses FIFOs and sockets, files over [`MAX_TRACE_BYTES`] and invalid UTF-8.
pub(crate) fn read_input_csv(
    doc: &SourceDocument,
    field: &str,
    rel: &str,
    what: &str,
) -> Result<(String, PathBuf), ScenarioError> {
    let base = Path::new(&doc.origin)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path: PathBuf = if Path::new(rel).is_absolute() {
        PathBuf::from(rel)
    } else {
        base.join(rel)
    };
    let at_field_as = |kind: ErrorKind, message: String| doc.error_at(field, kind, message);
    let at_field = |message: String| at_field_as(ErrorKind::Io, message);
    let meta = std::fs::metadata(&path)
        .map_err(|e| at_field(format!("cannot read the {what} {}: {e}", shown_path(&path))))?;
    if waits_for_a_writer(&meta) {
        return Err(at_field(format!(
            "the {what} {} is a FIFO or socket, which would wait for a writer; expected a \
             regular file",
            shown_path(&path)
        )));
    }
    if meta.len() > MAX_TRACE_BYTES {
        return Err(at_field(format!(
            "the {what} {} is {} bytes; the limit is {MAX_TRACE_BYTES}",
            shown_path(&path),
            meta.len()
        )));
    }
    let bytes = crate::read_capped(&path, MAX_TRACE_BYTES)
        .map_err(|e| at_field(format!("cannot read the {what} {}: {e}", shown_path(&path))))?
        .ok_or_else(|| {
            at_field_as(
                ErrorKind::Limit,
                format!(
                    "the {what} {} holds more than {MAX_TRACE_BYTES} bytes, the limit",
                    shown_path(&path)
                ),
            )
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        at_field(format!(
            "cannot read the {what} {} as text: invalid UTF-8 at byte {}",
            shown_path(&path),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok((text, path))
}

/// A problem found inside a CSV file (`e`, located by its line and column), reported against
/// the scenario field `field` that names the file.
pub(crate) fn located(
    doc: &SourceDocument,
    field: &str,
    what: &str,
    e: &ScenarioError,
) -> ScenarioError {
    let column = if e.path.is_empty() {
        String::new()
    } else {
        format!(", column `{}`", e.path)
    };
    doc.error_at(
        field,
        ErrorKind::Type,
        format!(
            "in the {what} {}, line {}{column}: {}",
            e.file, e.position.line, e.message
        ),
    )
}

/// The error of a value in an input CSV file: `file`, the 1-based `line`, the named `column`
/// as its field, and what was wrong.
pub(crate) fn csv_error(file: &str, line: usize, column: &str, message: String) -> ScenarioError {
    ScenarioError::new(
        file,
        column,
        Position { line, column: 1 },
        ErrorKind::Type,
        message,
    )
}

/// Parses a trace: a header `start,duration_hours`, then one outage per line.
pub fn parse(text: &str, file: &str) -> Result<Vec<TraceOutage>, ScenarioError> {
    let err = |line: usize, column: &str, message: String| csv_error(file, line, column, message);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(err(
            1,
            "",
            "the trace is empty; expected a header `start,duration_hours`".into(),
        ));
    };
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns != ["start", "duration_hours"] {
        return Err(err(
            1,
            "",
            format!(
                "the header is `{}`; expected `start,duration_hours`",
                shown(header)
            ),
        ));
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        let line_no = n + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 2 {
            return Err(err(
                line_no,
                "",
                format!(
                    "expected 2 values (start, duration_hours), got {}",
                    fields.len()
                ),
            ));
        }
        let start = parse_start(fields[0]).ok_or_else(|| {
            err(
                line_no,
                field!(TraceOutage.start),
                format!(
                    "`{}` is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                    shown(fields[0])
                ),
            )
        })?;
        let hours: f64 = fields[1]
            .parse()
            .ok()
            .filter(|h: &f64| h.is_finite() && *h > 0.0 && *h <= 87_600.0)
            .ok_or_else(|| {
                err(
                    line_no,
                    field!(TraceOutage.duration_hours),
                    format!(
                        "`{}` is not a duration; expected hours above 0, at most 87600",
                        shown(fields[1])
                    ),
                )
            })?;
        out.push(TraceOutage {
            start: start.format("%Y-%m-%dT%H:%M").to_string(),
            duration_hours: hours,
        });
    }
    Ok(out)
}

/// `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM`.
pub fn parse_start(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// A trace's path as a message quotes it: escaped and cut to [`names::MAX_PATH_CHARS`]
/// characters (a path is the user's text, and often longer than a name).
pub(crate) fn shown_path(path: &Path) -> String {
    names::bounded(&path.display().to_string(), names::MAX_PATH_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_times_and_locates_errors() {
        let ok = parse(
            "start,duration_hours\n2026-06-01,12\n2026-07-04T18:30,2.5\n",
            "t.csv",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            ok[1],
            TraceOutage {
                start: "2026-07-04T18:30".into(),
                duration_hours: 2.5
            }
        );
        let e = parse(
            "start,duration_hours\n2026-06-01,12\n2026-13-01,3\n",
            "t.csv",
        )
        .unwrap_err();
        assert_eq!((e.position.line, e.path.as_str()), (3, "start"));
        let e = parse("start,duration_hours\n2026-06-01,-1\n", "t.csv").unwrap_err();
        assert_eq!((e.position.line, e.path.as_str()), (2, "duration_hours"));
        assert!(parse("when,hours\n", "t.csv").is_err());
    }
}
