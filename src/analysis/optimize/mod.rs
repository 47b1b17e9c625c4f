//! `optimize`: the grid values of a few scenario inputs that make one plan best on an
//! objective while meeting constraints, found on common random numbers and confirmed on fresh
//! futures.
//!
//! This module holds what the question is (decision variables, objective, constraints), how a
//! candidate's simulated values are judged against it, and how confident the final choice is.
//! The search over the grid is [`search`]; simulating candidates is
//! [`crate::analysis::evaluate`]; the command line and the files are elsewhere.
//!
//! Every candidate of the search is simulated on the same futures (`0..runs`), so the search
//! solves a deterministic sample-average problem. The best few distinct feasible candidates
//! are then simulated again on fresh futures (`runs..2·runs`), where the winner is chosen and
//! its constraints and its lead are judged free of the selection's optimism.

pub mod search;
pub mod variables;

use crate::analysis::estimate::{Estimate, Statistic, estimate, paired_difference};
use crate::analysis::evaluate::{Measure, VariantValues};
use crate::model::Metric;
use crate::scenario::names::shown;
use crate::stats::Z95;

pub use search::{Outcome, Point, Score, Strategy};
pub use variables::{Kind, Variable};

/// Evaluations of the search when `--budget` is not given.
pub const DEFAULT_BUDGET: usize = 60;

/// Candidates re-evaluated on fresh futures: the best distinct feasible ones of the search.
pub const FINALISTS: usize = 4;

/// Maximise or minimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// Larger is better.
    Maximize,
    /// Smaller is better.
    Minimize,
}

impl Sense {
    /// The word outputs use.
    pub fn key(self) -> &'static str {
        match self {
            Sense::Maximize => "maximize",
            Sense::Minimize => "minimize",
        }
    }

    /// The cost the search minimises for an objective value.
    fn cost(self, value: f64) -> f64 {
        match self {
            Sense::Maximize => -value,
            Sense::Minimize => value,
        }
    }
}

/// A measure and a statistic of it as typed: `delta_equity_npv_usd:mean`, `p_default`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSpec {
    /// The measure's name, or a decision variable's path (objectives only).
    pub name: String,
    /// The statistic, when one was given after `:`.
    pub statistic: Option<Statistic>,
}

impl MeasureSpec {
    /// Parses `NAME` or `NAME:STAT`; the name is resolved later, against the metrics and the
    /// decision variables.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, statistic) = match text.rsplit_once(':') {
            Some((name, stat)) => {
                let statistic = Statistic::by_name(stat.trim()).ok_or_else(|| {
                    format!(
                        "`{}`: unknown statistic `{}`; expected mean, median, pNN (e.g. p05), \
                         cvarNN (e.g. cvar05) or prob",
                        shown(text),
                        shown(stat)
                    )
                })?;
                (name.trim(), Some(statistic))
            }
            None => (text.trim(), None),
        };
        if name.is_empty() {
            return Err(format!(
                "`{}`: expected METRIC or METRIC:STAT (e.g. equity_npv_usd:mean)",
                shown(text)
            ));
        }
        Ok(MeasureSpec {
            name: name.to_owned(),
            statistic,
        })
    }

    /// The measure named, with its statistic (by default the probability for `p_default`
    /// and `defaulted`, else the mean).
    fn resolve(
        &self,
        metric_by_name: &dyn Fn(&str) -> Option<Metric>,
    ) -> Option<(Measure, Statistic)> {
        let measure = Measure::by_name(&self.name, metric_by_name)?;
        let default = if measure == Measure::Plan(Metric::Defaulted) {
            Statistic::Probability
        } else {
            Statistic::Mean
        };
        Some((measure, self.statistic.unwrap_or(default)))
    }
}

/// Which side of its limit a constraint wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<=`: met when the upper end of the statistic's 95% interval is at most the limit.
    AtMost,
    /// `>=`: met when the lower end of the statistic's 95% interval is at least the limit.
    AtLeast,
}

/// A constraint as typed: `p_default<=0.05`, `dscr_min:p05>=1.2`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintSpec {
    /// The measure and statistic.
    pub measure: MeasureSpec,
    /// Which side.
    pub comparison: Comparison,
    /// The limit, in the measure's unit (a probability as a share; `5%` is read as 0.05).
    pub limit: f64,
    /// The text as typed.
    pub text: String,
}

