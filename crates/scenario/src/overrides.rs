//! `--set PATH=VALUE`: changes to a parsed scenario document, applied before typing and
//! validation, so an override is checked exactly like a value written in the file.
//!
//! Paths are written as in error messages: `market.bitcoin.volatility`, `sites[0].grid_mw`,
//! `plans[1].actions[0].at`. The value is read as a YAML flow value: `0.6`, `true`, `ai-bust`,
//! `"2027-01-01"`, `[1, 2]`, `{kind: fixed, value: 3}`. An override may replace any existing
//! value or add a key to an existing mapping (an unknown key is then refused by the typing
//! pass, naming the path); a list index must already exist.

use crate::error::{ErrorKind, ScenarioError};
use crate::names::shown;
use crate::source::{self, Position, SourceDocument};

/// One `PATH=VALUE` override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The path as typed.
    pub path: String,
    /// The value, parsed.
    pub value: serde_json::Value,
    /// How the user gave it, for messages about the value it sets: `--set PATH=VALUE` as
    /// typed, or the option it stands for (`--runs 500`).
    pub given_as: String,
}

impl Override {
    /// An override made by the program rather than typed (`--runs 500` is `runs=500`).
    pub fn new(path: &str, value: impl Into<serde_json::Value>) -> Self {
        let value = value.into();
        Override {
            given_as: format!("--set {path}={value}"),
            path: path.to_owned(),
            value,
        }
    }

    /// The override an option stands for: `Override::for_option("--runs", "runs", 500)` sets
    /// `runs` and is named `--runs 500` in messages.
    pub fn for_option(option: &str, path: &str, value: impl Into<serde_json::Value>) -> Self {
        let value = value.into();
        Override {
            given_as: format!("{option} {value}"),
            path: path.to_owned(),
            value,
        }
    }
}

/// One step of a path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Origin shown in messages about an override itself.
const ORIGIN: &str = "--set";

fn override_error(path: &str, message: String) -> ScenarioError {
    ScenarioError::new(
        ORIGIN,
        path,
        Position::default(),
        ErrorKind::Override,
        message,
    )
}

/// Parses `PATH=VALUE`.
pub fn parse(text: &str) -> Result<Override, ScenarioError> {
    let Some((path, value)) = text.split_once('=') else {
        return Err(override_error(
            "",
            format!(
                "`{}`: expected PATH=VALUE, e.g. market.bitcoin.volatility=0.6",
                shown(text)
            ),
        ));
    };
    let path = path.trim();
    steps(path)?;
    let value_text = value.trim();
    if value_text.is_empty() {
        return Err(override_error(
            path,
            "expected a value after `=` (write \"\" for an empty string)".into(),
        ));
    }
    // Read as the value of a one-key mapping, so a scalar parses as a scalar (the scenario
    // parser insists on a mapping at the top) with the same budgets and number rules.
    let document = source::parse(&format!("value: {value_text}"), ORIGIN).map_err(|e| {
        override_error(
            path,
            format!(
                "cannot read the value `{}`: {}",
                shown(value_text),
                e.message
            ),
        )
    })?;
    let value = document
        .value
        .get("value")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    Ok(Override {
        path: path.to_owned(),
        value,
        given_as: format!("--set {text}"),
    })
}

/// Splits a path into steps, refusing empty keys and malformed indices.
fn steps(path: &str) -> Result<Vec<Step>, ScenarioError> {
    let bad = |what: &str| {
        override_error(
            path,
            format!("{what}; expected a path like market.bitcoin.volatility or sites[0].grid_mw"),
        )
    };
    if path.is_empty() {
        return Err(bad("the path is empty"));
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (out.is_empty() || rest.is_empty()) {
            return Err(bad("a key is empty"));
        }
        if !key.is_empty() {
            out.push(Step::Key(key.to_owned()));
        }
        while !rest.is_empty() {
            let Some(close) = rest.find(']') else {
                return Err(bad("a `[` is not closed"));
            };
            let index: usize = rest[1..close]
                .parse()
                .map_err(|_| bad(&format!("`{}` is not a list index", shown(&rest[1..close]))))?;
            out.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad("unexpected text after `]`"));
            }
        }
    }
    Ok(out)
}

