//! Declared ranges: each field's bounds are written once, next to the field in
//! [`super::types`], and both the JSON Schema and validation read them from there.
//!
//! A bound is a schemars attribute: `#[schemars(range(min = 0.0, max = 5.0), extend("x-expected"
//! = "per √year"))]` on a number, `length(..)` on a list. The generated schema therefore carries
//! `minimum`, `maximum`, `minItems` and `maxItems`, so an editor flags `volatility: 9` as the
//! user types. This module checks a typed scenario against that same schema, walking the two
//! side by side, so the loader and the editor can never disagree about a range.
//!
//! Two extension keywords (ignored by editors and validators) complete a declaration:
//! - `x-expected`: what the number means, quoted in the message (`a fraction per year`); on a
//!   list, the noun its entries are (`site`), with `x-expected-items` for the entries' numbers;
//! - `x-support`: `[low, high]`, the range a distribution-valued field ([`super::types::Dist`])
//!   must draw from, which depends on the field rather than on the distribution's type.
//!
//! Paths in messages are serde's names, taken from the schema's properties: the path of the
//! value is the path of the field, with no format strings to keep in step.

use std::cell::RefCell;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::error::{ErrorKind, ScenarioError};
use crate::field;
use crate::schema::scenario_schema;
use crate::source::{SourceDocument, join_field, join_index};
use crate::types::{Dist, Scenario};

/// The scenario schema, generated once per process.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(scenario_schema)
}

