//! The files and terminal text of `pivotsim sensitivity`: the tidy `sensitivity.csv`, a
//! tornado or Sobol chart per plan, the table sorted by effect, the JSON document, and the
//! shard folder (`sensitivity-shard.json`) that `pivotsim merge` combines.
//!
//! Everything is computed from a [`Study`] (what was asked) and every variant's per-future
//! values, so a merge of shards, which holds the same two things, writes the same bytes as
//! the unsharded command.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::analysis::estimate::{Estimate, Statistic};
use crate::analysis::evaluate::{Measure, VariantValues};
use crate::analysis::sensitivity::{self, Input, SobolRow, Tornado};
use crate::model::Metric;
use crate::report::ReportError;
use crate::report::atomic::{AtomicFile, write_atomic};
use crate::report::console::CommandOutput;
use crate::report::csv_number::{NumberKind, number};
use crate::report::csv_text::csv_text;
use crate::report::figures;
use crate::report::format::{ValueFormat, format_value};
use crate::report::plots::{self, Bar, BarRow, Labels, Marker};
use crate::scenario::names::{file_stem, shown};
use crate::stats::sobol::SaltelliDesign;

/// The tidy table's file name.
pub const CSV: &str = "sensitivity.csv";
/// A shard's file: what was asked and its futures' values.
pub const SHARD_MANIFEST: &str = "sensitivity-shard.json";
/// Prefix of a plan's tornado chart.
pub const TORNADO_PREFIX: &str = "tornado-";
/// Prefix of a plan's Sobol chart.
pub const SOBOL_PREFIX: &str = "sobol-";
/// What a shard manifest's `format` holds.
const SHARD_FORMAT: &str = "pivotsim-sensitivity-shard";
/// Version of the shard layout; merge refuses others.
const SHARD_FORMAT_VERSION: u32 = 1;

/// The analysis asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// One input at a time, to its low and its high value.
    Tornado,
    /// Sobol indices from a Saltelli design of `samples` base rows.
    Sobol {
        /// Base rows N (a power of two).
        samples: usize,
    },
}

/// What a sensitivity run asked: enough to compute and write every output from the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// The method.
    pub method: Method,
    /// The scenario's name.
    pub scenario: String,
    /// Fingerprint of the effective base scenario (after `--set`).
    pub fingerprint: String,
    /// Root seed.
    pub seed: u64,
    /// Futures per variant.
    pub runs: u64,
    /// Plan names.
    pub plans: Vec<String>,
    /// Index of the baseline plan (for `delta_` measures).
    pub baseline: usize,
    /// The measure's name (`equity_npv_usd`, `delta_equity_npv_usd`, `p_default`).
    pub measure: String,
    /// The statistic's name (`mean`, `median`, `p05`, `cvar05`).
    pub statistic: String,
    /// The inputs varied.
    pub inputs: Vec<Input>,
    /// Equity and project discount rates of the base scenario, for the charts' caption.
    pub rates: (f64, f64),
    /// Inputs of the shipped list left out, with why.
    pub skipped: Vec<String>,
}

impl Study {
    /// The measure, by its name (stored as [`Measure::key`] writes it, or `p_default`).
    pub fn measure(&self) -> Option<Measure> {
        Measure::by_name(&self.measure, |key| {
            Metric::ALL.iter().copied().find(|m| m.key() == key)
        })
    }

    /// The statistic, by its name.
    pub fn statistic(&self) -> Option<Statistic> {
        Statistic::by_name(&self.statistic)
    }

    /// How values of the measure read: a probability for `p_default`, else the metric's unit.
    fn format(&self) -> ValueFormat {
        match self.measure() {
            _ if self.measure == "p_default" => ValueFormat::Probability,
            Some(m) => figures::value_format(m.metric()),
            None => ValueFormat::Plain,
        }
    }

    /// The variants simulated: the base and two per input, or one per design point.
    pub fn variants(&self) -> usize {
        match self.method {
            Method::Tornado => 1 + 2 * self.inputs.len(),
            Method::Sobol { samples } => samples * (self.inputs.len() + 2),
        }
    }

    /// The Sobol design of this study (none for a tornado).
    pub fn design(&self) -> Option<SaltelliDesign> {
        match self.method {
            Method::Tornado => None,
            Method::Sobol { samples } => SaltelliDesign::new(
                samples,
                self.inputs.len(),
                sensitivity::design_seed(self.seed),
            )
            .ok(),
        }
    }

