//! `pivotsim run` and `pivotsim merge`: load, simulate (or combine shards), write the outputs,
//! print the report.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::args::{MergeArgs, OutputFormat, RunArgs, metric_by_name};
use crate::cli::output_dir::OutputDir;
use crate::cli::{Failure, interrupt};
use crate::model::CompiledScenario;
use crate::montecarlo::{self, MonteCarloResult, RunOptions, Shard};
use crate::report::ReportError;
use crate::report::console::{CommandOutput, RunOutput, ShardOutput};
use crate::report::figures::value_format;
use crate::report::format::{ValueFormat, count, format_value};
use crate::report::outputs::{self, Optional, Written};
use crate::report::runs_csv::RunsCsvWriter;
use crate::report::shard::{self, ShardInfo, ShardTiming};
use crate::scenario::names::shown;
use crate::scenario::overrides::Override;
use crate::scenario::resolve::{did_you_mean, known_names};
use crate::scenario::{self, Scenario};

/// A scenario ready to simulate: overrides applied, validated, seed fixed, compiled.
pub(crate) struct Prepared {
    pub scenario: Scenario,
    pub model: CompiledScenario,
    pub seed: u64,
    /// Index of the plan the others are compared with (`--baseline`, else the first).
    pub baseline: usize,
}

/// What `prepare` needs from the command line.
pub(crate) struct Request<'a> {
    pub path: Option<&'a Path>,
    pub set: &'a [Override],
    pub runs: Option<u64>,
    pub seed: Option<u64>,
    pub stresses: &'a [String],
    pub quiet: bool,
    /// `--shard` was given: every shard must use one seed, so none may be drawn.
    pub shard: bool,
    /// `--baseline`: the plan the others are compared with (default: the first).
    pub baseline: Option<&'a str>,
}

/// Loads the scenario with its overrides, `--runs` and `--seed` applied like `--set` (after
/// it, so they win) and so checked like a value in the file; draws and announces a seed when
/// neither the scenario nor the user gave one; compiles the model with the selected stresses
/// (which refuses an unknown or repeated name, and plans whose file stems collide).
pub(crate) fn prepare(req: &Request<'_>) -> Result<Prepared, Failure> {
    let mut overrides = req.set.to_vec();
    overrides.extend(
        req.runs
            .map(|runs| Override::for_option("--runs", "runs", runs)),
    );
    overrides.extend(
        req.seed
            .map(|seed| Override::for_option("--seed", "seed", seed)),
    );
    let mut loaded = scenario::load_with(req.path, &overrides)?;
    let seed = match loaded.scenario.seed {
        Some(s) => s,
        None if req.shard => {
            return Err(Failure::Invalid(
                "--shard: the scenario sets no seed; give --seed so the shards share one".into(),
            ));
        }
        None => {
            let s = draw_seed();
            note(
                req.quiet,
                &format!("seed: {s} (drawn; pass --seed {s} to repeat this run)"),
            );
            s
        }
    };
    loaded.scenario.seed = Some(seed);
    // Unknown, repeated and colliding stress names are refused by the compile, before
    // anything is created.
    let model = compile(&loaded.scenario, req.stresses)?;
    if model.plans.len() > scenario::MAX_PLANS {
        return Err(Failure::Invalid(format!(
            "--stress: {} plans × {} variants (as written, then each stress) make {} plans to \
             simulate; the limit is {}",
            loaded.scenario.plans.len(),
            1 + req.stresses.len(),
            model.plans.len(),
            scenario::MAX_PLANS
        )));
    }
    let baseline = match req.baseline {
        None => 0,
        Some(name) => model
            .plans
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                let names = || model.plans.iter().map(|p| p.name.as_str());
                Failure::Invalid(format!(
                    "--baseline {}: the scenario has no plan of that name{}; expected one of: {}",
                    shown(name),
                    did_you_mean(name, names()),
                    known_names(names())
                ))
            })?,
    };
    Ok(Prepared {
        scenario: loaded.scenario,
        model,
        seed,
        baseline,
    })
}

