//! Replications × plans in parallel, with results that do not depend on the thread count.
//!
//! Replications are cut into fixed chunks of [`CHUNK_SIZE`] consecutive indices. Chunks run in
//! parallel (rayon) in batches; each chunk's rows and statistics come back in chunk order, rows
//! are streamed to the caller's sink, and chunk statistics are merged in index order. Every
//! accumulator merges exactly (see [`stats`](crate::stats)), so the output is byte-identical
//! for any thread count, and a [`Shard`] of the chunks, run elsewhere and combined with
//! [`MonteCarloResult::merge`], gives exactly the single-process result. Memory holds one batch
//! of rows at a time, never every run.
//!
//! With a convergence target, the target is checked after every [`CHECK_CHUNKS`] chunks
//! merged (a fixed number of runs), so where a run stops never depends on threads either.
//!
//! With antithetic futures (the scenario's `antithetic`), replications 2k and 2k + 1 are a
//! pair. A chunk holds an even number of replications and starts at an even index, so a pair
//! never straddles a chunk, a batch or a shard. Each pair's values are pushed together
//! ([`crate::stats::MetricAccumulator::push_pair`]), so every mean's standard error and
//! interval (and `--target-ci`) come from the variance of the pair means; the last
//! replication of an odd run count is a single. Quantiles and probabilities keep their
//! per-run estimators.
//!
//! With control variates ([`RunOptions::control_variates`]), each row also carries the
//! indicators of the scenario's [`Controls`], and each pair of plans compared keeps the sums
//! of a regression of its differences in [`CONTROLLED_METRICS`] on the indicators its two
//! plans rest on ([`ControlledPair`]; per run, or per antithetic pair). The sums are integer
//! counts and exact sums, so they merge like every other accumulator.

pub mod timeseries;

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::compiled::PlanSpec;
use crate::model::controls::Controls;
use crate::model::returns::{
    self, IncrementalMetric, MirrRates, PlanVersusBaseline, incremental_returns,
};
use crate::model::{self, CompiledScenario, Metric, RunMetrics, Scratch};
use crate::stats::{
    ControlledEstimate, ControlledMeans, MetricAccumulator, PairedAccumulator, Z95,
};

pub use timeseries::{BAND_LEVELS, BandCell, TimeSeriesStats};

/// Replications per chunk: the unit of parallel work and of deterministic merging.
pub const CHUNK_SIZE: u64 = 64;

// Antithetic pairs (2k, 2k + 1) must never straddle a chunk, hence a shard.
const _: () = assert!(
    CHUNK_SIZE % 2 == 0,
    "a chunk must hold whole antithetic pairs"
);

/// Most worker threads a run accepts (`--jobs`): far more than any machine's cores, few
/// enough that the threads' stacks and the operating system's limits are never the problem.
pub const MAX_THREADS: usize = 1_024;

/// Chunks between convergence checks (1,024 runs).
pub const CHECK_CHUNKS: u64 = 16;

/// Stop when a metric's 95% CI half-width is below a target for every plan, or, on
/// differences, for every plan's mean difference from the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvergenceTarget {
    /// The metric watched.
    pub metric: Metric,
    /// Largest acceptable 95% CI half-width, in the metric's unit.
    pub half_width: f64,
    /// Whether the target is on the mean difference of every plan from the baseline (its
    /// control-variate estimate where that is on) rather than on each plan's mean.
    pub difference: bool,
}

/// The metrics whose mean difference from the baseline is adjusted by control variates
/// (when they are on): the values a decision is taken on.
pub const CONTROLLED_METRICS: [Metric; 3] = [Metric::Npv, Metric::EquityNpv, Metric::ProjectNpv];

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Replications per plan (the most, with a convergence target).
    pub runs: u64,
    /// Root seed.
    pub seed: u64,
    /// Worker threads; 0 lets rayon decide (RAYON_NUM_THREADS or the core count).
    pub threads: usize,
    /// Optional early stop.
    pub target: Option<ConvergenceTarget>,
    /// Index of the plan every other plan is compared with (see [`PairStatistics`]); must be
    /// a plan of the scenario ([`run`] panics otherwise).
    pub baseline: usize,
    /// Run only this part of the replications (all of them when None).
    pub shard: Option<Shard>,
    /// When this flag becomes true (e.g. on Ctrl-C), remaining replications are skipped and
    /// [`run`] returns early with an incomplete result, which the caller must discard.
    pub cancel: Option<&'static AtomicBool>,
    /// Adjust the mean differences of [`CONTROLLED_METRICS`] from the baseline by control
    /// variates on the draws each pair of plans rests on ([`Controls`]).
    pub control_variates: bool,
}