    fn caption(&self) -> String {
        figures::caption(
            &self.scenario,
            self.runs,
            self.seed,
            self.rates.0,
            self.rates.1,
        )
    }

    fn measure_label(&self) -> String {
        match self.measure() {
            _ if self.measure == "p_default" => "P(default)".to_owned(),
            Some(Measure::VersusBaseline(m)) => format!(
                "{} against {}",
                label_with_unit(m),
                self.plans.get(self.baseline).map_or("", String::as_str)
            ),
            Some(Measure::Plan(m)) => label_with_unit(m),
            None => self.measure.clone(),
        }
    }
}

fn label_with_unit(m: Metric) -> String {
    figures::axis_label(m)
}

/// The results of a study.
#[derive(Debug, Clone, PartialEq)]
pub enum Results {
    /// Swings.
    Tornado(Tornado),
    /// Indices.
    Sobol(Vec<SobolRow>),
}

/// Computes the study's results from every variant's values (in the study's variant order,
/// over all its futures).
pub fn results(study: &Study, values: &[VariantValues]) -> Results {
    let statistic = study.statistic().unwrap_or(Statistic::Mean);
    match study.design() {
        None => Results::Tornado(sensitivity::tornado(values, 0, statistic, study.seed)),
        Some(design) => Results::Sobol(sensitivity::sobol(
            values, &design, 0, statistic, study.seed,
        )),
    }
}

/// A tornado's swings of one plan, widest first (ties in input order).
fn sorted_swings(t: &Tornado, plan: usize) -> Vec<&sensitivity::Swing> {
    let mut rows: Vec<_> = t.swings.iter().filter(|s| s.plan == plan).collect();
    rows.sort_by(|a, b| b.swing.value.abs().total_cmp(&a.swing.value.abs()));
    rows
}

/// A plan's Sobol rows, largest total index first.
fn sorted_indices(rows: &[SobolRow], plan: usize) -> Vec<&SobolRow> {
    let mut rows: Vec<_> = rows.iter().filter(|r| r.plan == plan).collect();
    rows.sort_by(|a, b| {
        let key = |r: &SobolRow| {
            let t = r.indices.total.value;
            if t.is_nan() { f64::NEG_INFINITY } else { t }
        };
        key(b).total_cmp(&key(a))
    });
    rows
}

/// A value as the scenario reads it, for a CSV cell or a table: numbers in shortest form
/// without a needless `.0` (`3000000`, `0.3`), text without quotes.
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if n.is_f64() => {
            n.as_f64().map_or_else(String::new, |x| format!("{x}"))
        }
        other => other.to_string(),
    }
}

