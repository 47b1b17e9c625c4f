//! The outputs of one plan in one future, named once here for every writer: per-run scalars
//! ([`Metric`]) and per-month series ([`Series`]).
//!
//! Each has a stable key with its unit in the name (`npv_usd`, `curtailed_mwh`,
//! `leased_mw`), which becomes a column of `runs.csv`, a key of `summary.json` or a series of
//! `timeseries.csv`. Keeping the lists in one table means statistics, files, plots and the
//! terminal never disagree about what was measured.

/// How a metric's values are written for people.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// US dollars.
    Usd,
    /// Any other quantity (the unit is in the key).
    Plain,
    /// A whole number: a count, a 0/1 flag or a month index, written without decimals.
    Count,
}

/// Declares an output enum with its key, label, unit and description per variant.
macro_rules! outputs {
    ($(#[$meta:meta])* $name:ident { $( $variant:ident => $key:literal, $label:literal, $unit:ident, $doc:literal; )* }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( #[doc = $doc] $variant, )*
        }

        impl $name {
            /// Every variant, in column order.
            pub const ALL: [$name; [$( $name::$variant ),*].len()] = [$( $name::$variant ),*];

            /// Number of variants.
            pub const COUNT: usize = Self::ALL.len();

            /// Position in `ALL`.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// Whether values are US dollars (for formatting).
            pub const fn is_usd(self) -> bool {
                matches!(self.unit(), Unit::Usd)
            }

            /// Stable key with its unit, used as a column and JSON key.
            pub const fn key(self) -> &'static str {
                match self { $( $name::$variant => $key, )* }
            }

            /// A short label for terminal tables and plots.
            pub const fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )* }
            }

            /// One-line description for docs.
            pub const fn description(self) -> &'static str {
                match self { $( $name::$variant => $doc, )* }
            }

            /// How values are written.
            pub const fn unit(self) -> Unit {
                match self { $( $name::$variant => Unit::$unit, )* }
            }
        }
    };
}

