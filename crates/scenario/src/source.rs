//! The scenario file as a located tree: every YAML node with the line and column it came from.
//!
//! serde-saphyr deserializes straight into typed structs, but a user needs the line of a value
//! that is well-formed YAML and still wrong (a negative grid limit, a hall that overheats). So
//! the file is first read into [`Located`] nodes, which remember where each value sits, and
//! turned into a [`serde_json::Value`] for the typed pass. The same tree serves `--set`
//! overrides, which edit the value before the typed pass. [`SourceMap`] answers "which line is
//! `sites[0].halls[2].cooling_mw` on?" for every error raised later.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, DuplicateKeyPolicy, NonFiniteFloatPolicy, Options, Spanned};

use crate::error::{ErrorKind, ScenarioError};

/// Largest scenario file accepted, in bytes. Real scenarios are a few kilobytes; this leaves
/// room for generated ones (long plan lists, embedded traces) while refusing accidents.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Deepest nesting accepted. The scenario schema is about 6 levels deep. Each level of the
/// located tree costs the parser's recursion up to about 40 KB of stack in an unoptimised
/// build (measured: a 64-level document overflowed a 2 MiB test thread), so the limit keeps a
/// hostile document within a 2 MiB thread (a test thread, a rayon worker) at any opt-level.
pub const MAX_DEPTH: usize = 32;

/// Most alias uses (`*name`) accepted in one file. Blocks alias bombs.
pub const MAX_ALIASES: usize = 1_000;

/// Most YAML nodes accepted in one file, counting those that aliases expand to. A large real
/// scenario (hundreds of halls) has a few tens of thousands.
pub const MAX_NODES: usize = 100_000;

/// Most parser events replayed through aliases in one file.
pub const MAX_ALIAS_REPLAY_EVENTS: usize = 100_000;

/// A line and column in the scenario file, both 1-based. Line 0 means "unknown".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One YAML value without its location (the location is on the [`Spanned`] around it).
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Uint(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Where each field path of a scenario file sits. Paths are written as users write them:
/// `market.bitcoin.volatility`, `sites[0].halls[2].cooling_mw`; the root is the empty path.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    positions: BTreeMap<String, Position>,
    /// Paths whose value an override set, with how it was given (`--set a.b=3`), in the
    /// order applied.
    overrides: Vec<(String, String)>,
}

impl SourceMap {
    /// The position of `path`, or of its nearest ancestor that exists in the file (a missing
    /// field is reported at the map that should hold it).
    pub fn position(&self, path: &str) -> Position {
        let mut current = path;
        loop {
            if let Some(p) = self.positions.get(current) {
                return *p;
            }
            match parent_path(current) {
                Some(parent) => current = parent,
                None => return Position::default(),
            }
        }
    }

    /// Records that an override given as `given_as` set the value at `path`: it has no line
    /// in the file, and messages about it (or anything inside it) name the override.
    pub fn insert_override(&mut self, path: String, given_as: &str) {
        self.positions.insert(path.clone(), Position::default());
        self.overrides.push((path, given_as.to_owned()));
    }

    /// How the override that set `path` (or the nearest ancestor an override set) was given,
    /// if one did and nothing in the file set it since; the last override applied wins.
    pub fn override_of(&self, path: &str) -> Option<&str> {
        let mut current = path;
        loop {
            if let Some((_, given)) = self.overrides.iter().rev().find(|(p, _)| p == current) {
                return Some(given);
            }
            current = parent_path(current)?;
        }
    }
}

