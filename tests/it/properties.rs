//! Property tests over generated valid scenarios (issue #8): every run finishes, no invariant
//! breaks, and the books close.
//!
//! The fuzz target (`fuzz/`) throws arbitrary bytes at the loader and mostly explores
//! refusals; this test explores the other side, scenarios that are valid by construction. It
//! starts from the embedded default (a 100 MW site with four halls) and varies what an
//! operator varies: the horizon (1–5 years), the seed, each hall's starting state and fleet
//! size, market prices and volatilities, starting cash, debts outstanding or drawn on a date,
//! shocks, and a plan of dated actions inside the horizon (conversions with or without debt,
//! anchor tenants, GPU clouds, ASIC purchases and sales, loans, grid upgrades) beside a
//! do-nothing plan and a rule-driven one. Each generated scenario must pass validation (a
//! generator bug otherwise), then every plan is run on one replication.
//!
//! What is asserted:
//! - the run reaches the horizon; the operator itself panics on a broken physical invariant or
//!   accounting identity after every event (debug and test builds), which fails the case;
//! - the accounting identity, recomputed here from the booked months' components rather than
//!   through the model's own `net_cash`: Σ over months of (revenue − energy − opex − capex +
//!   salvage + loans drawn − interest − principal − taxes) = end cash − starting cash, and
//!   month by month, cash after a month − cash before it = that month's net flow;
//! - the per-run metrics are the sums of the monthly records, end cash and minimum cash match
//!   the monthly cash series, and the Monte Carlo path (`simulate_replication`, scratch
//!   buffers reused) gives bit-identical metrics and series to a fresh run of the same plan;
//! - every flow is finite and has its sign (costs and revenues are not negative), and default
//!   is absorbing (nothing accrues after it).

