//! The command line: parse, dispatch, and map every failure to a documented exit code.
//!
//! Exit codes: 0 success; 1 runtime failure (an output could not be written); 2 invalid input
//! or usage (bad scenario, bad option); 3 `--require-target` given and the `--target-ci`
//! half-width not reached. stdout carries results, stderr progress and messages.

pub mod args;
mod run;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::args::{Cli, Command, RunArgs};
use crate::scenario;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a failure while running (I/O).
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code for invalid input or usage.
pub const EXIT_INVALID: u8 = 2;
/// Exit code when `--require-target` was given and the convergence target was not met.
pub const EXIT_TARGET_MISSED: u8 = 3;

/// A failure, classified by its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Invalid input or usage (exit 2).
    Invalid(String),
    /// A runtime failure (exit 1).
    Runtime(anyhow::Error),
    /// The convergence target was not met and the user asked for that to fail (exit 3).
    TargetMissed,
}

impl From<scenario::ScenarioError> for Failure {
    fn from(e: scenario::ScenarioError) -> Self {
        Failure::Invalid(e.to_string())
    }
}

/// Runs the program with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors to stderr with 2.
            let code = if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        None => run::run(&RunArgs::default_run()),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Validate(args)) => validate(&args.scenario),
    };
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(Failure::Invalid(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::Runtime(e)) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(Failure::TargetMissed) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: the --target-ci half-width was not reached within --runs"
            );
            ExitCode::from(EXIT_TARGET_MISSED)
        }
    }
}

impl RunArgs {
    /// The arguments of a bare `pivotsim`: the default scenario with default options.
    fn default_run() -> Self {
        RunArgs {
            out: "pivotsim-out".into(),
            ..RunArgs::default()
        }
    }
}

fn validate(path: &std::path::Path) -> Result<(), Failure> {
    let loaded = scenario::load_file(path)?;
    let s = &loaded.scenario;
    let halls: usize = s.sites.iter().map(|site| site.halls.len()).sum();
    println!(
        "ok: {}: scenario \"{}\", {} site(s), {} hall(s), {} plan(s), {} years from {}",
        path.display(),
        s.name,
        s.sites.len(),
        halls,
        s.plans.len(),
        s.horizon_years,
        s.start
    );
    Ok(())
}
