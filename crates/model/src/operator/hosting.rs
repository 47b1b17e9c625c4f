//! Hosting: other miners' machines in the operator's halls, as a use of capacity.
//!
//! A hosting contract (a plan's `host_miners` action) puts a client's machines (MW of IT at
//! an efficiency in J/TH) into a hall with no ASICs of the operator's, for a term. The client
//! pays a fee, per kWh its machines draw or per contracted kW-month, and under pass-through
//! the energy its machines draw at the site's hourly cost (plus any markup); under
//! `included` the operator pays that energy out of the fee. Its machines run in the hours its
//! own margin is positive: what they earn at the hour's hashprice against what running costs
//! it (the per-kWh fee and the energy passed through; a per-kW-month fee is owed either way,
//! so it does not enter the decision). The client pays a deposit at the start, returned at
//! the end of the term.
//!
//! The client may default: its hazard is a base rate while its all-in cost is below what its
//! machines earn at full run, rising log-linearly to `base × multiplier` when the cost is
//! twice the earnings (clients underwater on hosting and power stop paying, as Celsius did at
//! Core Scientific in 2022). The hazard is integrated over each closed month against one
//! exponential clock per contract drawn from its own stream ([`StreamKind::HostingClient`]),
//! so the probability of a default within a year at a flat margin is 1 − e^(−λ). At a
//! default, the last `arrears_months` months of bills (booked as revenue when billed) were
//! never paid: they are written off less the deposit, and the hall returns to the use it had
//! before the contract, free for the plan.

use std::collections::VecDeque;

use rand_distr::{Distribution, Exp1};

use crate::compiled::{HostingFee, HostingSpec, SiteSpec, TimedAction};
use crate::operator::{Flow, Flows, HallUse, Operator, OperatorEvent};
use crate::world::streams::{StreamKind, tenant_stream};
use pivotsim_engine::{EventQueue, SimTime, math};
use pivotsim_engine::{SECONDS_PER_AVG_MONTH, SECONDS_PER_HOUR, SECONDS_PER_YEAR};

/// Where a hosting contract stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HostingState {
    /// The client's machines are in the hall.
    Active,
    /// The term ended; the deposit was returned.
    Ended,
    /// The client defaulted.
    Defaulted,
}

/// What a client's machines would earn and what it would pay at full run over the open
/// month, and what it was billed in it; for its margin and its arrears.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
struct ClientMonth {
    /// Earnings of its machines at full run, USD (after pool fees).
    earnings_at_full_run: f64,
    /// Its fee and energy at full run, USD.
    cost_at_full_run: f64,
    /// What it was billed (fees and energy passed through), USD.
    bill: f64,
    /// Seconds of the month it was hosted.
    secs: f64,
}

/// A hosting contract and its client's state.
#[derive(Debug)]
pub struct HostingContract {
    /// The terms.
    pub spec: HostingSpec,
    /// The hall's PUE when the machines moved in.
    pub pue: f64,
    /// State.
    pub state: HostingState,
    /// End of the term.
    pub end: SimTime,
    /// Deposit held, USD.
    pub deposit_usd: f64,
    /// IT energy of the client's machines billed per kWh or not, kWh (their running hours).
    pub kwh_drawn: f64,
    /// Bills written off at its default (net of the deposit), USD.
    pub bad_debt_usd: f64,
    /// When the client defaulted, if it did.
    pub defaulted_at: Option<SimTime>,
    /// The use the hall had before, which it returns to.
    previous_use: HallUse,
    /// Share of its machines up (grid outages and cooling derates stop them as they stop
    /// ASICs).
    up: f64,
    /// Exp(1) draw: the client defaults when its integrated hazard reaches it.
    hazard_clock: f64,
    /// Hazard integrated over the closed months.
    hazard_used: f64,
    month: ClientMonth,
    /// The closed months' bills, newest last, at most `arrears_months` of them, USD.
    bills: VecDeque<f64>,
}

impl HostingContract {
    /// What the machines earn per MWh of IT at the revenue rate `net_rate` (USD per TH/s per
    /// second, after pool fees), USD: TH/s per MW × rate × 3600 s.
    fn earnings_per_it_mwh(&self, net_rate: f64) -> f64 {
        self.spec.th_s / self.spec.it_mw * net_rate * SECONDS_PER_HOUR as f64
    }

