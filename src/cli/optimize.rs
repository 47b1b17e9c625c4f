//! `pivotsim optimize`: choose the grid values of a few inputs that make one plan best under
//! risk limits, then confirm the best few on fresh futures.
//!
//! Everything the user typed is checked before any simulation: the objective and constraints,
//! the plan, and each variable at both ends of its range (which catches an unknown path, a
//! value of the wrong kind and one outside the field's range). Each candidate is the scenario
//! with the user's `--set` then the candidate's values, reduced to the plan and the baseline
//! (plans draw from their own streams, so the others change nothing) and simulated on common
//! futures by [`crate::analysis::evaluate`], a whole batch of candidates at once.

use std::ops::Range;

use indicatif::ProgressBar;

use crate::analysis::evaluate::{Evaluation, Measure, VariantValues, evaluate};
use crate::analysis::optimize::{self, Assessment, Goal, Outcome, Point, Problem, Sense};
use crate::cli::args::{OptimizeArgs, OutputFormat, metric_by_name};
use crate::cli::output_dir::OutputDir;
use crate::cli::run::{self, Prepared, Request};
use crate::cli::{Failure, interrupt};
use crate::model::CompiledScenario;
use crate::montecarlo;
use crate::report::console::CommandOutput;
use crate::report::optimize::{self as report, OptimizeOutput, Phase, Trial};
use crate::scenario::names::shown;
use crate::scenario::overrides::Override;
use crate::scenario::resolve::{did_you_mean, known_names};

