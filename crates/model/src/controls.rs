//! The draws a conversion's luck rests on, read again as control variates (issue #21).
//!
//! A conversion's value turns on a few all-or-nothing draws: each anchor deal's default clock,
//! each converted hall's construction delay and cost overrun. Each is drawn from its own
//! stream ([`crate::world::streams`]), so it can be read again outside the simulation, and
//! its distribution is known: a draw x from F falls below F⁻¹(q) with probability exactly q.
//! The indicators 1{x < F⁻¹(q)} at a few levels q are therefore controls of known mean q,
//! whatever the scenario; a regression of a plan's ΔNPV on them (in the statistics layer)
//! removes the part of its variance they explain without biasing the mean. Indicators rather
//! than smooth functions of x: they need no closed-form moments, they take any shape of
//! dependence (a step at the lease's end, a milestone date), and their cross-products are
//! integer counts, which merge exactly.
//!
//! The controls read the draws through the same functions the operator draws them with
//! ([`crate::operator::default_clock`], [`crate::operator::construction_draws`]), so in an
//! antithetic pair the odd member's controls are mirrored exactly as its futures are.

use crate::compiled::{ActionSpec, CompiledScenario, RuleSpec};
use crate::operator::{construction_draws, default_clock};
use crate::world::samplers::quantile;
use crate::world::streams::{StreamKind, paired_stream};
use pivotsim_scenario::Dist;

/// The levels q of the indicators, each with Φ⁻¹(q) (the standard normal quantile, for a
/// lognormal draw's threshold): denser in the lower tail, where a tenant's default clock
/// decides whether it defaults within its lease.
pub const LEVELS: [(f64, f64); 7] = [
    (0.05, -1.644_853_626_951_472_6),
    (0.1, -1.281_551_565_544_600_8),
    (0.2, -0.841_621_233_572_914_3),
    (0.35, -0.385_320_466_407_567_6),
    (0.5, 0.0),
    (0.7, 0.524_400_512_708_041_3),
    (0.9, 1.281_551_565_544_600_8),
];

/// One draw read as a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ControlDraw {
    /// The default clock of the anchor deal signed by the plan action with this index.
    AnchorClock {
        /// The action's index in its plan (its stream's instance).
        action: usize,
    },
    /// One of the two draws of a conversion of this hall (sorted by hall, so a hall's two
    /// are neighbours and its stream is read once).
    Construction {
        /// Global hall index.
        hall: usize,
        /// Which of the two.
        part: ConstructionPart,
    },
}

/// The two draws of a hall's construction luck, in their stream's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConstructionPart {
    /// The delay, months.
    Delay,
    /// The cost overrun, a fraction of the budget.
    Overrun,
}

impl ControlDraw {
    /// What it is, for reports: "anchor deal of action 3, default clock".
    pub fn describe(&self) -> String {
        match self {
            ControlDraw::AnchorClock { action } => {
                format!("default clock of the anchor deal of action {action}")
            }
            ControlDraw::Construction {
                hall,
                part: ConstructionPart::Delay,
            } => format!("construction delay of hall {hall}"),
            ControlDraw::Construction {
                hall,
                part: ConstructionPart::Overrun,
            } => format!("construction overrun of hall {hall}"),
        }
    }
}

/// Every control draw of a scenario, with the thresholds F⁻¹(q) of its indicators: columns
/// `d · LEVELS.len() + l` for draw `d` and level `l`.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    draws: Vec<(ControlDraw, [f64; LEVELS.len()])>,
}

impl Controls {
    /// The draws any plan of `model` rests on: each anchor deal (when the scenario has an AI
    /// market, which gives tenants their default clocks) and each hall a plan converts, by
    /// an action or, for a plan with a converting rule, any hall (when the scenario has
    /// construction risk, with a delay and an overrun whose quantiles have a closed form).
    pub fn new(model: &CompiledScenario) -> Self {
        let mut keys: Vec<ControlDraw> = (0..model.plans.len())
            .flat_map(|p| plan_draws(model, p))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let exp1 = Dist::Exponential { mean: 1.0 };
        let risk = model.ai.as_ref().and_then(|a| a.construction_risk);
        let draws = keys
            .into_iter()
            .filter_map(|key| {
                let dist = match key {
                    ControlDraw::AnchorClock { .. } => exp1,
                    ControlDraw::Construction { part, .. } => match part {
                        ConstructionPart::Delay => risk?.delay_months,
                        ConstructionPart::Overrun => risk?.cost_overrun,
                    },
                };
                let mut thresholds = [0.0; LEVELS.len()];
                for (t, &(q, z)) in thresholds.iter_mut().zip(&LEVELS) {
                    *t = quantile(&dist, q, z)?;
                }
                Some((key, thresholds))
            })
            .collect();
        Controls { draws }
    }