/// Applies overrides in order. The overridden paths lose their file positions (messages about
/// them name the path without a line).
pub fn apply(document: &mut SourceDocument, overrides: &[Override]) -> Result<(), ScenarioError> {
    for o in overrides {
        let steps = steps(&o.path)?;
        let mut node = &mut document.value;
        let mut walked = String::new();
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            node = match step {
                Step::Key(key) => {
                    walked = if walked.is_empty() {
                        key.clone()
                    } else {
                        source::join_field(&walked, key)
                    };
                    let serde_json::Value::Object(map) = node else {
                        return Err(override_error(
                            &o.path,
                            format!(
                                "`{}` is {}, not a mapping with a `{}` key",
                                shown(parent_or_root(&walked)),
                                source::describe_json(node),
                                shown(key)
                            ),
                        ));
                    };
                    if !last && !map.contains_key(key) {
                        return Err(override_error(
                            &o.path,
                            format!(
                                "`{}` is not in the scenario; only the last key of a path may be new",
                                shown(&walked)
                            ),
                        ));
                    }
                    map.entry(key.clone()).or_insert(serde_json::Value::Null)
                }
                Step::Index(index) => {
                    walked = source::join_index(&walked, *index);
                    let serde_json::Value::Array(items) = node else {
                        return Err(override_error(
                            &o.path,
                            format!(
                                "`{}` is {}, not a list",
                                shown(parent_or_root(&walked)),
                                source::describe_json(node)
                            ),
                        ));
                    };
                    let len = items.len();
                    items.get_mut(*index).ok_or_else(|| {
                        override_error(
                            &o.path,
                            format!(
                                "index {index} is out of range: `{}` has {len} item(s)",
                                shown(parent_or_root(&walked))
                            ),
                        )
                    })?
                }
            };
        }
        *node = o.value.clone();
        document.map.insert_override(walked, &o.given_as);
    }
    Ok(())
}

/// The wildcard that stands for every item of a list in [`expand`].
pub const EVERY_ITEM: &str = "[*]";

/// The paths of `document` that `pattern` names: the pattern itself when it names a value
/// there (not null), or, with [`EVERY_ITEM`] in place of list indices, every path of that shape
/// whose value exists, in document order. Empty when none does; an error when the pattern is
/// malformed.
pub fn expand(document: &serde_json::Value, pattern: &str) -> Result<Vec<String>, ScenarioError> {
    let Some((prefix, rest)) = pattern.split_once(EVERY_ITEM) else {
        let found = lookup(document, &steps(pattern)?).is_some_and(|v| !v.is_null());
        return Ok(if found {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        });
    };
    let items = if prefix.is_empty() {
        None
    } else {
        lookup(document, &steps(prefix)?).and_then(serde_json::Value::as_array)
    };
    let mut paths = Vec::new();
    for i in 0..items.map_or(0, Vec::len) {
        paths.extend(expand(document, &format!("{prefix}[{i}]{rest}"))?);
    }
    Ok(paths)
}

/// The value `path` names in `document`, if there is one (no wildcards).
pub fn value_at<'v>(document: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    lookup(document, &steps(path).ok()?)
}

/// The value at `steps` in `node`, if there is one.
fn lookup<'v>(mut node: &'v serde_json::Value, steps: &[Step]) -> Option<&'v serde_json::Value> {
    for step in steps {
        node = match step {
            Step::Key(key) => node.as_object()?.get(key)?,
            Step::Index(i) => node.as_array()?.get(*i)?,
        };
    }
    Some(node)
}

