//! The AI/HPC market of one replication: boom and bust, tenant inquiries, GPU-hour prices.
//!
//! All of it is world-side: drawn from streams keyed by (seed, replication, process) only, so
//! every plan meets the same inquiries at the same times with the same sizes, prices and
//! patience. What a plan does with an inquiry (place it, or lose it) is the operator's part.
//! Each inquiry also carries its own stream for what happens after signing (default,
//! renewals), so a tenant behaves the same under every plan that signs it.

use pivotsim_engine::math;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use crate::compiled::{CompiledScenario, ShockSpec};
use crate::world::gpu_price::GpuGenerationLevels;
use crate::world::samplers::{mirror_exp1, mirror_sample, sample, signed_normal};
use crate::world::streams::{StreamKind, Streams};
use crate::world::{MarketSegment, World, WorldProcess};
use pivotsim_engine::{SECONDS_PER_DAY, SECONDS_PER_YEAR, SimTime, months_to_secs};
use pivotsim_scenario::{
    AiMarket, AiRegime, DENSITY_KW_SUPPORT, Dist, MONTHS_SUPPORT, PowerTerms, SIZE_MW_SUPPORT,
    TERM_YEARS_SUPPORT,
};

/// The AI market's parameters in simulation units.
#[derive(Debug, Clone)]
pub struct AiParams {
    /// Regime at the start.
    pub initial: AiRegime,
    /// Boom → bust hazard, per second.
    pub boom_to_bust: f64,
    /// Bust → boom hazard, per second.
    pub bust_to_boom: f64,
    /// Bust multiples: inquiry rate, price level, default hazard.
    pub bust_inquiry_factor: f64,
    /// Bust multiple of lease and GPU-hour price levels.
    pub bust_price_factor: f64,
    /// Bust multiple of the default hazard.
    pub bust_default_factor: f64,
    /// Sensitivity of the regime hazards to the trailing 90-day BTC log return.
    pub btc_sensitivity: f64,
    /// Inquiry rate in a boom, per second.
    pub inquiry_rate: f64,
    /// Inquiry size, MW IT.
    pub size_mw: Dist,
    /// Term, years.
    pub term_years: Dist,
    /// Boom lease level, USD per kW-month.
    pub price: f64,
    /// σ of ln price around the level.
    pub price_dispersion: f64,
    /// Annual escalator.
    pub escalator: f64,
    /// Share needing liquid cooling.
    pub liquid_share: f64,
    /// Density, kW per rack.
    pub density: Dist,
    /// Start delay, months.
    pub start_delay_months: Dist,
    /// Patience, months.
    pub patience_months: Dist,
    /// Who pays tenant power.
    pub power: PowerTerms,
    /// Ramp months.
    pub ramp_months: u32,
    /// Renewal probability.
    pub renewal_probability: f64,
    /// Default hazard in a boom, per second.
    pub default_hazard: f64,
    /// Tenant credit classes: (boom default hazard per second, bust multiple), in the
    /// scenario's order.
    pub classes: Vec<DefaultHazard>,
    /// Service credits for downtime.
    pub sla: Option<pivotsim_scenario::Sla>,
    /// GPU-hour price at the start, USD.
    pub gpu_price: f64,
    /// GPU-hour long-run level in a boom, USD.
    pub gpu_long_run: f64,
    /// GPU-hour reversion per year.
    pub gpu_reversion: f64,
    /// GPU-hour volatility per √year.
    pub gpu_volatility: f64,
    /// Conversion delays and cost overruns, if any.
    pub construction_risk: Option<pivotsim_scenario::ConstructionRisk>,
}