/// Checks every declared range of `scenario`; the first value out of range is returned,
/// located in `doc`.
pub fn check(scenario: &Scenario, doc: &SourceDocument) -> Result<(), ScenarioError> {
    match check_all(scenario, doc).into_iter().next() {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// Every value of `scenario` out of its declared range, in document order, each located in
/// `doc` (a range is a property of one value, so one out of range never hides another).
pub fn check_all(scenario: &Scenario, doc: &SourceDocument) -> Vec<ScenarioError> {
    let Ok(value) = serde_json::to_value(scenario) else {
        // A typed scenario always serializes (its numbers are finite: the parser refuses NaN
        // and infinities); nothing to check otherwise.
        return Vec::new();
    };
    let root = schema();
    let empty = Map::new();
    let walker = Walker {
        definitions: root
            .get("definitions")
            .and_then(Value::as_object)
            .unwrap_or(&empty),
        doc,
        found: RefCell::new(Vec::new()),
    };
    walker.keep(walker.walk(root, &value, "", None));
    walker.found.into_inner()
}

/// Walks a schema and a value together.
struct Walker<'a> {
    /// The schema's named definitions, the targets of `$ref`.
    definitions: &'a Map<String, Value>,
    /// The document the value came from, for positions.
    doc: &'a SourceDocument,
    /// The values found out of range so far.
    found: RefCell<Vec<ScenarioError>>,
}

impl<'a> Walker<'a> {
    /// Records a check's problem and goes on.
    fn keep(&self, checked: Result<(), ScenarioError>) {
        if let Err(e) = checked {
            self.found.borrow_mut().push(e);
        }
    }

    /// Follows a `$ref` to its definition (schemars writes `#/definitions/Name`).
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
            .and_then(|name| self.definitions.get(name))
            .unwrap_or(schema)
    }

    /// Checks `value` at `path` against `schema`. `inherited` is what a list's entries mean
    /// (`x-expected-items` of the list), for entries whose schema says nothing itself.
    fn walk(
        &self,
        schema: &'a Value,
        value: &Value,
        path: &str,
        inherited: Option<&'a str>,
    ) -> Result<(), ScenarioError> {
        let schema = self.resolve(schema);
        let Some(keywords) = schema.as_object() else {
            return Ok(());
        };
        let expected = keywords
            .get("x-expected")
            .and_then(Value::as_str)
            .or(inherited);
        if value.is_number() {
            self.keep(self.number(keywords, value, path, expected));
        }
        if let Value::Array(items) = value {
            self.keep(self.list_length(keywords, items.len(), path, expected));
            if let Some(item_schema) = keywords.get("items") {
                let item_expected = keywords.get("x-expected-items").and_then(Value::as_str);
                for (i, item) in items.iter().enumerate() {
                    self.keep(self.walk(item_schema, item, &join_index(path, i), item_expected));
                }
            }
        }
        if let (Value::Object(fields), Some(Value::Object(properties))) =
            (value, keywords.get("properties"))
        {
            for (name, field) in fields {
                if let Some(field_schema) = properties.get(name) {
                    self.keep(self.walk(field_schema, field, &join_field(path, name), None));
                }
            }
        }
        for part in keywords
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.keep(self.walk(part, value, path, expected));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = keywords.get(key).and_then(Value::as_array) {
                if let Some(branch) = branches.iter().find(|b| self.admits(b, value)) {
                    self.keep(self.walk(branch, value, path, expected));
                }
            }
        }
        if let Some(support) = keywords.get("x-support").and_then(Value::as_array) {
            let bound = |i: usize| support.get(i).and_then(Value::as_f64);
            if let (Some(low), Some(high)) = (bound(0), bound(1)) {
                self.keep(self.distribution(value, path, low, high));
            }
        }
        Ok(())
    }

    /// Whether `value` takes this branch of a `oneOf`/`anyOf`: its type, constant or enum tag,
    /// and required fields fit. The value was typed by serde already, so this only has to tell
    /// the branches apart, not validate.
    fn admits(&self, branch: &'a Value, value: &Value) -> bool {
        let branch = self.resolve(branch);
        let Some(keywords) = branch.as_object() else {
            return true;
        };
        if let Some(types) = keywords.get("type") {
            let fits = |t: &Value| t.as_str().is_some_and(|t| json_type_fits(t, value));
            let ok = match types {
                Value::Array(list) => list.iter().any(fits),
                single => fits(single),
            };
            if !ok {
                return false;
            }
        }
        if keywords.get("const").is_some_and(|c| c != value) {
            return false;
        }
        if let Some(Value::Array(options)) = keywords.get("enum") {
            if !options.contains(value) {
                return false;
            }
        }
        if let Value::Object(fields) = value {
            let required = keywords.get("required").and_then(Value::as_array);
            if required
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|name| !fields.contains_key(name))
            {
                return false;
            }
            if let Some(Value::Object(properties)) = keywords.get("properties") {
                let tag_differs = properties.iter().any(|(name, p)| {
                    p.get("const")
                        .is_some_and(|c| fields.get(name).is_some_and(|v| v != c))
                });
                if tag_differs {
                    return false;
                }
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = keywords.get(key).and_then(Value::as_array) {
                if !branches.iter().any(|b| self.admits(b, value)) {
                    return false;
                }
            }
        }
        true
    }

    /// A number against `minimum`/`maximum`.
    fn number(
        &self,
        keywords: &Map<String, Value>,
        value: &Value,
        path: &str,
        expected: Option<&str>,
    ) -> Result<(), ScenarioError> {
        let low = keywords.get("minimum");
        let high = keywords.get("maximum");
        if low.is_none() && high.is_none() {
            return Ok(());
        }
        let whole = match keywords.get("type") {
            Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
            Some(t) => t == "integer",
            None => false,
        };
        if whole {
            let v = value.as_u64();
            let below = low.and_then(Value::as_u64).is_some_and(|lo| v < Some(lo));
            let above = high
                .and_then(Value::as_u64)
                .is_some_and(|hi| v.is_none_or(|v| v > hi));
            if below || above {
                return Err(self.error(
                    path,
                    format!(
                        "expected a whole number from {} to {}, got {value}",
                        bound_text(low, "0"),
                        bound_text(high, "any size")
                    ),
                ));
            }
            return Ok(());
        }
        let v = value.as_f64().unwrap_or(f64::NAN);
        let lo = low.and_then(Value::as_f64).unwrap_or(f64::NEG_INFINITY);
        let hi = high.and_then(Value::as_f64).unwrap_or(f64::INFINITY);
        self.within(path, v, lo, hi, expected)
    }

    /// `v` within `[lo, hi]`, or the standard message.
    fn within(
        &self,
        path: &str,
        v: f64,
        lo: f64,
        hi: f64,
        expected: Option<&str>,
    ) -> Result<(), ScenarioError> {
        if v.is_finite() && v >= lo && v <= hi {
            return Ok(());
        }
        Err(self.error(path, out_of_range(v, lo, hi, expected)))
    }

    /// A list's length against `minItems`/`maxItems`.
    fn list_length(
        &self,
        keywords: &Map<String, Value>,
        len: usize,
        path: &str,
        expected: Option<&str>,
    ) -> Result<(), ScenarioError> {
        let count = |key: &str| {
            keywords
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        let (min, max) = (count("minItems"), count("maxItems"));
        if min.is_none_or(|m| len >= m) && max.is_none_or(|m| len <= m) {
            return Ok(());
        }
        let noun = expected.unwrap_or("entries");
        let message = match (min, max) {
            (Some(m), Some(n)) if m == n => format!("expected {m} {noun}, got {len}"),
            (Some(1), None) => format!("expected at least one {noun}"),
            (Some(m), None) => format!("expected at least {m} {noun}, got {len}"),
            (min, max) => format!(
                "expected from {} to {} {noun}, got {len}",
                min.unwrap_or(0),
                max.map_or_else(|| "any number of".to_owned(), |n| n.to_string())
            ),
        };
        Err(self.error(path, message))
    }

    /// A distribution whose parameters draw from `[low, high]` (its `x-support`). Shape
    /// parameters and σ are bounded by the distribution type's own declarations.
    fn distribution(
        &self,
        value: &Value,
        path: &str,
        low: f64,
        high: f64,
    ) -> Result<(), ScenarioError> {
        const WHAT: Option<&str> = Some("a value of the quantity's range");
        let param = |name: &str| value.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let at = |name: &str| join_field(path, name);
        let positive_low = low.max(1e-9);
        match value.get("dist").and_then(Value::as_str) {
            Some("constant") => {
                let value = field!(Dist::Constant { value });
                self.within(&at(value), param(value), low, high, WHAT)
            }
            Some("uniform") => {
                let (min, max) = (field!(Dist::Uniform { min }), field!(Dist::Uniform { max }));
                let min_value = param(min);
                self.within(&at(min), min_value, low, high, WHAT)?;
                self.within(
                    &at(max),
                    param(max),
                    min_value,
                    high,
                    Some("at least `min`"),
                )
            }
            Some("exponential") => {
                let mean = field!(Dist::Exponential { mean });
                self.within(&at(mean), param(mean), positive_low, high, WHAT)
            }
            Some("lognormal") => {
                let median = field!(Dist::Lognormal { median });
                self.within(&at(median), param(median), positive_low, high, WHAT)
            }
            Some("weibull") => {
                let scale = field!(Dist::Weibull { scale });
                self.within(&at(scale), param(scale), positive_low, high, WHAT)
            }
            Some("gamma") => {
                let scale = field!(Dist::Gamma { scale });
                self.within(
                    &at(scale),
                    param(scale),
                    1e-9,
                    high,
                    Some("a scale above 0"),
                )
            }
            _ => Ok(()),
        }
    }

    fn error(&self, path: &str, message: String) -> ScenarioError {
        self.doc.error_at(path, ErrorKind::Range, message)
    }
}