/// Part `index` (1-based) of `count` equal, contiguous slices of the chunks of a run.
///
/// Shard `k` of `n` runs chunks `⌊(k−1)·C/n⌋ .. ⌊k·C/n⌋` of the `C = ⌈runs/CHUNK_SIZE⌉`
/// chunks, so the shards cover every replication exactly once, whatever `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which part, from 1.
    pub index: u64,
    /// How many parts.
    pub count: u64,
}

impl Shard {
    /// The replications of this shard of a run of `runs` replications.
    pub fn replications(&self, runs: u64) -> std::ops::Range<u64> {
        let (first, end) = self.chunks(runs);
        (first * CHUNK_SIZE).min(runs)..(end * CHUNK_SIZE).min(runs)
    }

    fn chunks(&self, runs: u64) -> (u64, u64) {
        let chunks = u128::from(runs.div_ceil(CHUNK_SIZE));
        let part = |k: u64| (chunks * u128::from(k) / u128::from(self.count.max(1))) as u64;
        (part(self.index.saturating_sub(1)), part(self.index))
    }
}

impl RunOptions {
    /// Whether the cancel flag has been raised.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Options without a convergence target.
    pub fn new(runs: u64, seed: u64, threads: usize) -> Self {
        RunOptions {
            runs,
            seed,
            threads,
            target: None,
            baseline: 0,
            shard: None,
            cancel: None,
            control_variates: false,
        }
    }
}

/// Statistics of one plan's metrics over all replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStatistics {
    /// Plan name.
    pub name: String,
    /// One accumulator per metric, indexed by [`Metric::index`].
    pub metrics: Vec<MetricAccumulator>,
}

impl PlanStatistics {
    fn new(name: &str) -> Self {
        PlanStatistics {
            name: name.to_owned(),
            metrics: (0..Metric::COUNT)
                .map(|_| MetricAccumulator::new())
                .collect(),
        }
    }

    fn push(&mut self, run: &RunMetrics) {
        for (acc, value) in self.metrics.iter_mut().zip(run.values.iter()) {
            acc.push(*value);
        }
    }

    /// The two futures of an antithetic pair.
    fn push_pair(&mut self, first: &RunMetrics, second: &RunMetrics) {
        for ((acc, x0), x1) in self
            .metrics
            .iter_mut()
            .zip(first.values.iter())
            .zip(second.values.iter())
        {
            acc.push_pair(*x0, *x1);
        }
    }

    fn merge(&mut self, other: &PlanStatistics) {
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.merge(b);
        }
    }

    /// The accumulator of one metric.
    pub fn metric(&self, metric: Metric) -> &MetricAccumulator {
        &self.metrics[metric.index()]
    }
}

/// Paired statistics of plan `a` against the baseline plan `b` on the same futures: the
/// difference of every metric, and the returns of the difference of their cash flows.
///
/// Every plan is compared with one baseline (not every plan with every other), so the
/// statistics grow linearly with the number of plans. A plan run under a `--stress` is
/// compared with the baseline's copy under the same stress (the same world), and each
/// stressed copy of the baseline with the baseline itself (what the stress does to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairStatistics {
    /// Index of the plan compared.
    pub a: usize,
    /// Index of the baseline plan.
    pub b: usize,
    /// One accumulator of (A, B) per metric, indexed by [`Metric::index`].
    pub metrics: Vec<PairedAccumulator>,
    /// One accumulator per [`IncrementalMetric`] (A over B, per future), by its index.
    pub returns: Vec<MetricAccumulator>,
    /// With control variates, the sums for [`CONTROLLED_METRICS`]' differences; None when
    /// they are off or the two plans rest on no control draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled: Option<ControlledPair>,
}

/// The control-variate sums of one pair of plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlledPair {
    /// The columns of the scenario's [`Controls`] the two plans rest on.
    pub columns: Vec<usize>,
    /// Each column's known mean.
    pub means: Vec<f64>,
    /// One outcome per [`CONTROLLED_METRICS`] entry (A − B per unit).
    pub sums: ControlledMeans,
}