outputs! {
    /// One per-run scalar output.
    Metric {
    Revenue => "revenue_usd", "Revenue", Usd, "all revenue: mining after pool fees, demand-response credits, rent, GPU-hours and hosting";
    MiningRevenue => "mining_revenue_usd", "Mining revenue", Usd, "mining revenue after pool fees plus demand-response credits";
    GpuRevenue => "gpu_revenue_usd", "GPU revenue", Usd, "rent from leases plus GPU-hour revenue of operator-owned GPUs";
    HostingRevenue => "hosting_revenue_usd", "Hosting revenue", Usd, "hosting fees and energy passed through to hosting clients, less their bad debt";
    EnergyCost => "energy_cost_usd", "Energy cost", Usd, "spot energy bought plus PPA settlement (negative when resold power earns more)";
    GrossMargin => "gross_margin_usd", "Gross margin", Usd, "revenue minus energy cost";
    Opex => "opex_usd", "Opex", Usd, "non-power operating cost of ASIC and GPU-ready capacity and of hosting halls";
    Capex => "capex_usd", "Capex", Usd, "capital spent: conversions, grid upgrades, ASICs and GPUs";
    ConversionCapex => "conversion_capex_usd", "Conversion capex", Usd, "capital spent on hall conversions (the company's share)";
    TenantFundedCapex => "tenant_funded_capex_usd", "Tenant-funded capex", Usd, "conversion capex paid by tenants (not the company's: not in capex, depreciation or loans)";
    RentPrepaid => "rent_prepaid_usd", "Rent prepaid", Usd, "rent tenants (and GPU contract customers) prepaid at signing (credited against what they are billed later; revenue when billed)";
    SalvageProceeds => "salvage_proceeds_usd", "ASIC salvage", Usd, "proceeds of ASICs sold";
    EndCash => "end_cash_usd", "End cash", Usd, "cash at the horizon";
    Npv => "npv_usd", "NPV", Usd, "the equity value (equity_npv_usd), kept under its old name";
    ProjectNpv => "project_npv_usd", "Project NPV", Usd, "project (unlevered) value: free cash flows to the firm (EBITDA − taxes as if without debt − capex + salvage) and the terminal value, at the project rate";
    EquityNpv => "equity_npv_usd", "Equity NPV", Usd, "equity value: net cash flows to and from the owners (debt draws and service included) and the terminal value less debt, at the equity rate; at a company default the owners keep max(0, assets − liabilities)";
    MeanHashprice => "mean_hashprice_usd_per_ph_day", "Mean hashprice $/PH/d", Plain, "time-averaged network hashprice";
    HashpriceAtHorizon => "hashprice_at_horizon_usd_per_ph_day", "Hashprice at horizon", Plain, "network hashprice at the horizon";
    CurtailedEnergy => "curtailed_mwh", "Curtailed MWh", Plain, "energy not drawn because machines were curtailed for price";
    EnergyUsed => "energy_mwh", "Energy MWh", Plain, "facility energy drawn (IT load times PUE): mining, GPU and hosting clients' machines";
    MeanHashrateOnline => "mean_hashrate_online_ph_s", "Mean hashrate PH/s", Plain, "time-averaged hashrate actually hashing";
    LeasedMwMean => "leased_mw_mean", "Leased MW (mean)", Plain, "time-averaged capacity under billing leases, MW IT";
    LeasedMwAtHorizon => "leased_mw_at_horizon", "Leased MW (horizon)", Plain, "capacity under billing leases at the horizon, MW IT";
    VacantGpuMwMonths => "vacant_gpu_mw_months", "Vacant GPU MW-months", Plain, "GPU-ready capacity left unpromised, integrated over time (stranded capacity)";
    Inquiries => "inquiries", "Inquiries", Count, "tenant inquiries and anchor deals received";
    LostInquiries => "lost_inquiries", "Lost inquiries", Count, "inquiries that found no capacity within their patience";
    LostMw => "lost_mw", "Lost MW", Plain, "MW IT asked for by lost inquiries";
    LostContractValue => "lost_contract_value_usd", "Lost contract value", Usd, "nominal value of lost inquiries (MW x rent x term, no escalator)";
    TenantDefaults => "tenant_defaults", "Tenant defaults", Count, "leases ended early by a tenant default";
    HostingClientDefaults => "hosting_client_defaults", "Hosting client defaults", Count, "hosting contracts ended early by the client's default";
    HostingBadDebt => "hosting_bad_debt_usd", "Hosting bad debt", Usd, "defaulted hosting clients' unpaid bills (their arrears) less their deposits, written off";
    ContractedRevenue => "contracted_revenue_usd", "Contracted revenue", Usd, "total value of the leases and GPU contracts signed, as a deal announcement states it: each lease's initial term's rent with its escalator, each GPU contract's GPUs × price × hours of its term";
    LargestTenantShare => "largest_tenant_share", "Largest tenant share", Plain, "the largest tenant's share of the leases' contracted revenue, all phases of its deal together (empty without leases)";
    LeaseNoiMargin => "lease_noi_margin", "Lease NOI margin", Plain, "net operating income of the leasing business (rent − SLA credits − energy of leases with power included − GPU-ready halls' opex) over its rent, for the run (empty without rent)";
    Year1Rent => "year1_rent_usd_per_kw_month", "Year-1 rent $/kW-month", Plain, "year-1 rent of the leases signed, weighted by their MW (empty without leases)";
    MwDeliveredLate => "delivered_late_mw", "MW delivered late", Plain, "capacity whose lease started after its contracted delivery date because its hall was late, MW IT";
    MwCancelledLate => "cancelled_late_mw", "MW cancelled late", Plain, "capacity whose tenant cancelled it because its hall was later than the delivery milestone allows, MW IT";
    LateDeliveryDamages => "late_delivery_damages_usd", "Late-delivery damages", Usd, "liquidated damages owed to tenants while phases they signed for were late";
    GuaranteeFees => "guarantee_fees_usd", "Guarantee fees", Usd, "fees paid for guarantors' backing of tenants' rent";
    DefaultRecoveries => "default_recoveries_usd", "Default recoveries", Usd, "what guarantors or estates paid the landlord at tenants' defaults";
    GuarantorDilution => "guarantor_dilution_usd", "Guarantor dilution", Usd, "what guarantors' warrants took from the owners at the end of the run: their share of the cash and equity at the horizon, or of what a default left the owners (undiscounted)";
    YearsToFirstHalving => "years_to_first_halving", "Years to first halving", Plain, "years from the start to the first halving within the horizon (empty if none)";
    SlaCredits => "sla_credits_usd", "SLA credits", Usd, "service credits paid to tenants for downtime beyond the SLA allowance";
    GridOutageHours => "grid_outage_hours", "Grid outage hours", Plain, "site-hours of grid outage, summed over sites";
    Interest => "interest_usd", "Interest", Usd, "interest paid on debt";
    PrincipalRepaid => "principal_repaid_usd", "Principal repaid", Usd, "debt principal repaid";
    Taxes => "taxes_usd", "Taxes", Usd, "taxes paid";
    TerminalValue => "terminal_value_usd", "Terminal value", Usd, "value of the business at the horizon under the scenario's rule: trailing-12-month EBITDA at a multiple or cap rate, or by segment (leases' NOI at a cap rate, mining EBITDA at a multiple, hosting EBITDA at the multiple capped by its contracts' remaining years, GPUs at their residual value: depreciated cost × their generation's price level now against at purchase); 0 without a rule or after a default";
    Irr => "irr", "IRR", Plain, "annual IRR of unlevered monthly cash flows plus the terminal value (empty when not defined)";
    IrrDefined => "irr_defined", "IRR defined", Count, "1 when the IRR exists (the flows change sign), else 0";
    MinCash => "min_cash_usd", "Minimum cash", Usd, "lowest month-end cash (or the starting cash)";
    MinCashMonth => "min_cash_month", "Minimum-cash month", Count, "month (1-based) of the lowest cash; 0 when it never fell below the start";
    PaybackMonth => "payback_month", "Payback month", Count, "first month the cumulative unlevered cash flow recovers to zero; 0 if it never went negative; empty if never";
    Defaulted => "defaulted", "Defaulted", Count, "1 when the company defaulted (out of cash, or on the corporate covenant), else 0; a project taken by its lenders is not a company default";
    DefaultYears => "default_years", "Default (years)", Plain, "years from the start to the default (empty if none)";
    DefaultedOnCash => "defaulted_on_cash", "Default: cash", Count, "1 when the company defaulted because its cash went below the minimum (zero unless `finance.min_cash_usd`) after the revolver";
    DefaultedOnCovenant => "defaulted_on_covenant", "Default: covenant", Count, "1 when the run defaulted on the corporate DSCR covenant";
    ProjectDefaults => "project_defaults", "Project defaults", Count, "project loans whose lenders took their collateral: a conversion (hall, leases and reserve) or GPUs in an SPV (the GPUs, their contract and reserve); the company goes on";
    EquityCures => "equity_cures_usd", "Equity cures", Usd, "equity the parent put into project loans to cure missed payments or failed DSCR tests";
    EquityRaised => "equity_raised_usd", "Equity raised", Usd, "new shares sold (gross); the company's cash, not a flow to the owners";
    EquityValuePerShare => "equity_value_per_share_usd", "Value per share", Plain, "equity value plus the present value of the equity raised, over the shares outstanding after the raises (empty without `finance.shares_outstanding`)";
    LiquidationProceeds => "liquidation_proceeds_usd", "Liquidation proceeds", Usd, "what the owners kept at a company default (max(0, assets − liabilities)) plus any excess over the lenders' claim of a project taken";
}
}

