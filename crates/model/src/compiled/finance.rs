//! The capital structure and valuation terms in simulation form: loans, taxes and
//! depreciation, the covenant, the terminal value, and used-ASIC resale prices.

use pivotsim_engine::SimTime;
use pivotsim_scenario::{BaseRate, DebtRate, Repayment, Revolver, TerminalValue};

/// A loan in simulation form.
#[derive(Debug, Clone)]
pub struct DebtSpec {
    /// Name.
    pub name: String,
    /// Amount borrowed, USD.
    pub principal: f64,
    /// When it is drawn; None when it is already outstanding at the start (no cash arrives).
    pub drawn: Option<SimTime>,
    /// Interest rate.
    pub rate: DebtRate,
    /// Months to maturity.
    pub term_months: u32,
    /// Repayment.
    pub repayment: Repayment,
}

/// The capital structure in simulation form.
#[derive(Debug, Clone)]
pub struct FinanceSpec {
    /// Tax rate on taxable income.
    pub tax_rate: f64,
    /// Share of a year's taxable income that losses of earlier years may offset.
    pub loss_carryforward_limit: f64,
    /// Depreciation lives, months: ASICs, GPUs, fit-out (conversions and grid upgrades).
    pub depreciation_months: DepreciationMonths,
    /// Base-rate process, if any.
    pub base_rate: Option<BaseRate>,
    /// Debts of the scenario (plan debts come from actions).
    pub debts: Vec<DebtSpec>,
    /// DSCR covenant: (minimum, consecutive months allowed).
    pub covenant: Option<(f64, u32)>,
    /// Terminal value rule.
    pub terminal: TerminalValue,
    /// The revolving credit facility, if any.
    pub revolver: Option<Revolver>,
    /// The least cash after the revolver before the company is out of cash, USD.
    pub min_cash: f64,
    /// Share of the plant's book value a liquidation recovers.
    pub liquidation_recovery: f64,
}

/// Straight-line depreciation lives by asset class, months.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepreciationMonths {
    /// Mining machines.
    pub asics: u32,
    /// Operator-owned GPUs.
    pub gpus: u32,
    /// Conversions and grid upgrades.
    pub fit_out: u32,
    /// Buildings.
    pub buildings: u32,
    /// Share of a conversion's capex that is building work.
    pub conversion_building_share: f64,
}

impl DepreciationMonths {
    pub(super) fn of(f: &pivotsim_scenario::Finance) -> Self {
        let months = |years: f64| (years * 12.0).round().max(1.0) as u32;
        let by = f.depreciation_by_class.unwrap_or_default();
        let life = |class: Option<f64>| months(class.unwrap_or(f.depreciation_years));
        DepreciationMonths {
            asics: life(by.asics_years),
            gpus: life(by.gpus_years),
            fit_out: life(by.fit_out_years),
            buildings: life(by.buildings_years),
            conversion_building_share: by.conversion_building_share.unwrap_or(0.0),
        }
    }
}

/// Used-ASIC resale pricing.
#[derive(Debug, Clone, Copy)]
pub struct ResaleSpec {
    /// USD per TH/s at the reference point.
    pub usd_per_th: f64,
    /// Reference hashprice, USD per PH/s per day.
    pub reference_hashprice: f64,
    /// Reference efficiency, J/TH.
    pub reference_j_per_th: f64,
}

impl ResaleSpec {
    /// Resale value of one unit, USD: proportional to hashprice and inversely to J/TH.
    pub fn unit_value(&self, th_per_unit: f64, j_per_th: f64, hashprice: f64) -> f64 {
        th_per_unit
            * self.usd_per_th
            * (hashprice / self.reference_hashprice)
            * (self.reference_j_per_th / j_per_th)
    }
}
