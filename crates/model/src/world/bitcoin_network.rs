//! The network's hashrate as a mix of machine vintages, with an efficiency frontier.
//!
//! Mining erodes because each halving cuts revenue per hash in two and better machines keep
//! arriving. So the network is not one number that drifts: it is a set of vintages, each with
//! an efficiency (J/TH) and an installed hashrate. A vintage's owners run their machines while
//! hashprice covers their power; their power costs are spread (lognormal around a median), so
//! the share of a vintage that runs falls smoothly as hashprice nears its power breakeven
//! 0.024 · J/TH · USD/MWh (USD per PH/s per day). New hashrate enters at the frontier, the best
//! machine on sale, when a hashprice smoothed over the ordering lag covers a new machine's power
//! and its price over the payback period. The frontier falls toward a physical floor at an
//! uncertain rate. The breakeven hashprice is therefore an output: the power breakeven of the
//! least efficient vintage that still mostly runs.
//!
//! Cost: a few `exp` a day, whatever the number of vintages (each keeps its breakeven's factor). Entries are pooled into one vintage per half year,
//! so a 10-year path holds the starting fleet plus about 20 vintages.

use crate::world::samplers::signed_normal;
use pivotsim_engine::{DAYS_PER_YEAR, math};
use rand::rngs::ChaCha8Rng;

/// The network's random draws for one day: its hashrate noise and its frontier's step, each a
/// standard normal times `normal_sign` (−1 in the mirrored member of an antithetic pair).
pub struct NetworkDraws<'a> {
    /// The hashrate noise's stream.
    pub noise: &'a mut ChaCha8Rng,
    /// The efficiency frontier's stream.
    pub frontier: &'a mut ChaCha8Rng,
    /// 1, or −1 to mirror the draws.
    pub normal_sign: f64,
}

impl<'a> NetworkDraws<'a> {
    /// Unmirrored draws from these streams.
    pub fn new(noise: &'a mut ChaCha8Rng, frontier: &'a mut ChaCha8Rng) -> Self {
        NetworkDraws {
            noise,
            frontier,
            normal_sign: 1.0,
        }
    }
}

/// Days over which new machines are pooled into one vintage (their efficiency is the
/// hashrate-weighted mean of the frontier over those days).
pub const VINTAGE_POOL_DAYS: u64 = 182;
/// Megawatt-hours a day per PH/s per J/TH: 1 PH/s at 1 J/TH draws 1,000 TH/s × 1 W = 1 kW,
/// so 24 kWh = 0.024 MWh a day.
pub const MWH_PER_PH_DAY_PER_J_PER_TH: f64 = 0.024;
/// Slope of the logistic that stands in for the normal CDF: Φ(x) ≈ 1 / (1 + e^(−1.702 x)),
/// within 0.01 everywhere (Bowling et al. 2009), and cheap (one `exp`).
const LOGISTIC_PROBIT: f64 = 1.702;
/// Mean reversion of the hashrate noise, per year: weather and curtailment pass within about
/// a month.
const NOISE_REVERSION_PER_YEAR: f64 = 12.0;
/// Least running share a starting vintage is assumed to have, so that a declared share of
/// the running hashrate never implies an unbounded installed base.
const MIN_START_RUNNING: f64 = 0.01;

/// Parameters of the vintage network, in per-year, per-day and J/TH units.
#[derive(Debug, Clone)]
pub struct NetworkParams {
    /// Starting vintages: (J/TH, share of the running hashrate).
    pub fleet: Vec<(f64, f64)>,
    /// Best machine on sale at the start, J/TH.
    pub frontier_j_per_th: f64,
    /// Floor the frontier approaches, J/TH.
    pub floor_j_per_th: f64,
    /// Rate at which the frontier's gap to the floor closes, per year.
    pub improvement_per_year: f64,
    /// Volatility of ln(frontier − floor), per √year.
    pub frontier_volatility: f64,
    /// Price of a frontier machine at the start, USD per TH/s.
    pub machine_usd_per_th: f64,
    /// Median all-in power cost of the miners, USD/MWh.
    pub power_usd_per_mwh: f64,
    /// σ of ln power cost across miners.
    pub power_dispersion: f64,
    /// Days of margin a new machine must pay its price back in.
    pub payback_days: f64,
    /// New hashrate per year as a fraction of the installed network, at most.
    pub max_entry_per_year: f64,
    /// Time constant of the hashprice orders follow, days.
    pub order_lag_days: f64,
    /// Time constant of switching machines on and off, days.
    pub switch_days: f64,
    /// Share of installed machines scrapped per year.
    pub retirement_per_year: f64,
    /// Volatility of ln H around the running hashrate, per √year.
    pub volatility: f64,
}

