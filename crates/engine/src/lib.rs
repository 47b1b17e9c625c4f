//! A generic discrete-event simulation kernel: integer time, a deterministic event queue, an
//! event loop, per-process random streams and a calendar.
//!
//! A model defines a small `Copy` enum of events and a state struct implementing [`Handler`].
//! It schedules its first events on an [`EventQueue`], then [`run_until`] pops events in
//! `(time, insertion)` order and hands each to the model, which updates its state (integrating
//! anything that accrues over the elapsed interval) and schedules what follows. Each stochastic
//! process draws from its own [`stream`], so the same seed reproduces a run exactly. The kernel
//! does no I/O and knows nothing of any domain.
//!
//! ```
//! use pivotsim_engine::{EventQueue, Handler, SimTime, run_until, SECONDS_PER_HOUR};
//!
//! #[derive(Copy, Clone)]
//! enum Ev {
//!     Tick,
//! }
//!
//! /// Counts hourly ticks.
//! struct Clock {
//!     ticks: u32,
//! }
//!
//! impl Handler<Ev> for Clock {
//!     fn handle(&mut self, now: SimTime, event: Ev, queue: &mut EventQueue<Ev>) {
//!         match event {
//!             Ev::Tick => {
//!                 self.ticks += 1;
//!                 queue.schedule(now + SECONDS_PER_HOUR, Ev::Tick);
//!             }
//!         }
//!     }
//! }
//!
//! let mut queue = EventQueue::new();
//! queue.schedule(SimTime::ZERO, Ev::Tick);
//! let mut clock = Clock { ticks: 0 };
//! // Hours 0, 1, ..., 24 inclusive: 25 ticks.
//! let handled = run_until(&mut queue, &mut clock, SimTime::from_days(1));
//! assert_eq!((handled, clock.ticks), (25, 25));
//! ```
#![warn(missing_docs)]

pub mod calendar;
pub mod math;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;

pub use calendar::Calendar;
pub use queue::{EventId, EventQueue};
pub use rng::{ProcessId, UniformBits, stream};
pub use sim::{Handler, run_until};
pub use time::{
    DAYS_PER_YEAR, HOURS_PER_DAY, HOURS_PER_YEAR, MONTHS_PER_YEAR, SECONDS_PER_AVG_MONTH,
    SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_YEAR, SimTime, months_to_secs,
};
