//! What `optimize` writes and prints: `optimize.csv` (every evaluation), `best.yaml` (the
//! chosen candidate as a ready scenario), the frontier chart, and the answer in one sentence
//! (terminal) or one JSON document.
//!
//! `optimize.csv` has one row per evaluation: `evaluation, phase (search|confirm),
//! futures_from, futures_to, <one column per --var path>, objective, objective_ci95_low,
//! objective_ci95_high, p_default, p_default_ci95_high`, then per constraint in `--subject-to`
//! order `c<i>_value, c<i>_bound, c<i>_limit` (the statistic, the end of its 95% interval that
//! was tested, the limit), and `feasible, chosen` (0 or 1).

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::analysis::estimate::Statistic;
use crate::analysis::optimize::{
    Assessment, Comparison, Goal, Kind, Point, Problem, Sense, Strategy, measure_key,
};
use crate::report::ReportError;
use crate::report::atomic::AtomicFile;
use crate::report::console::CommandOutput;
use crate::report::csv_number::{NumberKind, number};
use crate::report::csv_text::csv_text;
use crate::report::figures::value_format;
use crate::report::format::{count, format_value};
use crate::report::plots::{self, FrontierPoints, Labels, ValueFormat};
use crate::scenario::Scenario;

/// Where an evaluation belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The search, on the common futures `0..runs`.
    Search,
    /// The finalists' re-evaluation on fresh futures `runs..2·runs`.
    Confirm,
}

impl Phase {
    fn key(self) -> &'static str {
        match self {
            Phase::Search => "search",
            Phase::Confirm => "confirm",
        }
    }
}

/// One evaluation of one candidate.
#[derive(Debug, Clone)]
pub struct Trial {
    /// Search or confirmation.
    pub phase: Phase,
    /// The grid point.
    pub point: Point,
    /// The futures simulated (replication indices).
    pub futures: Range<u64>,
    /// How it fared.
    pub assessment: Assessment,
    /// The chosen candidate (one confirmation row at most).
    pub chosen: bool,
}

/// A finished optimisation.
pub struct OptimizeOutput<'a> {
    /// The question.
    pub problem: &'a Problem,
    /// The plan optimised.
    pub plan: &'a str,
    /// The plan `delta_` measures compare with.
    pub baseline: &'a str,
    /// Every evaluation, search first.
    pub trials: &'a [Trial],
    /// The chosen trial (a confirmation), if any candidate met the constraints.
    pub winner: Option<usize>,
    /// The probability of correct selection among the finalists, when one was computed.
    pub selection: Option<f64>,
    /// How the grid was searched.
    pub strategy: Strategy,
    /// Whether the search ended on its own rather than on the budget.
    pub converged: bool,
    /// Futures per evaluation.
    pub runs: u64,
    /// The root seed.
    pub seed: u64,
    /// The output folder, as the user gave it.
    pub out: &'a Path,
    /// Plot files written.
    pub plots: usize,
}

/// How values of the objective are written.
fn objective_format(problem: &Problem) -> ValueFormat {
    match problem.goal {
        Goal::Measure(_, Statistic::Probability) => ValueFormat::Probability,
        Goal::Measure(m, _) => value_format(m.metric()),
        Goal::Variable(i) if problem.variables[i].path.ends_with("_usd") => ValueFormat::Usd,
        Goal::Variable(_) => ValueFormat::Plain,
    }
}

/// How values of constraint `c` are written.
fn constraint_format(problem: &Problem, c: usize) -> ValueFormat {
    let c = &problem.constraints[c];
    if c.statistic == Statistic::Probability {
        ValueFormat::Probability
    } else {
        value_format(c.measure.metric())
    }
}

