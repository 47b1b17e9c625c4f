//! What each command prints on stdout, in one place: every command hands a typed result to
//! this module, and each result has one renderer per format (the terminal table and the JSON
//! document for scripts). The command code decides what happened; this decides how it reads.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::model::Metric;
use crate::report::figures::value_format;
use crate::report::format::{format_value, percent};
use crate::report::outputs::Written;
use crate::report::sweep::SweepPoint;
use crate::report::table;
use crate::scenario::names::shown;

/// How a command's result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for a person at a terminal.
    Table,
    /// One JSON document for scripts.
    Json,
}

/// A command's result, as stdout shows it.
pub trait CommandOutput {
    /// The text for a person.
    fn table(&self) -> String;
    /// The JSON document for scripts, ending with a newline.
    fn json(&self) -> String;
    /// The text in `format`.
    fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.table(),
            Format::Json => self.json(),
        }
    }
}

/// A JSON value as one line of text with its newline.
fn json_line(value: &serde_json::Value) -> String {
    format!("{value}\n")
}

/// A finished run or merge: the results table, or the `summary.json` document.
pub struct RunOutput<'a> {
    /// What was written.
    pub written: &'a Written,
    /// The output folder, as the user gave it.
    pub out: &'a Path,
}

impl CommandOutput for RunOutput<'_> {
    fn table(&self) -> String {
        let plots = if self.written.plots.is_empty() {
            String::new()
        } else {
            format!(", {} plot files (PNG and SVG)", self.written.plots.len())
        };
        let report = if self.written.report.is_some() {
            " (open report.html to read or share them)"
        } else {
            ""
        };
        let footer = format!(
            "Outputs in {}: summary.json, runs.csv, timeseries.csv{plots}{report}",
            self.out.display(),
        );
        table::render(&self.written.summary, &footer)
    }

    fn json(&self) -> String {
        self.written.summary_json.clone()
    }
}

/// One shard of a run, written to its folder.
pub struct ShardOutput {
    /// 1-based index of the shard.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
    /// The replications it ran (start inclusive, end exclusive).
    pub replications: std::ops::Range<u64>,
    /// Replications of the whole run.
    pub runs: u64,
    /// Root seed.
    pub seed: u64,
    /// The shard folder, as the user gave it.
    pub out: PathBuf,
    /// Wall time, seconds.
    pub elapsed_s: f64,
}

impl CommandOutput for ShardOutput {
    fn table(&self) -> String {
        format!(
            "shard {}/{}: replications {}..{} of {} written to {} (combine with `pivotsim merge`)\n",
            self.index,
            self.count,
            self.replications.start,
            self.replications.end,
            self.runs,
            self.out.display()
        )
    }

    fn json(&self) -> String {
        json_line(&serde_json::json!({
            "shard": format!("{}/{}", self.index, self.count),
            "replications": [self.replications.start, self.replications.end],
            "runs": self.runs,
            "seed": self.seed,
            "out": self.out.display().to_string(),
            "elapsed_s": self.elapsed_s,
        }))
    }
}

/// A scenario that passed validation.
pub struct ValidateOutput {
    /// The file, as the user gave it.
    pub file: PathBuf,
    /// The scenario's name.
    pub scenario: String,
    /// The fingerprint of the effective scenario.
    pub fingerprint: String,
    /// Number of sites.
    pub sites: usize,
    /// Number of halls over all sites.
    pub halls: usize,
    /// Plan names, in order.
    pub plans: Vec<String>,
    /// Horizon, years.
    pub horizon_years: u32,
    /// First day simulated (ISO date).
    pub start: String,
}

impl CommandOutput for ValidateOutput {
    fn table(&self) -> String {
        format!(
            "ok: {}: scenario \"{}\", {} site(s), {} hall(s), {} plan(s), {} years from {}\n",
            self.file.display(),
            self.scenario,
            self.sites,
            self.halls,
            self.plans.len(),
            self.horizon_years,
            self.start
        )
    }

    fn json(&self) -> String {
        json_line(&serde_json::json!({
            "ok": true,
            "file": self.file.display().to_string(),
            "scenario": self.scenario,
            "fingerprint": self.fingerprint,
            "sites": self.sites,
            "halls": self.halls,
            "plans": self.plans,
            "horizon_years": self.horizon_years,
            "start": self.start,
        }))
    }
}