impl ConstraintSpec {
    /// Parses `METRIC[:STAT]<=LIMIT` or `>=`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || {
            format!(
                "`{}`: expected METRIC[:STAT]<=LIMIT or >=LIMIT (e.g. p_default<=0.05)",
                shown(text)
            )
        };
        let (left, comparison, right) = if let Some((l, r)) = text.split_once("<=") {
            (l, Comparison::AtMost, r)
        } else if let Some((l, r)) = text.split_once(">=") {
            (l, Comparison::AtLeast, r)
        } else {
            return Err(expected());
        };
        let right = right.trim();
        let limit = match right.strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
            None => right.parse::<f64>(),
        }
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(expected)?;
        Ok(ConstraintSpec {
            measure: MeasureSpec::parse(left)?,
            comparison,
            limit,
            text: text.trim().to_owned(),
        })
    }
}

/// What the objective is a statistic of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// A statistic of a measure over the futures.
    Measure(Measure, Statistic),
    /// A decision variable itself (by index): known exactly for every candidate.
    Variable(usize),
}

/// A constraint, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// The measure constrained.
    pub measure: Measure,
    /// Its statistic.
    pub statistic: Statistic,
    /// Which side of the limit.
    pub comparison: Comparison,
    /// The limit, in the measure's unit.
    pub limit: f64,
    /// The text as typed.
    pub text: String,
}

impl Constraint {
    /// The name of the constrained statistic (`p_default:prob`).
    pub fn key(&self) -> String {
        format!("{}:{}", measure_key(self.measure), self.statistic.key())
    }

    /// The end of the estimate's 95% interval that must clear the limit.
    pub fn bound(&self, e: &Estimate) -> f64 {
        match self.comparison {
            Comparison::AtMost => e.high,
            Comparison::AtLeast => e.low,
        }
    }

    /// The bound clears the limit (false when undefined).
    fn met(&self, bound: f64) -> bool {
        match self.comparison {
            Comparison::AtMost => bound <= self.limit,
            Comparison::AtLeast => bound >= self.limit,
        }
    }

    /// How far the bound is on the wrong side, as a share of the limit (of 1 for a zero
    /// limit); infinite when undefined.
    fn violation(&self, bound: f64) -> f64 {
        if bound.is_nan() {
            return f64::INFINITY;
        }
        let excess = match self.comparison {
            Comparison::AtMost => bound - self.limit,
            Comparison::AtLeast => self.limit - bound,
        };
        let scale = if self.limit == 0.0 {
            1.0
        } else {
            self.limit.abs()
        };
        excess.max(0.0) / scale
    }
}

/// The name a measure goes by in options and outputs: `p_default` for the default flag.
pub fn measure_key(m: Measure) -> String {
    if m == Measure::Plan(Metric::Defaulted) {
        "p_default".into()
    } else {
        m.key()
    }
}

/// The whole question.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The decision variables, in `--var` order.
    pub variables: Vec<Variable>,
    /// Maximise or minimise.
    pub sense: Sense,
    /// What is optimised.
    pub goal: Goal,
    /// The constraints, in order.
    pub constraints: Vec<Constraint>,
}

/// How one candidate fared on one set of futures.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The objective's estimate (a point, with no width, for a decision variable).
    pub objective: Estimate,
    /// Each constraint's estimate and the bound of it that was tested.
    pub constraints: Vec<(Estimate, f64)>,
    /// P(default) with its Wilson interval: the risk axis of the frontier.
    pub p_default: Estimate,
    /// The ranking the search uses.
    pub score: Score,
}

