//! Semantic checks: values that parse but cannot be right, alone or together.
//!
//! Every numeric field has a range (no NaN, no negatives where meaningless, no absurd
//! magnitudes such as a 10,000-year horizon), and the physics must close: a hall's ASICs fit
//! its racks, its racks' density and its cooling; a site's facility load fits its grid
//! connection. The first problem found is returned, located by its field path.

use std::collections::HashSet;

use crate::error::{ErrorKind, ScenarioError};
use crate::source::SourceDocument;
use crate::types::{
    Action, AiMarket, AsicDisposal, AsicFleet, BitcoinMarket, Date, DebtRate, Dist, EnergyMarket,
    Finance, Hall, HallState, HallTarget, Plan, Rule, Scenario, Shock, Site, TerminalValue,
};

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
    if let Some(ai) = &scenario.market.ai {
        ai_market(&c, ai)?;
        // Each inquiry has its own random stream, numbered in 16 bits.
        let expected = ai.inquiries.rate_per_year * f64::from(scenario.horizon_years);
        if expected > 20_000.0 {
            return Err(c.err(
                "market.ai.inquiries.rate_per_year",
                ErrorKind::Limit,
                format!("{expected:.0} inquiries expected over the horizon; the limit is 20000"),
            ));
        }
    }
    if let Some(f) = &scenario.finance {
        finance(&c, f, scenario)?;
    }
    shocks(&c, scenario)?;
    if let Some(r) = &scenario.market.asic_resale {
        let p = "market.asic_resale";
        c.range(
            &format!("{p}.usd_per_th"),
            r.usd_per_th,
            0.0,
            10_000.0,
            "USD per TH/s",
        )?;
        c.range(
            &format!("{p}.reference_hashprice_usd_per_ph_day"),
            r.reference_hashprice_usd_per_ph_day,
            1e-6,
            1e7,
            "USD per PH/s per day, above 0",
        )?;
        c.range(
            &format!("{p}.reference_j_per_th"),
            r.reference_j_per_th,
            1e-3,
            1e4,
            "J/TH, above 0",
        )?;
    }
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
        check_plan(&c, &format!("plans[{i}]"), plan, scenario)?;
    }
    Ok(())
}

fn shocks(c: &Checker<'_>, s: &Scenario) -> Result<(), ScenarioError> {
    shock_list(c, s, "shocks", &s.shocks)?;
    let mut names = HashSet::new();
    for (i, stress) in s.stresses.iter().enumerate() {
        let p = format!("stresses[{i}]");
        c.text(&format!("{p}.name"), &stress.name)?;
        if !names.insert(stress.name.as_str()) {
            return Err(c.err(
                &format!("{p}.name"),
                ErrorKind::Reference,
                format!("another stress is already named `{}`", stress.name),
            ));
        }
        shock_list(c, s, &format!("{p}.shocks"), &stress.shocks)?;
    }
    Ok(())
}

