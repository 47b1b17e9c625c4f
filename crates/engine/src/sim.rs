//! The event loop: pops due events in order and hands each to the model.
//!
//! The model owns all state and implements [`Handler`]; the kernel owns only the clock order.
//! Keeping the loop this small lets it inline into the model's code, so dispatch is a plain
//! `match` on the model's event enum with no dynamic calls.

use crate::queue::EventQueue;
use crate::time::SimTime;

/// A model that reacts to events of type `E`.
pub trait Handler<E> {
    /// Handles `event`, due at instant `now`, and may schedule or cancel further events on
    /// `queue` (at `now` or later).
    fn handle(&mut self, now: SimTime, event: E, queue: &mut EventQueue<E>);
}

/// Dispatches every queued event due at or before `end` (inclusive) to `handler`, in
/// `(time, insertion)` order, including events the handler schedules along the way. Returns
/// the number of events handled. Events due after `end` stay queued, so a run can be resumed
/// with a later `end`.
///
/// In debug builds, panics if the handler schedules an event earlier than the current instant.
#[inline]
pub fn run_until<E, H: Handler<E>>(
    queue: &mut EventQueue<E>,
    handler: &mut H,
    end: SimTime,
) -> u64 {
    let mut handled = 0;
    let mut last = SimTime::ZERO;
    while let Some((now, event)) = queue.pop_until(end) {
        debug_assert!(
            now >= last,
            "event at {now} scheduled after {last}: time ran backwards"
        );
        last = now;
        handler.handle(now, event, queue);
        handled += 1;
    }
    handled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ticks every `period` seconds by rescheduling itself, recording when it ran.
    struct Ticker {
        period: u64,
        seen: Vec<u64>,
    }

    impl Handler<u32> for Ticker {
        fn handle(&mut self, now: SimTime, event: u32, queue: &mut EventQueue<u32>) {
            self.seen.push(now.secs());
            queue.schedule(now + self.period, event + 1);
        }
    }

    #[test]
    fn self_rescheduling_stops_at_inclusive_end() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::ZERO, 0);
        let mut h = Ticker {
            period: 10,
            seen: Vec::new(),
        };
        // Ticks at 0, 10, ..., 100: the one at exactly end = 100 is handled, so 11 events.
        let n = run_until(&mut q, &mut h, SimTime::from_secs(100));
        assert_eq!(n, 11);
        assert_eq!(h.seen, (0..=100).step_by(10).collect::<Vec<u64>>());
        // The tick scheduled for 110 (payload 11) is still queued.
        assert_eq!(q.len(), 1);
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(110)));
        // Resuming to 125 handles 110 and 120: 2 more.
        assert_eq!(run_until(&mut q, &mut h, SimTime::from_secs(125)), 2);
        assert_eq!(q.pop(), Some((SimTime::from_secs(130), 13)));
    }

    /// Records payloads; event 0 schedules two same-time follow-ups.
    struct Recorder(Vec<(u64, u8)>);

    impl Handler<u8> for Recorder {
        fn handle(&mut self, now: SimTime, event: u8, queue: &mut EventQueue<u8>) {
            self.0.push((now.secs(), event));
            if event == 0 {
                queue.schedule(now, 2);
                queue.schedule(now + 1, 3);
            }
        }
    }

    #[test]
    fn same_time_events_follow_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(5), 0);
        q.schedule(SimTime::from_secs(5), 1);
        q.schedule(SimTime::from_secs(7), 9);
        let mut h = Recorder(Vec::new());
        // At t = 5: 0 then 1 (inserted earlier than 2, which 0 schedules for t = 5), then 2;
        // t = 6: 3; t = 7: 9 is after end = 6 and stays. 4 handled.
        assert_eq!(run_until(&mut q, &mut h, SimTime::from_secs(6)), 4);
        assert_eq!(h.0, vec![(5, 0), (5, 1), (5, 2), (6, 3)]);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn empty_queue_handles_nothing() {
        let mut q: EventQueue<u32> = EventQueue::new();
        let mut h = Ticker {
            period: 1,
            seen: Vec::new(),
        };
        assert_eq!(run_until(&mut q, &mut h, SimTime::MAX), 0);
    }
}
