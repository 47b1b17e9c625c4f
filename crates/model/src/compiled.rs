//! A validated scenario turned into the flat, unit-converted form the simulation reads.
//!
//! The scenario speaks the user's units (EH/s, W per unit, $/MW-month, annual rates); the hot
//! loops want per-second and per-unit constants and flat arrays. Compiling once per run keeps
//! those conversions out of every replication.

mod dated;
mod error;
mod finance;
mod sites;

pub use error::CompileError;
pub use finance::{DebtSpec, DepreciationMonths, FinanceSpec, ResaleSpec};

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime};

use crate::world::ai_market::AiParams;
use crate::world::bitcoin_market::{BitcoinParams, HashrateParams, HistoryDay};
use crate::world::bitcoin_network::NetworkParams;
use crate::world::bitcoin_protocol::RETARGET_INTERVAL_BLOCKS;
use crate::world::energy::EnergyParams;
use crate::world::gpu_price::GpuGenerationLevels;
use pivotsim_engine::{Calendar, DAYS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_HOUR, SimTime};
use pivotsim_scenario::names;
use pivotsim_scenario::resolve::known_names;
use pivotsim_scenario::source::{join_field, join_index};
use pivotsim_scenario::{
    AsicFleet, BitcoinHistoryRow, ConversionDebt, Cooling, Dist, EnergyHistoryRow, GpuDebt,
    HallState, HallTarget, PlacementPolicy, Scenario, Stress, TerminalValue, field,
};

/// A site in simulation units.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Name.
    pub name: String,
    /// Grid limit, MW.
    pub grid_mw: f64,
    /// Non-power opex of ASIC capacity, USD per MW of installed ASIC IT per calendar month.
    pub asic_opex_usd_per_mw_month: f64,
    /// Opex of GPU-ready capacity, USD per MW of IT capacity per calendar month.
    pub gpu_opex_usd_per_mw_month: f64,
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
    /// Random grid outages: (days between, hours long).
    pub grid_outages: Option<(Dist, Dist)>,
    /// Grid outages replayed from a trace: [from, to) within the horizon.
    pub trace_outages: Vec<(SimTime, SimTime)>,
    /// Probability the generators fail during an outage.
    pub generator_failure_probability: f64,
}

/// The physical shape of a hall: what limits the IT load it can carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HallShape {
    /// Cooling technology.
    pub cooling: Cooling,
    /// Rack positions.
    pub rack_slots: u32,
    /// Most IT kW per rack.
    pub max_kw_per_rack: f64,
    /// Cooling capacity, MW of heat.
    pub cooling_mw: f64,
    /// PUE.
    pub pue: f64,
    /// Backup generators carry GPU load through grid outages.
    pub backup_generators: bool,
}

impl HallShape {
    /// IT capacity, MW: the lesser of cooling and rack density.
    pub fn it_capacity_mw(&self) -> f64 {
        self.cooling_mw
            .min(f64::from(self.rack_slots) * self.max_kw_per_rack / 1_000.0)
    }

    fn from_target(t: &HallTarget) -> Self {
        HallShape {
            cooling: t.cooling,
            rack_slots: t.rack_slots,
            max_kw_per_rack: t.max_kw_per_rack,
            cooling_mw: t.cooling_mw,
            pue: t.pue,
            backup_generators: t.backup_generators,
        }
    }
}