/// Whether a JSON Schema `type` name admits `value`.
fn json_type_fits(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        _ => true,
    }
}

/// "expected a number from 0 to 5 (per √year), got 9".
pub(crate) fn out_of_range(v: f64, lo: f64, hi: f64, expected: Option<&str>) -> String {
    let meaning = expected.map_or_else(String::new, |e| format!(" ({e})"));
    format!(
        "expected a number from {} to {}{meaning}, got {v}",
        fmt_num(lo),
        fmt_num(hi)
    )
}

/// A whole-number bound as written in the schema, or `otherwise` when there is none.
fn bound_text(bound: Option<&Value>, otherwise: &str) -> String {
    bound.map_or_else(|| otherwise.to_owned(), Value::to_string)
}

/// Formats a bound without float noise: 1e-6 → "0.000001", 100000 → "100000".
pub(crate) fn fmt_num(x: f64) -> String {
    if x.abs() >= 1e7 {
        format!("{x:e}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load_default, load_str};

    fn default_yaml_with(from: &str, to: &str) -> String {
        let text = crate::DEFAULT_SCENARIO_YAML;
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    }

    #[test]
    fn the_default_scenario_is_within_every_declared_range() {
        let loaded = load_default().unwrap();
        check(&loaded.scenario, &loaded.document).unwrap();
    }

    #[test]
    fn bounds_print_without_float_noise() {
        assert_eq!(fmt_num(1e-6), "0.000001");
        assert_eq!(fmt_num(100_000.0), "100000");
        assert_eq!(fmt_num(1e20), "1e20");
        assert_eq!(
            out_of_range(9.0, 0.0, 5.0, Some("per √year")),
            "expected a number from 0 to 5 (per √year), got 9"
        );
    }

    #[test]
    fn a_declared_range_rejects_with_its_field_path_and_meaning() {
        let text = default_yaml_with("pool_fee: 0.02", "pool_fee: 0.9");
        let e = load_str(&text, "t.yaml").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Range);
        assert_eq!(e.path, "sites[0].pool_fee");
        assert!(e.position.line > 0);
        assert_eq!(
            e.message,
            "expected a number from 0 to 0.5 (a fraction of mining revenue), got 0.9"
        );
    }
}
