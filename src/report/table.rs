//! The terminal report: a compact table per plan of each metric's mean and spread.

use std::fmt::Write;

use crate::model::Metric;
use crate::report::format::{quantity, usd};
use crate::report::summary::Summary;

/// Renders the results table shown on stdout.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pivotsim {} · {} · {} runs · seed {}",
        summary.pivotsim_version,
        summary.scenario.name,
        quantity(summary.runs as f64),
        summary.seed
    );
    for plan in &summary.plans {
        let _ = writeln!(out, "\nPlan: {}", plan.name);
        let _ = writeln!(
            out,
            "  {:<24} {:>12} {:>10} {:>12} {:>12} {:>12}",
            "Metric", "Mean", "± 95% CI", "P5", "P50", "P95"
        );
        for metric in Metric::ALL {
            let Some(s) = plan.metrics.get(metric.key()) else {
                continue;
            };
            let f = |x: f64| if metric.is_usd() { usd(x) } else { quantity(x) };
            let half = (s.ci95_high - s.ci95_low) / 2.0;
            let _ = writeln!(
                out,
                "  {:<24} {:>12} {:>10} {:>12} {:>12} {:>12}",
                metric.label(),
                f(s.mean),
                f(half),
                f(s.percentiles.p5),
                f(s.percentiles.p50),
                f(s.percentiles.p95)
            );
        }
    }
    out
}