impl Problem {
    /// Resolves the objective and constraints against the metrics and the variables, and
    /// refuses what cannot be answered: an unknown name, a probability limit no finite sample
    /// can show, two variables on one path.
    pub fn new(
        variables: Vec<Variable>,
        sense: Sense,
        objective: &MeasureSpec,
        constraints: &[ConstraintSpec],
        metric_by_name: &dyn Fn(&str) -> Option<Metric>,
    ) -> Result<Self, String> {
        for (i, v) in variables.iter().enumerate() {
            if variables[..i].iter().any(|w| w.path == v.path) {
                return Err(format!(
                    "--var {}: given twice; expected each path once",
                    shown(&v.path)
                ));
            }
        }
        let names = || {
            "a runs.csv metric (e.g. equity_npv_usd), delta_<metric> against the baseline \
             plan, p_default, or a --var path"
        };
        let goal = if let Some(i) = variables.iter().position(|v| v.path == objective.name) {
            if objective.statistic.is_some() {
                return Err(format!(
                    "--{} {}: a decision variable is known exactly, so it takes no statistic; \
                     expected just `{}`",
                    sense.key(),
                    shown(&objective.name),
                    shown(&objective.name)
                ));
            }
            Goal::Variable(i)
        } else {
            let (m, s) = objective.resolve(metric_by_name).ok_or_else(|| {
                format!(
                    "--{} {}: unknown measure; expected {}",
                    sense.key(),
                    shown(&objective.name),
                    names()
                )
            })?;
            Goal::Measure(m, s)
        };
        let mut resolved = Vec::new();
        for c in constraints {
            let (measure, statistic) = c.measure.resolve(metric_by_name).ok_or_else(|| {
                format!(
                    "--subject-to {}: unknown measure `{}`; expected a runs.csv metric, \
                     delta_<metric> or p_default",
                    shown(&c.text),
                    shown(&c.measure.name)
                )
            })?;
            if statistic == Statistic::Probability {
                // A Wilson interval never reaches 0 or 1 with finitely many futures.
                let impossible = match c.comparison {
                    Comparison::AtMost => c.limit <= 0.0,
                    Comparison::AtLeast => c.limit >= 1.0,
                };
                if impossible {
                    return Err(format!(
                        "--subject-to {}: a probability's 95% interval never reaches {} with \
                         finitely many futures, so no candidate could be shown to meet it; \
                         expected a limit strictly between 0 and 1 (e.g. 0.05)",
                        shown(&c.text),
                        if c.limit <= 0.0 { "0" } else { "1" }
                    ));
                }
            }
            resolved.push(Constraint {
                measure,
                statistic,
                comparison: c.comparison,
                limit: c.limit,
                text: c.text.clone(),
            });
        }
        Ok(Problem {
            variables,
            sense,
            goal,
            constraints: resolved,
        })
    }

    /// The measures to keep per future: P(default) first, then the objective's and the
    /// constraints' (each once).
    pub fn measures(&self) -> Vec<Measure> {
        let mut all = vec![Measure::Plan(Metric::Defaulted)];
        let wanted = self
            .constraints
            .iter()
            .map(|c| c.measure)
            .chain(match self.goal {
                Goal::Measure(m, _) => Some(m),
                Goal::Variable(_) => None,
            });
        for m in wanted {
            if !all.contains(&m) {
                all.push(m);
            }
        }
        all
    }

    /// The grid's number of points per variable.
    pub fn sizes(&self) -> Vec<usize> {
        self.variables.iter().map(Variable::points).collect()
    }

    /// How the grid is searched with `budget` evaluations: the whole grid when it fits;
    /// bisection when one variable is itself the objective and constraints are given (their
    /// feasibility taken to be monotone in it); else pattern search.
    pub fn strategy(&self, budget: usize) -> Strategy {
        if search::grid_size(&self.sizes(), budget).is_some() {
            return Strategy::Exhaustive;
        }
        match self.edge() {
            Some(feasible_above) => Strategy::Bisection { feasible_above },
            None => Strategy::Pattern,
        }
    }

    /// For the question "the least (most) value of the one variable that meets the
    /// constraints": whether the feasible values lie above the answer (minimising) or below
    /// it. `None` for any other question.
    pub fn edge(&self) -> Option<bool> {
        match self.goal {
            Goal::Variable(_) if self.variables.len() == 1 && !self.constraints.is_empty() => {
                Some(self.sense == Sense::Minimize)
            }
            _ => None,
        }
    }

    /// The name of the objective (`delta_equity_npv_usd:mean`, `starting_cash_usd`).
    pub fn objective_key(&self) -> String {
        match self.goal {
            Goal::Measure(m, s) => format!("{}:{}", measure_key(m), s.key()),
            Goal::Variable(i) => self.variables[i].path.clone(),
        }
    }

    /// Judges grid point `point` from its simulated values (`values` of the evaluation whose
    /// measures were [`Problem::measures`]; the plan at index `plan`).
    pub fn assess(&self, point: &[usize], values: &VariantValues, plan: usize) -> Assessment {
        let measures = self.measures();
        let series = |m: Measure| {
            let index = measures.iter().position(|&x| x == m).unwrap_or(0);
            values.get(index, plan)
        };
        let objective = match self.goal {
            Goal::Measure(m, s) => estimate(series(m), s),
            Goal::Variable(i) => {
                let v = self.variables[i].numeric_at(point[i]);
                Estimate {
                    value: v,
                    low: v,
                    high: v,
                    futures: values.futures(),
                }
            }
        };
        let constraints: Vec<(Estimate, f64)> = self
            .constraints
            .iter()
            .map(|c| {
                let e = estimate(series(c.measure), c.statistic);
                (e, c.bound(&e))
            })
            .collect();
        let feasible = self
            .constraints
            .iter()
            .zip(&constraints)
            .all(|(c, (_, bound))| c.met(*bound));
        let violation = self
            .constraints
            .iter()
            .zip(&constraints)
            .map(|(c, (_, bound))| c.violation(*bound))
            .sum();
        Assessment {
            objective,
            constraints,
            p_default: estimate(
                series(Measure::Plan(Metric::Defaulted)),
                Statistic::Probability,
            ),
            score: Score {
                feasible,
                violation,
                cost: self.sense.cost(objective.value),
            },
        }
    }

