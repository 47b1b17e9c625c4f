//! `pivotsim trace`: the event log (or, with `--statement`, the monthly statement) of one
//! replication of one plan, on stdout.

use std::io::BufWriter;

use crate::cli::Failure;
use crate::cli::args::{TraceArgs, TraceFormat};
use crate::cli::run::{self, Request};
use crate::model::trace::trace_plan;
use crate::report::trace_log;
use crate::scenario::MAX_RUNS;
use crate::scenario::names::{shown, stressed_name};
use crate::scenario::resolve::{did_you_mean, known_names};

pub(crate) fn trace(args: &TraceArgs) -> Result<(), Failure> {
    let prepared = run::prepare(&Request {
        path: args.scenario.as_deref(),
        set: &args.set,
        runs: None,
        seed: args.seed,
        stresses: args.stress.as_slice(),
        quiet: false,
        shard: false,
        baseline: None,
    })?;
    let plans = &prepared.model.plans;
    // Under `--stress`, `--plan` names the plan as written (default the first) and the trace
    // is of its stressed copy; a name already stressed ("plan [STRESS]") is taken as it is.
    let name = (args.plan.clone())
        .unwrap_or_else(|| plans.first().map(|p| p.name.clone()).unwrap_or_default());
    let traced = match &args.stress {
        Some(stress) if !name.ends_with(&format!(" [{stress}]")) => stressed_name(&name, stress),
        _ => name.clone(),
    };
    let plan = plans.iter().position(|p| p.name == traced).ok_or_else(|| {
        let written = || {
            plans
                .iter()
                .filter(|p| p.variant == 0)
                .map(|p| p.name.as_str())
        };
        Failure::Invalid(format!(
            "--plan {}: the scenario has no plan of that name{}; expected one of: {}",
            shown(&name),
            did_you_mean(&name, written()),
            known_names(written())
        ))
    })?;
    if args.run >= MAX_RUNS {
        return Err(Failure::Invalid(format!(
            "--run {}: expected a replication index below {MAX_RUNS}",
            args.run
        )));
    }
    let trace = trace_plan(&prepared.model, plan, prepared.seed, args.run);
    let stdout = BufWriter::new(std::io::stdout().lock());
    let calendar = &prepared.model.calendar;
    let csv_error = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    };
    let written = match (args.format, args.statement) {
        (TraceFormat::Csv, false) => {
            trace_log::write_csv(stdout, calendar, &trace.log).map_err(csv_error)
        }
        (TraceFormat::Jsonl, false) => trace_log::write_jsonl(stdout, calendar, &trace.log),
        (TraceFormat::Csv, true) => {
            trace_log::write_statement_csv(stdout, calendar, &trace.statement).map_err(csv_error)
        }
        (TraceFormat::Jsonl, true) => {
            trace_log::write_statement_jsonl(stdout, calendar, &trace.statement)
        }
    };
    match written {
        // `pivotsim trace | head` closes the pipe early: not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.into())),
        _ => Ok(()),
    }
}