fn shock_list(
    c: &Checker<'_>,
    s: &Scenario,
    path: &str,
    list: &[Shock],
) -> Result<(), ScenarioError> {
    let start = s.start.0;
    let end = start
        .checked_add_months(chrono::Months::new(s.horizon_years.saturating_mul(12)))
        .unwrap_or(chrono::NaiveDate::MAX);
    let date_in = |path: String, d: &Date| -> Result<(), ScenarioError> {
        if d.0 < start || d.0 >= end {
            return Err(c.err(
                &path,
                ErrorKind::Range,
                format!("{d} is outside the horizon; expected a date from {start} to before {end}"),
            ));
        }
        Ok(())
    };
    for (i, shock) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match shock {
            Shock::BtcPrice { date, factor } | Shock::NetworkHashrate { date, factor } => {
                date_in(format!("{p}.date"), date)?;
                c.range(
                    &format!("{p}.factor"),
                    *factor,
                    1e-6,
                    1_000.0,
                    "a multiplier above 0",
                )?;
            }
            Shock::EnergySpike {
                from,
                to,
                usd_per_mwh,
            } => {
                date_in(format!("{p}.from"), from)?;
                if to.0 <= from.0 {
                    return Err(c.err(
                        &format!("{p}.to"),
                        ErrorKind::Range,
                        format!("{to} is not after `from` ({from})"),
                    ));
                }
                c.range(
                    &format!("{p}.usd_per_mwh"),
                    *usd_per_mwh,
                    0.0,
                    1e6,
                    "USD/MWh",
                )?;
            }
            Shock::GridOutage { site, date, days } => {
                date_in(format!("{p}.date"), date)?;
                c.range(&format!("{p}.days"), *days, 1.0 / 24.0, 3_650.0, "days")?;
                if !s.sites.iter().any(|x| &x.name == site) {
                    return Err(c.err(
                        &format!("{p}.site"),
                        ErrorKind::Reference,
                        format!("no site is named `{site}`"),
                    ));
                }
            }
            Shock::AiBust { date } | Shock::LargestTenantDefaults { date } => {
                date_in(format!("{p}.date"), date)?;
                if matches!(shock, Shock::AiBust { .. }) && s.market.ai.is_none() {
                    return Err(c.err(
                        &p,
                        ErrorKind::Reference,
                        "an AI bust needs `market.ai`".into(),
                    ));
                }
            }
            Shock::RateStep { date, delta } => {
                date_in(format!("{p}.date"), date)?;
                c.range(
                    &format!("{p}.delta"),
                    *delta,
                    -0.5,
                    0.5,
                    "a change in the rate per year",
                )?;
                if s.finance
                    .as_ref()
                    .and_then(|f| f.base_rate.as_ref())
                    .is_none()
                {
                    return Err(c.err(
                        &p,
                        ErrorKind::Reference,
                        "a rate step needs `finance.base_rate`".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn finance(c: &Checker<'_>, f: &Finance, s: &Scenario) -> Result<(), ScenarioError> {
    let p = "finance";
    c.range(
        &format!("{p}.tax_rate"),
        f.tax_rate,
        0.0,
        0.9,
        "a fraction of taxable income",
    )?;
    c.range(
        &format!("{p}.depreciation_years"),
        f.depreciation_years,
        0.1,
        100.0,
        "years",
    )?;
    if let Some(b) = &f.base_rate {
        c.range(
            &format!("{p}.base_rate.initial"),
            b.initial,
            -0.05,
            1.0,
            "a fraction per year",
        )?;
        c.range(
            &format!("{p}.base_rate.long_run"),
            b.long_run,
            -0.05,
            1.0,
            "a fraction per year",
        )?;
        c.range(
            &format!("{p}.base_rate.reversion_per_year"),
            b.reversion_per_year,
            0.0,
            100.0,
            "per year",
        )?;
        c.range(
            &format!("{p}.base_rate.volatility"),
            b.volatility,
            0.0,
            1.0,
            "a fraction per √year",
        )?;
    }
    for (i, d) in f.debts.iter().enumerate() {
        let dp = format!("{p}.debts[{i}]");
        check_debt(c, &dp, d, s)?;
        if let Some(date) = &d.drawn {
            let start = s.start.0;
            if date.0 < start {
                return Err(c.err(&format!("{dp}.drawn"), ErrorKind::Range, format!("{date} is before the start {start}; a debt outstanding at the start is drawn on the start date")));
            }
        }
    }
    if let Some(cov) = &f.covenant {
        c.range(
            &format!("{p}.covenant.min_dscr"),
            cov.min_dscr,
            0.0,
            100.0,
            "a ratio",
        )?;
        c.int(
            &format!("{p}.covenant.months_allowed"),
            u64::from(cov.months_allowed),
            1,
            600,
        )?;
    }
    match f.terminal_value {
        TerminalValue::None => {}
        TerminalValue::ExitMultiple(m) => c.range(
            &format!("{p}.terminal_value.exit_multiple"),
            m,
            0.0,
            100.0,
            "a multiple of EBITDA",
        )?,
        TerminalValue::CapRate(r) => c.range(
            &format!("{p}.terminal_value.cap_rate"),
            r,
            0.001,
            1.0,
            "a fraction per year",
        )?,
    }
    Ok(())
}

/// A conversion's funding loan: a share of capex, a term and a rate.
fn check_conversion_debt(
    c: &Checker<'_>,
    p: &str,
    d: &crate::types::ConversionDebt,
    s: &Scenario,
) -> Result<(), ScenarioError> {
    c.range(
        &format!("{p}.share_of_capex"),
        d.share_of_capex,
        0.0,
        1.0,
        "a fraction of the capex",
    )?;
    let debt = crate::types::Debt {
        name: "conversion".into(),
        principal_usd: 0.0,
        drawn: None,
        rate: d.rate,
        term_months: d.term_months,
        repayment: d.repayment,
    };
    check_debt(c, p, &debt, s)
}

/// A debt's amounts, term and rate; floating rates need a base rate.
fn check_debt(
    c: &Checker<'_>,
    p: &str,
    d: &crate::types::Debt,
    s: &Scenario,
) -> Result<(), ScenarioError> {
    c.text(&format!("{p}.name"), &d.name)?;
    c.range(
        &format!("{p}.principal_usd"),
        d.principal_usd,
        0.0,
        1e13,
        "USD",
    )?;
    c.int(
        &format!("{p}.term_months"),
        u64::from(d.term_months),
        1,
        600,
    )?;
    match d.rate {
        DebtRate::Fixed(r) => c.range(
            &format!("{p}.rate.fixed"),
            r,
            -0.05,
            1.0,
            "a fraction per year",
        )?,
        DebtRate::FloatingSpread(r) => {
            c.range(
                &format!("{p}.rate.floating_spread"),
                r,
                -0.05,
                1.0,
                "a fraction per year",
            )?;
            if s.finance
                .as_ref()
                .and_then(|f| f.base_rate.as_ref())
                .is_none()
            {
                return Err(c.err(
                    &format!("{p}.rate"),
                    ErrorKind::Reference,
                    "a floating rate needs `finance.base_rate`".into(),
                ));
            }
        }
    }
    Ok(())
}

fn ai_market(c: &Checker<'_>, ai: &AiMarket) -> Result<(), ScenarioError> {
    let p = "market.ai";
    let r = &ai.regimes;
    c.range(
        &format!("{p}.regimes.boom_to_bust_per_year"),
        r.boom_to_bust_per_year,
        0.0,
        100.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.regimes.bust_to_boom_per_year"),
        r.bust_to_boom_per_year,
        0.0,
        100.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.regimes.bust_inquiry_factor"),
        r.bust_inquiry_factor,
        0.0,
        100.0,
        "a multiple",
    )?;
    c.range(
        &format!("{p}.regimes.bust_price_factor"),
        r.bust_price_factor,
        0.0,
        100.0,
        "a multiple",
    )?;
    c.range(
        &format!("{p}.regimes.bust_default_factor"),
        r.bust_default_factor,
        0.0,
        100.0,
        "a multiple",
    )?;
    let q = &ai.inquiries;
    let qp = format!("{p}.inquiries");
    c.range(
        &format!("{qp}.rate_per_year"),
        q.rate_per_year,
        0.0,
        10_000.0,
        "inquiries per year",
    )?;
    c.dist(&format!("{qp}.size_mw"), &q.size_mw, 1e-3, 10_000.0)?;
    c.dist(&format!("{qp}.term_years"), &q.term_years, 1.0 / 12.0, 50.0)?;
    c.range(
        &format!("{qp}.price_usd_per_kw_month"),
        q.price_usd_per_kw_month,
        1e-6,
        1e5,
        "USD per kW-month, above 0",
    )?;
    c.range(
        &format!("{qp}.price_dispersion"),
        q.price_dispersion,
        0.0,
        5.0,
        "σ of ln price",
    )?;
    c.range(
        &format!("{qp}.escalator_per_year"),
        q.escalator_per_year,
        -0.5,
        1.0,
        "a fraction per year",
    )?;
    c.range(
        &format!("{qp}.liquid_share"),
        q.liquid_share,
        0.0,
        1.0,
        "a fraction",
    )?;
    c.dist(
        &format!("{qp}.density_kw_per_rack"),
        &q.density_kw_per_rack,
        0.1,
        2_000.0,
    )?;
    c.dist(
        &format!("{qp}.start_delay_months"),
        &q.start_delay_months,
        0.0,
        120.0,
    )?;
    c.dist(
        &format!("{qp}.patience_months"),
        &q.patience_months,
        0.0,
        120.0,
    )?;
    let l = &ai.lease;
    c.int(
        &format!("{p}.lease.ramp_months"),
        u64::from(l.ramp_months),
        0,
        120,
    )?;
    c.range(
        &format!("{p}.lease.renewal_probability"),
        l.renewal_probability,
        0.0,
        1.0,
        "a probability",
    )?;
    c.range(
        &format!("{p}.lease.default_hazard_per_year"),
        l.default_hazard_per_year,
        0.0,
        100.0,
        "per year",
    )?;
    if let Some(sla) = &l.sla {
        c.range(
            &format!("{p}.lease.sla.allowance_hours_per_month"),
            sla.allowance_hours_per_month,
            0.0,
            744.0,
            "hours",
        )?;
        c.range(
            &format!("{p}.lease.sla.credit_per_hour"),
            sla.credit_per_hour,
            0.0,
            1.0,
            "a share of the month's rent",
        )?;
        c.range(
            &format!("{p}.lease.sla.cap"),
            sla.cap,
            0.0,
            1.0,
            "a share of the month's rent",
        )?;
    }
    let g = &ai.gpu_hour;
    c.range(
        &format!("{p}.gpu_hour.price_usd"),
        g.price_usd,
        1e-6,
        1_000.0,
        "USD per GPU-hour, above 0",
    )?;
    c.range(
        &format!("{p}.gpu_hour.long_run_usd"),
        g.long_run_usd,
        1e-6,
        1_000.0,
        "USD per GPU-hour, above 0",
    )?;
    c.range(
        &format!("{p}.gpu_hour.reversion_per_year"),
        g.reversion_per_year,
        0.0,
        1_000.0,
        "per year",
    )?;
    c.range(
        &format!("{p}.gpu_hour.volatility"),
        g.volatility,
        0.0,
        10.0,
        "per √year",
    )?;
    Ok(())
}

/// Checks a plan's actions and rules against the halls' initial states: actions name real
/// sites and halls, fall inside the horizon, and fit the hall they target.
fn check_plan(c: &Checker<'_>, p: &str, plan: &Plan, s: &Scenario) -> Result<(), ScenarioError> {
    let start = s.start.0;
    let end = start
        .checked_add_months(chrono::Months::new(s.horizon_years.saturating_mul(12)))
        .unwrap_or(chrono::NaiveDate::MAX);
    let in_horizon = |path: &str, d: &Date| -> Result<(), ScenarioError> {
        if d.0 < start || d.0 >= end {
            return Err(c.err(
                path,
                ErrorKind::Range,
                format!("{d} is outside the horizon; expected a date from {start} to before {end}"),
            ));
        }
        Ok(())
    };
    let find_site = |path: &str, site: &str| -> Result<usize, ScenarioError> {
        s.sites.iter().position(|x| x.name == site).ok_or_else(|| {
            let names: Vec<&str> = s.sites.iter().map(|x| x.name.as_str()).collect();
            c.err(
                &format!("{path}.site"),
                ErrorKind::Reference,
                format!(
                    "no site is named `{site}`; expected one of: {}",
                    names.join(", ")
                ),
            )
        })
    };
    let find_hall = |path: &str,
                     field: &str,
                     site: &str,
                     hall: &str|
     -> Result<(usize, usize), ScenarioError> {
        let si = find_site(path, site)?;
        let hi = s.sites[si]
            .halls
            .iter()
            .position(|h| h.name == hall)
            .ok_or_else(|| {
                let names: Vec<&str> = s.sites[si].halls.iter().map(|h| h.name.as_str()).collect();
                c.err(
                    &format!("{path}.{field}"),
                    ErrorKind::Reference,
                    format!(
                        "site `{site}` has no hall named `{hall}`; expected one of: {}",
                        names.join(", ")
                    ),
                )
            })?;
        Ok((si, hi))
    };
    let mut converted: HashSet<(usize, usize)> = HashSet::new();
    for (k, action) in plan.actions.iter().enumerate() {
        let ap = format!("{p}.actions[{k}]");
        match action {
            Action::ConvertHall {
                date,
                site,
                hall,
                to,
                capex_usd_per_mw,
                lead_time_months,
                asics,
                debt,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                let (si, hi) = find_hall(&ap, "hall", site, hall)?;
                if s.sites[si].halls[hi].state == HallState::GpuReady || !converted.insert((si, hi))
                {
                    return Err(c.err(
                        &format!("{ap}.hall"),
                        ErrorKind::Reference,
                        format!(
                            "hall `{hall}` is already GPU-ready or converted by an earlier action \
                             of this plan; a hall converts once"
                        ),
                    ));
                }
                target(c, &format!("{ap}.to"), to)?;
                c.range(
                    &format!("{ap}.capex_usd_per_mw"),
                    *capex_usd_per_mw,
                    0.0,
                    1e9,
                    "USD per MW",
                )?;
                c.int(
                    &format!("{ap}.lead_time_months"),
                    u64::from(*lead_time_months),
                    0,
                    120,
                )?;
                if let Some(d) = debt {
                    check_conversion_debt(c, &format!("{ap}.debt"), d, s)?;
                }
                if let AsicDisposal::MoveTo(other) = asics {
                    let (_, oi) = find_hall(&format!("{ap}.asics"), "move_to", site, other)?;
                    if oi == hi {
                        return Err(c.err(
                            &format!("{ap}.asics.move_to"),
                            ErrorKind::Reference,
                            "cannot move a hall's ASICs into the hall being converted".into(),
                        ));
                    }
                }
            }
            Action::SignTenant {
                date,
                site,
                hall,
                mw,
                term_years,
                price_usd_per_kw_month,
                escalator_per_year,
                start_delay_months,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                let (si, hi) = find_hall(&ap, "hall", site, hall)?;
                let Some(capacity) = gpu_capacity_mw(plan, s, si, hi) else {
                    return Err(c.err(
                        &format!("{ap}.hall"),
                        ErrorKind::Reference,
                        format!(
                            "hall `{hall}` is neither GPU-ready at the start nor converted by this \
                             plan; a tenant needs GPU-ready capacity"
                        ),
                    ));
                };
                c.range(
                    &format!("{ap}.mw"),
                    *mw,
                    1e-3,
                    capacity,
                    "MW of IT, within the hall's GPU capacity",
                )?;
                c.range(
                    &format!("{ap}.term_years"),
                    *term_years,
                    1.0 / 12.0,
                    50.0,
                    "years",
                )?;
                c.range(
                    &format!("{ap}.price_usd_per_kw_month"),
                    *price_usd_per_kw_month,
                    0.0,
                    1e5,
                    "USD per kW-month",
                )?;
                c.range(
                    &format!("{ap}.escalator_per_year"),
                    *escalator_per_year,
                    -0.5,
                    1.0,
                    "a fraction per year",
                )?;
                c.range(
                    &format!("{ap}.start_delay_months"),
                    *start_delay_months,
                    0.0,
                    120.0,
                    "months",
                )?;
            }
            Action::DeployGpuCloud {
                date,
                site,
                hall,
                gpus,
                kw_per_gpu,
                capex_usd_per_gpu,
                life_years,
                utilization,
                annual_failure_rate,
                repair_days,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                c.range(
                    &format!("{ap}.annual_failure_rate"),
                    *annual_failure_rate,
                    0.0,
                    10.0,
                    "failures per GPU per year",
                )?;
                c.int(
                    &format!("{ap}.repair_days"),
                    u64::from(*repair_days),
                    1,
                    3_650,
                )?;
                let (si, hi) = find_hall(&ap, "hall", site, hall)?;
                let Some(capacity) = gpu_capacity_mw(plan, s, si, hi) else {
                    return Err(c.err(
                        &format!("{ap}.hall"),
                        ErrorKind::Reference,
                        format!(
                            "hall `{hall}` is neither GPU-ready at the start nor converted by this \
                             plan; GPUs need GPU-ready capacity"
                        ),
                    ));
                };
                c.int(&format!("{ap}.gpus"), u64::from(*gpus), 1, 10_000_000)?;
                c.range(
                    &format!("{ap}.kw_per_gpu"),
                    *kw_per_gpu,
                    1e-3,
                    100.0,
                    "kW per GPU",
                )?;
                let mw = f64::from(*gpus) * kw_per_gpu / 1_000.0;
                if mw > capacity * (1.0 + 1e-9) {
                    return Err(c.err(
                        &format!("{ap}.gpus"),
                        ErrorKind::Physics,
                        format!(
                            "{gpus} GPUs at {kw_per_gpu} kW draw {mw:.2} MW, above the hall's GPU \
                             capacity of {capacity:.2} MW"
                        ),
                    ));
                }
                c.range(
                    &format!("{ap}.capex_usd_per_gpu"),
                    *capex_usd_per_gpu,
                    0.0,
                    1e7,
                    "USD per GPU",
                )?;
                c.range(&format!("{ap}.life_years"), *life_years, 0.1, 30.0, "years")?;
                c.range(
                    &format!("{ap}.utilization"),
                    *utilization,
                    0.0,
                    1.0,
                    "a fraction",
                )?;
            }
            Action::BuyAsics {
                date,
                site,
                hall,
                fleet,
                usd_per_th,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                let (si, hi) = find_hall(&ap, "hall", site, hall)?;
                let h = &s.sites[si].halls[hi];
                check_fleet(c, &format!("{ap}.fleet"), fleet)?;
                if h.state != HallState::Asic || converted.contains(&(si, hi)) {
                    return Err(c.err(
                        &format!("{ap}.hall"),
                        ErrorKind::Reference,
                        format!("hall `{hall}` is not an ASIC hall (or this plan converts it)"),
                    ));
                }
                let per_rack_kw = f64::from(fleet.units_per_rack) * fleet.watts / 1_000.0;
                if per_rack_kw > h.max_kw_per_rack * (1.0 + 1e-9) {
                    return Err(c.err(
                        &format!("{ap}.fleet.units_per_rack"),
                        ErrorKind::Physics,
                        format!(
                            "{per_rack_kw:.1} kW per rack is above the hall's max_kw_per_rack of {}",
                            h.max_kw_per_rack
                        ),
                    ));
                }
                c.range(
                    &format!("{ap}.usd_per_th"),
                    *usd_per_th,
                    0.0,
                    10_000.0,
                    "USD per TH/s",
                )?;
            }
            Action::SellAsics {
                date,
                site,
                hall,
                model,
                units,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                let (si, hi) = find_hall(&ap, "hall", site, hall)?;
                let h = &s.sites[si].halls[hi];
                let bought = plan.actions.iter().any(|a| {
                    matches!(a, Action::BuyAsics { site: s2, hall: h2, fleet, .. }
                        if s2 == site && h2 == hall && &fleet.model == model)
                });
                if !bought && !h.asics.iter().any(|f| &f.model == model) {
                    return Err(c.err(
                        &format!("{ap}.model"),
                        ErrorKind::Reference,
                        format!("hall `{hall}` has no ASIC model `{model}`"),
                    ));
                }
                c.int(&format!("{ap}.units"), u64::from(*units), 1, 100_000_000)?;
            }
            Action::DrawDebt {
                date,
                name,
                principal_usd,
                rate,
                term_months,
                ..
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                let debt = crate::types::Debt {
                    name: name.clone(),
                    principal_usd: *principal_usd,
                    drawn: Some(*date),
                    rate: *rate,
                    term_months: *term_months,
                    repayment: crate::types::Repayment::Bullet,
                };
                check_debt(c, &ap, &debt, s)?;
            }
            Action::UpgradeGrid {
                date,
                site,
                add_mw,
                capex_usd,
                lead_time_months,
            } => {
                in_horizon(&format!("{ap}.date"), date)?;
                find_site(&ap, site)?;
                c.range(
                    &format!("{ap}.add_mw"),
                    *add_mw,
                    1e-3,
                    100_000.0,
                    "MW, above 0",
                )?;
                c.range(&format!("{ap}.capex_usd"), *capex_usd, 0.0, 1e12, "USD")?;
                c.int(
                    &format!("{ap}.lead_time_months"),
                    u64::from(*lead_time_months),
                    0,
                    120,
                )?;
            }
        }
    }
    for (k, rule) in plan.rules.iter().enumerate() {
        let rp = format!("{p}.rules[{k}]");
        match rule {
            Rule::ConvertNextAsicHall {
                hashprice_30d_below_usd_per_ph_day,
                min_lost_inquiries,
                lookback_months,
                to,
                capex_usd_per_mw,
                lead_time_months,
                max_conversions,
                not_before,
                debt,
            } => {
                if let Some(d) = debt {
                    check_conversion_debt(c, &format!("{rp}.debt"), d, s)?;
                }
                c.range(
                    &format!("{rp}.hashprice_30d_below_usd_per_ph_day"),
                    *hashprice_30d_below_usd_per_ph_day,
                    0.0,
                    1e7,
                    "USD per PH/s per day",
                )?;
                c.int(
                    &format!("{rp}.min_lost_inquiries"),
                    u64::from(*min_lost_inquiries),
                    0,
                    1_000_000,
                )?;
                c.int(
                    &format!("{rp}.lookback_months"),
                    u64::from(*lookback_months),
                    1,
                    600,
                )?;
                target(c, &format!("{rp}.to"), to)?;
                c.range(
                    &format!("{rp}.capex_usd_per_mw"),
                    *capex_usd_per_mw,
                    0.0,
                    1e9,
                    "USD per MW",
                )?;
                c.int(
                    &format!("{rp}.lead_time_months"),
                    u64::from(*lead_time_months),
                    0,
                    120,
                )?;
                c.int(
                    &format!("{rp}.max_conversions"),
                    u64::from(*max_conversions),
                    1,
                    10_000,
                )?;
                if let Some(d) = not_before {
                    in_horizon(&format!("{rp}.not_before"), d)?;
                }
            }
        }
    }
    Ok(())
}

/// The GPU capacity (MW of IT) that hall `hi` of site `si` has at the start or gets from a
/// conversion in `plan`; None when it never becomes GPU-ready.
fn gpu_capacity_mw(plan: &Plan, s: &Scenario, si: usize, hi: usize) -> Option<f64> {
    let hall = &s.sites[si].halls[hi];
    if hall.state == HallState::GpuReady {
        return Some(
            hall.cooling_mw
                .min(f64::from(hall.rack_slots) * hall.max_kw_per_rack / 1_000.0),
        );
    }
    plan.actions.iter().find_map(|a| match a {
        Action::ConvertHall {
            site, hall: h, to, ..
        } if *site == s.sites[si].name && *h == hall.name => Some(
            to.cooling_mw
                .min(f64::from(to.rack_slots) * to.max_kw_per_rack / 1_000.0),
        ),
        _ => None,
    })
}

fn target(c: &Checker<'_>, p: &str, t: &HallTarget) -> Result<(), ScenarioError> {
    c.int(
        &format!("{p}.rack_slots"),
        u64::from(t.rack_slots),
        1,
        10_000_000,
    )?;
    c.range(
        &format!("{p}.max_kw_per_rack"),
        t.max_kw_per_rack,
        1e-3,
        2_000.0,
        "kW per rack, above 0",
    )?;
    c.range(
        &format!("{p}.cooling_mw"),
        t.cooling_mw,
        1e-6,
        10_000.0,
        "MW of heat, above 0",
    )?;
    c.range(&format!("{p}.pue"), t.pue, 1.0, 5.0, "a ratio from 1 to 5")?;
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
    c.range(
        &format!("{p}.generator_failure_probability"),
        site.generator_failure_probability,
        0.0,
        1.0,
        "a probability per outage",
    )?;
    if let Some(o) = &site.grid_outages {
        c.dist(
            &format!("{p}.grid_outages.between_days"),
            &o.between_days,
            1.0 / 24.0,
            36_500.0,
        )?;
        c.dist(
            &format!("{p}.grid_outages.duration_hours"),
            &o.duration_hours,
            1.0 / 60.0,
            87_600.0,
        )?;
    }
    for (k, event) in site.grid_outage_trace_events.iter().enumerate() {
        let ep = format!("{p}.grid_outage_trace_events[{k}]");
        if crate::trace::parse_start(&event.start).is_none() {
            return Err(c.err(
                &format!("{ep}.start"),
                ErrorKind::Type,
                format!(
                    "`{}` is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                    event.start
                ),
            ));
        }
        c.range(
            &format!("{ep}.duration_hours"),
            event.duration_hours,
            1e-6,
            87_600.0,
            "hours above 0",
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
    if hall.state != HallState::Asic && !hall.asics.is_empty() {
        return Err(c.err(
            &format!("{p}.asics"),
            ErrorKind::Physics,
            "only a hall whose state is `asic` can hold ASICs; expected an empty list".into(),
        ));
    }
    if let Some(f) = &hall.cooling_failures {
        c.dist(
            &format!("{p}.cooling_failures.between_days"),
            &f.between_days,
            1.0 / 24.0,
            36_500.0,
        )?;
        c.dist(
            &format!("{p}.cooling_failures.duration_hours"),
            &f.duration_hours,
            1.0 / 60.0,
            87_600.0,
        )?;
        c.range(
            &format!("{p}.cooling_failures.derate"),
            f.derate,
            0.0,
            1.0,
            "a share of capacity",
        )?;
    }
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

    /// A distribution whose parameters are finite and whose support lies within [lo, hi].
    fn dist(&self, path: &str, d: &Dist, lo: f64, hi: f64) -> Result<(), ScenarioError> {
        let what = "a value of the quantity's range";
        match *d {
            Dist::Constant { value } => self.range(&format!("{path}.value"), value, lo, hi, what),
            Dist::Uniform { min, max } => {
                self.range(&format!("{path}.min"), min, lo, hi, what)?;
                self.range(&format!("{path}.max"), max, min, hi, "at least `min`")
            }
            Dist::Exponential { mean } => {
                self.range(&format!("{path}.mean"), mean, lo.max(1e-9), hi, what)
            }
            Dist::Lognormal { median, sigma } => {
                self.range(&format!("{path}.median"), median, lo.max(1e-9), hi, what)?;
                self.range(&format!("{path}.sigma"), sigma, 0.0, 5.0, "σ of the log")
            }
            Dist::Weibull { shape, scale } => {
                self.range(
                    &format!("{path}.shape"),
                    shape,
                    0.05,
                    100.0,
                    "a shape above 0",
                )?;
                self.range(&format!("{path}.scale"), scale, lo.max(1e-9), hi, what)
            }
            Dist::Gamma { shape, scale } => {
                self.range(
                    &format!("{path}.shape"),
                    shape,
                    0.01,
                    1_000.0,
                    "a shape above 0",
                )?;
                self.range(&format!("{path}.scale"), scale, 1e-9, hi, "a scale above 0")
            }
        }
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
