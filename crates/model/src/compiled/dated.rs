//! The dated parts of a scenario in simulation form: plans' actions and rules, shocks, and
//! debts, with dates turned into simulation times and site and hall names into indices.
//!
//! Names resolve through [`pivotsim_scenario::resolve`], the one place that resolves them for
//! validation too; a date or name that does not resolve is a [`CompileError`] naming its field.

use pivotsim_engine::{
    Calendar, DAYS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_YEAR, SimTime, math, months_to_secs,
};
use pivotsim_scenario::resolve::{hall_index, site_index};
use pivotsim_scenario::source::{join_field, join_index};
use pivotsim_scenario::{
    Action, AsicDisposal, ConversionDebt, Date, Debt, HallTarget, HostingPower, Plan, Rule,
    Scenario, Shock, field,
};

use super::{
    ActionSpec, CompileError, ConversionSpec, DebtSpec, DeliveryMilestoneSpec, GpuContractSpec,
    HallShape, HostingFee, HostingSpec, PlanSpec, RuleSpec, ShockSpec, TimedAction,
};

/// Turns dates and names into simulation times and indices.
pub(super) struct Dated<'a> {
    /// The scenario compiled.
    pub(super) s: &'a Scenario,
    /// Its calendar.
    pub(super) calendar: &'a Calendar,
    /// End of the horizon.
    pub(super) end: SimTime,
    /// Global index of each site's first hall.
    pub(super) first_hall: Vec<usize>,
}

