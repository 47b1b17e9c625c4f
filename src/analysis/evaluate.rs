//! Simulating many compiled variants of one scenario on the same futures, in parallel, keeping
//! each future's value of the measures asked for.
//!
//! Work is split into tasks of [`TASK_FUTURES`] futures of one variant; rayon runs them in any
//! order on any number of threads, and the values land by (variant, future) index, so the
//! result is the same bit for bit whatever the thread count. A range of futures evaluated in
//! two parts and concatenated equals the whole range evaluated at once (each future depends
//! only on the seed and its index), which is what lets a design be sharded and merged exactly.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::{self, CompiledScenario, Metric, RunMetrics, Scratch};

/// Futures of one variant simulated by one task.
pub const TASK_FUTURES: u64 = 16;

/// What is recorded for each future and plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The plan's own value of a metric, in the metric's unit.
    Plan(Metric),
    /// The plan's value of a metric less the baseline plan's on the same future (zero for the
    /// baseline itself), in the metric's unit.
    VersusBaseline(Metric),
}

/// The prefix that names a [`Measure::VersusBaseline`]: `delta_equity_npv_usd`.
pub const DELTA_PREFIX: &str = "delta_";

impl Measure {
    /// The value on one future, from every plan's metrics of that future.
    pub fn value(self, plans: &[RunMetrics], plan: usize, baseline: usize) -> f64 {
        match self {
            Measure::Plan(m) => plans[plan].get(m),
            Measure::VersusBaseline(m) => plans[plan].get(m) - plans[baseline].get(m),
        }
    }

    /// The metric measured.
    pub fn metric(self) -> Metric {
        match self {
            Measure::Plan(m) | Measure::VersusBaseline(m) => m,
        }
    }

    /// The name users give and outputs show: the metric's key, with [`DELTA_PREFIX`] for a
    /// difference against the baseline.
    pub fn key(self) -> String {
        match self {
            Measure::Plan(m) => m.key().to_string(),
            Measure::VersusBaseline(m) => format!("{DELTA_PREFIX}{}", m.key()),
        }
    }

    /// A measure by name: a metric by `metric_by_name` (key, or key without its unit suffix),
    /// optionally prefixed by [`DELTA_PREFIX`]; `p_default` is the mean of `defaulted`.
    pub fn by_name(name: &str, metric_by_name: impl Fn(&str) -> Option<Metric>) -> Option<Self> {
        if name == "p_default" {
            return Some(Measure::Plan(Metric::Defaulted));
        }
        match name.strip_prefix(DELTA_PREFIX) {
            Some(rest) => metric_by_name(rest).map(Measure::VersusBaseline),
            None => metric_by_name(name).map(Measure::Plan),
        }
    }
}

/// Each future's values of the measures, for every plan of one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantValues {
    plans: usize,
    futures: usize,
    /// `values[(measure × plans + plan) × futures + k]`: future `k` of the evaluated range;
    /// NaN where the metric is undefined on that future.
    values: Vec<f64>,
}

impl VariantValues {
    /// Values laid out as [`VariantValues::get`] reads them.
    pub fn from_values(plans: usize, futures: usize, values: Vec<f64>) -> Self {
        debug_assert_eq!(values.len() % (plans * futures).max(1), 0);
        VariantValues {
            plans,
            futures,
            values,
        }
    }

    /// The variant's number of plans.
    pub fn plans(&self) -> usize {
        self.plans
    }

    /// The number of futures evaluated.
    pub fn futures(&self) -> usize {
        self.futures
    }

    /// Every future's value of measure number `measure` for plan `plan`, in future order.
    pub fn get(&self, measure: usize, plan: usize) -> &[f64] {
        let start = (measure * self.plans + plan) * self.futures;
        &self.values[start..start + self.futures]
    }

    /// The raw layout, for writers.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// This variant's values followed by `later`'s (futures evaluated after these): the values
    /// of the two ranges of futures as one, exactly as if evaluated at once.
    pub fn concat(&self, later: &VariantValues) -> VariantValues {
        assert_eq!(self.plans, later.plans, "concatenating different plan sets");
        let measures = self.values.len() / (self.plans * self.futures).max(1);
        let futures = self.futures + later.futures;
        let mut values = Vec::with_capacity(measures * self.plans * futures);
        for series in 0..measures * self.plans {
            values.extend_from_slice(
                &self.values[series * self.futures..(series + 1) * self.futures],
            );
            values.extend_from_slice(
                &later.values[series * later.futures..(series + 1) * later.futures],
            );
        }
        VariantValues {
            plans: self.plans,
            futures,
            values,
        }
    }
}

/// What every variant is evaluated on.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    /// The root seed all variants share.
    pub seed: u64,
    /// The replication indices (futures) to simulate.
    pub futures: Range<u64>,
    /// The index of the plan `VersusBaseline` measures compare with.
    pub baseline: usize,
    /// The measures kept per future and plan.
    pub measures: &'a [Measure],
}

