//! The capital structure and valuation terms in simulation form: loans, taxes and
//! depreciation, the covenant, the terminal value, and used-ASIC resale prices.

use pivotsim_engine::{DAYS_PER_YEAR, SimTime, math};
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
    /// With a frontier: the rate a buyer expects hashprice to fall at, per year.
    pub hashprice_decline_per_year: f64,
    /// With a frontier: the buyer's discount rate, per year.
    pub discount_rate: f64,
}

impl ResaleSpec {
    /// Resale value of one unit, USD: proportional to hashprice and inversely to J/TH.
    pub fn unit_value(&self, th_per_unit: f64, j_per_th: f64, hashprice: f64) -> f64 {
        th_per_unit
            * self.usd_per_th
            * (hashprice / self.reference_hashprice)
            * (self.reference_j_per_th / j_per_th)
    }

    /// Present value of the margin of a machine of `j_per_th`, USD per TH/s, to a buyer
    /// paying `power_usd_per_mwh` who expects today's hashprice h (USD per TH/s per day) to
    /// fall at rate d: the margin is h·e^(−dt) − c, with c = J/TH × 24 h × power / 10⁶ the
    /// power cost per TH/s per day. The machine earns until the margin is gone,
    /// t* = ln(h/c) / d, or its physical life ends (`years_left`), whichever is first: T.
    /// Discounted at r,
    ///
    /// PV = 365.25 · [h · (1 − e^(−(d+r)T)) / (d+r) − c · (1 − e^(−rT)) / r],
    ///
    /// and nothing when the machine does not cover its power today.
    pub fn margin_value_per_th(
        &self,
        hashprice_usd_per_ph_day: f64,
        j_per_th: f64,
        power_usd_per_mwh: f64,
        years_left: Option<f64>,
    ) -> f64 {
        let h = hashprice_usd_per_ph_day / 1_000.0;
        let c = j_per_th * 24.0 * power_usd_per_mwh / 1e6;
        if h <= c || h <= 0.0 {
            return 0.0;
        }
        let (d, r) = (self.hashprice_decline_per_year, self.discount_rate);
        let earning = if c > 0.0 {
            math::ln(h / c) / d
        } else {
            f64::INFINITY
        };
        let t = years_left.map_or(earning, |left| earning.min(left.max(0.0)));
        if !t.is_finite() {
            // Free power and no end of life: a perpetuity of the falling revenue.
            return DAYS_PER_YEAR * h / (d + r);
        }
        let revenue = h * (1.0 - math::exp(-(d + r) * t)) / (d + r);
        let power = c * (1.0 - math::exp(-r * t)) / r;
        (DAYS_PER_YEAR * (revenue - power)).max(0.0)
    }

