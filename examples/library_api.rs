//! Using pivotsim as a library: build a scenario in code, run a Monte Carlo, read the results.
//!
//! `cargo run --release --example library_api`
//!
//! It starts from the embedded default scenario, changes it in code (a smaller site with a
//! cheaper power contract), runs 200 replications on all cores, and prints the NPV
//! distribution of each plan: no files are written.

use pivotsim::model::{CompiledScenario, Metric};
use pivotsim::montecarlo::{self, RunOptions};
use pivotsim::scenario;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Load the default and edit it as plain Rust data.
    let mut loaded = scenario::load_default()?;
    let s = &mut loaded.scenario;
    s.name = "Library example: half the fleet, a cheaper PPA".into();
    for site in &mut s.sites {
        if let Some(ppa) = &mut site.ppa {
            ppa.price_usd_per_mwh = 28.0;
        }
        for hall in &mut site.halls {
            for fleet in &mut hall.asics {
                fleet.units /= 2;
            }
        }
    }
    // Changes made in code are checked by the same validation as a file.
    let loaded = scenario::from_document(scenario::SourceDocument {
        origin: "<library example>".into(),
        value: serde_json::to_value(&loaded.scenario)?,
        map: Default::default(),
    })?;

    let model = CompiledScenario::new(&loaded.scenario)?;
    let opts = RunOptions::new(200, 7, 0);
    // The sink sees every replication's metrics as they arrive; here we only count them.
    let mut rows = 0u64;
    let result = montecarlo::run(
        &model,
        &opts,
        |_row| {
            rows += 1;
            Ok::<(), std::convert::Infallible>(())
        },
        |_done| {},
    )?;

    println!("{}: {rows} replications", loaded.scenario.name);
    for plan in &result.plans {
        let npv = plan.metric(Metric::Npv).summarize().ok_or("no runs")?;
        println!(
            "plan {:<14} NPV mean ${:.1}M (P5 ${:.1}M, P95 ${:.1}M); mean hashprice ${:.2}/PH/day",
            plan.name,
            npv.mean / 1e6,
            npv.percentiles.p5 / 1e6,
            npv.percentiles.p95 / 1e6,
            plan.metric(Metric::MeanHashprice)
                .summarize()
                .map_or(f64::NAN, |s| s.mean),
        );
    }
    Ok(())
}