/// A hall in simulation units.
#[derive(Debug, Clone)]
pub struct HallSpec {
    /// Index of its site.
    pub site: usize,
    /// Name.
    pub name: String,
    /// Shape at the start.
    pub shape: HallShape,
    /// Use at the start.
    pub state: HallState,
    /// Random cooling failures: (days between, hours long, share of capacity lost).
    pub cooling_failures: Option<(Dist, Dist, f64)>,
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
    /// Probability that a working unit fails during one day, at the age it is installed
    /// (wear-out raises it: see [`FleetSpec::failure_rate_increase_per_year`]).
    pub daily_failure_prob: f64,
    /// Failures per unit per year of a new machine (age 0).
    pub annual_failure_rate: f64,
    /// Rise of the annual failure rate per year of age.
    pub failure_rate_increase_per_year: f64,
    /// Age at which the machines are retired, years (None: never).
    pub life_years: Option<f64>,
    /// Days a failed unit is out.
    pub repair_days: u32,
    /// Revenue per facility MWh for each USD per TH/s per second of net revenue rate: a unit
    /// is worth running while the hourly price is below `rate × breakeven_factor`.
    pub breakeven_factor: f64,
    /// Efficiency, J/TH.
    pub j_per_th: f64,
    /// Age of the machines when the fleet is installed, years.
    pub age_years: f64,
    /// When it is installed (the start, or the purchase).
    pub installed: pivotsim_engine::SimTime,
}

impl FleetSpec {
    /// A fleet of `f` in hall `hall` (global index) of site `site`, at the hall's PUE.
    pub fn new(site: usize, hall: usize, f: &AsicFleet, pue: f64) -> Self {
        let it_mw = f.watts / 1e6;
        let facility = it_mw * pue;
        FleetSpec {
            site,
            hall,
            model: f.model.clone(),
            units: f.units,
            units_per_rack: f.units_per_rack,
            th_per_unit: f.th_s,
            it_mw_per_unit: it_mw,
            facility_mw_per_unit: facility,
            daily_failure_prob: crate::fleet::daily_failure_prob(
                f.annual_failure_rate + f.failure_rate_increase_per_year * f.age_years,
            ),
            annual_failure_rate: f.annual_failure_rate,
            failure_rate_increase_per_year: f.failure_rate_increase_per_year,
            life_years: f.life_years,
            repair_days: f.repair_days,
            // USD/MWh = (USD per TH/s per s) × TH/s × 3600 s / MW.
            breakeven_factor: f.th_s * SECONDS_PER_HOUR as f64 / facility,
            j_per_th: f.watts / f.th_s,
            age_years: f.age_years,
            installed: pivotsim_engine::SimTime::ZERO,
        }
    }
}

/// A plan in simulation form: actions sorted by time with names resolved to indices.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    /// Name.
    pub name: String,
    /// Placement policy.
    pub placement: PlacementPolicy,
    /// Actions in time order (ties in file order), each with its index in the file.
    pub actions: Vec<TimedAction>,
    /// Rules, in file order.
    pub rules: Vec<RuleSpec>,
    /// Which world variant it runs in (0: the scenario as written; others: `--stress`).
    pub variant: usize,
}

/// A version of the world: the scenario's shocks, plus a stress set's.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The stress's name (empty for the scenario as written).
    pub name: String,
    /// Every shock applied in this variant.
    pub shocks: Vec<ShockSpec>,
}

/// An action at a time.
#[derive(Debug, Clone)]
pub struct TimedAction {
    /// When.
    pub at: SimTime,
    /// Index in the plan's `actions` list (names anchor tenants' random streams).
    pub index: usize,
    /// What.
    pub action: ActionSpec,
}

/// A conversion in simulation form (from an action or a rule).
#[derive(Debug, Clone)]
pub struct ConversionSpec {
    /// Shape after conversion.
    pub to: HallShape,
    /// Capex per MW of IT capacity after conversion, USD/MW.
    pub capex_usd_per_mw: f64,
    /// Lead time, calendar months.
    pub lead_time_months: u32,
    /// Loan funding part of the capex the company pays.
    pub debt: Option<ConversionDebt>,
    /// Share of the capex the tenant pays.
    pub tenant_funded_share: f64,
    /// Calendar months into the build the hall's ASICs keep hashing (0: they leave at once).
    pub asics_hash_months: u32,
}