/// The parent of a field path: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → `` (root), `` → none.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Joins a field name onto a path.
pub fn join_field(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Joins a sequence index onto a path.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// A parsed scenario file: its values as JSON for the typed pass, and where each one sits.
#[derive(Debug, Clone)]
pub struct SourceDocument {
    /// The file's name as shown in messages (a path, or `<embedded default>`).
    pub origin: String,
    /// The document's values.
    pub value: serde_json::Value,
    /// Positions of every field path.
    pub map: SourceMap,
}

impl SourceDocument {
    /// An error about the value at `path`, located where it came from: the file and its
    /// line, or the override (`--set a.b=3`, `--runs 0`) that set it or a mapping holding it.
    pub fn error_at(&self, path: &str, kind: ErrorKind, message: String) -> ScenarioError {
        match self.map.override_of(path) {
            Some(given) => ScenarioError::new(given, path, Position::default(), kind, message),
            None => ScenarioError::new(&self.origin, path, self.map.position(path), kind, message),
        }
    }
}

/// Parser options with explicit budgets, so that hostile files (alias bombs, deep nesting,
/// huge documents) are refused quickly and in bounded memory.
fn parse_options() -> Options {
    // Both structs are non-exhaustive: start from the defaults and set fields.
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = MAX_ALIASES;
    budget.max_nodes = MAX_NODES;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY_EVENTS;
    // NaN and infinities reach `to_json`, which rejects them naming their field path.
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    // Errors are reported as one located line; an unwrapped error also exposes its kind.
    options.with_snippet = false;
    options
}

/// Parses YAML text into a located document. `origin` names the file in messages.
pub fn parse(text: &str, origin: &str) -> Result<SourceDocument, ScenarioError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::new(
            origin,
            "",
            Position::default(),
            ErrorKind::Limit,
            format!(
                "the file is {} bytes; the limit is {MAX_FILE_BYTES} bytes",
                text.len()
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(ScenarioError::new(
            origin,
            "",
            Position { line: 1, column: 1 },
            ErrorKind::Syntax,
            "the file is empty; expected a YAML mapping with the scenario's fields \
             (see `pivotsim schema` or configs/default.yaml)"
                .to_owned(),
        ));
    }
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, parse_options())
        .map_err(|e| locate_tab(syntax_error(origin, &e), text))?;
    let mut map = SourceMap::default();
    let value = to_json(root, "", &mut map, origin)?;
    if !value.is_object() {
        return Err(ScenarioError::new(
            origin,
            "",
            map.position(""),
            ErrorKind::Type,
            format!(
                "the document is {}; expected a YAML mapping with the scenario's fields",
                describe_json(&value)
            ),
        ));
    }
    Ok(SourceDocument {
        origin: origin.to_owned(),
        value,
        map,
    })
}

fn syntax_error(origin: &str, error: &serde_saphyr::Error) -> ScenarioError {
    let position = error
        .location()
        .map(|l| Position {
            line: l.line() as usize,
            column: l.column() as usize,
        })
        .unwrap_or_default();
    if let serde_saphyr::Error::Budget { breach, .. } = error {
        return ScenarioError::new(
            origin,
            "",
            position,
            ErrorKind::Limit,
            describe_breach(breach),
        );
    }
    // The crate's message reads "error: line L column C: reason" followed by a snippet; keep
    // the reason only, since the file and position are printed by the caller, and drop advice
    // addressed to programmers ("set DuplicateKeyPolicy in Options").
    let full = error.to_string();
    let first = full.lines().next().unwrap_or("").trim();
    let reason = first
        .find("column ")
        .and_then(|i| first[i..].find(": ").map(|j| &first[i + j + 2..]))
        .unwrap_or(first)
        .trim();
    let reason = reason.split(", set ").next().unwrap_or(reason);
    // Without snippets the crate appends " at line L, column C", which we print already.
    let reason = reason.split(" at line ").next().unwrap_or(reason).trim();
    if reason.starts_with("alias replay limit") {
        return ScenarioError::new(
            origin,
            "",
            position,
            ErrorKind::Limit,
            format!(
                "aliases in the document expand to more than {MAX_ALIAS_REPLAY_EVENTS} parser \
                 events; the limit guards against alias bombs"
            ),
        );
    }
    if reason.contains("recursion limit") {
        return ScenarioError::new(
            origin,
            "",
            position,
            ErrorKind::Limit,
            format!("the document nests deeper than the limit of {MAX_DEPTH} levels"),
        );
    }
    let message = if reason.starts_with("duplicate mapping key") {
        format!("{reason}; each key may appear once in a mapping")
    } else {
        format!("malformed YAML: {reason} (check brackets, quotes and indentation near this line)")
    };
    ScenarioError::new(origin, "", position, ErrorKind::Syntax, message)
}

/// The scanner reports a tab at the start of the scalar it was reading; point instead at the
/// first line from there on that holds the tab.
fn locate_tab(mut error: ScenarioError, text: &str) -> ScenarioError {
    if error.message.contains("found a tab") && error.position.line > 0 {
        let tab_line = text
            .lines()
            .enumerate()
            .skip(error.position.line - 1)
            .find_map(|(i, l)| l.find('\t').map(|col| (i + 1, col + 1)));
        if let Some((line, column)) = tab_line {
            error.position = Position { line, column };
            error.message = "malformed YAML: a tab character where YAML expects spaces \
                             (indent with spaces only)"
                .into();
        }
    }
    error
}

/// Says which parser limit a document broke, in the limit's own terms.
fn describe_breach(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Nodes { .. } => format!(
            "the document has more than {MAX_NODES} values (counting what aliases expand to); \
             the limit guards against alias bombs"
        ),
        BudgetBreach::Aliases { .. } => {
            format!("the document uses more than {MAX_ALIASES} aliases (`*name`)")
        }
        BudgetBreach::AliasAnchorRatio { .. } => {
            "the document expands aliases far more often than it defines anchors (an alias bomb)"
                .into()
        }
        BudgetBreach::Depth { .. } => {
            format!("the document nests deeper than the limit of {MAX_DEPTH} levels")
        }
        BudgetBreach::Documents { .. } => {
            "the file holds more than one YAML document (`---`); expected exactly one scenario"
                .into()
        }
        BudgetBreach::ScalarBytes { .. } | BudgetBreach::InputBytes { .. } => {
            format!("the document's text exceeds the limit of {MAX_FILE_BYTES} bytes")
        }
        _ => "the document exceeds a parser limit (events, anchors or merge keys)".into(),
    }
}