/// Writes `optimize.csv` atomically.
pub fn write_csv(path: &Path, output: &OptimizeOutput<'_>) -> Result<(), ReportError> {
    let file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut out = csv::Writer::from_writer(file);
    let csv_err = |e| ReportError::csv(path, e);
    let problem = output.problem;
    let mut header: Vec<String> = ["evaluation", "phase", "futures_from", "futures_to"]
        .map(String::from)
        .to_vec();
    header.extend(
        problem
            .variables
            .iter()
            .map(|v| csv_text(&v.path).into_owned()),
    );
    header.extend(
        [
            "objective",
            "objective_ci95_low",
            "objective_ci95_high",
            "p_default",
            "p_default_ci95_high",
        ]
        .map(String::from),
    );
    for i in 1..=problem.constraints.len() {
        header.extend([
            format!("c{i}_value"),
            format!("c{i}_bound"),
            format!("c{i}_limit"),
        ]);
    }
    header.extend(["feasible", "chosen"].map(String::from));
    out.write_record(&header).map_err(csv_err)?;
    let mut floats = ryu::Buffer::new();
    let real = NumberKind::Real;
    for (i, t) in output.trials.iter().enumerate() {
        let a = &t.assessment;
        let mut row = vec![
            i.to_string(),
            t.phase.key().to_owned(),
            t.futures.start.to_string(),
            t.futures.end.to_string(),
        ];
        row.extend(
            problem
                .variables
                .iter()
                .zip(&t.point)
                .map(|(v, &k)| csv_text(&v.text_at(k)).into_owned()),
        );
        for value in [
            a.objective.value,
            a.objective.low,
            a.objective.high,
            a.p_default.value,
            a.p_default.high,
        ] {
            row.push(number(&mut floats, value, real));
        }
        for (c, (e, bound)) in problem.constraints.iter().zip(&a.constraints) {
            row.push(number(&mut floats, e.value, real));
            row.push(number(&mut floats, *bound, real));
            row.push(number(&mut floats, c.limit, real));
        }
        row.push(u8::from(a.score.feasible).to_string());
        row.push(u8::from(t.chosen).to_string());
        out.write_record(&row).map_err(csv_err)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| ReportError::io(path, e.into_error()))?;
    file.commit().map_err(|e| ReportError::io(path, e))
}

/// Writes the scenario (the chosen candidate's, every plan kept) as YAML, atomically, with a
/// first comment line saying where it came from.
pub fn write_scenario(path: &Path, scenario: &Scenario) -> Result<(), ReportError> {
    let text = serde_saphyr::to_string(scenario)
        .map_err(|e| ReportError::io(path, std::io::Error::other(e.to_string())))?;
    let mut file = AtomicFile::create(path).map_err(|e| ReportError::io(path, e))?;
    writeln!(
        file,
        "# Written by `pivotsim optimize`: the scenario with the chosen values applied."
    )
    .and_then(|()| file.write_all(text.as_bytes()))
    .map_err(|e| ReportError::io(path, e))?;
    file.commit().map_err(|e| ReportError::io(path, e))
}

/// The search's Pareto front in (risk, cost): the candidates that no other has both less
/// risk and lower cost than (ties kept once), in increasing risk.
fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut front: Vec<usize> = Vec::new();
    let mut best_cost = f64::INFINITY;
    for i in order {
        if points[i].1 < best_cost {
            best_cost = points[i].1;
            front.push(i);
        }
    }
    front
}

