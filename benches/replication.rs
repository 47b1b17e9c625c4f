//! One replication of the default scenario: the world alone, and the world plus every plan.
//!
//! `cargo bench --bench replication`. Wall-clock medians on shared cores are noisy; compare
//! ratios within one run (see docs/performance.md once it exists).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pivotsim::model::{self, CompiledScenario, Scratch, World};
use pivotsim::scenario;

fn default_model() -> CompiledScenario {
    let loaded = scenario::load_default().expect("the embedded default scenario is valid");
    CompiledScenario::new(&loaded.scenario).expect("the default horizon fits the calendar")
}

fn bench_replication(c: &mut Criterion) {
    let model = default_model();
    let mut group = c.benchmark_group("default_scenario");
    group
        .measurement_time(Duration::from_secs(8))
        .sample_size(20);

    let mut world = World::default();
    let mut replication = 0u64;
    group.bench_function("world_generation", |b| {
        b.iter(|| {
            replication += 1;
            world.generate(&model, 42, replication);
            black_box(world.segments.len())
        })
    });

    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut series = Vec::new();
    group.bench_function("replication_all_plans", |b| {
        b.iter(|| {
            replication += 1;
            model::simulate_replication(
                &model,
                42,
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