impl Dated<'_> {
    /// The simulation time of `date`, the value of the field at `path`.
    fn at(&self, path: &str, date: &Date) -> Result<SimTime, CompileError> {
        self.calendar
            .time_of(date.0)
            .ok_or_else(|| CompileError::BeforeStart {
                path: path.to_owned(),
                date: *date,
            })
    }

    /// The index of GPU generation `name`, or (unnamed) of the newest listed generation
    /// launched by `date` (the first if none has; 0 without a list). Validation has checked
    /// the name.
    fn gpu_generation(&self, name: Option<&str>, date: &Date) -> usize {
        let Some(list) = self
            .s
            .market
            .ai
            .as_ref()
            .and_then(|a| a.gpu_hour.generations.as_ref())
            .map(|g| &g.list)
        else {
            return 0;
        };
        match name {
            Some(n) => list.iter().position(|g| g.name == n).unwrap_or(0),
            None => list
                .iter()
                .enumerate()
                .filter(|(_, g)| g.launch.0 <= date.0)
                .max_by_key(|(_, g)| g.launch.0)
                .map_or(0, |(k, _)| k),
        }
    }

    /// The global index of hall `hall` of site `site`.
    fn hall(&self, site: &str, hall: &str) -> Result<usize, CompileError> {
        let (si, hi) = hall_index(self.s, site, hall)?;
        Ok(self.first_hall[si] + hi)
    }

    /// Every plan, its actions in date order (same-day actions in file order).
    pub(super) fn plans(&self) -> Result<Vec<PlanSpec>, CompileError> {
        let mut plans = Vec::with_capacity(self.s.plans.len());
        for (i, plan) in self.s.plans.iter().enumerate() {
            let p = join_index(field!(Scenario.plans), i);
            let mut actions = Vec::with_capacity(plan.actions.len());
            for (index, a) in plan.actions.iter().enumerate() {
                let ap = join_index(&join_field(&p, field!(Plan.actions)), index);
                let (at, action) = self.action(&ap, a)?;
                actions.push(TimedAction { at, index, action });
            }
            // Stable: same-day actions keep their file order.
            actions.sort_by_key(|a| a.at);
            let rules = plan
                .rules
                .iter()
                .enumerate()
                .map(|(k, r)| self.rule(&join_index(&join_field(&p, field!(Plan.rules)), k), r))
                .collect::<Result<_, _>>()?;
            plans.push(PlanSpec {
                name: plan.name.clone(),
                placement: plan.placement,
                actions,
                rules,
                variant: 0,
            });
        }
        Ok(plans)
    }

    /// One action and when it happens; `ap` is its path.
    fn action(&self, ap: &str, a: &Action) -> Result<(SimTime, ActionSpec), CompileError> {
        let date_path = join_field(
            ap,
            field!(
                Action::ConvertHall
                    | Action::SignTenant
                    | Action::DeployGpuCloud
                    | Action::BuyAsics
                    | Action::SellAsics
                    | Action::ReplaceAsics
                    | Action::DrawDebt
                    | Action::RaiseEquity
                    | Action::UpgradeGrid
                    | Action::HostMiners { date }
            ),
        );
        Ok(match a {
            Action::ConvertHall {
                date,
                site,
                hall,
                to,
                capex_usd_per_mw,
                lead_time_months,
                asics,
                debt,
                tenant_funded_share,
                asics_hash_for_months,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::Convert {
                    hall: self.hall(site, hall)?,
                    conversion: ConversionSpec {
                        to: HallShape::from_target(to),
                        capex_usd_per_mw: *capex_usd_per_mw,
                        lead_time_months: *lead_time_months,
                        debt: debt.clone(),
                        tenant_funded_share: *tenant_funded_share,
                        asics_hash_months: (*asics_hash_for_months).min(*lead_time_months),
                    },
                    move_asics_to: match asics {
                        AsicDisposal::Sell => None,
                        AsicDisposal::MoveTo(other) => Some(self.hall(site, other)?),
                    },
                },
            ),
            Action::SignTenant {
                date,
                site,
                hall,
                mw,
                term_years,
                price_usd_per_kw_month,
                contract_value_usd,
                escalator_per_year,
                start_delay_months,
                prepaid_share_of_year1_rent,
                free_rent_months,
                tenant_class,
                phases,
                delivery_milestone,
                ramp_months,
                renewal_options,
            } => {
                // The deal's capacity: the first phase and the further ones.
                let deal_mw = phases.iter().fold(*mw, |total, p| total + p.mw);
                // Validation gives exactly one of the two.
                let price = price_usd_per_kw_month.unwrap_or_else(|| {
                    crate::lease_value::year1_rent(
                        contract_value_usd.unwrap_or(0.0),
                        deal_mw * 1_000.0,
                        *term_years,
                        *escalator_per_year,
                    )
                });
                let mut more_phases = Vec::with_capacity(phases.len());
                for p in phases {
                    more_phases.push((
                        self.hall(site, &p.hall)?,
                        p.mw,
                        months_to_secs(p.start_delay_months),
                    ));
                }
                let class =
                    tenant_class.as_ref().and_then(|name| {
                        self.s.market.ai.as_ref().and_then(|a| {
                            a.lease.tenant_classes.iter().position(|c| &c.name == name)
                        })
                    });
                (
                    self.at(&date_path, date)?,
                    ActionSpec::SignTenant {
                        hall: self.hall(site, hall)?,
                        mw: *mw,
                        term_secs: (term_years * SECONDS_PER_YEAR) as u64,
                        price,
                        escalator: *escalator_per_year,
                        start_delay_secs: months_to_secs(*start_delay_months),
                        prepayment_usd: prepaid_share_of_year1_rent
                            * deal_mw
                            * 1_000.0
                            * price
                            * 12.0,
                        free_rent_secs: months_to_secs(*free_rent_months),
                        class,
                        more_phases,
                        milestone: delivery_milestone.map(|m| DeliveryMilestoneSpec {
                            cancel_after_secs: months_to_secs(m.cancel_if_late_months),
                            damages_usd_per_mw_month: m.liquidated_damages_usd_per_mw_month,
                        }),
                        ramp_months: *ramp_months,
                        renewal_options: *renewal_options,
                    },
                )
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
                generation,
                bust_utilization,
                contract,
                debt,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::DeployGpuCloud {
                    generation: self.gpu_generation(generation.as_deref(), date),
                    bust_utilization: bust_utilization.unwrap_or(*utilization),
                    contract: contract.as_ref().map(|c| GpuContractSpec {
                        share: c.share_of_gpus,
                        term_secs: (c.term_years * SECONDS_PER_YEAR) as u64,
                        price: c.price_usd_per_gpu_hour,
                        prepaid_share: c.prepaid_share_of_contract,
                    }),
                    debt: debt.clone(),
                    hall: self.hall(site, hall)?,
                    gpus: *gpus,
                    kw_per_gpu: *kw_per_gpu,
                    capex_per_gpu: *capex_usd_per_gpu,
                    life_secs: (life_years * SECONDS_PER_YEAR) as u64,
                    utilization: *utilization,
                    daily_failure_prob: 1.0 - math::exp(-annual_failure_rate / DAYS_PER_YEAR),
                    repair_days: *repair_days,
                },
            ),
            Action::BuyAsics {
                date,
                site,
                hall,
                fleet,
                usd_per_th,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::BuyAsics {
                    hall: self.hall(site, hall)?,
                    fleet: fleet.clone(),
                    usd_per_th: *usd_per_th,
                },
            ),
            Action::SellAsics {
                date,
                site,
                hall,
                model,
                units,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::SellAsics {
                    hall: self.hall(site, hall)?,
                    model: model.clone(),
                    units: *units,
                },
            ),
            Action::ReplaceAsics {
                date,
                site,
                hall,
                model,
                units,
                fleet,
                usd_per_th,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::ReplaceAsics {
                    hall: self.hall(site, hall)?,
                    model: model.clone(),
                    units: *units,
                    fleet: fleet.clone(),
                    usd_per_th: *usd_per_th,
                },
            ),
            Action::DrawDebt {
                date,
                name,
                principal_usd,
                rate,
                term_months,
                repayment,
            } => {
                let at = self.at(&date_path, date)?;
                (
                    at,
                    ActionSpec::DrawDebt(DebtSpec {
                        name: name.clone(),
                        principal: *principal_usd,
                        drawn: Some(at),
                        rate: *rate,
                        term_months: *term_months,
                        repayment: *repayment,
                    }),
                )
            }
            Action::RaiseEquity {
                date,
                amount_usd,
                issue_cost,
                price_per_share_usd,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::RaiseEquity {
                    amount: *amount_usd,
                    cost: amount_usd * issue_cost,
                    shares: price_per_share_usd.map(|p| amount_usd / p),
                },
            ),
            Action::HostMiners {
                date,
                site,
                hall,
                mw,
                j_per_th,
                machines,
                term_years,
                fee_usd_per_kwh,
                fee_usd_per_kw_month,
                power,
                power_markup,
                deposit_months,
                default_hazard_per_year,
                underwater_hazard_multiplier,
                arrears_months,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::HostMiners(HostingSpec {
                    hall: self.hall(site, hall)?,
                    // Validation gives the machines, or the MW and their J/TH.
                    it_mw: machines.map_or(mw.unwrap_or(0.0), |m| m.it_mw()),
                    th_s: machines.map_or(mw.unwrap_or(0.0) * 1e6 / j_per_th.unwrap_or(1.0), |m| {
                        f64::from(m.units) * m.th_s
                    }),
                    term_secs: (term_years * SECONDS_PER_YEAR) as u64,
                    // Validation gives exactly one of the two.
                    fee: match fee_usd_per_kw_month {
                        Some(fee) => HostingFee::PerKwMonth(*fee),
                        None => HostingFee::PerKwh(fee_usd_per_kwh.unwrap_or(0.0)),
                    },
                    pass_through: *power == HostingPower::PassThrough,
                    power_markup: *power_markup,
                    deposit_months: *deposit_months,
                    base_hazard_per_year: *default_hazard_per_year,
                    underwater_multiplier: *underwater_hazard_multiplier,
                    arrears_months: *arrears_months,
                }),
            ),
            Action::UpgradeGrid {
                date,
                site,
                add_mw,
                capex_usd,
                lead_time_months,
            } => (
                self.at(&date_path, date)?,
                ActionSpec::UpgradeGrid {
                    site: site_index(self.s, site)?,
                    add_mw: *add_mw,
                    capex_usd: *capex_usd,
                    lead_time_months: *lead_time_months,
                },
            ),
        })
    }

    /// A rule's earliest date (`path` names it): the start when it has none.
    fn not_before(&self, path: &str, date: Option<&Date>) -> Result<SimTime, CompileError> {
        match date {
            Some(d) => self.at(path, d),
            None => Ok(SimTime::ZERO),
        }
    }

    /// One rule; `rp` is its path.
    fn rule(&self, rp: &str, r: &Rule) -> Result<RuleSpec, CompileError> {
        Ok(match r {
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
            } => RuleSpec::ConvertNextAsicHall {
                hashprice_below: *hashprice_30d_below_usd_per_ph_day,
                min_lost: *min_lost_inquiries,
                lookback_secs: months_to_secs(f64::from(*lookback_months)),
                conversion: rule_conversion(to, *capex_usd_per_mw, *lead_time_months, debt, 0),
                max_conversions: *max_conversions,
                not_before: self.not_before(
                    &join_field(rp, field!(Rule::ConvertNextAsicHall { not_before })),
                    not_before.as_ref(),
                )?,
            },
            Rule::ConvertOnPrelease {
                min_preleased_share,
                to,
                capex_usd_per_mw,
                lead_time_months,
                asics_hash_for_months,
                max_conversions,
                not_before,
                debt,
            } => RuleSpec::ConvertOnPrelease {
                min_share: *min_preleased_share,
                conversion: rule_conversion(
                    to,
                    *capex_usd_per_mw,
                    *lead_time_months,
                    debt,
                    *asics_hash_for_months,
                ),
                max_conversions: *max_conversions,
                not_before: self.not_before(
                    &join_field(rp, field!(Rule::ConvertOnPrelease { not_before })),
                    not_before.as_ref(),
                )?,
            },
            Rule::RefreshAsics {
                payback_months,
                fleet,
                usd_per_th,
                max_capex_usd_per_year,
                cooldown_months,
                not_before,
            } => RuleSpec::RefreshAsics {
                payback_months: *payback_months,
                fleet: fleet.clone(),
                usd_per_th: *usd_per_th,
                max_capex_per_year: *max_capex_usd_per_year,
                cooldown_months: *cooldown_months,
                not_before: self.not_before(
                    &join_field(rp, field!(Rule::RefreshAsics { not_before })),
                    not_before.as_ref(),
                )?,
            },
        })
    }

    /// A list of shocks at `path`, each ending no later than the horizon.
    pub(super) fn shocks(
        &self,
        path: &str,
        list: &[Shock],
    ) -> Result<Vec<ShockSpec>, CompileError> {
        let end = self.end;
        list.iter()
            .enumerate()
            .map(|(i, shock)| {
                let p = join_index(path, i);
                // Every shock but an energy spike (which has `from` and `to`) has a `date`.
                let date = |d: &Date| {
                    let field = field!(
                        Shock::BtcPrice
                            | Shock::NetworkHashrate
                            | Shock::AiBust
                            | Shock::GridOutage
                            | Shock::LargestTenantDefaults
                            | Shock::RateStep { date }
                    );
                    self.at(&join_field(&p, field), d)
                };
                Ok(match shock {
                    Shock::BtcPrice { date: d, factor } => ShockSpec::BtcPrice {
                        at: date(d)?,
                        factor: *factor,
                    },
                    Shock::NetworkHashrate { date: d, factor } => ShockSpec::NetworkHashrate {
                        at: date(d)?,
                        factor: *factor,
                    },
                    Shock::EnergySpike {
                        from,
                        to,
                        usd_per_mwh,
                    } => ShockSpec::EnergySpike {
                        from: self
                            .at(&join_field(&p, field!(Shock::EnergySpike { from })), from)?,
                        to: self.calendar.time_of(to.0).map_or(end, |t| t.min(end)),
                        usd_per_mwh: *usd_per_mwh,
                    },
                    Shock::AiBust { date: d } => ShockSpec::AiBust { at: date(d)? },
                    Shock::GridOutage {
                        site,
                        date: d,
                        days,
                    } => {
                        let from = date(d)?;
                        ShockSpec::GridOutage {
                            site: site_index(self.s, site)?,
                            from,
                            to: (from + (days * SECONDS_PER_DAY as f64) as u64).min(end),
                        }
                    }
                    Shock::RateStep { date: d, delta } => ShockSpec::RateStep {
                        at: date(d)?,
                        delta: *delta,
                    },
                    Shock::LargestTenantDefaults { date: d } => {
                        ShockSpec::LargestTenantDefaults { at: date(d)? }
                    }
                })
            })
            .collect()
    }

    /// The debts of `finance.debts`.
    pub(super) fn debts(&self, debts: &[Debt]) -> Result<Vec<DebtSpec>, CompileError> {
        debts
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let drawn_path = join_field(
                    &join_index(field!(Scenario.finance?.debts), i),
                    field!(Debt.drawn),
                );
                Ok(DebtSpec {
                    name: d.name.clone(),
                    principal: d.principal_usd,
                    drawn: d
                        .drawn
                        .as_ref()
                        .map(|date| self.at(&drawn_path, date))
                        .transpose()?,
                    rate: d.rate,
                    term_months: d.term_months,
                    repayment: d.repayment,
                })
            })
            .collect()
    }
}