/// Draws `frontier.png` and `frontier.svg`: the objective against P(default), every
/// evaluation a dot (hollow when infeasible), the search's Pareto front, the finalists on
/// fresh futures and the chosen one. Returns the files written.
pub fn write_frontier(
    dir: &Path,
    output: &OptimizeOutput<'_>,
    scenario: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    let problem = output.problem;
    let point = |t: &Trial| (t.assessment.p_default.value, t.assessment.objective.value);
    let search: Vec<&Trial> = output
        .trials
        .iter()
        .filter(|t| t.phase == Phase::Search)
        .collect();
    let costs: Vec<(f64, f64)> = search
        .iter()
        .map(|t| (t.assessment.p_default.value, t.assessment.score.cost))
        .collect();
    let front = pareto_front(&costs)
        .into_iter()
        .map(|i| point(search[i]))
        .collect();
    let points = FrontierPoints {
        search: search.iter().map(|t| point(t)).collect(),
        infeasible: search
            .iter()
            .map(|t| !t.assessment.score.feasible)
            .collect(),
        confirm: output
            .trials
            .iter()
            .filter(|t| t.phase == Phase::Confirm)
            .map(point)
            .collect(),
        front,
        chosen: output.winner.map(|w| point(&output.trials[w])),
    };
    let objective = problem.objective_key();
    let title = format!(
        "{} {objective} of {} against P(default), every candidate",
        match problem.sense {
            Sense::Maximize => "Maximising",
            Sense::Minimize => "Minimising",
        },
        output.plan
    );
    let caption = format!(
        "{scenario} · {} futures per candidate · seed {} · {} search",
        count(output.runs),
        output.seed,
        output.strategy.key()
    );
    let labels = Labels {
        title: &title,
        x_label: "P(default), share of futures",
        y_label: &objective,
        caption: &caption,
    };
    plots::frontier(
        &dir.join("frontier"),
        &labels,
        ValueFormat::Probability,
        objective_format(problem),
        &points,
    )
    .map_err(|e| ReportError::Plot(e.to_string()))
}

