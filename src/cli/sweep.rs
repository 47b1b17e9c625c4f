//! `pivotsim sweep`: a full Monte Carlo at every point of a grid of parameter values.
//!
//! Every point uses the same root seed, so futures are paired across points: the difference
//! between two points is the effect of the parameters, not of different luck. Each point is an
//! ordinary run folder (`point-000`, …); `sweep.csv` and the sweep plot are written at the end.
//! A sweep that fails or is interrupted removes its finished points with the rest of its files.

use crate::cli::args::SweepArgs;
use crate::cli::output_dir::OutputDir;
use crate::cli::run::{self, Request};
use crate::cli::{Failure, interrupt};
use crate::report::console::{CommandOutput, SweepOutput, describe_point};
use crate::report::sweep::{self, SweepPoint};
use crate::scenario::names::shown;
use crate::scenario::overrides::Override;

/// Most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;

pub(crate) fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    interrupt::install();
    let axes: Vec<String> = args.vary.iter().map(|a| a.path.clone()).collect();
    let total = if args.zip {
        zipped_points(args)?
    } else {
        args.vary
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.points.len()))
            .filter(|&n| n <= MAX_POINTS)
            .ok_or_else(|| {
                Failure::Invalid(format!(
                    "--vary: the grid has more than {MAX_POINTS} points; expected fewer values"
                ))
            })?
    };
    // Check every point's scenario before simulating any, so a bad value fails fast.
    let mut seed = args.seed;
    let mut prepared_points = Vec::with_capacity(total);
    for index in 0..total {
        let (values, overrides) = point(args, index);
        let mut all: Vec<Override> = run::with_antithetic(&args.set, args.variance.antithetic);
        all.extend(overrides.iter().cloned());
        let prepared = run::prepare(&Request {
            path: Some(&args.scenario),
            set: &all,
            runs: args.runs,
            seed,
            stresses: &[],
            quiet: args.quiet,
            shard: false,
            baseline: args.baseline.as_deref(),
        })
        .map_err(|e| match e {
            Failure::Invalid(m) => Failure::Invalid(format!(
                "point {index} ({}): {m}",
                describe_point(&axes, &values)
            )),
            other => other,
        })?;
        // One seed for all points: the first point's (given, from the file, or drawn).
        seed = Some(prepared.seed);
        let typed: Vec<serde_json::Value> = overrides.iter().map(|o| o.value.clone()).collect();
        prepared_points.push((values, typed, prepared));
    }
    let out = OutputDir::create(&args.out)?;
    let mut points = Vec::with_capacity(total);
    // The sweep plot's caption names the first point's discount rates (equity, project).
    let mut rates = (f64::NAN, f64::NAN);
    for (index, (values, typed_values, prepared)) in prepared_points.into_iter().enumerate() {
        if index == 0 {
            rates = (
                prepared.model.equity_discount_rate,
                prepared.model.project_discount_rate,
            );
        }
        run::note(
            args.quiet,
            &format!(
                "point {}/{total}: {}",
                index + 1,
                describe_point(&axes, &values)
            ),
        );
        let dir = OutputDir::create(&out.path().join(format!("point-{index:03}")))?;
        let (result, runs_csv, _) = run::simulate(
            &prepared,
            &dir,
            args.jobs,
            None,
            None,
            !args.variance.no_control_variates,
            args.quiet,
        )?;
        let written = run::write_outputs(
            &dir,
            &prepared,
            &result,
            runs_csv,
            run::optional(args.no_plots, args.no_report),
        )?;
        dir.keep();
        points.push(SweepPoint {
            values,
            typed_values,
            summary: written.summary,
        });
        if interrupt::raised() {
            return Err(Failure::Interrupted);
        }
    }
    let csv_path = out.path().join("sweep.csv");
    sweep::write_csv(&csv_path, &axes, &points).map_err(|e| Failure::Runtime(e.into()))?;
    let plots = if args.no_plots {
        Vec::new()
    } else {
        sweep::write_plot(out.path(), &axes, &points, args.metric, rates)
            .map_err(|e| Failure::Runtime(e.into()))?
    };
    // Interrupted while writing the table or plot: the folder's drop removes the finished
    // points and every other file of the sweep.
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    out.keep();
    let output = SweepOutput {
        axes: &axes,
        points: &points,
        metric: args.metric,
        out: &args.out,
        plots: plots.len(),
    };
    run::print_stdout(&output.render(args.format.into()))
}

/// The number of points of a `--zip` sweep: every axis's number of values, which must agree.
fn zipped_points(args: &SweepArgs) -> Result<usize, Failure> {
    let first = args.vary.first().map_or(0, |a| a.points.len());
    if let Some(other) = args.vary.iter().find(|a| a.points.len() != first) {
        return Err(Failure::Invalid(format!(
            "--zip: --vary {} has {} values and --vary {} has {}; expected the same number for \
             every axis varied together",
            shown(&args.vary[0].path),
            first,
            shown(&other.path),
            other.points.len()
        )));
    }
    Ok(first)
}

/// The axis values and overrides of point `index`: with `--zip` the index-th value of every
/// axis, else the grid's point (the last axis varies fastest).
fn point(args: &SweepArgs, index: usize) -> (Vec<String>, Vec<Override>) {
    if args.zip {
        return args
            .vary
            .iter()
            .map(|axis| axis.points[index].clone())
            .unzip();
    }
    let mut rest = index;
    let mut values = vec![String::new(); args.vary.len()];
    let mut overrides = vec![None; args.vary.len()];
    for (a, axis) in args.vary.iter().enumerate().rev() {
        let n = axis.points.len();
        let (value, o) = &axis.points[rest % n];
        rest /= n;
        values[a] = value.clone();
        overrides[a] = Some(o.clone());
    }
    (values, overrides.into_iter().flatten().collect())
}