pub(crate) fn optimize(args: &OptimizeArgs) -> Result<(), Failure> {
    interrupt::install();
    let problem = problem(args)?;
    if args.budget == 0 {
        return Err(Failure::Invalid(
            "--budget 0: expected at least one evaluation".into(),
        ));
    }
    if args.runs < 2 {
        return Err(Failure::Invalid(format!(
            "--runs {}: expected at least 2 futures per candidate",
            args.runs
        )));
    }
    if let Some(n) = args.jobs
        && !(1..=montecarlo::MAX_THREADS).contains(&n)
    {
        return Err(Failure::Invalid(format!(
            "--jobs {n}: expected 1 to {} threads",
            montecarlo::MAX_THREADS
        )));
    }
    // Both ends of every range must make a valid scenario; the first fixes the seed.
    let lowest: Point = vec![0; problem.variables.len()];
    let highest: Point = problem.sizes().iter().map(|n| n - 1).collect();
    let first = prepare(args, &problem, &lowest, args.seed)?;
    let seed = first.seed;
    prepare(args, &problem, &highest, Some(seed))?;
    let names: Vec<String> = first.model.plans.iter().map(|p| p.name.clone()).collect();
    if !names.contains(&args.plan) {
        let names = || first.model.plans.iter().map(|p| p.name.as_str());
        return Err(Failure::Invalid(format!(
            "--plan {}: the scenario has no plan of that name{}; expected one of: {}",
            shown(&args.plan),
            did_you_mean(&args.plan, names()),
            known_names(names())
        )));
    }
    let baseline = names[first.baseline].clone();
    let compares = problem
        .measures()
        .iter()
        .any(|m| matches!(m, Measure::VersusBaseline(_)));
    if compares && baseline == args.plan {
        return Err(Failure::Invalid(format!(
            "--plan {}: a delta_ measure compares the plan with the baseline plan, which is \
             this plan itself; expected --baseline naming another plan",
            shown(&args.plan)
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("cannot start worker threads: {e}")))?;
    let out = OutputDir::create(&args.out)?;
    let strategy = problem.strategy(args.budget);
    let searched =
        optimize::search::grid_size(&problem.sizes(), args.budget).unwrap_or(args.budget);
    let bar = run::progress_bar(
        (searched + optimize::FINALISTS) as u64 * args.runs,
        args.quiet,
    );
    let mut sim = Simulator {
        args,
        problem: &problem,
        seed,
        baseline: &baseline,
        pool: &pool,
        bar: &bar,
        done: 0,
    };
    run::note(
        args.quiet,
        &format!(
            "optimize: {} search of {} grid point(s), at most {} evaluations of {} futures",
            strategy.key(),
            grid_text(&problem.sizes()),
            args.budget,
            args.runs
        ),
    );
    let mut trials: Vec<Trial> = Vec::new();
    let outcome = optimize::search::search(
        &problem.sizes(),
        strategy,
        args.budget,
        &mut |points: &[Point]| -> Result<Vec<optimize::Score>, Failure> {
            let assessed = sim.assess(points, 0..args.runs)?;
            let scores = assessed.iter().map(|(_, a)| a.score).collect();
            for ((point, assessment), _) in assessed.into_iter().zip(points) {
                trials.push(Trial {
                    phase: Phase::Search,
                    point,
                    futures: 0..args.runs,
                    assessment,
                    chosen: false,
                });
            }
            Ok(scores)
        },
    )?;
    let finalists = finalists(&problem, &outcome);
    let mut selection = None;
    let mut winner = None;
    if !finalists.is_empty() {
        let fresh = args.runs..2 * args.runs;
        let mut confirmed = sim.assess_values(&finalists, fresh.clone())?;
        // For the least (most) value, when no finalist holds on fresh futures, the fresh
        // evidence puts the edge further on: walk on, a few grid points a batch.
        if let Some(feasible_above) = problem.edge() {
            let n = problem.sizes()[0];
            for _ in 0..EDGE_WALKS {
                if confirmed.iter().any(|c| c.1.score.feasible) {
                    break;
                }
                let Some(last) = confirmed.last().map(|c| c.0[0]) else {
                    break;
                };
                let next: Vec<Point> = (1..=3)
                    .filter_map(|step| {
                        if feasible_above {
                            (last + step < n).then(|| vec![last + step])
                        } else {
                            last.checked_sub(step).map(|j| vec![j])
                        }
                    })
                    .collect();
                if next.is_empty() {
                    break;
                }
                confirmed.extend(sim.assess_values(&next, fresh.clone())?);
            }
        }
        let first_confirm = trials.len();
        for (point, assessment, _) in &confirmed {
            trials.push(Trial {
                phase: Phase::Confirm,
                point: point.clone(),
                futures: fresh.clone(),
                assessment: assessment.clone(),
                chosen: false,
            });
        }
        let feasible: Vec<usize> = (0..confirmed.len())
            .filter(|&i| confirmed[i].1.score.feasible)
            .collect();
        // The best on the fresh futures, ties to the search's order.
        let best = feasible.iter().copied().min_by(|&a, &b| {
            confirmed[a]
                .1
                .score
                .rank(&confirmed[b].1.score)
                .then(a.cmp(&b))
        });
        if let Some(w) = best {
            winner = Some(first_confirm + w);
            trials[first_confirm + w].chosen = true;
            // Among several feasible finalists only: alone, the winner has no rival.
            if problem.edge().is_none() && feasible.len() > 1 {
                let statistic = match problem.goal {
                    Goal::Measure(_, s) => Some(s),
                    Goal::Variable(_) => None,
                };
                let series = |i: usize| problem.objective_series(&confirmed[i].2, 0);
                let others: Vec<(f64, Option<&[f64]>)> = feasible
                    .iter()
                    .filter(|&&i| i != w)
                    .map(|&i| (confirmed[i].1.objective.value, series(i)))
                    .collect();
                selection = Some(optimize::probability_of_correct_selection(
                    problem.sense,
                    statistic,
                    (confirmed[w].1.objective.value, series(w)),
                    &others,
                ));
            }
        }
    }
    bar.finish_and_clear();
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    let output = OptimizeOutput {
        problem: &problem,
        plan: &args.plan,
        baseline: &baseline,
        trials: &trials,
        winner,
        selection,
        strategy,
        converged: outcome.converged,
        runs: args.runs,
        seed,
        out: &args.out,
        plots: 0,
    };
    let csv_path = out.path().join("optimize.csv");
    report::write_csv(&csv_path, &output).map_err(|e| Failure::Runtime(e.into()))?;
    let plots = if args.no_plots {
        0
    } else {
        report::write_frontier(out.path(), &output, &first.scenario.name)
            .map_err(|e| Failure::Runtime(e.into()))?
            .len()
    };
    if let Some(w) = winner {
        let chosen = prepare(args, &problem, &trials[w].point, Some(seed))?;
        report::write_scenario(&out.path().join("best.yaml"), &chosen.scenario)
            .map_err(|e| Failure::Runtime(e.into()))?;
    }
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    out.keep();
    let output = OptimizeOutput { plots, ..output };
    if winner.is_none() {
        // Scripts still get the document (`chosen` null) before the exit code says why.
        if args.format == OutputFormat::Json {
            run::print_stdout(&output.json())?;
        }
        return Err(Failure::Infeasible(output.no_answer()));
    }
    run::print_stdout(&output.render(args.format.into()))
}

/// Batches of three further grid points tried on fresh futures when none of the finalists of
/// a least (most) value question holds there.
const EDGE_WALKS: usize = 3;

/// The question, resolved against the metrics and the variables.
fn problem(args: &OptimizeArgs) -> Result<Problem, Failure> {
    let (sense, objective) = match (&args.maximize, &args.minimize) {
        (Some(o), None) => (Sense::Maximize, o),
        (None, Some(o)) => (Sense::Minimize, o),
        // clap's group requires exactly one.
        _ => {
            return Err(Failure::Invalid(
                "expected one of --maximize and --minimize".into(),
            ));
        }
    };
    Problem::new(
        args.vars.clone(),
        sense,
        objective,
        &args.subject_to,
        &metric_by_name,
    )
    .map_err(Failure::Invalid)
}

/// `21 × 13` points.
fn grid_text(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// The scenario at grid point `point`: the user's `--set`, then the variables' values.
fn prepare(
    args: &OptimizeArgs,
    problem: &Problem,
    point: &[usize],
    seed: Option<u64>,
) -> Result<Prepared, Failure> {
    let mut set: Vec<Override> = args.set.clone();
    set.extend(
        problem
            .variables
            .iter()
            .zip(point)
            .flat_map(|(v, &i)| v.overrides_at(i)),
    );
    run::prepare(&Request {
        path: args.scenario.as_deref(),
        set: &set,
        runs: None,
        seed,
        stresses: &[],
        quiet: args.quiet || seed.is_some(),
        shard: false,
        baseline: args.baseline.as_deref(),
    })
    .map_err(|e| match e {
        Failure::Invalid(m) => Failure::Invalid(format!(
            "{}: {m}",
            problem
                .variables
                .iter()
                .zip(point)
                .map(|(v, &i)| format!("{}={}", shown(&v.path), shown(&v.text_at(i))))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        other => other,
    })
}

/// The candidates simulated again on fresh futures: for the least (most) value of one
/// variable, the answer and the next two grid points on its feasible side (the smallest of them that still holds on fresh
/// futures is chosen); otherwise the best [`optimize::FINALISTS`] feasible points of the
/// search.
fn finalists(problem: &Problem, outcome: &Outcome) -> Vec<Point> {
    let Some(best) = &outcome.best else {
        return Vec::new();
    };
    let feasible_best = outcome.scored.iter().any(|(p, s)| p == best && s.feasible);
    if !feasible_best {
        return Vec::new();
    }
    match problem.edge() {
        Some(feasible_above) => {
            let n = problem.sizes()[0];
            let k = best[0];
            let mut points = vec![best.clone()];
            for step in 1..=2 {
                let next = if feasible_above {
                    (k + step < n).then(|| k + step)
                } else {
                    k.checked_sub(step)
                };
                points.extend(next.map(|j| vec![j]));
            }
            points
        }
        None => outcome
            .ranked()
            .into_iter()
            .filter(|(_, s)| s.feasible)
            .take(optimize::FINALISTS)
            .map(|(p, _)| p.clone())
            .collect(),
    }
}

/// Simulates batches of candidates on given futures.
struct Simulator<'a> {
    args: &'a OptimizeArgs,
    problem: &'a Problem,
    seed: u64,
    baseline: &'a str,
    pool: &'a rayon::ThreadPool,
    bar: &'a ProgressBar,
    /// Simulations (candidate × future) done before the current batch, for the bar.
    done: u64,
}

impl Simulator<'_> {
    /// Each point's assessment on `futures`.
    fn assess(
        &mut self,
        points: &[Point],
        futures: Range<u64>,
    ) -> Result<Vec<(Point, Assessment)>, Failure> {
        Ok(self
            .assess_values(points, futures)?
            .into_iter()
            .map(|(p, a, _)| (p, a))
            .collect())
    }

    /// Each point's assessment on `futures`, with the simulated values (the plan is at
    /// index 0).
    fn assess_values(
        &mut self,
        points: &[Point],
        futures: Range<u64>,
    ) -> Result<Vec<(Point, Assessment, VariantValues)>, Failure> {
        let mut models = Vec::with_capacity(points.len());
        let mut baseline_index = 0;
        for p in points {
            let (model, b) = self.model(p)?;
            baseline_index = b;
            models.push(model);
        }
        let refs: Vec<&CompiledScenario> = models.iter().collect();
        let measures = self.problem.measures();
        let evaluation = Evaluation {
            seed: self.seed,
            futures: futures.clone(),
            baseline: baseline_index,
            measures: &measures,
        };
        let before = self.done;
        let bar = self.bar;
        let values = self
            .pool
            .install(|| {
                evaluate(&refs, &evaluation, Some(interrupt::flag()), |d| {
                    bar.set_position(before + d);
                })
            })
            .ok_or(Failure::Interrupted)?;
        self.done += points.len() as u64 * (futures.end - futures.start);
        Ok(points
            .iter()
            .zip(values)
            .map(|(p, v)| (p.clone(), self.problem.assess(p, &v, 0), v))
            .collect())
    }

    /// The compiled candidate with only the plan (index 0) and the baseline (its index
    /// returned), in the scenario's order otherwise.
    fn model(&self, point: &[usize]) -> Result<(CompiledScenario, usize), Failure> {
        let mut prepared = prepare(self.args, self.problem, point, Some(self.seed))?;
        let plan = &self.args.plan;
        let keep = |name: &str| name == plan || name == self.baseline;
        prepared.scenario.plans.retain(|p| keep(&p.name));
        // The plan first: `assess` reads index 0.
        prepared
            .scenario
            .plans
            .sort_by_key(|p| usize::from(&p.name != plan));
        let baseline = prepared
            .scenario
            .plans
            .iter()
            .position(|p| p.name == self.baseline)
            .unwrap_or(0);
        let model = run::compile(&prepared.scenario, &[])?;
        Ok((model, baseline))
    }
}
