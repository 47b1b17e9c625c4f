//! Semantic checks: values that parse but cannot be right, alone or together.
//!
//! Every numeric field has a range (no NaN, no negatives where meaningless, no absurd
//! magnitudes such as a 10,000-year horizon), and the physics must close: a hall's ASICs fit
//! its racks, its racks' density and its cooling; a site's facility load fits its grid
//! connection. The first problem found is returned, located by its field path.

use std::collections::HashSet;

use crate::scenario::error::{ErrorKind, ScenarioError};
use crate::scenario::source::SourceDocument;
use crate::scenario::types::{AsicFleet, BitcoinMarket, EnergyMarket, Hall, Scenario, Site};

/// Longest horizon accepted, years.
pub const MAX_HORIZON_YEARS: u32 = 50;
/// Most replications accepted in one run.
pub const MAX_RUNS: u64 = 100_000_000;
/// Height at which the block subsidy reaches zero (33 halvings of 210,000 blocks).
pub const LAST_SUBSIDY_HEIGHT: u64 = 33 * 210_000;

/// Checks a typed scenario against its source document (for positions).
pub fn validate(scenario: &Scenario, doc: &SourceDocument) -> Result<(), ScenarioError> {
    let c = Checker { doc };
    c.text("name", &scenario.name)?;
    c.int(
        "horizon_years",
        u64::from(scenario.horizon_years),
        1,
        u64::from(MAX_HORIZON_YEARS),
    )?;
    c.int("runs", scenario.runs, 1, MAX_RUNS)?;
    c.range(
        "discount_rate",
        scenario.discount_rate,
        0.0,
        1.0,
        "a fraction per year",
    )?;
    c.range(
        "starting_cash_usd",
        scenario.starting_cash_usd,
        -1e13,
        1e13,
        "USD",
    )?;
    bitcoin(&c, &scenario.market.bitcoin)?;
    energy(&c, &scenario.market.energy)?;
    if scenario.sites.is_empty() {
        return Err(c.err(
            "sites",
            ErrorKind::Range,
            "expected at least one site".into(),
        ));
    }
    let mut names = HashSet::new();
    for (i, site) in scenario.sites.iter().enumerate() {
        let p = format!("sites[{i}]");
        if !names.insert(site.name.as_str()) {
            return Err(c.err(
                &format!("{p}.name"),
                ErrorKind::Reference,
                format!(
                    "another site is already named `{}`; names must be unique",
                    site.name
                ),
            ));
        }
        check_site(&c, &p, site)?;
    }
    if scenario.plans.is_empty() {
        return Err(c.err(
            "plans",
            ErrorKind::Range,
            "expected at least one plan".into(),
        ));
    }
    let mut plan_names = HashSet::new();
    for (i, plan) in scenario.plans.iter().enumerate() {
        let p = format!("plans[{i}].name");
        c.text(&p, &plan.name)?;
        if !plan_names.insert(plan.name.as_str()) {
            return Err(c.err(
                &p,
                ErrorKind::Reference,
                format!(
                    "another plan is already named `{}`; names must be unique",
                    plan.name
                ),
            ));
        }
    }
    Ok(())
}