impl OptimizeOutput<'_> {
    /// The chosen values as `path = value` pairs.
    fn settings(&self, point: &[usize]) -> String {
        self.problem
            .variables
            .iter()
            .zip(point)
            .map(|(v, &k)| format!("{} = {}", v.path, v.text_at(k)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Each constraint of trial `t` in words: `p_default 3.2% (95% upper bound 4.4% ≤ 5%)`.
    fn constraints_text(&self, t: &Trial) -> Vec<String> {
        self.problem
            .constraints
            .iter()
            .zip(&t.assessment.constraints)
            .enumerate()
            .map(|(i, (c, (e, bound)))| {
                let fmt = constraint_format(self.problem, i);
                let (side, sign) = match c.comparison {
                    Comparison::AtMost => ("upper", "≤"),
                    Comparison::AtLeast => ("lower", "≥"),
                };
                let holds = if t.assessment.score.feasible || met(c.comparison, *bound, c.limit) {
                    sign
                } else {
                    "breaks"
                };
                format!(
                    "{} {} (95% {side} bound {} {holds} {})",
                    c.key(),
                    format_value(e.value, fmt),
                    format_value(*bound, fmt),
                    format_value(c.limit, fmt)
                )
            })
            .collect()
    }

    /// The objective of trial `t` in words.
    fn objective_text(&self, t: &Trial) -> String {
        let fmt = objective_format(self.problem);
        let e = &t.assessment.objective;
        match self.problem.goal {
            Goal::Variable(_) => format!(
                "{} {}",
                self.problem.objective_key(),
                format_value(e.value, fmt)
            ),
            Goal::Measure(..) => format!(
                "{} {} [95% CI {} … {}]",
                self.problem.objective_key(),
                format_value(e.value, fmt),
                format_value(e.low, fmt),
                format_value(e.high, fmt)
            ),
        }
    }

    /// The answer in one sentence, with its confidence.
    pub fn sentence(&self) -> String {
        let Some(w) = self.winner else {
            return self.no_answer();
        };
        let t = &self.trials[w];
        let steps: Vec<String> = self
            .problem
            .variables
            .iter()
            .map(|v| format!("± {}", v.step_text()))
            .collect();
        let constraints = self.constraints_text(t);
        let mut s = match (self.problem.goal, self.problem.edge()) {
            (Goal::Variable(i), Some(_)) => {
                let v = &self.problem.variables[i];
                let word = match self.problem.sense {
                    Sense::Minimize => "least",
                    Sense::Maximize => "most",
                };
                format!(
                    "The {word} {} for plan {} that meets {} is {} (grid step {})",
                    v.path,
                    self.plan,
                    self.problem
                        .constraints
                        .iter()
                        .map(|c| c.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" and "),
                    format_value(v.numeric_at(t.point[i]), objective_format(self.problem)),
                    match v.kind {
                        Kind::Date => v.step_text(),
                        Kind::Integer | Kind::Number => {
                            format_value(v.step(), objective_format(self.problem))
                        }
                    }
                )
            }
            _ => format!(
                "For plan {}, set {} ({})",
                self.plan,
                self.settings(&t.point),
                steps.join(", ")
            ),
        };
        // A decision variable as objective is already stated by its value.
        let mut parts = Vec::new();
        if matches!(self.problem.goal, Goal::Measure(..)) {
            parts.push(self.objective_text(t));
        }
        parts.extend(constraints);
        if !parts.is_empty() {
            let _ = write!(s, ": {}", parts.join(", "));
        }
        let _ = write!(s, " on {} fresh futures", count(self.runs));
        // An answer at the end of a range may only be the best inside it.
        let at_ends: Vec<&str> = self
            .problem
            .variables
            .iter()
            .zip(&t.point)
            .filter(|(v, k)| **k == 0 || **k + 1 == v.points())
            .map(|(v, _)| v.path.as_str())
            .collect();
        if !at_ends.is_empty() {
            let _ = write!(
                s,
                " (at the end of the range of {}: the best may lie beyond it)",
                at_ends.join(" and ")
            );
        }
        if let Some(bracket) = self.bracket_below() {
            let _ = write!(s, "; {bracket}");
        }
        if let Some(p) = self.selection {
            let finalists = self
                .trials
                .iter()
                .filter(|t| t.phase == Phase::Confirm && t.assessment.score.feasible)
                .count();
            let _ = write!(
                s,
                "; correct selection ≥ {} among {finalists} feasible finalist(s)",
                format_value(p, ValueFormat::Probability)
            );
        }
        s.push('.');
        s
    }

    /// For the least (most) value of one variable: where the search futures put the edge of
    /// the feasible values, as the answer of the search that met the constraints and its
    /// neighbour one grid step beyond that broke them.
    fn bracket_below(&self) -> Option<String> {
        let feasible_above = self.problem.edge()?;
        let search = || self.trials.iter().filter(|t| t.phase == Phase::Search);
        let edge = search()
            .filter(|t| t.assessment.score.feasible)
            .min_by(|a, b| a.assessment.score.rank(&b.assessment.score))?;
        let k = edge.point[0];
        let beyond = if feasible_above {
            k.checked_sub(1)?
        } else {
            k + 1
        };
        let broken = search().find(|t| t.point[0] == beyond)?;
        let v = &self.problem.variables[0];
        let fmt = objective_format(self.problem);
        let value = |j: usize| format_value(v.numeric_at(j), fmt);
        Some(format!(
            "on the search futures {} met them ({}) and one step beyond, {}, {} ({})",
            value(k),
            self.constraints_text(edge).join(", "),
            value(beyond),
            if broken.assessment.score.feasible {
                "met them too"
            } else {
                "broke them"
            },
            self.constraints_text(broken).join(", ")
        ))
    }

    /// Why there is no answer, and how close the best came.
    pub fn no_answer(&self) -> String {
        let confirmed = self.trials.iter().any(|t| t.phase == Phase::Confirm);
        // The closest of the last phase run: the finalists when there were any.
        let phase = if confirmed {
            Phase::Confirm
        } else {
            Phase::Search
        };
        let best = self
            .trials
            .iter()
            .filter(|t| t.phase == phase)
            .min_by(|a, b| a.assessment.score.rank(&b.assessment.score));
        let mut s = if confirmed {
            "no finalist met the constraints again on fresh futures".to_owned()
        } else {
            format!(
                "no candidate of the {} evaluated met the constraints",
                self.trials.len()
            )
        };
        if let Some(t) = best {
            let _ = write!(
                s,
                "; the closest was {}: {}",
                self.settings(&t.point),
                self.constraints_text(t).join(", ")
            );
        }
        let _ = write!(
            s,
            " (optimize.csv in {} lists every evaluation); expected a wider range, a larger \
             --budget or looser limits",
            self.out.display()
        );
        s
    }
}

fn met(comparison: Comparison, bound: f64, limit: f64) -> bool {
    match comparison {
        Comparison::AtMost => bound <= limit,
        Comparison::AtLeast => bound >= limit,
    }
}

impl CommandOutput for OptimizeOutput<'_> {
    fn table(&self) -> String {
        let mut out = String::new();
        let search = self
            .trials
            .iter()
            .filter(|t| t.phase == Phase::Search)
            .count();
        let _ = writeln!(
            out,
            "pivotsim optimize · plan {} · {} {} · {} search, {search} evaluation(s){} · {} \
             futures each, finalists on {} fresh ones · seed {}\n",
            self.plan,
            self.problem.sense.key(),
            self.problem.objective_key(),
            self.strategy.key(),
            if self.converged {
                ""
            } else {
                " (stopped by --budget)"
            },
            count(self.runs),
            count(self.runs),
            self.seed
        );
        let _ = writeln!(out, "{}\n", self.sentence());
        let _ = writeln!(out, "Finalists on fresh futures:");
        for t in self.trials.iter().filter(|t| t.phase == Phase::Confirm) {
            let mut line = format!(
                "{} {}  {}",
                if t.chosen { "*" } else { " " },
                self.settings(&t.point),
                self.objective_text(t)
            );
            for c in self.constraints_text(t) {
                let _ = write!(line, ", {c}");
            }
            let _ = write!(
                line,
                ", P(default) {}",
                format_value(t.assessment.p_default.value, ValueFormat::Probability)
            );
            if !t.assessment.score.feasible {
                line.push_str("  [infeasible]");
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "\nOutputs in {}: optimize.csv, best.yaml{}",
            self.out.display(),
            if self.plots > 0 {
                ", frontier.png and frontier.svg"
            } else {
                ""
            }
        );
        out
    }

    fn json(&self) -> String {
        let trial = |t: &Trial| {
            let values: serde_json::Map<String, serde_json::Value> = self
                .problem
                .variables
                .iter()
                .zip(&t.point)
                .map(|(v, &k)| (v.path.clone(), v.value_at(k)))
                .collect();
            let a = &t.assessment;
            let constraints: Vec<serde_json::Value> = self
                .problem
                .constraints
                .iter()
                .zip(&a.constraints)
                .map(|(c, (e, bound))| {
                    serde_json::json!({
                        "constraint": c.text,
                        "measure": measure_key(c.measure),
                        "statistic": c.statistic.key(),
                        "value": finite(e.value),
                        "bound": finite(*bound),
                        "limit": c.limit,
                    })
                })
                .collect();
            serde_json::json!({
                "values": values,
                "futures": [t.futures.start, t.futures.end],
                "objective": {
                    "value": finite(a.objective.value),
                    "ci95_low": finite(a.objective.low),
                    "ci95_high": finite(a.objective.high),
                },
                "p_default": finite(a.p_default.value),
                "constraints": constraints,
                "feasible": a.score.feasible,
            })
        };
        let finalists: Vec<serde_json::Value> = self
            .trials
            .iter()
            .filter(|t| t.phase == Phase::Confirm)
            .map(trial)
            .collect();
        let document = serde_json::json!({
            "plan": self.plan,
            "baseline": self.baseline,
            "sense": self.problem.sense.key(),
            "objective": self.problem.objective_key(),
            "strategy": self.strategy.key(),
            "converged": self.converged,
            "evaluations": self.trials.iter().filter(|t| t.phase == Phase::Search).count(),
            "runs": self.runs,
            "seed": self.seed,
            "answer": self.sentence(),
            "chosen": self.winner.map(|w| trial(&self.trials[w])),
            "probability_of_correct_selection": self.selection,
            "finalists": finalists,
            "out": self.out.display().to_string(),
        });
        format!("{document}\n")
    }
}

/// A number for JSON: null when not finite.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_keeps_only_undominated_points() {
        // (risk, cost): (0.1, 5) is beaten by (0.05, 4) on both; (0.02, 9), (0.05, 4) and
        // (0.2, 1) each beat the others on one side. The front runs from least risk up.
        let points = [(0.1, 5.0), (0.05, 4.0), (0.2, 1.0), (0.02, 9.0), (0.3, 2.0)];
        assert_eq!(pareto_front(&points), vec![3, 1, 2]);
    }
}