impl NetworkParams {
    /// Median power breakeven of a machine of `j_per_th`, USD per PH/s per day.
    pub fn power_breakeven(&self, j_per_th: f64) -> f64 {
        MWH_PER_PH_DAY_PER_J_PER_TH * j_per_th * self.power_usd_per_mwh
    }

    /// Hashprice at which the median buyer's new frontier machine of `j_per_th` pays its power
    /// and its price back within the payback period, USD per PH/s per day. Machines cost the
    /// same per watt as at the start, so USD/TH scales with J/TH.
    pub fn entry_breakeven(&self, j_per_th: f64) -> f64 {
        let usd_per_th = self.machine_usd_per_th * j_per_th / self.frontier_j_per_th;
        self.power_breakeven(j_per_th) + 1_000.0 * usd_per_th / self.payback_days
    }

    /// The hashprice a machine bought today expects over its payback period, USD per PH/s per
    /// day, when today's is `hashprice` and the subsidy halves in `halving_in_days`: today's
    /// until the halving, then `after_halving` times it (the fees do not halve).
    pub fn expected_hashprice(
        &self,
        hashprice: f64,
        halving_in_days: f64,
        after_halving: f64,
    ) -> f64 {
        let before = halving_in_days.clamp(0.0, self.payback_days);
        hashprice * (before + after_halving * (self.payback_days - before)) / self.payback_days
    }

    /// The factor e^(1.702 · ln(price) / σ) of a breakeven or a hashprice `price` (USD per
    /// PH/s per day), its exponent bounded to ±700 so that a product of two is never NaN.
    fn factor(&self, price: f64) -> f64 {
        let x = LOGISTIC_PROBIT * math::ln(price.max(1e-300)) / self.power_dispersion;
        math::exp(x.clamp(-700.0, 700.0))
    }

    /// Share of owners whose power cost the hashprice covers, Φ((ln hp − ln breakeven) / σ),
    /// from the breakeven's [`NetworkParams::factor`] and the reciprocal of the hashprice's:
    /// 1 / (1 + e^(1.702 (ln breakeven − ln hp) / σ)). Splitting the exponential lets each
    /// vintage keep its factor, so a day costs one `exp` however many vintages there are.
    fn share_covered(breakeven_factor: f64, inverse_hashprice_factor: f64) -> f64 {
        1.0 / (1.0 + breakeven_factor * inverse_hashprice_factor)
    }
}

/// One vintage: machines of one efficiency.
#[derive(Debug, Clone, Copy)]
struct Vintage {
    /// Efficiency, J/TH.
    j_per_th: f64,
    /// [`NetworkParams::factor`] of the median power breakeven.
    breakeven_factor: f64,
    /// Installed hashrate, H/s.
    installed_h_s: f64,
    /// Share of it running.
    running: f64,
}

/// The state of the vintage network between days.
#[derive(Debug, Clone)]
pub struct Network {
    vintages: Vec<Vintage>,
    /// The half-year pool (day / [`VINTAGE_POOL_DAYS`]) of the last vintage, when new machines
    /// opened it; new machines of the same pool join it, later ones open a new vintage.
    open_pool: Option<u64>,
    /// Frontier J/TH minus the floor.
    frontier_gap: f64,
    /// Hashprice orders are placed on (an exponential average), USD per PH/s per day.
    order_hashprice: f64,
    /// ln of the noise multiplier on the running hashrate.
    noise: f64,
    /// Per-day constants.
    order_weight: f64,
    switch_weight: f64,
    survival: f64,
    noise_decay: f64,
    noise_sd: f64,
    frontier_drift: f64,
    frontier_sd: f64,
}

