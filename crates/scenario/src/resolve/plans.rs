//! The checks of plans: actions and rules against the halls they target, the horizon and
//! the hall's GPU capacity (a tenant or GPUs within what the hall holds once converted).

use std::collections::HashSet;

use chrono::{Months, NaiveDate};

use super::{Checker, Unresolved, hall_index, site_index};
use crate::error::{ErrorKind, ScenarioError};
use crate::field;
use crate::names::shown;
use crate::source::{join_field, join_index};
use crate::types::{
    Action, AsicDisposal, AsicFleet, GpuDebt, HallState, LeasePhase, Plan, Recourse, Rule, Scenario,
};

impl Checker<'_> {
    /// The GPU capacity (MW of IT) of the hall at `(site, hall)` indices under `plan`, or the
    /// located error that says what `needs` it (`"a tenant needs"`) and why it has none.
    fn gpu_capacity(
        &self,
        plan: &Plan,
        (si, hi): (usize, usize),
        path: &str,
        hall: &str,
        needs: &str,
    ) -> Result<f64, ScenarioError> {
        gpu_capacity_mw(plan, self.s, si, hi).ok_or_else(|| {
            self.err(
                path,
                ErrorKind::Reference,
                format!(
                    "hall `{}` is neither GPU-ready at the start nor converted by this plan; \
                     {needs} GPU-ready capacity",
                    shown(hall)
                ),
            )
        })
    }

    /// A `host_miners` action (the plan's action `k`) needs its hall empty when it runs: not
    /// converted by then, and every ASIC unit in it at the start or bought into it sold by
    /// actions that run first (earlier dates, or the same date earlier in the file).
    fn hall_empty_for_hosting(
        &self,
        plan: &Plan,
        k: usize,
        (si, hi): (usize, usize),
        path: &str,
    ) -> Result<(), ScenarioError> {
        let s = self.s;
        let (site, hall) = (&s.sites[si].name, &s.sites[si].halls[hi].name);
        let Some(Action::HostMiners { date, .. }) = plan.actions.get(k) else {
            return Ok(());
        };
        let runs_first =
            |j: usize, d: &crate::types::Date| d.0 < date.0 || (d.0 == date.0 && j < k);
        let mut units: i64 = s.sites[si].halls[hi]
            .asics
            .iter()
            .map(|f| i64::from(f.units))
            .sum();
        for (j, action) in plan.actions.iter().enumerate() {
            match action {
                Action::ConvertHall {
                    date: d,
                    site: s2,
                    hall: h2,
                    ..
                } if s2 == site && h2 == hall && runs_first(j, d) => {
                    return Err(self.err(
                        path,
                        ErrorKind::Reference,
                        format!(
                            "hall `{}` is converted by this plan before it would host; a hosting \
                             client's machines need an ASIC or idle hall",
                            shown(hall)
                        ),
                    ));
                }
                Action::SellAsics {
                    date: d,
                    site: s2,
                    hall: h2,
                    units: n,
                    ..
                } if s2 == site && h2 == hall && runs_first(j, d) => units -= i64::from(*n),
                Action::BuyAsics {
                    date: d,
                    site: s2,
                    hall: h2,
                    fleet,
                    ..
                } if s2 == site && h2 == hall && runs_first(j, d) => {
                    units += i64::from(fleet.units)
                }
                _ => {}
            }
        }
        if units > 0 {
            return Err(self.err(
                path,
                ErrorKind::Reference,
                format!(
                    "hall `{}` still holds {units} of the operator's ASIC units on {}; sell them \
                     first (`sell_asics`, dated before or listed earlier), or host in an idle hall",
                    shown(hall),
                    date.0
                ),
            ));
        }
        Ok(())
    }

    /// A plan's actions and rules against the halls' initial states: actions name real sites
    /// and halls, fall inside the horizon, and fit the hall they target.
    pub(super) fn plan(&self, p: &str, plan: &Plan) -> Result<(), ScenarioError> {
        let s = self.s;
        let mut converted: HashSet<(usize, usize)> = HashSet::new();
        for (k, action) in plan.actions.iter().enumerate() {
            let ap = join_index(&join_field(p, field!(Plan.actions)), k);
            let at = |field: &str| join_field(&ap, field);
            let hall_of = |site: &str, hall: &str| {
                let found = hall_index(s, site, hall);
                let field = if matches!(found, Err(Unresolved::Site { .. })) {
                    field!(
                        Action::ConvertHall
                            | Action::SignTenant
                            | Action::DeployGpuCloud
                            | Action::BuyAsics
                            | Action::SellAsics
                            | Action::HostMiners
                            | Action::ReplaceAsics { site }
                    )
                } else {
                    field!(
                        Action::ConvertHall
                            | Action::SignTenant
                            | Action::DeployGpuCloud
                            | Action::BuyAsics
                            | Action::SellAsics
                            | Action::HostMiners
                            | Action::ReplaceAsics { hall }
                    )
                };
                self.resolved(&at(field), found)
            };
            match action {
                Action::ConvertHall {
                    date,
                    site,
                    hall,
                    asics,
                    debt,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::ConvertHall { date })), date)?;
                    let (si, hi) = hall_of(site, hall)?;
                    if s.sites[si].halls[hi].state == HallState::GpuReady
                        || !converted.insert((si, hi))
                    {
                        return Err(self.err(
                            &at(field!(Action::ConvertHall { hall })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` is already GPU-ready or converted by an earlier \
                                 action of this plan; a hall converts once",
                                shown(hall)
                            ),
                        ));
                    }
                    if let Some(d) = debt {
                        self.conversion_debt(&at(field!(Action::ConvertHall { debt })), d)?;
                    }
                    if let AsicDisposal::MoveTo(other) = asics {
                        let move_to = join_field(
                            &at(field!(Action::ConvertHall { asics })),
                            field!(AsicDisposal::MoveTo as move_to),
                        );
                        let found = hall_index(s, site, other);
                        let (_, oi) = self.resolved(&move_to, found)?;
                        if oi == hi {
                            return Err(self.err(
                                &move_to,
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
                    price_usd_per_kw_month,
                    contract_value_usd,
                    tenant_class,
                    phases,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::SignTenant { date })), date)?;
                    let price = at(field!(Action::SignTenant {
                        price_usd_per_kw_month
                    }));
                    match (price_usd_per_kw_month, contract_value_usd) {
                        (None, None) => {
                            return Err(self.err(
                                &price,
                                ErrorKind::MissingField,
                                "a lease needs its year-1 rent, or `contract_value_usd` to \
                                 derive it from"
                                    .into(),
                            ));
                        }
                        (Some(_), Some(_)) => {
                            return Err(self.err(
                                &at(field!(Action::SignTenant { contract_value_usd })),
                                ErrorKind::Reference,
                                "give the year-1 rent or the contract value, not both".into(),
                            ));
                        }
                        _ => {}
                    }
                    if let Some(class) = tenant_class {
                        let classes = s
                            .market
                            .ai
                            .as_ref()
                            .map_or(&[][..], |a| a.lease.tenant_classes.as_slice());
                        if !classes.iter().any(|c| &c.name == class) {
                            return Err(self.err(
                                &at(field!(Action::SignTenant { tenant_class })),
                                ErrorKind::Reference,
                                format!(
                                    "no tenant class `{}` in `market.ai.lease.tenant_classes`; \
                                     expected one of: {}",
                                    shown(class),
                                    super::known_names(classes.iter().map(|c| c.name.as_str()))
                                ),
                            ));
                        }
                    }
                    let (si, hi) = hall_of(site, hall)?;
                    let capacity = self.gpu_capacity(
                        plan,
                        (si, hi),
                        &at(field!(Action::SignTenant { hall })),
                        hall,
                        "a tenant needs",
                    )?;
                    self.at_most(
                        &at(field!(Action::SignTenant { mw })),
                        *mw,
                        1e-3,
                        capacity,
                        "MW of IT, within the hall's GPU capacity",
                    )?;
                    // Each further phase names a hall of the same site, and the deal's phases
                    // in one hall fit its capacity together.
                    let mut in_hall: Vec<((usize, usize), f64)> = vec![((si, hi), *mw)];
                    for (n, phase) in phases.iter().enumerate() {
                        let pp = join_index(&at(field!(Action::SignTenant { phases })), n);
                        let hall_path = join_field(&pp, field!(LeasePhase.hall));
                        let (psi, phi) =
                            self.resolved(&hall_path, hall_index(s, site, &phase.hall))?;
                        let capacity = self.gpu_capacity(
                            plan,
                            (psi, phi),
                            &hall_path,
                            &phase.hall,
                            "a tenant needs",
                        )?;
                        let total = match in_hall.iter_mut().find(|(h, _)| *h == (psi, phi)) {
                            Some((_, total)) => {
                                *total += phase.mw;
                                *total
                            }
                            None => {
                                in_hall.push(((psi, phi), phase.mw));
                                phase.mw
                            }
                        };
                        self.at_most(
                            &join_field(&pp, field!(LeasePhase.mw)),
                            total,
                            1e-3,
                            capacity,
                            "MW of IT: the deal's phases in one hall within its GPU capacity",
                        )?;
                    }
                }
                Action::DeployGpuCloud {
                    date,
                    site,
                    hall,
                    gpus,
                    kw_per_gpu,
                    life_years,
                    generation,
                    debt,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::DeployGpuCloud { date })), date)?;
                    if let Some(name) = generation {
                        let known = s
                            .market
                            .ai
                            .as_ref()
                            .and_then(|a| a.gpu_hour.generations.as_ref())
                            .map_or(&[][..], |g| g.list.as_slice());
                        if !known.iter().any(|g| &g.name == name) {
                            return Err(self.err(
                                &at(field!(Action::DeployGpuCloud { generation })),
                                ErrorKind::Reference,
                                format!(
                                    "no GPU generation `{}` in \
                                     `market.ai.gpu_hour.generations.list`; expected one of: {}",
                                    shown(name),
                                    super::known_names(known.iter().map(|g| g.name.as_str()))
                                ),
                            ));
                        }
                    }
                    if let Some(d) = debt {
                        let debt_path = at(field!(Action::DeployGpuCloud { debt }));
                        self.rate(&join_field(&debt_path, field!(GpuDebt.rate)), d.rate)?;
                        if let Some(t) = &d.project_terms {
                            self.project_terms(
                                &join_field(&debt_path, field!(GpuDebt.project_terms)),
                                d.recourse == Recourse::Corporate,
                                t,
                            )?;
                        }
                        // A GPU loan amortises within the GPUs' life: the collateral is gone
                        // once they retire.
                        let life_months = life_years * 12.0;
                        if f64::from(d.term_months) > life_months + 1e-9 {
                            return Err(self.err(
                                &join_field(&debt_path, field!(GpuDebt.term_months)),
                                ErrorKind::Range,
                                format!(
                                    "{} months is longer than the GPUs' life of {life_months} \
                                     months; a GPU loan is repaid before its collateral retires",
                                    d.term_months
                                ),
                            ));
                        }
                    }
                    let (si, hi) = hall_of(site, hall)?;
                    let capacity = self.gpu_capacity(
                        plan,
                        (si, hi),
                        &at(field!(Action::DeployGpuCloud { hall })),
                        hall,
                        "GPUs need",
                    )?;
                    let mw = f64::from(*gpus) * kw_per_gpu / 1_000.0;
                    if mw > capacity * (1.0 + 1e-9) {
                        return Err(self.err(
                            &at(field!(Action::DeployGpuCloud { gpus })),
                            ErrorKind::Physics,
                            format!(
                                "{gpus} GPUs at {kw_per_gpu} kW draw {mw:.2} MW, above the hall's \
                                 GPU capacity of {capacity:.2} MW"
                            ),
                        ));
                    }
                }
                Action::BuyAsics {
                    date,
                    site,
                    hall,
                    fleet,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::BuyAsics { date })), date)?;
                    let (si, hi) = hall_of(site, hall)?;
                    let h = &s.sites[si].halls[hi];
                    self.text(
                        &join_field(
                            &at(field!(Action::BuyAsics { fleet })),
                            field!(AsicFleet.model),
                        ),
                        &fleet.model,
                    )?;
                    if h.state != HallState::Asic || converted.contains(&(si, hi)) {
                        return Err(self.err(
                            &at(field!(Action::BuyAsics { hall })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` is not an ASIC hall (or this plan converts it)",
                                shown(hall)
                            ),
                        ));
                    }
                    self.fleet_density(&at(field!(Action::BuyAsics { fleet })), fleet, h)?;
                }
                Action::SellAsics {
                    date,
                    site,
                    hall,
                    model,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::SellAsics { date })), date)?;
                    let (si, hi) = hall_of(site, hall)?;
                    let bought = plan.actions.iter().any(|a| {
                        matches!(a, Action::BuyAsics { site: s2, hall: h2, fleet, .. }
                            if s2 == site && h2 == hall && &fleet.model == model)
                    });
                    if !bought
                        && !s.sites[si].halls[hi]
                            .asics
                            .iter()
                            .any(|f| &f.model == model)
                    {
                        return Err(self.err(
                            &at(field!(Action::SellAsics { model })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` has no ASIC model `{}`",
                                shown(hall),
                                shown(model)
                            ),
                        ));
                    }
                }
                Action::ReplaceAsics {
                    date,
                    site,
                    hall,
                    model,
                    fleet,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::ReplaceAsics { date })), date)?;
                    let (si, hi) = hall_of(site, hall)?;
                    let h = &s.sites[si].halls[hi];
                    self.text(
                        &join_field(
                            &at(field!(Action::ReplaceAsics { fleet })),
                            field!(AsicFleet.model),
                        ),
                        &fleet.model,
                    )?;
                    if h.state != HallState::Asic || converted.contains(&(si, hi)) {
                        return Err(self.err(
                            &at(field!(Action::ReplaceAsics { hall })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` is not an ASIC hall (or this plan converts it)",
                                shown(hall)
                            ),
                        ));
                    }
                    let bought = plan.actions.iter().any(|a| {
                        matches!(a, Action::BuyAsics { site: s2, hall: h2, fleet, .. }
                            | Action::ReplaceAsics { site: s2, hall: h2, fleet, .. }
                            if s2 == site && h2 == hall && &fleet.model == model)
                    });
                    if !bought && !h.asics.iter().any(|f| &f.model == model) {
                        return Err(self.err(
                            &at(field!(Action::ReplaceAsics { model })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` has no ASIC model `{}`",
                                shown(hall),
                                shown(model)
                            ),
                        ));
                    }
                    self.fleet_density(&at(field!(Action::ReplaceAsics { fleet })), fleet, h)?;
                }
                Action::DrawDebt {
                    date, name, rate, ..
                } => {
                    self.in_horizon(&at(field!(Action::DrawDebt { date })), date)?;
                    self.text(&at(field!(Action::DrawDebt { name })), name)?;
                    self.rate(&at(field!(Action::DrawDebt { rate })), *rate)?;
                }
                Action::RaiseEquity {
                    date,
                    price_per_share_usd,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::RaiseEquity { date })), date)?;
                    let shares = s.finance.as_ref().and_then(|f| f.shares_outstanding);
                    let price = at(field!(Action::RaiseEquity {
                        price_per_share_usd
                    }));
                    match (shares, price_per_share_usd) {
                        (Some(_), None) => {
                            return Err(self.err(
                                &price,
                                ErrorKind::MissingField,
                                "`finance.shares_outstanding` is given, so a raise needs the \
                                 price of its shares to count them"
                                    .into(),
                            ));
                        }
                        (None, Some(_)) => {
                            return Err(self.err(
                                &price,
                                ErrorKind::Reference,
                                "a share price needs `finance.shares_outstanding`".into(),
                            ));
                        }
                        _ => {}
                    }
                }
                Action::HostMiners {
                    date,
                    site,
                    hall,
                    mw,
                    j_per_th,
                    machines,
                    fee_usd_per_kwh,
                    fee_usd_per_kw_month,
                    ..
                } => {
                    self.in_horizon(&at(field!(Action::HostMiners { date })), date)?;
                    match (fee_usd_per_kwh, fee_usd_per_kw_month) {
                        (None, None) => {
                            return Err(self.err(
                                &at(field!(Action::HostMiners { fee_usd_per_kwh })),
                                ErrorKind::MissingField,
                                "a hosting contract needs its fee: `fee_usd_per_kwh` (on the \
                                 energy drawn) or `fee_usd_per_kw_month` (on contracted kW)"
                                    .into(),
                            ));
                        }
                        (Some(_), Some(_)) => {
                            return Err(self.err(
                                &at(field!(Action::HostMiners {
                                    fee_usd_per_kw_month
                                })),
                                ErrorKind::Reference,
                                "give the fee per kWh or per kW-month, not both".into(),
                            ));
                        }
                        _ => {}
                    }
                    let it_mw = match (mw, j_per_th, machines) {
                        (Some(mw), Some(_), None) => *mw,
                        (None, None, Some(m)) => m.it_mw(),
                        (_, _, Some(_)) => {
                            return Err(self.err(
                                &at(field!(Action::HostMiners { machines })),
                                ErrorKind::Reference,
                                "give the client's `machines` or its `mw` and `j_per_th`, not both"
                                    .into(),
                            ));
                        }
                        (None, _, None) => {
                            return Err(self.err(
                                &at(field!(Action::HostMiners { mw })),
                                ErrorKind::MissingField,
                                "a hosting contract needs the client's machines: `mw` and \
                                 `j_per_th`, or `machines: {units, th_s, watts}`"
                                    .into(),
                            ));
                        }
                        (Some(_), None, None) => {
                            return Err(self.err(
                                &at(field!(Action::HostMiners { j_per_th })),
                                ErrorKind::MissingField,
                                "the client's `mw` needs its machines' `j_per_th`".into(),
                            ));
                        }
                    };
                    let (si, hi) = hall_of(site, hall)?;
                    let h = &s.sites[si].halls[hi];
                    if h.state == HallState::GpuReady {
                        return Err(self.err(
                            &at(field!(Action::HostMiners { hall })),
                            ErrorKind::Reference,
                            format!(
                                "hall `{}` is GPU-ready; a hosting client's machines need an \
                                 ASIC or idle hall",
                                shown(hall)
                            ),
                        ));
                    }
                    self.hall_empty_for_hosting(
                        plan,
                        k,
                        (si, hi),
                        &at(field!(Action::HostMiners { hall })),
                    )?;
                    let capacity = h
                        .cooling_mw
                        .min(f64::from(h.rack_slots) * h.max_kw_per_rack / 1_000.0);
                    let field = if machines.is_some() {
                        field!(Action::HostMiners { machines })
                    } else {
                        field!(Action::HostMiners { mw })
                    };
                    self.at_most(
                        &at(field),
                        it_mw,
                        1e-3,
                        capacity,
                        "MW of IT, within the hall's capacity",
                    )?;
                }
                Action::UpgradeGrid { date, site, .. } => {
                    self.in_horizon(&at(field!(Action::UpgradeGrid { date })), date)?;
                    self.resolved(
                        &at(field!(Action::UpgradeGrid { site })),
                        site_index(s, site),
                    )?;
                }
            }
        }
        self.concurrent_gpu_loads(p, plan)?;
        self.conversions_within_grid(p, plan)?;
        for (k, rule) in plan.rules.iter().enumerate() {
            let rp = join_index(&join_field(p, field!(Plan.rules)), k);
            match rule {
                Rule::ConvertNextAsicHall {
                    not_before, debt, ..
                }
                | Rule::ConvertOnPrelease {
                    not_before, debt, ..
                } => {
                    if let Some(d) = debt {
                        let debt = join_field(
                            &rp,
                            field!(Rule::ConvertNextAsicHall | Rule::ConvertOnPrelease { debt }),
                        );
                        self.conversion_debt(&debt, d)?;
                    }
                    if let Some(d) = not_before {
                        self.in_horizon(
                            &join_field(
                                &rp,
                                field!(
                                    Rule::ConvertNextAsicHall
                                        | Rule::ConvertOnPrelease { not_before }
                                ),
                            ),
                            d,
                        )?;
                    }
                }
                Rule::RefreshAsics {
                    fleet,
                    usd_per_th,
                    not_before,
                    ..
                } => {
                    self.text(
                        &join_field(
                            &join_field(&rp, field!(Rule::RefreshAsics { fleet })),
                            field!(AsicFleet.model),
                        ),
                        &fleet.model,
                    )?;
                    let vintages = matches!(
                        s.market.bitcoin.hashrate,
                        crate::types::HashrateModel::Vintages(_)
                    );
                    if usd_per_th.is_none() && !vintages {
                        return Err(self.err(
                            &join_field(&rp, field!(Rule::RefreshAsics { usd_per_th })),
                            ErrorKind::MissingField,
                            "without a vintage network there is no frontier machine price: \
                             give the new machines' price"
                                .into(),
                        ));
                    }
                    if let Some(d) = not_before {
                        self.in_horizon(
                            &join_field(&rp, field!(Rule::RefreshAsics { not_before })),
                            d,
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Checker<'_> {
    /// The plan's anchor leases and GPU deployments in one hall, together, at any moment
    /// within the hall's GPU capacity: each fits alone (checked above), but three 20 MW
    /// leases in one 20 MW hall could not all be served. As the model books them, a lease
    /// holds its MW from signing (its capacity is reserved then) to the end of its term after
    /// the delay, GPUs from their deployment for their life; the ends are counted in whole
    /// calendar months, rounded down, so that rounding never refuses what the model could
    /// serve. Renewals, which are random, are not counted. The commitment whose start first
    /// overfills the hall is the one refused.
    fn concurrent_gpu_loads(&self, p: &str, plan: &Plan) -> Result<(), ScenarioError> {
        let s = self.s;
        let after = |d: NaiveDate, months: f64| {
            d.checked_add_months(Months::new(months.floor().max(0.0) as u32))
                .unwrap_or(NaiveDate::MAX)
        };
        // (hall, from, to, MW, action index, the field to blame)
        let mut loads = Vec::new();
        for (k, action) in plan.actions.iter().enumerate() {
            let load = match action {
                Action::SignTenant {
                    date,
                    site,
                    hall,
                    mw,
                    term_years,
                    start_delay_months,
                    ..
                } => {
                    let to = after(after(date.0, *start_delay_months), term_years * 12.0);
                    (
                        site,
                        hall,
                        date.0,
                        to,
                        *mw,
                        field!(Action::SignTenant { mw }),
                    )
                }
                Action::DeployGpuCloud {
                    date,
                    site,
                    hall,
                    gpus,
                    kw_per_gpu,
                    life_years,
                    ..
                } => {
                    let to = after(date.0, life_years * 12.0);
                    let mw = f64::from(*gpus) * kw_per_gpu / 1_000.0;
                    (
                        site,
                        hall,
                        date.0,
                        to,
                        mw,
                        field!(Action::DeployGpuCloud { gpus }),
                    )
                }
                _ => continue,
            };
            if let Ok(at) = hall_index(s, load.0, load.1) {
                loads.push((at, load.2, load.3, load.4, k, load.5));
            }
        }
        // The most committed at once is reached when some commitment starts: check each start,
        // earliest first, against everything in force then.
        let mut starts: Vec<usize> = (0..loads.len()).collect();
        // At one start date, the commitment listed last is the one that overfills.
        starts.sort_by_key(|&i| (loads[i].1, std::cmp::Reverse(loads[i].4)));
        for &(at, from, _, _, k, blame) in starts.iter().map(|&i| &loads[i]) {
            let Some(capacity) = gpu_capacity_mw(plan, s, at.0, at.1) else {
                continue;
            };
            let committed: f64 = loads
                .iter()
                .filter(|l| l.0 == at && l.1 <= from && from < l.2)
                .map(|l| l.3)
                .sum();
            if committed > capacity * (1.0 + 1e-9) {
                let path = join_field(&join_index(&join_field(p, field!(Plan.actions)), k), blame);
                return Err(self.err(
                    &path,
                    ErrorKind::Physics,
                    format!(
                        "with the plan's other leases and GPUs in hall `{}` in force then, \
                         {committed:.2} MW of IT would be committed at once, above the hall's GPU capacity of \
                         {capacity:.2} MW; expected commitments that fit together (or that \
                         follow one another)",
                        shown(&s.sites[at.0].halls[at.1].name)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A converted hall the site's grid can power: its IT capacity × PUE within the grid
    /// limit plus every upgrade the plan makes at the site (a 5,000 MW hall on a 30 MW grid
    /// could never be filled).
    fn conversions_within_grid(&self, p: &str, plan: &Plan) -> Result<(), ScenarioError> {
        let s = self.s;
        for (k, action) in plan.actions.iter().enumerate() {
            let Action::ConvertHall { site, to, .. } = action else {
                continue;
            };
            let Ok(si) = site_index(s, site) else {
                continue;
            };
            let upgrades: f64 = plan
                .actions
                .iter()
                .filter_map(|a| match a {
                    Action::UpgradeGrid {
                        site: s2, add_mw, ..
                    } if s2 == site => Some(*add_mw),
                    _ => None,
                })
                .sum();
            let grid = s.sites[si].grid_mw + upgrades;
            let it = to
                .cooling_mw
                .min(f64::from(to.rack_slots) * to.max_kw_per_rack / 1_000.0);
            let facility = it * to.pue;
            if facility > grid * (1.0 + 1e-9) {
                let ap = join_index(&join_field(p, field!(Plan.actions)), k);
                let path = join_field(&ap, field!(Action::ConvertHall { to }));
                return Err(self.err(
                    &path,
                    ErrorKind::Physics,
                    format!(
                        "the converted hall carries {it:.2} MW of IT, {facility:.2} MW with its \
                         PUE, above the site's grid limit of {grid:.2} MW (with the plan's grid \
                         upgrades); expected a hall the grid can power"
                    ),
                ));
            }
        }
        Ok(())
    }
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
