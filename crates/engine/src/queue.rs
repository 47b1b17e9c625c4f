//! The pending-event set: events keyed by `(time, insertion sequence)`.
//!
//! Every discrete-event run is only as deterministic as its tie-breaking. Keying every event
//! on an insertion counter as well as the time makes the pop order a pure function of the
//! schedule calls, so the same seed gives the same run on any machine.
//!
//! # Ordering guarantee
//!
//! [`EventQueue::pop`] returns events in ascending time; events scheduled for the same time pop
//! in the order they were scheduled (first in, first out). This holds across cancellations and
//! for any `E`.
//!
//! # Layout
//!
//! Models typically schedule a long calendar up front (month ends, arrivals drawn in advance,
//! outages), then a few events at a time while they run, and often a periodic tick that
//! reschedules itself. Events scheduled before the first pop (or peek) are kept in a vector,
//! sorted once then; later ones go into a binary heap, which so stays small; and an event
//! scheduled with [`EventQueue::schedule_tick`] takes a one-entry slot when it is free, with
//! no heap work. Each pop takes the earliest of the three heads. Keys are unique, so the
//! merged order is exactly the order one heap would give.
//!
//! # Cancellation
//!
//! [`EventQueue::cancel`] is lazy: the entry stays queued, its sequence number goes into a
//! small set, and it is discarded when it reaches the head. While that set is empty (nothing
//! cancelled, or every cancelled entry already discarded) popping pays one predictable branch.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use crate::time::SimTime;

/// Names one scheduled event so that it can be cancelled.
///
/// Valid until the event pops, is cancelled, or the queue is [cleared](EventQueue::clear).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventId(u64);