/// A fixed-price take-or-pay GPU contract in simulation units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpuContractSpec {
    /// Share of the deployment's GPUs contracted.
    pub share: f64,
    /// Term from activation, seconds.
    pub term_secs: u64,
    /// Fixed price, USD per GPU-hour.
    pub price: f64,
    /// Share of the contract's value prepaid at signing.
    pub prepaid_share: f64,
}

/// What an action does, with names resolved to global hall and site indices.
#[derive(Debug, Clone)]
pub enum ActionSpec {
    /// Convert `hall`.
    Convert {
        /// Global hall index.
        hall: usize,
        /// The conversion.
        conversion: ConversionSpec,
        /// Global index of the hall receiving the ASICs, or None to sell them.
        move_asics_to: Option<usize>,
    },
    /// Sign an anchor tenant.
    SignTenant {
        /// Global hall index.
        hall: usize,
        /// MW IT.
        mw: f64,
        /// Term, seconds.
        term_secs: u64,
        /// Rent, USD per kW-month.
        price: f64,
        /// Escalator per year.
        escalator: f64,
        /// Seconds from signing to start.
        start_delay_secs: u64,
        /// Year-1 rent prepaid at signing, USD.
        prepayment_usd: f64,
        /// Seconds from the lease's start during which it bills nothing.
        free_rent_secs: u64,
        /// The tenant's credit class (index into the AI market's classes), if any.
        class: Option<usize>,
        /// Further phases: (global hall index, MW IT, seconds from signing to start).
        more_phases: Vec<(usize, f64, u64)>,
        /// Liquidated damages and the right to cancel a late phase, if agreed.
        milestone: Option<DeliveryMilestoneSpec>,
        /// Months each phase ramps over (0: bills in full from its start).
        ramp_months: u32,
        /// Renewal options of each phase, if any.
        renewal_options: Option<pivotsim_scenario::RenewalOptions>,
    },
    /// Install operator-owned GPUs.
    DeployGpuCloud {
        /// Global hall index.
        hall: usize,
        /// GPUs.
        gpus: u32,
        /// kW IT per GPU.
        kw_per_gpu: f64,
        /// USD per GPU.
        capex_per_gpu: f64,
        /// Life, seconds.
        life_secs: u64,
        /// Share of hours rented.
        utilization: f64,
        /// Probability a working GPU fails on a given day.
        daily_failure_prob: f64,
        /// Days to replace a failed GPU.
        repair_days: u32,
        /// Index of the GPUs' generation in [`CompiledScenario::gpu_levels`].
        generation: usize,
        /// Share of the spot GPUs' hours rented in a bust.
        bust_utilization: f64,
        /// The fixed-price contract on part of the GPUs, if any.
        contract: Option<GpuContractSpec>,
        /// The loan secured on the GPUs, if any.
        debt: Option<GpuDebt>,
    },
    /// Buy ASICs.
    BuyAsics {
        /// Global hall index.
        hall: usize,
        /// The machines.
        fleet: AsicFleet,
        /// USD per TH/s.
        usd_per_th: f64,
    },
    /// Sell ASICs.
    SellAsics {
        /// Global hall index.
        hall: usize,
        /// Model name.
        model: String,
        /// Units.
        units: u32,
    },
    /// Sell `units` of `model` from `hall` and buy `fleet` new in their place.
    ReplaceAsics {
        /// Global hall index.
        hall: usize,
        /// Model retired.
        model: String,
        /// Units retired.
        units: u32,
        /// The new machines.
        fleet: AsicFleet,
        /// USD per TH/s of the new machines.
        usd_per_th: f64,
    },
    /// Borrow.
    DrawDebt(DebtSpec),
    /// Sell new shares.
    RaiseEquity {
        /// Gross amount, USD.
        amount: f64,
        /// Fees and discount, USD.
        cost: f64,
        /// Shares issued, when the scenario counts shares.
        shares: Option<f64>,
    },
    /// Host a client's mining machines.
    HostMiners(HostingSpec),
    /// Raise a grid limit.
    UpgradeGrid {
        /// Site index.
        site: usize,
        /// MW added.
        add_mw: f64,
        /// Capex, USD.
        capex_usd: f64,
        /// Lead time, calendar months.
        lead_time_months: u32,
    },
}