impl Prepared {
    /// Starts `runs.csv` in `dir` (invisible until committed), with this model's plans.
    pub(crate) fn create_runs_csv(&self, dir: &Path) -> Result<RunsCsvWriter, Failure> {
        let names: Vec<String> = self.model.plans.iter().map(|p| p.name.clone()).collect();
        RunsCsvWriter::create(&dir.join("runs.csv"), &names).map_err(|e| Failure::Runtime(e.into()))
    }
}

pub(crate) fn compile(
    scenario: &Scenario,
    stresses: &[String],
) -> Result<CompiledScenario, Failure> {
    CompiledScenario::with_stresses(scenario, stresses).map_err(|e| Failure::Invalid(e.to_string()))
}

/// A message on stderr unless `--quiet`.
pub(crate) fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(std::io::stderr(), "{msg}");
    }
}

/// Simulates `prepared` into `out` (rows streamed into `runs.csv`), returning the result and
/// the still uncommitted `runs.csv`. Fails with [`Failure::Interrupted`] on Ctrl-C.
pub(crate) fn simulate(
    prepared: &Prepared,
    out: &OutputDir,
    jobs: Option<usize>,
    target: Option<montecarlo::ConvergenceTarget>,
    shard: Option<Shard>,
    control_variates: bool,
    quiet: bool,
) -> Result<(MonteCarloResult, RunsCsvWriter, f64), Failure> {
    if let Some(n) = jobs
        && !(1..=montecarlo::MAX_THREADS).contains(&n)
    {
        return Err(Failure::Invalid(format!(
            "--jobs {n}: expected 1 to {} threads",
            montecarlo::MAX_THREADS
        )));
    }
    let runs_path = out.path().join("runs.csv");
    let mut runs_csv = prepared.create_runs_csv(out.path())?;
    let runs = prepared.scenario.runs;
    let todo = shard.map_or(runs, |s| {
        let r = s.replications(runs);
        r.end - r.start
    });
    let bar = progress_bar(todo, quiet);
    let started = Instant::now();
    let opts = RunOptions {
        runs,
        seed: prepared.seed,
        threads: jobs.unwrap_or(0),
        target,
        baseline: prepared.baseline,
        shard,
        cancel: Some(interrupt::flag()),
        control_variates,
    };
    let result = montecarlo::run_in_pool(
        &prepared.model,
        &opts,
        |row| {
            if interrupt::raised() {
                return Err(anyhow::anyhow!("interrupted"));
            }
            runs_csv
                .write(row)
                .with_context(|| format!("cannot write {}", runs_path.display()))
        },
        |done| bar.set_position(done),
    )
    .context("cannot start worker threads")
    .map_err(Failure::Runtime)?;
    bar.finish_and_clear();
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    let result = result.map_err(Failure::Runtime)?;
    Ok((result, runs_csv, started.elapsed().as_secs_f64()))
}

/// The `--set` overrides with the one `--antithetic` stands for (last, so it wins), when given.
pub(crate) fn with_antithetic(set: &[Override], antithetic: bool) -> Vec<Override> {
    let mut all = set.to_vec();
    if antithetic {
        all.push(Override::for_option("--antithetic", "antithetic", true));
    }
    all
}

pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    interrupt::install();
    let set = with_antithetic(&args.set, args.variance.antithetic);
    let prepared = prepare(&Request {
        path: args.scenario.as_deref(),
        set: &set,
        runs: args.runs,
        seed: args.seed,
        stresses: &args.stress,
        quiet: args.quiet,
        shard: args.shard.is_some(),
        baseline: args.baseline.as_deref(),
    })?;
    if let Some(target) = args.target_ci
        && target.difference
        && prepared.model.plans.len() < 2
    {
        // With one plan there is no difference to watch: the target would be met at once.
        return Err(Failure::Invalid(format!(
            "--target-ci delta:{}: the scenario has one plan, so there is no difference from a \
             baseline to watch; expected a target on the plan's own metric (e.g. {}=…)",
            target.metric.key(),
            target.metric.key()
        )));
    }
    let out = OutputDir::create(&args.out)?;
    let (result, runs_csv, elapsed) = simulate(
        &prepared,
        &out,
        args.jobs,
        args.target_ci,
        args.shard,
        !args.variance.no_control_variates,
        args.quiet,
    )?;
    if let Some(shard) = args.shard {
        return finish_shard(&prepared, args, shard, out, result, runs_csv, elapsed);
    }
    let written = write_outputs(
        &out,
        &prepared,
        &result,
        runs_csv,
        optional(args.no_plots, args.no_report),
    )?;
    out.keep();
    print_report(&written, &args.out, args.format)?;
    if let Some(c) = &written.summary.convergence {
        // In the metric's unit, as the table writes it: `$4.43M`, not `4433124.894323057`.
        let unit = metric_by_name(c.metric).map_or(ValueFormat::Plain, value_format);
        let half_width = |x: f64| format_value(x, unit);
        note(
            args.quiet,
            &format!(
                "target {}{} ± {}: {} after {} runs (worst 95% half-width {})",
                if c.difference { "delta:" } else { "" },
                c.metric,
                half_width(c.target_half_width),
                if c.met { "met" } else { "NOT met" },
                count(result.runs),
                half_width(c.achieved_half_width)
            ),
        );
    }
    note(
        args.quiet,
        &format!(
            "{} runs × {} plan(s) in {elapsed:.2} s; wrote summary.json, runs.csv, timeseries.csv, {} plot files{} in {}",
            count(result.runs),
            prepared.model.plans.len(),
            written.plots.len(),
            if written.report.is_some() {
                " and report.html"
            } else {
                ""
            },
            args.out.display()
        ),
    );
    if args.require_target && written.summary.convergence.as_ref().is_some_and(|c| !c.met) {
        return Err(Failure::TargetMissed);
    }
    Ok(())
}

/// The optional files a command writes, from its `--no-plots` and `--no-report`.
pub(crate) fn optional(no_plots: bool, no_report: bool) -> Optional {
    Optional {
        plots: !no_plots,
        report: !no_report,
    }
}

/// Writes the files of a whole run; Ctrl-C or SIGTERM before or during the writing stops it
/// with [`Failure::Interrupted`] (the caller's uncommitted folder then removes what was written).
pub(crate) fn write_outputs(
    out: &OutputDir,
    prepared: &Prepared,
    result: &MonteCarloResult,
    runs_csv: RunsCsvWriter,
    optional: Optional,
) -> Result<Written, Failure> {
    let written = outputs::write_results(
        out.path(),
        &prepared.scenario,
        &prepared.model,
        result,
        runs_csv,
        optional,
        interrupt::flag(),
    )
    .map_err(|e| match e {
        // A write that failed after a signal (e.g. cut short by it) is the interruption.
        _ if interrupt::raised() => Failure::Interrupted,
        ReportError::Interrupted => Failure::Interrupted,
        e => Failure::Runtime(e.into()),
    })?;
    // A signal during the last commit: the drop of the uncommitted folder removes it all.
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    Ok(written)
}

fn finish_shard(
    prepared: &Prepared,
    args: &RunArgs,
    shard: Shard,
    out: OutputDir,
    result: MonteCarloResult,
    runs_csv: RunsCsvWriter,
    elapsed: f64,
) -> Result<(), Failure> {
    runs_csv
        .commit(&out.path().join("runs.csv"))
        .map_err(|e| Failure::Runtime(e.into()))?;
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    let info = ShardInfo {
        scenario: &prepared.scenario,
        runs: prepared.scenario.runs,
        shard,
        stresses: &args.stress,
        timing: ShardTiming {
            elapsed_s: elapsed,
            threads: args.jobs.unwrap_or_else(rayon::current_num_threads),
        },
    };
    shard::write_manifest(out.path(), info, &result).map_err(|e| Failure::Runtime(e.into()))?;
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    out.keep();
    let output = ShardOutput {
        index: shard.index,
        count: shard.count,
        replications: shard.replications(prepared.scenario.runs),
        runs: prepared.scenario.runs,
        seed: prepared.seed,
        out: args.out.clone(),
        elapsed_s: elapsed,
    };
    print_stdout(&output.render(args.format.into()))
}