/// Writes `sensitivity.csv` atomically.
///
/// Tornado: `plan, input, level, input_value, measure, statistic, value, ci95_low, ci95_high,
/// swing, swing_ci95_low, swing_ci95_high, futures`; one `base` row per plan, then a `low`
/// and a `high` row per input and plan (the swing repeated on both). Sobol: `plan, input,
/// low, high, measure, statistic, index, value, ci95_low, ci95_high`; a `first` and a
/// `total` row per input and plan.
pub fn write_csv(path: &Path, study: &Study, results: &Results) -> Result<(), ReportError> {
    let file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut out = csv::Writer::from_writer(file);
    let csv_err = |e| ReportError::csv(path, e);
    let mut floats = ryu::Buffer::new();
    let mut real = |x: f64| number(&mut floats, x, NumberKind::Real);
    let text = |s: &str| csv_text(s).into_owned();
    match results {
        Results::Tornado(t) => {
            out.write_record([
                "plan",
                "input",
                "level",
                "input_value",
                "measure",
                "statistic",
                "value",
                "ci95_low",
                "ci95_high",
                "swing",
                "swing_ci95_low",
                "swing_ci95_high",
                "futures",
            ])
            .map_err(csv_err)?;
            for (p, plan) in study.plans.iter().enumerate() {
                let b = t.base[p];
                out.write_record([
                    text(plan),
                    String::new(),
                    "base".into(),
                    String::new(),
                    text(&study.measure),
                    text(&study.statistic),
                    real(b.value),
                    real(b.low),
                    real(b.high),
                    String::new(),
                    String::new(),
                    String::new(),
                    b.futures.to_string(),
                ])
                .map_err(csv_err)?;
                for s in t.swings.iter().filter(|s| s.plan == p) {
                    let input = &study.inputs[s.input];
                    for (level, e, v) in [("low", s.low, &input.low), ("high", s.high, &input.high)]
                    {
                        out.write_record([
                            text(plan),
                            text(&input.label),
                            level.into(),
                            text(&value_text(v)),
                            text(&study.measure),
                            text(&study.statistic),
                            real(e.value),
                            real(e.low),
                            real(e.high),
                            real(s.swing.value),
                            real(s.swing.low),
                            real(s.swing.high),
                            e.futures.to_string(),
                        ])
                        .map_err(csv_err)?;
                    }
                }
            }
        }
        Results::Sobol(rows) => {
            out.write_record([
                "plan",
                "input",
                "low",
                "high",
                "measure",
                "statistic",
                "index",
                "value",
                "ci95_low",
                "ci95_high",
            ])
            .map_err(csv_err)?;
            for r in rows {
                let input = &study.inputs[r.input];
                for (index, i) in [("first", r.indices.first), ("total", r.indices.total)] {
                    out.write_record([
                        text(&study.plans[r.plan]),
                        text(&input.label),
                        text(&value_text(&input.low)),
                        text(&value_text(&input.high)),
                        text(&study.measure),
                        text(&study.statistic),
                        index.into(),
                        real(i.value),
                        real(i.low),
                        real(i.high),
                    ])
                    .map_err(csv_err)?;
                }
            }
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| ReportError::io(path, e.into_error()))?;
    file.commit().map_err(|e| ReportError::io(path, e))
}

/// Draws one chart per plan in `dir` (a tornado, or Sobol bars) and returns the files.
pub fn write_plots(
    dir: &Path,
    study: &Study,
    results: &Results,
) -> Result<Vec<PathBuf>, ReportError> {
    let caption = study.caption();
    let measure = study.measure_label();
    let mut files = Vec::new();
    for (p, plan) in study.plans.iter().enumerate() {
        let drawn = match results {
            Results::Tornado(t) => {
                let rows: Vec<BarRow> = sorted_swings(t, p)
                    .into_iter()
                    .map(|s| {
                        let base = t.base[p].value;
                        let bar = |e: Estimate| {
                            // No whisker: the interval of one level's statistic mixes in the
                            // spread of the futures themselves; the swing's paired interval is
                            // in the table and sensitivity.csv.
                            Some(Bar {
                                from: base,
                                to: e.value,
                                interval: None,
                            })
                        };
                        BarRow {
                            label: study.inputs[s.input].label.clone(),
                            bars: vec![bar(s.low), bar(s.high)],
                        }
                    })
                    .collect();
                let title = format!(
                    "{plan}: {} of {measure}, each input low and high",
                    study.statistic
                );
                let base = t.base[p].value;
                let markers = [Marker {
                    x_years: base,
                    label: format!("base {}", format_value(base, study.format())),
                }];
                plots::horizontal_bars(
                    &dir.join(format!("{TORNADO_PREFIX}{}", file_stem(plan))),
                    &Labels {
                        title: &title,
                        x_label: &format!("{} of {measure}", study.statistic),
                        y_label: "",
                        caption: &caption,
                    },
                    study.format(),
                    &[
                        "input at its low value".into(),
                        "input at its high value".into(),
                    ],
                    &rows,
                    &markers,
                )
            }
            Results::Sobol(all) => {
                let rows: Vec<BarRow> = sorted_indices(all, p)
                    .into_iter()
                    .map(|r| {
                        let bar = |i: crate::stats::sobol::Interval| {
                            Some(Bar {
                                from: 0.0,
                                to: i.value,
                                interval: Some((i.low, i.high)),
                            })
                        };
                        BarRow {
                            label: study.inputs[r.input].label.clone(),
                            bars: vec![bar(r.indices.first), bar(r.indices.total)],
                        }
                    })
                    .collect();
                let title = format!(
                    "{plan}: share of the variance of the {} of {measure}",
                    study.statistic
                );
                plots::horizontal_bars(
                    &dir.join(format!("{SOBOL_PREFIX}{}", file_stem(plan))),
                    &Labels {
                        title: &title,
                        x_label: "Sobol index (share of variance, 95% bootstrap interval)",
                        y_label: "",
                        caption: &caption,
                    },
                    ValueFormat::Probability,
                    &[
                        "first order (alone)".into(),
                        "total (with interactions)".into(),
                    ],
                    &rows,
                    &[],
                )
            }
        };
        match drawn {
            Ok(paths) => files.extend(paths),
            // A plan whose measure is undefined on every future has nothing to draw.
            Err(plots::PlotError::NoData { .. }) => {}
            Err(e) => return Err(ReportError::Plot(e.to_string())),
        }
    }
    Ok(files)
}

/// What `pivotsim sensitivity` (or a merge of its shards) prints.
pub struct SensitivityOutput<'a> {
    /// What was asked.
    pub study: &'a Study,
    /// The results.
    pub results: &'a Results,
    /// The output folder.
    pub out: &'a Path,
    /// Plot files written.
    pub plots: usize,
}

