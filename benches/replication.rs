//! One replication of the default scenario: the world alone, each plan alone on a shared
//! world, and the world plus every plan (what one Monte Carlo replication costs); and the
//! floor the issue states its target against, one bare ten-year hourly price path.
//!
//! `cargo bench -p pivotsim-benches --bench replication`. Wall-clock medians on shared cores are noisy; compare
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

/// Hours in the default scenario's ten years (the floor's path length).
const FLOOR_HOURS: usize = 87_600;

/// A reconstruction of the "floor": one hourly mean-reverting price path of ten
/// years and nothing else, on the project's generator (ChaCha8) and normal sampler, with an
/// exact OU step on the log price and `f64::exp`. Timed in the same run as the replication so
/// that the ratio the target is stated in (≤ 3 × this) does not depend on the machine's load.
fn floor_price_path(seed: u64, out: &mut [f64]) {
    use pivotsim::model::world::streams::{StreamKind, Streams};
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = Streams::new(seed, 0).of(StreamKind::EnergyPrice);
    // κ = 100/yr, σ = 1.5/√yr, hourly steps: a = e^(−κΔ), s = σ·√((1 − a²)/(2κ)).
    let dt = 1.0 / pivotsim::engine::HOURS_PER_YEAR;
    let a = (-100.0f64 * dt).exp();
    let s = 1.5 * ((1.0 - a * a) / 200.0).sqrt();
    let mut x = 0.0f64;
    for price in out.iter_mut() {
        let z: f64 = StandardNormal.sample(&mut rng);
        x = a * x + s * z;
        *price = 40.0 * x.exp();
    }
}

fn bench_floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sample_size(20);
    let mut path = vec![0.0; FLOOR_HOURS];
    let mut seed = 0u64;
    group.bench_function("hourly_price_path_10y", |b| {
        b.iter(|| {
            seed += 1;
            floor_price_path(seed, &mut path);
            black_box(path[FLOOR_HOURS - 1])
        })
    });
    group.finish();
}

criterion_group!(benches, bench_replication, bench_floor);
criterion_main!(benches);