fn bitcoin(c: &Checker<'_>, b: &BitcoinMarket) -> Result<(), ScenarioError> {
    let p = "market.bitcoin";
    c.range(
        &format!("{p}.price_usd"),
        b.price_usd,
        1e-6,
        1e9,
        "USD per BTC, above 0",
    )?;
    c.range(
        &format!("{p}.drift_per_year"),
        b.drift_per_year,
        -2.0,
        2.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.volatility"),
        b.volatility,
        0.0,
        5.0,
        "per √year",
    )?;
    c.range(
        &format!("{p}.jumps.rate_per_year"),
        b.jumps.rate_per_year,
        0.0,
        365.0,
        "jumps per year",
    )?;
    c.range(
        &format!("{p}.jumps.mean_log_size"),
        b.jumps.mean_log_size,
        -5.0,
        5.0,
        "log size",
    )?;
    c.range(
        &format!("{p}.jumps.std_log_size"),
        b.jumps.std_log_size,
        0.0,
        5.0,
        "log size",
    )?;
    c.range(
        &format!("{p}.difficulty"),
        b.difficulty,
        1.0,
        1e20,
        "a difficulty above 1",
    )?;
    c.int(&format!("{p}.height"), b.height, 0, LAST_SUBSIDY_HEIGHT - 1)?;
    if let Some(mined) = b.epoch_blocks_mined {
        c.int(&format!("{p}.epoch_blocks_mined"), mined, 0, 2015)?;
    }
    c.range(
        &format!("{p}.network_hashrate_eh_s"),
        b.network_hashrate_eh_s,
        1e-6,
        1e7,
        "EH/s, above 0",
    )?;
    let h = &b.hashrate;
    c.range(
        &format!("{p}.hashrate.trend_per_year"),
        h.trend_per_year,
        -5.0,
        5.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.hashrate.volatility"),
        h.volatility,
        0.0,
        5.0,
        "per √year",
    )?;
    c.range(
        &format!("{p}.hashrate.response_per_year"),
        h.response_per_year,
        0.0,
        100.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.hashrate.breakeven_hashprice_usd_per_ph_day"),
        h.breakeven_hashprice_usd_per_ph_day,
        1e-6,
        1e7,
        "USD per PH/s per day, above 0",
    )?;
    let f = &b.fees;
    c.range(
        &format!("{p}.fees.mean_btc_per_block"),
        f.mean_btc_per_block,
        0.0,
        1_000.0,
        "BTC per block",
    )?;
    c.range(
        &format!("{p}.fees.volatility"),
        f.volatility,
        0.0,
        5.0,
        "σ of ln fees",
    )?;
    c.range(
        &format!("{p}.fees.spike_rate_per_year"),
        f.spike_rate_per_year,
        0.0,
        365.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.fees.spike_mean_days"),
        f.spike_mean_days,
        0.01,
        3_650.0,
        "days, above 0",
    )?;
    c.range(
        &format!("{p}.fees.spike_multiplier"),
        f.spike_multiplier,
        0.0,
        10_000.0,
        "a multiple of the base",
    )?;
    Ok(())
}

fn energy(c: &Checker<'_>, e: &EnergyMarket) -> Result<(), ScenarioError> {
    let p = "market.energy";
    c.range(
        &format!("{p}.cap_usd_per_mwh"),
        e.cap_usd_per_mwh,
        1e-6,
        1e6,
        "USD/MWh, above 0",
    )?;
    c.range(
        &format!("{p}.mean_usd_per_mwh"),
        e.mean_usd_per_mwh,
        1e-6,
        e.cap_usd_per_mwh,
        "USD/MWh, above 0 and at most the cap",
    )?;
    c.range(
        &format!("{p}.reversion_per_year"),
        e.reversion_per_year,
        1e-6,
        100_000.0,
        "per year, above 0",
    )?;
    c.range(
        &format!("{p}.volatility"),
        e.volatility,
        0.0,
        100.0,
        "per √year",
    )?;
    c.range(
        &format!("{p}.spike_rate_per_year"),
        e.spike_rate_per_year,
        0.0,
        8_760.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.spike_usd_per_mwh"),
        e.spike_usd_per_mwh,
        0.0,
        e.cap_usd_per_mwh,
        "USD/MWh, at most the cap",
    )?;
    c.range(
        &format!("{p}.spike_mean_hours"),
        e.spike_mean_hours,
        1.0,
        8_760.0,
        "hours, at least 1",
    )?;
    if let Some(factors) = &e.monthly_factors {
        if factors.len() != 12 {
            return Err(c.err(
                &format!("{p}.monthly_factors"),
                ErrorKind::Range,
                format!(
                    "expected 12 multipliers (January to December), got {}",
                    factors.len()
                ),
            ));
        }
        for (i, f) in factors.iter().enumerate() {
            c.range(
                &format!("{p}.monthly_factors[{i}]"),
                *f,
                1e-3,
                100.0,
                "a multiplier above 0",
            )?;
        }
    }
    Ok(())
}