    /// The per-kWh fee per MWh of IT, USD (0 under a per-kW-month fee).
    fn fee_per_it_mwh(&self) -> f64 {
        match self.spec.fee {
            HostingFee::PerKwh(fee) => fee * 1_000.0,
            HostingFee::PerKwMonth(_) => 0.0,
        }
    }

    /// Energy passed through per MWh of IT per USD/MWh of price: PUE × (1 + markup) when the
    /// client pays its energy, 0 when it is included.
    fn passed_per_it_mwh(&self) -> f64 {
        if self.spec.pass_through {
            self.pue * (1.0 + self.spec.power_markup)
        } else {
            0.0
        }
    }

    /// The hourly energy price below which the client runs its machines, USD/MWh: where
    /// earnings = the per-kWh fee + the energy it pays, per MWh of IT. Without energy to pay,
    /// the price does not matter: it runs (+∞) when earnings beat the fee, else never (−∞).
    pub(super) fn threshold(&self, net_rate: f64) -> f64 {
        let margin = self.earnings_per_it_mwh(net_rate) - self.fee_per_it_mwh();
        let passed = self.passed_per_it_mwh();
        if passed > 0.0 {
            margin / passed
        } else if margin > 0.0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        }
    }

    /// Books `hours` hours (`months` of the current month, `secs` seconds) at revenue rate
    /// `net_rate` into `m`: the machines run `running` of them, whose prices sum to
    /// `running_price_sum`; `price_sum` sums every hour's. `opex_per_mw_month` is the site's
    /// operating cost, which the operator bears.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn accrue(
        &mut self,
        (secs, hours, months): (f64, f64, f64),
        net_rate: f64,
        (running, running_price_sum, price_sum): (f64, f64, f64),
        opex_per_mw_month: f64,
        m: &mut Flows,
    ) {
        let it = self.spec.it_mw * self.up;
        let facility = it * self.pue;
        let fees = match self.spec.fee {
            HostingFee::PerKwh(fee) => fee * 1_000.0 * it * running,
            // Owed on the contracted kW, running or not.
            HostingFee::PerKwMonth(fee) => fee * self.spec.it_mw * 1_000.0 * months,
        };
        let energy = facility * running_price_sum;
        let power_billed = if self.spec.pass_through {
            energy * (1.0 + self.spec.power_markup)
        } else {
            0.0
        };
        let opex = opex_per_mw_month * self.spec.it_mw * months;
        m[Flow::HostingFees] += fees;
        m[Flow::HostingPowerBilled] += power_billed;
        m[Flow::SpotEnergy] += energy;
        m[Flow::HostingEnergy] += energy;
        m[Flow::EnergyDrawn] += facility * running;
        m[Flow::Opex] += opex;
        m[Flow::HostingOpex] += opex;
        self.kwh_drawn += it * running * 1_000.0;
        // The client's economics at full run on its contracted machines, for its margin.
        let contracted = self.spec.it_mw;
        let earnings = self.earnings_per_it_mwh(net_rate) * contracted * hours;
        let cost = match self.spec.fee {
            HostingFee::PerKwh(_) => self.fee_per_it_mwh() * contracted * hours,
            HostingFee::PerKwMonth(fee) => fee * contracted * 1_000.0 * months,
        } + self.passed_per_it_mwh() * contracted * price_sum;
        let month = &mut self.month;
        month.bill += fees + power_billed;
        month.secs += secs;
        month.earnings_at_full_run += earnings;
        month.cost_at_full_run += cost;
    }

    /// The client's default hazard at margin `margin` (earnings ÷ all-in cost − 1), per
    /// year: the base rate at a margin ≥ 0, × multiplier^depth below, with depth = −margin
    /// capped at 1 (all-in cost twice the earnings, or more).
    pub fn hazard_per_year(spec: &HostingSpec, margin: f64) -> f64 {
        let depth = (-margin).clamp(0.0, 1.0);
        spec.base_hazard_per_year * math::exp(depth * math::ln(spec.underwater_multiplier))
    }

    /// The client's margin over the month closed so far: earnings at full run ÷ all-in cost
    /// at full run − 1; None when it cost nothing.
    fn month_margin(&self) -> Option<f64> {
        (self.month.cost_at_full_run > 0.0)
            .then(|| self.month.earnings_at_full_run / self.month.cost_at_full_run - 1.0)
    }

    /// The bills a defaulting client leaves unpaid, USD: its last `arrears_months` months'.
    pub fn arrears_usd(&self) -> f64 {
        self.bills.iter().sum()
    }
}

