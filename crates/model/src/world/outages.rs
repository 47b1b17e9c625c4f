//! Random outages of the world: grid outages per site and cooling failures per hall.
//!
//! Each is an alternating renewal process: up for a draw from `between_days`, then down for a
//! draw from `duration_hours`, and again, from a stream keyed by the site or hall, so every plan
//! meets the same outages. The long-run share of time down is E[down] / (E[up] + E[down]).
//! Each grid outage also draws, once, whether the site's backup generators fail during it.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::compiled::{CompiledScenario, HallSpec, ShockSpec, SiteSpec};
use crate::world::samplers::sample;
use crate::world::streams::{StreamKind, Streams};
use crate::world::{World, WorldProcess};
use pivotsim_engine::{SECONDS_PER_DAY, SECONDS_PER_HOUR, SimTime};
use pivotsim_scenario::Dist;

/// One outage interval.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Outage {
    /// Start.
    pub from: SimTime,
    /// End (exclusive).
    pub to: SimTime,
    /// Grid outages: whether the generators fail during it. Cooling: unused (false).
    pub generators_fail: bool,
    /// Share of capacity lost (1 for grid outages).
    pub derate: f64,
}

/// The outages of one replication.
#[derive(Debug, Clone, Default)]
pub struct Outages {
    /// Per site, its grid outages in time order.
    pub grid: Vec<Vec<Outage>>,
    /// Per hall, its cooling failures in time order.
    pub cooling: Vec<Vec<Outage>>,
}

/// Draws the intervals of an alternating renewal process over [0, end).
fn renewal(
    between_days: &Dist,
    duration_hours: &Dist,
    end: SimTime,
    rng: &mut ChaCha8Rng,
    mut on_outage: impl FnMut(SimTime, SimTime, &mut ChaCha8Rng),
) {
    let mut t = 0.0f64;
    let end_s = end.secs() as f64;
    loop {
        t += sample(between_days, rng).max(0.0) * SECONDS_PER_DAY as f64;
        if t >= end_s {
            break;
        }
        let length = (sample(duration_hours, rng).max(0.0) * SECONDS_PER_HOUR as f64).max(1.0);
        let from = SimTime::from_secs(t as u64);
        let to = SimTime::from_secs(((t + length) as u64).min(end.secs()));
        on_outage(from, to, rng);
        t += length;
    }
}

/// Grid outages and cooling failures as a world process: the sites and halls and the horizon.
/// Its path is the world's `outages`.
pub(crate) struct OutageProcess<'m> {
    sites: &'m [SiteSpec],
    halls: &'m [HallSpec],
    end: SimTime,
}

impl<'m> WorldProcess<'m> for OutageProcess<'m> {
    fn from_scenario(model: &'m CompiledScenario) -> Self {
        OutageProcess {
            sites: &model.sites,
            halls: &model.halls,
            end: model.end,
        }
    }

    /// Generates each site's random and traced grid outages, adds its scheduled ones, and
    /// generates each hall's cooling failures.
    fn generate(&self, shocks: &[ShockSpec], streams: Streams, world: &mut World) {
        let outages = &mut world.outages;
        outages.grid.clear();
        outages.cooling.clear();
        for (i, site) in self.sites.iter().enumerate() {
            let mut list = Vec::new();
            if let Some((between, duration)) = &site.grid_outages {
                let mut rng = streams.instance(StreamKind::GridOutages, i);
                let p_fail = site.generator_failure_probability;
                renewal(between, duration, self.end, &mut rng, |from, to, rng| {
                    let generators_fail = rng.random::<f64>() < p_fail;
                    list.push(Outage {
                        from,
                        to,
                        generators_fail,
                        derate: 1.0,
                    });
                });
            }
            if !site.trace_outages.is_empty() {
                // Traced outages draw their generator failures from the site's own stream,
                // after its random outages.
                let mut rng = streams.instance(StreamKind::TraceOutages, i);
                for &(from, to) in &site.trace_outages {
                    let generators_fail = rng.random::<f64>() < site.generator_failure_probability;
                    list.push(Outage {
                        from,
                        to,
                        generators_fail,
                        derate: 1.0,
                    });
                }
            }
            for shock in shocks {
                if let ShockSpec::GridOutage { site: s, from, to } = *shock {
                    if s == i {
                        // A scheduled outage: the generators are assumed to fail (the stress).
                        list.push(Outage {
                            from,
                            to,
                            generators_fail: true,
                            derate: 1.0,
                        });
                    }
                }
            }
            list.sort_by_key(|o| o.from);
            outages.grid.push(list);
        }
        for (h, hall) in self.halls.iter().enumerate() {
            let mut list = Vec::new();
            if let Some((between, duration, derate)) = &hall.cooling_failures {
                let mut rng = streams.instance(StreamKind::CoolingFailures, h);
                renewal(between, duration, self.end, &mut rng, |from, to, _| {
                    list.push(Outage {
                        from,
                        to,
                        generators_fail: false,
                        derate: *derate,
                    });
                });
            }
            outages.cooling.push(list);
        }
    }
}