    /// The per-future values of the objective's measure (none for a decision variable).
    pub fn objective_series<'v>(
        &self,
        values: &'v VariantValues,
        plan: usize,
    ) -> Option<&'v [f64]> {
        match self.goal {
            Goal::Measure(m, _) => {
                let index = self.measures().iter().position(|&x| x == m)?;
                Some(values.get(index, plan))
            }
            Goal::Variable(_) => None,
        }
    }
}

/// A lower bound on the probability that `winner` truly beats every one of `others` on the
/// objective (Bonferroni: 1 − Σ P(it does not beat that one), floored at 0), each from the
/// normal approximation Φ(Δ/se) of the estimated lead Δ:
/// - for a mean, Δ and se come from the paired differences on common futures, which cancel
///   the luck the two share;
/// - for another statistic, from the two estimates, se = √(h₁² + h₂²)/1.96 with h their 95%
///   half-widths: the independent-samples error, larger than the paired one when the two
///   move together, so the bound stays a bound.
///
/// `winner` and each of `others` are a candidate's objective values per future (the same
/// futures); a decision-variable objective has no values (`None`) and a known lead.
pub fn probability_of_correct_selection(
    sense: Sense,
    statistic: Option<Statistic>,
    winner: (f64, Option<&[f64]>),
    others: &[(f64, Option<&[f64]>)],
) -> f64 {
    let mut miss = 0.0;
    for &(other_value, other_series) in others {
        let lead = -(sense.cost(winner.0) - sense.cost(other_value));
        let se = match (statistic, winner.1, other_series) {
            (Some(Statistic::Mean), Some(w), Some(o)) => paired_difference(o, w).half_width() / Z95,
            (Some(s), Some(w), Some(o)) => {
                let (a, b) = (estimate(w, s), estimate(o, s));
                (a.half_width().powi(2) + b.half_width().powi(2)).sqrt() / Z95
            }
            _ => 0.0,
        };
        let beats = if se > 0.0 {
            standard_normal_cdf(lead / se)
        } else if lead > 0.0 {
            1.0
        } else if lead == 0.0 {
            0.5
        } else {
            0.0
        };
        miss += 1.0 - beats;
    }
    (1.0 - miss).max(0.0)
}

