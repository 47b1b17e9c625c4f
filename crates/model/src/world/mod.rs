//! The world of one replication: everything the operator cannot influence, generated once and
//! shared by every plan.
//!
//! Its random streams depend only on (seed, replication, process), never on the plan, so all
//! plans see the same futures (common random numbers) and their comparison is paired. The
//! world is stored as paths the operator reads by time: market segments (the revenue rate is
//! constant within each, changing at midnight and at retarget or halving boundaries) and one
//! energy price per hour.
//!
//! Each stochastic process has its own file and the one shape of [`WorldProcess`]: built from
//! its part of the compiled scenario, it generates its path from the variant's shocks and its
//! own streams ([`streams`], the registry of every stream kind). [`World::generate_variant`]
//! runs them in a fixed order. Shared samplers and the mean-reverting step are in
//! [`samplers`]; the consensus rules the market mines against are in [`bitcoin_protocol`].

pub mod ai_market;
pub mod base_rate;
pub mod bitcoin_market;
pub mod bitcoin_network;
pub mod bitcoin_protocol;
pub mod energy;
pub mod gpu_price;
pub mod outages;
pub mod samplers;
pub mod streams;

use crate::compiled::{CompiledScenario, ShockSpec};
use ai_market::{AiMarketProcess, AiWorld};
use base_rate::BaseRateProcess;
use bitcoin_market::BitcoinMarketProcess;
use bitcoin_protocol::ChainEvent;
use energy::{DAY_HOURS, EnergyPriceProcess, PriceSummary};
use outages::{OutageProcess, Outages};
use pivotsim_engine::{SECONDS_PER_DAY, SimTime};
use streams::Streams;

pub use bitcoin_market::{MarketSegment, PriceNormals};

/// One stochastic process of the world.
///
/// Built from its part of the compiled scenario, it generates its path into the fields of the
/// [`World`] it owns, from the variant's shocks and its own streams only: so its draws depend
/// on nothing but (seed, replication, its stream kinds), and adding a process shifts none.
pub(crate) trait WorldProcess<'m>: Sized {
    /// Takes its parameters and the horizon it needs from the compiled scenario.
    fn from_scenario(model: &'m CompiledScenario) -> Self;

    /// Generates its path into its fields of `world` (whose buffers are reused), applying
    /// the shocks that concern it.
    fn generate(&self, shocks: &[ShockSpec], streams: Streams, world: &mut World);
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
    /// The network's daily path: hashrate, difficulty, frontier and breakeven of each day.
    pub network: NetworkPath,
    /// Retargets and halvings with their times.
    pub chain_events: Vec<(SimTime, ChainEvent)>,
    /// Time-averaged hashprice over the horizon, USD per PH/s per day.
    pub mean_hashprice: f64,
    /// Hashprice in force at the horizon, USD per PH/s per day.
    pub final_hashprice: f64,
    /// The standard normals of the BTC price's diffusion (expectation 0: a control variate).
    pub price_normals: PriceNormals,
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

/// The bitcoin network's state at the start of each day (after the day's shocks), one entry
/// per simulated day.
#[derive(Debug, Clone, Default)]
pub struct NetworkPath {
    /// Network hashrate, EH/s.
    pub hashrate_eh_s: Vec<f64>,
    /// Difficulty.
    pub difficulty: Vec<f64>,
    /// J/TH of the best machine on sale (NaN without a vintage network).
    pub frontier_j_per_th: Vec<f64>,
    /// The marginal breakeven hashprice, USD per PH/s per day.
    pub breakeven_usd_per_ph_day: Vec<f64>,
}

impl NetworkPath {
    /// Empties the path, keeping its buffers.
    pub fn clear(&mut self) {
        self.hashrate_eh_s.clear();
        self.difficulty.clear();
        self.frontier_j_per_th.clear();
        self.breakeven_usd_per_ph_day.clear();
    }

    /// The mean of `daily` over the days that start in [from, to) (the day in force at `from`
    /// when none does), NaN past the end of the path.
    pub fn mean_between(daily: &[f64], from: SimTime, to: SimTime) -> f64 {
        let first = from.secs().div_ceil(SECONDS_PER_DAY) as usize;
        let last = (to.secs().div_ceil(SECONDS_PER_DAY) as usize).min(daily.len());
        match daily.get(first..last) {
            Some(days) if !days.is_empty() => days.iter().sum::<f64>() / days.len() as f64,
            _ => daily
                .get((from.secs() / SECONDS_PER_DAY) as usize)
                .copied()
                .unwrap_or(f64::NAN),
        }
    }
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
        // The shocks are lent to the processes while they write the rest of the world.
        let shocks = std::mem::take(&mut self.shocks);
        let streams = Streams::new(seed, replication).with_antithetic(model.antithetic);
        // Each process draws only from its own streams, so this order changes no draw.
        BitcoinMarketProcess::from_scenario(model).generate(&shocks, streams, self);
        EnergyPriceProcess::from_scenario(model).generate(&shocks, streams, self);
        OutageProcess::from_scenario(model).generate(&shocks, streams, self);
        BaseRateProcess::from_scenario(model).generate(&shocks, streams, self);
        AiMarketProcess::from_scenario(model).generate(&shocks, streams, self);
        self.shocks = shocks;
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

    /// The energy price in force in hour `hour`, USD/MWh (0 past the end of its path). GPU-hour
    /// prices are daily, by generation: [`AiWorld::gpu_price`].
    #[inline]
    pub fn energy_price_at(&self, hour: u64) -> f64 {
        self.hourly_price.get(hour as usize).copied().unwrap_or(0.0)
    }
}
