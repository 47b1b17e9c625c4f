//! The command line as clap types: what users can type, with help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Metric;
use crate::montecarlo::ConvergenceTarget;

/// Monte Carlo simulator of bitcoin-mining sites converting capacity to GPU/AI tenants.
///
/// With no command, runs the embedded default scenario (same as `pivotsim run`).
#[derive(Debug, Parser)]
#[command(name = "pivotsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario (the embedded default when none is given) and report the results.
    Run(RunArgs),
    /// Check a scenario file and report the first problem, without simulating.
    Validate(ValidateArgs),
}

/// Options of `pivotsim run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (YAML). Default: the embedded default scenario (configs/default.yaml).
    pub scenario: Option<PathBuf>,
    /// Replications per plan (overrides the scenario's `runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Root random seed (overrides the scenario's `seed`; drawn and printed when neither is set).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder for summary.json and runs.csv.
    #[arg(long, short = 'o', value_name = "DIR", default_value = "pivotsim-out")]
    pub out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// What to print on stdout: a table, or summary.json for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr (no progress, no notes).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Stop early once the 95% CI half-width of METRIC is below HALFWIDTH for every plan,
    /// checked every 1,024 runs (e.g. `npv=5e6`; metric names as in runs.csv, with or without
    /// the unit suffix). `--runs` is then the most that will be run.
    #[arg(long, value_name = "METRIC=HALFWIDTH", value_parser = parse_target)]
    pub target_ci: Option<ConvergenceTarget>,
    /// With --target-ci: exit with code 3 when `--runs` is reached before the target is met.
    #[arg(long, requires = "target_ci")]
    pub require_target: bool,
    /// Do not draw the PNG and SVG plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Also run every plan under the scenario's stress set NAME (its `stresses` list), on the
    /// same futures, as "plan [NAME]". Repeatable.
    #[arg(long, value_name = "NAME")]
    pub stress: Vec<String>,
}

/// Parses `METRIC=HALFWIDTH`.
fn parse_target(text: &str) -> Result<ConvergenceTarget, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected METRIC=HALFWIDTH (e.g. npv=5e6), got `{text}`"))?;
    let metric = metric_by_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
        format!(
            "unknown metric `{name}`; expected one of: {}",
            names.join(", ")
        )
    })?;
    let half_width: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .ok_or_else(|| format!("expected a positive half-width after `=`, got `{value}`"))?;
    Ok(ConvergenceTarget { metric, half_width })
}

/// A metric by its key (`npv_usd`) or its key without the unit suffix (`npv`).
pub fn metric_by_name(name: &str) -> Option<Metric> {
    Metric::ALL.iter().copied().find(|m| {
        let key = m.key();
        key == name
            || ["_usd", "_mwh", "_ph_s", "_usd_per_ph_day"]
                .iter()
                .any(|suffix| key.strip_suffix(suffix) == Some(name))
    })
}

/// Options of `pivotsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
}

/// What `run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A human-readable table.
    #[default]
    Table,
    /// The summary.json document.
    Json,
}
