//! The terminal report: plans side by side on the key metrics, then the paired comparison.
//!
//! Plans are columns and metrics rows, so three or four plans read across at a glance. The
//! full statistics of every metric are in `summary.json`; this shows what a board asks first.

use std::fmt::Write;

use crate::model::Metric;
use crate::report::format::{count, percent, quantity, usd};
use crate::report::summary::{Comparison, PlanSummary, Summary};
use crate::stats::PairedSummary;

/// Rows of the table: (label, metric, what to show).
const ROWS: &[(&str, Metric, Shown)] = &[
    ("NPV, median", Metric::Npv, Shown::Median),
    ("NPV, P5 … P95", Metric::Npv, Shown::Band),
    ("P(NPV < 0)", Metric::Npv, Shown::ShareNegative),
    ("P(default)", Metric::Defaulted, Shown::DefaultShare),
    ("Projects taken, mean", Metric::ProjectDefaults, Shown::Mean),
    ("End cash, mean", Metric::EndCash, Shown::Mean),
    ("Revenue, mean", Metric::Revenue, Shown::Mean),
    ("  mining", Metric::MiningRevenue, Shown::Mean),
    ("  GPU (leases + cloud)", Metric::GpuRevenue, Shown::Mean),
    ("Energy cost, mean", Metric::EnergyCost, Shown::Mean),
    ("Capex, mean", Metric::Capex, Shown::Mean),
    ("ASIC salvage, mean", Metric::SalvageProceeds, Shown::Mean),
    ("Leased MW, mean", Metric::LeasedMwMean, Shown::Mean),
    (
        "Vacant GPU MW-months",
        Metric::VacantGpuMwMonths,
        Shown::Mean,
    ),
    ("Lost inquiries, mean", Metric::LostInquiries, Shown::Mean),
    ("Lost MW, mean", Metric::LostMw, Shown::Mean),
    (
        "Hashrate online PH/s",
        Metric::MeanHashrateOnline,
        Shown::Mean,
    ),
    ("Curtailed MWh, mean", Metric::CurtailedEnergy, Shown::Mean),
    ("Hashprice $/PH/day", Metric::MeanHashprice, Shown::Mean),
];

#[derive(Copy, Clone)]
enum Shown {
    Mean,
    Median,
    Band,
    ShareNegative,
    DefaultShare,
}

fn fmt(metric: Metric, x: f64) -> String {
    if metric.is_usd() { usd(x) } else { quantity(x) }
}

fn cell(plan: &PlanSummary, metric: Metric, shown: Shown) -> String {
    let Some(s) = plan.metrics.get(metric.key()) else {
        return "–".into();
    };
    match shown {
        Shown::Mean => fmt(metric, s.mean),
        Shown::Median => fmt(metric, s.percentiles.p50),
        Shown::Band => format!(
            "{} … {}",
            fmt(metric, s.percentiles.p5),
            fmt(metric, s.percentiles.p95)
        ),
        Shown::ShareNegative => percent(plan.p_npv_negative),
        Shown::DefaultShare => percent(plan.p_default),
    }
}

