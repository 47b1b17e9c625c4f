//! The scenario file: reading, typing and validating what the user wrote.
//!
//! Loading runs in three passes, each with located errors:
//! 1. [`source::parse`] reads YAML (serde-saphyr, with explicit budgets) into a located tree;
//! 2. the tree is deserialized into [`Scenario`] through `serde_path_to_error`, so a wrong type,
//!    a missing field or an unknown (misspelled) field is reported with its path and line;
//! 3. [`validate::validate`] checks ranges and physics.
//!
//! This layer knows nothing of the simulation; the model compiles a valid `Scenario` into its
//! own structures.

pub mod error;
pub mod source;
pub mod types;
pub mod validate;

use std::path::Path;

pub use error::{ErrorKind, ScenarioError};
pub use source::{Position, SourceDocument};
pub use types::*;

/// The embedded default scenario, the same file as `configs/default.yaml`.
pub const DEFAULT_SCENARIO_YAML: &str = include_str!("../../configs/default.yaml");

/// The name the embedded default goes by in messages and outputs.
pub const DEFAULT_SCENARIO_ORIGIN: &str = "<default scenario>";

/// A scenario that passed every check, with its source for provenance.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The typed, validated scenario.
    pub scenario: Scenario,
    /// The parsed document it came from (after any overrides).
    pub document: SourceDocument,
}

impl LoadedScenario {
    /// A stable 64-bit fingerprint of the effective scenario (FNV-1a over its canonical JSON),
    /// written `fnv1a64:<16 hex digits>`. Two runs with the same fingerprint, seed and version
    /// simulate the same thing.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_string(&self.scenario).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in canonical.as_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("fnv1a64:{hash:016x}")
    }
}

/// Reads, types and validates a scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let origin = path.display().to_string();
    let io_error = |message: String| {
        ScenarioError::new(&origin, "", Position::default(), ErrorKind::Io, message)
    };
    let meta = std::fs::metadata(path).map_err(|e| io_error(describe_io(&e)))?;
    if meta.is_dir() {
        return Err(io_error(
            "is a directory; expected a YAML scenario file".into(),
        ));
    }
    if meta.len() > source::MAX_FILE_BYTES as u64 {
        return Err(ScenarioError::new(
            &origin,
            "",
            Position::default(),
            ErrorKind::Limit,
            format!(
                "the file is {} bytes; the limit is {} bytes",
                meta.len(),
                source::MAX_FILE_BYTES
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(describe_io(&e)))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        io_error(format!(
            "is not UTF-8 text (invalid byte at offset {}); expected a YAML file",
            e.utf8_error().valid_up_to()
        ))
    })?;
    load_str(&text, &origin)
}

/// Reads, types and validates scenario text; `origin` names it in messages.
pub fn load_str(text: &str, origin: &str) -> Result<LoadedScenario, ScenarioError> {
    let document = source::parse(text, origin)?;
    from_document(document)
}

/// The embedded default scenario.
pub fn load_default() -> Result<LoadedScenario, ScenarioError> {
    load_str(DEFAULT_SCENARIO_YAML, DEFAULT_SCENARIO_ORIGIN)
}

/// Types and validates an already parsed (and possibly overridden) document.
pub fn from_document(document: SourceDocument) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario = match serde_path_to_error::deserialize(&document.value) {
        Ok(s) => s,
        Err(e) => return Err(typing_error(&document, &e)),
    };
    validate::validate(&scenario, &document)?;
    Ok(LoadedScenario { scenario, document })
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file; expected a path to a YAML scenario".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Turns a serde error into a located one, classifying it and completing its path.
fn typing_error(
    doc: &SourceDocument,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> ScenarioError {
    let mut path = e.path().to_string();
    if path == "." || path == "?" {
        path.clear();
    }
    let message = e.inner().to_string();
    // serde's messages name the offending key in backticks: `unknown field `x`, expected ...`.
    let quoted = message.split('`').nth(1).unwrap_or("").to_owned();
    let (kind, message, path) = if message.starts_with("unknown field") {
        let full = source::join_field(&path, &quoted);
        (
            ErrorKind::UnknownField,
            message.replacen("unknown field", "unknown field name", 1),
            full,
        )
    } else if message.starts_with("missing field") {
        let full = source::join_field(&path, &quoted);
        (
            ErrorKind::MissingField,
            format!(
                "this required field is missing (in {})",
                describe_parent(&path)
            ),
            full,
        )
    } else {
        (ErrorKind::Type, message, path)
    };
    let position = doc.map.position(&path);
    ScenarioError::new(&doc.origin, &path, position, kind, message)
}

fn describe_parent(path: &str) -> String {
    if path.is_empty() {
        "the top level of the file".into()
    } else {
        format!("`{path}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_loads() {
        let loaded = load_default().unwrap();
        assert!(!loaded.scenario.plans.is_empty());
        assert!(loaded.fingerprint().starts_with("fnv1a64:"));
    }
}
