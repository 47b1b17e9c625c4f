//! One replication of the default scenario: the world alone, each plan alone on a shared
//! world, and the world plus every plan (what one Monte Carlo replication costs).
//!
//! `cargo bench --bench replication`. Wall-clock medians on shared cores are noisy; compare
//! ratios within one run, and see docs/performance.md for the figures and instruction counts.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pivotsim::engine::EventQueue;
use pivotsim::model::{self, CompiledScenario, Scratch, World};
use pivotsim::scenario;

const SEED: u64 = 42;

fn default_model() -> CompiledScenario {
    let loaded = scenario::load_default().expect("the embedded default scenario is valid");
    CompiledScenario::new(&loaded.scenario).expect("the default horizon fits the calendar")
}

fn bench_replication(c: &mut Criterion) {
    let model = default_model();
    let mut group = c.benchmark_group("default_scenario");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sample_size(20);

    // Replication indices advance across iterations so that each one sees a fresh world, as
    // in a real run; every bench starts from the same index, so they see the same worlds.
    let mut world = World::default();
    let mut replication = 0u64;
    group.bench_function("world_generation", |b| {
        b.iter(|| {
            replication += 1;
            world.generate(&model, SEED, replication);
            black_box(world.segments.len())
        })
    });

    // Each plan alone, on worlds generated outside the timed region.
    let mut queue = EventQueue::new();
    for (plan, spec) in model.plans.iter().enumerate() {
        let mut replication = 0u64;
        group.bench_with_input(BenchmarkId::new("plan", &spec.name), &plan, |b, &plan| {
            b.iter_batched_ref(
                || {
                    replication += 1;
                    let mut world = World::default();
                    world.generate(&model, SEED, replication);
                    (world, replication)
                },
                |(world, replication)| {
                    model::simulate_plan(&model, world, plan, SEED, *replication, &mut queue, None)
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }

    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut series = Vec::new();
    let mut replication = 0u64;
    group.bench_function("replication_all_plans", |b| {
        b.iter(|| {
            replication += 1;
            model::simulate_replication(
                &model,
                SEED,
                replication,
                &mut scratch,
                &mut out,
                &mut series,
            );
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_replication);
criterion_main!(benches);
