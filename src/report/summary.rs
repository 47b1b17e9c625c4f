//! `summary.json`: provenance and, per plan and metric, the statistics of all runs.
//!
//! The document holds no timing or host information, so the same scenario and seed give the
//! same bytes on any machine and thread count. Keys are stable; the README documents them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::returns::IncrementalMetric;
use crate::model::{Metric, Series};
use crate::montecarlo::{CHUNK_SIZE, MonteCarloResult, PairStatistics};
use crate::scenario::Scenario;
use crate::stats::{MetricAccumulator, MetricSummary, PairedSummary, Z95, wilson_interval};

/// The whole summary document.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Version of pivotsim that produced it.
    pub pivotsim_version: &'static str,
    /// Which scenario was simulated.
    pub scenario: ScenarioProvenance,
    /// Root seed.
    pub seed: u64,
    /// Replications run per plan.
    pub runs: u64,
    /// Whether the mean differences of equity and project value from the baseline were
    /// adjusted by control variates (each such comparison metric then has `controlled`).
    pub control_variates: bool,
    /// With a convergence target: whether it was met and at what half-width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence: Option<ConvergenceReport>,
    /// Replications per deterministic chunk (results depend on it, never on threads).
    pub chunk_size: u64,
    /// One entry per plan, in scenario order.
    pub plans: Vec<PlanSummary>,
    /// The plan the others are compared with (`--baseline`, else the first).
    pub baseline: String,
    /// Every other plan against the baseline on the same futures, in plan order.
    pub comparisons: Vec<Comparison>,
    /// With `--stress`: every stressed copy of a plan against the same plan unstressed, on the
    /// same futures (what the stress does to it), in plan order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stress_effects: Vec<StressEffect>,
    /// Plans of the scenario as written: `plans` holds them first, then a copy of them per
    /// `--stress`, in the same order, so plan `i` is a stressed copy of plan
    /// `i % plans_per_variant`. Only the terminal table needs it.
    #[serde(skip)]
    pub plans_per_variant: usize,
}

/// The outcome of `--target-ci`.
#[derive(Debug, Clone, Serialize)]
pub struct ConvergenceReport {
    /// Metric watched (its key).
    pub metric: &'static str,
    /// Whether the target was on every plan's mean difference from the baseline
    /// (`--target-ci delta:METRIC=…`) rather than on each plan's mean; not written when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub difference: bool,
    /// Target 95% CI half-width.
    pub target_half_width: f64,
    /// Largest half-width over plans when the run stopped.
    pub achieved_half_width: f64,
    /// Whether the target was met (otherwise `--runs` was reached first).
    pub met: bool,
}

/// A plan (A) against the baseline (B) on the same futures.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The plan's name.
    pub a: String,
    /// The baseline's name.
    pub b: String,
    /// Per metric key: statistics of A − B per future, P(A beats B) and the ties.
    pub metrics: BTreeMap<&'static str, PairedSummary>,
    /// The returns of the difference of A's and B's cash flows, per future: per figure
    /// (`project_irr`, `project_mirr`, `project_payback_years`, `project_peak_funding_usd`,
    /// `project_moic` and the same for `equity_`), its statistics over the futures where it
    /// is defined; absent when it is defined in none.
    pub returns: BTreeMap<&'static str, MetricSummary>,
    /// How many futures reported an IRR, a modified IRR, or neither, on project and on
    /// equity flows.
    pub return_methods: ReturnMethods,
}

/// A stressed copy of a plan (A) against the same plan unstressed (B), on the same futures.
#[derive(Debug, Clone, Serialize)]
pub struct StressEffect {
    /// The stressed plan's name (`plan [STRESS]`).
    pub a: String,
    /// The plan's name.
    pub b: String,
    /// Per metric key: statistics of A − B per future, P(A higher than B) and the ties.
    pub metrics: BTreeMap<&'static str, PairedSummary>,
}

/// Futures by the rate of return reported for the difference of two plans' flows.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnMethods {
    /// Project (unlevered) flows.
    pub project: MethodCounts,
    /// Equity flows.
    pub equity: MethodCounts,
}

