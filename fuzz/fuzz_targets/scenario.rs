//! Fuzz target: arbitrary bytes as a scenario file, through everything a user's file reaches.
//!
//! pivotsim reads files written by people and by scripts, and must never crash on them
//! (issue #8). This target feeds libFuzzer's bytes to the same public API the CLI uses:
//! UTF-8 decoding, [`scenario::load_str`] (YAML under budgets, typing, trace loading,
//! validation), then, for a scenario that validates, compilation with every stress selected
//! and one replication of every plan, in which debug builds check the physical invariants and
//! the accounting identity after every event. Anything that panics, overflows, aborts, runs
//! past libFuzzer's `-timeout` or exceeds its `-rss_limit_mb` is a finding. Build it with
//! debug assertions (`cargo fuzz build -a`, as `scripts/fuzz-smoke.sh` does) so that overflow
//! checks and the invariant checks are on.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pivotsim::model::{self, CompiledScenario};
use pivotsim::scenario;

/// Longest horizon simulated, years. Validation accepts up to 50; the cost of a replication
/// is linear in the horizon (hourly prices, daily failure draws, monthly books). One
/// replication of the 10-year shipped configs takes about 0.1 s in the instrumented build, a
/// 50-year one with many fleets several seconds, which would make the fuzzer spend its time on
/// a few slow inputs. Longer valid scenarios are still parsed, validated and compiled; only
/// the run is skipped. Ten years covers every shipped config (so the seeds are simulated) and
/// every event kind (halvings, lease terms and debt maturities fall within it).
const MAX_SIMULATED_YEARS: u32 = 10;

/// Most halls, fleets and plans simulated (each is a multiplier on the events of a run).
const MAX_SIMULATED_HALLS: usize = 16;
const MAX_SIMULATED_FLEETS: usize = 32;
const MAX_SIMULATED_PLANS: usize = 8;

/// Most expected AI inquiries simulated (validation accepts up to 20,000 over the horizon;
/// each is a few events).
const MAX_SIMULATED_INQUIRIES: f64 = 2_000.0;

fuzz_target!(|data: &[u8]| {
    // Same decoding as `scenario::load_file`: bytes that are not UTF-8 are refused there, so
    // only text goes further.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = scenario::load_str(text, "<fuzz>") else {
        return;
    };
    // A valid scenario's provenance must be computable (serialization of every value).
    assert!(loaded.fingerprint().starts_with("fnv1a64:"));
    let s = &loaded.scenario;
    // In the busiest regime, as validation counts them.
    let inquiries = s.market.ai.as_ref().map_or(0.0, |ai| {
        ai.inquiries.rate_per_year
            * ai.regimes.bust_inquiry_factor.max(1.0)
            * f64::from(s.horizon_years)
    });
    let halls: usize = s.sites.iter().map(|site| site.halls.len()).sum();
    let fleets: usize = s
        .sites
        .iter()
        .flat_map(|site| &site.halls)
        .map(|hall| hall.asics.len())
        .sum();
    let stresses: Vec<String> = s.stresses.iter().map(|st| st.name.clone()).collect();
    // Compilation is cheap and not capped: validation promises it succeeds.
    let model = CompiledScenario::with_stresses(s, &stresses)
        .expect("a validated scenario with its own stresses compiles");
    if s.horizon_years > MAX_SIMULATED_YEARS
        || halls > MAX_SIMULATED_HALLS
        || fleets > MAX_SIMULATED_FLEETS
        || model.plans.len() > MAX_SIMULATED_PLANS
        || inquiries > MAX_SIMULATED_INQUIRIES
    {
        return;
    }
    let mut scratch = model::Scratch::default();
    let mut metrics = Vec::new();
    let mut series = Vec::new();
    // A scenario without a seed gets one drawn at run time; any fixed one will do here.
    let seed = s.seed.unwrap_or(0);
    model::simulate_replication(&model, seed, 0, &mut scratch, &mut metrics, &mut series);
    assert_eq!(metrics.len(), model.plans.len());
    assert_eq!(
        series.len(),
        model.plans.len() * model::months_per_run(&model) * model::Series::ALL.len()
    );
});