    /// Number of indicator columns.
    pub fn len(&self) -> usize {
        self.draws.len() * LEVELS.len()
    }

    /// Whether there is no control.
    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }

    /// The known mean of each column: its level q.
    pub fn means(&self) -> Vec<f64> {
        self.draws
            .iter()
            .flat_map(|_| LEVELS.iter().map(|&(q, _)| q))
            .collect()
    }

    /// The draws, in column order (each spans `LEVELS.len()` columns).
    pub fn draws(&self) -> impl Iterator<Item = ControlDraw> + '_ {
        self.draws.iter().map(|(key, _)| *key)
    }

    /// The columns of the draws plans `plans` rest on, in column order.
    pub fn columns_for(&self, model: &CompiledScenario, plans: &[usize]) -> Vec<usize> {
        let wanted: Vec<ControlDraw> = plans.iter().flat_map(|&p| plan_draws(model, p)).collect();
        self.draws
            .iter()
            .enumerate()
            .filter(|(_, (key, _))| wanted.contains(key))
            .flat_map(|(d, _)| d * LEVELS.len()..(d + 1) * LEVELS.len())
            .collect()
    }

    /// Every column's indicator in replication `replication`, into `out` (cleared first).
    pub fn draw(&self, model: &CompiledScenario, seed: u64, replication: u64, out: &mut Vec<bool>) {
        out.clear();
        // The last hall's construction draws: its delay and overrun are neighbours.
        let mut luck: Option<(usize, Option<(f64, f64)>)> = None;
        for (key, thresholds) in &self.draws {
            let x = match *key {
                ControlDraw::AnchorClock { action } => {
                    let (mut rng, mirrored) = paired_stream(
                        seed,
                        replication,
                        model.antithetic,
                        StreamKind::AnchorTenant,
                        action,
                    );
                    default_clock(&mut rng, mirrored)
                }
                ControlDraw::Construction { hall, part } => {
                    let drawn = match luck {
                        Some((h, drawn)) if h == hall => drawn,
                        _ => {
                            let drawn = construction_draws(model, seed, replication, hall);
                            luck = Some((hall, drawn));
                            drawn
                        }
                    };
                    drawn.map_or(0.0, |(delay, overrun)| match part {
                        ConstructionPart::Delay => delay,
                        ConstructionPart::Overrun => overrun,
                    })
                }
            };
            out.extend(thresholds.iter().map(|&t| x < t));
        }
    }
}

