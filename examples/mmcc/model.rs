//! An M/M/c/c loss system (Erlang's telephone exchange) built on the engine, shared by the
//! `mmcc` example and the `engine` bench so that both measure the same code.
//!
//! Customers arrive as a Poisson process; each takes one of `c` servers for an exponential
//! holding time, or is lost if all are busy. The long-run loss fraction is Erlang B, which
//! makes this both a throughput benchmark and a correctness check of the kernel.
//!
//! Time scale: one model hour is [`UNITS_PER_HOUR`] = 3,600,000 `SimTime` units (read the
//! unit as a millisecond). Exponential times are rounded to whole units; with a mean holding
//! time of 3,600,000 units the rounding (at most half a unit) changes times by < 1.4e-7
//! relative, far below the statistical noise. 1,000,000 hours is 3.6e12 units, well inside u64.

use pivotsim::engine::{EventQueue, Handler, ProcessId, SimTime, run_until, stream};
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp, ExpError};

/// `SimTime` units per model hour.
pub(crate) const UNITS_PER_HOUR: u64 = 3_600_000;

/// The model's events: small and `Copy`, as the engine expects.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A customer arrives.
    Arrival,
    /// A customer leaves, freeing a server.
    Departure,
}

/// Parameters of the loss system.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Params {
    /// Arrival rate λ, customers per hour.
    pub(crate) lambda_per_hour: f64,
    /// Service rate μ per server, completions per hour (mean holding time 1/μ hours).
    pub(crate) mu_per_hour: f64,
    /// Number of servers c.
    pub(crate) servers: u32,
}

/// The reference case: λ = 9/h, μ = 1/h, c = 10 (offered load 9 erlangs).
pub(crate) const REFERENCE: Params = Params {
    lambda_per_hour: 9.0,
    mu_per_hour: 1.0,
    servers: 10,
};

/// Counts from one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Events handled by the engine (arrivals + departures up to the horizon).
    pub(crate) events: u64,
    /// Arrivals up to the horizon.
    pub(crate) arrivals: u64,
    /// Arrivals that found every server busy.
    pub(crate) blocked: u64,
}

impl Outcome {
    /// Fraction of arrivals lost.
    pub(crate) fn blocking(&self) -> f64 {
        self.blocked as f64 / self.arrivals.max(1) as f64
    }
}

/// Model state; the engine owns the clock.
struct LossSystem {
    servers: u32,
    busy: u32,
    arrivals: u64,
    blocked: u64,
    interarrival: Exp<f64>,
    holding: Exp<f64>,
    arrival_rng: ChaCha8Rng,
    holding_rng: ChaCha8Rng,
}

/// One exponential draw rounded to whole time units.
#[inline(always)]
fn draw(dist: &Exp<f64>, rng: &mut ChaCha8Rng) -> u64 {
    dist.sample(rng).round() as u64
}

impl Handler<Ev> for LossSystem {
    #[inline(always)]
    fn handle(&mut self, now: SimTime, event: Ev, queue: &mut EventQueue<Ev>) {
        match event {
            Ev::Arrival => {
                self.arrivals += 1;
                if self.busy < self.servers {
                    self.busy += 1;
                    let hold = draw(&self.holding, &mut self.holding_rng);
                    queue.schedule(now + hold, Ev::Departure);
                } else {
                    self.blocked += 1;
                }
                let gap = draw(&self.interarrival, &mut self.arrival_rng);
                queue.schedule(now + gap, Ev::Arrival);
            }
            Ev::Departure => self.busy -= 1,
        }
    }
}

/// Simulates `hours` model hours from an empty system with arrivals on stream
/// `ProcessId::new(0, 0)` and holding times on `ProcessId::new(1, 0)` of replication 0.
///
/// Fails only if a rate is negative or NaN.
pub(crate) fn simulate(seed: u64, hours: u64, p: Params) -> Result<Outcome, ExpError> {
    let per_unit = |per_hour: f64| per_hour / UNITS_PER_HOUR as f64;
    let mut model = LossSystem {
        servers: p.servers,
        busy: 0,
        arrivals: 0,
        blocked: 0,
        interarrival: Exp::new(per_unit(p.lambda_per_hour))?,
        holding: Exp::new(per_unit(p.mu_per_hour))?,
        arrival_rng: stream(seed, 0, ProcessId::new(0, 0)),
        holding_rng: stream(seed, 0, ProcessId::new(1, 0)),
    };
    let mut queue = EventQueue::with_capacity(p.servers as usize + 1);
    let first = draw(&model.interarrival, &mut model.arrival_rng);
    queue.schedule(SimTime::from_secs(first), Ev::Arrival);
    let end = SimTime::from_secs(hours.saturating_mul(UNITS_PER_HOUR));
    let events = run_until(&mut queue, &mut model, end);
    Ok(Outcome {
        events,
        arrivals: model.arrivals,
        blocked: model.blocked,
    })
}

/// Erlang B loss probability for `servers` servers and `offered` erlangs (λ/μ), by the stable
/// recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
pub(crate) fn erlang_b(servers: u32, offered: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| offered * b / (f64::from(k) + offered * b))
}