impl ControlledPair {
    fn new(controls: &Controls, columns: Vec<usize>) -> Self {
        let all = controls.means();
        let means = columns.iter().map(|&c| all[c]).collect();
        let sums = ControlledMeans::new(CONTROLLED_METRICS.len(), columns.len());
        ControlledPair {
            columns,
            means,
            sums,
        }
    }

    /// The adjusted mean difference of `metric`, when it is one of [`CONTROLLED_METRICS`] and
    /// the sums allow a fit.
    pub fn estimate(&self, metric: Metric) -> Option<ControlledEstimate> {
        let outcome = CONTROLLED_METRICS.iter().position(|m| *m == metric)?;
        self.sums.estimate(outcome, &self.means)
    }
}

impl PairStatistics {
    /// Every plan but the baseline against the baseline's copy in its own world variant (or,
    /// for a copy of the baseline, against the baseline), in plan order. `plans` are laid
    /// out variant after variant, each variant holding every plan of the scenario.
    fn versus(baseline: usize, plans: &[PlanSpec]) -> Vec<PairStatistics> {
        let per_variant = plans.iter().filter(|p| p.variant == 0).count().max(1);
        let original = baseline % per_variant;
        (0..plans.len())
            .filter(|a| *a != baseline)
            .map(|a| {
                let copy = plans[a].variant * per_variant + original;
                (a, if copy == a { baseline } else { copy })
            })
            .map(|(a, b)| PairStatistics {
                a,
                b,
                metrics: (0..Metric::COUNT)
                    .map(|_| PairedAccumulator::new())
                    .collect(),
                returns: (0..IncrementalMetric::COUNT)
                    .map(|_| MetricAccumulator::new())
                    .collect(),
                controlled: None,
            })
            .collect()
    }

    /// [`versus`](Self::versus), each pair with its control-variate sums when `controls` is
    /// given and the two plans rest on some of its draws.
    fn versus_controlled(
        baseline: usize,
        model: &CompiledScenario,
        controls: Option<&Controls>,
    ) -> Vec<PairStatistics> {
        let mut pairs = Self::versus(baseline, &model.plans);
        if let Some(controls) = controls {
            for pair in &mut pairs {
                let columns = controls.columns_for(model, &[pair.a, pair.b]);
                if !columns.is_empty() {
                    pair.controlled = Some(ControlledPair::new(controls, columns));
                }
            }
        }
        pairs
    }

    /// Every stressed copy of a plan against the same plan unstressed (what the stress does
    /// to it), in plan order: metrics only, without returns (the difference a stress makes to
    /// a plan's flows is no investment to rate). Empty without `--stress`.
    fn stress_effects(plans: &[PlanSpec]) -> Vec<PairStatistics> {
        let per_variant = plans.iter().filter(|p| p.variant == 0).count().max(1);
        (0..plans.len())
            .filter(|a| plans[*a].variant > 0)
            .map(|a| PairStatistics {
                a,
                b: a % per_variant,
                metrics: (0..Metric::COUNT)
                    .map(|_| PairedAccumulator::new())
                    .collect(),
                returns: Vec::new(),
                controlled: None,
            })
            .collect()
    }

    /// One future's differences. `pairs_only`: the control-variate sums take antithetic
    /// pairs only, so this single (the unpaired last run of an odd count) stays out of them:
    /// a unit of another kind than the pair means, its half-unit weights would make the
    /// level-½ indicator, constant over pairs, a dummy for it alone.
    fn push(&mut self, row: &ReplicationRow, versus: &PlanVersusBaseline, pairs_only: bool) {
        let runs = &row.plans;
        self.push_metrics(runs);
        for (acc, figure) in self.returns.iter_mut().zip(IncrementalMetric::ALL) {
            acc.push(figure.of(versus));
        }
        if pairs_only {
            return;
        }
        if let Some(controlled) = &mut self.controlled {
            let ys = CONTROLLED_METRICS.map(|m| runs[self.a].get(m) - runs[self.b].get(m));
            let columns = &controlled.columns;
            controlled
                .sums
                .push(&ys, |j| 2 * u8::from(row.controls[columns[j]]));
        }
    }