outputs! {
    /// One per-month series of a run.
    Series {
    Cash => "cash_usd", "Cash", Usd, "cash at the month's end";
    MiningRevenue => "mining_revenue_usd", "Mining revenue", Usd, "mining revenue after pool fees plus demand-response credits in the month";
    GpuRevenue => "gpu_revenue_usd", "GPU revenue", Usd, "rent plus GPU-hour revenue in the month";
    HostingRevenue => "hosting_revenue_usd", "Hosting revenue", Usd, "hosting fees and energy passed through to clients, less bad debt, in the month";
    Hashprice => "hashprice_usd_per_ph_day", "Hashprice", Plain, "network hashprice averaged over the month";
    LeasedMw => "leased_mw", "Leased MW", Plain, "capacity under billing leases at the month's end, MW IT";
    HashrateOnline => "hashrate_online_ph_s", "Hashrate online", Plain, "hashrate actually hashing, averaged over the month, PH/s";
    Defaulted => "defaulted", "Defaulted", Plain, "1 when the run has defaulted by the month's end (its mean is the cumulative P(default))";
    DebtOutstanding => "debt_outstanding_usd", "Debt outstanding", Usd, "principal outstanding at the month's end (frozen at a default: the lenders' claim)";
    Dscr => "dscr", "DSCR", Plain, "trailing-twelve-month debt service coverage of the company (all debt, project loans included) at the month's end, (EBITDA − taxes) ÷ (interest + principal); empty without debt service in the window or after a default, and left out of the bands";
    NetworkHashrate => "network_hashrate_eh_s", "Network hashrate", Plain, "network hashrate averaged over the month's days, EH/s (the world's: the same for every plan)";
    Difficulty => "difficulty", "Difficulty", Plain, "difficulty averaged over the month's days (the world's)";
    FrontierJPerTh => "frontier_j_per_th", "Frontier J/TH", Plain, "J/TH of the best mining machine on sale, averaged over the month's days (the world's; empty with the legacy hashrate model)";
    BreakevenHashprice => "breakeven_hashprice_usd_per_ph_day", "Breakeven hashprice", Plain, "the network's marginal breakeven hashprice averaged over the month's days, USD per PH/s per day: the power breakeven of the least efficient vintage of which half or more runs (the world's)";
}
}

/// The outputs of one plan in one replication.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct RunMetrics {
    /// One value per metric, indexed by [`Metric::index`].
    pub values: [f64; Metric::COUNT],
}

impl RunMetrics {
    /// The value of one metric.
    pub fn get(&self, metric: Metric) -> f64 {
        self.values[metric.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_the_table_and_keys_are_unique() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
        }
        let keys: std::collections::HashSet<_> = Metric::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), Metric::COUNT);
    }
}