fn position_of<T>(spanned: &Spanned<T>) -> Position {
    Position {
        line: spanned.referenced.line() as usize,
        column: spanned.referenced.column() as usize,
    }
}

fn to_json(
    node: Spanned<Node>,
    path: &str,
    map: &mut SourceMap,
    origin: &str,
) -> Result<serde_json::Value, ScenarioError> {
    use serde_json::Value;
    let here = position_of(&node);
    map.positions.entry(path.to_owned()).or_insert(here);
    Ok(match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::from(i),
        Node::Uint(u) => Value::from(u),
        // A whole number the YAML reader took for a decimal (`0064` is the integer 64 in
        // YAML 1.2, `1e3` and `64.0` are whole): an integer, as JSON Schema counts it, so an
        // integer field accepts it and the schema and the loader agree. Exact up to 2^53;
        // a float field reads it back as the same f64.
        Node::Float(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
            Value::from(f as i64)
        }
        Node::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => {
                return Err(ScenarioError::new(
                    origin,
                    path,
                    here,
                    ErrorKind::Range,
                    format!("{f} is not a finite number; expected a finite number"),
                ));
            }
        },
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(to_json(item, &join_index(path, i), map, origin)?);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = serde_json::Map::new();
            for (key, value) in entries {
                let child = join_field(path, &key.value);
                // Point at the key: that is the line a user looks for.
                map.positions.insert(child.clone(), position_of(&key));
                out.insert(key.value, to_json(value, &child, map, origin)?);
            }
            Value::Object(out)
        }
    })
}

/// A short description of a JSON value's kind, for messages.
pub fn describe_json(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "empty (null)",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_keys_and_items() {
        let doc = parse("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n", "t.yaml").unwrap();
        // `b` is the key on line 2. In "  c: [x, y]" the second item `y` is the 10th character
        // (2 spaces, `c`, `:`, space, `[`, `x`, `,`, space, `y`), so line 3, column 10.
        assert_eq!(doc.map.position("b").line, 2);
        assert_eq!(
            doc.map.position("b.c[1]"),
            Position {
                line: 3,
                column: 10
            }
        );
        assert_eq!(doc.map.position("b.d[0].e").line, 5);
        // A missing field is reported at its nearest existing ancestor.
        assert_eq!(doc.map.position("b.d[0].missing").line, 5);
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a.b"), Some("a"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }

    #[test]
    fn the_deepest_documents_parse_or_are_refused_on_a_small_thread() {
        // A mapping holding lists nested `depth` levels deep in all: `a: [[[ … ]]]`.
        let nested = |depth: usize| {
            let lists = depth - 1;
            format!("a: {}1{}", "[".repeat(lists), "]".repeat(lists))
        };
        // 2 MiB is the default stack of a Rust test thread and of a spawned thread; the
        // parser must stay within it at the limit and one level past it, whatever the
        // opt-level this crate is built at.
        let on_small_stack = |text: String| {
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || parse(&text, "t.yaml").map(|_| ()))
                .expect("spawn")
                .join()
                .expect("the parser overflowed a 2 MiB stack")
        };
        if let Err(e) = on_small_stack(nested(MAX_DEPTH)) {
            panic!("{}", e.message);
        }
        let refused = on_small_stack(nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(
            refused.message.contains("nests deeper"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn whole_numbers_read_as_decimals_are_integers() {
        // YAML 1.2 reads `0064` as the integer 64; `1e3` and `64.0` are whole too. As JSON
        // Schema counts them (and so an editor), they are integers; `64.5` stays a decimal.
        let doc = parse("a: 0064\nb: 1e3\nc: 64.0\nd: 64.5\n", "t.yaml").unwrap();
        assert_eq!(doc.value["a"], serde_json::json!(64));
        assert_eq!(doc.value["b"], serde_json::json!(1000));
        assert_eq!(doc.value["c"], serde_json::json!(64));
        assert_eq!(doc.value["d"], serde_json::json!(64.5));
        assert!(doc.value["a"].is_u64());
    }

    #[test]
    fn duplicate_keys_are_rejected_with_a_line() {
        let e = parse("a: 1\na: 2\n", "t.yaml").unwrap_err();
        assert_eq!(e.position.line, 2);
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }
}
