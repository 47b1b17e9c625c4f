//! The floating base rate of the debts: a mean-reverting rate stepped once a simulated month.
//!
//! The rate follows dx = κ(θ − x)dt + σ dW, stepped by Euler once a month (Δ = 1/12 year) from
//! its configured start. A scheduled rate step shifts the path from its month on; the process
//! is not re-anchored to it.

use crate::compiled::{CompiledScenario, ShockSpec};
use crate::world::samplers::MeanReversion;
use crate::world::streams::{StreamKind, Streams};
use crate::world::{World, WorldProcess};
use pivotsim_engine::{MONTHS_PER_YEAR, SimTime};
use pivotsim_scenario::BaseRate;

/// The base rate as a world process: its parameters (none without a floating rate) and the
/// month boundaries. Its path is the world's `base_rate`, one value per simulated month.
pub(crate) struct BaseRateProcess<'m> {
    params: Option<&'m BaseRate>,
    /// Month boundaries strictly inside the horizon.
    month_starts: &'m [SimTime],
}

impl<'m> WorldProcess<'m> for BaseRateProcess<'m> {
    fn from_scenario(model: &'m CompiledScenario) -> Self {
        BaseRateProcess {
            params: model.finance.base_rate.as_ref(),
            month_starts: &model.month_starts,
        }
    }

    /// The rate of each month, fraction per year (empty without a floating rate), with the
    /// scheduled rate steps added from their month on.
    fn generate(&self, shocks: &[ShockSpec], streams: Streams, world: &mut World) {
        world.base_rate.clear();
        let Some(b) = self.params else {
            return;
        };
        let mut rng = streams.of(StreamKind::BaseRate);
        let step = MeanReversion::euler(
            b.reversion_per_year,
            b.long_run,
            b.volatility,
            1.0 / MONTHS_PER_YEAR,
        );
        let mut x = b.initial;
        for month in 0..=self.month_starts.len() {
            if month > 0 {
                x = step.advance(x, &mut rng);
            }
            world.base_rate.push(x);
        }
        for shock in shocks {
            if let ShockSpec::RateStep { at, delta } = *shock {
                let first = self.month_starts.partition_point(|t| *t <= at);
                for r in world.base_rate.iter_mut().skip(first) {
                    *r += delta;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn the_path_is_the_monthly_euler_step_with_rate_steps_added() {
        // κ = 0.5/yr, θ = 4%, σ = 1%, from 5%, over three month boundaries (four months), with
        // +0.5% from the second boundary on: each month is x + (κ(θ − x)/12 + σ√(1/12)·z) on
        // the base-rate stream, then the step is added to months 2 and 3.
        let b = BaseRate {
            initial: 0.05,
            long_run: 0.04,
            reversion_per_year: 0.5,
            volatility: 0.01,
        };
        let months: Vec<SimTime> = (1..=3).map(|k| SimTime::from_days(30 * k)).collect();
        let process = BaseRateProcess {
            params: Some(&b),
            month_starts: &months,
        };
        let shocks = [ShockSpec::RateStep {
            at: months[1],
            delta: 0.005,
        }];
        let mut world = World::default();
        process.generate(&shocks, Streams::new(4, 2), &mut world);

        let mut rng = Streams::new(4, 2).of(StreamKind::BaseRate);
        let dt: f64 = 1.0 / 12.0;
        let mut x = 0.05;
        let mut expected = vec![x];
        for _ in 0..3 {
            let z: f64 = StandardNormal.sample(&mut rng);
            x += 0.5 * (0.04 - x) * dt + 0.01 * dt.sqrt() * z;
            expected.push(x);
        }
        for r in expected.iter_mut().skip(2) {
            *r += 0.005;
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&world.base_rate), bits(&expected));

        // Without a floating rate the path is empty.
        let none = BaseRateProcess {
            params: None,
            month_starts: &months,
        };
        none.generate(&shocks, Streams::new(4, 2), &mut world);
        assert!(world.base_rate.is_empty());
    }
}
