//! The run's plots, drawn from the merged statistics: distributions from the quantile sketches,
//! fans and mixes from the monthly bands.
//!
//! Files are drawn into a hidden staging folder and renamed into place only when every plot
//! succeeded, so an interrupted run never leaves a partial set that looks complete. A raised
//! cancel flag stops the drawing between two plots.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::model::{CompiledScenario, Metric, Series};
use crate::montecarlo::MonteCarloResult;
use crate::report::ReportError;
use crate::report::plots::{
    self, Distribution, FanBands, Labels, Marker, Series as Line, ValueFormat,
};
use crate::report::timeseries_csv::month_ends;

/// The stems of the plot files a run draws (each as `.png` and `.svg`); the revenue mixes are
/// `revenue_mix_<plan>`. A rerun recognises an earlier run's plots by them.
pub const PLOT_STEMS: [&str; 6] = [
    "npv_histogram",
    "npv_cdf",
    "cash_fan",
    "hashprice_fan",
    "default_probability",
    "paired_npv_difference",
];

/// Where a plot comes in the report: the answer's distributions and paired differences
/// first, then the time series, the revenue mixes last (one per plan); sorting is stable, so
/// plots of one rank keep their drawing order.
pub fn reading_order(stem: &str) -> usize {
    const ORDER: [&str; 6] = [
        "npv_cdf",
        "paired_npv_difference",
        "npv_histogram",
        "cash_fan",
        "default_probability",
        "hashprice_fan",
    ];
    ORDER.iter().position(|s| *s == stem).unwrap_or(ORDER.len())
}

/// The prefix of the per-plan revenue-mix plots.
pub const REVENUE_MIX_PREFIX: &str = "revenue_mix_";

