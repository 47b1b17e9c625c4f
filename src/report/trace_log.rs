//! `pivotsim trace` output: the event log of one replication as CSV or JSON lines, or its
//! monthly statement (`--statement`).
//!
//! Log columns: `time` (ISO 8601 date and time), `seconds` (since the scenario start),
//! `event`, `subject`, `quantity`, `before`, `after`. Numbers are written in shortest
//! round-trip form; state names (a hall's use) as text; an event that changed no tracked
//! quantity has the last three empty (CSV) or null (JSON).
//!
//! Statement columns: [`STATEMENT_COLUMNS`] for the company, then, for each project loan
//! signed during the run, [`PROJECT_COLUMNS`] prefixed with the loan's name (`conversion of
//! A: dscr`); cells of months before the loan, and undefined ratios, are empty.

use std::io::Write;

use crate::engine::{Calendar, SECONDS_PER_DAY, SECONDS_PER_HOUR};
use crate::model::operator::{Flow, ProjectStatus};
use crate::model::trace::{MonthStatement, TraceRecord, TraceValue};
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

/// The statement's company columns, in order.
pub const STATEMENT_COLUMNS: [&str; 22] = [
    "month_end",
    "revenue_usd",
    "ebitda_usd",
    "capex_usd",
    "salvage_usd",
    "rent_prepaid_usd",
    "prepayment_credits_usd",
    "taxes_usd",
    "debt_draws_usd",
    "interest_usd",
    "principal_usd",
    "equity_raised_usd",
    "equity_issue_costs_usd",
    "to_project_accounts_usd",
    "from_project_accounts_usd",
    "seized_at_default_usd",
    "liquidation_proceeds_usd",
    "net_cash_usd",
    "cash_usd",
    "debt_outstanding_usd",
    "dscr",
    "project_accounts_usd",
];

/// Each project loan's columns, after its name.
pub const PROJECT_COLUMNS: [&str; 9] = [
    "state",
    "balance_usd",
    "dscr",
    "reserve_usd",
    "locked_up_usd",
    "cfads_usd",
    "service_usd",
    "distributed_usd",
    "cure_usd",
];

fn cell(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| ryu::Buffer::new().format(x).to_owned())
}

fn json_number(x: Option<f64>) -> serde_json::Value {
    x.and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// A month's company values, as [`STATEMENT_COLUMNS`] after `month_end`.
fn company_values(m: &MonthStatement) -> [Option<f64>; STATEMENT_COLUMNS.len() - 1] {
    let r = &m.record;
    let f = &r.flows;
    [
        Some(f.revenue()),
        Some(f.ebitda()),
        Some(f[Flow::Capex]),
        Some(f[Flow::Salvage]),
        Some(f[Flow::RentPrepaid]),
        Some(f[Flow::PrepaymentCredits]),
        Some(f[Flow::Taxes]),
        Some(f[Flow::DebtDraws]),
        Some(f[Flow::Interest]),
        Some(f[Flow::Principal]),
        Some(f[Flow::EquityRaised]),
        Some(f[Flow::EquityIssueCosts]),
        Some(f[Flow::RestrictedCashIn]),
        Some(f[Flow::RestrictedCashOut]),
        Some(f[Flow::SeizedAtDefault]),
        Some(f[Flow::LiquidationProceeds]),
        Some(f.net_cash()),
        Some(r.cash_after_usd),
        Some(r.debt_outstanding_usd),
        r.dscr,
        Some(m.restricted_cash_usd),
    ]
}

/// A project loan's values, as [`PROJECT_COLUMNS`] after `state`.
fn project_values(p: &ProjectStatus) -> [Option<f64>; PROJECT_COLUMNS.len() - 1] {
    [
        Some(p.balance_usd),
        p.dscr,
        Some(p.reserve_usd),
        Some(p.locked_up_usd),
        Some(p.cfads_usd),
        Some(p.service_usd),
        Some(p.distributed_usd),
        Some(p.cure_usd),
    ]
}

/// The project loans' names, in signing order (the last month has them all).
fn loan_names(statement: &[MonthStatement]) -> Vec<String> {
    statement.last().map_or_else(Vec::new, |m| {
        m.projects.iter().map(|p| p.name.clone()).collect()
    })
}

/// Writes the monthly statement as CSV with a header row.
pub fn write_statement_csv(
    out: impl Write,
    calendar: &Calendar,
    statement: &[MonthStatement],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    let names = loan_names(statement);
    let mut header: Vec<String> = STATEMENT_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for name in &names {
        header.extend(
            PROJECT_COLUMNS
                .iter()
                .map(|c| csv_text(&format!("{name}: {c}")).into_owned()),
        );
    }
    w.write_record(&header)?;
    for m in statement {
        let mut row = vec![calendar.date_of(m.record.end).to_string()];
        row.extend(company_values(m).map(cell));
        for k in 0..names.len() {
            match m.projects.get(k) {
                Some(p) => {
                    row.push(csv_text(p.state).into_owned());
                    row.extend(project_values(p).map(cell));
                }
                None => row.extend((0..PROJECT_COLUMNS.len()).map(|_| String::new())),
            }
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the monthly statement as one JSON object per month: the company's columns, and a
/// `projects` list of each loan signed by then (with its `name`).
pub fn write_statement_jsonl(
    mut out: impl Write,
    calendar: &Calendar,
    statement: &[MonthStatement],
) -> std::io::Result<()> {
    for m in statement {
        let mut object = serde_json::Map::new();
        object.insert(
            STATEMENT_COLUMNS[0].into(),
            calendar.date_of(m.record.end).to_string().into(),
        );
        for (column, x) in STATEMENT_COLUMNS[1..].iter().zip(company_values(m)) {
            object.insert((*column).into(), json_number(x));
        }
        let projects: Vec<serde_json::Value> = m
            .projects
            .iter()
            .map(|p| {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), p.name.clone().into());
                o.insert(PROJECT_COLUMNS[0].into(), p.state.into());
                for (column, x) in PROJECT_COLUMNS[1..].iter().zip(project_values(p)) {
                    o.insert((*column).into(), json_number(x));
                }
                serde_json::Value::Object(o)
            })
            .collect();
        object.insert("projects".into(), projects.into());
        writeln!(out, "{}", serde_json::Value::Object(object))?;
    }
    out.flush()
}