impl Network {
    /// The network at the start: its vintages run at their equilibrium shares for the
    /// starting hashprice `hashprice`, and are installed so that the running hashrate is
    /// `hashrate_h_s`, split by the declared shares.
    pub fn initial(p: &NetworkParams, hashrate_h_s: f64, hashprice: f64) -> Self {
        let dt = 1.0 / DAYS_PER_YEAR;
        let inverse_hp = 1.0 / p.factor(hashprice);
        // Room for 12 years of pooled entries, so a usual horizon never reallocates.
        let mut vintages = Vec::with_capacity(p.fleet.len() + 26);
        for &(j_per_th, share) in &p.fleet {
            let breakeven_factor = p.factor(p.power_breakeven(j_per_th));
            let running =
                NetworkParams::share_covered(breakeven_factor, inverse_hp).max(MIN_START_RUNNING);
            vintages.push(Vintage {
                j_per_th,
                breakeven_factor,
                installed_h_s: hashrate_h_s * share / running,
                running,
            });
        }
        Network {
            vintages,
            open_pool: None,
            frontier_gap: p.frontier_j_per_th - p.floor_j_per_th,
            order_hashprice: hashprice,
            noise: 0.0,
            order_weight: 1.0 - math::exp(-1.0 / p.order_lag_days),
            switch_weight: 1.0 - math::exp(-1.0 / p.switch_days),
            survival: math::exp(-p.retirement_per_year * dt),
            noise_decay: math::exp(-NOISE_REVERSION_PER_YEAR * dt),
            noise_sd: p.volatility * dt.sqrt(),
            frontier_drift: -p.improvement_per_year * dt,
            frontier_sd: p.frontier_volatility * dt.sqrt(),
        }
    }

    /// The frontier, J/TH.
    pub fn frontier_j_per_th(&self, p: &NetworkParams) -> f64 {
        p.floor_j_per_th + self.frontier_gap
    }

    /// Installed hashrate, H/s.
    pub fn installed_h_s(&self) -> f64 {
        self.vintages.iter().map(|v| v.installed_h_s).sum()
    }

    /// Running hashrate before the noise, H/s.
    pub fn running_h_s(&self) -> f64 {
        self.vintages
            .iter()
            .map(|v| v.installed_h_s * v.running)
            .sum()
    }

    /// The network's hashrate, H/s: the running vintages times the noise.
    pub fn hashrate_h_s(&self) -> f64 {
        self.running_h_s() * math::exp(self.noise)
    }

    /// The marginal breakeven, USD per PH/s per day: the median power breakeven of the least
    /// efficient vintage of which at least half runs (of the most efficient one when none
    /// does). Below it, the machines that set the network's margin lose money on power.
    pub fn breakeven_hashprice(&self, p: &NetworkParams) -> f64 {
        let running = self.vintages.iter().filter(|v| v.running >= 0.5);
        let j = match running.map(|v| v.j_per_th).reduce(f64::max) {
            Some(j) => j,
            None => self
                .vintages
                .iter()
                .map(|v| v.j_per_th)
                .fold(f64::INFINITY, f64::min),
        };
        p.power_breakeven(j)
    }

    /// Scales the installed base (a shock: a ban, a storm that breaks machines).
    pub fn scale(&mut self, factor: f64) {
        for v in &mut self.vintages {
            v.installed_h_s *= factor;
        }
    }