/// One queued entry (in the calendar, the heap or the tick's slot). Kept to two words plus
/// the event; `time` is raw seconds so that the comparison is plain integer work.
#[derive(Clone, Debug)]
struct Entry<E> {
    /// Due time, seconds since the start.
    time: u64,
    /// Insertion sequence number; unique within the queue since the last `clear`.
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// `(time, seq)` packed so that one unsigned comparison orders entries.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and the earliest `(time, seq)` must win.
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// A deterministic future-event list.
///
/// Events pop in ascending time, ties in insertion order (see the [module docs](self)).
/// `E` is meant to be a small `Copy` enum, but any type works.
///
/// Costs: [`schedule`](Self::schedule) is O(1) before the first pop and O(log n) after it,
/// [`schedule_tick`](Self::schedule_tick) O(1) when its slot is free, [`pop`](Self::pop)
/// O(log n) in the events scheduled after the first pop (plus one sort of the earlier ones at
/// the first pop) and O(1) from the slot, with no allocation beyond growth;
/// [`cancel`](Self::cancel) is O(n) in the number of queued entries (a linear scan, needed to
/// tell a pending event from one that already popped), so it suits occasional cancellation,
/// not one per event.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    /// Events scheduled before the first pop or peek: in schedule order until then, and from
    /// then on sorted by descending key, so that the earliest is last and pops in O(1).
    calendar: Vec<Entry<E>>,
    /// Whether `calendar` is sorted (a pop or peek has happened since the queue was created or
    /// cleared).
    started: bool,
    /// Events scheduled after the first pop or peek.
    heap: BinaryHeap<Entry<E>>,
    /// The slot of [`EventQueue::schedule_tick`].
    tick: Option<Entry<E>>,
    /// Sequence number of the next scheduled event.
    next_seq: u64,
    /// Sequence numbers cancelled but still queued.
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Which structure holds the earliest queued entry.
#[derive(Copy, Clone)]
enum Head {
    Calendar,
    Heap,
    Tick,
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` pending events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            calendar: Vec::with_capacity(n),
            started: false,
            heap: BinaryHeap::with_capacity(n),
            tick: None,
            next_seq: 0,
            cancelled: HashSet::new(),
        }
    }

    /// Schedules `event` at instant `at` and returns its id.
    ///
    /// Scheduling before the instant of the event being handled is a logic error (time would run
    /// backwards); [`run_until`](crate::sim::run_until) checks it in debug builds.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        let entry = self.next_entry(at, event);
        let id = EventId(entry.seq);
        if self.started {
            self.heap.push(entry);
        } else {
            self.calendar.push(entry);
        }
        id
    }

    /// Like [`schedule`](Self::schedule), for a tick that reschedules itself each time it is
    /// handled: the event takes a one-entry slot, pushed and popped with no heap work, when the
    /// slot is free (as it is when the previous tick has just popped), and is scheduled like
    /// any other event otherwise. The pop order is exactly that of `schedule`.
    #[inline]
    pub fn schedule_tick(&mut self, at: SimTime, event: E) -> EventId {
        if self.tick.is_some() {
            return self.schedule(at, event);
        }
        let entry = self.next_entry(at, event);
        let id = EventId(entry.seq);
        self.tick = Some(entry);
        id
    }

    /// The entry for `event` at `at`, with the next sequence number.
    #[inline]
    fn next_entry(&mut self, at: SimTime, event: E) -> Entry<E> {
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry {
            time: at.secs(),
            seq,
            event,
        }
    }

    /// Cancels a pending event. Returns `true` if it was pending and is now cancelled; `false`
    /// (and no effect) if it already popped, was already cancelled, or is unknown.
    ///
    /// O(n) in the number of queued entries.
    pub fn cancel(&mut self, id: EventId) -> bool {
        let seq = id.0;
        if seq >= self.next_seq || self.cancelled.contains(&seq) {
            return false;
        }
        // Seqs are unique, so the entry is pending iff it is still queued.
        let queued = |e: &Entry<E>| e.seq == seq;
        if !self.calendar.iter().any(queued)
            && !self.heap.iter().any(queued)
            && !self.tick.iter().any(queued)
        {
            return false;
        }
        self.cancelled.insert(seq)
    }

    /// Sorts the calendar at the first pop (or peek): from then on it only shrinks.
    #[inline]
    fn start(&mut self) {
        if !self.started {
            self.started = true;
            // Descending, so the earliest entry is last. Keys are unique: any sort is stable.
            self.calendar
                .sort_unstable_by_key(|e| std::cmp::Reverse(e.key()));
        }
    }

    /// Where the earliest queued entry is (cancelled or not), its due time in seconds and its
    /// sequence number.
    #[inline]
    fn head(&mut self) -> Option<(Head, u64, u64)> {
        self.start();
        let (from, e) = match (self.calendar.last(), self.heap.peek()) {
            (Some(c), Some(h)) if h.key() < c.key() => (Head::Heap, h),
            (Some(c), _) => (Head::Calendar, c),
            (None, Some(h)) => (Head::Heap, h),
            (None, None) => {
                return self.tick.as_ref().map(|t| (Head::Tick, t.time, t.seq));
            }
        };
        match &self.tick {
            Some(t) if t.key() < e.key() => Some((Head::Tick, t.time, t.seq)),
            _ => Some((from, e.time, e.seq)),
        }
    }

    /// Removes the earliest queued entry, which `head` found in `from`.
    #[inline]
    fn take(&mut self, from: Head) -> Option<Entry<E>> {
        match from {
            Head::Calendar => self.calendar.pop(),
            Head::Heap => self.heap.pop(),
            Head::Tick => self.tick.take(),
        }
    }

    /// Removes and returns the earliest live event with its due time, or `None` if there is
    /// none.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::from_secs(u64::MAX))
    }

    /// Like [`pop`](Self::pop), but only if the earliest live event is due at or before `end`;
    /// otherwise it stays queued and the result is `None`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        loop {
            let (from, time, _) = self.head()?;
            if time > end.secs() {
                return None;
            }
            let e = self.take(from)?;
            if self.cancelled.is_empty() || !self.cancelled.remove(&e.seq) {
                return Some((SimTime::from_secs(e.time), e.event));
            }
        }
    }

    /// Due time of the earliest live event, discarding cancelled entries at the head.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let (from, time, seq) = self.head()?;
            if self.cancelled.is_empty() || !self.cancelled.contains(&seq) {
                return Some(SimTime::from_secs(time));
            }
            self.take(from);
            self.cancelled.remove(&seq);
        }
    }

    /// Number of live (scheduled, not cancelled, not yet popped) events.
    #[inline]
    pub fn len(&self) -> usize {
        self.calendar.len() + self.heap.len() + usize::from(self.tick.is_some())
            - self.cancelled.len()
    }

    /// `true` if no live event is queued.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every queued event and resets the sequence counter, keeping the allocation, so one
    /// queue can serve many replications with identical ids in each.
    ///
    /// Ids issued before the call must not be used after it: they may name new events.
    pub fn clear(&mut self) {
        self.calendar.clear();
        self.started = false;
        self.heap.clear();
        self.tick = None;
        self.cancelled.clear();
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed 64-bit LCG (Knuth's MMIX constants) from `seed`: each call advances it and
    /// returns the state's top 31 bits.
    fn lcg(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        }
    }

    fn drain<E>(q: &mut EventQueue<E>) -> Vec<(u64, E)> {
        std::iter::from_fn(|| q.pop())
            .map(|(t, e)| (t.secs(), e))
            .collect()
    }

    #[test]
    fn ties_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            q.schedule(SimTime::from_secs(7), i);
        }
        // All 1000 share t = 7, so FIFO: payloads 0, 1, ..., 999 in order.
        let expected: Vec<(u64, u32)> = (0..1000).map(|i| (7, i)).collect();
        assert_eq!(drain(&mut q), expected);
    }

    #[test]
    fn mixed_times_pop_sorted_then_fifo() {
        let mut q = EventQueue::new();
        for (i, t) in [5u64, 1, 3, 1, 5, 0].into_iter().enumerate() {
            q.schedule(SimTime::from_secs(t), i);
        }
        // Sorted by time; the two t = 1 (payloads 1, 3) and two t = 5 (0, 4) keep insertion
        // order.
        assert_eq!(
            drain(&mut q),
            vec![(0, 5), (1, 1), (1, 3), (3, 2), (5, 0), (5, 4)]
        );
    }

    #[test]
    fn many_mixed_times_match_stable_sort() {
        // Times from a fixed LCG with only 16 distinct values, so ties are frequent. The
        // expected order is an independent stable sort of (time, insertion index) by time.
        let mut next = lcg(12345);
        let mut input = Vec::new();
        let mut q = EventQueue::with_capacity(4096);
        for i in 0..4096u32 {
            // The state's top 4 bits.
            let t = next() >> 27;
            input.push((t, i));
            q.schedule(SimTime::from_secs(t), i);
        }
        input.sort_by_key(|&(t, _)| t);
        assert_eq!(drain(&mut q), input);
    }

    #[test]
    fn a_self_rescheduling_tick_pops_in_the_order_of_one_heap() {
        // The tick's usual life: each time it pops it schedules its successor 4 s later
        // through `schedule_tick`, while other events are scheduled at times that often tie
        // with a tick (before or after it in insertion order), and ticks are sometimes
        // cancelled, so that the restarted stream finds the slot taken by the cancelled tick
        // and goes to the heap until that one is discarded.
        // Reference: a plain list popped by linear search for the least (time, insertion).
        let mut next = lcg(4242);
        const TICK: u32 = 1 << 31;
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u32)> = Vec::new();
        let mut label = 0u32;
        let mut schedule = |q: &mut EventQueue<u32>, reference: &mut Vec<_>, t: u64, tick| {
            let event = label | if tick { TICK } else { 0 };
            let id = if tick {
                q.schedule_tick(SimTime::from_secs(t), event)
            } else {
                q.schedule(SimTime::from_secs(t), event)
            };
            assert_eq!(id.0, u64::from(label));
            reference.push((t, event));
            label += 1;
            id
        };
        for t in 0..20 {
            schedule(&mut q, &mut reference, t, false);
        }
        schedule(&mut q, &mut reference, 0, true);
        let (mut popped, mut expected) = (Vec::new(), Vec::new());
        let mut from_slot = 0;
        for _ in 0..3_000 {
            let least = reference
                .iter()
                .enumerate()
                .min_by_key(|&(_, &(t, l))| (t, l & !TICK))
                .map(|(k, _)| k);
            let want = least.map(|k| reference.remove(k));
            let slot_seq = q.tick.as_ref().map(|e| e.seq);
            let Some((at, event)) = q.pop() else {
                assert_eq!(want, None);
                break;
            };
            if slot_seq == Some(u64::from(event & !TICK)) {
                from_slot += 1;
            }
            let now = at.secs();
            popped.push((now, event));
            expected.push(want.expect("the reference has an event"));
            if event & TICK != 0 {
                let id = schedule(&mut q, &mut reference, now + 4, true);
                if next() % 10 == 0 {
                    // Cancelled: the stream restarts from a fresh tick a little later.
                    assert!(q.cancel(id));
                    reference.retain(|&(_, l)| l & !TICK != id.0 as u32);
                    schedule(&mut q, &mut reference, now + 1 + next() % 4, true);
                }
            }
            if next() % 2 == 0 {
                let t = now + next() % 9;
                schedule(&mut q, &mut reference, t, false);
            }
            assert_eq!(q.len(), reference.len());
        }
        assert_eq!(popped, expected);
        // Most ticks pop from the slot; the rest went to the heap after a cancellation.
        let ticks = popped.iter().filter(|(_, e)| e & TICK != 0).count();
        assert!(
            ticks > 1_000 && from_slot > 1_000 && from_slot < ticks,
            "{from_slot}/{ticks}"
        );
    }

    #[test]
    fn events_scheduled_while_running_merge_with_the_calendar() {
        // A reference model: a plain list popped by linear search for the least
        // (time, insertion index). Events are scheduled before the first pop (the calendar)
        // and between pops (the heap), some through `schedule_tick` (its slot, or the heap
        // when the slot is taken), with few distinct times so that ties across all three are
        // frequent, and some are cancelled (the slot's too); both must pop the same sequence.
        let mut next = lcg(987654321);
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u32)> = Vec::new();
        let mut ids = Vec::new();
        let mut now = 0u64;
        for i in 0..300u32 {
            let t = next() % 64;
            let at = SimTime::from_secs(t);
            ids.push(if i % 7 == 0 {
                q.schedule_tick(at, i)
            } else {
                q.schedule(at, i)
            });
            reference.push((t, i));
        }
        let mut label = 300u32;
        let mut popped = Vec::new();
        let mut expected = Vec::new();
        for step in 0..2_000 {
            match next() % 4 {
                0 | 1 => {
                    // Never in the past: at or after the last popped time.
                    let t = now + next() % 8;
                    let at = SimTime::from_secs(t);
                    ids.push(if next() % 2 == 0 {
                        q.schedule_tick(at, label)
                    } else {
                        q.schedule(at, label)
                    });
                    reference.push((t, label));
                    label += 1;
                }
                2 if step % 5 == 0 => {
                    let id = ids[(next() % ids.len() as u64) as usize];
                    let label = id.0 as u32;
                    let pending = reference.iter().position(|&(_, l)| l == label);
                    assert_eq!(q.cancel(id), pending.is_some());
                    if let Some(k) = pending {
                        reference.remove(k);
                    }
                }
                _ => {
                    let least = reference
                        .iter()
                        .enumerate()
                        .min_by_key(|&(_, &(t, l))| (t, l))
                        .map(|(k, _)| k);
                    let want = least.map(|k| reference.remove(k));
                    let got = q.pop().map(|(t, e)| (t.secs(), e));
                    if let Some((t, _)) = got {
                        now = t;
                    }
                    popped.push(got);
                    expected.push(want);
                }
            }
            assert_eq!(q.len(), reference.len());
        }
        assert_eq!(popped, expected);
    }

    #[test]
    fn a_peek_before_the_first_pop_starts_the_heap() {
        // The peek sorts the calendar; events scheduled after it go to the heap, and one that
        // is earlier than the calendar's head (or ties with it, later in sequence) still pops
        // in (time, sequence) order. A cancelled heap head is skipped while the calendar is
        // not empty.
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(10), 'a');
        q.schedule(SimTime::from_secs(20), 'b');
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(10)));
        let early = q.schedule(SimTime::from_secs(5), 'x');
        q.schedule(SimTime::from_secs(10), 'y');
        q.schedule(SimTime::from_secs(7), 'z');
        assert!(q.cancel(early));
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(7)));
        assert_eq!(
            drain(&mut q),
            vec![(7, 'z'), (10, 'a'), (10, 'y'), (20, 'b')]
        );
    }

    #[test]
    fn cancelled_events_never_pop() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime::from_secs(10), 'a');
        let b = q.schedule(SimTime::from_secs(20), 'b');
        let c = q.schedule(SimTime::from_secs(30), 'c');
        assert_eq!(q.len(), 3);
        // b is pending: cancelling succeeds once, then it is no longer pending.
        assert!(q.cancel(b));
        assert!(!q.cancel(b));
        // 3 scheduled − 1 cancelled = 2 live.
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((SimTime::from_secs(10), 'a')));
        // a already popped: false, no effect on the live count (1: c).
        assert!(!q.cancel(a));
        assert_eq!(q.len(), 1);
        // An id never issued (seq 99 > 2) is unknown.
        assert!(!q.cancel(EventId(99)));
        // b was cancelled, so c is next and then nothing.
        assert_eq!(q.pop(), Some((SimTime::from_secs(30), 'c')));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
        assert!(!q.cancel(c));
    }

    #[test]
    fn peek_time_skips_cancelled_heads() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime::from_secs(1), 0);
        let b = q.schedule(SimTime::from_secs(2), 1);
        let c = q.schedule_tick(SimTime::from_secs(2), 3);
        q.schedule(SimTime::from_secs(3), 2);
        assert!(q.cancel(a));
        assert!(q.cancel(b));
        assert!(q.cancel(c));
        // Heads at t = 1 and t = 2 (one in the tick's slot) are cancelled, so the first live
        // time is 3.
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(3)));
        assert_eq!(q.len(), 1);
        // The discarded heads have left the calendar, the slot and the cancelled set alike.
        assert_eq!(q.calendar.len() + q.heap.len(), 1);
        assert!(q.tick.is_none());
        assert!(q.cancelled.is_empty());
        assert_eq!(q.pop(), Some((SimTime::from_secs(3), 2)));
        assert_eq!(q.peek_time(), None);
    }

    #[test]
    fn pop_until_leaves_later_events() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(5), 'x');
        let y = q.schedule(SimTime::from_secs(6), 'y');
        q.schedule(SimTime::from_secs(9), 'z');
        assert!(q.cancel(y));
        // Due at or before 8: x (5); y (6) is cancelled; z (9) is later and stays.
        assert_eq!(
            q.pop_until(SimTime::from_secs(8)),
            Some((SimTime::from_secs(5), 'x'))
        );
        assert_eq!(q.pop_until(SimTime::from_secs(8)), None);
        assert_eq!(q.len(), 1);
        // Inclusive bound: z pops at end = 9.
        assert_eq!(
            q.pop_until(SimTime::from_secs(9)),
            Some((SimTime::from_secs(9), 'z'))
        );
    }

    #[test]
    fn clear_resets_counter_and_keeps_capacity() {
        let mut q = EventQueue::with_capacity(64);
        let first = q.schedule(SimTime::from_secs(1), ());
        q.schedule(SimTime::from_secs(2), ());
        assert_eq!(q.pop(), Some((SimTime::from_secs(1), ())));
        q.schedule(SimTime::from_secs(4), ());
        q.schedule_tick(SimTime::from_secs(5), ());
        let caps = (q.calendar.capacity(), q.heap.capacity());
        q.clear();
        assert!(q.is_empty());
        assert!(q.tick.is_none());
        assert_eq!((q.calendar.capacity(), q.heap.capacity()), caps);
        // Back to collecting a calendar, to be sorted at the next pop.
        assert!(!q.started);
        // The counter restarts at 0, so the first id after clear equals the first before.
        assert_eq!(q.schedule(SimTime::from_secs(3), ()), first);
    }
}