    /// Used value of a machine of `j_per_th` with `years_left` of life when the world has an
    /// efficiency frontier, USD per TH/s: its margin's present value
    /// ([`ResaleSpec::margin_value_per_th`]), scaled down by price / PV of a new frontier
    /// machine (`frontier_j_per_th`, `frontier_usd_per_th`, `new_life_years`) when the new
    /// machine's margin is worth more than its price: a buyer can buy new instead, so no
    /// used machine sells for more, per unit of margin, than a new one. At most nothing
    /// (scrap) when it does not cover its power.
    #[allow(clippy::too_many_arguments)]
    pub fn used_value_per_th(
        &self,
        hashprice_usd_per_ph_day: f64,
        j_per_th: f64,
        power_usd_per_mwh: f64,
        years_left: Option<f64>,
        frontier_j_per_th: f64,
        frontier_usd_per_th: f64,
        new_life_years: Option<f64>,
    ) -> f64 {
        let used = self.margin_value_per_th(
            hashprice_usd_per_ph_day,
            j_per_th,
            power_usd_per_mwh,
            years_left,
        );
        let new = self.margin_value_per_th(
            hashprice_usd_per_ph_day,
            frontier_j_per_th,
            power_usd_per_mwh,
            new_life_years,
        );
        if new > frontier_usd_per_th {
            used * frontier_usd_per_th / new
        } else {
            used
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resale() -> ResaleSpec {
        ResaleSpec {
            usd_per_th: 6.0,
            reference_hashprice: 40.0,
            reference_j_per_th: 20.0,
            hashprice_decline_per_year: 0.25,
            discount_rate: 0.20,
        }
    }

    #[test]
    fn used_value_is_the_present_value_of_the_remaining_margin() {
        // h = $60/PH/day = 0.06 USD/TH/day; 20 J/TH at $50/MWh: c = 20·24·50/10⁶ = 0.024.
        // t* = ln(0.06/0.024)/0.25 = 3.665 years > 2 years of life left, so T = 2.
        // revenue = 0.06 · (1 − e^(−0.45·2)) / 0.45 = 0.06 · 1.318727 = 0.0791236
        // power   = 0.024 · (1 − e^(−0.2·2)) / 0.2 = 0.024 · 1.648400 = 0.0395616
        // value   = 365.25 · (0.0791236 − 0.0395616) = $14.450 per TH/s.
        let r = resale();
        let v = r.margin_value_per_th(60.0, 20.0, 50.0, Some(2.0));
        assert!((v - 14.450).abs() < 0.001, "{v}");
        // Nothing below the power cost, nor at the end of its life.
        assert_eq!(r.margin_value_per_th(20.0, 20.0, 50.0, None), 0.0);
        assert_eq!(r.margin_value_per_th(60.0, 20.0, 50.0, Some(0.0)), 0.0);
        // A new frontier machine at 12 J/TH, 8-year life: c = 0.0144, t* = ln(0.06/0.0144)
        // / 0.25 = 5.7085 < 8, so T = 5.7085: revenue = 0.06 · (1 − e^(−2.5688)) / 0.45 =
        // 0.123116, power = 0.0144 · (1 − e^(−1.1417)) / 0.2 = 0.049012, PV = 365.25 · 0.074104 =
        // $27.067/TH. Priced at $20/TH, below that PV, buyers would buy new rather than pay
        // more than 20/27.067 of a used machine's PV: $14.450 · 0.73891 = $10.677.
        let scaled = r.used_value_per_th(60.0, 20.0, 50.0, Some(2.0), 12.0, 20.0, Some(8.0));
        assert!((scaled - 10.677).abs() < 0.002, "{scaled}");
        // Priced above its PV, new machines do not bound the used one.
        let unscaled = r.used_value_per_th(60.0, 20.0, 50.0, Some(2.0), 12.0, 30.0, Some(8.0));
        assert_eq!(unscaled, v);
    }

    #[test]
    fn used_values_match_the_june_2023_market_within_25_percent() {
        // June 2023 (docs/sources.md, Used ASIC prices): hashprice $62.5-79/PH/day, taken
        // as $70; Luxor's RFQ desk quoted the S19 XP (21.5 J/TH, under a year old) at
        // $24.00/TH and used S19 Pro (29.5 J/TH, about 3 years old) at $13.25/TH, with a fair
        // market value of $17.56. Buyers at the network's $45/MWh, with 8-year lives: the
        // margin runs out before the life does for both (t* = 4.4 and 3.1 years), so
        // S19 XP: $24.16/TH and S19 Pro: $15.85/TH by the formula.
        // The frontier then was the S19 XP itself at $24/TH, a little below its $24.16 PV,
        // so both are scaled by 24 / 24.16: $24.00 and $15.75.
        let r = resale();
        let used = |j: f64, left: f64| {
            r.used_value_per_th(70.0, j, 45.0, Some(left), 21.5, 24.0, Some(8.0))
        };
        let (xp, pro) = (used(21.5, 7.25), used(29.5, 5.0));
        assert!((xp / 24.00 - 1.0).abs() < 0.25, "S19 XP {xp}");
        assert!((pro / 13.25 - 1.0).abs() < 0.25, "S19 Pro {pro} vs traded");
        assert!(
            (pro / 17.56 - 1.0).abs() < 0.25,
            "S19 Pro {pro} vs fair value"
        );
        // And the ordering the market shows: the efficient machine carries a premium.
        assert!(xp > 1.4 * pro);
    }
}