/// Renders the results table shown on stdout, ending with `footer` (where the files went).
pub fn render(summary: &Summary, footer: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pivotsim {} · {} · {} futures · seed {}\n",
        summary.pivotsim_version,
        summary.scenario.name,
        count(summary.runs),
        summary.seed
    );
    let label_width = ROWS.iter().map(|r| r.0.chars().count()).max().unwrap_or(10);
    let cells: Vec<Vec<String>> = ROWS
        .iter()
        .map(|(_, metric, shown)| {
            summary
                .plans
                .iter()
                .map(|p| cell(p, *metric, *shown))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = summary
        .plans
        .iter()
        .enumerate()
        .map(|(j, p)| {
            cells
                .iter()
                .map(|row| row[j].chars().count())
                .chain([p.name.chars().count()])
                .max()
                .unwrap_or(8)
        })
        .collect();
    let _ = write!(out, "{:<label_width$}", "");
    for (p, w) in summary.plans.iter().zip(&widths) {
        let _ = write!(out, "  {:>w$}", p.name);
    }
    out.push('\n');
    for ((label, _, _), row) in ROWS.iter().zip(&cells) {
        let _ = write!(out, "{label:<label_width$}");
        for (c, w) in row.iter().zip(&widths) {
            let _ = write!(out, "  {c:>w$}");
        }
        out.push('\n');
    }
    if !summary.comparisons.is_empty() {
        let _ = writeln!(
            out,
            "\nAgainst the baseline {} on the same {} futures:",
            summary.baseline,
            count(summary.runs)
        );
        for c in &summary.comparisons {
            // A stressed plan is compared with the baseline's copy under the same stress.
            if c.b == summary.baseline {
                let _ = writeln!(out, "  {}", c.a);
            } else {
                let _ = writeln!(out, "  {} (against {})", c.a, c.b);
            }
            for (label, metric) in [
                ("equity value ", Metric::EquityNpv),
                ("project value", Metric::ProjectNpv),
            ] {
                if let Some(p) = c.metrics.get(metric.key()) {
                    let _ = writeln!(out, "    {label}  {}", value_difference(p));
                }
            }
            if let Some(line) = returns_line(c) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if !footer.is_empty() {
        let _ = writeln!(out, "\n{footer}");
    }
    out
}

/// A paired difference in one line, from the plan's side: mean Δ ± its 95% half-width, and
/// the shares of futures where the plan is better, tied (within rounding noise: neither
/// side's win) and worse.
fn value_difference(p: &PairedSummary) -> String {
    let half = (p.diff.ci95_high - p.diff.ci95_low) / 2.0;
    let sign = if p.diff.mean >= 0.0 { "+" } else { "-" };
    let worse = (1.0 - p.p_a_beats_b - p.p_tie).max(0.0);
    let ties = if p.ties > 0 {
        format!(", tied in {}", percent(p.p_tie))
    } else {
        String::new()
    };
    format!(
        "Δ {sign}{} ± {}: better in {} of futures{ties}, worse in {}",
        usd(p.diff.mean.abs()),
        usd(half),
        percent(p.p_a_beats_b),
        percent(worse)
    )
}

/// The incremental project returns of a comparison in one line: the median rate (IRR where
/// the difference is a conventional investment, else the modified IRR) with the share of
/// futures of each, the median payback, peak funding need and multiple. None when the plan's
/// flows never differ from the baseline's.
fn returns_line(c: &Comparison) -> Option<String> {
    let m = &c.return_methods.project;
    let futures = m.irr + m.mirr + m.none;
    if futures == 0 || m.none == futures {
        return None;
    }
    let median = |key: &str| c.returns.get(key).map(|s| s.percentiles.p50);
    let mut parts = Vec::new();
    if let Some(irr) = median("project_irr") {
        parts.push(format!(
            "IRR {} (median, {} of futures)",
            percent(irr),
            percent(m.irr as f64 / futures as f64)
        ));
    }
    if let Some(mirr) = median("project_mirr") {
        parts.push(format!(
            "MIRR {} ({} of futures)",
            percent(mirr),
            percent(m.mirr as f64 / futures as f64)
        ));
    }
    if let Some(payback) = c.returns.get("project_payback_years") {
        // Futures that never pay back within the horizon have no payback: say how many do.
        let share = payback.count as f64 / (payback.count + payback.non_finite).max(1) as f64;
        parts.push(format!(
            "payback {} years ({} of futures pay back)",
            quantity(payback.percentiles.p50),
            percent(share)
        ));
    }
    if let Some(peak) = median("project_peak_funding_usd") {
        parts.push(format!("peak funding {}", usd(peak)));
    }
    if let Some(moic) = median("project_moic") {
        parts.push(format!("MOIC {moic:.2}x"));
    }
    Some(format!("incremental (project): {}", parts.join(", ")))
}
