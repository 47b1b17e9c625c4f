//! The world of one replication: everything the operator cannot influence, generated once and
//! shared by every plan.
//!
//! Its random streams depend only on (seed, replication, process), never on the plan, so all
//! plans see the same futures (common random numbers) and their comparison is paired. The
//! world is stored as paths the operator reads by time: market segments (the revenue rate is
//! constant within each, changing at midnight and at retarget or halving boundaries) and one
//! energy price per hour.

pub mod ai_market;
pub mod bitcoin_market;
pub mod bitcoin_protocol;
pub mod energy;
pub mod outages;
pub mod samplers;
pub mod streams;

use crate::engine::{DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_DAY, SimTime};
use crate::model::compiled::{CompiledScenario, ShockSpec};
use ai_market::AiWorld;
use bitcoin_market::{BitcoinState, BitcoinStreams};
use bitcoin_protocol::ChainEvent;
use energy::{PriceSummary, generate_hourly_prices};
use outages::Outages;
use streams::{StreamKind, Streams};

/// Hours in a day, as an index into the hourly path.
const DAY_HOURS: usize = HOURS_PER_DAY as usize;

/// Applies the BTC-price and hashrate shocks dated `day_start` (the start of a day).
fn apply_day_shocks(shocks: &[ShockSpec], day_start: SimTime, state: &mut BitcoinState) {
    for shock in shocks {
        match *shock {
            ShockSpec::BtcPrice { at, factor } if at == day_start => state.price_usd *= factor,
            ShockSpec::NetworkHashrate { at, factor } if at == day_start => {
                state.hashrate_h_s *= factor
            }
            _ => {}
        }
    }
}

/// An interval over which the market's revenue rate is constant.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MarketSegment {
    /// When it starts.
    pub start: SimTime,
    /// Expected revenue, USD per TH/s per second, before pool fees.
    pub usd_per_th_second: f64,
    /// Network hashprice, USD per PH/s per day.
    pub hashprice: f64,
    /// BTC price, USD.
    pub btc_price_usd: f64,
}

/// The exogenous paths of one replication.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Market segments in time order; the first starts at 0.
    pub segments: Vec<MarketSegment>,
    /// Energy price of each hour, USD/MWh.
    pub hourly_price: Vec<f64>,
    /// The summary of each day's 24 hourly prices (the last day's may be shorter), shared by
    /// the plans' accrual: a cache of `hourly_price`, made by `generate` (stale if the prices
    /// are changed afterwards).
    pub daily_price: Vec<PriceSummary>,
    /// Retargets and halvings with their times.
    pub chain_events: Vec<(SimTime, ChainEvent)>,
    /// Time-averaged hashprice over the horizon, USD per PH/s per day.
    pub mean_hashprice: f64,
    /// Hashprice in force at the horizon, USD per PH/s per day.
    pub final_hashprice: f64,
    /// The AI market (empty when the scenario has none).
    pub ai: AiWorld,
    /// Grid outages and cooling failures.
    pub outages: Outages,
    /// The shocks applied in this world (the operator applies the tenant-default ones).
    pub shocks: Vec<ShockSpec>,
    /// The floating base rate of each simulated month, fraction per year (empty without one).
    pub base_rate: Vec<f64>,
    /// Years (of 365.25 days) from the start to the first halving within the horizon, if any.
    /// Stored as an offset rather than a calendar year so that a relative-error sketch keeps
    /// it to the day.
    pub years_to_first_halving: Option<f64>,
}

impl World {
    /// Generates the world of `replication` into `self`, reusing its buffers.
    pub fn generate(&mut self, model: &CompiledScenario, seed: u64, replication: u64) {
        self.generate_variant(model, 0, seed, replication);
    }