/// A lease deal's delivery terms, in simulation units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryMilestoneSpec {
    /// Seconds after a phase's contracted start beyond which a still-late phase is cancelled.
    pub cancel_after_secs: u64,
    /// Liquidated damages owed while a phase is late, USD per MW-month.
    pub damages_usd_per_mw_month: f64,
}

/// How a hosting client pays its fee.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum HostingFee {
    /// On the IT energy its machines draw, USD per kWh.
    PerKwh(f64),
    /// On its contracted kW of IT, USD per kW-month, whether or not its machines run.
    PerKwMonth(f64),
}

/// A hosting contract, with names resolved (docs/model.md, Hosting).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct HostingSpec {
    /// Global hall index.
    pub hall: usize,
    /// The client's machines at full run, MW of IT.
    pub it_mw: f64,
    /// Their hashrate, TH/s (MW × 10⁶ ÷ J/TH).
    pub th_s: f64,
    /// Term, seconds.
    pub term_secs: u64,
    /// The fee.
    pub fee: HostingFee,
    /// Whether the client pays the energy its machines draw (else the operator does).
    pub pass_through: bool,
    /// Margin on the energy passed through, a fraction of its cost.
    pub power_markup: f64,
    /// Deposit, months of the expected bill at full run.
    pub deposit_months: f64,
    /// Default hazard with a positive margin, per year.
    pub base_hazard_per_year: f64,
    /// Factor on the hazard at a margin of −100% or below.
    pub underwater_multiplier: f64,
    /// Months of bills left unpaid at a default.
    pub arrears_months: u32,
}

/// A monthly rule in simulation form.
#[derive(Debug, Clone)]
pub enum RuleSpec {
    /// Convert the next ASIC hall when hashprice is low and inquiries are being lost.
    ConvertNextAsicHall {
        /// Trailing 30-day hashprice threshold, USD per PH/s per day.
        hashprice_below: f64,
        /// Lost inquiries needed within the lookback.
        min_lost: u32,
        /// Lookback, seconds.
        lookback_secs: u64,
        /// The conversion.
        conversion: ConversionSpec,
        /// Most conversions.
        max_conversions: u32,
        /// Not before this time.
        not_before: SimTime,
    },
    /// Convert the next ASIC hall once waiting tenants it could serve take a share of it.
    ConvertOnPrelease {
        /// Share of the hall's GPU MW the waiting tenants must take.
        min_share: f64,
        /// The conversion.
        conversion: ConversionSpec,
        /// Most conversions.
        max_conversions: u32,
        /// Not before this time.
        not_before: SimTime,
    },
    /// Replace the least efficient fleet when new machines pay back within a limit.
    RefreshAsics {
        /// Most months the net cost may take to pay back.
        payback_months: f64,
        /// The new machine (its J/TH is the frontier's when the world has one).
        fleet: AsicFleet,
        /// Price of the new machines, USD per TH/s (None: the frontier machine's).
        usd_per_th: Option<f64>,
        /// Most spent on new machines in any 12 months, USD.
        max_capex_per_year: f64,
        /// Calendar months between two refreshes.
        cooldown_months: u32,
        /// Not before this time.
        not_before: SimTime,
    },
}

impl RuleSpec {
    /// The conversion the rule starts, if it converts halls.
    pub fn conversion(&self) -> Option<&ConversionSpec> {
        match self {
            RuleSpec::ConvertNextAsicHall { conversion, .. }
            | RuleSpec::ConvertOnPrelease { conversion, .. } => Some(conversion),
            RuleSpec::RefreshAsics { .. } => None,
        }
    }
}