use chrono::Datelike;
use pivotsim::engine::SimTime;
use pivotsim::model::operator::{Flow, Flows};
use pivotsim::model::{self, CompiledScenario, Metric, MonthRecord, Series, World};
use pivotsim::scenario::{
    self, Action, AsicDisposal, ConversionDebt, Cooling, Date, Debt, DebtRate, DeliveryMilestone,
    HallState, HallTarget, Plan, Repayment, Rule, Scenario, Shock, SourceDocument,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// The target a converted (or initially GPU-ready) hall takes: the default scenario's
/// conversion, 20 MW of IT at PUE 1.2 with generators.
fn gpu_target() -> HallTarget {
    HallTarget {
        cooling: Cooling::Liquid,
        rack_slots: 400,
        max_kw_per_rack: 132.0,
        cooling_mw: 20.0,
        pue: 1.2,
        backup_generators: true,
    }
}

/// What one generated hall does.
#[derive(Debug, Clone)]
struct HallGen {
    /// 0: ASIC (fleet units scaled by `units_share`), 1: GPU-ready, 2: idle.
    state: u8,
    units_share: f64,
    /// Convert it (if ASIC) in the acting plan, at this month, with this lead time and
    /// disposal (`move_to` the next hall when true), and this loan-to-cost (0: no loan).
    convert: Option<(u32, u32, bool, f64)>,
    /// Sign an anchor tenant (if GPU-ready or converted): month, share of the hall, term
    /// years, price, start delay months.
    tenant: Option<(u32, f64, f64, f64, f64)>,
    /// Deploy a GPU cloud (if GPU-ready or converted): month, share of the hall,
    /// utilization.
    cloud: Option<(u32, f64, f64)>,
    /// Buy ASICs (if ASIC and not converted): month, units.
    buy: Option<(u32, u32)>,
    /// Sell ASICs of its first model: month, units.
    sell: Option<(u32, u32)>,
}

fn hall_gen() -> impl Strategy<Value = HallGen> {
    (
        0u8..3,
        0.0..=1.0f64,
        proptest::option::weighted(0.4, (0u32..60, 0u32..=18, any::<bool>(), 0.0..0.9f64)),
        proptest::option::weighted(
            0.5,
            (
                0u32..60,
                0.05..=1.0f64,
                0.1..15.0f64,
                50.0..250.0f64,
                0.0..12.0f64,
            ),
        ),
        proptest::option::weighted(0.3, (0u32..60, 0.05..=1.0f64, 0.0..=1.0f64)),
        proptest::option::weighted(0.3, (0u32..60, 1u32..2_000)),
        proptest::option::weighted(0.3, (0u32..60, 1u32..10_000)),
    )
        .prop_map(
            |(state, units_share, convert, tenant, cloud, buy, sell)| HallGen {
                state,
                units_share,
                convert,
                tenant,
                cloud,
                buy,
                sell,
            },
        )
}

/// Everything varied, in one value so proptest can shrink it.
#[derive(Debug, Clone)]
struct Gen {
    horizon_years: u32,
    seed: u64,
    replication: u64,
    starting_cash: f64,
    discount_rate: f64,
    btc_price: f64,
    btc_volatility: f64,
    energy_mean: f64,
    energy_volatility: f64,
    inquiries_per_year: f64,
    lease_price: f64,
    halls: Vec<HallGen>,
    /// Debts: principal, fixed (true) or floating, rate, term months, amortizing, drawn month
    /// (None: outstanding at the start).
    debts: Vec<(f64, bool, f64, u32, bool, Option<u32>)>,
    /// A loan drawn by the acting plan: month, principal.
    draw: Option<(u32, f64)>,
    /// A grid upgrade in the acting plan: month, MW, capex, lead months.
    upgrade: Option<(u32, f64, f64, u32)>,
    /// Shocks: BTC price factor at a month; the largest tenant defaults at a month.
    btc_shock: Option<(u32, f64)>,
    tenant_shock: Option<u32>,
    /// The adaptive rule: hashprice threshold, lost inquiries needed, earliest month.
    rule: (f64, u32, Option<u32>),
}

fn scenario_gen() -> impl Strategy<Value = Gen> {
    let world = (
        1u32..=5,
        any::<u64>(),
        0u64..1_000,
        0.0..2e8f64,
        0.0..0.3f64,
        20_000.0..200_000.0f64,
        0.1..1.2f64,
        20.0..80.0f64,
        0.5..2.5f64,
        0.0..30.0f64,
        60.0..250.0f64,
    );
    let operator = (
        proptest::collection::vec(hall_gen(), 4),
        proptest::collection::vec(
            (
                0.0..5e7f64,
                any::<bool>(),
                0.0..0.15f64,
                1u32..240,
                any::<bool>(),
                proptest::option::of(0u32..60),
            ),
            0..3,
        ),
        proptest::option::of((0u32..60, 0.0..5e7f64)),
        proptest::option::of((0u32..60, 1.0..50.0f64, 0.0..2e7f64, 0u32..24)),
        proptest::option::of((0u32..60, 0.2..2.0f64)),
        proptest::option::of(0u32..60),
        (0.0..100.0f64, 0u32..3, proptest::option::of(0u32..60)),
    );
    (world, operator).prop_map(
        |(
            (
                horizon_years,
                seed,
                replication,
                starting_cash,
                discount_rate,
                btc_price,
                btc_volatility,
                energy_mean,
                energy_volatility,
                inquiries_per_year,
                lease_price,
            ),
            (halls, debts, draw, upgrade, btc_shock, tenant_shock, rule),
        )| Gen {
            horizon_years,
            seed,
            replication,
            starting_cash,
            discount_rate,
            btc_price,
            btc_volatility,
            energy_mean,
            energy_volatility,
            inquiries_per_year,
            lease_price,
            halls,
            debts,
            draw,
            upgrade,
            btc_shock,
            tenant_shock,
            rule,
        },
    )
}

/// The date `months` after the start, folded into the horizon.
fn month(s: &Scenario, months: u32) -> Date {
    let m = months % (s.horizon_years * 12);
    Date(
        s.start
            .0
            .checked_add_months(chrono::Months::new(m))
            .expect("a date within five years of 2026"),
    )
}

/// The scenario a generated value describes.
fn build(g: &Gen) -> Scenario {
    let mut s = scenario::load_default()
        .expect("the default scenario loads")
        .scenario;
    s.horizon_years = g.horizon_years;
    s.seed = Some(g.seed);
    s.starting_cash_usd = g.starting_cash;
    s.discount_rate = g.discount_rate;
    s.market.bitcoin.price_usd = g.btc_price;
    s.market.bitcoin.volatility = g.btc_volatility;
    s.market.energy.mean_usd_per_mwh = g.energy_mean;
    s.market.energy.volatility = g.energy_volatility;
    let ai = s.market.ai.as_mut().expect("the default has an AI market");
    ai.inquiries.rate_per_year = g.inquiries_per_year;
    ai.inquiries.price_usd_per_kw_month = g.lease_price;
    // The default's shocks and stresses are dated past a one-year horizon.
    s.stresses.clear();
    s.shocks.clear();
    if let Some((m, factor)) = g.btc_shock {
        s.shocks.push(Shock::BtcPrice {
            date: month(&s, m),
            factor,
        });
    }
    if let Some(m) = g.tenant_shock {
        s.shocks
            .push(Shock::LargestTenantDefaults { date: month(&s, m) });
    }

    let site = s.sites[0].name.clone();
    let names: Vec<String> = s.sites[0].halls.iter().map(|h| h.name.clone()).collect();
    for (hall, hg) in s.sites[0].halls.iter_mut().zip(&g.halls) {
        match hg.state {
            0 => {
                for f in &mut hall.asics {
                    f.units = (f64::from(f.units) * hg.units_share) as u32;
                }
            }
            1 => {
                let t = gpu_target();
                hall.state = HallState::GpuReady;
                hall.asics.clear();
                hall.cooling = t.cooling;
                hall.rack_slots = t.rack_slots;
                hall.max_kw_per_rack = t.max_kw_per_rack;
                hall.cooling_mw = t.cooling_mw;
                hall.pue = t.pue;
                hall.backup_generators = t.backup_generators;
            }
            _ => {
                hall.state = HallState::Idle;
                hall.asics.clear();
            }
        }
    }

    let finance = s.finance.as_mut().expect("the default has finance");
    finance.debts.clear();
    for (k, &(principal, fixed, rate, term, amortizing, drawn)) in g.debts.iter().enumerate() {
        finance.debts.push(Debt {
            name: format!("debt-{k}"),
            principal_usd: principal,
            drawn: drawn.map(|m| {
                let m = m % (g.horizon_years * 12);
                Date(
                    s.start
                        .0
                        .checked_add_months(chrono::Months::new(m))
                        .unwrap(),
                )
            }),
            rate: if fixed {
                DebtRate::Fixed(rate)
            } else {
                DebtRate::FloatingSpread(rate)
            },
            term_months: term,
            repayment: if amortizing {
                Repayment::Amortizing
            } else {
                Repayment::Bullet
            },
        });
    }

    let mut actions = Vec::new();
    for (i, hg) in g.halls.iter().enumerate() {
        let hall = names[i].clone();
        let mut gpu = hg.state == 1;
        if hg.state == 0 {
            if let Some((m, lead, move_asics, ltc)) = hg.convert {
                gpu = true;
                actions.push(Action::ConvertHall {
                    date: month(&s, m),
                    site: site.clone(),
                    hall: hall.clone(),
                    to: gpu_target(),
                    capex_usd_per_mw: 9e6,
                    lead_time_months: lead,
                    asics: if move_asics {
                        AsicDisposal::MoveTo(names[(i + 1) % names.len()].clone())
                    } else {
                        AsicDisposal::Sell
                    },
                    debt: (ltc > 0.05).then_some(ConversionDebt {
                        share_of_capex: ltc,
                        rate: DebtRate::Fixed(0.09),
                        term_months: 120,
                        repayment: Repayment::Amortizing,
                        // Both kinds of lender, so the invariants cover project finance.
                        recourse: if i % 2 == 0 {
                            scenario::Recourse::Project
                        } else {
                            scenario::Recourse::Corporate
                        },
                        project_terms: None,
                        refinance_at_cod: None,
                    }),
                    // Some conversions part-funded by their tenant.
                    tenant_funded_share: if i % 3 == 0 { 0.25 } else { 0.0 },
                    // Some halls hash on for part of their build.
                    asics_hash_for_months: if i % 2 == 1 { 3 } else { 0 },
                });
            } else {
                if let Some((m, units)) = hg.buy {
                    actions.push(Action::BuyAsics {
                        date: month(&s, m),
                        site: site.clone(),
                        hall: hall.clone(),
                        fleet: scenario::AsicFleet {
                            model: "S21 XP".into(),
                            th_s: 270.0,
                            watts: 3645.0,
                            units,
                            units_per_rack: 10,
                            annual_failure_rate: 0.06,
                            repair_days: 30,
                            age_years: 1.0,
                            // Wear and an end of life within the horizon, so that retirements
                            // meet the physical invariants too.
                            failure_rate_increase_per_year: 0.01,
                            life_years: Some(4.0),
                        },
                        usd_per_th: 15.0,
                    });
                }
                if let (Some((m, units)), Some(first)) =
                    (hg.sell, s.sites[0].halls[i].asics.first())
                {
                    actions.push(Action::SellAsics {
                        date: month(&s, m),
                        site: site.clone(),
                        hall: hall.clone(),
                        model: first.model.clone(),
                        units,
                    });
                }
            }
        }
        if gpu {
            let capacity = gpu_target().cooling_mw;
            if let Some((m, share, term, price, delay)) = hg.tenant {
                actions.push(Action::SignTenant {
                    date: month(&s, m),
                    site: site.clone(),
                    hall: hall.clone(),
                    mw: capacity * share,
                    term_years: term,
                    // Some anchors state their contract value instead of their rent.
                    price_usd_per_kw_month: (m % 3 != 1).then_some(price),
                    contract_value_usd: (m % 3 == 1).then(|| {
                        model::lease_value::contract_value(
                            capacity * share * 1_000.0,
                            price,
                            term,
                            0.03,
                        )
                    }),
                    free_rent_months: if m % 4 == 0 { 2.0 } else { 0.0 },
                    tenant_class: None,
                    escalator_per_year: 0.03,
                    start_delay_months: delay,
                    // Some anchors prepay a quarter of their first year.
                    prepaid_share_of_year1_rent: if m % 2 == 0 { 0.25 } else { 0.0 },
                    phases: Vec::new(),
                    // Some anchors are owed damages, and may cancel, when their hall is late.
                    delivery_milestone: (m % 3 == 2).then_some(DeliveryMilestone {
                        cancel_if_late_months: 3.0,
                        liquidated_damages_usd_per_mw_month: 10_000.0,
                    }),
                    ramp_months: if m % 5 == 0 { 3 } else { 0 },
                    // Some anchors hold renewal options.
                    renewal_options: (m % 4 == 1).then_some(scenario::RenewalOptions {
                        count: 2,
                        term_years: 1.0,
                        rent: scenario::RenewalRent::FixedStep(0.02),
                    }),
                });
            }
            // GPUs share the hall with the tenant: together within its capacity at any
            // moment (validation refuses a plan that overcommits a hall).
            let free = 1.0 - hg.tenant.map_or(0.0, |t| t.1);
            if let Some((m, share, utilization)) = hg.cloud.filter(|_| free > 0.01) {
                let share = share * free;
                let kw_per_gpu = 1.275;
                actions.push(Action::DeployGpuCloud {
                    date: month(&s, m),
                    site: site.clone(),
                    hall: hall.clone(),
                    gpus: ((capacity * share * 1_000.0 / kw_per_gpu) as u32).max(1),
                    kw_per_gpu,
                    capex_usd_per_gpu: 30_000.0,
                    life_years: 5.0,
                    utilization,
                    annual_failure_rate: 0.04,
                    repair_days: 4,
                    generation: None,
                    bust_utilization: None,
                    contract: None,
                    debt: None,
                });
            }
        }
    }
    if let Some((m, principal)) = g.draw {
        actions.push(Action::DrawDebt {
            date: month(&s, m),
            name: "plan-loan".into(),
            principal_usd: principal,
            rate: DebtRate::Fixed(0.1),
            term_months: 60,
            repayment: Repayment::Amortizing,
        });
    }
    if let Some((m, add_mw, capex_usd, lead_time_months)) = g.upgrade {
        actions.push(Action::UpgradeGrid {
            date: month(&s, m),
            site: site.clone(),
            add_mw,
            capex_usd,
            lead_time_months,
        });
    }

    let mut adaptive = s
        .plans
        .iter()
        .find(|p| p.name == "adaptive")
        .expect("the default has an adaptive plan")
        .clone();
    for rule in &mut adaptive.rules {
        match rule {
            Rule::RefreshAsics { .. } => {}
            Rule::ConvertNextAsicHall {
                hashprice_30d_below_usd_per_ph_day,
                min_lost_inquiries,
                not_before,
                ..
            } => {
                *hashprice_30d_below_usd_per_ph_day = g.rule.0;
                *min_lost_inquiries = g.rule.1;
                *not_before = g.rule.2.map(|m| month(&s, m));
            }
            Rule::ConvertOnPrelease {
                min_preleased_share,
                not_before,
                ..
            } => {
                // From any single tenant to half the hall.
                *min_preleased_share = f64::from(g.rule.1 % 3) / 4.0;
                *not_before = g.rule.2.map(|m| month(&s, m));
            }
        }
    }
    s.plans = vec![
        Plan {
            name: "stay".into(),
            placement: Default::default(),
            actions: Vec::new(),
            rules: Vec::new(),
        },
        Plan {
            name: "act".into(),
            placement: Default::default(),
            actions,
            rules: Vec::new(),
        },
        adaptive,
    ];
    s
}

/// Net cash flow of a month from its components (not through `Flows::net_cash`), and the sum
/// of their magnitudes (for the tolerance).
fn net_and_scale(f: &Flows) -> (f64, f64) {
    let inflows = [
        f[Flow::MiningRevenue],
        f[Flow::DrCredits],
        f[Flow::LeaseRevenue],
        f[Flow::DefaultRecoveries],
        f[Flow::GpuCloudRevenue],
        f[Flow::Salvage],
        f[Flow::PlantToLenders],
        f[Flow::RentPrepaid],
        f[Flow::DebtDraws],
        f[Flow::LiquidationProceeds],
        f[Flow::RestrictedCashOut],
        f[Flow::EquityRaised],
        f[Flow::HostingFees],
        f[Flow::HostingPowerBilled],
        f[Flow::HostingDeposits],
    ];
    let outflows = [
        f[Flow::SlaCredits],
        f[Flow::LateDeliveryDamages],
        f[Flow::GuaranteeFees],
        f[Flow::SpotEnergy],
        f[Flow::PpaSettlement],
        f[Flow::Opex],
        f[Flow::Capex],
        f[Flow::PrepaymentCredits],
        f[Flow::Interest],
        f[Flow::DebtSettledByPlant],
        f[Flow::Principal],
        f[Flow::SeizedAtDefault],
        f[Flow::RestrictedCashIn],
        f[Flow::EquityIssueCosts],
        f[Flow::Taxes],
        f[Flow::HostingBadDebt],
    ];
    let net = inflows.iter().sum::<f64>() - outflows.iter().sum::<f64>();
    let scale = inflows.iter().chain(&outflows).map(|x| x.abs()).sum();
    (net, scale)
}

/// Relative tolerance of the identity. Cash is a running sum of one net flow per month and
/// each net is a sum of 15 terms; in double precision each addition rounds by at most half
/// an ulp of its running magnitude, so after n months the two sides differ by at most about
/// (n + 15) × 1.1e-16 × scale, where scale is the starting cash plus the summed magnitudes
/// of every flow: under 1e-14 × scale for the 60 months of a 5-year horizon. 1e-9 leaves five
/// orders of magnitude of margin and still catches any flow booked on one side only (the
/// smallest flow that matters, a month of opex on one rack, is above 1e-9 of any scenario
/// with money in it).
const REL_TOL: f64 = 1e-9;

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= REL_TOL * scale.max(1.0)
}

