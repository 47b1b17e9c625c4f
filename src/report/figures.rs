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
/// `revenue_mix_<plan>` and the paired differences `paired_npv_difference_<plan>`. A rerun
/// recognises an earlier run's plots by them (`paired_npv_difference`, one plot of every
/// plan, is what earlier versions drew).
pub const PLOT_STEMS: [&str; 6] = [
    "npv_histogram",
    "npv_cdf",
    "cash_fan",
    "hashprice_fan",
    "default_probability",
    "paired_npv_difference",
];

/// The prefix of the per-plan paired-difference plots (plan − baseline, per future).
pub const PAIRED_PREFIX: &str = "paired_npv_difference_";

/// Blocks between halvings over the ten-minute block target, in years: the expected time
/// from one halving to the next, since retargets hold blocks near ten minutes on average.
const YEARS_BETWEEN_HALVINGS: f64 = 210_000.0 * 600.0 / (365.25 * 86_400.0);

/// The caption line under every plot of a run: scenario, futures, seed and discount rates.
pub fn caption(
    scenario: &str,
    runs: u64,
    seed: u64,
    equity_rate: f64,
    project_rate: f64,
) -> String {
    let rate = |r: f64| crate::report::format::format_value(r, ValueFormat::Probability);
    format!(
        "{scenario} · {} futures · seed {seed} · discount rates: equity {}, project {}",
        crate::report::format::count(runs),
        rate(equity_rate),
        rate(project_rate)
    )
}

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