/// Futures by method: `irr` (a conventional investment), `mirr` (several sign changes or a
/// borrowing), `none` (no difference, or no outlay or no inflow).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MethodCounts {
    /// Futures whose IRR was reported.
    pub irr: u64,
    /// Futures whose modified IRR was reported.
    pub mirr: u64,
    /// Futures with no rate.
    pub none: u64,
}

impl MethodCounts {
    fn of(irr: &MetricAccumulator, mirr: &MetricAccumulator) -> Self {
        let futures = irr.count() + irr.non_finite();
        MethodCounts {
            irr: irr.count(),
            mirr: mirr.count(),
            none: futures.saturating_sub(irr.count() + mirr.count()),
        }
    }
}

/// Identifies the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioProvenance {
    /// The scenario's name.
    pub name: String,
    /// Fingerprint of the effective scenario (after overrides).
    pub fingerprint: String,
    /// The effective scenario itself.
    pub effective: serde_json::Value,
}

/// Statistics of one plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// Plan name.
    pub name: String,
    /// Share of futures with a negative NPV (exact: sketch bins never straddle zero).
    pub p_npv_negative: f64,
    /// Wilson 95% interval of `p_npv_negative`.
    pub p_npv_negative_ci95: (f64, f64),
    /// Share of futures that defaulted, and its Wilson 95% interval.
    pub p_default: f64,
    /// Wilson 95% interval of `p_default`.
    pub p_default_ci95: (f64, f64),
    /// Defaults by reason: `cash` (cash below zero) and `covenant` (DSCR breached).
    pub default_reasons: BTreeMap<&'static str, u64>,
    /// Cumulative P(default) at the end of each year of the horizon (and at the horizon).
    pub default_by_year: Vec<DefaultByYear>,
    /// Per metric key (`npv_usd`, ...), its statistics; absent when no run produced it.
    pub metrics: BTreeMap<&'static str, MetricSummary>,
}

/// Cumulative probability of default by a date.
#[derive(Debug, Clone, Serialize)]
pub struct DefaultByYear {
    /// Years from the start (the last entry may be a fraction for a partial year).
    pub year: f64,
    /// The last month counted (`YYYY-MM`).
    pub through_month: String,
    /// Share of futures defaulted by then.
    pub p: f64,
    /// Wilson 95% interval.
    pub ci95: (f64, f64),
}

/// For a 0/1 metric: the share of ones, its Wilson 95% interval, and the count of ones.
/// The paired summary of every metric a pair of plans has, by key.
fn paired_summaries(pair: &PairStatistics) -> BTreeMap<&'static str, PairedSummary> {
    Metric::ALL
        .iter()
        .filter_map(|m| {
            let mut s = pair.metric(*m).summarize()?;
            s.controlled = pair.controlled.as_ref().and_then(|c| c.estimate(*m));
            Some((m.key(), s))
        })
        .collect()
}

fn share_of_ones(acc: &MetricAccumulator) -> (f64, (f64, f64), u64) {
    let n = acc.count();
    let ones = (acc.moments().mean() * n as f64).round().max(0.0) as u64;
    let share = if n == 0 { 0.0 } else { ones as f64 / n as f64 };
    (share, wilson_interval(ones, n, Z95), ones)
}

/// Cumulative P(default) at each twelfth month and at the last month, from the `defaulted`
/// series (its exact mean is the share defaulted by that month).
fn default_by_year(
    result: &MonteCarloResult,
    plan: usize,
    months: &[String],
) -> Vec<DefaultByYear> {
    let total = result.timeseries.months();
    let mut out = Vec::new();
    for m in 0..total {
        let last = m + 1 == total;
        if (m + 1) % 12 != 0 && !last {
            continue;
        }
        let cell = result.timeseries.cell(plan, m, Series::Defaulted);
        let n = cell.count();
        let p = cell.bands().map_or(0.0, |(mean, _)| mean);
        let ones = (p * n as f64).round() as u64;
        out.push(DefaultByYear {
            year: (m + 1) as f64 / 12.0,
            through_month: months.get(m).cloned().unwrap_or_default(),
            p,
            ci95: wilson_interval(ones, n, Z95),
        });
    }
    out
}