/// Simulates every variant on every future of `evaluation` in the current rayon pool and
/// returns their values in variant order. `progress` is told the number of (variant, future)
/// simulations done so far; a raised `cancel` flag stops the work early (the partial result
/// must then be discarded: it is `None`).
pub fn evaluate(
    variants: &[&CompiledScenario],
    evaluation: &Evaluation<'_>,
    cancel: Option<&AtomicBool>,
    progress: impl Fn(u64) + Sync,
) -> Option<Vec<VariantValues>> {
    let range = evaluation.futures.clone();
    let futures = (range.end - range.start) as usize;
    let tasks_per_variant = (range.end - range.start).div_ceil(TASK_FUTURES);
    let done = AtomicU64::new(0);
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let tasks: Vec<(usize, Range<u64>)> = (0..variants.len())
        .flat_map(|v| {
            (0..tasks_per_variant).map(move |t| {
                let start = range.start + t * TASK_FUTURES;
                (v, start..(start + TASK_FUTURES).min(range.end))
            })
        })
        .collect();
    let outputs: Vec<Option<Vec<f64>>> = tasks
        .into_par_iter()
        .map_init(
            || (Scratch::default(), Vec::new(), Vec::new()),
            |(scratch, plans, series), (v, futures)| {
                if cancelled() {
                    return None;
                }
                let model = variants[v];
                let n_plans = model.plans.len();
                let n = (futures.end - futures.start) as usize;
                // Laid out measure by plan by future, like `VariantValues`, for this task's
                // futures only.
                let mut values = vec![f64::NAN; evaluation.measures.len() * n_plans * n];
                for (k, replication) in futures.enumerate() {
                    model::simulate_replication(
                        model,
                        evaluation.seed,
                        replication,
                        scratch,
                        plans,
                        series,
                    );
                    for (m, measure) in evaluation.measures.iter().enumerate() {
                        for p in 0..n_plans {
                            values[(m * n_plans + p) * n + k] =
                                measure.value(plans, p, evaluation.baseline);
                        }
                    }
                }
                progress(done.fetch_add(n as u64, Ordering::Relaxed) + n as u64);
                Some(values)
            },
        )
        .collect();
    if cancelled() {
        return None;
    }
    // Reassemble each variant from its tasks, in future order.
    let mut outputs = outputs.into_iter();
    let mut result = Vec::with_capacity(variants.len());
    for model in variants {
        let n_plans = model.plans.len();
        let series = evaluation.measures.len() * n_plans;
        let mut values = vec![f64::NAN; series * futures];
        let mut offset = 0;
        for _ in 0..tasks_per_variant {
            let task = outputs.next().flatten()?;
            let n = task.len() / series.max(1);
            for s in 0..series {
                values[s * futures + offset..s * futures + offset + n]
                    .copy_from_slice(&task[s * n..(s + 1) * n]);
            }
            offset += n;
        }
        result.push(VariantValues::from_values(n_plans, futures, values));
    }
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_model(runs_override: &[(&str, serde_json::Value)]) -> CompiledScenario {
        let set: Vec<_> = runs_override
            .iter()
            .map(|(p, v)| crate::scenario::overrides::Override::new(p, v.clone()))
            .collect();
        let loaded = crate::scenario::load_with(None, &set).expect("the default scenario loads");
        CompiledScenario::with_stresses(&loaded.scenario, &[]).expect("and compiles")
    }

    fn in_pool(
        threads: usize,
        f: impl FnOnce() -> Vec<VariantValues> + Send,
    ) -> Vec<VariantValues> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool")
            .install(f)
    }

    #[test]
    fn same_values_for_any_thread_count_and_any_split_of_the_futures() {
        let base = default_model(&[]);
        let other = default_model(&[("starting_cash_usd", 1.0e8.into())]);
        let measures = [
            Measure::Plan(Metric::EquityNpv),
            Measure::VersusBaseline(Metric::EquityNpv),
        ];
        let eval = |futures: Range<u64>| Evaluation {
            seed: 7,
            futures,
            baseline: 0,
            measures: &measures,
        };
        let run = |threads, futures: Range<u64>| {
            in_pool(threads, || {
                evaluate(&[&base, &other], &eval(futures), None, |_| {}).expect("not cancelled")
            })
        };
        // 37 futures: two full tasks and a partial one.
        let one = run(1, 0..37);
        let two = run(2, 0..37);
        assert_eq!(one, two);
        let first = run(2, 0..20);
        let rest = run(1, 20..37);
        for v in 0..2 {
            assert_eq!(first[v].concat(&rest[v]), one[v]);
        }
        // A future's value is that of an ordinary replication of the same seed and index.
        let mut scratch = Scratch::default();
        let (mut plans, mut series) = (Vec::new(), Vec::new());
        model::simulate_replication(&base, 7, 30, &mut scratch, &mut plans, &mut series);
        assert_eq!(one[0].get(0, 1)[30], plans[1].get(Metric::EquityNpv));
        assert_eq!(
            one[0].get(1, 1)[30],
            plans[1].get(Metric::EquityNpv) - plans[0].get(Metric::EquityNpv)
        );
        // The baseline's difference against itself is zero on every future.
        assert!(one[0].get(1, 0).iter().all(|&d| d == 0.0));
    }
}