/// Φ(z), the standard normal distribution function, by Abramowitz and Stegun 26.2.17
/// (absolute error below 7.5·10⁻⁸), with the bit-identical exponential of the engine.
pub fn standard_normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let x = z.abs();
    let t = 1.0 / (1.0 + 0.231_641_9 * x);
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let density = crate::engine::math::exp(-x * x / 2.0) / (2.0 * std::f64::consts::PI).sqrt();
    let upper = density * poly;
    if z >= 0.0 { 1.0 - upper } else { upper }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.key() == name)
    }

    #[test]
    fn normal_cdf_matches_tabulated_values() {
        // Φ(0) = 0.5, Φ(1.96) = 0.975002, Φ(−1) = 0.158655 (standard tables).
        assert!((standard_normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((standard_normal_cdf(1.96) - 0.975_002).abs() < 1e-6);
        assert!((standard_normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
    }

    #[test]
    fn objectives_and_constraints_parse_and_resolve() {
        let v = Variable::parse("starting_cash_usd=0..100/10").unwrap();
        let objective = MeasureSpec::parse("starting_cash_usd").unwrap();
        let c = ConstraintSpec::parse("p_default <= 5%").unwrap();
        assert_eq!(c.limit, 0.05);
        let p = Problem::new(vec![v.clone()], Sense::Minimize, &objective, &[c], &metric).unwrap();
        assert_eq!(p.goal, Goal::Variable(0));
        assert_eq!(
            (p.constraints[0].measure, p.constraints[0].statistic),
            (Measure::Plan(Metric::Defaulted), Statistic::Probability)
        );
        // 11 grid points fit a budget of 60: searched exhaustively; with 5, by bisection.
        assert_eq!(p.strategy(60), Strategy::Exhaustive);
        assert_eq!(
            p.strategy(5),
            Strategy::Bisection {
                feasible_above: true
            }
        );
        let objective = MeasureSpec::parse("delta_equity_npv_usd:p05").unwrap();
        let p = Problem::new(vec![v.clone()], Sense::Maximize, &objective, &[], &metric).unwrap();
        assert_eq!(
            p.goal,
            Goal::Measure(
                Measure::VersusBaseline(Metric::EquityNpv),
                Statistic::Quantile(0.05)
            )
        );
        assert_eq!(p.objective_key(), "delta_equity_npv_usd:p05");
        assert_eq!(p.strategy(5), Strategy::Pattern);
        // Unknown names, a statistic on a variable, impossible probabilities: refused.
        for (objective, constraint) in [
            ("no_such_metric:mean", "p_default<=0.05"),
            ("starting_cash_usd:mean", "p_default<=0.05"),
            ("equity_npv_usd", "p_default<=0"),
            ("equity_npv_usd", "p_default>=1"),
            ("equity_npv_usd", "nothing<=3"),
        ] {
            let o = MeasureSpec::parse(objective).unwrap();
            let c = ConstraintSpec::parse(constraint).unwrap();
            assert!(
                Problem::new(vec![v.clone()], Sense::Maximize, &o, &[c], &metric).is_err(),
                "{objective} {constraint}"
            );
        }
        for bad in [
            "p_default<0.05",
            "p_default=0.05",
            "p_default<=x",
            ":mean<=1",
        ] {
            assert!(ConstraintSpec::parse(bad).is_err(), "{bad}");
        }
        assert!(MeasureSpec::parse("equity_npv_usd:average").is_err());
    }

    #[test]
    fn a_candidate_is_judged_on_the_upper_bound_of_its_default_probability() {
        // 100 futures, 2 of them defaulted: p = 0.02, Wilson 95% interval (0.0055, 0.0700).
        // Against p_default ≤ 0.05 the upper end 0.0700 fails; against ≤ 0.08 it passes.
        let flags: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i < 2))).collect();
        let values = VariantValues::from_values(1, 100, flags);
        let v = Variable::parse("x=0.0..10.0").unwrap();
        let objective = MeasureSpec::parse("x").unwrap();
        let judge = |limit: &str| {
            let c = ConstraintSpec::parse(&format!("p_default<={limit}")).unwrap();
            let p =
                Problem::new(vec![v.clone()], Sense::Minimize, &objective, &[c], &metric).unwrap();
            p.assess(&[4], &values, 0)
        };
        let strict = judge("0.05");
        assert_eq!(strict.p_default.value, 0.02);
        assert!((strict.constraints[0].1 - 0.0700).abs() < 5e-4);
        assert!(!strict.score.feasible);
        // Violation: (0.0700 − 0.05)/0.05 = 0.40.
        assert!((strict.score.violation - 0.40).abs() < 0.01);
        assert!(judge("0.08").score.feasible);
        // The objective is the variable's grid value: 0..10 in 20 steps of 0.5, point 4 is 2.
        assert_eq!(strict.objective.value, 2.0);
    }

    #[test]
    fn correct_selection_from_paired_differences() {
        // The winner leads by exactly 1 on every future: the paired differences have no
        // spread, so it surely beats the other (probability 1). Against a candidate it ties
        // with on every future, the chance is a coin's, 0.5.
        let w: Vec<f64> = (0..50).map(f64::from).collect();
        let behind: Vec<f64> = w.iter().map(|x| x - 1.0).collect();
        let pcs = probability_of_correct_selection(
            Sense::Maximize,
            Some(Statistic::Mean),
            (24.5, Some(&w)),
            &[(23.5, Some(&behind))],
        );
        assert_eq!(pcs, 1.0);
        let pcs = probability_of_correct_selection(
            Sense::Maximize,
            Some(Statistic::Mean),
            (24.5, Some(&w)),
            &[(24.5, Some(&w))],
        );
        assert_eq!(pcs, 0.5);
        // Differences alternating +1 and +3 (mean 2, sample sd √(50/49) ≈ 1.0102 over 50
        // futures, se ≈ 0.14286): z = 2/0.14286 = 14, Φ(z) = 1 to double precision.
        let noisy: Vec<f64> = w
            .iter()
            .enumerate()
            .map(|(i, x)| x - if i % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let pcs = probability_of_correct_selection(
            Sense::Maximize,
            Some(Statistic::Mean),
            (24.5, Some(&w)),
            &[(22.5, Some(&noisy)), (23.5, Some(&behind))],
        );
        assert!(pcs > 0.999_999);
    }
}