fn check_site(c: &Checker<'_>, p: &str, site: &Site) -> Result<(), ScenarioError> {
    c.text(&format!("{p}.name"), &site.name)?;
    c.range(
        &format!("{p}.grid_mw"),
        site.grid_mw,
        1e-6,
        100_000.0,
        "MW, above 0",
    )?;
    c.range(
        &format!("{p}.opex_usd_per_mw_month"),
        site.opex_usd_per_mw_month,
        0.0,
        1e7,
        "USD per MW-month",
    )?;
    c.range(
        &format!("{p}.pool_fee"),
        site.pool_fee,
        0.0,
        0.5,
        "a fraction of mining revenue",
    )?;
    if let Some(ppa) = &site.ppa {
        c.range(
            &format!("{p}.ppa.share"),
            ppa.share,
            0.0,
            1.0,
            "a fraction of the site's full load",
        )?;
        c.range(
            &format!("{p}.ppa.price_usd_per_mwh"),
            ppa.price_usd_per_mwh,
            0.0,
            1e5,
            "USD/MWh",
        )?;
    }
    if let Some(dr) = &site.demand_response {
        c.range(
            &format!("{p}.demand_response.trigger_usd_per_mwh"),
            dr.trigger_usd_per_mwh,
            0.0,
            1e6,
            "USD/MWh",
        )?;
        c.range(
            &format!("{p}.demand_response.credit_usd_per_mwh"),
            dr.credit_usd_per_mwh,
            0.0,
            1e6,
            "USD/MWh",
        )?;
    }
    if site.halls.is_empty() {
        return Err(c.err(
            &format!("{p}.halls"),
            ErrorKind::Range,
            "expected at least one hall".into(),
        ));
    }
    let mut names = HashSet::new();
    let mut facility_mw = 0.0;
    for (j, hall) in site.halls.iter().enumerate() {
        let hp = format!("{p}.halls[{j}]");
        if !names.insert(hall.name.as_str()) {
            return Err(c.err(
                &format!("{hp}.name"),
                ErrorKind::Reference,
                format!("another hall of this site is already named `{}`", hall.name),
            ));
        }
        facility_mw += check_hall(c, &hp, hall)? * hall.pue;
    }
    if facility_mw > site.grid_mw * (1.0 + 1e-9) {
        return Err(c.err(
            &format!("{p}.grid_mw"),
            ErrorKind::Physics,
            format!(
                "the halls' ASIC load times PUE is {facility_mw:.2} MW, above the grid limit of {} MW; \
                 expected a grid limit of at least {facility_mw:.2} MW or fewer machines",
                site.grid_mw
            ),
        ));
    }
    Ok(())
}

/// Checks one hall and returns its installed ASIC IT load in MW.
fn check_hall(c: &Checker<'_>, p: &str, hall: &Hall) -> Result<f64, ScenarioError> {
    c.text(&format!("{p}.name"), &hall.name)?;
    c.int(
        &format!("{p}.rack_slots"),
        u64::from(hall.rack_slots),
        1,
        10_000_000,
    )?;
    c.range(
        &format!("{p}.max_kw_per_rack"),
        hall.max_kw_per_rack,
        1e-3,
        2_000.0,
        "kW per rack, above 0",
    )?;
    c.range(
        &format!("{p}.cooling_mw"),
        hall.cooling_mw,
        1e-6,
        10_000.0,
        "MW of heat, above 0",
    )?;
    c.range(
        &format!("{p}.pue"),
        hall.pue,
        1.0,
        5.0,
        "a ratio from 1 to 5",
    )?;
    let mut racks = 0u64;
    let mut it_mw = 0.0;
    for (k, fleet) in hall.asics.iter().enumerate() {
        let fp = format!("{p}.asics[{k}]");
        check_fleet(c, &fp, fleet)?;
        let per_rack_kw = f64::from(fleet.units_per_rack) * fleet.watts / 1_000.0;
        if per_rack_kw > hall.max_kw_per_rack * (1.0 + 1e-9) {
            return Err(c.err(
                &format!("{fp}.units_per_rack"),
                ErrorKind::Physics,
                format!(
                    "{} units of {} W make {per_rack_kw:.1} kW per rack, above the hall's \
                     max_kw_per_rack of {}; expected at most {} units per rack",
                    fleet.units_per_rack,
                    fleet.watts,
                    hall.max_kw_per_rack,
                    (hall.max_kw_per_rack * 1_000.0 / fleet.watts).floor()
                ),
            ));
        }
        racks += u64::from(fleet.units).div_ceil(u64::from(fleet.units_per_rack));
        it_mw += f64::from(fleet.units) * fleet.watts / 1e6;
    }
    if racks > u64::from(hall.rack_slots) {
        return Err(c.err(
            &format!("{p}.rack_slots"),
            ErrorKind::Physics,
            format!(
                "the hall's ASICs need {racks} racks but it has {} rack slots; expected at least {racks}",
                hall.rack_slots
            ),
        ));
    }
    if it_mw > hall.cooling_mw * (1.0 + 1e-9) {
        return Err(c.err(
            &format!("{p}.cooling_mw"),
            ErrorKind::Physics,
            format!(
                "the hall's ASICs draw {it_mw:.2} MW of IT load, above its cooling capacity of {} MW; \
                 expected cooling of at least {it_mw:.2} MW or fewer machines",
                hall.cooling_mw
            ),
        ));
    }
    Ok(it_mw)
}

