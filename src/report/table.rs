//! The terminal report: plans side by side on the key metrics, then the paired comparison.
//!
//! Plans are columns and metrics rows, so three or four plans read across at a glance. The
//! full statistics of every metric are in `summary.json`; this shows what a board asks first.

use std::fmt::Write;

use crate::model::Metric;
use crate::report::format::{count, percent, quantity, usd};
use crate::report::summary::{PlanSummary, Summary};

/// Rows of the table: (label, metric, what to show).
const ROWS: &[(&str, Metric, Shown)] = &[
    ("NPV, median", Metric::Npv, Shown::Median),
    ("NPV, P5 … P95", Metric::Npv, Shown::Band),
    ("P(NPV < 0)", Metric::Npv, Shown::ShareNegative),
    ("P(default)", Metric::Defaulted, Shown::DefaultShare),
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
            "\nPaired comparison on the same {} futures (NPV):",
            count(summary.runs)
        );
        for c in &summary.comparisons {
            let Some(p) = c.metrics.get(Metric::Npv.key()) else {
                continue;
            };
            // Stored as A − B and P(A beats B); shown from B's side, the later (usually bolder)
            // plan. A tie (a difference within rounding noise) is neither side's win.
            let p_b = (1.0 - p.p_a_beats_b - p.p_tie).max(0.0);
            let ties = if p.ties > 0 {
                format!(", ties in {}", percent(p.p_tie))
            } else {
                String::new()
            };
            let half = (p.diff.ci95_high - p.diff.ci95_low) / 2.0;
            let mean_b_minus_a = -p.diff.mean;
            let sign = if mean_b_minus_a >= 0.0 { "+" } else { "-" };
            let _ = writeln!(
                out,
                "  {} vs {}: {} beats {} in {} of futures{ties}; mean ΔNPV {sign}{} ± {}",
                c.b,
                c.a,
                c.b,
                c.a,
                percent(p_b),
                usd(mean_b_minus_a.abs()),
                usd(half)
            );
        }
    }
    if !footer.is_empty() {
        let _ = writeln!(out, "\n{footer}");
    }
    out
}
