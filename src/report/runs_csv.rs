//! `runs.csv`: one row per replication × plan, streamed as results arrive.
//!
//! Tidy for pandas, polars and R: one observation per row, `replication` and `plan` as keys,
//! then one column per metric named with its unit, then the plan's returns over the baseline
//! on that future (`vs_baseline_…`: the method and figures of [`IncrementalMetric`] for project
//! and equity flows; empty on the baseline's own rows). Numbers follow
//! [`csv_number`](crate::report::csv_number): an undefined value is an empty cell, counts and
//! flags are whole numbers, and other floats are written in their shortest round-trip form,
//! so the file is byte-identical for the same seed on any machine.

use std::io::Write;
use std::path::Path;

use crate::model::returns::{IncrementalMetric, ReturnMethod};
use crate::model::{Metric, Unit};
use crate::montecarlo::ReplicationRow;
use crate::report::ReportError;
use crate::report::atomic::AtomicFile;
use crate::report::csv_number::{NumberKind, push_number};
use crate::report::csv_text::csv_text;

fn header_fields() -> Vec<String> {
    let mut header = vec!["replication".to_owned(), "plan".to_owned()];
    header.extend(Metric::ALL.iter().map(|m| m.key().to_owned()));
    header.push("vs_baseline_project_method".into());
    header.push("vs_baseline_equity_method".into());
    header.extend(
        IncrementalMetric::ALL
            .iter()
            .map(|f| format!("vs_baseline_{}", f.key())),
    );
    header
}

/// One text field as the `csv` crate writes it: neutralised against formulas
/// ([`csv_text`]), then quoted only when it must be.
fn csv_field(text: &str) -> String {
    let text = csv_text(text);
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// Streams rows into `runs.csv` through an atomic file.
///
/// Rows are formatted here rather than through `csv::Writer` so that a merge can append rows
/// that shards already formatted: either way the bytes are `replication,plan,values…\n`, with
/// the plan name neutralised as every CSV text cell is ([`csv_text`]) and quoted only when it
/// holds a comma, quote, line break or edge space.
pub struct RunsCsvWriter {
    file: AtomicFile,
    plan_fields: Vec<String>,
    line: String,
}

impl RunsCsvWriter {
    /// Creates the file (invisible until [`RunsCsvWriter::commit`]) and writes the header.
    pub fn create(path: &Path, plan_names: &[String]) -> Result<Self, ReportError> {
        let mut file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
        let mut header = Self::header_line();
        header.push('\n');
        file.write_all(header.as_bytes())
            .map_err(|e| ReportError::io(path, e))?;
        Ok(RunsCsvWriter {
            file,
            plan_fields: plan_names.iter().map(|n| csv_field(n)).collect(),
            line: String::new(),
        })
    }

    /// The header line, without its newline (`replication,plan,<metric keys>`).
    pub fn header_line() -> String {
        header_fields().join(",")
    }

    /// Appends rows already formatted by this writer elsewhere (a shard's `runs.csv` body).
    pub fn append_formatted(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Appends one row per plan of a replication.
    pub fn write(&mut self, row: &ReplicationRow) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let mut floats = ryu::Buffer::new();
        for (p, (plan, metrics)) in self.plan_fields.iter().zip(&row.plans).enumerate() {
            self.line.clear();
            let _ = write!(self.line, "{},{plan}", row.replication);
            for (metric, value) in Metric::ALL.iter().zip(metrics.values) {
                self.line.push(',');
                push_number(&mut self.line, &mut floats, value, NumberKind::of(*metric));
            }
            let versus = row.versus_baseline.get(p).copied().flatten();
            let method = |m: Option<ReturnMethod>| m.map_or("", ReturnMethod::key);
            let _ = write!(
                self.line,
                ",{},{}",
                method(versus.map(|v| v.project.method)),
                method(versus.map(|v| v.equity.method))
            );
            for figure in IncrementalMetric::ALL {
                self.line.push(',');
                let value = versus.map_or(f64::NAN, |v| figure.of(&v));
                push_number(&mut self.line, &mut floats, value, NumberKind::Real);
            }
            self.line.push('\n');
            self.file.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self, path: &Path) -> Result<(), ReportError> {
        self.file.flush().map_err(|e| ReportError::io(path, e))?;
        self.file.commit().map_err(|e| ReportError::io(path, e))
    }
}

/// One column of `runs.csv` as its dictionary describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDoc {
    /// The column's name, as in the header.
    pub column: String,
    /// Its unit (`USD`, `MWh`, `count`, `0/1`, …).
    pub unit: &'static str,
    /// What it means.
    pub meaning: String,
}

/// The unit of a metric's column. Dollars and whole numbers come from the metric's kind; any
/// other metric carries its unit in its key (the metric table's rule), read here from the
/// key's suffix. Empty when no rule matches, which a test refuses, so a new unit is named here.
fn metric_unit(metric: Metric) -> &'static str {
    let key = metric.key();
    match metric.unit() {
        Unit::Usd => "USD",
        Unit::Count if metric.description().starts_with("1 when") => "0/1",
        Unit::Count if key.ends_with("_month") => "month",
        Unit::Count => "count",
        Unit::Plain => {
            const SUFFIXES: [(&str, &str); 13] = [
                ("_usd_per_ph_day", "USD/PH/day"),
                ("_usd_per_kw_month", "USD/kW-month"),
                ("_share", "fraction"),
                ("_margin", "fraction"),
                ("_per_share_usd", "USD/share"),
                ("_mwh", "MWh"),
                ("_mw_months", "MW-months"),
                ("_mw_mean", "MW"),
                ("_mw_at_horizon", "MW"),
                ("_mw", "MW"),
                ("_ph_s", "PH/s"),
                ("_hours", "hours"),
                ("_years", "years"),
            ];
            if let Some((_, unit)) = SUFFIXES.iter().find(|(s, _)| key.ends_with(s)) {
                unit
            } else if key.starts_with("years_") {
                "years"
            } else if key == "irr" {
                "fraction/yr"
            } else {
                ""
            }
        }
    }
}