/// A scenario that failed validation: every problem found (see `scenario::check_with`).
pub struct ValidateFailure<'a> {
    /// The problems, in the order they were found.
    pub problems: &'a [crate::scenario::ScenarioError],
}

impl CommandOutput for ValidateFailure<'_> {
    /// One `error:` line per problem, as stderr shows them.
    fn table(&self) -> String {
        self.problems
            .iter()
            .map(|p| {
                format!(
                    "error: {}\n",
                    crate::scenario::names::one_line(&p.to_string())
                )
            })
            .collect()
    }

    /// `{"ok": false, "errors": [...]}`, each error with its file, field path, line and column
    /// (null when unknown), class and message, and the whole line as stderr shows it.
    fn json(&self) -> String {
        let errors: Vec<serde_json::Value> = self
            .problems
            .iter()
            .map(|p| {
                let located = p.position.line > 0;
                serde_json::json!({
                    "file": p.file,
                    "path": p.path,
                    "line": located.then_some(p.position.line),
                    "column": located.then_some(p.position.column),
                    "kind": p.kind.label(),
                    "message": p.message,
                    "text": crate::scenario::names::one_line(&p.to_string()),
                })
            })
            .collect();
        json_line(&serde_json::json!({ "ok": false, "errors": errors }))
    }
}

/// A finished sweep: each point's plans on the chosen metric.
pub struct SweepOutput<'a> {
    /// The `--vary` paths, in order.
    pub axes: &'a [String],
    /// The points, in grid order.
    pub points: &'a [SweepPoint],
    /// The metric shown.
    pub metric: Metric,
    /// The sweep folder, as the user gave it.
    pub out: &'a Path,
    /// Number of sweep plot files written (0 with `--no-plots`).
    pub plots: usize,
}

/// `path=value, …` of one point of a sweep, as messages and the table name it.
pub fn describe_point(axes: &[String], values: &[String]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{}={}", shown(a), shown(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl CommandOutput for SweepOutput<'_> {
    /// One row per point and plan with the metric's median and P5–P95.
    fn table(&self) -> String {
        let mut out = String::new();
        let metric = self.metric;
        let fmt = |v: f64| format_value(v, value_format(metric));
        let _ = writeln!(
            out,
            "pivotsim sweep · {} point(s) · {} · median and P5 … P95 of {}\n",
            self.points.len(),
            self.axes.join(" × "),
            metric.key()
        );
        for (i, p) in self.points.iter().enumerate() {
            let _ = writeln!(
                out,
                "point {i:>3}  {}",
                describe_point(self.axes, &p.values)
            );
            for plan in &p.summary.plans {
                if let Some(s) = plan.metrics.get(metric.key()) {
                    let _ = writeln!(
                        out,
                        "           {:<28} {:>12}   {} … {}   P(default) {}",
                        plan.name,
                        fmt(s.percentiles.p50),
                        fmt(s.percentiles.p5),
                        fmt(s.percentiles.p95),
                        percent(plan.p_default)
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "\nOutputs in {}: sweep.csv, point-000 … point-{:03}{}",
            self.out.display(),
            self.points.len().saturating_sub(1),
            if self.plots > 0 {
                ", sweep.png and sweep.svg"
            } else {
                ""
            }
        );
        out
    }

    fn json(&self) -> String {
        let key = self.metric.key();
        let rows: Vec<serde_json::Value> = self
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                // Each value as the scenario read it: `0.6` is a number, `true` a boolean.
                let values: serde_json::Map<String, serde_json::Value> = self
                    .axes
                    .iter()
                    .cloned()
                    .zip(p.typed_values.iter().cloned())
                    .collect();
                let plans: Vec<serde_json::Value> = p
                    .summary
                    .plans
                    .iter()
                    .map(|plan| {
                        serde_json::json!({
                            "name": plan.name,
                            "p_default": plan.p_default,
                            key: plan.metrics.get(key),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "point": i,
                    "folder": format!("point-{i:03}"),
                    "values": values,
                    "plans": plans,
                })
            })
            .collect();
        // Pretty, as before: a sweep's document is read by people as often as by scripts.
        match serde_json::to_string_pretty(&rows) {
            Ok(text) => format!("{text}\n"),
            // Serializing values built above cannot fail (string keys, finite or null numbers).
            Err(_) => json_line(&serde_json::Value::Array(rows)),
        }
    }
}
