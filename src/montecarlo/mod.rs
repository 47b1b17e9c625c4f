//! Replications × plans in parallel, with results that do not depend on the thread count.
//!
//! Replications are cut into fixed chunks of [`CHUNK_SIZE`] consecutive indices. Chunks run in
//! parallel (rayon) in batches; each chunk's rows and statistics come back in chunk order, rows
//! are streamed to the caller's sink, and chunk statistics are merged sequentially in index
//! order. Floating-point sums therefore always happen in the same order, so the output is
//! byte-identical for any thread count; memory holds one batch of rows at a time, never every
//! run.

use rayon::prelude::*;

use crate::model::{self, CompiledScenario, Metric, RunMetrics, Scratch};
use crate::stats::{MetricAccumulator, PairedAccumulator};

/// Replications per chunk: the unit of parallel work and of deterministic merging.
pub const CHUNK_SIZE: u64 = 64;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Replications per plan.
    pub runs: u64,
    /// Root seed.
    pub seed: u64,
    /// Worker threads; 0 lets rayon decide (RAYON_NUM_THREADS or the core count).
    pub threads: usize,
}

/// Statistics of one plan's metrics over all replications.
#[derive(Debug, Clone)]
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

/// Paired statistics of plan `a` against plan `b` on the same futures.
#[derive(Debug, Clone)]
pub struct PairStatistics {
    /// Index of plan A.
    pub a: usize,
    /// Index of plan B.
    pub b: usize,
    /// One accumulator of (A, B) per metric, indexed by [`Metric::index`].
    pub metrics: Vec<PairedAccumulator>,
}

impl PairStatistics {
    /// Every pair (a, b) with a < b.
    fn all(plans: usize) -> Vec<PairStatistics> {
        let mut out = Vec::new();
        for a in 0..plans {
            for b in a + 1..plans {
                out.push(PairStatistics {
                    a,
                    b,
                    metrics: (0..Metric::COUNT)
                        .map(|_| PairedAccumulator::new())
                        .collect(),
                });
            }
        }
        out
    }

    fn push(&mut self, runs: &[RunMetrics]) {
        let (ra, rb) = (&runs[self.a], &runs[self.b]);
        for (m, acc) in self.metrics.iter_mut().enumerate() {
            acc.push(ra.values[m], rb.values[m]);
        }
    }

    fn merge(&mut self, other: &PairStatistics) {
        for (x, y) in self.metrics.iter_mut().zip(&other.metrics) {
            x.merge(y);
        }
    }

    /// The accumulator of one metric.
    pub fn metric(&self, metric: Metric) -> &PairedAccumulator {
        &self.metrics[metric.index()]
    }
}

/// The result of a Monte Carlo run.
#[derive(Debug, Clone)]
pub struct MonteCarloResult {
    /// Replications run per plan.
    pub runs: u64,
    /// Root seed.
    pub seed: u64,
    /// Per-plan statistics, in scenario order.
    pub plans: Vec<PlanStatistics>,
    /// Paired comparisons of every two plans (a < b).
    pub pairs: Vec<PairStatistics>,
}

/// One replication's metrics for every plan, as handed to the sink.
#[derive(Debug, Clone)]
pub struct ReplicationRow {
    /// Replication index.
    pub replication: u64,
    /// Metrics per plan, in scenario order.
    pub plans: Vec<RunMetrics>,
}

struct ChunkOutput {
    rows: Vec<ReplicationRow>,
    stats: Vec<PlanStatistics>,
    pairs: Vec<PairStatistics>,
}

fn simulate_chunk(model: &CompiledScenario, opts: &RunOptions, chunk: u64) -> ChunkOutput {
    let first = chunk * CHUNK_SIZE;
    let last = (first + CHUNK_SIZE).min(opts.runs);
    let mut scratch = Scratch::default();
    let mut stats: Vec<PlanStatistics> = model
        .plans
        .iter()
        .map(|p| PlanStatistics::new(&p.name))
        .collect();
    let mut pairs = PairStatistics::all(model.plans.len());
    let mut rows = Vec::with_capacity((last - first) as usize);
    for replication in first..last {
        let mut plans = Vec::with_capacity(model.plans.len());
        model::simulate_replication(model, opts.seed, replication, &mut scratch, &mut plans);
        for (s, run) in stats.iter_mut().zip(&plans) {
            s.push(run);
        }
        for pair in &mut pairs {
            pair.push(&plans);
        }
        rows.push(ReplicationRow { replication, plans });
    }
    ChunkOutput { rows, stats, pairs }
}

/// Runs every replication of every plan. Rows reach `sink` in replication order; `progress`
/// is told how many replications are done after each batch. A sink error stops the run.
pub fn run<E>(
    model: &CompiledScenario,
    opts: &RunOptions,
    mut sink: impl FnMut(&ReplicationRow) -> Result<(), E>,
    progress: impl Fn(u64) + Sync,
) -> Result<MonteCarloResult, E> {
    let chunks = opts.runs.div_ceil(CHUNK_SIZE);
    let threads = if opts.threads == 0 {
        rayon::current_num_threads()
    } else {
        opts.threads
    };
    // Enough chunks per batch to keep every thread busy, few enough to bound memory.
    let batch = (threads as u64 * 4).max(1);
    let mut totals: Vec<PlanStatistics> = model
        .plans
        .iter()
        .map(|p| PlanStatistics::new(&p.name))
        .collect();
    let mut pairs = PairStatistics::all(model.plans.len());
    let mut start = 0;
    while start < chunks {
        let end = (start + batch).min(chunks);
        let outputs: Vec<ChunkOutput> = (start..end)
            .into_par_iter()
            .map(|c| simulate_chunk(model, opts, c))
            .collect();
        for output in outputs {
            for row in &output.rows {
                sink(row)?;
            }
            for (total, chunk) in totals.iter_mut().zip(&output.stats) {
                total.merge(chunk);
            }
            for (total, chunk) in pairs.iter_mut().zip(&output.pairs) {
                total.merge(chunk);
            }
        }
        progress((end * CHUNK_SIZE).min(opts.runs));
        start = end;
    }
    Ok(MonteCarloResult {
        runs: opts.runs,
        seed: opts.seed,
        plans: totals,
        pairs,
    })
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
