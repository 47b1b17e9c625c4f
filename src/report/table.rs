//! The terminal report: the baseline first, every plan on the key metrics, each plan against
//! what it is compared with, then the paired comparison in words.
//!
//! A terminal is rarely wider than 120 columns, and a report pasted into a chat or an issue
//! must not wrap, so every line stays within [`WIDTH`] whatever the number of plans and
//! stresses: plans are columns while they fit (three or four plans read across at a glance),
//! and rows otherwise, with the metrics split into as many blocks of columns as needed. The
//! full statistics of every metric are in `summary.json`; this shows what a board asks first.

use std::fmt::Write;

use crate::model::Metric;
use crate::report::format::{count, percent, quantity, usd};
use crate::report::summary::{Comparison, PlanSummary, Summary};
use crate::stats::PairedSummary;

/// The widest line the report writes, in characters.
pub const WIDTH: usize = 120;

/// The most characters of a plan's name a table cell shows (longer names end in `…`), so
/// that one long name cannot push the table past [`WIDTH`].
const NAME_CHARS: usize = 36;

/// Space between columns.
const GAP: &str = "  ";

/// Rows of the table: (label, short label for a column header, metric, what to show).
const ROWS: &[(&str, &str, Metric, Shown)] = &[
    ("NPV, median", "NPV median", Metric::Npv, Shown::Median),
    ("NPV, mean", "NPV mean", Metric::Npv, Shown::Mean),
    ("NPV, P5 … P95", "NPV P5 … P95", Metric::Npv, Shown::Band),
    ("P(NPV < 0)", "P(NPV<0)", Metric::Npv, Shown::ShareNegative),
    (
        "P(default)",
        "P(default)",
        Metric::Defaulted,
        Shown::DefaultShare,
    ),
    (
        "Projects taken, mean",
        "Taken",
        Metric::ProjectDefaults,
        Shown::Mean,
    ),
    ("End cash, mean", "End cash", Metric::EndCash, Shown::Mean),
    ("Revenue, mean", "Revenue", Metric::Revenue, Shown::Mean),
    ("  mining", "Mining", Metric::MiningRevenue, Shown::Mean),
    (
        "  GPU (leases + cloud)",
        "GPU",
        Metric::GpuRevenue,
        Shown::Mean,
    ),
    (
        "Energy cost, mean",
        "Energy",
        Metric::EnergyCost,
        Shown::Mean,
    ),
    ("Capex, mean", "Capex", Metric::Capex, Shown::Mean),
    (
        "ASIC salvage, mean",
        "Salvage",
        Metric::SalvageProceeds,
        Shown::Mean,
    ),
    (
        "Leased MW, mean",
        "Leased MW",
        Metric::LeasedMwMean,
        Shown::Mean,
    ),
    (
        "Vacant GPU MW-months",
        "Vacant MW-mo",
        Metric::VacantGpuMwMonths,
        Shown::Mean,
    ),
    (
        "Lost inquiries, mean",
        "Lost inq.",
        Metric::LostInquiries,
        Shown::Mean,
    ),
    ("Lost MW, mean", "Lost MW", Metric::LostMw, Shown::Mean),
    (
        "Hashrate online PH/s",
        "PH/s online",
        Metric::MeanHashrateOnline,
        Shown::Mean,
    ),
    (
        "Curtailed MWh, mean",
        "Curtailed MWh",
        Metric::CurtailedEnergy,
        Shown::Mean,
    ),
    (
        "Hashprice $/PH/day",
        "$/PH/day",
        Metric::MeanHashprice,
        Shown::Mean,
    ),
];

/// Hosting's rows, shown after the GPU revenue only when some plan hosts clients' machines (so
/// a scenario without hosting reads as before).
const HOSTING_ROWS: &[(&str, &str, Metric, Shown)] = &[
    (
        "  hosting (net of bad debt)",
        "Hosting",
        Metric::HostingRevenue,
        Shown::Mean,
    ),
    (
        "Hosting client defaults, mean",
        "Client defaults",
        Metric::HostingClientDefaults,
        Shown::Mean,
    ),
];

