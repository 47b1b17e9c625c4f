//! A validated scenario turned into the flat, unit-converted form the simulation reads.
//!
//! The scenario speaks the user's units (EH/s, W per unit, $/MW-month, annual rates); the hot
//! loops want per-second and per-unit constants and flat arrays. Compiling once per run keeps
//! those conversions out of every replication.

use crate::engine::{Calendar, SECONDS_PER_DAY, SimTime};
use crate::model::bitcoin::{BitcoinParams, RETARGET_INTERVAL_BLOCKS};
use crate::model::energy::EnergyParams;
use crate::scenario::Scenario;

/// Average seconds in a calendar month (365.25 / 12 days), for monthly rates.
pub const SECONDS_PER_MONTH: f64 = 365.25 / 12.0 * 86_400.0;

/// A site in simulation units.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Name.
    pub name: String,
    /// Grid limit, MW.
    pub grid_mw: f64,
    /// Non-power opex, USD per second for the whole site (installed IT MW × rate).
    pub opex_usd_per_sec: f64,
    /// Share of mining revenue kept after pool fees.
    pub revenue_share: f64,
    /// PPA block, MW (share × full facility load); 0 without a PPA.
    pub ppa_block_mw: f64,
    /// PPA price, USD/MWh.
    pub ppa_price: f64,
    /// Demand-response trigger, USD/MWh (infinite without a programme).
    pub dr_trigger: f64,
    /// Demand-response credit, USD/MWh curtailed.
    pub dr_credit: f64,
}

/// A hall in simulation units (for the physical invariants).
#[derive(Debug, Clone)]
pub struct HallSpec {
    /// Index of its site.
    pub site: usize,
    /// Name.
    pub name: String,
    /// Rack positions.
    pub rack_slots: u32,
    /// Most IT kW per rack.
    pub max_kw_per_rack: f64,
    /// Cooling capacity, MW of heat.
    pub cooling_mw: f64,
    /// PUE.
    pub pue: f64,
}

/// One ASIC model in one hall, in simulation units.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// Index of its site.
    pub site: usize,
    /// Index of its hall (over all sites).
    pub hall: usize,
    /// Model name.
    pub model: String,
    /// Units installed at the start.
    pub units: u32,
    /// Units per rack.
    pub units_per_rack: u32,
    /// TH/s per unit.
    pub th_per_unit: f64,
    /// IT load per unit, MW.
    pub it_mw_per_unit: f64,
    /// Facility load per unit (IT × PUE), MW.
    pub facility_mw_per_unit: f64,
    /// Probability that a working unit fails during one day.
    pub daily_failure_prob: f64,
    /// Days a failed unit is out.
    pub repair_days: u32,
    /// Revenue per facility MWh for each USD per TH/s per second of net revenue rate: a unit
    /// is worth running while the hourly price is below `rate × breakeven_factor`.
    pub breakeven_factor: f64,
}

/// A plan in simulation form.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    /// Name.
    pub name: String,
}

/// Everything a replication needs, precomputed.
#[derive(Debug, Clone)]
pub struct CompiledScenario {
    /// Calendar from the start date.
    pub calendar: Calendar,
    /// End of the horizon.
    pub end: SimTime,
    /// Whole days simulated.
    pub days: u64,
    /// Whole hours simulated.
    pub hours: usize,
    /// Month boundaries strictly inside the horizon.
    pub month_starts: Vec<SimTime>,
    /// Seasonal energy-price multiplier of each day.
    pub daily_energy_factor: Vec<f64>,
    /// Bitcoin market.
    pub bitcoin: BitcoinParams,
    /// Energy market.
    pub energy: EnergyParams,
    /// Discount rate per year.
    pub discount_rate: f64,
    /// Starting cash, USD.
    pub starting_cash: f64,
    /// Sites.
    pub sites: Vec<SiteSpec>,
    /// Halls over all sites.
    pub halls: Vec<HallSpec>,
    /// ASIC fleets over all halls.
    pub fleets: Vec<FleetSpec>,
    /// Plans.
    pub plans: Vec<PlanSpec>,
}

