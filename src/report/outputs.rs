//! The files of a finished run, written in the one order that makes them trustworthy.
//!
//! `run` and `merge` both end here, so a merged set of shards produces the very bytes a single
//! run would. `timeseries.csv`, the plots and `report.html` come first, then `runs.csv` is
//! renamed into place, and `summary.json` is written last: its presence means the folder is
//! complete. A raised
//! cancel flag (Ctrl-C, SIGTERM) stops the writing before the next file is committed.
//!
//! [`is_output_name`] is the one list of the names pivotsim writes into an output folder, so
//! that a new run can remove every file of an earlier one and nothing else.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::model::CompiledScenario;
use crate::montecarlo::MonteCarloResult;
use crate::report::atomic::write_atomic;
use crate::report::html::{self, InlinePlot, ReportInputs};
use crate::report::runs_csv::RunsCsvWriter;
use crate::report::summary::Summary;
use crate::report::{ReportError, figures, timeseries_csv};

/// The name of the HTML report in an output folder.
pub const REPORT_HTML: &str = "report.html";

/// Which of the optional files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Optional {
    /// The PNG and SVG plots (`--no-plots` turns them off).
    pub plots: bool,
    /// `report.html` (`--no-report` turns it off).
    pub report: bool,
}
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
    /// `report.html`, unless it was turned off.
    pub report: Option<PathBuf>,
}

/// Writes `timeseries.csv`, the plots and `report.html` (each unless `optional` turns it
/// off), commits `runs_csv` (already holding every row) and finally `summary.json`, all in
/// `dir`. Stops with
/// [`ReportError::Interrupted`] before any commit once `cancel` is raised.
pub fn write_results(
    dir: &Path,
    scenario: &Scenario,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    runs_csv: RunsCsvWriter,
    optional: Optional,
    cancel: &AtomicBool,
) -> Result<Written, ReportError> {
    let summary = Summary::new(scenario, result, &timeseries_csv::month_labels(model));
    let summary_json = summary.to_json().map_err(|source| ReportError::Json {
        what: "summary.json",
        source,
    })?;
    ReportError::stop_if(cancel)?;
    timeseries_csv::write(&dir.join("timeseries.csv"), model, result)?;
    let plots = if optional.plots {
        let caption = figures::caption(
            &summary.scenario.name,
            summary.runs,
            summary.seed,
            model.equity_discount_rate,
            model.project_discount_rate,
        );
        figures::write_all(dir, model, result, &caption, cancel)?
    } else {
        Vec::new()
    };
    ReportError::stop_if(cancel)?;
    let report = if optional.report {
        let inline = inline_plots(&plots)?;
        let page = html::render(&ReportInputs {
            summary: &summary,
            model,
            plots: &inline,
        });
        let path = dir.join(REPORT_HTML);
        write_atomic(&path, page.as_bytes()).map_err(|e| ReportError::io(&path, e))?;
        Some(path)
    } else {
        None
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
        report,
    })
}

/// The SVG plots among `files`, read back to be inlined in the report, in the order a
/// reader wants them: the distributions and the paired difference, then the time series.
fn inline_plots(files: &[PathBuf]) -> Result<Vec<InlinePlot>, ReportError> {
    let mut plots = Vec::new();
    for file in files {
        if file.extension().is_none_or(|e| e != "svg") {
            continue;
        }
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let svg = std::fs::read_to_string(file).map_err(|e| ReportError::io(file, e))?;
        plots.push(InlinePlot { stem, svg });
    }
    plots.sort_by_key(|p| figures::reading_order(&p.stem));
    Ok(plots)
}

/// Whether `name`, an entry directly inside an output folder, is something a pivotsim command
/// writes there: the run files, the plots, a sweep's table, plot and `point-NNN` folders,
/// `optimize`'s table, chosen scenario and frontier plot, and
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
        crate::report::sensitivity::CSV,
        crate::report::sensitivity::SHARD_MANIFEST,
        "optimize.csv",
        "best.yaml",
        REPORT_HTML,
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
        || stem == "frontier"
        || figures::PLOT_STEMS.contains(&stem)
        || stem.starts_with(figures::REVENUE_MIX_PREFIX)
        || stem.starts_with(figures::PAIRED_PREFIX)
        || stem.starts_with(crate::report::sensitivity::TORNADO_PREFIX)
        || stem.starts_with(crate::report::sensitivity::SOBOL_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::is_output_name;

    #[test]
    fn output_names_are_recognised_and_other_names_are_not() {
        for name in [
            "summary.json",
            "runs.csv",
            "report.html",
            "npv_cdf.svg",
            "revenue_mix_a-b.png",
            "paired_npv_difference_convert-half-2027.svg",
            "sweep.png",
            ".runs.csv.partial-42",
            "sensitivity.csv",
            "sensitivity-shard.json",
            "tornado-stay-mining.png",
            "sobol-adaptive.svg",
        ] {
            assert!(is_output_name(name, false), "{name}");
        }
        assert!(is_output_name("point-007", true));
        assert!(is_output_name(".plots.partial-42", true));
        for name in [
            "notes.txt",
            "photo.png",
            "summary.json.bak",
            "point-007",
            "tornado.txt",
        ] {
            assert!(!is_output_name(name, false), "{name}");
        }
        assert!(!is_output_name("point-x", true));
        assert!(!is_output_name("data", true));
    }
}