/// The rows comparing each plan with its reference: (label, short label).
const COMPARISON_ROWS: [(&str, &str); 4] = [
    ("Compared with", "vs"),
    ("Δ NPV, mean", "Δ NPV mean"),
    ("P(NPV better)", "P(better)"),
    ("P(NPV tied)", "P(tie)"),
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

/// `text` cut to `max` characters, the last being `…` when something was cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// What the table compares each plan with: the baseline for a plan as written (none for the
/// baseline itself), and for a stressed copy its own plan without the stress, so each stress
/// column reads as what the stress does to that plan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reference {
    /// The baseline itself.
    None,
    /// The baseline, by index.
    Baseline(usize),
    /// The same plan without the stress, by index.
    Unstressed(usize),
}

/// The plans in the order the table shows them: the baseline first, then every other plan
/// of the scenario, each followed by its stressed copies; with what each is compared with.
fn plan_order(summary: &Summary) -> Vec<(usize, Reference)> {
    let plans = summary.plans.len();
    let per_variant = summary.plans_per_variant.clamp(1, plans.max(1));
    let baseline = summary
        .plans
        .iter()
        .position(|p| p.name == summary.baseline)
        .unwrap_or(0);
    let original = baseline % per_variant;
    let mut order = Vec::with_capacity(plans);
    let firsts = std::iter::once(original).chain((0..per_variant).filter(|p| *p != original));
    for first in firsts {
        for copy in (first..plans).step_by(per_variant) {
            let reference = if copy == baseline {
                Reference::None
            } else if copy == first {
                Reference::Baseline(baseline)
            } else {
                Reference::Unstressed(first)
            };
            order.push((copy, reference));
        }
    }
    order
}

/// The paired statistics of one metric of plan `a` against plan `b`, when the run computed
/// them: a comparison with the baseline, or a stress's effect on a plan.
fn paired<'a>(summary: &'a Summary, a: &str, b: &str, key: &str) -> Option<&'a PairedSummary> {
    let comparison = summary.comparisons.iter().find(|c| c.a == a && c.b == b);
    let effect = summary.stress_effects.iter().find(|e| e.a == a && e.b == b);
    comparison
        .and_then(|c| c.metrics.get(key))
        .or_else(|| effect.and_then(|e| e.metrics.get(key)))
}

/// The comparison cells of one plan: its reference, Δ mean NPV, and the shares of futures
/// better and tied, from the paired statistics of the run (`–` where it has none).
fn comparison_cells(summary: &Summary, plan: usize, reference: Reference) -> [String; 4] {
    let dash = || "–".to_owned();
    let (other, label) = match reference {
        Reference::None => return ["is baseline".into(), dash(), dash(), dash()],
        Reference::Baseline(b) => (b, "baseline"),
        Reference::Unstressed(u) => (u, "unstressed"),
    };
    let (a, b) = (&summary.plans[plan], &summary.plans[other]);
    let key = Metric::Npv.key();
    match paired(summary, &a.name, &b.name, key) {
        Some(p) => [
            label.into(),
            format!(
                "{}{}",
                signed_usd(p.mean_difference().mean),
                adjusted_mark(p)
            ),
            percent(p.p_a_beats_b),
            percent(p.p_tie),
        ],
        None => [label.into(), dash(), dash(), dash()],
    }
}

/// Dollars with an explicit sign: `+$1.2M`, `-$350k`.
fn signed_usd(x: f64) -> String {
    let sign = if x >= 0.0 { "+" } else { "-" };
    format!("{sign}{}", usd(x.abs()))
}

/// The cells of the table: one row per metric row and comparison row, one column per plan in
/// `order`; with each row's label and short label.
struct Grid {
    labels: Vec<(&'static str, &'static str)>,
    names: Vec<String>,
    cells: Vec<Vec<String>>,
}