    /// The two futures of an antithetic pair: every plan's metrics and returns over the
    /// baseline, in each.
    fn push_pair(
        &mut self,
        (row0, versus0): (&ReplicationRow, &PlanVersusBaseline),
        (row1, versus1): (&ReplicationRow, &PlanVersusBaseline),
    ) {
        let (runs0, runs1) = (&row0.plans, &row1.plans);
        self.push_metrics_pair(runs0, runs1);
        for (acc, figure) in self.returns.iter_mut().zip(IncrementalMetric::ALL) {
            acc.push_pair(figure.of(versus0), figure.of(versus1));
        }
        if let Some(controlled) = &mut self.controlled {
            let (a, b) = (self.a, self.b);
            // The pair mean of each difference, halved first as the moments' pair means are.
            let ys = CONTROLLED_METRICS.map(|m| {
                0.5 * (runs0[a].get(m) - runs0[b].get(m))
                    + 0.5 * (runs1[a].get(m) - runs1[b].get(m))
            });
            let columns = &controlled.columns;
            controlled.sums.push(&ys, |j| {
                u8::from(row0.controls[columns[j]]) + u8::from(row1.controls[columns[j]])
            });
        }
    }

    fn push_metrics_pair(&mut self, runs0: &[RunMetrics], runs1: &[RunMetrics]) {
        let (ra0, rb0) = (&runs0[self.a], &runs0[self.b]);
        let (ra1, rb1) = (&runs1[self.a], &runs1[self.b]);
        let (tie0, tie1) = (money_tie_tolerance(ra0, rb0), money_tie_tolerance(ra1, rb1));
        for ((m, acc), metric) in self.metrics.iter_mut().enumerate().zip(Metric::ALL) {
            let (t0, t1) = if metric.is_usd() {
                (tie0, tie1)
            } else {
                (0.0, 0.0)
            };
            acc.push_antithetic_pair(
                (ra0.values[m], rb0.values[m], t0),
                (ra1.values[m], rb1.values[m], t1),
            );
        }
    }

    fn push_metrics(&mut self, runs: &[RunMetrics]) {
        let (ra, rb) = (&runs[self.a], &runs[self.b]);
        let usd_tie = money_tie_tolerance(ra, rb);
        for ((m, acc), metric) in self.metrics.iter_mut().enumerate().zip(Metric::ALL) {
            let tolerance = if metric.is_usd() { usd_tie } else { 0.0 };
            acc.push_with_tolerance(ra.values[m], rb.values[m], tolerance);
        }
    }

    fn merge(&mut self, other: &PairStatistics) {
        for (x, y) in self.metrics.iter_mut().zip(&other.metrics) {
            x.merge(y);
        }
        for (x, y) in self.returns.iter_mut().zip(&other.returns) {
            x.merge(y);
        }
        if let (Some(x), Some(y)) = (&mut self.controlled, &other.controlled) {
            x.sums.merge(&y.sums);
        }
    }

    /// The 95% half-width of the mean difference of `metric`: its control-variate estimate's
    /// where there is one, else the plain one; +∞ with fewer than two differences.
    pub fn half_width(&self, metric: Metric) -> f64 {
        if let Some(e) = self.controlled.as_ref().and_then(|c| c.estimate(metric)) {
            return Z95 * e.std_error;
        }
        self.metric(metric).diff().ci95_half_width()
    }

    /// The accumulator of one figure of the returns over the baseline.
    pub fn returns(&self, figure: IncrementalMetric) -> &MetricAccumulator {
        &self.returns[figure.index()]
    }

    /// The accumulator of one metric.
    pub fn metric(&self, metric: Metric) -> &PairedAccumulator {
        &self.metrics[metric.index()]
    }
}

/// The money that went through a run, USD: revenue plus every cost and capital flow
/// (|energy cost|, opex, capex, ASIC salvage, interest, principal repaid and taxes), the scale
/// of the rounding in its dollar metrics. Non-finite terms count as zero.
pub fn money_through(run: &RunMetrics) -> f64 {
    [
        Metric::Revenue,
        Metric::EnergyCost,
        Metric::Opex,
        Metric::Capex,
        Metric::SalvageProceeds,
        Metric::Interest,
        Metric::PrincipalRepaid,
        Metric::Taxes,
    ]
    .iter()
    .map(|m| run.get(*m).abs())
    .filter(|v| v.is_finite())
    .sum()
}