/// The share of finite values below zero, with its Wilson 95% interval.
fn share_negative(acc: &MetricAccumulator) -> (f64, (f64, f64)) {
    let (mut below, mut total) = (0u64, 0u64);
    for (value, count) in acc.sketch().sorted().iter() {
        total += count;
        if value < 0.0 {
            below += count;
        }
    }
    let share = if total == 0 {
        0.0
    } else {
        below as f64 / total as f64
    };
    (share, wilson_interval(below, total, Z95))
}

impl Summary {
    /// Builds the summary of a finished run; `months` labels the months of the series.
    pub fn new(scenario: &Scenario, result: &MonteCarloResult, months: &[String]) -> Self {
        let plans: Vec<PlanSummary> = result
            .plans
            .iter()
            .enumerate()
            .map(|(p, plan)| PlanSummary {
                p_default: share_of_ones(plan.metric(Metric::Defaulted)).0,
                p_default_ci95: share_of_ones(plan.metric(Metric::Defaulted)).1,
                default_reasons: [
                    (
                        "cash",
                        share_of_ones(plan.metric(Metric::DefaultedOnCash)).2,
                    ),
                    (
                        "covenant",
                        share_of_ones(plan.metric(Metric::DefaultedOnCovenant)).2,
                    ),
                ]
                .into_iter()
                .collect(),
                default_by_year: default_by_year(result, p, months),
                name: plan.name.clone(),
                p_npv_negative: share_negative(plan.metric(Metric::Npv)).0,
                p_npv_negative_ci95: share_negative(plan.metric(Metric::Npv)).1,
                metrics: Metric::ALL
                    .iter()
                    .filter_map(|m| plan.metric(*m).summarize().map(|s| (m.key(), s)))
                    .collect(),
            })
            .collect();
        let comparisons = result
            .pairs
            .iter()
            .map(|pair| Comparison {
                a: result.plans[pair.a].name.clone(),
                b: result.plans[pair.b].name.clone(),
                metrics: paired_summaries(pair),
                returns: IncrementalMetric::ALL
                    .iter()
                    .filter_map(|f| pair.returns(*f).summarize().map(|s| (f.key(), s)))
                    .collect(),
                return_methods: ReturnMethods {
                    project: MethodCounts::of(
                        pair.returns(IncrementalMetric::ProjectIrr),
                        pair.returns(IncrementalMetric::ProjectMirr),
                    ),
                    equity: MethodCounts::of(
                        pair.returns(IncrementalMetric::EquityIrr),
                        pair.returns(IncrementalMetric::EquityMirr),
                    ),
                },
            })
            .collect();
        let stress_effects = result
            .stress_effects
            .iter()
            .map(|pair| StressEffect {
                a: result.plans[pair.a].name.clone(),
                b: result.plans[pair.b].name.clone(),
                metrics: paired_summaries(pair),
            })
            .collect();
        let convergence = result.convergence.map(|c| ConvergenceReport {
            metric: c.target.metric.key(),
            difference: c.target.difference,
            target_half_width: c.target.half_width,
            achieved_half_width: c.worst_half_width,
            met: c.met,
        });
        Summary {
            convergence,
            baseline: result.plans[result.baseline].name.clone(),
            comparisons,
            stress_effects,
            pivotsim_version: env!("CARGO_PKG_VERSION"),
            scenario: ScenarioProvenance {
                name: scenario.name.clone(),
                fingerprint: scenario.fingerprint(),
                effective: serde_json::to_value(scenario).unwrap_or_default(),
            },
            seed: result.seed,
            runs: result.runs,
            control_variates: result.control_variates,
            chunk_size: CHUNK_SIZE,
            plans_per_variant: scenario.plans.len().clamp(1, plans.len().max(1)),
            plans,
        }
    }

    /// The document as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}
