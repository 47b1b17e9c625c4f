//! The JSON Schema of the scenario file (`pivotsim::scenario::schema`) against the files it
//! describes: every shipped config must pass, a misspelled key or a wrong type must fail, the
//! serde loader and the schema must agree on the bad-input corpus's shape errors, and the copy
//! shipped in `docs/` must be current.
//!
//! The schema is checked with boon, an independent draft-07 validator that also checks the
//! schema itself against the draft-07 meta-schema.

use std::path::{Path, PathBuf};

use pivotsim::scenario::schema::{scenario_schema, scenario_schema_json};
use pivotsim::scenario::{Scenario, ranges, source};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A compiled schema and the store that owns it.
struct Checker {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Checker {
    fn new() -> Self {
        let mut compiler = boon::Compiler::new();
        // Dates are `format: date`; have boon check them as an editor would.
        compiler.enable_format_assertions();
        let url = "file:///pivotsim/scenario.schema.json";
        compiler
            .add_resource(url, scenario_schema())
            .expect("the schema is JSON");
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile(url, &mut schemas)
            .unwrap_or_else(|e| panic!("the schema is not valid draft-07: {e:#}"));
        Checker { schemas, index }
    }

    /// `Ok` or boon's description of every violation.
    fn check(&self, instance: &Value) -> Result<(), String> {
        self.schemas
            .validate(instance, self.index)
            .map_err(|e| format!("{e:#}"))
    }
}

/// A scenario file read as the loader reads it, before typing.
fn parsed(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    source::parse(&text, &path.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"))
        .value
}

fn default_config() -> Value {
    parsed(&Path::new(ROOT).join("configs/default.yaml"))
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_config_is_valid() {
    let checker = Checker::new();
    let mut configs = yaml_files("configs");
    assert!(configs.len() >= 4, "found only {configs:?}");
    configs.extend(yaml_files("configs/deals"));
    for path in &configs {
        if let Err(e) = checker.check(&parsed(path)) {
            panic!("{} fails the schema:\n{e}", path.display());
        }
    }
}

#[test]
fn misspelled_key_is_rejected() {
    let checker = Checker::new();
    let mut value = default_config();
    let bitcoin = value["market"]["bitcoin"].as_object_mut().unwrap();
    let volatility = bitcoin.remove("volatility").unwrap();
    bitcoin.insert("volatilty".into(), volatility);

    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/market/bitcoin"), "{error}");
    assert!(error.contains("volatilty"), "{error}");
}

#[test]
fn misspelled_key_inside_a_tagged_action_is_rejected() {
    let checker = Checker::new();
    let mut value = default_config();
    let action = value["plans"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|plan| plan["actions"].as_array_mut().into_iter().flatten())
        .find(|a| a["type"] == "convert_hall")
        .expect("the default scenario converts a hall");
    let capex = action.as_object_mut().unwrap().remove("capex_usd_per_mw");
    action["capex_usd_per_MW"] = capex.unwrap();

    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("capex_usd_per_MW"), "{error}");
}

#[test]
fn wrong_type_is_rejected() {
    let checker = Checker::new();
    let mut value = default_config();
    value["market"]["bitcoin"]["price_usd"] = Value::String("lots".into());

    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/market/bitcoin/price_usd"), "{error}");
}

/// A range declared next to a field reaches the schema, so an editor flags the value.
#[test]
fn out_of_range_value_is_rejected() {
    let checker = Checker::new();
    let mut value = default_config();
    value["market"]["bitcoin"]["volatility"] = Value::from(9);

    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/market/bitcoin/volatility"), "{error}");

    let mut value = default_config();
    value["sites"][0]["halls"][0]["pue"] = Value::from(0.9);
    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/sites/0/halls/0/pue"), "{error}");

    let mut value = default_config();
    value["sites"] = Value::Array(Vec::new());
    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/sites"), "{error}");
}

/// The schema's ranges are the loader's: every bad input the declared ranges refuse, the
/// schema refuses too, and every input that types but fails the schema, the loader refuses.
#[test]
fn schema_agrees_with_the_loader_on_declared_ranges() {
    let checker = Checker::new();
    let mut refused_by_range = Vec::new();
    for path in yaml_files("tests/bad_inputs") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(document) = source::parse(&text, &path.display().to_string()) else {
            continue;
        };
        let Ok(scenario) = serde_json::from_value::<Scenario>(document.value.clone()) else {
            continue;
        };
        let schema_verdict = checker.check(&document.value);
        if let Err(e) = ranges::check(&scenario, &document) {
            // A distribution's support depends on the field that holds it (`x-support`),
            // which JSON Schema cannot say about a shared definition; only the loader checks it.
            let support = ["quantity's range", "at least `min`", "a scale above 0"];
            if support.iter().any(|s| e.message.contains(s)) {
                continue;
            }
            let pointer = format!("/{}", e.path.replace(['.', '['], "/").replace(']', ""));
            let refusal = schema_verdict.as_ref().err().unwrap_or_else(|| {
                panic!(
                    "{} is out of range ({e}) but passes the schema",
                    path.display()
                )
            });
            assert!(refusal.contains(&pointer), "{refusal} lacks {pointer}");
            refused_by_range.push(path.file_name().unwrap().to_string_lossy().into_owned());
        } else if schema_verdict.is_err() {
            assert!(
                pivotsim::scenario::from_document(document.clone()).is_err(),
                "{} fails the schema but loads",
                path.display()
            );
        }
    }
    assert!(refused_by_range.len() >= 8, "only {refused_by_range:?}");
}

#[test]
fn unknown_enumeration_value_is_rejected() {
    let checker = Checker::new();
    let mut value = default_config();
    value["sites"][0]["halls"][0]["cooling"] = Value::String("submerged".into());

    let error = checker.check(&value).unwrap_err();
    assert!(error.contains("/sites/0/halls/0/cooling"), "{error}");
}

#[test]
fn fields_with_defaults_are_optional() {
    let schema = scenario_schema();
    let required = |name: &str| -> Vec<String> {
        let def = if name == "Scenario" {
            &schema
        } else {
            &schema["definitions"][name]
        };
        def["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no required list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let scenario = required("Scenario");
    assert!(scenario.contains(&"market".to_owned()));
    for optional in ["seed", "runs", "finance", "shocks", "stresses"] {
        assert!(!scenario.contains(&optional.to_owned()), "{optional}");
    }
    let site = required("Site");
    for optional in ["grid_outage_trace_events", "ppa", "pool_fee"] {
        assert!(!site.contains(&optional.to_owned()), "{optional}");
    }
    assert!(site.contains(&"grid_mw".to_owned()));
}

/// Every bad input whose typing fails (an unknown field, a missing one, a wrong type: what serde
/// refuses before any range or physics check) the schema refuses too, so an editor flags what
/// `pivotsim validate` would.
#[test]
fn schema_agrees_with_the_loader_on_shape_errors() {
    let checker = Checker::new();
    let mut compared = Vec::new();
    for path in yaml_files("tests/bad_inputs") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(document) = source::parse(&text, &path.display().to_string()) else {
            continue;
        };
        if let Err(e) = serde_json::from_value::<Scenario>(document.value.clone()) {
            assert!(
                checker.check(&document.value).is_err(),
                "{} is refused by the loader ({e}) but passes the schema",
                path.display()
            );
            compared.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(compared.len() >= 10, "only {compared:?} fail typing");
}

#[test]
fn shipped_copy_is_current() {
    let path = Path::new(ROOT).join("docs/scenario.schema.json");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == scenario_schema_json(),
        "{} is missing or stale; regenerate it with `pivotsim schema > docs/scenario.schema.json`",
        path.display()
    );
}

/// Markers around the generated range table in `docs/schema.md`.
const TABLE_START: &str = "<!-- ranges: generated by tests/schema.rs from the declarations -->\n";
const TABLE_END: &str = "<!-- ranges: end -->\n";

/// A whole-number or decimal bound as the table shows it.
fn bound(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if v.is_f64() && x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e7) => format!("{x:e}"),
        Some(x) if v.is_f64() => {
            let s = format!("{x:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        _ => v.to_string(),
    }
}

/// The range of one property, if it declares one: a number's bounds, a list's length, or a
/// distribution's support. Unsigned integers bounded only by their type are left out.
fn declared_range(p: &Value) -> Option<String> {
    let type_max = matches!(
        p["maximum"].as_u64(),
        Some(m) if m == u64::from(u32::MAX) || m == u64::MAX || m == u64::from(u16::MAX)
    );
    if let (Some(lo), Some(hi)) = (p.get("minimum"), p.get("maximum")) {
        if !type_max {
            return Some(format!("{} to {}", bound(lo), bound(hi)));
        }
    }
    match (p.get("minItems"), p.get("maxItems")) {
        (Some(lo), Some(hi)) if lo == hi => return Some(format!("{lo} entries")),
        (Some(lo), None) => return Some(format!("at least {lo} entry")),
        _ => {}
    }
    if let Some(items) = p.get("items").and_then(declared_range) {
        return Some(format!("each {items}"));
    }
    p.get("x-support")
        .and_then(Value::as_array)
        .map(|s| format!("draws from {} to {}", bound(&s[0]), bound(&s[1])))
}

/// The table of every declared range, by definition then field (variants as `variant.field`).
fn range_table(schema: &Value) -> String {
    let mut rows = Vec::new();
    let mut add = |owner: &str, field: &str, p: &Value| {
        if let Some(range) = declared_range(p) {
            let meaning = p["x-expected"].as_str().unwrap_or("");
            let meaning = match p["x-expected-items"].as_str() {
                Some(items) => format!("{meaning}; each {items}"),
                None => meaning.to_owned(),
            };
            rows.push(format!("| `{owner}` | `{field}` | {range} | {meaning} |"));
        }
    };
    let mut owners: Vec<(&str, &Value)> = vec![("Scenario", schema)];
    if let Some(definitions) = schema["definitions"].as_object() {
        owners.extend(definitions.iter().map(|(k, v)| (k.as_str(), v)));
    }
    for (owner, def) in owners {
        for (field, p) in def["properties"].as_object().into_iter().flatten() {
            add(owner, field, p);
        }
        for variant in def["oneOf"].as_array().into_iter().flatten() {
            let properties = variant["properties"].as_object();
            let tag = properties.and_then(|ps| {
                ps.values()
                    .find_map(|p| p["const"].as_str().map(str::to_owned))
            });
            for (field, p) in properties.into_iter().flatten() {
                match &tag {
                    Some(tag) => add(owner, &format!("{tag}.{field}"), p),
                    None => add(owner, field, p),
                }
            }
        }
    }
    let mut table = String::from("| Section | Field | Range | Meaning |\n|---|---|---|---|\n");
    for row in rows {
        table.push_str(&row);
        table.push('\n');
    }
    table
}

/// `docs/schema.md`'s range table is generated from the declarations, so it cannot drift.
/// Regenerate it with `PIVOTSIM_UPDATE_DOCS=1 cargo test --test it schema`.
#[test]
fn docs_range_table_is_current() {
    let path = Path::new(ROOT).join("docs/schema.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (doc.find(TABLE_START), doc.find(TABLE_END)) else {
        panic!("{} lacks the range-table markers", path.display());
    };
    let table = range_table(&scenario_schema());
    let current = &doc[start + TABLE_START.len()..end];
    if current != table && std::env::var_os("PIVOTSIM_UPDATE_DOCS").is_some() {
        let updated = format!("{}{TABLE_START}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        current == table,
        "the range table in {} is stale; regenerate it with \
         `PIVOTSIM_UPDATE_DOCS=1 cargo test --test it schema`",
        path.display()
    );
    assert!(table.contains("| `BitcoinMarket` | `volatility` | 0 to 5 | per √year |"));
}

/// Every property named `field` anywhere in the schema.
fn properties_named<'a>(schema: &'a Value, field: &str) -> Vec<&'a Value> {
    let mut owners = vec![schema];
    if let Some(definitions) = schema["definitions"].as_object() {
        owners.extend(definitions.values());
    }
    owners
        .into_iter()
        .filter_map(|def| def["properties"].get(field))
        .collect()
}

/// The README's scenario reference states a few ranges in words (`years, 1–50`, `ratio ≥ 1`);
/// each must be the range declared on the field.
#[test]
fn readme_ranges_match_the_declarations() {
    let schema = scenario_schema();
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let mut checked = 0;
    for row in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(field), Some(unit)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let field = field.trim_matches('`');
        let last_word = unit.rsplit([' ', ',']).next().unwrap_or("");
        let stated: Option<(f64, Option<f64>)> = if let Some((lo, hi)) = last_word.split_once('–')
        {
            lo.parse().ok().zip(hi.parse().ok().map(Some))
        } else if let Some(lo) = unit.split("≥ ").nth(1) {
            lo.trim().parse().ok().map(|lo| (lo, None))
        } else {
            None
        };
        let Some((lo, hi)) = stated else {
            continue;
        };
        let declared = properties_named(&schema, field);
        assert!(
            !declared.is_empty(),
            "README names `{field}`, which the schema lacks"
        );
        for p in declared {
            assert_eq!(p["minimum"].as_f64(), Some(lo), "README: {row}");
            if let Some(hi) = hi {
                assert_eq!(p["maximum"].as_f64(), Some(hi), "README: {row}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} README ranges found");
}