/// The tie tolerance of a paired comparison of two runs' dollar metrics, USD:
/// max($1, 1e-9 × the larger of the two runs' [`money_through`]). Differences within it are
/// floating-point noise (sums of the same flows in a different order), not a plan being
/// better, so they count as ties, never as wins. Other metrics tie only when exactly equal.
pub fn money_tie_tolerance(a: &RunMetrics, b: &RunMetrics) -> f64 {
    (1e-9 * money_through(a).max(money_through(b))).max(1.0)
}

/// Whether and how a convergence target was met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvergenceOutcome {
    /// The target.
    pub target: ConvergenceTarget,
    /// Whether every plan's half-width fell below the target.
    pub met: bool,
    /// The largest half-width over plans at the stop.
    pub worst_half_width: f64,
}

/// The result of a Monte Carlo run (or of one shard of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonteCarloResult {
    /// Replications run per plan.
    pub runs: u64,
    /// Root seed.
    pub seed: u64,
    /// Index of the baseline plan of the comparisons.
    pub baseline: usize,
    /// Per-plan statistics, in scenario order.
    pub plans: Vec<PlanStatistics>,
    /// Every other plan against the baseline, in plan order.
    pub pairs: Vec<PairStatistics>,
    /// Every stressed copy of a plan against the same plan unstressed, in plan order.
    pub stress_effects: Vec<PairStatistics>,
    /// Monthly bands of every plan's series.
    pub timeseries: TimeSeriesStats,
    /// Whether the replications ran in antithetic pairs (not written when false, so a run
    /// without them serializes as before).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub antithetic: bool,
    /// Whether the mean differences were adjusted by control variates (not written when
    /// false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub control_variates: bool,
    /// The convergence outcome, when a target was set.
    #[serde(skip)]
    pub convergence: Option<ConvergenceOutcome>,
}

/// Why two results cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct MergeMismatch(String);

