//! The files of a finished run, written in the one order that makes them trustworthy.
//!
//! `run` and `merge` both end here, so a merged set of shards produces the very bytes a single
//! run would. `timeseries.csv` and the plots come first, then `runs.csv` is renamed into place,
//! and `summary.json` is written last: its presence means the folder is complete. A raised
//! cancel flag (Ctrl-C, SIGTERM) stops the writing before the next file is committed.
//!
//! [`is_output_name`] is the one list of the names pivotsim writes into an output folder, so
//! that a new run can remove every file of an earlier one and nothing else.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

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
/// holding every row) and finally `summary.json`, all in `dir`. Stops with
/// [`ReportError::Interrupted`] before any commit once `cancel` is raised.
pub fn write_results(
    dir: &Path,
    scenario: &Scenario,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    runs_csv: RunsCsvWriter,
    plots: bool,
    cancel: &AtomicBool,
) -> Result<Written, ReportError> {
    let summary = Summary::new(scenario, result, &timeseries_csv::month_labels(model));
    let summary_json = summary.to_json().map_err(|source| ReportError::Json {
        what: "summary.json",
        source,
    })?;
    ReportError::stop_if(cancel)?;
    timeseries_csv::write(&dir.join("timeseries.csv"), model, result)?;
    let plots = if plots {
        figures::write_all(dir, model, result, cancel)?
    } else {
        Vec::new()
    };
    ReportError::stop_if(cancel)?;
    runs_csv.commit(&dir.join("runs.csv"))?;
    ReportError::stop_if(cancel)?;
    let summary_path = dir.join("summary.json");
    write_atomic(&summary_path, summary_json.as_bytes())
        .map_err(|e| ReportError::io(&summary_path, e))?;
    Ok(Written {
        summary,
        summary_json,
        plots,
    })
}

/// Whether `name`, an entry directly inside an output folder, is something a pivotsim command
/// writes there: the run files, the plots, a sweep's table, plot and `point-NNN` folders, and
/// the hidden temporaries (`.NAME.partial-PID`, `.plots.partial-PID`) a killed run can leave.
/// `is_dir` tells a folder from a file (a symbolic link counts as a file, never followed).
pub fn is_output_name(name: &str, is_dir: bool) -> bool {
    if name.starts_with('.') && name.contains(".partial-") {
        return true;
    }
    if is_dir {
        return name
            .strip_prefix("point-")
            .is_some_and(|n| n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()));
    }
    if [
        "summary.json",
        "shard.json",
        "runs.csv",
        "timeseries.csv",
        "sweep.csv",
    ]
    .contains(&name)
    {
        return true;
    }
    let Some(stem) = name
        .strip_suffix(".png")
        .or_else(|| name.strip_suffix(".svg"))
    else {
        return false;
    };
    stem == "sweep"
        || figures::PLOT_STEMS.contains(&stem)
        || stem.starts_with(figures::REVENUE_MIX_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::is_output_name;

    #[test]
    fn output_names_are_recognised_and_other_names_are_not() {
        for name in [
            "summary.json",
            "runs.csv",
            "npv_cdf.svg",
            "revenue_mix_a-b.png",
            "sweep.png",
            ".runs.csv.partial-42",
        ] {
            assert!(is_output_name(name, false), "{name}");
        }
        assert!(is_output_name("point-007", true));
        assert!(is_output_name(".plots.partial-42", true));
        for name in ["notes.txt", "photo.png", "summary.json.bak", "point-007"] {
            assert!(!is_output_name(name, false), "{name}");
        }
        assert!(!is_output_name("point-x", true));
        assert!(!is_output_name("data", true));
    }
}
