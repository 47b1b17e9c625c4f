//! `timeseries.csv`: per plan, month and series, the mean and the 5–95 percentile bands.
//!
//! Tidy long format, one observation per row: `plan`, `month` (the calendar month accrued,
//! `YYYY-MM`), `series` (its unit in the name), then `mean,p5,p25,p50,p75,p95`. Bands come from
//! the mergeable sketch (relative error ≤ 0.1%); means are exact.

use std::io::Write;
use std::path::Path;

use crate::model::{CompiledScenario, Series};
use crate::montecarlo::MonteCarloResult;
use crate::report::ReportError;
use crate::report::atomic::AtomicFile;
use crate::report::csv_number::{NumberKind, number};
use crate::report::csv_text::csv_text;

/// The month label (`YYYY-MM`) of each month a run reports.
pub fn month_labels(model: &CompiledScenario) -> Vec<String> {
    month_ends(model)
        .iter()
        .map(|end| {
            let last_second = crate::engine::SimTime::from_secs(end.secs().saturating_sub(1));
            model
                .calendar
                .date_of(last_second)
                .format("%Y-%m")
                .to_string()
        })
        .collect()
}

/// The close time of each reported month.
pub fn month_ends(model: &CompiledScenario) -> Vec<crate::engine::SimTime> {
    let mut ends = model.month_starts.clone();
    ends.push(model.end);
    ends
}

/// Writes `timeseries.csv` atomically.
pub fn write(
    path: &Path,
    model: &CompiledScenario,
    result: &MonteCarloResult,
) -> Result<(), ReportError> {
    let file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut out = csv::Writer::from_writer(file);
    let csv_err = |e| ReportError::csv(path, e);
    out.write_record([
        "plan", "month", "series", "mean", "p5", "p25", "p50", "p75", "p95",
    ])
    .map_err(csv_err)?;
    let labels = month_labels(model);
    let mut floats = ryu::Buffer::new();
    for (p, plan) in result.plans.iter().enumerate() {
        for (m, label) in labels.iter().enumerate().take(result.timeseries.months()) {
            for series in Series::ALL {
                out.write_field(csv_text(&plan.name).as_ref())
                    .map_err(csv_err)?;
                out.write_field(csv_text(label).as_ref()).map_err(csv_err)?;
                out.write_field(series.key()).map_err(csv_err)?;
                // Every plan × month × series has its row; a series no future had that month
                // (a DSCR without debt service) has empty cells.
                match result.timeseries.cell(p, m, series).bands() {
                    Some((mean, bands)) => {
                        for v in std::iter::once(mean).chain(bands) {
                            out.write_field(number(&mut floats, v, NumberKind::Real))
                                .map_err(csv_err)?;
                        }
                    }
                    None => {
                        for _ in 0..6 {
                            out.write_field("").map_err(csv_err)?;
                        }
                    }
                }
                out.write_record(None::<&[u8]>).map_err(csv_err)?;
            }
        }
    }
    let mut file = out
        .into_inner()
        .map_err(|e| ReportError::io(path, e.into_error()))?;
    file.flush().map_err(|e| ReportError::io(path, e))?;
    file.commit().map_err(|e| ReportError::io(path, e))
}
