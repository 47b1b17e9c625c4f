//! `runs.csv`: one row per replication × plan, streamed as results arrive.
//!
//! Tidy for pandas, polars and R: one observation per row, `replication` and `plan` as keys,
//! then one column per metric named with its unit, then the plan's returns over the baseline
//! on that future (`vs_baseline_…`: the method and figures of [`IncrementalMetric`] for project
//! and equity flows; `NaN` and an empty method on the baseline's own rows). Floats are written
//! in their shortest round-trip form, so the file is byte-identical for the same seed on any
//! machine.

use std::io::Write;
use std::path::Path;

use crate::model::Metric;
use crate::model::returns::{IncrementalMetric, ReturnMethod};
use crate::montecarlo::ReplicationRow;
use crate::report::ReportError;
use crate::report::atomic::AtomicFile;
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
            for value in metrics.values {
                self.line.push(',');
                self.line.push_str(floats.format(value));
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
                self.line
                    .push_str(floats.format(versus.map_or(f64::NAN, |v| figure.of(&v))));
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