impl Grid {
    fn new(summary: &Summary, order: &[(usize, Reference)]) -> Self {
        let hosts = order.iter().any(|(p, _)| {
            summary.plans[*p]
                .metrics
                .get(Metric::HostingRevenue.key())
                .is_some_and(|s| s.mean != 0.0)
        });
        let mut rows: Vec<_> = ROWS.to_vec();
        if hosts {
            let after_gpu = rows
                .iter()
                .position(|r| matches!(r.2, Metric::GpuRevenue))
                .map_or(rows.len(), |k| k + 1);
            rows.splice(after_gpu..after_gpu, HOSTING_ROWS.iter().copied());
        }
        let mut labels: Vec<(&str, &str)> = rows.iter().map(|r| (r.0, r.1)).collect();
        let mut cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(_, _, metric, shown)| {
                order
                    .iter()
                    .map(|(p, _)| cell(&summary.plans[*p], *metric, *shown))
                    .collect()
            })
            .collect();
        if order.len() > 1 {
            let compared: Vec<[String; 4]> = order
                .iter()
                .map(|(p, r)| comparison_cells(summary, *p, *r))
                .collect();
            for (row, label) in COMPARISON_ROWS.iter().enumerate() {
                labels.push(*label);
                cells.push(compared.iter().map(|c| c[row].clone()).collect());
            }
        }
        let names = order
            .iter()
            .map(|(p, _)| clip(&summary.plans[*p].name, NAME_CHARS))
            .collect();
        Grid {
            labels,
            names,
            cells,
        }
    }

    /// Plans as columns, or None when they do not fit in [`WIDTH`].
    fn plans_as_columns(&self) -> Option<String> {
        let label_width = self.labels.iter().map(|l| l.0.chars().count()).max()?;
        let widths: Vec<usize> = (0..self.names.len())
            .map(|j| {
                self.cells
                    .iter()
                    .map(|row| row[j].chars().count())
                    .chain([self.names[j].chars().count()])
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let total = label_width + widths.iter().map(|w| GAP.len() + w).sum::<usize>();
        if total > WIDTH {
            return None;
        }
        let mut out = String::new();
        let _ = write!(out, "{:<label_width$}", "");
        for (name, w) in self.names.iter().zip(&widths) {
            let _ = write!(out, "{GAP}{name:>w$}");
        }
        out.push('\n');
        for ((label, _), row) in self.labels.iter().zip(&self.cells) {
            let _ = write!(out, "{label:<label_width$}");
            for (c, w) in row.iter().zip(&widths) {
                let _ = write!(out, "{GAP}{c:>w$}");
            }
            out.push('\n');
        }
        Some(out)
    }

    /// Plans as rows, the metrics in blocks of columns that each fit in [`WIDTH`].
    fn plans_as_rows(&self) -> String {
        let name_width = self
            .names
            .iter()
            .map(|n| n.chars().count())
            .chain(["plan".len()])
            .max()
            .unwrap_or(4);
        let column_width = |i: usize| {
            self.cells[i]
                .iter()
                .map(|c| c.chars().count())
                .chain([self.labels[i].1.chars().count()])
                .max()
                .unwrap_or(1)
        };
        let mut blocks: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        let mut used = name_width;
        for i in 0..self.labels.len() {
            let w = column_width(i);
            let block = blocks.last_mut().expect("one block at least");
            if !block.is_empty() && used + GAP.len() + w > WIDTH {
                blocks.push(Vec::new());
                used = name_width;
            }
            blocks.last_mut().expect("one block at least").push((i, w));
            used += GAP.len() + w;
        }
        let mut out = String::new();
        for (k, block) in blocks.iter().enumerate() {
            if k > 0 {
                out.push('\n');
            }
            let _ = write!(out, "{:<name_width$}", "plan");
            for (i, w) in block {
                let _ = write!(out, "{GAP}{:>w$}", self.labels[*i].1);
            }
            out.push('\n');
            for (j, name) in self.names.iter().enumerate() {
                let _ = write!(out, "{name:<name_width$}");
                for (i, w) in block {
                    let _ = write!(out, "{GAP}{:>w$}", self.cells[*i][j]);
                }
                out.push('\n');
            }
        }
        out
    }
}

/// Renders the results table shown on stdout, ending with `footer` (where the files went).
pub fn render(summary: &Summary, footer: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pivotsim {} · {} · {} futures · seed {}",
        summary.pivotsim_version,
        clip(&summary.scenario.name, NAME_CHARS * 2),
        count(summary.runs),
        summary.seed
    );
    let order = plan_order(summary);
    let stressed = order
        .iter()
        .any(|(_, r)| matches!(r, Reference::Unstressed(_)));
    let _ = writeln!(
        out,
        "Baseline: {} (pick another with --baseline PLAN)",
        clip(&summary.baseline, NAME_CHARS)
    );
    if stressed {
        out.push_str("A stressed plan is compared with the same plan unstressed.\n");
    }
    out.push('\n');
    let grid = Grid::new(summary, &order);
    match grid.plans_as_columns() {
        Some(table) => out.push_str(&table),
        None => out.push_str(&grid.plans_as_rows()),
    }
    let against_baseline: Vec<&Comparison> = summary
        .comparisons
        .iter()
        .filter(|c| c.b == summary.baseline)
        .collect();
    if !against_baseline.is_empty() {
        let _ = writeln!(
            out,
            "\nAgainst the baseline {} on the same {} futures:",
            clip(&summary.baseline, NAME_CHARS),
            count(summary.runs)
        );
        for c in against_baseline {
            let _ = writeln!(out, "  {}", clip(&c.a, WIDTH - 2));
            for (label, metric) in [
                ("equity value ", Metric::EquityNpv),
                ("project value", Metric::ProjectNpv),
            ] {
                if let Some(p) = c.metrics.get(metric.key()) {
                    let _ = writeln!(out, "    {label}  {}", value_difference(p));
                }
            }
            if let Some(parts) = returns_parts(c) {
                wrap_into(&mut out, "    incremental (project): ", "      ", &parts);
            }
        }
    }
    if summary
        .comparisons
        .iter()
        .any(|c| c.metrics.values().any(|p| p.controlled.is_some()))
    {
        let _ = writeln!(
            out,
            "\n{ADJUSTED} a control-variate estimate of the mean difference (README, Determinism), not the mean of\n  \
             the futures' differences in runs.csv, which summary.json keeps as `diff`."
        );
    }
    if summary.comparisons.iter().any(|c| c.b != summary.baseline) {
        let _ = writeln!(
            out,
            "\nEach stressed plan against the baseline under the same stress: `comparisons` in \
             summary.json."
        );
    }
    if !footer.is_empty() {
        let _ = writeln!(out, "\n{footer}");
    }
    out
}