/// The draws plan `plan` rests on (unsorted, possibly repeated).
fn plan_draws(model: &CompiledScenario, plan: usize) -> Vec<ControlDraw> {
    let spec = &model.plans[plan];
    let mut out = Vec::new();
    let mut halls = Vec::new();
    for timed in &spec.actions {
        match timed.action {
            ActionSpec::SignTenant { .. } if model.ai.is_some() => {
                out.push(ControlDraw::AnchorClock {
                    action: timed.index,
                });
            }
            ActionSpec::Convert { hall, .. } => halls.push(hall),
            _ => {}
        }
    }
    let converts_by_rule = spec.rules.iter().any(|r| {
        matches!(
            r,
            RuleSpec::ConvertNextAsicHall { .. } | RuleSpec::ConvertOnPrelease { .. }
        )
    });
    if converts_by_rule {
        halls = (0..model.halls.len()).collect();
    }
    let has_risk = model
        .ai
        .as_ref()
        .is_some_and(|a| a.construction_risk.is_some());
    if has_risk {
        for hall in halls {
            for part in [ConstructionPart::Delay, ConstructionPart::Overrun] {
                out.push(ControlDraw::Construction { hall, part });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_model(antithetic: bool) -> CompiledScenario {
        let mut loaded = pivotsim_scenario::load_default().expect("the default scenario loads");
        loaded.scenario.antithetic = antithetic;
        CompiledScenario::new(&loaded.scenario).expect("the default scenario compiles")
    }

    #[test]
    fn the_normal_quantiles_are_those_of_the_levels() {
        // Φ(z) = erfc(−z/√2)/2; the table's z must give back q. Checked against the
        // lognormal's threshold instead (no erfc here): a lognormal of median 1 and σ = 1
        // has F⁻¹(q) = e^(Φ⁻¹(q)), so ln of the threshold must be the table's z, and the
        // table is symmetric where the levels are (q and 1 − q: z and −z).
        for &(q, z) in &LEVELS {
            let t = quantile(
                &Dist::Lognormal {
                    median: 1.0,
                    sigma: 1.0,
                },
                q,
                z,
            )
            .expect("a lognormal has quantiles");
            assert!((t.ln() - z).abs() < 1e-12, "q = {q}");
        }
        let z_of = |q: f64| LEVELS.iter().find(|l| l.0 == q).map(|l| l.1);
        assert_eq!(z_of(0.1).map(|z| -z), z_of(0.9));
        assert_eq!(z_of(0.5), Some(0.0));
    }

    #[test]
    fn each_indicator_has_its_level_as_mean() {
        // 1{x < F⁻¹(q)} is Bernoulli(q) for every draw; over 4,000 replications the share
        // is within 4.5 standard errors, √(q(1 − q)/4000) ≤ 0.0079, of q: a wrong threshold
        // (a quantile of the wrong distribution, a draw read from the wrong stream position)
        // moves a share by far more. Both members of antithetic pairs keep the marginals.
        for antithetic in [false, true] {
            let model = default_model(antithetic);
            let controls = Controls::new(&model);
            assert!(
                !controls.is_empty(),
                "the default scenario has control draws"
            );
            let n = 4_000u64;
            let mut hits = vec![0u64; controls.len()];
            let mut row = Vec::new();
            for r in 0..n {
                controls.draw(&model, 11, r, &mut row);
                for (h, &b) in hits.iter_mut().zip(&row) {
                    *h += u64::from(b);
                }
            }
            for (column, (&h, q)) in hits.iter().zip(controls.means()).enumerate() {
                let share = h as f64 / n as f64;
                let se = (q * (1.0 - q) / n as f64).sqrt();
                assert!(
                    (share - q).abs() < 4.5 * se,
                    "column {column}: {share} against {q} (antithetic {antithetic})"
                );
            }
        }
    }

    #[test]
    fn an_antithetic_pair_mirrors_its_indicators() {
        // The odd member's draw is F⁻¹(1 − F(x)): it falls below F⁻¹(q) exactly when the
        // even member's falls above F⁻¹(1 − q), so the indicators at q = 0.1 and 0.9 of the
        // two members are complementary (ties have probability 0).
        let model = default_model(true);
        let controls = Controls::new(&model);
        let low = LEVELS.iter().position(|l| l.0 == 0.1).expect("level 0.1");
        let high = LEVELS.iter().position(|l| l.0 == 0.9).expect("level 0.9");
        let (mut even, mut odd) = (Vec::new(), Vec::new());
        for pair in 0..200 {
            controls.draw(&model, 5, 2 * pair, &mut even);
            controls.draw(&model, 5, 2 * pair + 1, &mut odd);
            for d in 0..controls.draws.len() {
                let at = |l: usize| d * LEVELS.len() + l;
                assert_eq!(odd[at(low)], !even[at(high)], "draw {d}, pair {pair}");
            }
        }
    }

    #[test]
    fn a_plan_rests_on_its_own_anchors_and_halls() {
        // The default scenario: stay-mining converts nothing and signs no one; the convert
        // plan signs two anchor deals and converts two halls (a delay and an overrun each).
        let model = default_model(false);
        let controls = Controls::new(&model);
        assert!(controls.columns_for(&model, &[0]).is_empty());
        let convert = controls.columns_for(&model, &[1, 0]);
        assert_eq!(convert.len(), (2 + 2 * 2) * LEVELS.len());
    }
}