/// The operator's hosting contracts, in signing order, and their count of defaults.
#[derive(Debug, Default)]
pub(super) struct Hosting {
    pub(super) contracts: Vec<HostingContract>,
    /// Clients that defaulted.
    pub(super) defaults: u64,
}

impl Hosting {
    /// Sets each active contract's share of machines up from the halls' ASIC outage shares.
    pub(super) fn set_up_shares(&mut self, asic_down: &[f64]) {
        for c in &mut self.contracts {
            c.up = 1.0 - asic_down.get(c.spec.hall).copied().unwrap_or(0.0);
        }
    }

    /// Books `secs` seconds at one energy price `price` and revenue rate `rate` (before pool
    /// fees) into `m`.
    pub(super) fn accrue_at_price(
        &mut self,
        (secs, months): (f64, f64),
        price: f64,
        rate: f64,
        (sites, site_of_hall): (&[SiteSpec], &[usize]),
        m: &mut Flows,
    ) {
        let hours = secs / SECONDS_PER_HOUR as f64;
        for c in self.contracts.iter_mut() {
            if c.state != HostingState::Active {
                continue;
            }
            let site = &sites[site_of_hall[c.spec.hall]];
            let net_rate = rate * site.revenue_share;
            let running = if price < c.threshold(net_rate) {
                hours
            } else {
                0.0
            };
            c.accrue(
                (secs, hours, months),
                net_rate,
                (running, running * price, hours * price),
                site.asic_opex_usd_per_mw_month,
                m,
            );
        }
    }

    /// Books a run of whole hours at `prices` (summarised by `summary`) and revenue rate
    /// `rate` into `m`: each client runs in the hours priced below its threshold.
    pub(super) fn accrue_run(
        &mut self,
        (prices, summary): (&[f64], crate::world::energy::PriceSummary),
        months: f64,
        rate: f64,
        (sites, site_of_hall): (&[SiteSpec], &[usize]),
        m: &mut Flows,
    ) {
        let hours = prices.len() as f64;
        let secs = hours * SECONDS_PER_HOUR as f64;
        for c in self.contracts.iter_mut() {
            if c.state != HostingState::Active {
                continue;
            }
            let site = &sites[site_of_hall[c.spec.hall]];
            let net_rate = rate * site.revenue_share;
            let (running, running_sum) = summary.hours_below(prices, c.threshold(net_rate));
            c.accrue(
                (secs, hours, months),
                net_rate,
                (running as f64, running_sum, summary.sum),
                site.asic_opex_usd_per_mw_month,
                m,
            );
        }
    }

    /// The active contracts' MW-weighted remaining term at `now`, years; None without any.
    pub(super) fn years_left(&self, now: SimTime) -> Option<f64> {
        let (mut mw, mut weighted) = (0.0, 0.0);
        for c in &self.contracts {
            if c.state == HostingState::Active {
                mw += c.spec.it_mw;
                weighted += c.spec.it_mw * c.end.secs_since(now) as f64 / SECONDS_PER_YEAR;
            }
        }
        (mw > 0.0).then(|| weighted / mw)
    }
}