fn parent_or_root(path: &str) -> &str {
    match source::parent_path(path) {
        Some("") | None => "the scenario",
        Some(parent) => parent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate as scenario;

    fn set(overrides: &[&str]) -> Result<scenario::LoadedScenario, ScenarioError> {
        let parsed: Vec<Override> = overrides
            .iter()
            .map(|t| parse(t))
            .collect::<Result<_, _>>()?;
        let mut doc = source::parse(scenario::DEFAULT_SCENARIO_YAML, "default.yaml")?;
        apply(&mut doc, &parsed)?;
        scenario::from_document(doc)
    }

    #[test]
    fn wildcards_expand_to_the_paths_the_document_writes() {
        let doc = source::parse(scenario::DEFAULT_SCENARIO_YAML, "default.yaml").unwrap();
        // The default scenario writes `capex_usd_per_mw` on the two conversions of its second
        // plan and on the conversion rule of its third; the first plan converts nothing.
        assert_eq!(
            expand(&doc.value, "plans[*].actions[*].capex_usd_per_mw").unwrap(),
            [
                "plans[1].actions[0].capex_usd_per_mw",
                "plans[1].actions[1].capex_usd_per_mw"
            ]
        );
        assert_eq!(
            expand(&doc.value, "plans[*].rules[*].capex_usd_per_mw").unwrap(),
            ["plans[2].rules[0].capex_usd_per_mw"]
        );
        assert_eq!(
            expand(&doc.value, "market.bitcoin.volatility").unwrap(),
            ["market.bitcoin.volatility"]
        );
        assert!(
            expand(&doc.value, "market.bitcoin.volatilty")
                .unwrap()
                .is_empty()
        );
        assert!(expand(&doc.value, "market..x").is_err());
    }

    /// `--runs` and `--seed` are overrides made by the program: checked like a value in the
    /// file, against the range declared on the field.
    #[test]
    fn program_overrides_are_checked_like_the_file() {
        let mut doc = source::parse(scenario::DEFAULT_SCENARIO_YAML, "default.yaml").unwrap();
        apply(&mut doc, &[Override::new("runs", 0_u64)]).unwrap();
        let e = scenario::from_document(doc).unwrap_err();
        assert_eq!(e.path, "runs");
        assert_eq!(e.kind, ErrorKind::Range);
        assert_eq!(
            e.message,
            "expected a whole number from 1 to 100000000, got 0"
        );

        let mut doc = source::parse(scenario::DEFAULT_SCENARIO_YAML, "default.yaml").unwrap();
        let given = [Override::new("runs", 7_u64), Override::new("seed", 42_u64)];
        apply(&mut doc, &given).unwrap();
        let loaded = scenario::from_document(doc).unwrap();
        assert_eq!((loaded.scenario.runs, loaded.scenario.seed), (7, Some(42)));
    }

    #[test]
    fn values_reach_the_typed_scenario() {
        let loaded = set(&[
            "market.bitcoin.volatility=0.6",
            "sites[0].grid_mw=150",
            "horizon_years=3",
            "name=overridden",
        ])
        .unwrap();
        assert_eq!(loaded.scenario.market.bitcoin.volatility, 0.6);
        assert_eq!(loaded.scenario.sites[0].grid_mw, 150.0);
        assert_eq!(loaded.scenario.horizon_years, 3);
        assert_eq!(loaded.scenario.name, "overridden");
    }

    #[test]
    fn bad_overrides_name_the_path_and_what_was_expected() {
        let message = |o: &str| set(&[o]).unwrap_err().to_string();
        assert!(message("volatility").contains("expected PATH=VALUE"));
        assert!(message("sites[9].grid_mw=1").contains("index 9 is out of range"));
        assert!(message("market.bitcoin.volatilty=0.5").contains("volatilty"));
        assert!(message("market.nothere.x=1").contains("`market.nothere` is not in the scenario"));
        assert!(message("sites[x].grid_mw=1").contains("not a list index"));
        assert!(message("market.bitcoin.volatility=").contains("expected a value"));
        // A value of the wrong type is refused by the typing pass, naming the field.
        let wrong = message("market.bitcoin.volatility=high");
        assert!(wrong.contains("market.bitcoin.volatility"), "{wrong}");
        // Out of range: by validation, naming the field.
        let range = message("market.bitcoin.volatility=-1");
        assert!(range.contains("market.bitcoin.volatility"), "{range}");
    }
}