fn check_fleet(c: &Checker<'_>, p: &str, f: &AsicFleet) -> Result<(), ScenarioError> {
    c.text(&format!("{p}.model"), &f.model)?;
    c.range(
        &format!("{p}.th_s"),
        f.th_s,
        1e-6,
        1e6,
        "TH/s per unit, above 0",
    )?;
    c.range(
        &format!("{p}.watts"),
        f.watts,
        1e-3,
        1e6,
        "W per unit, above 0",
    )?;
    c.int(&format!("{p}.units"), u64::from(f.units), 0, 100_000_000)?;
    c.int(
        &format!("{p}.units_per_rack"),
        u64::from(f.units_per_rack),
        1,
        10_000,
    )?;
    c.range(
        &format!("{p}.annual_failure_rate"),
        f.annual_failure_rate,
        0.0,
        10.0,
        "failures per unit per year",
    )?;
    c.int(
        &format!("{p}.repair_days"),
        u64::from(f.repair_days),
        1,
        3_650,
    )?;
    Ok(())
}

/// Builds located errors for one document.
struct Checker<'a> {
    doc: &'a SourceDocument,
}

impl Checker<'_> {
    fn err(&self, path: &str, kind: ErrorKind, message: String) -> ScenarioError {
        ScenarioError::new(
            &self.doc.origin,
            path,
            self.doc.map.position(path),
            kind,
            message,
        )
    }

    fn range(&self, path: &str, v: f64, lo: f64, hi: f64, what: &str) -> Result<(), ScenarioError> {
        if v.is_finite() && v >= lo && v <= hi {
            return Ok(());
        }
        Err(self.err(
            path,
            ErrorKind::Range,
            format!(
                "expected a number from {} to {} ({what}), got {v}",
                fmt_num(lo),
                fmt_num(hi)
            ),
        ))
    }

    fn int(&self, path: &str, v: u64, lo: u64, hi: u64) -> Result<(), ScenarioError> {
        if (lo..=hi).contains(&v) {
            return Ok(());
        }
        Err(self.err(
            path,
            ErrorKind::Range,
            format!("expected a whole number from {lo} to {hi}, got {v}"),
        ))
    }

    fn text(&self, path: &str, v: &str) -> Result<(), ScenarioError> {
        if v.trim().is_empty() {
            return Err(self.err(path, ErrorKind::Range, "expected a non-empty name".into()));
        }
        if v.len() > 200 || v.chars().any(char::is_control) {
            return Err(self.err(
                path,
                ErrorKind::Range,
                "expected a name of at most 200 printable characters".into(),
            ));
        }
        Ok(())
    }
}

/// Formats a bound without float noise: 1e-6 → "0.000001", 100000 → "100000".
fn fmt_num(x: f64) -> String {
    if x.abs() >= 1e7 {
        format!("{x:e}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}
