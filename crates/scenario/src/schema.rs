//! A JSON Schema of the scenario file, generated from the typed structs in [`super::types`].
//!
//! Editors (VS Code's YAML extension and anything else on yaml-language-server) complete and
//! check YAML against a JSON Schema. Generating it from the same serde types that read the file
//! keeps the two from drifting: serde's `rename_all`, `tag`, `default` and
//! `deny_unknown_fields` become the schema's names, required lists and
//! `additionalProperties: false`, and the field docs (with their units) become descriptions.
//!
//! The schema checks shape and ranges: names, types, enumerations, which fields are required,
//! and each number's `minimum`/`maximum` as declared next to its field (the loader checks the
//! same declarations, see [`super::ranges`]). Physics, references between sites, halls and
//! plans, and dates within the horizon need more than one field; [`super::resolve`] checks
//! them (`pivotsim validate`).
//!
//! It is written in draft-07, the dialect yaml-language-server supports best. The output is
//! deterministic (keys sorted at every level, whatever serde_json's features), so the copy
//! shipped as `docs/scenario.schema.json` can be compared byte for byte.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::types::Scenario;

/// The schema's title, shown by editors.
const TITLE: &str = "pivotsim scenario";

/// The JSON Schema (draft-07) of a scenario file.
pub fn scenario_schema() -> Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Scenario>();
    let mut value = schema.to_value();
    if let Value::Object(root) = &mut value {
        root.insert("title".into(), Value::String(TITLE.into()));
    }
    tidy(value)
}

/// [`scenario_schema`] as pretty-printed JSON with a trailing newline: what
/// `pivotsim schema` prints and `docs/scenario.schema.json` holds.
pub fn scenario_schema_json() -> String {
    let mut text =
        serde_json::to_string_pretty(&scenario_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Finishes the generated schema, at every level:
/// - keys in sorted order, so the output does not depend on whether serde_json's
///   `preserve_order` feature is on somewhere in the build;
/// - a `maximum` on unsigned integers: schemars marks them `format: uint32`, a format editors
///   and validators do not know, so without it `units: 99999999999` would pass the schema and
///   fail the loader;
/// - descriptions unwrapped: a doc comment's line breaks are source layout, not paragraphs.
fn tidy(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, tidy(v))).collect();
            let maximum = entries
                .iter()
                .find_map(|(k, v)| match (k.as_str(), v.as_str()) {
                    ("format", Some("uint16")) => Some(Value::from(u16::MAX)),
                    ("format", Some("uint32")) => Some(Value::from(u32::MAX)),
                    ("format", Some("uint64")) => Some(Value::from(u64::MAX)),
                    _ => None,
                });
            if let Some(max) = maximum {
                if !entries.iter().any(|(k, _)| k == "maximum") {
                    entries.push(("maximum".into(), max));
                }
            }
            for (key, v) in &mut entries {
                if key == "description" {
                    if let Value::String(text) = v {
                        *text = unwrap_lines(text);
                    }
                }
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(tidy).collect()),
        other => other,
    }
}

/// Joins the lines of each paragraph with spaces; blank lines still separate paragraphs.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        assert_eq!(scenario_schema_json(), scenario_schema_json());
    }

    #[test]
    fn unsigned_integers_are_bounded() {
        let schema = scenario_schema();
        // A field with no declared range gets its type's bounds.
        let seed = &schema["properties"]["seed"];
        assert_eq!(seed["minimum"], 0);
        assert_eq!(seed["maximum"], u64::MAX);
        // A declared range wins over the type's.
        let units = &schema["definitions"]["AsicFleet"]["properties"]["units"];
        assert_eq!(units["minimum"], 0);
        assert_eq!(units["maximum"], 100_000_000);
    }

    #[test]
    fn descriptions_are_unwrapped() {
        assert_eq!(
            unwrap_lines("one\ntwo\n\nthree\n four"),
            "one two\n\nthree four"
        );
        let seed = &scenario_schema()["properties"]["seed"]["description"];
        assert!(!seed.as_str().unwrap().contains('\n'), "{seed}");
    }

    #[test]
    fn draft07_with_title_and_no_id() {
        let schema = scenario_schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["title"], TITLE);
        assert!(schema.get("$id").is_none());
        assert!(schema.get("$defs").is_none(), "draft-07 uses `definitions`");
    }
}