impl AiParams {
    /// Converts the scenario's section.
    pub fn new(m: &AiMarket) -> Self {
        AiParams {
            initial: m.regimes.initial,
            boom_to_bust: m.regimes.boom_to_bust_per_year / SECONDS_PER_YEAR,
            bust_to_boom: m.regimes.bust_to_boom_per_year / SECONDS_PER_YEAR,
            bust_inquiry_factor: m.regimes.bust_inquiry_factor,
            bust_price_factor: m.regimes.bust_price_factor,
            bust_default_factor: m.regimes.bust_default_factor,
            btc_sensitivity: m.regimes.btc_sensitivity,
            inquiry_rate: m.inquiries.rate_per_year / SECONDS_PER_YEAR,
            size_mw: m.inquiries.size_mw,
            term_years: m.inquiries.term_years,
            price: m.inquiries.price_usd_per_kw_month,
            price_dispersion: m.inquiries.price_dispersion,
            escalator: m.inquiries.escalator_per_year,
            liquid_share: m.inquiries.liquid_share,
            density: m.inquiries.density_kw_per_rack,
            start_delay_months: m.inquiries.start_delay_months,
            patience_months: m.inquiries.patience_months,
            power: m.lease.power,
            ramp_months: m.lease.ramp_months,
            renewal_probability: m.lease.renewal_probability,
            default_hazard: m.lease.default_hazard_per_year / SECONDS_PER_YEAR,
            classes: m
                .lease
                .tenant_classes
                .iter()
                .map(|c| DefaultHazard {
                    boom: c.default_hazard_per_year / SECONDS_PER_YEAR,
                    bust_factor: c
                        .bust_default_factor
                        .unwrap_or(m.regimes.bust_default_factor),
                    guarantee_fee_share: c.guarantee_fee_share_of_rent,
                    warrants_share: c.guarantee_warrants_share_of_equity,
                    recovery_share: c.recovery_share_of_remaining_rent,
                })
                .collect(),
            sla: m.lease.sla.clone(),
            gpu_price: m.gpu_hour.price_usd,
            gpu_long_run: m.gpu_hour.long_run_usd,
            gpu_reversion: m.gpu_hour.reversion_per_year,
            gpu_volatility: m.gpu_hour.volatility,
            construction_risk: m.construction_risk,
        }
    }

    /// Multiple of the boom price level in `regime`.
    pub fn price_factor(&self, regime: AiRegime) -> f64 {
        match regime {
            AiRegime::Boom => 1.0,
            AiRegime::Bust => self.bust_price_factor,
        }
    }

    /// Default hazard in `regime`, per second.
    pub fn hazard(&self, regime: AiRegime) -> f64 {
        self.lease_hazard(None).in_regime(regime)
    }

    /// The default hazard of a tenant of credit class `class` (the market's without one).
    pub fn lease_hazard(&self, class: Option<usize>) -> DefaultHazard {
        class
            .and_then(|k| self.classes.get(k).copied())
            .unwrap_or(DefaultHazard {
                boom: self.default_hazard,
                bust_factor: self.bust_default_factor,
                guarantee_fee_share: 0.0,
                warrants_share: 0.0,
                recovery_share: 0.0,
            })
    }
}

/// A tenant class's credit: its default hazard per second in a boom and its multiple in a
/// bust, and what its guarantee costs.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct DefaultHazard {
    /// Per second, in a boom.
    pub boom: f64,
    /// Multiple of `boom` in a bust.
    pub bust_factor: f64,
    /// The class's guarantee fee, a share of the rent it backs.
    pub guarantee_fee_share: f64,
    /// The share of the company its guarantor's warrants take at each deal signed.
    pub warrants_share: f64,
    /// Share of the rent left on the term recovered at a default.
    pub recovery_share: f64,
}

impl DefaultHazard {
    /// Per second, in `regime`.
    pub fn in_regime(self, regime: AiRegime) -> f64 {
        match regime {
            AiRegime::Boom => self.boom,
            AiRegime::Bust => self.boom * self.bust_factor,
        }
    }
}

/// One request for GPU-ready capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inquiry {
    /// When it arrives.
    pub at: SimTime,
    /// Capacity asked for, MW IT.
    pub size_mw: f64,
    /// Term, seconds (years × 365.25 days).
    pub term_secs: u64,
    /// Offered rent, USD per kW-month.
    pub price: f64,
    /// The tenant's price relative to the market level (reused when it renews).
    pub price_factor: f64,
    /// Needs liquid cooling.
    pub liquid: bool,
    /// Density needed, kW per rack.
    pub density_kw: f64,
    /// Seconds from signing to the lease start.
    pub start_delay_secs: u64,
    /// Seconds it waits for capacity.
    pub patience_secs: u64,
}