    /// Moves the network one day and returns its hashrate, H/s. Running machines follow
    /// today's `hashprice`; orders follow `order_hashprice`, what a new machine expects to
    /// earn over its payback period (both USD per PH/s per day). `day` numbers the day from
    /// the start (it dates the pooled vintages).
    pub fn step_day(
        &mut self,
        p: &NetworkParams,
        day: u64,
        hashprice: f64,
        order_hashprice: f64,
        draws: NetworkDraws<'_>,
    ) -> f64 {
        let dt = 1.0 / DAYS_PER_YEAR;
        let zf = signed_normal(draws.frontier, draws.normal_sign);
        self.frontier_gap *= math::exp(self.frontier_drift + self.frontier_sd * zf);
        self.order_hashprice += (order_hashprice - self.order_hashprice) * self.order_weight;
        let frontier = self.frontier_j_per_th(p);
        // The day's four factors depend on nothing computed after them: taken together, their
        // `ln`s and `exp`s overlap in the processor rather than each waiting behind the
        // vintage loop (the same operations on the same values as in their places of use).
        let hashprice_factor = p.factor(hashprice);
        let order_factor = p.factor(self.order_hashprice);
        let entry_factor = p.factor(p.entry_breakeven(frontier));
        let frontier_factor = p.factor(p.power_breakeven(frontier));
        let inverse_hp = 1.0 / hashprice_factor;

        // Running machines: each vintage's share moves toward the share of owners whose power
        // today's hashprice covers; the installed base wears out.
        for v in &mut self.vintages {
            let target = NetworkParams::share_covered(v.breakeven_factor, inverse_hp);
            v.running += (target - v.running) * self.switch_weight;
            v.installed_h_s *= self.survival;
        }

        // Entry: orders follow a smoothed hashprice; the share of buyers for whom a frontier
        // machine pays back sets the day's new hashrate, a fraction of the installed base.
        let share = NetworkParams::share_covered(entry_factor, 1.0 / order_factor);
        let added = p.max_entry_per_year * share * dt * self.installed_h_s();
        if added > 0.0 {
            let running_new = NetworkParams::share_covered(frontier_factor, inverse_hp);
            self.add(p, day, frontier, added, running_new);
        }

        let z = signed_normal(draws.noise, draws.normal_sign);
        self.noise = self.noise * self.noise_decay + self.noise_sd * z;
        self.hashrate_h_s()
    }