impl MonteCarloResult {
    /// Adds the runs of `other` (another shard of the same scenario and seed). Exact: shards
    /// merged in any order give the bits of a single run over all their replications.
    pub fn merge(&mut self, other: &MonteCarloResult) -> Result<(), MergeMismatch> {
        let names =
            |r: &MonteCarloResult| r.plans.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        if self.seed != other.seed {
            return Err(MergeMismatch(format!(
                "seeds differ: {} and {}",
                self.seed, other.seed
            )));
        }
        if self.antithetic != other.antithetic {
            return Err(MergeMismatch(
                "one ran antithetic futures and the other did not".into(),
            ));
        }
        if self.control_variates != other.control_variates {
            return Err(MergeMismatch(
                "one used control variates and the other did not".into(),
            ));
        }
        if self.baseline != other.baseline {
            return Err(MergeMismatch(format!(
                "baselines differ: {} and {}",
                self.plans[self.baseline.min(self.plans.len().saturating_sub(1))].name,
                other.plans[other.baseline.min(other.plans.len().saturating_sub(1))].name
            )));
        }
        if names(self) != names(other) {
            return Err(MergeMismatch(format!(
                "plans differ: {:?} and {:?}",
                names(self),
                names(other)
            )));
        }
        if (self.timeseries.plans(), self.timeseries.months())
            != (other.timeseries.plans(), other.timeseries.months())
            || self.pairs.len() != other.pairs.len()
            || self.stress_effects.len() != other.stress_effects.len()
        {
            return Err(MergeMismatch("the horizons or plan pairs differ".into()));
        }
        let same_controls = |a: &Option<ControlledPair>, b: &Option<ControlledPair>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                (&a.columns, &a.means) == (&b.columns, &b.means)
                    && (a.sums.controls(), a.sums.outcomes())
                        == (b.sums.controls(), b.sums.outcomes())
            }
            _ => false,
        };
        if !self
            .pairs
            .iter()
            .zip(&other.pairs)
            .all(|(a, b)| same_controls(&a.controlled, &b.controlled))
        {
            return Err(MergeMismatch(
                "the control variates of a plan pair differ".into(),
            ));
        }
        for (total, part) in self.plans.iter_mut().zip(&other.plans) {
            total.merge(part);
        }
        for (total, part) in self.pairs.iter_mut().zip(&other.pairs) {
            total.merge(part);
        }
        for (total, part) in self.stress_effects.iter_mut().zip(&other.stress_effects) {
            total.merge(part);
        }
        self.timeseries.merge(&other.timeseries);
        self.runs += other.runs;
        Ok(())
    }

    /// Checks the shape a deserialized result must have for a scenario with these plans
    /// and months, so that nothing later indexes out of bounds.
    pub fn check_shape(&self, plan_specs: &[PlanSpec], months: usize) -> Result<(), MergeMismatch> {
        let plan_names: Vec<&String> = plan_specs.iter().map(|p| &p.name).collect();
        let plans = plan_names.len();
        let shape_ok = self.plans.len() == plans
            && self
                .plans
                .iter()
                .zip(plan_names)
                .all(|(p, n)| &p.name == n && p.metrics.len() == Metric::COUNT)
            && self.baseline < plans
            && self.pairs.len() == plans - 1
            && self
                .pairs
                .iter()
                .zip(PairStatistics::versus(self.baseline, plan_specs))
                .all(|(p, want)| {
                    (p.a, p.b) == (want.a, want.b)
                        && p.metrics.len() == Metric::COUNT
                        && p.returns.len() == IncrementalMetric::COUNT
                        && p.controlled.as_ref().is_none_or(|c| {
                            c.columns.len() == c.means.len()
                                && c.sums.controls() == c.columns.len()
                                && c.sums.outcomes() == CONTROLLED_METRICS.len()
                        })
                })
            && self.stress_effects.len() == PairStatistics::stress_effects(plan_specs).len()
            && self
                .stress_effects
                .iter()
                .zip(PairStatistics::stress_effects(plan_specs))
                .all(|(p, want)| {
                    (p.a, p.b) == (want.a, want.b)
                        && p.metrics.len() == Metric::COUNT
                        && p.returns.is_empty()
                })
            && self.timeseries.has_shape(plans, months);
        if shape_ok {
            Ok(())
        } else {
            Err(MergeMismatch(
                "the statistics do not match the scenario's plans and horizon".into(),
            ))
        }
    }

    /// The largest 95% CI half-width a target watches: of `target.metric` over plans, or of
    /// its mean difference from the baseline over the compared plans.
    pub fn worst_half_width_of(&self, target: &ConvergenceTarget) -> f64 {
        if target.difference {
            self.pairs
                .iter()
                .map(|p| p.half_width(target.metric))
                .fold(0.0, f64::max)
        } else {
            self.worst_half_width(target.metric)
        }
    }

    /// The largest 95% CI half-width of `metric` over plans.
    pub fn worst_half_width(&self, metric: Metric) -> f64 {
        self.plans
            .iter()
            .map(|p| p.metric(metric).ci95_half_width())
            .fold(0.0, f64::max)
    }
}

/// One replication's metrics for every plan, as handed to the sink.
#[derive(Debug, Clone)]
pub struct ReplicationRow {
    /// Replication index.
    pub replication: u64,
    /// Metrics per plan, in scenario order.
    pub plans: Vec<RunMetrics>,
    /// Per plan, in scenario order, its returns over the baseline (None for the baseline).
    pub versus_baseline: Vec<Option<PlanVersusBaseline>>,
    /// With control variates, every column's indicator ([`Controls::draw`]); empty otherwise.
    pub controls: Vec<bool>,
}

struct ChunkOutput {
    rows: Vec<ReplicationRow>,
    stats: Vec<PlanStatistics>,
    pairs: Vec<PairStatistics>,
    stress_effects: Vec<PairStatistics>,
    /// Every replication's series, one after another.
    series: Vec<f64>,
}