/// Draws every plot into `dir` and returns the files written; stops with
/// [`ReportError::Interrupted`] between two plots once `cancel` is raised.
pub fn write_all(
    dir: &Path,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, ReportError> {
    let staging = dir.join(format!(".plots.partial-{}", std::process::id()));
    fs::create_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
    let drawn = draw(&staging, model, result, cancel);
    let outcome = drawn.and_then(|files| {
        ReportError::stop_if(cancel)?;
        let mut moved = Vec::new();
        for file in files {
            let name = file.file_name().map(|n| n.to_owned()).unwrap_or_default();
            let dest = dir.join(name);
            fs::rename(&file, &dest).map_err(|e| ReportError::io(&dest, e))?;
            moved.push(dest);
        }
        Ok(moved)
    });
    let _ = fs::remove_dir_all(&staging);
    outcome
}

fn plot_err(e: plots::PlotError) -> ReportError {
    ReportError::Plot(e.to_string())
}

fn distribution(name: &str, acc: &crate::stats::MetricAccumulator) -> Distribution {
    Distribution {
        name: name.to_owned(),
        points: acc.sketch().sorted().iter().collect(),
    }
}

fn draw(
    dir: &Path,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    let npv: Vec<Distribution> = result
        .plans
        .iter()
        .map(|p| distribution(&p.name, p.metric(Metric::Npv)))
        .collect();
    let labels = Labels {
        title: "NPV by plan",
        x_label: "NPV (USD)",
        y_label: "Share of futures",
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::histogram(&dir.join("npv_histogram"), &labels, ValueFormat::Usd, &npv)
            .map_err(plot_err)?,
    );
    let labels = Labels {
        title: "NPV distribution by plan",
        x_label: "NPV (USD)",
        y_label: "P(NPV ≤ x)",
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::cdf(&dir.join("npv_cdf"), &labels, ValueFormat::Usd, &npv).map_err(plot_err)?,
    );

    let x_years: Vec<f64> = month_ends(model)
        .iter()
        .map(|t| model.calendar.decimal_year(*t))
        .collect();
    let fan = |plan: usize, series: Series| -> FanBands {
        let mut f = FanBands::empty(&result.plans[plan].name);
        for (m, x) in x_years.iter().enumerate().take(result.timeseries.months()) {
            if let Some((_, b)) = result.timeseries.cell(plan, m, series).bands() {
                f.push(*x, b);
            }
        }
        f
    };
    let cash: Vec<FanBands> = (0..result.plans.len())
        .map(|p| fan(p, Series::Cash))
        .collect();
    let labels = Labels {
        title: "Cash by plan (5–95% and 25–75% bands, median)",
        x_label: "Year",
        y_label: "Cash (USD)",
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::fan_chart(&dir.join("cash_fan"), &labels, ValueFormat::Usd, &cash, &[])
            .map_err(plot_err)?,
    );

    // The world is shared by plans: the first plan's hashprice is every plan's.
    let halving = result.plans.first().and_then(|p| {
        let h = p.metric(Metric::YearsToFirstHalving);
        h.sketch().sorted().quantile(0.5)
    });
    let start_year = model.calendar.decimal_year(crate::engine::SimTime::ZERO);
    let markers: Vec<Marker> = halving
        .map(|x| Marker {
            x_years: start_year + x,
            label: "first halving (median date)".into(),
        })
        .into_iter()
        .collect();
    let labels = Labels {
        title: "Network hashprice (5–95% and 25–75% bands, median)",
        x_label: "Year",
        y_label: "Hashprice (USD per PH/s per day)",
    };
    let mut hashprice = fan(0, Series::Hashprice);
    hashprice.name = "hashprice".into();
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::fan_chart(
            &dir.join("hashprice_fan"),
            &labels,
            ValueFormat::Plain,
            &[hashprice],
            &markers,
        )
        .map_err(plot_err)?,
    );

    for (p, plan) in result.plans.iter().enumerate() {
        let mean_of = |series: Series, name: &str| -> Line {
            let mut line = Line {
                name: name.into(),
                x_years: Vec::new(),
                y: Vec::new(),
            };
            for (m, x) in x_years.iter().enumerate().take(result.timeseries.months()) {
                if let Some((mean, _)) = result.timeseries.cell(p, m, series).bands() {
                    line.x_years.push(*x);
                    line.y.push(mean);
                }
            }
            line
        };
        let layers = [
            mean_of(Series::MiningRevenue, "mining"),
            mean_of(Series::GpuRevenue, "GPU (leases + cloud)"),
        ];
        let title = format!("Revenue mix, {} (mean per month)", plan.name);
        let labels = Labels {
            title: &title,
            x_label: "Year",
            y_label: "Revenue per month (USD)",
        };
        let stem = dir.join(format!(
            "{REVENUE_MIX_PREFIX}{}",
            crate::scenario::names::file_stem(&plan.name)
        ));
        ReportError::stop_if(cancel)?;
        files.extend(
            plots::stacked_area(&stem, &labels, ValueFormat::Usd, &layers).map_err(plot_err)?,
        );
    }

    // Cumulative P(default) by plan: the exact mean of the 0/1 `defaulted` series.
    let default_lines: Vec<Line> = (0..result.plans.len())
        .map(|p| {
            let mut line = Line {
                name: result.plans[p].name.clone(),
                x_years: Vec::new(),
                y: Vec::new(),
            };
            for (m, x) in x_years.iter().enumerate().take(result.timeseries.months()) {
                if let Some((mean, _)) = result.timeseries.cell(p, m, Series::Defaulted).bands() {
                    line.x_years.push(*x);
                    line.y.push(mean);
                }
            }
            line
        })
        .collect();
    let labels = Labels {
        title: "Cumulative probability of default",
        x_label: "Year",
        y_label: "P(default so far)",
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::lines(
            &dir.join("default_probability"),
            &labels,
            ValueFormat::Probability,
            &default_lines,
            &[],
        )
        .map_err(plot_err)?,
    );

    if !result.pairs.is_empty() {
        // Every plan against the baseline, on the same futures: plan − baseline.
        let baseline = &result.plans[result.baseline].name;
        let diff: Vec<Distribution> = result
            .pairs
            .iter()
            .map(|pair| {
                let name = format!("{} − {baseline}", result.plans[pair.a].name);
                distribution(&name, pair.metric(Metric::Npv).diff())
            })
            .collect();
        let title = format!("Paired NPV difference per future against {baseline}");
        let labels = Labels {
            title: &title,
            x_label: "ΔNPV (USD)",
            y_label: "Share of futures",
        };
        ReportError::stop_if(cancel)?;
        files.extend(
            plots::histogram(
                &dir.join("paired_npv_difference"),
                &labels,
                ValueFormat::Usd,
                &diff,
            )
            .map_err(plot_err)?,
        );
    }
    Ok(files)
}

/// A plan name made safe for a file name: letters, digits, `-` and `_` kept, others `_`.
/// How a metric's values are written on an axis.
pub fn value_format(metric: Metric) -> ValueFormat {
    match metric.unit() {
        crate::model::Unit::Usd => ValueFormat::Usd,
        crate::model::Unit::Plain | crate::model::Unit::Count => ValueFormat::Plain,
    }
}

/// An axis label for a metric: its label with the unit, e.g. "NPV (USD)".
pub fn axis_label(metric: Metric) -> String {
    match metric.unit() {
        crate::model::Unit::Usd => format!("{} (USD)", metric.label()),
        crate::model::Unit::Plain | crate::model::Unit::Count => {
            format!("{} ({})", metric.label(), metric.key())
        }
    }
}