impl SensitivityOutput<'_> {
    fn money(&self, x: f64) -> String {
        format_value(x, self.study.format())
    }

    fn interval(&self, e: &Estimate) -> String {
        if e.low.is_nan() {
            String::new()
        } else {
            format!("[{}, {}]", self.money(e.low), self.money(e.high))
        }
    }
}

impl CommandOutput for SensitivityOutput<'_> {
    fn table(&self) -> String {
        use std::fmt::Write as _;
        let s = self.study;
        let mut text = String::new();
        let futures = crate::report::format::count(s.runs);
        match self.results {
            Results::Tornado(t) => {
                let _ = writeln!(
                    text,
                    "Tornado: {} of {} per plan, each input alone at its low and high value; {futures} common futures, seed {}",
                    s.statistic,
                    s.measure_label(),
                    s.seed
                );
                for (p, plan) in s.plans.iter().enumerate() {
                    let _ = writeln!(
                        text,
                        "\n{plan}: base {} {}",
                        self.money(t.base[p].value),
                        self.interval(&t.base[p])
                    );
                    let mut rows = vec![[
                        "input".to_owned(),
                        "low → value".to_owned(),
                        "high → value".to_owned(),
                        "swing (high − low)".to_owned(),
                        "95% CI".to_owned(),
                    ]];
                    for sw in sorted_swings(t, p) {
                        let input = &s.inputs[sw.input];
                        rows.push([
                            input.label.clone(),
                            format!("{} → {}", value_text(&input.low), self.money(sw.low.value)),
                            format!(
                                "{} → {}",
                                value_text(&input.high),
                                self.money(sw.high.value)
                            ),
                            self.money(sw.swing.value),
                            self.interval(&sw.swing),
                        ]);
                    }
                    text.push_str(&columns(&rows));
                }
            }
            Results::Sobol(all) => {
                let _ = writeln!(
                    text,
                    "Sobol indices of the {} of {} per plan: {} design points × {futures} common futures, seed {}",
                    s.statistic,
                    s.measure_label(),
                    crate::report::format::count(s.variants() as u64),
                    s.seed
                );
                for (p, plan) in s.plans.iter().enumerate() {
                    let _ = writeln!(text, "\n{plan}:");
                    let mut rows = vec![[
                        "input".to_owned(),
                        "range".to_owned(),
                        "first order".to_owned(),
                        "95% CI".to_owned(),
                        "total".to_owned(),
                        "95% CI".to_owned(),
                    ]];
                    let share = |x: f64| format_value(x, ValueFormat::Probability);
                    let ci = |i: crate::stats::sobol::Interval| {
                        if i.low.is_nan() {
                            String::new()
                        } else {
                            format!("[{}, {}]", share(i.low), share(i.high))
                        }
                    };
                    for r in sorted_indices(all, p) {
                        let input = &s.inputs[r.input];
                        rows.push([
                            input.label.clone(),
                            format!("{} … {}", value_text(&input.low), value_text(&input.high)),
                            share(r.indices.first.value),
                            ci(r.indices.first),
                            share(r.indices.total.value),
                            ci(r.indices.total),
                        ]);
                    }
                    text.push_str(&columns(&rows));
                }
            }
        }
        for note in &self.study.skipped {
            let _ = writeln!(text, "\nnote: {note}");
        }
        let plots = if self.plots > 0 {
            format!(" and {} plot files (PNG and SVG)", self.plots)
        } else {
            String::new()
        };
        let _ = writeln!(text, "\nOutputs in {}: {CSV}{plots}", self.out.display());
        text
    }

    fn json(&self) -> String {
        let s = self.study;
        let estimate = |e: &Estimate| serde_json::json!({"value": finite(e.value), "ci95_low": finite(e.low), "ci95_high": finite(e.high), "futures": e.futures});
        let plans: Vec<serde_json::Value> = s
            .plans
            .iter()
            .enumerate()
            .map(|(p, plan)| match self.results {
                Results::Tornado(t) => serde_json::json!({
                    "plan": plan,
                    "base": estimate(&t.base[p]),
                    "inputs": sorted_swings(t, p).into_iter().map(|sw| serde_json::json!({
                        "input": s.inputs[sw.input].label,
                        "paths": s.inputs[sw.input].paths,
                        "low": {"input_value": s.inputs[sw.input].low, "estimate": estimate(&sw.low)},
                        "high": {"input_value": s.inputs[sw.input].high, "estimate": estimate(&sw.high)},
                        "swing": estimate(&sw.swing),
                    })).collect::<Vec<_>>(),
                }),
                Results::Sobol(all) => serde_json::json!({
                    "plan": plan,
                    "inputs": sorted_indices(all, p).into_iter().map(|r| {
                        let i = |x: crate::stats::sobol::Interval| serde_json::json!({"value": finite(x.value), "ci95_low": finite(x.low), "ci95_high": finite(x.high)});
                        serde_json::json!({
                            "input": s.inputs[r.input].label,
                            "paths": s.inputs[r.input].paths,
                            "low": s.inputs[r.input].low,
                            "high": s.inputs[r.input].high,
                            "first_order": i(r.indices.first),
                            "total": i(r.indices.total),
                        })
                    }).collect::<Vec<_>>(),
                }),
            })
            .collect();
        let doc = serde_json::json!({
            "method": s.method,
            "scenario": s.scenario,
            "scenario_fingerprint": s.fingerprint,
            "seed": s.seed,
            "futures": s.runs,
            "measure": s.measure,
            "statistic": s.statistic,
            "baseline": s.plans.get(s.baseline),
            "plans": plans,
            "skipped": s.skipped,
        });
        format!("{doc}\n")
    }
}