/// A scheduled shock in simulation form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShockSpec {
    /// BTC price × factor from the start of a day.
    BtcPrice {
        /// When (the start of a day).
        at: SimTime,
        /// Multiplier.
        factor: f64,
    },
    /// Network hashrate × factor from the start of a day.
    NetworkHashrate {
        /// When (the start of a day).
        at: SimTime,
        /// Multiplier.
        factor: f64,
    },
    /// Energy price fixed over [from, to).
    EnergySpike {
        /// First hour.
        from: SimTime,
        /// End (exclusive).
        to: SimTime,
        /// Price, USD/MWh.
        usd_per_mwh: f64,
    },
    /// AI regime forced to bust.
    AiBust {
        /// When.
        at: SimTime,
    },
    /// Base rate + delta from a month on.
    RateStep {
        /// When.
        at: SimTime,
        /// Change, fraction per year.
        delta: f64,
    },
    /// A site's grid is down over [from, to).
    GridOutage {
        /// Site index.
        site: usize,
        /// Start.
        from: SimTime,
        /// End (exclusive).
        to: SimTime,
    },
    /// The largest billing lease defaults.
    LargestTenantDefaults {
        /// When.
        at: SimTime,
    },
}

impl CompiledScenario {
    /// The time `months` calendar months after `t` (same day of month, clamped by chrono), or
    /// `SimTime::MAX` if that date overflows the calendar.
    pub fn add_months(&self, t: SimTime, months: u32) -> SimTime {
        let date: NaiveDate = self.calendar.date_of(t);
        let secs_into_day = t.secs() % SECONDS_PER_DAY;
        date.checked_add_months(Months::new(months))
            .and_then(|d| self.calendar.time_of(d))
            .map_or(SimTime::MAX, |d| d + secs_into_day)
            .min(SimTime::MAX)
    }
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
    /// Length of each simulated month's calendar month, seconds (index 0: the start's month).
    pub month_secs: Vec<f64>,
    /// Seasonal energy-price multiplier of each day.
    pub daily_energy_factor: Vec<f64>,
    /// Bitcoin market.
    pub bitcoin: BitcoinParams,
    /// Energy market.
    pub energy: EnergyParams,
    /// AI market, if the scenario has one.
    pub ai: Option<AiParams>,
    /// GPU generations' GPU-hour price levels (one generation at the long-run level without a
    /// list, or without an AI market).
    pub gpu_levels: GpuGenerationLevels,
    /// Used-ASIC resale pricing, if any (otherwise ASICs sell for nothing).
    pub resale: Option<ResaleSpec>,
    /// Capital structure, taxes and valuation (defaults: none).
    pub finance: FinanceSpec,
    /// Scheduled shocks of the scenario as written.
    pub shocks: Vec<ShockSpec>,
    /// World variants: the scenario as written, then one per selected stress.
    pub variants: Vec<Variant>,
    /// Shares outstanding at the start, when the scenario counts them.
    pub shares_outstanding: Option<f64>,
    /// Discount rate of the project (unlevered) value, fraction per year: the scenario's
    /// `finance.discount_rates.project`, else its `discount_rate`.
    pub project_discount_rate: f64,
    /// Discount rate of the equity value (and of `npv_usd`), fraction per year: the
    /// scenario's `finance.discount_rates.equity`, else its `discount_rate`.
    pub equity_discount_rate: f64,
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
    /// Antithetic futures: the odd replication of each pair (2k, 2k + 1) mirrors the draws of
    /// the even one's BTC price, hashrate and energy paths, and (stream version 2 of the
    /// pairs) its construction luck, tenant default clocks and AI market (`world::streams`).
    pub antithetic: bool,
}

impl CompiledScenario {
    /// Compiles a validated scenario. Fails only on what validation rules out: a horizon past
    /// the calendar, a date before the start, a name that does not resolve.
    pub fn new(s: &Scenario) -> Result<Self, CompileError> {
        Self::with_stresses(s, &[])
    }