/// The unit and meaning of a figure of the returns over the baseline.
fn incremental_doc(figure: IncrementalMetric) -> (&'static str, &'static str) {
    use IncrementalMetric as F;
    match figure {
        F::ProjectIrr => (
            "fraction/yr",
            "IRR of the difference of the plan's and the baseline's monthly project flows, when it is the method (else empty)",
        ),
        F::ProjectMirr => (
            "fraction/yr",
            "modified IRR of that difference, when it is the method (else empty)",
        ),
        F::ProjectPaybackYears => (
            "years",
            "payback of that difference (operating flows); 0 if it never goes below zero, empty if not recovered",
        ),
        F::ProjectPeakFunding => (
            "USD",
            "the deepest the cumulative difference goes below zero (operating flows)",
        ),
        F::ProjectMoic => (
            "multiple",
            "every incremental inflow over every incremental outlay, undiscounted; empty without an outlay",
        ),
        F::EquityIrr => (
            "fraction/yr",
            "as `vs_baseline_project_irr`, on the owners' flows",
        ),
        F::EquityMirr => (
            "fraction/yr",
            "as `vs_baseline_project_mirr`, on the owners' flows",
        ),
        F::EquityPaybackYears => (
            "years",
            "as `vs_baseline_project_payback_years`, on the owners' flows",
        ),
        F::EquityPeakFunding => (
            "USD",
            "as `vs_baseline_project_peak_funding_usd`, on the owners' flows",
        ),
        F::EquityMoic => (
            "multiple",
            "as `vs_baseline_project_moic`, on the owners' flows",
        ),
    }
}

/// Every column of `runs.csv`, in header order, with its unit and meaning: the metric table
/// for the metrics, then the returns over the baseline.
pub fn dictionary() -> Vec<ColumnDoc> {
    let doc = |column: &str, unit, meaning: &str| ColumnDoc {
        column: column.to_owned(),
        unit,
        meaning: meaning.to_owned(),
    };
    let mut columns = vec![
        doc("replication", "index", "0-based future index"),
        doc("plan", "name", "plan name"),
    ];
    columns.extend(
        Metric::ALL
            .iter()
            .map(|m| doc(m.key(), metric_unit(*m), m.description())),
    );
    for side in ["project", "equity"] {
        columns.push(doc(
            &format!("vs_baseline_{side}_method"),
            "`irr`, `mirr` or empty",
            &format!(
                "which rate of return the plan's incremental {side} flows over the baseline \
                 report (empty: no difference, no outlay or no inflow; and on the baseline's own rows)"
            ),
        ));
    }
    columns.extend(IncrementalMetric::ALL.iter().map(|f| {
        let (unit, meaning) = incremental_doc(*f);
        doc(&format!("vs_baseline_{}", f.key()), unit, meaning)
    }));
    columns
}

/// The dictionary as a Markdown table, as `docs/outputs.md` holds it.
pub fn dictionary_markdown() -> String {
    let mut table = String::from("| column | unit | meaning |\n|---|---|---|\n");
    for c in dictionary() {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.column, c.unit, c.meaning
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_has_every_header_column_in_order_each_with_a_unit() {
        let columns: Vec<String> = dictionary().into_iter().map(|c| c.column).collect();
        assert_eq!(columns, header_fields());
        for c in dictionary() {
            assert!(!c.unit.is_empty(), "`{}` has no unit", c.column);
        }
        let unit = |key: &str| {
            dictionary()
                .into_iter()
                .find(|c| c.column == key)
                .unwrap()
                .unit
        };
        assert_eq!(unit("npv_usd"), "USD");
        assert_eq!(unit("curtailed_mwh"), "MWh");
        assert_eq!(unit("defaulted"), "0/1");
        assert_eq!(unit("lost_inquiries"), "count");
        assert_eq!(unit("payback_month"), "month");
        assert_eq!(unit("mean_hashprice_usd_per_ph_day"), "USD/PH/day");
    }
}
