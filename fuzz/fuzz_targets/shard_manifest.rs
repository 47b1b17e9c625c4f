//! Fuzz target: arbitrary bytes as a shard's `shard.json`, through what `pivotsim merge` does
//! with one before it writes anything.
//!
//! A shard folder may come from another machine, an old version or a damaged disk, and its
//! statistics digest is a checksum, not a signature: anyone can recompute it. So everything
//! after the digest check must hold up by itself (issue #20): the manifest's typing, the
//! accumulators' own consistency checks when they deserialize, the scenario echo (typed and
//! validated like a file), its compilation with the recorded stresses, the statistics' shape
//! against that scenario, an exact merge, and the summary merge writes. Anything that
//! panics, overflows or runs past libFuzzer's limits is a finding; a refusal is not.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pivotsim::model::{self, CompiledScenario};
use pivotsim::report::shard::ShardManifest;
use pivotsim::report::summary::Summary;
use pivotsim::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = serde_json::from_slice::<ShardManifest>(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_echo(&manifest.scenario, "<fuzz shard.json>") else {
        return;
    };
    let Ok(model) = CompiledScenario::with_stresses(&scenario, &manifest.stresses) else {
        return;
    };
    let months = model::months_per_run(&model);
    let part = &manifest.statistics;
    if part.check_shape(&model.plans, months).is_err() {
        return;
    }
    // Two shards with these statistics merge exactly, and the summary can be written.
    let mut total = part.clone();
    total.merge(part).expect("a shard merges with a copy of itself");
    let labels: Vec<String> = (0..months).map(|k| k.to_string()).collect();
    let summary = Summary::new(&scenario, &total, &labels);
    serde_json::to_string(&summary).expect("the summary serializes");
});
