//! How much memory the run statistics hold after a Monte Carlo run of the default scenario,
//! counted in bins: what grows with the run count (docs/performance.md, the five targets).
//!
//! `cargo run --release --example statistics_memory -- 10000` (the run count; 2 threads,
//! control variates on, rows discarded). Prints the bins of the per-metric quantile sketches
//! (plans, and every plan's differences and returns against the baseline) and of the monthly
//! band sketches, with the largest sketches.

use pivotsim::model::{CompiledScenario, Metric};
use pivotsim::montecarlo::{self, RunOptions};

fn main() {
    let runs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let loaded =
        pivotsim::scenario::load_default().expect("the embedded default scenario is valid");
    let model = CompiledScenario::new(&loaded.scenario).expect("the default scenario compiles");
    let mut options = RunOptions::new(runs, 20_260_301, 2);
    options.control_variates = true;
    let result = montecarlo::run_in_pool(&model, &options, |_| Ok::<(), ()>(()), |_| {})
        .expect("a pool of two threads")
        .expect("the sink never fails");
    let mut sketches: Vec<(usize, String)> = Vec::new();
    for plan in &result.plans {
        for (metric, acc) in Metric::ALL.iter().zip(&plan.metrics) {
            let bins = acc.sketch().allocated_bins();
            sketches.push((bins, format!("{} {}", plan.name, metric.key())));
        }
    }
    for pair in &result.pairs {
        let name = &result.plans[pair.a].name;
        for (metric, acc) in Metric::ALL.iter().zip(&pair.metrics) {
            let bins = acc.diff().sketch().allocated_bins();
            sketches.push((bins, format!("{name} − baseline, {}", metric.key())));
        }
        for acc in &pair.returns {
            sketches.push((acc.sketch().allocated_bins(), format!("{name} returns")));
        }
    }
    let total: usize = sketches.iter().map(|s| s.0).sum();
    let bands = result.timeseries.allocated_bins();
    println!("{runs} runs");
    println!(
        "metric sketches: {total} bins ({:.1} MB of 32-bit counts)",
        total as f64 * 4.0 / 1e6
    );
    println!(
        "monthly bands:   {bands} bins ({:.1} MB of 32-bit counts)",
        bands as f64 * 4.0 / 1e6
    );
    sketches.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    println!("largest sketches:");
    for (bins, name) in sketches.iter().take(5) {
        println!("  {bins:>6} {name}");
    }
}