fn simulate_chunk(
    model: &CompiledScenario,
    opts: &RunOptions,
    controls: Option<&Controls>,
    chunk: u64,
) -> ChunkOutput {
    let first = chunk * CHUNK_SIZE;
    let last = (first + CHUNK_SIZE).min(opts.runs);
    let mut scratch = Scratch::default();
    let mut stats: Vec<PlanStatistics> = model
        .plans
        .iter()
        .map(|p| PlanStatistics::new(&p.name))
        .collect();
    let mut pairs = PairStatistics::versus_controlled(opts.baseline, model, controls);
    let mut stress_effects = PairStatistics::stress_effects(&model.plans);
    let rates: Vec<(MirrRates, MirrRates)> = (0..model.plans.len())
        .map(|p| returns::mirr_rates(model, p))
        .collect();
    let mut rows = Vec::with_capacity((last - first) as usize);
    let mut series = Vec::new();
    let mut one = Vec::new();
    let mut diff = Vec::new();
    for replication in first..last {
        if opts.cancelled() {
            break;
        }
        let mut plans = Vec::with_capacity(model.plans.len());
        model::simulate_replication(
            model,
            opts.seed,
            replication,
            &mut scratch,
            &mut plans,
            &mut one,
        );
        series.extend_from_slice(&one);
        let mut versus_baseline = vec![None; plans.len()];
        for pair in &mut pairs {
            let (plan_project, plan_equity) = scratch.cash_flows(pair.a);
            let (base_project, base_equity) = scratch.cash_flows(pair.b);
            let versus = PlanVersusBaseline {
                project: incremental_returns(
                    plan_project,
                    base_project,
                    rates[pair.a].0,
                    &mut diff,
                ),
                equity: incremental_returns(plan_equity, base_equity, rates[pair.a].1, &mut diff),
            };
            versus_baseline[pair.a] = Some(versus);
        }
        let mut indicators = Vec::new();
        if let Some(controls) = controls {
            controls.draw(model, opts.seed, replication, &mut indicators);
        }
        rows.push(ReplicationRow {
            replication,
            plans,
            versus_baseline,
            controls: indicators,
        });
    }
    // The statistics take the rows in replication order, an antithetic pair's two rows at
    // once (a chunk starts at an even index, so its rows pair up from the first).
    let mut rest = rows.as_slice();
    while let Some((row, after)) = rest.split_first() {
        match after.first() {
            Some(next) if model.antithetic && row.replication % 2 == 0 => {
                push_antithetic_pair(row, next, &mut stats, &mut pairs, &mut stress_effects);
                rest = &after[1..];
            }
            _ => {
                push_single(
                    row,
                    model.antithetic,
                    &mut stats,
                    &mut pairs,
                    &mut stress_effects,
                );
                rest = after;
            }
        }
    }
    ChunkOutput {
        rows,
        stats,
        pairs,
        stress_effects,
        series,
    }
}

/// Adds one replication to a chunk's statistics (`antithetic`: an unpaired one of an
/// antithetic run).
fn push_single(
    row: &ReplicationRow,
    antithetic: bool,
    stats: &mut [PlanStatistics],
    pairs: &mut [PairStatistics],
    stress_effects: &mut [PairStatistics],
) {
    for (s, run) in stats.iter_mut().zip(&row.plans) {
        s.push(run);
    }
    for pair in pairs {
        if let Some(versus) = &row.versus_baseline[pair.a] {
            pair.push(row, versus, antithetic);
        }
    }
    for effect in stress_effects {
        effect.push_metrics(&row.plans);
    }
}

/// Adds the two replications of an antithetic pair to a chunk's statistics.
fn push_antithetic_pair(
    first: &ReplicationRow,
    second: &ReplicationRow,
    stats: &mut [PlanStatistics],
    pairs: &mut [PairStatistics],
    stress_effects: &mut [PairStatistics],
) {
    for (s, (run0, run1)) in stats.iter_mut().zip(first.plans.iter().zip(&second.plans)) {
        s.push_pair(run0, run1);
    }
    for pair in pairs {
        if let (Some(v0), Some(v1)) = (
            &first.versus_baseline[pair.a],
            &second.versus_baseline[pair.a],
        ) {
            pair.push_pair((first, v0), (second, v1));
        }
    }
    for effect in stress_effects {
        effect.push_metrics_pair(&first.plans, &second.plans);
    }
}