/// Total time covered by `outages` (overlaps counted once), seconds.
pub fn covered_secs(outages: &[Outage]) -> u64 {
    let mut total = 0;
    let mut reach = SimTime::ZERO;
    for o in outages {
        let from = o.from.max(reach);
        if o.to > from {
            total += o.to.secs_since(from);
            reach = o.to;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fraction_down(between: Dist, duration: Dist, years: u64, reps: u64) -> f64 {
        let end = SimTime::from_days(years * 365);
        let mut down = 0u64;
        for rep in 0..reps {
            let mut rng = Streams::new(3, rep).of(StreamKind::GridOutages);
            let mut list = Vec::new();
            renewal(&between, &duration, end, &mut rng, |from, to, _| {
                list.push(Outage {
                    from,
                    to,
                    generators_fail: false,
                    derate: 1.0,
                })
            });
            down += covered_secs(&list);
        }
        down as f64 / (end.secs() * reps) as f64
    }

    #[test]
    fn exponential_outages_are_down_mttr_over_mtbf_plus_mttr() {
        // MTBF (up time between outages) 30 days = 720 h, MTTR 12 h, both exponential: the
        // long-run share of time down is 12 / (720 + 12) = 1.6393%. Over 200 runs of 50 years
        // (~12,000 outages) the relative error is about 1/√12,000 × √2 ≈ 1.3%; allow 5%.
        let f = fraction_down(
            Dist::Exponential { mean: 30.0 },
            Dist::Exponential { mean: 12.0 },
            50,
            200,
        );
        let expected = 12.0 / (720.0 + 12.0);
        assert!((f / expected - 1.0).abs() < 0.05, "{f} vs {expected}");
    }

    #[test]
    fn weibull_and_lognormal_outages_follow_their_means() {
        // Up ~ Weibull(k = 1.5, λ = 20 days): mean 20·Γ(1 + 1/1.5) = 20 × 0.902745 = 18.0549 d.
        // Down ~ lognormal(median 6 h, σ 1): mean 6·e^0.5 = 9.8923 h. Share down =
        // 9.8923 / (18.0549 × 24 + 9.8923) = 2.2318%.
        let f = fraction_down(
            Dist::Weibull {
                shape: 1.5,
                scale: 20.0,
            },
            Dist::Lognormal {
                median: 6.0,
                sigma: 1.0,
            },
            50,
            200,
        );
        let up_h = 20.0 * crate::world::samplers::gamma_fn(1.0 + 1.0 / 1.5) * 24.0;
        let down_h = 6.0 * 0.5f64.exp();
        let expected = down_h / (up_h + down_h);
        assert!((expected - 0.022318).abs() < 1e-5, "{expected}");
        assert!((f / expected - 1.0).abs() < 0.05, "{f} vs {expected}");
    }
}
