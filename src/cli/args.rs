//! The command line as clap types: what users can type, with help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
