//! The scenario file: reading, typing and validating what the user wrote.
//!
//! Loading runs in three passes, each with located errors:
//! 1. [`source::parse`] reads YAML (serde-saphyr, with explicit budgets) into a located tree;
//! 2. the tree is deserialized into [`Scenario`] through `serde_path_to_error`, so a wrong type,
//!    a missing field or an unknown (misspelled) field is reported with its path and line;
//! 3. [`resolve::validate`] checks every field's declared range ([`ranges`], read from the
//!    same attributes that give the JSON Schema its bounds), then what needs more than one
//!    field: names and references, dates within the horizon, and physics.
//!
//! This layer knows nothing of the simulation; the model compiles a valid `Scenario` into its
//! own structures.
#![warn(missing_docs)]

pub mod error;
pub mod field;
pub mod history;
pub mod names;
pub mod overrides;
pub mod ranges;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod trace;
pub mod types;

use std::path::Path;

pub use error::{ErrorKind, ScenarioError};
pub use source::{Position, SourceDocument};
pub use types::*;

/// The embedded default scenario, the same file as `configs/default.yaml`.
pub const DEFAULT_SCENARIO_YAML: &str = include_str!("../../../configs/default.yaml");

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
        self.scenario.fingerprint()
    }
}

impl Scenario {
    /// See [`LoadedScenario::fingerprint`].
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        format!("fnv1a64:{:016x}", fnv1a64(canonical.as_bytes()))
    }

    /// Reads back a scenario echoed as JSON (`summary.json`'s `effective`, a shard's
    /// manifest) and checks it again, without reading any file it names.
    pub fn from_echo(value: &serde_json::Value, origin: &str) -> Result<Scenario, ScenarioError> {
        let document = SourceDocument {
            origin: origin.to_owned(),
            value: value.clone(),
            map: source::SourceMap::default(),
        };
        let scenario: Scenario = serde_path_to_error::deserialize(&document.value)
            .map_err(|e| typing_error(&document, &e))?;
        resolve::validate(&scenario, &document)?;
        Ok(scenario)
    }
}

/// The 64-bit FNV-1a hash of `bytes`: a stable digest for fingerprints and file checks (not
/// cryptographic).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_update(FNV1A64_OFFSET, bytes)
}

/// The FNV-1a 64 starting value, for hashing a stream in pieces with [`fnv1a64_update`].
pub const FNV1A64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Continues an FNV-1a 64 hash over `bytes`: hashing a stream piece by piece from
/// [`FNV1A64_OFFSET`] gives [`fnv1a64`] of the whole.
pub fn fnv1a64_update(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Reads, types and validates a scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    load_file_with(path, &[])
}

/// Reads a scenario file (or the embedded default when `path` is None), applies `--set`
/// overrides to the document, then types and validates the result.
pub fn load_with(
    path: Option<&Path>,
    overrides: &[overrides::Override],
) -> Result<LoadedScenario, ScenarioError> {
    match path {
        Some(path) => load_file_with(path, overrides),
        None => {
            let mut document = source::parse(DEFAULT_SCENARIO_YAML, DEFAULT_SCENARIO_ORIGIN)?;
            overrides::apply(&mut document, overrides)?;
            from_document(document)
        }
    }
}

fn load_file_with(
    path: &Path,
    overrides: &[overrides::Override],
) -> Result<LoadedScenario, ScenarioError> {
    from_document(read_document(path, overrides)?)
}

