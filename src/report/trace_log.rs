//! `pivotsim trace` output: the event log of one replication as CSV or JSON lines.
//!
//! Columns: `time` (ISO 8601 date and time), `seconds` (since the scenario start), `event`,
//! `subject`, `quantity`, `before`, `after`. Numbers are written in shortest round-trip form;
//! state names (a hall's use) as text; an event that changed no tracked quantity has the last
//! three empty (CSV) or null (JSON).

use std::io::Write;

use crate::engine::{Calendar, SECONDS_PER_DAY, SECONDS_PER_HOUR};
use crate::model::trace::{TraceRecord, TraceValue};
use crate::report::csv_text::csv_text;

/// The columns, in order.
pub const COLUMNS: [&str; 7] = [
    "time", "seconds", "event", "subject", "quantity", "before", "after",
];

fn timestamp(calendar: &Calendar, record: &TraceRecord) -> String {
    let date = calendar.date_of(record.time);
    let secs = record.time.secs() % SECONDS_PER_DAY;
    format!(
        "{date}T{:02}:{:02}:{:02}",
        secs / SECONDS_PER_HOUR,
        secs / 60 % 60,
        secs % 60
    )
}

fn text(value: TraceValue) -> String {
    match value {
        TraceValue::None => String::new(),
        TraceValue::Number(x) => ryu::Buffer::new().format(x).to_owned(),
        TraceValue::Text(t) => t.to_owned(),
    }
}

/// A value as a CSV cell: numbers as they are, text neutralised ([`csv_text`]).
fn csv_cell(value: TraceValue) -> String {
    match value {
        TraceValue::Text(t) => csv_text(t).into_owned(),
        other => text(other),
    }
}

fn json(value: TraceValue) -> serde_json::Value {
    match value {
        TraceValue::None => serde_json::Value::Null,
        TraceValue::Number(x) => serde_json::Number::from_f64(x)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        TraceValue::Text(t) => serde_json::Value::String(t.to_owned()),
    }
}

/// Writes the log as CSV with a header row.
pub fn write_csv(
    out: impl Write,
    calendar: &Calendar,
    log: &[TraceRecord],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in log {
        w.write_record([
            timestamp(calendar, r),
            r.time.secs().to_string(),
            csv_text(r.event).into_owned(),
            csv_text(&r.subject).into_owned(),
            csv_text(r.quantity).into_owned(),
            csv_cell(r.before),
            csv_cell(r.after),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the log as one JSON object per line.
pub fn write_jsonl(
    mut out: impl Write,
    calendar: &Calendar,
    log: &[TraceRecord],
) -> std::io::Result<()> {
    for r in log {
        let line = serde_json::json!({
            "time": timestamp(calendar, r),
            "seconds": r.time.secs(),
            "event": r.event,
            "subject": r.subject,
            "quantity": if r.quantity.is_empty() { serde_json::Value::Null } else { r.quantity.into() },
            "before": json(r.before),
            "after": json(r.after),
        });
        writeln!(out, "{line}")?;
    }
    out.flush()
}