/// The AI market as a world process: its parameters (none when the scenario has no AI market)
/// and the horizon. Its path is the world's `ai`.
pub(crate) struct AiMarketProcess<'m> {
    params: Option<&'m AiParams>,
    /// The GPU generations' price levels.
    gpu_levels: &'m GpuGenerationLevels,
    end: SimTime,
    /// Whole days simulated.
    days: u64,
}

impl<'m> WorldProcess<'m> for AiMarketProcess<'m> {
    fn from_scenario(model: &'m CompiledScenario) -> Self {
        AiMarketProcess {
            params: model.ai.as_ref(),
            gpu_levels: &model.gpu_levels,
            end: model.end,
            days: model.days,
        }
    }

    /// Generates the market with the scheduled busts forced in, or leaves it empty.
    fn generate(&self, shocks: &[ShockSpec], streams: Streams, world: &mut World) {
        match self.params {
            Some(p) => {
                let busts: Vec<SimTime> = shocks
                    .iter()
                    .filter_map(|s| match s {
                        ShockSpec::AiBust { at } => Some(*at),
                        _ => None,
                    })
                    .collect();
                // The BTC price at the start of each day, for the macro factor.
                let btc_daily = if p.btc_sensitivity == 0.0 {
                    Vec::new()
                } else {
                    daily_btc_prices(&world.segments, self.days)
                };
                world
                    .ai
                    .generate(p, self.end, self.days, streams, &busts, &btc_daily);
                world
                    .ai
                    .generate_gpu_prices(p, self.gpu_levels, self.days, streams);
            }
            None => world.ai = AiWorld::default(),
        }
    }
}

/// The AI market of one replication.
#[derive(Debug, Clone, Default)]
pub struct AiWorld {
    /// Regime changes in time order; the first is at time 0.
    pub regimes: Vec<(SimTime, AiRegime)>,
    /// Inquiries in arrival order.
    pub inquiries: Vec<Inquiry>,
    /// GPU-hour price of each generation (outer) on each day (inner), USD (regime factor
    /// applied; see `gpu_price`).
    pub gpu_prices_daily: Vec<Vec<f64>>,
}

/// The BTC price in force at the start of each of `days` days, from the market segments.
fn daily_btc_prices(segments: &[MarketSegment], days: u64) -> Vec<f64> {
    let mut out = Vec::with_capacity(days as usize);
    let mut k = 0;
    for day in 0..days {
        let t = SimTime::from_secs(day * SECONDS_PER_DAY);
        while k + 1 < segments.len() && segments[k + 1].start <= t {
            k += 1;
        }
        out.push(segments.get(k).map_or(0.0, |s| s.btc_price_usd));
    }
    out
}

/// Days over which the macro factor's BTC return is taken.
const MACRO_LOOKBACK_DAYS: usize = 90;

/// When a regime entered at `t` (seconds) ends if its hazard (per second) is scaled each day
/// by e^(β·r), r the trailing 90-day BTC log return of that day: the time at which the
/// integrated hazard reaches the unit-exponential clock `e` (infinity if not within the
/// days of `btc_daily`).
fn macro_crossing(t: f64, e: f64, hazard: f64, beta: f64, btc_daily: &[f64]) -> f64 {
    let day_s = SECONDS_PER_DAY as f64;
    let mut left = e;
    let mut now = t;
    let mut day = (t / day_s) as usize;
    while day < btc_daily.len() {
        let past = btc_daily[day.saturating_sub(MACRO_LOOKBACK_DAYS)];
        let r = if past > 0.0 && btc_daily[day] > 0.0 {
            math::ln(btc_daily[day] / past)
        } else {
            0.0
        };
        let rate = hazard * math::exp(beta * r);
        let day_end = (day + 1) as f64 * day_s;
        let step = rate * (day_end - now);
        if step >= left {
            return now + left / rate;
        }
        left -= step;
        now = day_end;
        day += 1;
    }
    f64::INFINITY
}