fn check_plan(
    model: &CompiledScenario,
    world: &World,
    plan: usize,
    seed: u64,
    replication: u64,
    mc_metrics: &model::RunMetrics,
    mc_series: &[f64],
) -> Result<(), TestCaseError> {
    let name = &model.plans[plan].name;
    let op = model::run_to_horizon(model, world, plan, seed, replication);
    let months: &[MonthRecord] = op.months();
    let metrics = op.metrics();
    let start = model.starting_cash;

    // The run reached the horizon and booked every month.
    prop_assert_eq!(months.len(), model::months_per_run(model), "plan {}", name);
    prop_assert_eq!(months.last().map(|m| m.end), Some(model.end));

    // The accounting identity, month by month and over the run.
    let mut cash_before = start;
    let mut sum_net = 0.0;
    let mut scale = start.abs();
    let mut defaulted = false;
    let (mut tax_year, mut year_taxes) = (None, 0.0);
    for (k, m) in months.iter().enumerate() {
        let (net, s) = net_and_scale(&m.flows);
        scale += s;
        let f = &m.flows;
        for (what, v) in [
            ("mining revenue", f[Flow::MiningRevenue]),
            ("DR credits", f[Flow::DrCredits]),
            ("lease revenue", f[Flow::LeaseRevenue]),
            ("GPU-cloud revenue", f[Flow::GpuCloudRevenue]),
            ("SLA credits", f[Flow::SlaCredits]),
            ("late-delivery damages", f[Flow::LateDeliveryDamages]),
            ("guarantee fees", f[Flow::GuaranteeFees]),
            ("default recoveries", f[Flow::DefaultRecoveries]),
            ("spot energy", f[Flow::SpotEnergy]),
            ("opex", f[Flow::Opex]),
            ("capex", f[Flow::Capex]),
            ("salvage", f[Flow::Salvage]),
            ("debt draws", f[Flow::DebtDraws]),
            ("interest", f[Flow::Interest]),
            ("principal", f[Flow::Principal]),
            ("liquidation proceeds", f[Flow::LiquidationProceeds]),
            ("restricted cash in", f[Flow::RestrictedCashIn]),
            ("restricted cash out", f[Flow::RestrictedCashOut]),
            ("equity cures", f[Flow::EquityCures]),
            ("rent prepaid", f[Flow::RentPrepaid]),
            ("prepayment credits", f[Flow::PrepaymentCredits]),
            ("tenant-funded capex", f[Flow::TenantFundedCapex]),
            ("capitalised interest", f[Flow::CapitalisedInterest]),
            ("energy MWh", f[Flow::EnergyDrawn]),
        ] {
            prop_assert!(
                v.is_finite() && v >= 0.0,
                "plan {name}, month {}: {what} is {v}",
                k + 1
            );
        }
        prop_assert!(f[Flow::PpaSettlement].is_finite());
        // Taxes are the year's liability so far less what the year paid: a month may return
        // tax (a loss after profits), but never more than its year has paid.
        let year = model
            .calendar
            .date_of(SimTime::from_secs(m.end.secs().saturating_sub(1)))
            .year();
        if tax_year != Some(year) {
            (tax_year, year_taxes) = (Some(year), 0.0);
        }
        year_taxes += f[Flow::Taxes];
        prop_assert!(
            f[Flow::Taxes].is_finite() && year_taxes >= -1e-9 * (1.0 + scale),
            "plan {name}, month {}: taxes of the year so far {year_taxes}",
            k + 1
        );
        if defaulted {
            // Absorbing: a defaulted run books nothing more.
            prop_assert_eq!(
                net,
                0.0,
                "plan {}, month {}: flows after default",
                name,
                k + 1
            );
        }
        prop_assert!(
            close(
                m.cash_after_usd - cash_before,
                net,
                scale + m.cash_after_usd.abs()
            ),
            "plan {name}, month {}: cash moved by {} but the month's flows net {net}",
            k + 1,
            m.cash_after_usd - cash_before
        );
        sum_net += net;
        cash_before = m.cash_after_usd;
        defaulted = m.defaulted;
    }
    let end_cash = op.cash();
    prop_assert!(
        close(sum_net, end_cash - start, scale + end_cash.abs()),
        "plan {name}: Σ monthly net cash {sum_net} ≠ end cash {end_cash} − starting cash {start}"
    );

    // The metrics are the sums of the months, and agree with the cash series.
    let total = |f: fn(&Flows) -> f64| months.iter().map(|m| f(&m.flows)).sum::<f64>();
    let checks: [(Metric, f64); 9] = [
        (Metric::EndCash, cash_before),
        (
            Metric::Revenue,
            total(|f| {
                f[Flow::MiningRevenue] + f[Flow::DrCredits] + f[Flow::LeaseRevenue]
                    - f[Flow::SlaCredits]
                    - f[Flow::LateDeliveryDamages]
                    - f[Flow::GuaranteeFees]
                    + f[Flow::DefaultRecoveries]
                    + f[Flow::GpuCloudRevenue]
            }),
        ),
        (
            Metric::EnergyCost,
            total(|f| f[Flow::SpotEnergy] + f[Flow::PpaSettlement]),
        ),
        (Metric::Opex, total(|f| f[Flow::Opex])),
        (Metric::Capex, total(|f| f[Flow::Capex])),
        (Metric::SalvageProceeds, total(|f| f[Flow::Salvage])),
        (Metric::Interest, total(|f| f[Flow::Interest])),
        (Metric::PrincipalRepaid, total(|f| f[Flow::Principal])),
        (Metric::Taxes, total(|f| f[Flow::Taxes])),
    ];
    // Prepaid rent is credited at most once.
    prop_assert!(
        total(|f| f[Flow::PrepaymentCredits]) <= total(|f| f[Flow::RentPrepaid]) * (1.0 + 1e-12),
        "plan {name}: more rent credited than prepaid"
    );
    for (metric, expected) in checks {
        prop_assert!(
            close(metrics.get(metric), expected, scale),
            "plan {name}: metric {} is {} but the months sum to {expected}",
            metric.key(),
            metrics.get(metric)
        );
    }
    let min_cash = months
        .iter()
        .map(|m| m.cash_after_usd)
        .fold(start, f64::min);
    prop_assert_eq!(metrics.get(Metric::MinCash), min_cash, "plan {}", name);
    prop_assert_eq!(
        metrics.get(Metric::Defaulted),
        f64::from(u8::from(defaulted)),
        "plan {}",
        name
    );

    // The Monte Carlo path gives the same run, bit for bit.
    for metric in Metric::ALL {
        let (a, b) = (mc_metrics.get(metric), metrics.get(metric));
        prop_assert!(
            a.to_bits() == b.to_bits(),
            "plan {name}: metric {} is {a} in the Monte Carlo path, {b} alone",
            metric.key()
        );
    }
    let per_month = Series::ALL.len();
    for (k, m) in months.iter().enumerate() {
        prop_assert_eq!(
            mc_series[k * per_month + Series::Cash.index()].to_bits(),
            m.cash_after_usd.to_bits(),
            "plan {}, month {}: cash series",
            name,
            k + 1
        );
    }
    Ok(())
}