/// A number for JSON: null when undefined.
fn finite(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::Value::from(x)
    } else {
        serde_json::Value::Null
    }
}

/// Rows of cells as left-aligned columns two spaces apart.
fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (w, cell)) in widths.iter().zip(row).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// A problem with a sensitivity shard or a set of them: the shards must be fixed or rerun.
#[derive(Debug, Error)]
#[error("{path}: {message}")]
pub struct SensitivityShardError {
    /// The shard folder or file.
    pub path: PathBuf,
    /// What is wrong, and what was expected.
    pub message: String,
}

fn shard_error(path: &Path, message: impl Into<String>) -> SensitivityShardError {
    SensitivityShardError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// `sensitivity-shard.json`: the study, which slice of the futures, and every variant's
/// values on them (undefined values as null; numbers in shortest round-trip form, so they
/// read back bit for bit).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardManifest {
    format: String,
    format_version: u32,
    pivotsim_version: String,
    study: Study,
    /// (K, N).
    shard: (u64, u64),
    /// First future and one past the last.
    futures: (u64, u64),
    /// Per variant: its values in [`VariantValues`] layout.
    values: Vec<Vec<Option<f64>>>,
}

/// Whether `dir` holds a sensitivity shard (rather than a `run --shard` one).
pub fn is_shard(dir: &Path) -> bool {
    dir.join(SHARD_MANIFEST).is_file()
}

/// Writes a shard's manifest into `dir`, atomically.
pub fn write_shard(
    dir: &Path,
    study: &Study,
    shard: (u64, u64),
    futures: std::ops::Range<u64>,
    values: &[VariantValues],
) -> Result<(), ReportError> {
    let manifest = ShardManifest {
        format: SHARD_FORMAT.into(),
        format_version: SHARD_FORMAT_VERSION,
        pivotsim_version: env!("CARGO_PKG_VERSION").into(),
        study: study.clone(),
        shard,
        futures: (futures.start, futures.end),
        values: values
            .iter()
            .map(|v| {
                v.values()
                    .iter()
                    .map(|x| x.is_finite().then_some(*x))
                    .collect()
            })
            .collect(),
    };
    let path = dir.join(SHARD_MANIFEST);
    let json = serde_json::to_vec(&manifest).map_err(|source| ReportError::Json {
        what: "the sensitivity shard",
        source,
    })?;
    write_atomic(&path, &json).map_err(|e| ReportError::io(&path, e))
}