impl Operator<'_> {
    /// A `host_miners` action: the client's machines move into the hall if it is an ASIC hall
    /// with none of the operator's machines, or idle, and the site's grid holds them at full
    /// run; otherwise the contract is not signed.
    pub(super) fn host_miners(
        &mut self,
        timed: &TimedAction,
        spec: HostingSpec,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let hall = spec.hall;
        let h = &self.facilities.halls[hall];
        let empty = !self
            .facilities
            .fleets
            .iter()
            .any(|f| f.spec.hall == hall && f.state.units > 0);
        let free = match h.use_ {
            HallUse::Asic => empty,
            HallUse::Idle => true,
            _ => false,
        };
        let pue = h.shape.pue;
        let fits = spec.it_mw <= h.shape.it_capacity_mw() * (1.0 + 1e-12)
            && self.facilities.committed_site_mw(h.site) + spec.it_mw * pue
                <= self.facilities.grid_mw[h.site] * (1.0 + 1e-12);
        if !free || !fits {
            return;
        }
        let previous_use = h.use_;
        let h = &mut self.facilities.halls[hall];
        h.use_ = HallUse::Hosting;
        h.hosted_mw = spec.it_mw;
        // The deposit: months of the bill at full run, the energy at the market's mean price.
        let hours_per_month = SECONDS_PER_AVG_MONTH / SECONDS_PER_HOUR as f64;
        let fee_per_month = match spec.fee {
            HostingFee::PerKwh(fee) => fee * 1_000.0 * spec.it_mw * hours_per_month,
            HostingFee::PerKwMonth(fee) => fee * spec.it_mw * 1_000.0,
        };
        let energy_per_month = if spec.pass_through {
            spec.it_mw * pue * (1.0 + spec.power_markup) * self.model.energy.mean * hours_per_month
        } else {
            0.0
        };
        let deposit_usd = spec.deposit_months * (fee_per_month + energy_per_month);
        self.ledger.month[Flow::HostingDeposits] += deposit_usd;
        let mut rng = tenant_stream(
            self.seed,
            self.replication,
            StreamKind::HostingClient,
            timed.index,
        );
        let hazard_clock: f64 = Exp1.sample(&mut rng);
        let end = now + spec.term_secs;
        let k = self.hosting.contracts.len() as u32;
        self.hosting.contracts.push(HostingContract {
            spec,
            pue,
            state: HostingState::Active,
            end,
            deposit_usd,
            kwh_drawn: 0.0,
            bad_debt_usd: 0.0,
            defaulted_at: None,
            previous_use,
            up: 1.0,
            hazard_clock,
            hazard_used: 0.0,
            month: ClientMonth::default(),
            bills: VecDeque::new(),
        });
        queue.schedule(end, OperatorEvent::HostingEnds(k));
    }

    /// At a month's close (after it is booked): each active client's hazard over the month
    /// at its margin adds to its integrated hazard, and its bill joins its possible arrears;
    /// a client whose integrated hazard reaches its clock defaults now.
    pub(super) fn review_hosting(&mut self, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        if self.financing.has_defaulted() {
            return;
        }
        for (k, c) in self.hosting.contracts.iter_mut().enumerate() {
            if c.state != HostingState::Active {
                continue;
            }
            if let Some(margin) = c.month_margin() {
                c.hazard_used += HostingContract::hazard_per_year(&c.spec, margin) * c.month.secs
                    / SECONDS_PER_YEAR;
            }
            c.bills.push_back(c.month.bill);
            while c.bills.len() > c.spec.arrears_months as usize {
                c.bills.pop_front();
            }
            c.month = ClientMonth::default();
            if c.hazard_used >= c.hazard_clock {
                queue.schedule(now, OperatorEvent::HostingClientDefaults(k as u32));
            }
        }
    }

    /// Client `k` defaults: its arrears are written off less its deposit (the rest of the
    /// deposit is returned), and its hall is free again.
    pub(super) fn hosting_client_defaults(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let c = &mut self.hosting.contracts[k];
        if c.state != HostingState::Active {
            return;
        }
        let unpaid = c.arrears_usd();
        c.bad_debt_usd = (unpaid - c.deposit_usd).max(0.0);
        c.state = HostingState::Defaulted;
        c.defaulted_at = Some(now);
        // The deposit settles the arrears it covers, and the rest goes back to the client:
        // either way it leaves the company's cash position.
        self.ledger.month[Flow::HostingBadDebt] += c.bad_debt_usd;
        self.ledger.month[Flow::HostingDeposits] -= c.deposit_usd;
        self.hosting.defaults += 1;
        self.free_hosting_hall(k, now, queue);
    }

    /// Contract `k` reaches the end of its term: the deposit is returned, the hall is free.
    pub(super) fn hosting_ends(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let c = &mut self.hosting.contracts[k];
        if c.state != HostingState::Active {
            return;
        }
        c.state = HostingState::Ended;
        self.ledger.month[Flow::HostingDeposits] -= c.deposit_usd;
        self.free_hosting_hall(k, now, queue);
    }

    /// The hall of contract `k` returns to the use it had, empty; the grid headroom freed may
    /// place a waiting inquiry.
    fn free_hosting_hall(&mut self, k: usize, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let c = &self.hosting.contracts[k];
        let h = &mut self.facilities.halls[c.spec.hall];
        if h.use_ == HallUse::Hosting {
            h.use_ = c.previous_use;
            h.hosted_mw = 0.0;
        }
        self.retry_waiting(now, queue);
    }

    /// The hosting contracts signed so far.
    pub fn hosting_contracts(&self) -> &[HostingContract] {
        &self.hosting.contracts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::CompiledScenario;
    use crate::metrics::Metric;
    use crate::world::World;
    use crate::world::energy::PriceSummary;
    use pivotsim_engine::run_until;
    use pivotsim_scenario as scenario;

    /// A contract for `it_mw` MW at 25 J/TH in a hall of PUE `pue`, with nothing accrued.
    fn contract(fee: HostingFee, pass_through: bool, pue: f64) -> HostingContract {
        let it_mw = 2.0;
        HostingContract {
            spec: HostingSpec {
                hall: 0,
                it_mw,
                th_s: it_mw * 1e6 / 25.0,
                term_secs: SECONDS_PER_YEAR as u64,
                fee,
                pass_through,
                power_markup: 0.0,
                deposit_months: 0.0,
                base_hazard_per_year: 0.0,
                underwater_multiplier: 1.0,
                arrears_months: 3,
            },
            pue,
            state: HostingState::Active,
            end: SimTime::MAX,
            deposit_usd: 0.0,
            kwh_drawn: 0.0,
            bad_debt_usd: 0.0,
            defaulted_at: None,
            previous_use: HallUse::Idle,
            up: 1.0,
            hazard_clock: f64::INFINITY,
            hazard_used: 0.0,
            month: ClientMonth::default(),
            bills: VecDeque::new(),
        }
    }

    /// The revenue rate (USD per TH/s per second) at which 25 J/TH machines earn $100 per
    /// MWh of IT: 40,000 TH/s per MW × rate × 3600 s = 100.
    const RATE_100_PER_MWH: f64 = 100.0 / (40_000.0 * 3_600.0);

    /// Books `prices` (one per hour) as one run, as the sweep does.
    fn book_run(c: &mut HostingContract, prices: &[f64], months: f64) -> Flows {
        let mut m = Flows::default();
        let summary = PriceSummary::of(prices);
        let (running, running_sum) = summary.hours_below(prices, c.threshold(RATE_100_PER_MWH));
        let hours = prices.len() as f64;
        c.accrue(
            (hours * SECONDS_PER_HOUR as f64, hours, months),
            RATE_100_PER_MWH,
            (running as f64, running_sum, summary.sum),
            0.0,
            &mut m,
        );
        m
    }

    fn assert_cents(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < 0.005, "{what}: {got} vs {want}");
    }

    #[test]
    fn a_per_kwh_fee_bills_the_kwh_the_client_runs_and_passes_its_energy_at_cost() {
        // 2 MW of IT, PUE 1.25, fee $0.02/kWh = $20/MWh of IT, power passed through at cost.
        // The machines earn $100 per MWh of IT, so the client runs while
        // 100 > 20 + 1.25 × price, i.e. below $64/MWh. Of the 8 hours, 10, 50, 63 and 30 are
        // below (64 itself is not): it runs 4 hours, curtails the other half.
        // Fees: $20 × 2 MW × 4 h = $160 (8,000 kWh at $0.02).
        // Energy: 2 MW × 1.25 × (10 + 50 + 63 + 30) = 2.5 × 153 = $382.50, billed at cost:
        // the operator's margin on the energy is zero.
        let prices = [10.0, 50.0, 63.0, 64.0, 65.0, 200.0, 30.0, 100.0];
        let mut c = contract(HostingFee::PerKwh(0.02), true, 1.25);
        assert_cents(c.threshold(RATE_100_PER_MWH), 64.0, "threshold");
        let m = book_run(&mut c, &prices, 8.0 / 744.0);
        assert_cents(c.kwh_drawn, 8_000.0, "kWh drawn");
        assert_cents(m[Flow::HostingFees], 160.0, "fees");
        assert_cents(m[Flow::HostingPowerBilled], 382.5, "power billed");
        assert_cents(m[Flow::SpotEnergy], 382.5, "energy bought");
        assert_eq!(m[Flow::HostingPowerBilled], m[Flow::HostingEnergy]);
        assert_cents(m[Flow::EnergyDrawn], 2.5 * 4.0, "MWh drawn");
        assert_cents(m.hosting_ebitda(), 160.0, "hosting EBITDA: the fee alone");
        // The same hours one at a time give the same bill.
        let mut hourly = contract(HostingFee::PerKwh(0.02), true, 1.25);
        let mut h = Flows::default();
        for &price in &prices {
            let running = if price < hourly.threshold(RATE_100_PER_MWH) {
                1.0
            } else {
                0.0
            };
            hourly.accrue(
                (3_600.0, 1.0, 1.0 / 744.0),
                RATE_100_PER_MWH,
                (running, running * price, price),
                0.0,
                &mut h,
            );
        }
        assert_cents(h[Flow::HostingFees], 160.0, "hourly fees");
        assert_cents(h[Flow::HostingPowerBilled], 382.5, "hourly power billed");
    }

    #[test]
    fn included_power_is_the_operators_and_does_not_move_the_clients_decision() {
        // Power included: the client pays only the $20/MWh fee, so it runs every hour its
        // machines earn more ($100): all 8 hours. The operator pays the energy:
        // 2.5 MW × Σ prices = 2.5 × 582 = $1,455; fees $20 × 2 × 8 = $320.
        let prices = [10.0, 50.0, 63.0, 64.0, 65.0, 200.0, 30.0, 100.0];
        let mut c = contract(HostingFee::PerKwh(0.02), false, 1.25);
        let m = book_run(&mut c, &prices, 8.0 / 744.0);
        assert_cents(m[Flow::HostingFees], 320.0, "fees");
        assert_eq!(m[Flow::HostingPowerBilled], 0.0);
        assert_cents(m[Flow::HostingEnergy], 1_455.0, "energy the operator pays");
        assert_cents(m.hosting_ebitda(), 320.0 - 1_455.0, "hosting EBITDA");
    }

    #[test]
    fn a_per_kw_month_fee_is_billed_whether_or_not_the_machines_run() {
        // Every price is above the client's threshold (100 / 1.25 = $80/MWh with no per-kWh
        // fee): it runs no hour, draws nothing, and still owes $60/kW-month × 2,000 kW ×
        // half a month = $60,000.
        let prices = [90.0, 150.0, 300.0];
        let mut c = contract(HostingFee::PerKwMonth(60.0), true, 1.25);
        let m = book_run(&mut c, &prices, 0.5);
        assert_eq!(c.kwh_drawn, 0.0);
        assert_eq!(m[Flow::HostingPowerBilled], 0.0);
        assert_eq!(m[Flow::EnergyDrawn], 0.0);
        assert_cents(m[Flow::HostingFees], 60_000.0, "fees");
    }

    #[test]
    fn the_hazard_rises_log_linearly_as_the_margin_falls() {
        // λ = base × multiplier^min(1, max(0, −margin)): base 0.05, multiplier 10.
        let mut spec = contract(HostingFee::PerKwh(0.02), true, 1.0).spec;
        spec.base_hazard_per_year = 0.05;
        spec.underwater_multiplier = 10.0;
        let at = |margin| HostingContract::hazard_per_year(&spec, margin);
        assert!((at(0.3) - 0.05).abs() < 1e-15, "positive margin: the base");
        assert!((at(0.0) - 0.05).abs() < 1e-15);
        // Half underwater: 0.05 × 10^0.5 = 0.158113883...
        assert!((at(-0.5) - 0.05 * 10f64.sqrt()).abs() < 1e-12);
        assert!(
            (at(-1.0) - 0.5).abs() < 1e-12,
            "at −100%: base × multiplier"
        );
        assert!((at(-3.0) - 0.5).abs() < 1e-12, "capped there");
    }

    /// A site with one empty ASIC hall hosting a client from the start, and a plan that buys
    /// ASICs into the hall two months later (installed only if the hall is free by then).
    fn scenario(terms: &str) -> String {
        format!(
            "
name: hosting test
start: 2025-01-01
horizon_years: 2
seed: 11
runs: 1
discount_rate: 0.1
starting_cash_usd: 1000000000
market:
  bitcoin:
    price_usd: 95000
    drift_per_year: 0.0
    volatility: 0.5
    jumps: {{rate_per_year: 3, mean_log_size: -0.10, std_log_size: 0.15}}
    difficulty: 1.1e14
    height: 877000
    network_hashrate_eh_s: 800
    hashrate:
      trend_per_year: 0.3
      volatility: 0.15
      response_per_year: 1.0
      breakeven_hashprice_usd_per_ph_day: 40
    fees:
      mean_btc_per_block: 0.05
      volatility: 0.5
      spike_rate_per_year: 0.5
      spike_mean_days: 10
      spike_multiplier: 5
  energy:
    mean_usd_per_mwh: 40
    reversion_per_year: 100
    volatility: 1.0
    spike_rate_per_year: 15
    spike_usd_per_mwh: 1500
    spike_mean_hours: 4
    cap_usd_per_mwh: 5000
sites:
  - name: S
    grid_mw: 50
    opex_usd_per_mw_month: 0
    halls:
      - name: H
        rack_slots: 1000
        max_kw_per_rack: 40
        cooling: air
        cooling_mw: 20
        pue: 1.1
plans:
  - name: host
    actions:
      - {{type: host_miners, date: 2025-01-01, site: S, hall: H, mw: 10, j_per_th: 25, term_years: 2, {terms}}}
      - {{type: buy_asics, date: 2025-03-01, site: S, hall: H, usd_per_th: 0, fleet: {{model: S21, th_s: 200, watts: 3500, units: 100, units_per_rack: 10, annual_failure_rate: 0.05, repair_days: 10}}}}
"
        )
    }

    fn compile(yaml: &str) -> CompiledScenario {
        let loaded = scenario::load_str(yaml, "test").expect("the test scenario is valid");
        CompiledScenario::new(&loaded.scenario).expect("its horizon fits the calendar")
    }

    fn run<'a>(model: &'a CompiledScenario, world: &'a World, replication: u64) -> Operator<'a> {
        let mut queue = EventQueue::new();
        let mut op = Operator::new(model, world, &model.plans[0], 11, replication);
        op.schedule_initial(&mut queue);
        run_until(&mut queue, &mut op, model.end);
        op
    }

    #[test]
    fn a_client_stated_by_its_machines_draws_and_hashes_what_they_do() {
        // 2,000 machines of 200 TH/s at 3,500 W: 2,000 × 3,500 W = 7 MW of IT and
        // 2,000 × 200 = 400,000 TH/s (17.5 J/TH), as `mw: 7, j_per_th: 17.5` states them.
        let terms = "fee_usd_per_kwh: 0.02, power: pass_through";
        let by_machines = compile(&scenario(terms).replace(
            "mw: 10, j_per_th: 25",
            "machines: {units: 2000, th_s: 200, watts: 3500}",
        ));
        let by_mw =
            compile(&scenario(terms).replace("mw: 10, j_per_th: 25", "mw: 7, j_per_th: 17.5"));
        let spec = |m: &CompiledScenario| match &m.plans[0].actions[0].action {
            crate::compiled::ActionSpec::HostMiners(spec) => *spec,
            other => panic!("{other:?}"),
        };
        let (a, b) = (spec(&by_machines), spec(&by_mw));
        assert!((a.it_mw - 7.0).abs() < 1e-12 && (a.th_s - 400_000.0).abs() < 1e-6);
        assert!((b.it_mw - 7.0).abs() < 1e-12 && (b.th_s - 400_000.0).abs() < 1e-6);
    }

    #[test]
    fn the_share_of_clients_defaulting_within_a_year_is_one_minus_e_to_the_minus_lambda() {
        // A fee of $1,000/kW-month against machines that earn tens of dollars per kW-month:
        // the all-in cost is far above twice the earnings in every month of every future, so
        // the margin is below −100% and the hazard is flat at base × multiplier =
        // 0.1 × 5 = 0.5/yr. The hazard is integrated at each month close over the month's
        // seconds, so by the close of 2026-01-01 (365 days hosted) it has reached
        // Λ = 0.5 × 365 d / 365.25 d, and a client defaults by then with probability
        // 1 − e^(−Λ) = 0.3932. Over 4,000 futures the share has a standard error of
        // √(0.39 × 0.61 / 4000) = 0.0077: 4 of them is 0.031.
        let yaml = scenario(
            "fee_usd_per_kw_month: 1000, power: included, default_hazard_per_year: 0.1, \
             underwater_hazard_multiplier: 5",
        );
        let model = compile(&yaml);
        let mut world = World::default();
        let year_end = model.add_months(SimTime::ZERO, 12);
        let futures = 4_000;
        let mut defaulted = 0;
        for replication in 0..futures {
            world.generate(&model, 11, replication);
            let op = run(&model, &world, replication);
            let c = &op.hosting_contracts()[0];
            if c.defaulted_at.is_some_and(|t| t <= year_end) {
                defaulted += 1;
            }
        }
        let lambda = 0.5 * (year_end.secs() as f64 / SECONDS_PER_YEAR);
        let expected = 1.0 - math::exp(-lambda);
        let share = f64::from(defaulted) / futures as f64;
        assert!(
            (share - expected).abs() < 0.031,
            "{share} defaulted within a year, expected {expected}"
        );
    }

    #[test]
    fn a_default_writes_off_the_arrears_less_the_deposit_and_frees_the_hall() {
        // Power included and a fee of $200/kW-month, over three times what the machines earn
        // (tens of dollars per kW-month): the margin is below −100%, so the hazard is
        // 10 × 100 = 1,000/yr and the client defaults at the first month close (2025-02-01)
        // in all but e^(−1000 × 31/365.25) ≈ 1e-37 of futures. On 10,000 kW, January's bill
        // is exactly $2,000,000, and it is the only bill in its arrears (3 months allowed, 1
        // billed). The deposit, 0.4 months of the bill, is $800,000: $1,200,000 is written
        // off, to the cent. The deposit leaves the books (set against the arrears), so
        // deposits net to zero. From February nothing is billed, and the hall, an ASIC hall
        // again, takes the ASICs bought on 2025-03-01.
        let yaml = scenario(
            "fee_usd_per_kw_month: 200, power: included, deposit_months: 0.4, \
             default_hazard_per_year: 10, underwater_hazard_multiplier: 100, arrears_months: 3",
        );
        let model = compile(&yaml);
        let mut world = World::default();
        let first_close = model.add_months(SimTime::ZERO, 1);
        let mut checked = 0;
        for replication in 0..5 {
            world.generate(&model, 11, replication);
            let op = run(&model, &world, replication);
            let c = &op.hosting_contracts()[0];
            if c.defaulted_at != Some(first_close) {
                continue;
            }
            checked += 1;
            assert_cents(c.deposit_usd, 800_000.0, "deposit");
            assert_cents(c.bad_debt_usd, 1_200_000.0, "bad debt");
            let m = op.metrics();
            assert_cents(
                m.get(Metric::HostingBadDebt),
                1_200_000.0,
                "bad debt metric",
            );
            assert_eq!(m.get(Metric::HostingClientDefaults), 1.0);
            let months = op.months();
            assert_cents(
                months[0].flows[Flow::HostingFees],
                2_000_000.0,
                "January's fee",
            );
            assert_cents(
                months[0].flows[Flow::HostingDeposits],
                800_000.0,
                "received",
            );
            assert_cents(
                months[1].flows[Flow::HostingDeposits],
                -800_000.0,
                "applied",
            );
            assert_eq!(
                months[1].flows[Flow::HostingFees],
                0.0,
                "nothing billed after"
            );
            assert_cents(
                months[1].flows.hosting_revenue(),
                -1_200_000.0,
                "February's hosting revenue: the write-off",
            );
            assert_eq!(op.halls()[0].use_, HallUse::Asic);
            assert_eq!(op.halls()[0].hosted_mw, 0.0);
            assert!(
                months[2].flows[Flow::MiningRevenue] > 0.0,
                "the freed hall mines from March"
            );
        }
        assert_eq!(checked, 5, "every future defaults at the first close");
        // The trace records the default and the hall freed: `hosting` → `asic` at 2025-02-01.
        let trace = crate::trace::trace_plan(&model, 0, 11, 0);
        let freed = trace
            .log
            .iter()
            .find(|r| r.event == "hosting_client_defaults");
        let freed = freed.expect("the trace logs the client's default");
        assert_eq!(freed.time, first_close);
        assert_eq!(freed.quantity, "hall_use");
        assert_eq!(freed.before, crate::trace::TraceValue::Text("hosting"));
        assert_eq!(freed.after, crate::trace::TraceValue::Text("asic"));
    }
}
