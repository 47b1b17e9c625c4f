//! A sweep's tidy table (`sweep.csv`) and its chart of one metric against the first axis.
//!
//! `sweep.csv` has one row per point × plan × metric × statistic, so pandas, polars or R can
//! filter and pivot it without reshaping: `point, <one column per --vary path>, plan, metric,
//! statistic, value`. Statistics are those of `summary.json`: `count, mean, std_dev,
//! std_error, ci95_low, ci95_high, min, max, p1 … p99, var_5, cvar_5, var_1, cvar_1`.

use std::path::{Path, PathBuf};

use std::borrow::Cow;

use crate::model::Metric;
use crate::report::atomic::AtomicFile;
use crate::report::csv_number::{NumberKind, number};
use crate::report::csv_text::csv_text;
use crate::report::plots::{self, FanBands, Labels, ValueFormat};
use crate::report::summary::Summary;
use crate::report::{ReportError, figures};
use crate::stats::MetricSummary;

/// One finished point of a sweep.
pub struct SweepPoint {
    /// The value of each axis at this point, as typed.
    pub values: Vec<String>,
    /// The value of each axis at this point as the scenario reads it (a number, a boolean,
    /// text, a list or a mapping), for documents that keep types.
    pub typed_values: Vec<serde_json::Value>,
    /// Its summary.
    pub summary: Summary,
}

/// Statistic names and values of a metric summary, in column order, with how each is written:
/// the count is whole, and so are the exact extremes of a whole-number metric (its
/// percentiles come from a sketch, and its mean is a fraction).
fn statistics(s: &MetricSummary, metric: NumberKind) -> Vec<(&'static str, f64, NumberKind)> {
    let p = &s.percentiles;
    let real = NumberKind::Real;
    vec![
        ("count", s.count as f64, NumberKind::Whole),
        ("mean", s.mean, real),
        ("std_dev", s.std_dev, real),
        ("std_error", s.std_error, real),
        ("ci95_low", s.ci95_low, real),
        ("ci95_high", s.ci95_high, real),
        ("min", s.min, metric),
        ("max", s.max, metric),
        ("p1", p.p1, real),
        ("p5", p.p5, real),
        ("p10", p.p10, real),
        ("p25", p.p25, real),
        ("p50", p.p50, real),
        ("p75", p.p75, real),
        ("p90", p.p90, real),
        ("p95", p.p95, real),
        ("p99", p.p99, real),
        ("var_5", s.var_5, real),
        ("cvar_5", s.cvar_5, real),
        ("var_1", s.var_1, real),
        ("cvar_1", s.cvar_1, real),
    ]
}

/// Writes `sweep.csv` atomically.
pub fn write_csv(path: &Path, axes: &[String], points: &[SweepPoint]) -> Result<(), ReportError> {
    let file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut out = csv::Writer::from_writer(file);
    let csv_err = |e| ReportError::csv(path, e);
    let mut header = vec![Cow::Borrowed("point")];
    header.extend(axes.iter().map(|a| csv_text(a)));
    header.extend(["plan", "metric", "statistic", "value"].map(Cow::Borrowed));
    out.write_record(header.iter().map(|h| h.as_bytes()))
        .map_err(csv_err)?;
    let mut floats = ryu::Buffer::new();
    for (i, point) in points.iter().enumerate() {
        for plan in &point.summary.plans {
            for (metric, summary) in &plan.metrics {
                let kind = Metric::ALL
                    .iter()
                    .find(|m| m.key() == *metric)
                    .map_or(NumberKind::Real, |m| NumberKind::of(*m));
                for (statistic, value, kind) in statistics(summary, kind) {
                    out.write_field(i.to_string()).map_err(csv_err)?;
                    for v in &point.values {
                        out.write_field(csv_text(v).as_ref()).map_err(csv_err)?;
                    }
                    out.write_field(csv_text(&plan.name).as_ref())
                        .map_err(csv_err)?;
                    out.write_field(csv_text(metric).as_ref())
                        .map_err(csv_err)?;
                    out.write_field(csv_text(statistic).as_ref())
                        .map_err(csv_err)?;
                    out.write_field(number(&mut floats, value, kind))
                        .map_err(csv_err)?;
                    out.write_record(None::<&[u8]>).map_err(csv_err)?;
                }
            }
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| ReportError::io(path, e.into_error()))?;
    file.commit().map_err(|e| ReportError::io(path, e))
}

/// Draws `metric` (median, 25–75% and 5–95% bands) per plan against the first axis, at the
/// points where every other axis is at its first value, with a dot at each point simulated.
/// The caption names the scenario, futures, seed and `rates` (the first point's equity and
/// project discount rates). Returns the files written, or none when the first axis is not
/// numeric.
pub fn write_plot(
    dir: &Path,
    axes: &[String],
    points: &[SweepPoint],
    metric: Metric,
    rates: (f64, f64),
) -> Result<Vec<PathBuf>, ReportError> {
    let Some(first_axis) = axes.first() else {
        return Ok(Vec::new());
    };
    let Some(reference) = points.first() else {
        return Ok(Vec::new());
    };
    // The points along the first axis: the others at their first value.
    let line: Vec<(f64, &Summary)> = points
        .iter()
        .filter(|p| p.values[1..] == reference.values[1..])
        .filter_map(|p| Some((p.values[0].trim().parse::<f64>().ok()?, &p.summary)))
        .collect();
    if line.len() < 2 {
        return Ok(Vec::new());
    }
    let mut fans = Vec::new();
    for (index, plan) in reference.summary.plans.iter().enumerate() {
        let mut fan = FanBands::empty(&plan.name);
        for (x, summary) in &line {
            let Some(s) = summary
                .plans
                .get(index)
                .and_then(|p| p.metrics.get(metric.key()))
            else {
                continue;
            };
            let p = &s.percentiles;
            fan.push(*x, [p.p5, p.p25, p.p50, p.p75, p.p95]);
        }
        fans.push(fan);
    }
    let title = format!(
        "{} by {first_axis} (5–95% and 25–75% bands, median)",
        metric.label()
    );
    let y_label = figures::axis_label(metric);
    let mut others = String::new();
    for (axis, value) in axes.iter().zip(&reference.values).skip(1) {
        others.push_str(&format!(", {axis} = {value}"));
    }
    let x_label = format!("{first_axis}{others}");
    let caption = figures::caption(
        &reference.summary.scenario.name,
        reference.summary.runs,
        reference.summary.seed,
        rates.0,
        rates.1,
    );
    let labels = Labels {
        title: &title,
        x_label: &x_label,
        y_label: &y_label,
        caption: &caption,
    };
    plots::parameter_fan_chart(
        &dir.join("sweep"),
        &labels,
        ValueFormat::Plain,
        figures::value_format(metric),
        &fans,
    )
    .map_err(|e| ReportError::Plot(e.to_string()))
}