proptest! {
    // Each case runs three plans for up to five years in a test build (tens of
    // milliseconds); 24 cases keep `cargo test` quick. PROPTEST_CASES=N runs N for a deeper
    // search (`with_cases` alone would ignore the variable).
    // A failing case is saved beside this file (properties.regressions) and replayed first.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn valid_scenarios_run_to_the_horizon_and_the_books_close(g in scenario_gen()) {
        let s = build(&g);
        let loaded = scenario::from_document(SourceDocument {
            origin: "<generated>".into(),
            value: serde_json::to_value(&s).expect("a scenario serializes"),
            map: Default::default(),
        });
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => return Err(TestCaseError::fail(format!("generated an invalid scenario: {e}"))),
        };
        let model = CompiledScenario::new(&loaded.scenario).expect("a valid scenario compiles");
        let seed = g.seed;

        let mut scratch = model::Scratch::default();
        let mut mc_metrics = Vec::new();
        let mut mc_series = Vec::new();
        model::simulate_replication(&model, seed, g.replication, &mut scratch, &mut mc_metrics, &mut mc_series);
        let per_plan = model::months_per_run(&model) * Series::ALL.len();
        prop_assert_eq!(mc_series.len(), per_plan * model.plans.len());

        let mut world = World::default();
        world.generate(&model, seed, g.replication);
        for plan in 0..model.plans.len() {
            check_plan(
                &model,
                &world,
                plan,
                seed,
                g.replication,
                &mc_metrics[plan],
                &mc_series[plan * per_plan..(plan + 1) * per_plan],
            )?;
        }
    }
}
