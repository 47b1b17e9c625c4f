//! The command line: parse, dispatch, and map every failure to a documented exit code.
//!
//! Exit codes: 0 success; 1 runtime failure (an output could not be written); 2 invalid input
//! or usage (bad scenario, bad option, bad or incomplete shards); 3 `--require-target` given
//! and the `--target-ci` half-width not reached; 4 `optimize` found no candidate meeting its
//! constraints (its table and plot are still written); 130 interrupted (Ctrl-C or SIGTERM). stdout
//! carries results, stderr progress and messages.

pub mod args;
mod init;
mod interrupt;
mod optimize;
mod output_dir;
mod run;
mod sensitivity;
mod sweep;
mod trace;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::args::{Cli, Command, OutputFormat, RunArgs, ValidateArgs};
use crate::report::console::{CommandOutput, ValidateFailure, ValidateOutput};
use crate::scenario;
use crate::scenario::names::{self, one_line};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a failure while running (I/O).
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code for invalid input or usage.
pub const EXIT_INVALID: u8 = 2;
/// Exit code when `--require-target` was given and the convergence target was not met.
pub const EXIT_TARGET_MISSED: u8 = 3;
/// Exit code when `optimize` found no candidate that meets its constraints.
pub const EXIT_INFEASIBLE: u8 = 4;
/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, the shell convention).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A failure, classified by its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Invalid input or usage (exit 2).
    Invalid(String),
    /// Invalid input with several problems, one message each (exit 2).
    Problems(Vec<String>),
    /// A runtime failure (exit 1).
    Runtime(anyhow::Error),
    /// The convergence target was not met and the user asked for that to fail (exit 3).
    TargetMissed,
    /// Ctrl-C or SIGTERM arrived; nothing was committed (exit 130).
    Interrupted,
    /// `optimize` found no candidate meeting its constraints (exit 4); the message says how
    /// close the best came.
    Infeasible(String),
}

impl From<scenario::ScenarioError> for Failure {
    fn from(e: scenario::ScenarioError) -> Self {
        Failure::Invalid(e.to_string())
    }
}

/// Runs the program with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    // No colour when NO_COLOR is set (https://no-color.org); clap already leaves it out when
    // the output is not a terminal. pivotsim's own output never uses colour.
    let color = if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        clap::ColorChoice::Never
    } else {
        clap::ColorChoice::Auto
    };
    let parsed = Cli::command()
        .color(color)
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors to stderr with 2.
            let code = if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
            if e.use_stderr() {
                // clap quotes a refused value as typed; a value holding a line break would
                // otherwise print a second line of its choosing.
                let _ = write!(std::io::stderr(), "{}", escape_clap_value(&e));
            } else {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        None => run::run(&RunArgs::default_run()),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Validate(args)) => validate(&args),
        Some(Command::Init(args)) => init::init(&args),
        Some(Command::Example(args)) => init::example(&args),
        Some(Command::Merge(args)) if sensitivity::are_shards(&args.shards) => {
            sensitivity::merge(&args)
        }
        Some(Command::Merge(args)) => run::merge(&args),
        Some(Command::Sensitivity(args)) => sensitivity::sensitivity(&args),
        Some(Command::Sweep(args)) => sweep::sweep(&args),
        Some(Command::Trace(args)) => trace::trace(&args),
        Some(Command::Optimize(args)) => optimize::optimize(&args),
        Some(Command::Schema) => run::print_stdout(&scenario::schema::scenario_schema_json()),
        Some(Command::Completions(args)) => completions(args.shell),
    };
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(Failure::Invalid(message)) => {
            // Messages quote user text through `names::shown`; this is the last guard that
            // keeps whatever reached one on a single, bounded line.
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&message));
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::Problems(messages)) => {
            let mut stderr = std::io::stderr().lock();
            for message in messages {
                let _ = writeln!(stderr, "error: {}", one_line(&message));
            }
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::Runtime(e)) => {
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&chain_message(&e)));
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(Failure::Interrupted) => {
            let _ = writeln!(
                std::io::stderr(),
                "interrupted: stopped, and every file and folder this run had written was removed"
            );
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(Failure::Infeasible(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&message));
            ExitCode::from(EXIT_INFEASIBLE)
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

/// clap's message for a usage error, with every user value it quotes (a refused value, an
/// unknown argument, a suggestion's source) escaped and bounded as every message quotes user
/// text ([`names::shown`]): clap quotes them as typed, so one holding a line break would print
/// a line of its choosing.
fn escape_clap_value(e: &clap::Error) -> String {
    use clap::error::ContextValue;
    let mut text = e.to_string();
    for (_, value) in e.context() {
        let quoted: Vec<&str> = match value {
            ContextValue::String(s) => vec![s.as_str()],
            ContextValue::Strings(list) => list.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for raw in quoted {
            let safe = names::shown(raw).to_string();
            if safe != raw {
                text = text.replace(raw, &safe);
            }
        }
    }
    text
}

/// The error and its causes joined by `: `, each cause left out when the text so far already
/// ends with it: typed errors quote their OS error in their own message, and printing the
/// chain would say it twice.
fn chain_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.ends_with(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
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

/// Most problems `validate` reports at once.
const MAX_PROBLEMS: usize = 20;

fn validate(args: &ValidateArgs) -> Result<(), Failure> {
    let path = &args.scenario;
    let loaded = match scenario::check_with(Some(path), &args.set, MAX_PROBLEMS) {
        Ok(loaded) => loaded,
        Err(problems) => {
            if args.format == OutputFormat::Json {
                run::print_stdout(
                    &ValidateFailure {
                        problems: &problems,
                    }
                    .json(),
                )?;
            }
            return Err(Failure::Problems(
                problems.iter().map(ToString::to_string).collect(),
            ));
        }
    };
    let s = &loaded.scenario;
    let output = ValidateOutput {
        file: path.clone(),
        scenario: s.name.clone(),
        fingerprint: loaded.fingerprint(),
        sites: s.sites.len(),
        halls: s.sites.iter().map(|site| site.halls.len()).sum(),
        plans: s.plans.iter().map(|p| p.name.clone()).collect(),
        horizon_years: s.horizon_years,
        start: s.start.to_string(),
    };
    run::print_stdout(&output.render(args.format.into()))
}

/// Prints a completion script for `shell` on stdout.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pivotsim", &mut buffer);
    run::print_stdout(&String::from_utf8_lossy(&buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_quoted_by_its_wrapper_is_printed_once() {
        let os = std::io::Error::from_raw_os_error(21);
        let typed = crate::report::ReportError::io(std::path::Path::new("x.csv"), os);
        let e = anyhow::Error::new(typed).context("cannot finish the run");
        let message = chain_message(&e);
        assert_eq!(message.matches("os error 21").count(), 1, "{message}");
        assert!(message.starts_with("cannot finish the run: cannot write x.csv: "));
    }
}