/// The conversion a rule starts: no tenant funding; the ASICs hash on for at most the lead
/// time.
fn rule_conversion(
    to: &HallTarget,
    capex_usd_per_mw: f64,
    lead_time_months: u32,
    debt: &Option<ConversionDebt>,
    asics_hash_months: u32,
) -> ConversionSpec {
    ConversionSpec {
        to: HallShape::from_target(to),
        capex_usd_per_mw,
        lead_time_months,
        debt: debt.clone(),
        tenant_funded_share: 0.0,
        asics_hash_months: asics_hash_months.min(lead_time_months),
    }
}

#[cfg(test)]
mod tests {
    use crate::compiled::{CompileError, CompiledScenario};
    use pivotsim_scenario::{Action, Date, load_default};

    /// The default scenario's first plan that converts a hall, and that action's index.
    fn with_converting_plan() -> (pivotsim_scenario::Scenario, usize, usize) {
        let s = load_default().unwrap().scenario;
        let (p, a) = s
            .plans
            .iter()
            .enumerate()
            .find_map(|(p, plan)| {
                let a = plan
                    .actions
                    .iter()
                    .position(|a| matches!(a, Action::ConvertHall { .. }))?;
                Some((p, a))
            })
            .expect("the default scenario converts a hall");
        (s, p, a)
    }

