//! Throughput of the engine on an M/M/c/c loss system (the model of `examples/mmcc/model.rs`),
//! 100,000 simulated hours per iteration, reported in events per second.
//!
//! Cores are shared, so measurement is short (10 samples, 5 s); compare ratios within one run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/mmcc/model.rs"]
mod model;

use model::{REFERENCE, erlang_b, simulate};

const HOURS: u64 = 100_000;
const SEED: u64 = 1;

fn mmcc(c: &mut Criterion) {
    // One untimed run fixes the event count for the throughput figure and guards against
    // benchmarking a broken model: at 100,000 hours the blocking fraction is within ~0.003 of
    // Erlang B(10, 9) ≈ 0.168, so 0.01 only fails on a real defect.
    let out = match simulate(SEED, HOURS, REFERENCE) {
        Ok(out) => out,
        Err(e) => panic!("invalid benchmark parameters: {e}"),
    };
    let exact = erlang_b(
        REFERENCE.servers,
        REFERENCE.lambda_per_hour / REFERENCE.mu_per_hour,
    );
    assert!(
        (out.blocking() - exact).abs() < 0.01,
        "blocking {} vs {exact}",
        out.blocking()
    );

    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(out.events));
    group.bench_function("mmcc_100k_hours", |b| {
        b.iter(|| simulate(black_box(SEED), black_box(HOURS), REFERENCE))
    });
    group.finish();
}

criterion_group!(benches, mmcc);
criterion_main!(benches);