pub(crate) fn merge(args: &MergeArgs) -> Result<(), Failure> {
    interrupt::install();
    refuse_out_among_shards(&args.out, &args.shards)?;
    // Unreadable, missing, damaged or mismatched shards are all bad input (exit 2).
    let set = shard::read_set(&args.shards).map_err(|e| Failure::Invalid(e.to_string()))?;
    let stresses = set
        .shards
        .first()
        .map(|s| s.manifest.stresses.clone())
        .unwrap_or_default();
    let model = compile(&set.scenario, &stresses)?;
    let prepared = Prepared {
        seed: set.statistics.seed,
        scenario: set.scenario.clone(),
        model,
        // The shards' own baseline (they must agree; `read_set` checked it is a plan).
        baseline: set.statistics.baseline,
    };
    let out = OutputDir::create(&args.out)?;
    let mut runs_csv = prepared.create_runs_csv(out.path())?;
    shard::for_each_runs_csv_body(&set, &RunsCsvWriter::header_line(), |bytes| {
        if interrupt::raised() {
            return Err(std::io::Error::other("interrupted"));
        }
        runs_csv.append_formatted(bytes)
    })
    .map_err(|e| {
        if interrupt::raised() {
            Failure::Interrupted
        } else {
            Failure::Invalid(e.to_string())
        }
    })?;
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    let written = write_outputs(
        &out,
        &prepared,
        &set.statistics,
        runs_csv,
        optional(args.no_plots, args.no_report),
    )?;
    out.keep();
    print_report(&written, &args.out, args.format)?;
    note(
        args.quiet,
        &format!(
            "merged {} shard(s): {} runs × {} plan(s); wrote summary.json, runs.csv, timeseries.csv, {} plot files{} in {}",
            set.shards.len(),
            set.statistics.runs,
            prepared.model.plans.len(),
            written.plots.len(),
            if written.report.is_some() {
                " and report.html"
            } else {
                ""
            },
            args.out.display()
        ),
    );
    Ok(())
}

/// Refuses a `merge --out` that names one of the shard folders being merged: clearing it for
/// the merged outputs would destroy the shard. Checked before anything is read or created.
fn refuse_out_among_shards(out: &Path, shards: &[std::path::PathBuf]) -> Result<(), Failure> {
    let Ok(out_real) = std::fs::canonicalize(out) else {
        // A folder that does not exist yet is no shard.
        return Ok(());
    };
    for shard in shards {
        if std::fs::canonicalize(shard).is_ok_and(|s| s == out_real) {
            return Err(Failure::Invalid(format!(
                "--out {} is the shard folder {} being merged; expected an output folder \
                 apart from every shard",
                out.display(),
                shard.display()
            )));
        }
    }
    Ok(())
}

/// Prints the table (or summary.json) on stdout.
pub(crate) fn print_report(
    written: &Written,
    out: &Path,
    format: OutputFormat,
) -> Result<(), Failure> {
    print_stdout(&RunOutput { written, out }.render(format.into()))
}

/// Writes to stdout; a closed pipe (`pivotsim run | head`) is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.into())),
        _ => Ok(()),
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or `--quiet` is set.
pub(crate) fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} runs [{bar:30}] {elapsed} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    // Positions arrive per finished chunk, which can take seconds on a large scenario; the
    // tick redraws the elapsed time and the spinner meanwhile, so the bar never looks stuck.
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    bar
}

/// A seed from the OS's hash randomness and the clock, for runs where the user set none.
fn draw_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.write_u32(std::process::id());
    h.finish()
}