impl AiWorld {
    /// Generates the AI market of a replication into `self`. `forced_busts` (sorted or not)
    /// are scheduled shocks: the market turns to bust then, whatever its state.
    pub fn generate(
        &mut self,
        p: &AiParams,
        end: SimTime,
        _days: u64,
        streams: Streams,
        forced_busts: &[SimTime],
        btc_daily: &[f64],
    ) {
        self.regimes.clear();
        self.inquiries.clear();
        let end_s = end.secs() as f64;

        // Regimes: exponential holding times with the hazard of the current regime. A forced
        // bust interrupts the holding time; the chain is memoryless, so it restarts from there.
        // In the odd member of an antithetic pair (stream version 2) the regimes and the
        // inquiries read the even member's streams with every draw x mapped to
        // F⁻¹(1 − F(x)): a long boom there is a short one here, a large tenant a small one.
        let mirror = streams.is_mirror();
        let exp1 = |rng: &mut ChaCha8Rng| {
            let e: f64 = Exp1.sample(rng);
            if mirror { mirror_exp1(e) } else { e }
        };
        let mut rng = streams.mirrored_stream(StreamKind::AiRegime);
        let mut busts: Vec<f64> = forced_busts.iter().map(|t| t.secs() as f64).collect();
        busts.sort_by(f64::total_cmp);
        let mut next_bust = busts.into_iter().peekable();
        let mut t = 0.0;
        let mut regime = p.initial;
        self.regimes.push((SimTime::ZERO, regime));
        loop {
            let hazard = match regime {
                AiRegime::Boom => p.boom_to_bust,
                AiRegime::Bust => p.bust_to_boom,
            };
            let e = exp1(&mut rng);
            let natural = if hazard <= 0.0 {
                f64::INFINITY
            } else if p.btc_sensitivity == 0.0 || btc_daily.is_empty() {
                t + e / hazard
            } else {
                // A boom ends faster after BTC has fallen, a bust slower.
                let beta = match regime {
                    AiRegime::Boom => -p.btc_sensitivity,
                    AiRegime::Bust => p.btc_sensitivity,
                };
                macro_crossing(t, e, hazard, beta, btc_daily)
            };
            let forced = next_bust.peek().copied().unwrap_or(f64::INFINITY);
            if natural.min(forced) >= end_s {
                break;
            }
            if forced <= natural {
                next_bust.next();
                t = forced;
                if regime == AiRegime::Bust {
                    continue;
                }
                regime = AiRegime::Bust;
            } else {
                t = natural;
                regime = match regime {
                    AiRegime::Boom => AiRegime::Bust,
                    AiRegime::Bust => AiRegime::Boom,
                };
            }
            self.regimes.push((SimTime::from_secs(t as u64), regime));
        }

        // Inquiries: a Poisson stream whose rate is piecewise constant over the regimes; the
        // process is memoryless, so each regime segment starts a fresh exponential gap.
        let mut rng = streams.mirrored_stream(StreamKind::Inquiries);
        let draw = |d: &Dist, rng: &mut ChaCha8Rng| {
            let x = sample(d, rng);
            if mirror {
                mirror_sample(d, x).unwrap_or(x)
            } else {
                x
            }
        };
        for (k, &(from, regime)) in self.regimes.iter().enumerate() {
            let until = self.regimes.get(k + 1).map_or(end_s, |r| r.0.secs() as f64);
            let rate = match regime {
                AiRegime::Boom => p.inquiry_rate,
                AiRegime::Bust => p.inquiry_rate * p.bust_inquiry_factor,
            };
            if rate <= 0.0 {
                continue;
            }
            let mut at = from.secs() as f64;
            loop {
                let e = exp1(&mut rng);
                at += e / rate;
                if at >= until {
                    break;
                }
                let z = signed_normal(&mut rng, streams.normal_sign());
                let price_factor = math::exp(p.price_dispersion * z);
                let level = p.price * p.price_factor(regime);
                // Draws are cut at the supports validation holds bounded distributions to
                // (declared once, with the scenario), so a heavy-tailed distribution cannot
                // produce an absurd tenant.
                let cut = |x: f64, (lo, hi): (f64, f64)| x.clamp(lo, hi);
                let years = cut(draw(&p.term_years, &mut rng), TERM_YEARS_SUPPORT);
                self.inquiries.push(Inquiry {
                    at: SimTime::from_secs(at as u64),
                    size_mw: cut(draw(&p.size_mw, &mut rng), SIZE_MW_SUPPORT),
                    term_secs: (years * SECONDS_PER_YEAR) as u64,
                    price: level * price_factor,
                    price_factor,
                    liquid: {
                        let u = rng.random::<f64>();
                        (if mirror { 1.0 - u } else { u }) < p.liquid_share
                    },
                    density_kw: cut(draw(&p.density, &mut rng), DENSITY_KW_SUPPORT),
                    start_delay_secs: months_to_secs(cut(
                        draw(&p.start_delay_months, &mut rng),
                        MONTHS_SUPPORT,
                    )),
                    patience_secs: months_to_secs(cut(
                        draw(&p.patience_months, &mut rng),
                        MONTHS_SUPPORT,
                    )),
                });
            }
        }
    }

