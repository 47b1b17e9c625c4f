//! The files of a finished run, written in the one order that makes them trustworthy.
//!
//! `run` and `merge` both end here, so a merged set of shards produces the very bytes a single
//! run would. `timeseries.csv` and the plots come first, then `runs.csv` is renamed into place,
//! and `summary.json` is written last: its presence means the folder is complete.

use std::path::{Path, PathBuf};

use crate::model::CompiledScenario;
use crate::montecarlo::MonteCarloResult;
use crate::report::atomic::write_atomic;
use crate::report::runs_csv::RunsCsvWriter;
use crate::report::summary::Summary;
use crate::report::{ReportError, figures, timeseries_csv};
use crate::scenario::Scenario;

/// What was written.
#[derive(Debug)]
pub struct Written {
    /// The summary document (also in `summary.json`).
    pub summary: Summary,
    /// `summary.json`'s text.
    pub summary_json: String,
    /// Plot files (PNG and SVG), empty with `plots = false`.
    pub plots: Vec<PathBuf>,
}

/// Writes `timeseries.csv`, the plots (unless `plots` is false), commits `runs_csv` (already
/// holding every row) and finally `summary.json`, all in `dir`.
pub fn write_results(
    dir: &Path,
    scenario: &Scenario,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    runs_csv: RunsCsvWriter,
    plots: bool,
) -> Result<Written, ReportError> {
    let summary = Summary::new(scenario, result, &timeseries_csv::month_labels(model));
    let summary_json = summary.to_json().map_err(|source| ReportError::Json {
        what: "summary.json",
        source,
    })?;
    timeseries_csv::write(&dir.join("timeseries.csv"), model, result)?;
    let plots = if plots {
        figures::write_all(dir, model, result)?
    } else {
        Vec::new()
    };
    runs_csv.commit(&dir.join("runs.csv"))?;
    let summary_path = dir.join("summary.json");
    write_atomic(&summary_path, summary_json.as_bytes())
        .map_err(|e| ReportError::io(&summary_path, e))?;
    Ok(Written {
        summary,
        summary_json,
        plots,
    })
}
