//! `runs.csv`: one row per replication × plan, streamed as results arrive.
//!
//! Tidy for pandas, polars and R: one observation per row, `replication` and `plan` as keys,
//! then one column per metric named with its unit. Floats are written in their shortest
//! round-trip form, so the file is byte-identical for the same seed on any machine.

use std::io::Write;
use std::path::Path;

use crate::model::Metric;
use crate::montecarlo::ReplicationRow;
use crate::report::ReportError;
use crate::report::atomic::AtomicFile;

/// Streams rows into `runs.csv` through an atomic file.
pub struct RunsCsvWriter {
    out: csv::Writer<AtomicFile>,
    plan_names: Vec<String>,
}

impl RunsCsvWriter {
    /// Creates the file (invisible until [`RunsCsvWriter::commit`]) and writes the header.
    pub fn create(path: &Path, plan_names: &[String]) -> Result<Self, ReportError> {
        let file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
        let mut out = csv::Writer::from_writer(file);
        let mut header = vec!["replication", "plan"];
        header.extend(Metric::ALL.iter().map(|m| m.key()));
        out.write_record(&header)
            .map_err(|e| ReportError::csv(path, e))?;
        Ok(RunsCsvWriter {
            out,
            plan_names: plan_names.to_vec(),
        })
    }

    /// Appends one row per plan of a replication.
    pub fn write(&mut self, row: &ReplicationRow) -> Result<(), csv::Error> {
        let mut floats = ryu::Buffer::new();
        for (plan, metrics) in self.plan_names.iter().zip(&row.plans) {
            self.out.write_field(row.replication.to_string())?;
            self.out.write_field(plan)?;
            for value in metrics.values {
                self.out.write_field(floats.format(value))?;
            }
            self.out.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    /// Flushes and renames the file into place.
    pub fn commit(self, path: &Path) -> Result<(), ReportError> {
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| ReportError::io(path, e.into_error()))?;
        file.flush().map_err(|e| ReportError::io(path, e))?;
        file.commit().map_err(|e| ReportError::io(path, e))
    }
}