/// Reads shard folders written by `sensitivity --shard K/N`, checks that together they are
/// shards 1..=N of one study, and returns the study with every variant's values over all the
/// futures, as the unsharded command computes them.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(Study, Vec<VariantValues>), SensitivityShardError> {
    let Some(first_dir) = dirs.first() else {
        return Err(shard_error(Path::new("."), "no shard folders given"));
    };
    let mut shards: Vec<(PathBuf, ShardManifest)> = Vec::new();
    for dir in dirs {
        let path = dir.join(SHARD_MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            shard_error(
                dir,
                format!("cannot read {SHARD_MANIFEST} ({e}); expected a folder written by `pivotsim sensitivity --shard K/N`"),
            )
        })?;
        let m: ShardManifest = serde_json::from_str(&text).map_err(|e| {
            shard_error(
                &path,
                format!("{e}; expected a sensitivity shard manifest written by pivotsim"),
            )
        })?;
        if m.format != SHARD_FORMAT || m.format_version != SHARD_FORMAT_VERSION {
            return Err(shard_error(
                &path,
                format!(
                    "format {} version {}; expected {SHARD_FORMAT} version {SHARD_FORMAT_VERSION}",
                    m.format, m.format_version
                ),
            ));
        }
        if m.pivotsim_version != env!("CARGO_PKG_VERSION") {
            return Err(shard_error(
                &path,
                format!(
                    "written by pivotsim {}; this is pivotsim {}: merge with the version that ran the shards",
                    m.pivotsim_version,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let (k, n) = m.shard;
        let expected = sensitivity::shard_futures(m.study.runs, k, n);
        let plans = m.study.plans.len();
        let width = (expected.end - expected.start) as usize * plans;
        if k == 0
            || k > n
            || m.futures != (expected.start, expected.end)
            || m.values.len() != m.study.variants()
            || m.values.iter().any(|v| v.len() != width)
        {
            return Err(shard_error(
                &path,
                "its shard, futures or values do not agree with each other; the manifest is damaged",
            ));
        }
        if let Some((other_dir, other)) = shards.first() {
            if other.study != m.study || other.shard.1 != n {
                return Err(shard_error(
                    dir,
                    format!(
                        "belongs to another study than {} (scenario, seed, futures, inputs, measure or shard count differ)",
                        other_dir.display()
                    ),
                ));
            }
        }
        if let Some((twin, _)) = shards.iter().find(|(_, o)| o.shard.0 == k) {
            return Err(shard_error(
                dir,
                format!("shard {k}/{n} is given twice (also {})", twin.display()),
            ));
        }
        shards.push((dir.clone(), m));
    }
    shards.sort_by_key(|(_, m)| m.shard.0);
    let n = shards[0].1.shard.1;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !shards.iter().any(|(_, m)| m.shard.0 == *k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(shard_error(
            first_dir,
            format!("incomplete set: shard(s) {} missing", missing.join(", ")),
        ));
    }
    let study = shards[0].1.study.clone();
    let plans = study.plans.len();
    let mut merged: Option<Vec<VariantValues>> = None;
    for (_, m) in &shards {
        let futures = (m.futures.1 - m.futures.0) as usize;
        if futures == 0 {
            // More shards than futures leaves some empty; they add nothing.
            continue;
        }
        let part: Vec<VariantValues> = m
            .values
            .iter()
            .map(|v| {
                VariantValues::from_values(
                    plans,
                    futures,
                    v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
                )
            })
            .collect();
        merged = Some(match merged {
            None => part,
            Some(earlier) => earlier
                .iter()
                .zip(&part)
                .map(|(a, b)| a.concat(b))
                .collect(),
        });
    }
    let values = merged.unwrap_or_default();
    if study.measure().is_none() || study.statistic().is_none() {
        return Err(shard_error(
            first_dir,
            format!(
                "measure `{}` or statistic `{}` is unknown to this version",
                shown(&study.measure),
                shown(&study.statistic)
            ),
        ));
    }
    Ok((study, values))
}