    /// Compiles a validated scenario with the named stresses selected (see `Scenario::stresses`).
    /// Fails if a name is not one of the scenario's stresses, or as [`Self::new`] does.
    pub fn with_stresses(s: &Scenario, stresses: &[String]) -> Result<Self, CompileError> {
        let calendar = Calendar::new(s.start.0);
        let past_calendar = || CompileError::HorizonPastCalendar {
            start: s.start,
            years: s.horizon_years,
        };
        let end_date = calendar
            .add_years(s.horizon_years)
            .ok_or_else(past_calendar)?;
        let end = calendar.time_of(end_date).ok_or_else(past_calendar)?;
        let days = end.secs() / SECONDS_PER_DAY;
        let month_starts: Vec<SimTime> = calendar
            .month_starts(end)
            .into_iter()
            .filter(|t| *t < end)
            .collect();
        let first_of_month = s.start.0.with_day(1).ok_or_else(past_calendar)?;
        let month_secs = (0..=month_starts.len() as u32)
            .map(|k| {
                let a = first_of_month.checked_add_months(Months::new(k))?;
                let b = first_of_month.checked_add_months(Months::new(k + 1))?;
                Some((b - a).num_seconds() as f64)
            })
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(past_calendar)?;
        let factors = s
            .market
            .energy
            .monthly_factors
            .clone()
            .unwrap_or_else(|| vec![1.0; 12]);
        let daily_energy_factor = (0..days)
            .map(|d| {
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
            hashrate: hashrate_params(&b.hashrate),
            fee_mean_btc: b.fees.mean_btc_per_block,
            fee_volatility: b.fees.volatility,
            fee_spike_rate: b.fees.spike_rate_per_year,
            fee_spike_mean_days: b.fees.spike_mean_days,
            fee_spike_multiplier: b.fees.spike_multiplier,
            history: bitcoin_history(&b.history_rows, s.start.0, days),
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
            history: energy_history(
                &e.history_rows,
                s.start.0,
                (end.secs() / SECONDS_PER_HOUR) as usize,
            ),
        };
        let (sites, halls, fleets) = sites::compile(s, &calendar, end);
        let dated = dated::Dated {
            s,
            calendar: &calendar,
            end,
            first_hall: s
                .sites
                .iter()
                .scan(0, |first, site| {
                    let this = *first;
                    *first += site.halls.len();
                    Some(this)
                })
                .collect(),
        };
        let mut plans = dated.plans()?;
        let shocks = dated.shocks("shocks", &s.shocks)?;
        // Variant 0 is the scenario as written; each selected stress adds its shocks and a copy
        // of every plan, named "plan [stress]".
        let mut variants = vec![Variant {
            name: String::new(),
            shocks: shocks.clone(),
        }];
        let base_plans = plans.len();
        for name in stresses {
            let (i, stress) = s
                .stresses
                .iter()
                .enumerate()
                .find(|(_, x)| &x.name == name)
                .ok_or_else(|| CompileError::UnknownStress {
                    name: name.clone(),
                    known: known_names(s.stresses.iter().map(|x| x.name.as_str())),
                })?;
            if stresses.iter().filter(|x| *x == name).count() > 1 {
                return Err(CompileError::DuplicateStress { name: name.clone() });
            }
            let mut all = shocks.clone();
            all.extend(dated.shocks(
                &join_field(
                    &join_index(field!(Scenario.stresses), i),
                    field!(Stress.shocks),
                ),
                &stress.shocks,
            )?);
            variants.push(Variant {
                name: name.clone(),
                shocks: all,
            });
            let v = variants.len() - 1;
            for p in 0..base_plans {
                let mut copy = plans[p].clone();
                copy.name = names::stressed_name(&copy.name, name);
                copy.variant = v;
                plans.push(copy);
            }
        }
        // Validation refused plans whose stems collide, also with a stressed plan; two stressed
        // plans can still collide (`a` under `b] [c` and `a [b]` under `c`), so the selected
        // set is checked as a whole here, before anything is simulated or written.
        let mut stems: HashMap<String, usize> = HashMap::new();
        for (i, plan) in plans.iter().enumerate() {
            if let Some(&first) = stems.get(&names::stem_key(&plan.name)) {
                return Err(CompileError::NameClash {
                    first: plans[first].name.clone(),
                    second: plan.name.clone(),
                    stem: names::file_stem(&plan.name),
                });
            }
            stems.insert(names::stem_key(&plan.name), i);
        }
        Ok(CompiledScenario {
            calendar,
            end,
            days,
            hours: (end.secs() / SECONDS_PER_HOUR) as usize,
            month_starts,
            month_secs,
            daily_energy_factor,
            bitcoin,
            energy,
            ai: s.market.ai.as_ref().map(AiParams::new),
            gpu_levels: gpu_levels(s, &calendar, end),
            resale: s.market.asic_resale.as_ref().map(|r| ResaleSpec {
                usd_per_th: r.usd_per_th,
                reference_hashprice: r.reference_hashprice_usd_per_ph_day,
                reference_j_per_th: r.reference_j_per_th,
                hashprice_decline_per_year: r.expected_hashprice_decline_per_year,
                discount_rate: r.buyer_discount_rate,
            }),
            shocks,
            variants,
            finance: {
                let f = s.finance.as_ref();
                FinanceSpec {
                    tax_rate: f.map_or(0.0, |f| f.tax_rate),
                    loss_carryforward_limit: f.map_or(0.8, |f| f.loss_carryforward_limit),
                    depreciation_months: f.map_or(
                        DepreciationMonths {
                            asics: 60,
                            gpus: 60,
                            fit_out: 60,
                            buildings: 60,
                            conversion_building_share: 0.0,
                        },
                        DepreciationMonths::of,
                    ),
                    base_rate: f.and_then(|f| f.base_rate.clone()),
                    debts: dated.debts(f.map_or(&[], |f| &f.debts))?,
                    covenant: f
                        .and_then(|f| f.covenant.as_ref())
                        .map(|c| (c.min_dscr, c.months_allowed)),
                    terminal: f.map_or(TerminalValue::None, |f| f.terminal_value),
                    revolver: f.and_then(|f| f.revolver),
                    min_cash: f.map_or(0.0, |f| f.min_cash_usd),
                    liquidation_recovery: f
                        .map_or(pivotsim_scenario::DEFAULT_LIQUIDATION_RECOVERY, |f| {
                            f.liquidation_recovery
                        }),
                }
            },
            shares_outstanding: s.finance.as_ref().and_then(|f| f.shares_outstanding),
            project_discount_rate: s
                .finance
                .as_ref()
                .and_then(|f| f.discount_rates)
                .map_or(s.discount_rate, |r| r.project),
            equity_discount_rate: s
                .finance
                .as_ref()
                .and_then(|f| f.discount_rates)
                .map_or(s.discount_rate, |r| r.equity),
            starting_cash: s.starting_cash_usd,
            sites,
            halls,
            fleets,
            plans,
            antithetic: s.antithetic,
        })
    }
}

/// The hashrate model of the scenario in the model's units (payback in days: a month is
/// 365.25 / 12 days).
/// The GPU generations' price levels of scenario `s` over its horizon (`end`).
fn gpu_levels(s: &Scenario, calendar: &Calendar, end: SimTime) -> GpuGenerationLevels {
    let horizon_years = end.secs() as f64 / SECONDS_PER_DAY as f64 / DAYS_PER_YEAR;
    match &s.market.ai {
        Some(ai) => GpuGenerationLevels::new(&ai.gpu_hour, calendar, horizon_years),
        None => GpuGenerationLevels::new(
            &pivotsim_scenario::GpuHourPrice {
                price_usd: 1.0,
                long_run_usd: 0.0,
                reversion_per_year: 0.0,
                volatility: 0.0,
                generations: None,
            },
            calendar,
            horizon_years,
        ),
    }
}

fn hashrate_params(h: &pivotsim_scenario::HashrateModel) -> HashrateParams {
    match h {
        pivotsim_scenario::HashrateModel::Vintages(v) => HashrateParams::Vintages(NetworkParams {
            fleet: v.fleet.iter().map(|x| (x.j_per_th, x.share)).collect(),
            frontier_j_per_th: v.frontier.j_per_th,
            floor_j_per_th: v.frontier.floor_j_per_th,
            improvement_per_year: v.frontier.improvement_per_year,
            frontier_volatility: v.frontier.volatility,
            machine_usd_per_th: v.frontier.machine_usd_per_th,
            power_usd_per_mwh: v.power_usd_per_mwh,
            power_dispersion: v.power_dispersion,
            payback_days: v.payback_months * DAYS_PER_YEAR / 12.0,
            max_entry_per_year: v.max_entry_per_year,
            order_lag_days: v.order_lag_days,
            switch_days: v.switch_days,
            retirement_per_year: v.retirement_per_year,
            volatility: v.volatility,
        }),
        pivotsim_scenario::HashrateModel::Breakeven(b) => HashrateParams::Breakeven {
            trend: b.trend_per_year,
            volatility: b.volatility,
            response: b.response_per_year,
            breakeven: b.breakeven_hashprice_usd_per_ph_day,
        },
    }
}

/// The bitcoin history as the state of each simulated day from the start (`start`) to its
/// last row's day, at most `days`: each day takes the last row dated on or before it.
/// Validation has checked the dates and that the first row is on or before the start.
fn bitcoin_history(rows: &[BitcoinHistoryRow], start: NaiveDate, days: u64) -> Vec<HistoryDay> {
    let dated: Vec<(NaiveDateTime, HistoryDay)> = rows
        .iter()
        .filter_map(|r| {
            let date = pivotsim_scenario::history::parse_date(&r.date)?.and_time(NaiveTime::MIN);
            let day = HistoryDay {
                price_usd: r.price_usd,
                difficulty: r.difficulty,
                fees_btc: r.fees_btc_per_block,
            };
            Some((date, day))
        })
        .collect();
    held_steps(&dated, start.and_time(NaiveTime::MIN), days, |d| {
        chrono::Duration::days(d as i64)
    })
}

/// The energy history as the price of each simulated hour from the start to its last row's
/// hour, at most `hours`, USD/MWh: each hour takes the last row at or before it.
fn energy_history(rows: &[EnergyHistoryRow], start: NaiveDate, hours: usize) -> Vec<f64> {
    let dated: Vec<(NaiveDateTime, f64)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                pivotsim_scenario::history::parse_hour(&r.datetime)?,
                r.usd_per_mwh,
            ))
        })
        .collect();
    held_steps(&dated, start.and_time(NaiveTime::MIN), hours as u64, |h| {
        chrono::Duration::hours(h as i64)
    })
}

/// Steps `0..steps` from `start` (step k at `start + step(k)`), each taking the value of the
/// last of `dated` (in increasing order) at or before it, until the last one's step: a sparse
/// path held until its next row.
fn held_steps<T: Copy>(
    dated: &[(NaiveDateTime, T)],
    start: NaiveDateTime,
    steps: u64,
    step: impl Fn(u64) -> chrono::Duration,
) -> Vec<T> {
    let Some(&(last, _)) = dated.last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut next = 0;
    let mut held = None;
    for k in 0..steps {
        let at = start + step(k);
        if at > last {
            break;
        }
        while let Some(&(when, value)) = dated.get(next)
            && when <= at
        {
            held = Some(value);
            next += 1;
        }
        // Validation puts the first row on or before the start, so a value is always held.
        let Some(value) = held else { break };
        out.push(value);
    }
    out
}