/// Runs every replication of every plan. Rows reach `sink` in replication order; `progress`
/// is told how many replications are done after each batch. A sink error stops the run.
pub fn run<E: Send>(
    model: &CompiledScenario,
    opts: &RunOptions,
    mut sink: impl FnMut(&ReplicationRow) -> Result<(), E> + Send,
    progress: impl Fn(u64) + Sync,
) -> Result<MonteCarloResult, E> {
    let (first_chunk, chunks) = match opts.shard {
        Some(shard) => shard.chunks(opts.runs),
        None => (0, opts.runs.div_ceil(CHUNK_SIZE)),
    };
    let threads = if opts.threads == 0 {
        rayon::current_num_threads()
    } else {
        opts.threads
    };
    // Enough chunks per batch to keep every thread busy, few enough to bound memory, and a
    // multiple of CHECK_CHUNKS so convergence checks fall on batch boundaries.
    let batch = (threads as u64 * 4).div_ceil(CHECK_CHUNKS).max(1) * CHECK_CHUNKS;
    assert!(
        opts.baseline < model.plans.len().max(1),
        "the baseline must be one of the scenario's plans"
    );
    let months = model::months_per_run(model);
    let controls = opts
        .control_variates
        .then(|| Controls::new(model))
        .filter(|c| !c.is_empty());
    let mut result = MonteCarloResult {
        runs: 0,
        seed: opts.seed,
        baseline: opts.baseline,
        plans: model
            .plans
            .iter()
            .map(|p| PlanStatistics::new(&p.name))
            .collect(),
        pairs: PairStatistics::versus_controlled(opts.baseline, model, controls.as_ref()),
        stress_effects: PairStatistics::stress_effects(&model.plans),
        timeseries: TimeSeriesStats::new(model.plans.len(), months),
        antithetic: model.antithetic,
        control_variates: controls.is_some(),
        convergence: None,
    };
    let per_replication = model.plans.len() * months * model::Series::COUNT;
    let simulate_batch = |range: std::ops::Range<u64>| -> Vec<ChunkOutput> {
        range
            .into_par_iter()
            .map(|c| simulate_chunk(model, opts, controls.as_ref(), c))
            .collect()
    };
    // Absorbs one batch in chunk order: rows to the sink, statistics merged, convergence
    // checked. Returns whether to stop (the target is met).
    let mut absorb = |start: u64, outputs: Vec<ChunkOutput>| -> Result<bool, E> {
        for (offset, output) in outputs.into_iter().enumerate() {
            for row in &output.rows {
                sink(row)?;
            }
            for (total, chunk) in result.plans.iter_mut().zip(&output.stats) {
                total.merge(chunk);
            }
            for (total, chunk) in result.pairs.iter_mut().zip(&output.pairs) {
                total.merge(chunk);
            }
            for (total, chunk) in result.stress_effects.iter_mut().zip(&output.stress_effects) {
                total.merge(chunk);
            }
            for one in output.series.chunks_exact(per_replication.max(1)) {
                result.timeseries.push_replication(one);
            }
            result.runs += output.rows.len() as u64;
            let done_chunks = start - first_chunk + offset as u64 + 1;
            if let Some(target) = opts.target
                && (done_chunks % CHECK_CHUNKS == 0 || start + offset as u64 + 1 == chunks)
            {
                let worst = result.worst_half_width_of(&target);
                let met = worst <= target.half_width;
                result.convergence = Some(ConvergenceOutcome {
                    target,
                    met,
                    worst_half_width: worst,
                });
                if met {
                    progress(result.runs);
                    return Ok(true);
                }
            }
        }
        progress(result.runs);
        Ok(false)
    };
    // A pipeline: while batch k is absorbed (sequential work: the sink, the merges, the
    // monthly bands), batch k + 1 is already simulated on the other threads, so no core
    // waits for the merge. Absorption stays in chunk order, so results are unchanged; with a
    // convergence target the batch simulated alongside the one that met it is discarded.
    let mut pending: Option<(u64, Vec<ChunkOutput>)> = None;
    let mut next = first_chunk;
    loop {
        let range = (next < chunks).then(|| next..(next + batch).min(chunks));
        let (absorbed, computed) = rayon::join(
            || match pending.take() {
                Some((start, outputs)) => absorb(start, outputs),
                None => Ok(false),
            },
            || range.clone().map(&simulate_batch),
        );
        if absorbed? || opts.cancelled() {
            break;
        }
        match (range, computed) {
            (Some(range), Some(outputs)) => {
                pending = Some((range.start, outputs));
                next = range.end;
            }
            _ => break,
        }
    }
    Ok(result)
}

/// Runs inside a dedicated pool of `opts.threads` threads (0 = rayon's default), so that
/// `--jobs` is honoured without touching the global pool.
pub fn run_in_pool<E: Send>(
    model: &CompiledScenario,
    opts: &RunOptions,
    sink: impl FnMut(&ReplicationRow) -> Result<(), E> + Send,
    progress: impl Fn(u64) + Sync + Send,
) -> Result<Result<MonteCarloResult, E>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    Ok(pool.install(|| run(model, opts, sink, progress)))
}