/// Draws every plot into `dir`, each with `caption` under it, and returns the files
/// written; stops with [`ReportError::Interrupted`] between two plots once `cancel` is raised.
pub fn write_all(
    dir: &Path,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    caption: &str,
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, ReportError> {
    let staging = dir.join(format!(".plots.partial-{}", std::process::id()));
    fs::create_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
    let drawn = draw(&staging, model, result, caption, cancel);
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

/// The halvings within the horizon as markers: the first at its median date over the
/// futures, each later one a halving interval of ten-minute blocks after the one before.
fn halving_markers(model: &CompiledScenario, result: &MonteCarloResult) -> Vec<Marker> {
    // The world is shared by plans: the first plan's halving is every plan's.
    let Some(first) = result.plans.first().and_then(|p| {
        let h = p.metric(Metric::YearsToFirstHalving);
        h.sketch().sorted().quantile(0.5)
    }) else {
        return Vec::new();
    };
    let start_year = model.calendar.decimal_year(crate::engine::SimTime::ZERO);
    let end_year = model.calendar.decimal_year(model.end);
    let mut markers = vec![Marker {
        x_years: start_year + first,
        label: "halving (median date)".into(),
    }];
    let mut at = start_year + first + YEARS_BETWEEN_HALVINGS;
    while at <= end_year {
        markers.push(Marker {
            x_years: at,
            label: "halving (expected)".into(),
        });
        at += YEARS_BETWEEN_HALVINGS;
    }
    markers
}

fn draw(
    dir: &Path,
    model: &CompiledScenario,
    result: &MonteCarloResult,
    caption: &str,
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, ReportError> {
    let halvings = halving_markers(model, result);
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
        caption,
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::histogram(
            &dir.join("npv_histogram"),
            &labels,
            ValueFormat::Usd,
            &npv,
            &[],
        )
        .map_err(plot_err)?,
    );
    let labels = Labels {
        title: "NPV distribution by plan",
        x_label: "NPV (USD)",
        y_label: "P(NPV ≤ x)",
        caption,
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
    // Every future stays in the cash bands: a defaulted one at what its owners kept at the
    // default, frozen from then on (nothing is booked after a default). Each plan's legend
    // entry says how many futures that is by the horizon, so a band is never read as the
    // cash of going concerns only.
    let cash: Vec<FanBands> = (0..result.plans.len())
        .map(|p| {
            let mut bands = fan(p, Series::Cash);
            let defaulted = share_defaulted_by_horizon(result, p);
            if defaulted > 0.0 {
                bands.name = format!(
                    "{} ({} defaulted)",
                    bands.name,
                    crate::report::format::percent(defaulted)
                );
            }
            bands
        })
        .collect();
    let labels = Labels {
        title: "Cash by plan (5–95% and 25–75% bands, median; a defaulted future at what \
                its owners kept)",
        x_label: "Year",
        y_label: "Cash (USD)",
        caption,
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::fan_chart(
            &dir.join("cash_fan"),
            &labels,
            ValueFormat::Usd,
            &cash,
            &halvings,
        )
        .map_err(plot_err)?,
    );

    let labels = Labels {
        title: "Network hashprice (5–95% and 25–75% bands, median)",
        x_label: "Year",
        y_label: "Hashprice (USD per PH/s per day)",
        caption,
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
            &halvings,
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
        let mut layers = vec![
            mean_of(Series::MiningRevenue, "mining"),
            mean_of(Series::GpuRevenue, "GPU (leases + cloud)"),
        ];
        // Hosting is drawn only for a plan that hosts, so other plans' charts are unchanged.
        let hosting = mean_of(Series::HostingRevenue, "hosting");
        if hosting.y.iter().any(|y| *y != 0.0) {
            layers.push(hosting);
        }
        let title = format!("Revenue mix, {} (mean per month)", plan.name);
        let labels = Labels {
            title: &title,
            x_label: "Year",
            y_label: "Revenue per month (USD)",
            caption,
        };
        let stem = dir.join(format!(
            "{REVENUE_MIX_PREFIX}{}",
            crate::scenario::names::file_stem(&plan.name)
        ));
        ReportError::stop_if(cancel)?;
        files.extend(
            plots::stacked_area(&stem, &labels, ValueFormat::Usd, &layers, &halvings)
                .map_err(plot_err)?,
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
        caption,
    };
    ReportError::stop_if(cancel)?;
    files.extend(
        plots::lines(
            &dir.join("default_probability"),
            &labels,
            ValueFormat::Probability,
            &default_lines,
            &halvings,
        )
        .map_err(plot_err)?,
    );

    // Every plan against the baseline, on the same futures (plan − baseline), one plot per
    // plan with the mean difference and the share of futures where the plan is ahead marked;
    // a plan under a stress against the baseline under the same stress.
    for pair in &result.pairs {
        let plan = &result.plans[pair.a].name;
        let baseline = &result.plans[pair.b].name;
        let npv = pair.metric(Metric::Npv);
        let Some(stats) = npv.summarize() else {
            continue;
        };
        let adjusted = pair
            .controlled
            .as_ref()
            .and_then(|c| c.estimate(Metric::Npv));
        let mean_difference = adjusted.map_or(stats.diff.mean, |e| e.mean);
        let which = if adjusted.is_some() {
            "mean Δ (control-variate estimate)"
        } else {
            "mean Δ"
        };
        let diff = [distribution(&format!("{plan} − {baseline}"), npv.diff())];
        let mean = Marker {
            x_years: mean_difference,
            label: format!(
                "{which} {} · P(Δ > 0) = {}",
                crate::report::format::format_value(mean_difference, ValueFormat::Usd),
                crate::report::format::percent(stats.p_a_beats_b)
            ),
        };
        let title = format!("Paired NPV difference per future: {plan} − {baseline}");
        let labels = Labels {
            title: &title,
            x_label: "ΔNPV (USD)",
            y_label: "Share of futures",
            caption,
        };
        let stem = dir.join(format!(
            "{PAIRED_PREFIX}{}",
            crate::scenario::names::file_stem(plan)
        ));
        ReportError::stop_if(cancel)?;
        files.extend(
            plots::histogram(&stem, &labels, ValueFormat::Usd, &diff, &[mean]).map_err(plot_err)?,
        );
    }
    Ok(files)
}

/// The share of plan `plan`'s futures defaulted by the last month (the exact mean of the 0/1
/// `defaulted` series there).
fn share_defaulted_by_horizon(result: &MonteCarloResult, plan: usize) -> f64 {
    let months = result.timeseries.months();
    if months == 0 {
        return 0.0;
    }
    result
        .timeseries
        .cell(plan, months - 1, Series::Defaulted)
        .bands()
        .map_or(0.0, |(mean, _)| mean)
}

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
