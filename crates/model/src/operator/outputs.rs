//! The run's outputs: the mapping from the books to the per-run metrics and to the monthly
//! series.

use crate::finance::{DefaultReason, irr_monthly};
use crate::metrics::{Metric, RunMetrics, Series};
use crate::operator::financing::payback_month;
use crate::operator::{Flow, Operator};
use crate::world::NetworkPath;
use pivotsim_engine::SECONDS_PER_YEAR;
use pivotsim_engine::SimTime;

impl Operator<'_> {
    /// The run's metrics (call after the horizon).
    pub fn metrics(&self) -> RunMetrics {
        let t = self.ledger.total();
        let irr = irr_monthly(self.ledger.project_flows());
        let (min_cash, min_cash_month) = self.ledger.min_cash();
        let mut values = [0.0; Metric::COUNT];
        let horizon_secs = self.model.end.secs().max(1) as f64;
        let month_secs = SECONDS_PER_YEAR / 12.0;
        for metric in Metric::ALL {
            values[metric.index()] = match metric {
                Metric::Revenue => t.revenue(),
                Metric::MiningRevenue => t.mining_revenue(),
                Metric::GpuRevenue => t.gpu_revenue(),
                Metric::HostingRevenue => t.hosting_revenue(),
                Metric::EnergyCost => t.energy_cost(),
                Metric::GrossMargin => t.revenue() - t.energy_cost(),
                Metric::Opex => t[Flow::Opex],
                Metric::Capex => t[Flow::Capex],
                Metric::ConversionCapex => t[Flow::ConversionCapex],
                Metric::TenantFundedCapex => t[Flow::TenantFundedCapex],
                Metric::RentPrepaid => t[Flow::RentPrepaid],
                Metric::SalvageProceeds => t[Flow::Salvage],
                Metric::EndCash => self.ledger.cash(),
                Metric::Npv | Metric::EquityNpv => self.ledger.npv(),
                Metric::ProjectNpv => self.ledger.project_npv(),
                Metric::MeanHashprice => self.world.mean_hashprice,
                Metric::HashpriceAtHorizon => self.world.final_hashprice,
                Metric::CurtailedEnergy => t[Flow::Curtailed],
                Metric::EnergyUsed => t[Flow::EnergyDrawn],
                Metric::MeanHashrateOnline => t[Flow::Hashing] / horizon_secs / 1_000.0,
                Metric::LeasedMwMean => t[Flow::LeasedMwSeconds] / horizon_secs,
                Metric::LeasedMwAtHorizon => self.rates.leased_mw,
                Metric::VacantGpuMwMonths => t[Flow::VacantGpuMwSeconds] / month_secs,
                Metric::Inquiries => self.tenancy.tallies().inquiries as f64,
                Metric::LostInquiries => self.tenancy.tallies().lost_inquiries as f64,
                Metric::LostMw => self.tenancy.tallies().lost_mw,
                Metric::LostContractValue => self.tenancy.tallies().lost_contract_value_usd,
                Metric::TenantDefaults => self.tenancy.tallies().tenant_defaults as f64,
                Metric::HostingClientDefaults => self.hosting.defaults as f64,
                Metric::HostingBadDebt => t[Flow::HostingBadDebt],
                Metric::ContractedRevenue => self.contracted_usd(),
                Metric::LargestTenantShare => {
                    // Over the leases: a GPU contract's customer has no identity in the model
                    // (IREN's four halls would be four tenants, not one Microsoft).
                    let total = self.leases_contracted_usd();
                    // A deal's phases are one tenant: sum them on the deal's first lease.
                    let leases = &self.tenancy.leases;
                    let mut by_deal = vec![0.0; leases.len()];
                    for l in leases {
                        by_deal[l.deal] += l.contract_value_usd;
                    }
                    let largest = by_deal.into_iter().fold(0.0, f64::max);
                    if total > 0.0 {
                        largest / total
                    } else {
                        f64::NAN
                    }
                }
                Metric::Year1Rent => {
                    let (mut rent_mw, mut mw) = (0.0, 0.0);
                    for l in &self.tenancy.leases {
                        rent_mw += l.year1_rent * l.mw;
                        mw += l.mw;
                    }
                    if mw > 0.0 { rent_mw / mw } else { f64::NAN }
                }
                Metric::MwDeliveredLate => self.tenancy.tallies().mw_delivered_late,
                Metric::MwCancelledLate => self.tenancy.tallies().mw_cancelled_late,
                Metric::LateDeliveryDamages => t[Flow::LateDeliveryDamages],
                Metric::GuaranteeFees => t[Flow::GuaranteeFees],
                Metric::DefaultRecoveries => t[Flow::DefaultRecoveries],
                Metric::GuarantorDilution => self.ledger.warrants_took(),
                Metric::LeaseNoiMargin => {
                    let rent = t[Flow::LeaseRevenue];
                    if rent > 0.0 {
                        t.lease_noi() / rent
                    } else {
                        f64::NAN
                    }
                }
                Metric::YearsToFirstHalving => {
                    self.world.years_to_first_halving.unwrap_or(f64::NAN)
                }
                Metric::Interest => t[Flow::Interest],
                Metric::SlaCredits => t[Flow::SlaCredits],
                Metric::GridOutageHours => t[Flow::GridOutageHours],
                Metric::PrincipalRepaid => t[Flow::Principal],
                Metric::Taxes => t[Flow::Taxes],
                Metric::TerminalValue => self.financing.terminal_value(),
                Metric::Irr => irr.unwrap_or(f64::NAN),
                Metric::IrrDefined => f64::from(u8::from(irr.is_some())),
                Metric::MinCash => min_cash,
                Metric::MinCashMonth => min_cash_month as f64,
                Metric::PaybackMonth => payback_month(self.ledger.project_flows()),
                Metric::Defaulted => f64::from(u8::from(self.financing.has_defaulted())),
                Metric::DefaultYears => self
                    .financing
                    .default()
                    .map_or(f64::NAN, |(t, _)| t.secs() as f64 / SECONDS_PER_YEAR),
                Metric::DefaultedOnCash => f64::from(u8::from(matches!(
                    self.financing.default(),
                    Some((_, DefaultReason::Cash))
                ))),
                Metric::DefaultedOnCovenant => f64::from(u8::from(matches!(
                    self.financing.default(),
                    Some((_, DefaultReason::Covenant))
                ))),
                Metric::ProjectDefaults => self
                    .financing
                    .projects
                    .iter()
                    .filter(|p| p.is_foreclosed())
                    .count() as f64,
                Metric::EquityCures => t[Flow::EquityCures],
                Metric::LiquidationProceeds => t[Flow::LiquidationProceeds],
                Metric::EquityRaised => t[Flow::EquityRaised],
                Metric::EquityValuePerShare => self
                    .model
                    .shares_outstanding
                    .map_or(f64::NAN, |n| self.ledger.value_per_share(n)),
            };
        }
        RunMetrics { values }
    }

    /// The value of every lease and GPU contract signed, USD.
    fn contracted_usd(&self) -> f64 {
        self.leases_contracted_usd()
            + self
                .facilities
                .clouds
                .iter()
                .fold(0.0, |total, c| total + c.contract_value_usd)
    }

    /// The value of the leases signed, USD (GPU contracts excluded).
    fn leases_contracted_usd(&self) -> f64 {
        self.tenancy
            .leases
            .iter()
            .fold(0.0, |total, l| total + l.contract_value_usd)
    }

    /// Appends the run's monthly series to `out`: for each closed month, one value per
    /// [`Series`] in order.
    pub fn write_series(&self, out: &mut Vec<f64>) {
        let mut start = SimTime::ZERO;
        for m in self.ledger.months() {
            let secs = m.end.secs_since(start).max(1) as f64;
            for series in Series::ALL {
                out.push(match series {
                    Series::Cash => m.cash_after_usd,
                    Series::MiningRevenue => m.flows.mining_revenue(),
                    Series::GpuRevenue => m.flows.gpu_revenue(),
                    Series::HostingRevenue => m.flows.hosting_revenue(),
                    Series::Hashprice => self.world.mean_hashprice_between(start, m.end),
                    Series::LeasedMw => m.leased_mw,
                    Series::HashrateOnline => m.flows[Flow::Hashing] / secs / 1_000.0,
                    Series::Defaulted => f64::from(u8::from(m.defaulted)),
                    Series::DebtOutstanding => m.debt_outstanding_usd,
                    Series::Dscr => m.dscr.unwrap_or(f64::NAN),
                    Series::NetworkHashrate => {
                        NetworkPath::mean_between(&self.world.network.hashrate_eh_s, start, m.end)
                    }
                    Series::Difficulty => {
                        NetworkPath::mean_between(&self.world.network.difficulty, start, m.end)
                    }
                    Series::FrontierJPerTh => NetworkPath::mean_between(
                        &self.world.network.frontier_j_per_th,
                        start,
                        m.end,
                    ),
                    Series::BreakevenHashprice => NetworkPath::mean_between(
                        &self.world.network.breakeven_usd_per_ph_day,
                        start,
                        m.end,
                    ),
                });
            }
            start = m.end;
        }
    }
}
