//! Fuzz target: arbitrary `--set PATH=VALUE` overrides on the embedded default scenario.
//!
//! `--set` edits the parsed document before it is typed and validated (issue #20), so every
//! override reaches the path parser, the document walk (keys, indices, new keys), the YAML
//! flow-value parser, and then typing, validation and compilation of the edited scenario.
//! Each line of the input is one override as a user would type it after `--set`. Anything
//! that panics, overflows or runs past libFuzzer's limits is a finding; a refusal is not.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pivotsim::model::CompiledScenario;
use pivotsim::scenario::{self, overrides};

/// Most overrides applied from one input (a user passes a handful).
const MAX_OVERRIDES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parsed = Vec::new();
    for line in text.lines().take(MAX_OVERRIDES) {
        match overrides::parse(line) {
            Ok(o) => parsed.push(o),
            // A malformed override is refused with a message naming it, never a panic.
            Err(e) => {
                assert!(!e.to_string().is_empty());
                return;
            }
        }
    }
    let Ok(loaded) = scenario::load_with(None, &parsed) else {
        return;
    };
    assert!(loaded.fingerprint().starts_with("fnv1a64:"));
    // Validation promises compilation succeeds for every stress the scenario names.
    let stresses: Vec<String> = loaded
        .scenario
        .stresses
        .iter()
        .map(|s| s.name.clone())
        .collect();
    CompiledScenario::with_stresses(&loaded.scenario, &stresses)
        .expect("a validated scenario compiles");
});