    /// Generates variant `variant` (see `CompiledScenario::variants`) of replication
    /// `replication`: the same random streams, with that variant's shocks.
    pub fn generate_variant(
        &mut self,
        model: &CompiledScenario,
        variant: usize,
        seed: u64,
        replication: u64,
    ) {
        self.shocks.clear();
        if let Some(v) = model.variants.get(variant) {
            self.shocks.extend_from_slice(&v.shocks);
        }
        let shocks = std::mem::take(&mut self.shocks);
        self.segments.clear();
        self.chain_events.clear();
        let p = &model.bitcoin;
        let world_streams = Streams::new(seed, replication);
        let mut streams = BitcoinStreams {
            price: world_streams.of(StreamKind::BtcPrice),
            hashrate: world_streams.of(StreamKind::NetworkHashrate),
            blocks: world_streams.of(StreamKind::Blocks),
            fees: world_streams.of(StreamKind::Fees),
        };
        let mut state = BitcoinState::initial(p);
        let end = model.end.secs() as f64;
        for day in 0..model.days {
            let day_start = (day * SECONDS_PER_DAY) as f64;
            if day == 0 {
                state.draw_fees(p, 0, &mut streams.fees);
            } else {
                state.step_day(p, day, &mut streams);
            }
            apply_day_shocks(
                &shocks,
                SimTime::from_secs(day * SECONDS_PER_DAY),
                &mut state,
            );
            self.push_segment(SimTime::from_secs(day * SECONDS_PER_DAY), &state);
            let day_end = (day_start + SECONDS_PER_DAY as f64).min(end);
            let mut t = day_start;
            while let Some((at, event)) = state.mine_until_boundary(t, day_end, &mut streams.blocks)
            {
                // Whole seconds: the boundary block's time, floored, never before the day.
                let when = SimTime::from_secs((at.floor() as u64).max(day_start as u64));
                self.chain_events.push((when, event));
                self.push_segment(when, &state);
                t = at;
            }
        }
        let mut energy_rng = world_streams.of(StreamKind::EnergyPrice);
        generate_hourly_prices(
            &model.energy,
            &model.daily_energy_factor,
            model.hours,
            &mut energy_rng,
            &mut self.hourly_price,
        );
        for shock in &shocks {
            if let ShockSpec::EnergySpike {
                from,
                to,
                usd_per_mwh,
            } = *shock
            {
                let (a, b) = (from.hour_index() as usize, to.hour_index() as usize);
                let price = usd_per_mwh.min(model.energy.cap);
                for h in self.hourly_price.iter_mut().take(b).skip(a) {
                    *h = price;
                }
            }
        }
        self.daily_price.clear();
        self.daily_price
            .extend(self.hourly_price.chunks(DAY_HOURS).map(PriceSummary::of));
        self.summarise(model.end);
        self.years_to_first_halving = self.chain_events.iter().find_map(|(t, e)| match e {
            ChainEvent::Halving { .. } => Some(t.days_f64() / DAYS_PER_YEAR),
            ChainEvent::Retarget { .. } => None,
        });
        self.outages.generate(model, &shocks, world_streams);
        self.base_rate.clear();
        if let Some(b) = &model.finance.base_rate {
            // Euler step per month of x' = x + κ(θ − x)Δ + σ√Δ Z, Δ = 1/12 year.
            let mut rng = world_streams.of(StreamKind::BaseRate);
            let dt: f64 = 1.0 / 12.0;
            let mut x = b.initial;
            for month in 0..=model.month_starts.len() {
                if month > 0 {
                    let z: f64 =
                        rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                    x +=
                        b.reversion_per_year * (b.long_run - x) * dt + b.volatility * dt.sqrt() * z;
                }
                self.base_rate.push(x);
            }
            // Rate steps shift the path from their month on (the process is not re-anchored).
            for shock in &shocks {
                if let ShockSpec::RateStep { at, delta } = *shock {
                    let first = model.month_starts.partition_point(|t| *t <= at);
                    for r in self.base_rate.iter_mut().skip(first) {
                        *r += delta;
                    }
                }
            }
        }
        match &model.ai {
            Some(p) => {
                let busts: Vec<SimTime> = shocks
                    .iter()
                    .filter_map(|s| match s {
                        ShockSpec::AiBust { at } => Some(*at),
                        _ => None,
                    })
                    .collect();
                self.ai
                    .generate(p, model.end, model.days, world_streams, &busts);
            }
            None => self.ai = AiWorld::default(),
        }
        self.shocks = shocks;
    }

    /// Appends a segment; one starting at the same second as the last replaces it.
    fn push_segment(&mut self, start: SimTime, state: &BitcoinState) {
        let segment = MarketSegment {
            start,
            usd_per_th_second: state.usd_per_th_second(),
            hashprice: state.hashprice(),
            btc_price_usd: state.price_usd,
        };
        match self.segments.last_mut() {
            Some(last) if last.start == start => *last = segment,
            _ => self.segments.push(segment),
        }
    }

    fn summarise(&mut self, end: SimTime) {
        let mut weighted = 0.0;
        for (i, s) in self.segments.iter().enumerate() {
            let until = self.segments.get(i + 1).map_or(end, |n| n.start);
            weighted += s.hashprice * until.secs_since(s.start) as f64;
        }
        self.mean_hashprice = weighted / end.secs().max(1) as f64;
        self.final_hashprice = self.segments.last().map_or(0.0, |s| s.hashprice);
    }

    /// Time-averaged hashprice over [from, to), USD per PH/s per day (the value at `to` when
    /// the interval is empty).
    pub fn mean_hashprice_between(&self, from: SimTime, to: SimTime) -> f64 {
        let first = self
            .segments
            .partition_point(|s| s.start <= from)
            .saturating_sub(1);
        let mut weighted = 0.0;
        for (i, s) in self.segments.iter().enumerate().skip(first) {
            if s.start >= to {
                break;
            }
            let a = s.start.max(from);
            let b = self.segments.get(i + 1).map_or(to, |n| n.start.min(to));
            weighted += s.hashprice * b.secs_since(a) as f64;
        }
        let span = to.secs_since(from);
        if span == 0 {
            let k = self
                .segments
                .partition_point(|s| s.start <= to)
                .saturating_sub(1);
            return self.segments.get(k).map_or(0.0, |s| s.hashprice);
        }
        weighted / span as f64
    }

    /// The end of segment `i` (the next one's start, or `end`).
    pub fn segment_end(&self, i: usize, end: SimTime) -> SimTime {
        self.segments.get(i + 1).map_or(end, |n| n.start)
    }

    /// The energy prices of hours `first..first + count` with their summary (the world's daily
    /// one when they are exactly a day, otherwise computed: the same bits either way), or
    /// `None` past the end of the path.
    #[inline]
    pub fn price_run(&self, first: usize, count: usize) -> Option<(&[f64], PriceSummary)> {
        let prices = self.hourly_price.get(first..first.checked_add(count)?)?;
        let cached = if first % DAY_HOURS == 0 && count == DAY_HOURS {
            self.daily_price.get(first / DAY_HOURS).copied()
        } else {
            None
        };
        Some((prices, cached.unwrap_or_else(|| PriceSummary::of(prices))))
    }

    /// The prices in force in hour `hour`: energy (USD/MWh) and GPU-hour (USD), each 0 past
    /// the end of its path.
    #[inline]
    pub fn prices_at(&self, hour: u64) -> (f64, f64) {
        let energy = self.hourly_price.get(hour as usize).copied().unwrap_or(0.0);
        let gpu = self
            .ai
            .gpu_price_daily
            .get((hour / HOURS_PER_DAY) as usize)
            .copied()
            .unwrap_or(0.0);
        (energy, gpu)
    }
}