impl CompiledScenario {
    /// Compiles a validated scenario. Returns `None` only if the horizon overflows the
    /// calendar, which validation rules out.
    pub fn new(s: &Scenario) -> Option<Self> {
        let calendar = Calendar::new(s.start.0);
        let end_date = calendar.add_years(s.horizon_years)?;
        let end = calendar.time_of(end_date)?;
        let days = end.secs() / SECONDS_PER_DAY;
        let month_starts: Vec<SimTime> = calendar
            .month_starts(end)
            .into_iter()
            .filter(|t| *t < end)
            .collect();
        let factors = s
            .market
            .energy
            .monthly_factors
            .clone()
            .unwrap_or_else(|| vec![1.0; 12]);
        let daily_energy_factor = (0..days)
            .map(|d| {
                use chrono::Datelike;
                let month0 = calendar.date_of(SimTime::from_days(d)).month0() as usize;
                factors.get(month0).copied().unwrap_or(1.0)
            })
            .collect();
        let b = &s.market.bitcoin;
        let bitcoin = BitcoinParams {
            price_usd: b.price_usd,
            drift: b.drift_per_year,
            volatility: b.volatility,
            jump_rate: b.jumps.rate_per_year,
            jump_mean: b.jumps.mean_log_size,
            jump_std: b.jumps.std_log_size,
            difficulty: b.difficulty,
            height: b.height,
            epoch_blocks_mined: b
                .epoch_blocks_mined
                .unwrap_or(b.height % RETARGET_INTERVAL_BLOCKS),
            hashrate_h_s: b.network_hashrate_eh_s * 1e18,
            hashrate_trend: b.hashrate.trend_per_year,
            hashrate_volatility: b.hashrate.volatility,
            hashrate_response: b.hashrate.response_per_year,
            breakeven_hashprice: b.hashrate.breakeven_hashprice_usd_per_ph_day,
            fee_mean_btc: b.fees.mean_btc_per_block,
            fee_volatility: b.fees.volatility,
            fee_spike_rate: b.fees.spike_rate_per_year,
            fee_spike_mean_days: b.fees.spike_mean_days,
            fee_spike_multiplier: b.fees.spike_multiplier,
        };
        let e = &s.market.energy;
        let energy = EnergyParams {
            mean: e.mean_usd_per_mwh,
            reversion: e.reversion_per_year,
            volatility: e.volatility,
            spike_rate: e.spike_rate_per_year,
            spike_price: e.spike_usd_per_mwh,
            spike_mean_hours: e.spike_mean_hours,
            cap: e.cap_usd_per_mwh,
        };
        let mut sites = Vec::new();
        let mut halls = Vec::new();
        let mut fleets = Vec::new();
        for (si, site) in s.sites.iter().enumerate() {
            let mut installed_it_mw = 0.0;
            let mut facility_mw = 0.0;
            for hall in &site.halls {
                let hi = halls.len();
                halls.push(HallSpec {
                    site: si,
                    name: hall.name.clone(),
                    rack_slots: hall.rack_slots,
                    max_kw_per_rack: hall.max_kw_per_rack,
                    cooling_mw: hall.cooling_mw,
                    pue: hall.pue,
                });
                for f in &hall.asics {
                    let it_mw = f.watts / 1e6;
                    let facility = it_mw * hall.pue;
                    installed_it_mw += it_mw * f64::from(f.units);
                    facility_mw += facility * f64::from(f.units);
                    fleets.push(FleetSpec {
                        site: si,
                        hall: hi,
                        model: f.model.clone(),
                        units: f.units,
                        units_per_rack: f.units_per_rack,
                        th_per_unit: f.th_s,
                        it_mw_per_unit: it_mw,
                        facility_mw_per_unit: facility,
                        daily_failure_prob: 1.0 - (-f.annual_failure_rate / 365.25).exp(),
                        repair_days: f.repair_days,
                        // USD/MWh = (USD per TH/s per s) × TH/s × 3600 s / MW.
                        breakeven_factor: f.th_s * 3_600.0 / facility,
                    });
                }
            }
            let (ppa_block_mw, ppa_price) = match &site.ppa {
                Some(p) => (p.share * facility_mw, p.price_usd_per_mwh),
                None => (0.0, 0.0),
            };
            let (dr_trigger, dr_credit) = match &site.demand_response {
                Some(d) => (d.trigger_usd_per_mwh, d.credit_usd_per_mwh),
                None => (f64::INFINITY, 0.0),
            };
            sites.push(SiteSpec {
                name: site.name.clone(),
                grid_mw: site.grid_mw,
                opex_usd_per_sec: site.opex_usd_per_mw_month * installed_it_mw / SECONDS_PER_MONTH,
                revenue_share: 1.0 - site.pool_fee,
                ppa_block_mw,
                ppa_price,
                dr_trigger,
                dr_credit,
            });
        }
        Some(CompiledScenario {
            calendar,
            end,
            days,
            hours: (end.secs() / 3_600) as usize,
            month_starts,
            daily_energy_factor,
            bitcoin,
            energy,
            discount_rate: s.discount_rate,
            starting_cash: s.starting_cash_usd,
            sites,
            halls,
            fleets,
            plans: s
                .plans
                .iter()
                .map(|p| PlanSpec {
                    name: p.name.clone(),
                })
                .collect(),
        })
    }
}
