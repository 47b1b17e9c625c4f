//! `pivotsim run`: load, simulate, write the outputs, print the report.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Failure;
use crate::cli::args::{OutputFormat, RunArgs};
use crate::model::CompiledScenario;
use crate::montecarlo::{self, RunOptions};
use crate::report::atomic::write_atomic;
use crate::report::runs_csv::RunsCsvWriter;
use crate::report::summary::Summary;
use crate::report::{figures, table, timeseries_csv};
use crate::scenario::{self, validate::MAX_RUNS};

pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    let loaded = match &args.scenario {
        Some(path) => scenario::load_file(path)?,
        None => scenario::load_default()?,
    };
    let mut loaded = loaded;
    if let Some(runs) = args.runs {
        if !(1..=MAX_RUNS).contains(&runs) {
            return Err(Failure::Invalid(format!(
                "--runs {runs}: expected a whole number from 1 to {MAX_RUNS}"
            )));
        }
        loaded.scenario.runs = runs;
    }
    if args.jobs == Some(0) {
        return Err(Failure::Invalid(
            "--jobs 0: expected at least 1 thread".into(),
        ));
    }
    let (seed, drawn) = match args.seed.or(loaded.scenario.seed) {
        Some(s) => (s, false),
        None => (draw_seed(), true),
    };
    loaded.scenario.seed = Some(seed);
    let note = |msg: &str| {
        if !args.quiet {
            let _ = writeln!(std::io::stderr(), "{msg}");
        }
    };
    if drawn {
        note(&format!(
            "seed: {seed} (drawn; pass --seed {seed} to repeat this run)"
        ));
    }
    for name in &args.stress {
        if !loaded.scenario.stresses.iter().any(|x| &x.name == name) {
            let names: Vec<&str> = loaded
                .scenario
                .stresses
                .iter()
                .map(|x| x.name.as_str())
                .collect();
            return Err(Failure::Invalid(format!(
                "--stress {name}: the scenario has no stress of that name; expected one of: {}",
                if names.is_empty() {
                    "(none defined)".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    let model =
        CompiledScenario::with_stresses(&loaded.scenario, &args.stress).ok_or_else(|| {
            Failure::Invalid("the horizon runs past the last date the calendar supports".into())
        })?;

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))
        .map_err(Failure::Runtime)?;
    let runs_path = args.out.join("runs.csv");
    let plan_names: Vec<String> = model.plans.iter().map(|p| p.name.clone()).collect();
    let mut runs_csv =
        RunsCsvWriter::create(&runs_path, &plan_names).map_err(|e| Failure::Runtime(e.into()))?;

    let runs = loaded.scenario.runs;
    let bar = progress_bar(runs, args.quiet);
    let started = Instant::now();
    let opts = RunOptions {
        runs,
        seed,
        threads: args.jobs.unwrap_or(0),
        target: args.target_ci,
    };
    let result = montecarlo::run_in_pool(
        &model,
        &opts,
        |row| runs_csv.write(row),
        |done| bar.set_position(done),
    )
    .context("cannot start worker threads")
    .map_err(Failure::Runtime)?
    .with_context(|| format!("cannot write {}", runs_path.display()))
    .map_err(Failure::Runtime)?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();

    let summary = Summary::new(&loaded, &result, &timeseries_csv::month_labels(&model));
    let json = summary
        .to_json()
        .context("cannot encode summary.json")
        .map_err(Failure::Runtime)?;
    let summary_path = args.out.join("summary.json");
    let timeseries_path = args.out.join("timeseries.csv");
    timeseries_csv::write(&timeseries_path, &model, &result)
        .map_err(|e| Failure::Runtime(e.into()))?;
    let plots = if args.no_plots {
        Vec::new()
    } else {
        figures::write_all(&args.out, &model, &result).map_err(|e| Failure::Runtime(e.into()))?
    };
    runs_csv
        .commit(&runs_path)
        .map_err(|e| Failure::Runtime(e.into()))?;
    // summary.json last: its presence means the run completed.
    write_atomic(&summary_path, json.as_bytes())
        .with_context(|| format!("cannot write {}", summary_path.display()))
        .map_err(Failure::Runtime)?;

    let mut stdout = std::io::stdout().lock();
    let printed = match args.format {
        OutputFormat::Table => {
            let footer = format!(
                "Outputs in {}: summary.json, runs.csv, timeseries.csv{}",
                args.out.display(),
                if plots.is_empty() {
                    String::new()
                } else {
                    format!(", {} plot files (PNG and SVG)", plots.len())
                }
            );
            stdout.write_all(table::render(&summary, &footer).as_bytes())
        }
        OutputFormat::Json => stdout.write_all(json.as_bytes()),
    };
    // A closed pipe (`pivotsim run | head`) is not an error.
    if let Err(e) = printed.and_then(|()| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Failure::Runtime(e.into()));
        }
    }
    if let Some(c) = &summary.convergence {
        note(&format!(
            "target {} ± {}: {} after {} runs (worst 95% half-width {})",
            c.metric,
            c.target_half_width,
            if c.met { "met" } else { "NOT met" },
            result.runs,
            c.achieved_half_width
        ));
    }
    note(&format!(
        "{} runs × {} plan(s) in {:.2} s; wrote {}, {}, {} and {} plot files in {}",
        result.runs,
        model.plans.len(),
        elapsed.as_secs_f64(),
        "summary.json",
        "runs.csv",
        "timeseries.csv",
        plots.len(),
        args.out.display()
    ));
    if args.require_target && summary.convergence.as_ref().is_some_and(|c| !c.met) {
        return Err(Failure::TargetMissed);
    }
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal or `--quiet` is set.
fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} runs [{bar:30}] {elapsed} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
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