    /// The regime in force at `t`.
    pub fn regime_at(&self, t: SimTime) -> AiRegime {
        let k = self.regimes.partition_point(|r| r.0 <= t);
        self.regimes
            .get(k.saturating_sub(1))
            .map_or(AiRegime::Boom, |r| r.1)
    }

    /// When a tenant whose lease runs from `from` defaults, given its unit-exponential
    /// `clock`: the first time the hazard integrated from `from` (over the regimes) reaches
    /// `clock`. None if that is at or after `until`.
    pub fn default_time(
        &self,
        hazard: DefaultHazard,
        from: SimTime,
        until: SimTime,
        clock: f64,
    ) -> Option<SimTime> {
        let mut remaining = clock;
        let mut t = from.secs() as f64;
        let end = until.secs() as f64;
        let mut k = self
            .regimes
            .partition_point(|r| r.0 <= from)
            .saturating_sub(1);
        while t < end {
            let seg_end = self
                .regimes
                .get(k + 1)
                .map_or(end, |r| (r.0.secs() as f64).min(end));
            let hazard = self
                .regimes
                .get(k)
                .map_or(hazard.boom, |r| hazard.in_regime(r.1));
            let span = seg_end - t;
            if hazard > 0.0 && hazard * span >= remaining {
                return Some(SimTime::from_secs((t + remaining / hazard) as u64));
            }
            remaining -= hazard * span;
            t = seg_end;
            k += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pivotsim_engine::DAYS_PER_YEAR;

    fn params() -> AiParams {
        AiParams {
            initial: AiRegime::Boom,
            boom_to_bust: 0.3 / SECONDS_PER_YEAR,
            bust_to_boom: 0.6 / SECONDS_PER_YEAR,
            bust_inquiry_factor: 0.25,
            bust_price_factor: 0.7,
            bust_default_factor: 3.0,
            btc_sensitivity: 0.0,
            inquiry_rate: 10.0 / SECONDS_PER_YEAR,
            size_mw: Dist::Constant { value: 20.0 },
            term_years: Dist::Constant { value: 10.0 },
            price: 140.0,
            price_dispersion: 0.0,
            escalator: 0.03,
            liquid_share: 1.0,
            density: Dist::Constant { value: 120.0 },
            start_delay_months: Dist::Constant { value: 0.0 },
            patience_months: Dist::Constant { value: 0.0 },
            power: PowerTerms::Passthrough,
            ramp_months: 0,
            renewal_probability: 0.0,
            default_hazard: 0.02 / SECONDS_PER_YEAR,
            classes: Vec::new(),
            sla: None,
            gpu_price: 2.25,
            gpu_long_run: 2.0,
            gpu_reversion: 1.0,
            gpu_volatility: 0.3,
            construction_risk: None,
        }
    }

    #[test]
    fn the_macro_factor_scales_the_regime_hazard_by_the_btc_return() {
        // BTC at 100 for 100 days, then 50: from day 100 the trailing 90-day log return is
        // −ln 2 until day 190, then 0. A boom entered on day 100 with hazard h = 1/365 per day
        // and sensitivity 1 ends at h · e^(ln 2) = 2h for 90 days, then at h. A clock of 0.1
        // runs out after 0.1 / 2h = 18.25 days; a clock of 1 uses 2h · 90 = 180/365 in the
        // first 90 days and the remaining 185/365 at h: 90 + 185 = 275 days. With a flat
        // price the crossing is the independent chain's, t + e / h.
        let day = SECONDS_PER_DAY as f64;
        let h = 1.0 / (365.0 * day);
        let btc: Vec<f64> = (0..2000)
            .map(|d| if d < 100 { 100.0 } else { 50.0 })
            .collect();
        let t = 100.0 * day;
        let end = macro_crossing(t, 0.1, h, -1.0, &btc);
        assert!(
            (end - (t + 18.25 * day)).abs() < 1e-3,
            "{}",
            (end - t) / day
        );
        let end = macro_crossing(t, 1.0, h, -1.0, &btc);
        assert!(
            (end - (t + 275.0 * day)).abs() < 1e-3,
            "{}",
            (end - t) / day
        );
        let flat = vec![100.0; 2000];
        let end = macro_crossing(t, 1.0, h, -1.0, &flat);
        assert!((end - (t + 365.0 * day)).abs() < 1e-3);
    }

    #[test]
    fn time_in_bust_matches_the_two_state_chain() {
        // A two-state chain with hazards a (boom→bust) and b (bust→boom) spends b/(a+b) of its
        // time in boom: 0.6/0.9 = 2/3. Over 200 runs of 50 years (about 2,000 switches) the
        // fraction is within 0.03.
        let p = params();
        let end = SimTime::from_days(50 * 365);
        let mut boom = 0.0;
        let mut total = 0.0;
        let mut w = AiWorld::default();
        for rep in 0..200 {
            w.generate(&p, end, 1, Streams::new(1, rep), &[], &[]);
            for (k, r) in w.regimes.iter().enumerate() {
                let until = w.regimes.get(k + 1).map_or(end, |n| n.0);
                let span = until.secs_since(r.0) as f64;
                total += span;
                if r.1 == AiRegime::Boom {
                    boom += span;
                }
            }
        }
        assert!((boom / total - 2.0 / 3.0).abs() < 0.03, "{}", boom / total);
    }

    #[test]
    fn inquiry_rate_follows_the_regimes() {
        // Expected inquiries per year: 10 × (2/3) + 2.5 × (1/3) = 7.5 in the long run.
        // 200 runs × 50 years ≈ 75,000 inquiries: relative sd well under 1%; allow 4%.
        let p = params();
        let end = SimTime::from_days(50 * 365);
        let mut w = AiWorld::default();
        let mut n = 0usize;
        for rep in 0..200 {
            w.generate(&p, end, 1, Streams::new(2, rep), &[], &[]);
            n += w.inquiries.len();
        }
        let per_year = n as f64 / (200.0 * 50.0 * 365.0 / DAYS_PER_YEAR);
        assert!((per_year / 7.5 - 1.0).abs() < 0.04, "{per_year}");
    }

    #[test]
    fn default_times_integrate_the_hazard() {
        // In a single boom regime the hazard is constant h, so the default time is clock / h.
        let mut p = params();
        p.boom_to_bust = 0.0;
        let mut w = AiWorld::default();
        w.generate(
            &p,
            SimTime::from_days(3650),
            1,
            Streams::new(3, 0),
            &[],
            &[],
        );
        let h = p.default_hazard;
        let t = w
            .default_time(
                p.lease_hazard(None),
                SimTime::ZERO,
                SimTime::from_days(3650),
                0.1,
            )
            .unwrap();
        assert_eq!(t.secs(), (0.1 / h) as u64);
        // A clock that the horizon's integrated hazard (0.02/yr × 10 yr = 0.2) cannot reach.
        assert!(
            w.default_time(
                p.lease_hazard(None),
                SimTime::ZERO,
                SimTime::from_days(3650),
                0.25
            )
            .is_none()
        );
    }
}