/// Writes `first` and `parts` joined by `, ` as lines of at most [`WIDTH`] characters, the
/// lines after the first starting with `indent`.
fn wrap_into(out: &mut String, first: &str, indent: &str, parts: &[String]) {
    let mut line = first.to_owned();
    let mut at_start = true;
    for (i, part) in parts.iter().enumerate() {
        let piece = if i + 1 < parts.len() {
            format!("{part},")
        } else {
            part.clone()
        };
        let needed = piece.chars().count() + usize::from(!at_start);
        if !at_start && line.chars().count() + needed > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_owned();
            at_start = true;
        }
        if !at_start {
            line.push(' ');
        }
        line.push_str(&piece);
        at_start = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// The mark of a mean difference adjusted by control variates, explained under the table.
const ADJUSTED: &str = "*";

/// [`ADJUSTED`] when `p`'s mean difference is the control-variate estimate, else nothing.
fn adjusted_mark(p: &PairedSummary) -> &'static str {
    if p.controlled.is_some() { ADJUSTED } else { "" }
}

/// A paired difference in one line, from the plan's side: mean Δ ± its 95% half-width, and
/// the shares of futures where the plan is better, tied (within rounding noise: neither
/// side's win) and worse.
fn value_difference(p: &PairedSummary) -> String {
    let d = p.mean_difference();
    let half = (d.ci95_high - d.ci95_low) / 2.0;
    let worse = (1.0 - p.p_a_beats_b - p.p_tie).max(0.0);
    let ties = if p.ties > 0 {
        format!(", tied in {}", percent(p.p_tie))
    } else {
        String::new()
    };
    format!(
        "Δ {}{} ± {}: better in {} of futures{ties}, worse in {}",
        signed_usd(d.mean),
        adjusted_mark(p),
        usd(half),
        percent(p.p_a_beats_b),
        percent(worse)
    )
}

/// The incremental project returns of a comparison, one part per figure: the median rate
/// (IRR where the difference is a conventional investment, else the modified IRR) with the
/// share of futures of each, the median payback, peak funding need and multiple. None when
/// the plan's flows never differ from the baseline's.
fn returns_parts(c: &Comparison) -> Option<Vec<String>> {
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
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_is_cut_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn wrapped_parts_stay_within_the_width() {
        let parts: Vec<String> = (0..30).map(|i| format!("figure {i} is 12.3%")).collect();
        let mut out = String::new();
        wrap_into(&mut out, "    incremental (project): ", "      ", &parts);
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        let rejoined = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(rejoined.contains("figure 29 is 12.3%"));
    }
}