/// Reads and parses a scenario file and applies `--set` overrides, before typing.
fn read_document(
    path: &Path,
    overrides: &[overrides::Override],
) -> Result<SourceDocument, ScenarioError> {
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
    let bytes = read_capped(path, source::MAX_FILE_BYTES as u64)
        .map_err(|e| io_error(describe_io(&e)))?
        .ok_or_else(|| {
            ScenarioError::new(
                &origin,
                "",
                Position::default(),
                ErrorKind::Limit,
                format!(
                    "the file holds more than {} bytes, the limit",
                    source::MAX_FILE_BYTES
                ),
            )
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        io_error(format!(
            "is not UTF-8 text (invalid byte at offset {}); expected a YAML file",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let mut document = source::parse(&text, &origin)?;
    overrides::apply(&mut document, overrides)?;
    Ok(document)
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

/// Like [`load_with`], but reports as many independent problems as can be found without one
/// causing another (at most `limit`): a file that cannot be read or parsed, or an override
/// that cannot apply, is one problem; every unknown field is reported and set aside, which
/// lets typing go on to the next problem; the first other typing error (a wrong type, a
/// missing field) ends typing; a typed scenario then has every value out of range reported,
/// and, when none is, its first reference or consistency problem (those checks assume the
/// ranges hold and build on each other, so only the first is sure not to be a consequence).
pub fn check_with(
    path: Option<&Path>,
    overrides: &[overrides::Override],
    limit: usize,
) -> Result<LoadedScenario, Vec<ScenarioError>> {
    let limit = limit.max(1);
    let document = match path {
        Some(path) => read_document(path, overrides),
        None => source::parse(DEFAULT_SCENARIO_YAML, DEFAULT_SCENARIO_ORIGIN).and_then(|mut d| {
            overrides::apply(&mut d, overrides)?;
            Ok(d)
        }),
    };
    let mut document = document.map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    let typed = loop {
        match serde_path_to_error::deserialize::<_, Scenario>(&document.value) {
            Ok(scenario) => break Some(scenario),
            Err(e) => {
                problems.push(typing_error(&document, &e));
                let message = e.inner().to_string();
                // A misspelt key is read as the key it likely means, so that key is not then
                // reported missing; any other unknown key is set aside.
                let set_aside = message.starts_with("unknown field")
                    && set_aside_key(
                        &mut document.value,
                        &e.path().iter().collect::<Vec<_>>(),
                        &quoted_key(&message).0,
                        suggested_key(&message).as_deref(),
                    );
                if !set_aside || problems.len() >= limit {
                    break None;
                }
            }
        }
    };
    let Some(scenario) = typed else {
        sort_by_position(&mut problems);
        return Err(problems);
    };
    let out_of_range = ranges::check_all(&scenario, &document);
    if out_of_range.is_empty() {
        match from_document(document) {
            Ok(loaded) if problems.is_empty() => return Ok(loaded),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    } else {
        problems.extend(out_of_range);
    }
    sort_by_position(&mut problems);
    problems.truncate(limit);
    Err(problems)
}

/// Problems in file order, as a reader fixes them; those without a line (from an override)
/// last.
fn sort_by_position(problems: &mut [ScenarioError]) {
    problems.sort_by_key(|p| (p.position.line == 0, p.position.line, p.position.column));
}

/// Removes the mapping key `key` found by following serde's `path` (which may end at the key
/// or at the mapping holding it), keeping its value under `rename` when given and free;
/// whether the key was there.
fn set_aside_key(
    value: &mut serde_json::Value,
    path: &[&serde_path_to_error::Segment],
    key: &str,
    rename: Option<&str>,
) -> bool {
    use serde_path_to_error::Segment;
    let at_key = match path {
        [] => true,
        [Segment::Map { key: last }] => last == key,
        _ => false,
    };
    if at_key {
        if let Some(map) = value.as_object_mut() {
            if let Some(taken) = map.remove(key) {
                if let Some(name) = rename.filter(|n| !map.contains_key(*n)) {
                    map.insert(name.to_owned(), taken);
                }
                return true;
            }
        }
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    match first {
        Segment::Map { key: k } => value
            .get_mut(k.as_str())
            .is_some_and(|v| set_aside_key(v, rest, key, rename)),
        Segment::Seq { index } => value
            .get_mut(*index)
            .is_some_and(|v| set_aside_key(v, rest, key, rename)),
        Segment::Enum { .. } => set_aside_key(value, rest, key, rename),
        Segment::Unknown => false,
    }
}

/// For serde's `unknown field `x`, expected one of `a`, `b``: the expected key closest to
/// `x`, when one is close enough to be a likely typo.
fn suggested_key(message: &str) -> Option<String> {
    let (quoted, rest) = quoted_key(message);
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    names::closest(&quoted, expected).map(str::to_owned)
}

/// The key serde quotes in backticks at the start of `message` (`unknown field `x`, expected
/// ...`), and the rest of the message after it. The key is the user's and may itself hold a
/// backtick, so it ends where serde's own text resumes.
fn quoted_key(message: &str) -> (String, String) {
    let (quoted, rest) = match message.split_once('`') {
        Some((_, body)) => ["`, expected", "`, there are no fields", "`"]
            .iter()
            .find_map(|end| body.find(end))
            .map_or((body, ""), |at| {
                (&body[..at], body[at + 1..].trim_start_matches(", "))
            }),
        None => ("", ""),
    };
    (quoted.to_owned(), rest.to_owned())
}

/// Types and validates an already parsed (and possibly overridden) document.
pub fn from_document(document: SourceDocument) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario = match serde_path_to_error::deserialize(&document.value) {
        Ok(s) => s,
        Err(e) => return Err(typing_error(&document, &e)),
    };
    if let Ok(typed) = serde_json::to_value(&scenario) {
        reject_lists_as_mappings(&document, &document.value, &typed, "")?;
    }
    let mut scenario = scenario;
    trace::load_traces(&mut scenario, &document)?;
    history::load_histories(&mut scenario, &document)?;
    resolve::validate(&scenario, &document)?;
    Ok(LoadedScenario { scenario, document })
}

/// Reads `path` whole if it holds at most `limit` bytes; `Ok(None)` if it holds more. The
/// size in the metadata is not enough: a device or a pipe (`/dev/zero`, `/dev/urandom`, a
/// FIFO) reports 0 bytes and may never end, so the read itself stops at the limit.
pub(crate) fn read_capped(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file; expected a path to a YAML scenario".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Turns a serde error into a located one, classifying it, completing its path, and saying
/// what was expected in the user's words rather than Rust's (`a number`, not `f64`).
fn typing_error(
    doc: &SourceDocument,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> ScenarioError {
    let mut path = e.path().to_string();
    if path == "." || path == "?" {
        path.clear();
    }
    let message = e.inner().to_string();
    let (quoted, rest) = quoted_key(&message);
    let with_field = |path: &str| {
        if path == quoted || path.ends_with(&format!(".{quoted}")) {
            path.to_owned()
        } else {
            source::join_field(path, &quoted)
        }
    };
    let (kind, message, path) = if message.starts_with("unknown field") {
        let full = with_field(&path);
        // serde quotes the user's key as written; quote it as every message does (escaped
        // and bounded) and keep serde's list of the expected fields.
        // serde lists the expected keys in backticks: the closest is likely what was meant.
        let hint = suggested_key(&message)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        let message = format!(
            "unknown field name `{}`{hint}, {rest}",
            names::shown(&quoted)
        );
        (ErrorKind::UnknownField, message, full)
    } else if message.starts_with("missing field") {
        let full = with_field(&path);
        let message = format!(
            "this required field is missing (in {})",
            describe_parent(&path)
        );
        (ErrorKind::MissingField, message, full)
    } else {
        (ErrorKind::Type, humanize_serde(&message), path)
    };
    doc.error_at(&path, kind, message)
}

/// Rewrites serde's `invalid type: X, expected Y` in plain words.
fn humanize_serde(message: &str) -> String {
    let body = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    let Some((got, expected)) = body.and_then(|b| b.rsplit_once(", expected ")) else {
        return message.to_owned();
    };
    let expected = match expected.trim() {
        "f64" | "f32" => "a number".to_owned(),
        "u32" => "a whole number from 0 to 4294967295".to_owned(),
        "u64" => "a whole number from 0 to 18446744073709551615".to_owned(),
        "u16" => "a whole number from 0 to 65535".to_owned(),
        "i64" | "i32" => "a whole number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "a string" => "text".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "a mapping".to_owned(),
        e if e.starts_with("struct ") => "a mapping of fields".to_owned(),
        e => e.to_owned(),
    };
    let got = got.trim();
    let got = if let Some(text) = got.strip_prefix("string ") {
        // serde quotes the text as Rust's `Debug` does (escaped), but in full.
        format!("the text {}", names::bounded(text, names::MAX_SHOWN_CHARS))
    } else if got == "null" || got == "unit value" {
        "nothing (an empty value)".to_owned()
    } else if got == "sequence" {
        "a list".to_owned()
    } else if got == "map" {
        "a mapping".to_owned()
    } else {
        // "integer `-7000`", "floating point `600.5`", "boolean `true`": keep the value.
        got.split('`')
            .nth(1)
            .map_or_else(|| got.to_owned(), |v| v.to_owned())
    };
    format!("expected {expected}, got {got}")
}

/// serde lets a list fill a struct by position (`ppa: [35, 0.5]`), which would silently bind
/// values to the wrong fields. Walk the input beside the typed result and refuse any list that
/// became a mapping.
fn reject_lists_as_mappings(
    doc: &SourceDocument,
    input: &serde_json::Value,
    typed: &serde_json::Value,
    path: &str,
) -> Result<(), ScenarioError> {
    use serde_json::Value;
    match (input, typed) {
        (Value::Array(_), Value::Object(fields)) => {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            Err(doc.error_at(
                path,
                ErrorKind::Type,
                format!(
                    "expected a mapping with the fields {}, got a list",
                    names.join(", ")
                ),
            ))
        }
        (Value::Object(given), Value::Object(fields)) => {
            for (key, value) in given {
                if let Some(t) = fields.get(key) {
                    reject_lists_as_mappings(doc, value, t, &source::join_field(path, key))?;
                }
            }
            Ok(())
        }
        (Value::Array(given), Value::Array(items)) => {
            for (i, (value, t)) in given.iter().zip(items).enumerate() {
                reject_lists_as_mappings(doc, value, t, &source::join_index(path, i))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
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
