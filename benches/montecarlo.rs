//! Whole Monte Carlo runs of the default scenario through the library (`montecarlo`, no
//! plots, rows discarded): the 10,000-replication run of issue #7, and the speed-up from one
//! to two threads.
//!
//! `cargo bench -p pivotsim-benches --bench montecarlo`. Each sample is a full run, so criterion's minimum of 10
//! samples makes this the slow bench (a few minutes); `scaling` uses 1,024 replications (16
//! chunks of 64) so both thread counts get whole chunks.

use std::convert::Infallible;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pivotsim::model::CompiledScenario;
use pivotsim::montecarlo::{self, RunOptions};
use pivotsim::scenario;

const SEED: u64 = 20260301;

fn default_model() -> CompiledScenario {
    let loaded = scenario::load_default().expect("the embedded default scenario is valid");
    CompiledScenario::new(&loaded.scenario).expect("the default horizon fits the calendar")
}

/// Runs `runs` replications on a pool of `threads` threads, with control variates on as
/// `pivotsim run` has them by default, and returns the runs done.
fn run(model: &CompiledScenario, runs: u64, threads: usize) -> u64 {
    let mut opts = RunOptions::new(runs, SEED, threads);
    opts.control_variates = true;
    match montecarlo::run_in_pool(model, &opts, |_| Ok::<(), Infallible>(()), |_| {}) {
        Ok(Ok(result)) => result.runs,
        Ok(Err(never)) => match never {},
        Err(e) => panic!("cannot build a pool of {threads} threads: {e}"),
    }
}

fn bench_runs(c: &mut Criterion) {
    let model = default_model();

    let mut group = c.benchmark_group("montecarlo");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for threads in [1usize, 2] {
        group.bench_with_input(
            BenchmarkId::new("scaling_1024_runs_threads", threads),
            &threads,
            |b, &threads| b.iter(|| run(&model, 1_024, threads)),
        );
    }
    group.bench_function("runs_10000_two_threads", |b| {
        b.iter(|| run(&model, 10_000, 2))
    });
    group.finish();
}

criterion_group!(benches, bench_runs);
criterion_main!(benches);