    /// Adds `added_h_s` of machines at `j_per_th` to the open vintage (opening one every
    /// [`VINTAGE_POOL_DAYS`]); they run at `running_new`, the share today's hashprice covers.
    fn add(
        &mut self,
        p: &NetworkParams,
        day: u64,
        j_per_th: f64,
        added_h_s: f64,
        running_new: f64,
    ) {
        let pool = day / VINTAGE_POOL_DAYS;
        if self.open_pool != Some(pool) {
            self.vintages.push(Vintage {
                j_per_th,
                breakeven_factor: 1.0,
                installed_h_s: 0.0,
                running: 0.0,
            });
            self.open_pool = Some(pool);
        }
        let Some(v) = self.vintages.last_mut() else {
            return;
        };
        let total = v.installed_h_s + added_h_s;
        v.j_per_th = (v.j_per_th * v.installed_h_s + j_per_th * added_h_s) / total;
        v.running = (v.running * v.installed_h_s + running_new * added_h_s) / total;
        v.installed_h_s = total;
        v.breakeven_factor = p.factor(p.power_breakeven(v.j_per_th));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::world::streams::{StreamKind, Streams};

    /// One vintage of 20 J/TH; power at $50/MWh with a narrow spread; a frontier of 15 J/TH
    /// at $20/TH paid back in 365 days; no noise, no wear.
    pub(crate) fn params() -> NetworkParams {
        NetworkParams {
            fleet: vec![(20.0, 1.0)],
            frontier_j_per_th: 15.0,
            floor_j_per_th: 5.0,
            improvement_per_year: 0.0,
            frontier_volatility: 0.0,
            machine_usd_per_th: 20.0,
            power_usd_per_mwh: 50.0,
            power_dispersion: 0.05,
            payback_days: 365.0,
            max_entry_per_year: 0.5,
            order_lag_days: 1.0,
            switch_days: 1.0,
            retirement_per_year: 0.0,
            volatility: 0.0,
        }
    }

    fn rngs() -> (ChaCha8Rng, ChaCha8Rng) {
        let s = Streams::new(1, 0);
        (
            s.of(StreamKind::NetworkHashrate),
            s.of(StreamKind::EfficiencyFrontier),
        )
    }

    #[test]
    fn breakevens_follow_from_power_and_machine_price() {
        // Power: 20 J/TH × 0.024 MWh per PH-day per J/TH × $50/MWh = $24/PH/day.
        // Entry at the 15 J/TH frontier: power 15 × 0.024 × 50 = $18, plus the machine,
        // $20/TH × 1,000 TH per PH over 365 days = $54.79; total $72.79/PH/day.
        let p = params();
        assert!((p.power_breakeven(20.0) - 24.0).abs() < 1e-9);
        assert!((p.entry_breakeven(15.0) - (18.0 + 20_000.0 / 365.0)).abs() < 1e-9);
        // A machine at 7.5 J/TH costs half as much per TH (same $/W): 9 + 27.40 = $36.40.
        assert!((p.entry_breakeven(7.5) - (9.0 + 10_000.0 / 365.0)).abs() < 1e-9);
    }

    #[test]
    fn a_vintage_runs_above_its_breakeven_and_switches_off_below() {
        // The 20 J/TH vintage breaks even at $24/PH/day. With σ = 0.05 and switching within a
        // day, at $24 / 1.2 its running share settles at the logistic Φ(−ln 1.2 / 0.05):
        // 1 / (1 + e^(1.702 × 0.18232 / 0.05)) = 1 / (1 + e^6.2063) = 1 / 496.9 = 0.002013;
        // at $24.024 (0.1% above) it is 1 / (1 + e^(−1.702 × 0.0009995 / 0.05)) = 0.50850,
        // just over half, so this vintage is the marginal one. The order hashprice sits far below the $72.79 entry
        // breakeven, so almost nothing enters: Φ(ln(28.8/72.79)/0.05) ≈ e^-31.6.
        let p = params();
        let h0 = 1e20;
        let (mut a, mut b) = rngs();
        let mut n = Network::initial(&p, h0, 24.0 * 1.2);
        assert!((n.running_h_s() / h0 - 1.0).abs() < 1e-6);
        let installed = n.installed_h_s();
        for day in 1..30 {
            n.step_day(
                &p,
                day,
                24.0 / 1.2,
                24.0 / 1.2,
                NetworkDraws::new(&mut a, &mut b),
            );
        }
        let off = n.running_h_s() / installed;
        assert!((off - 0.002013).abs() < 2e-6, "{off}");
        for day in 30..60 {
            n.step_day(&p, day, 24.024, 24.024, NetworkDraws::new(&mut a, &mut b));
        }
        let half = n.vintages[0].running;
        assert!((half - 0.50850).abs() < 1e-5, "{half}");
        assert!(
            n.installed_h_s() / installed - 1.0 < 1e-6,
            "no entry below the entry price"
        );
        // The marginal breakeven is the half-running vintage's: $24.
        assert!((n.breakeven_hashprice(&p) - 24.0).abs() < 1e-9);
    }

    #[test]
    fn new_machines_enter_at_the_frontier_when_they_pay_back() {
        // Hashprice well above the $72.79 entry breakeven: every buyer's machine pays back
        // (share ≈ 1), so the installed base grows at the 0.5/yr cap: over 100 days,
        // e^(0.5 × 100 / 365.25) = 1.1467 (compounded daily: (1 + 0.5/365.25)^100 = 1.1467).
        // The new vintage has the frontier's 15 J/TH and runs: its $18 breakeven is covered.
        let p = params();
        let (mut a, mut b) = rngs();
        let mut n = Network::initial(&p, 1e20, 200.0);
        let installed = n.installed_h_s();
        for day in 1..=100 {
            n.step_day(&p, day, 200.0, 200.0, NetworkDraws::new(&mut a, &mut b));
        }
        let growth = n.installed_h_s() / installed;
        let expected = (1.0 + 0.5 / DAYS_PER_YEAR).powi(100);
        assert!(
            (growth / expected - 1.0).abs() < 1e-6,
            "{growth} vs {expected}"
        );
        assert_eq!(
            n.vintages.len(),
            1 + 1,
            "days 1..=100 fall in the first pool"
        );
        assert!((n.vintages[1].j_per_th - 15.0).abs() < 1e-12);
        assert!(n.vintages[1].running > 0.999);
    }

    #[test]
    fn the_frontier_closes_its_gap_to_the_floor_at_the_improvement_rate() {
        // Gap 10 J/TH, rate 0.2/yr, no noise: after 365 daily steps the gap is
        // 10 · e^(−0.2 × 365/365.25) = 8.1884, the frontier 13.1884 J/TH.
        let mut p = params();
        p.improvement_per_year = 0.2;
        let (mut a, mut b) = rngs();
        let mut n = Network::initial(&p, 1e20, 30.0);
        for day in 1..=365 {
            n.step_day(&p, day, 30.0, 30.0, NetworkDraws::new(&mut a, &mut b));
        }
        let expected = 5.0 + 10.0 * (-0.2f64 * 365.0 / 365.25).exp();
        assert!((n.frontier_j_per_th(&p) - expected).abs() < 1e-9);
    }
}
