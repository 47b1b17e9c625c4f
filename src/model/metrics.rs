//! The per-run outputs of one plan in one future, named once here for every writer.
//!
//! Each metric has a stable key with its unit in the name (`npv_usd`, `curtailed_mwh`), which
//! becomes a column of `runs.csv` and a key of `summary.json`. Keeping the list in one table
//! means statistics, files and the terminal never disagree about what was measured.

/// One per-run scalar output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Mining revenue after pool fees plus demand-response credits, USD.
    Revenue,
    /// Spot energy bought plus PPA settlement, USD.
    EnergyCost,
    /// Revenue minus energy cost, USD.
    GrossMargin,
    /// Non-power operating cost, USD.
    Opex,
    /// Cash at the horizon, USD.
    EndCash,
    /// Net present value of monthly net cash flows at the scenario's discount rate, USD.
    Npv,
    /// Time-averaged network hashprice, USD per PH/s per day.
    MeanHashprice,
    /// Network hashprice at the horizon, USD per PH/s per day.
    HashpriceAtHorizon,
    /// Energy not drawn because machines were curtailed for price, MWh.
    CurtailedEnergy,
    /// Energy drawn by the sites (facility, incl. PUE), MWh.
    EnergyUsed,
    /// Time-averaged hashrate actually hashing (excludes failed and curtailed machines), PH/s.
    MeanHashrateOnline,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 11] = [
        Metric::Revenue,
        Metric::EnergyCost,
        Metric::GrossMargin,
        Metric::Opex,
        Metric::EndCash,
        Metric::Npv,
        Metric::MeanHashprice,
        Metric::HashpriceAtHorizon,
        Metric::CurtailedEnergy,
        Metric::EnergyUsed,
        Metric::MeanHashrateOnline,
    ];

    /// Number of metrics.
    pub const COUNT: usize = Self::ALL.len();

    /// Position in [`Metric::ALL`] and in [`RunMetrics::values`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Stable key with its unit, used as a column and JSON key.
    pub const fn key(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue_usd",
            Metric::EnergyCost => "energy_cost_usd",
            Metric::GrossMargin => "gross_margin_usd",
            Metric::Opex => "opex_usd",
            Metric::EndCash => "end_cash_usd",
            Metric::Npv => "npv_usd",
            Metric::MeanHashprice => "mean_hashprice_usd_per_ph_day",
            Metric::HashpriceAtHorizon => "hashprice_at_horizon_usd_per_ph_day",
            Metric::CurtailedEnergy => "curtailed_mwh",
            Metric::EnergyUsed => "energy_mwh",
            Metric::MeanHashrateOnline => "mean_hashrate_online_ph_s",
        }
    }

    /// One-line description for docs and `--help`.
    pub const fn description(self) -> &'static str {
        match self {
            Metric::Revenue => "mining revenue after pool fees plus demand-response credits",
            Metric::EnergyCost => {
                "spot energy bought plus PPA settlement (negative when power is resold)"
            }
            Metric::GrossMargin => "revenue minus energy cost",
            Metric::Opex => "non-power operating cost",
            Metric::EndCash => "cash at the horizon",
            Metric::Npv => "net present value of monthly net cash flows at the discount rate",
            Metric::MeanHashprice => "time-averaged network hashprice",
            Metric::HashpriceAtHorizon => "network hashprice at the horizon",
            Metric::CurtailedEnergy => "energy not drawn because machines were curtailed for price",
            Metric::EnergyUsed => "facility energy drawn (IT load times PUE)",
            Metric::MeanHashrateOnline => "time-averaged hashrate actually hashing",
        }
    }

    /// A short label for terminal tables.
    pub const fn label(self) -> &'static str {
        match self {
            Metric::Revenue => "Revenue",
            Metric::EnergyCost => "Energy cost",
            Metric::GrossMargin => "Gross margin",
            Metric::Opex => "Opex",
            Metric::EndCash => "End cash",
            Metric::Npv => "NPV",
            Metric::MeanHashprice => "Mean hashprice $/PH/d",
            Metric::HashpriceAtHorizon => "Hashprice at horizon",
            Metric::CurtailedEnergy => "Curtailed MWh",
            Metric::EnergyUsed => "Energy MWh",
            Metric::MeanHashrateOnline => "Mean hashrate PH/s",
        }
    }

    /// Whether the value is an amount of US dollars (for formatting).
    pub const fn is_usd(self) -> bool {
        matches!(
            self,
            Metric::Revenue
                | Metric::EnergyCost
                | Metric::GrossMargin
                | Metric::Opex
                | Metric::EndCash
                | Metric::Npv
        )
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