    #[test]
    fn a_date_before_the_start_names_its_field() {
        let (mut s, p, a) = with_converting_plan();
        let early = Date(s.start.0 - chrono::Days::new(1));
        if let Action::ConvertHall { date, .. } = &mut s.plans[p].actions[a] {
            *date = early;
        }
        let e = CompiledScenario::new(&s).unwrap_err();
        assert_eq!(
            e,
            CompileError::BeforeStart {
                path: format!("plans[{p}].actions[{a}].date"),
                date: early
            }
        );
    }

    #[test]
    fn an_unknown_hall_or_stress_is_a_real_error() {
        let (mut s, p, a) = with_converting_plan();
        if let Action::ConvertHall { hall, .. } = &mut s.plans[p].actions[a] {
            *hall = "no such hall".into();
        }
        let e = CompiledScenario::new(&s).unwrap_err();
        assert!(
            e.to_string().contains("no hall named `no such hall`"),
            "{e}"
        );

        let s = load_default().unwrap().scenario;
        let e = CompiledScenario::with_stresses(&s, &["nope".into()]).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "--stress nope: the scenario has no stress of that name; expected one of: "
            ),
            "{e}"
        );
    }

    #[test]
    fn a_repeated_or_colliding_stress_is_refused() {
        let mut s = load_default().unwrap().scenario;
        let twice = ["btc-crash-2027".to_owned(), "btc-crash-2027".to_owned()];
        let e = CompiledScenario::with_stresses(&s, &twice).unwrap_err();
        assert!(matches!(e, CompileError::DuplicateStress { .. }), "{e}");

        // Distinct stress names whose stressed plans share a stem (without case).
        s.stresses[0].name = "x".into();
        s.stresses[1].name = "X".into();
        let e = CompiledScenario::with_stresses(&s, &["x".into(), "X".into()]).unwrap_err();
        let CompileError::NameClash {
            first,
            second,
            stem,
        } = &e
        else {
            panic!("{e}");
        };
        assert_eq!(
            (first.as_str(), second.as_str(), stem.as_str()),
            ("stay-mining [x]", "stay-mining [X]", "stay-mining__X_")
        );
        assert!(CompiledScenario::with_stresses(&s, &["x".into()]).is_ok());
    }
}
