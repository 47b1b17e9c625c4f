//! A small, fixed-size quantile sketch for the monthly percentile bands of time series.
//!
//! A 10-year run keeps a distribution for every plan, month and series: thousands of cells.
//! With the 0.1% [`QuantileSketch`](crate::QuantileSketch) each cell's bins cover the
//! whole range its values have reached, and that range widens as rare tail values arrive, so
//! memory kept growing with the run count. Bands are for fan charts and a tidy CSV; 1% is far
//! below what a chart or a tail percentile's Monte Carlo error can show. This sketch trades the
//! precision for a hard memory bound:
//!
//! - **Bins** are groups of [`FINE_PER_BAND_BIN`] consecutive bins of the 0.1% sketch (the
//!   same platform-independent index), so a bin spans a ratio `γ = 2^(10/347) ≈ 1.0202` and
//!   its representative `2·lo·hi/(lo+hi)` is within [`BAND_RELATIVE_ACCURACY`] of every value
//!   in it.
//! - **At most [`BAND_MAX_BINS`] bins per sign** (4 KB of 32-bit counts): the largest magnitude seen
//!   sets the top bin, and smaller magnitudes more than `γ^1024 ≈ 7.7·10⁸` times below it are
//!   counted in the lowest kept bin ("collapsing lowest", as in DDSketch). For cash reaching
//!   $1B, values under about $1.30 share that bin; reported bands are then clamped to the exact
//!   minimum and maximum.
//!
//! The collapse depends only on the multiset of values and on the largest magnitude, never on
//! the order of pushes and merges, so merging stays exact, commutative and associative.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidAccumulator;
use crate::sketch::{
    MAX_INDEX, MIN_INDEX, SortedBins, ZERO_THRESHOLD, bin_index, bin_lower_edge, lower_rank,
};

/// Fine (0.1%) bins per band bin.
pub const FINE_PER_BAND_BIN: i32 = 10;
/// Guaranteed relative accuracy of a band percentile (before clamping to the exact extremes),
/// for magnitudes within `γ^BAND_MAX_BINS` of the largest: `(γ−1)/(γ+1) ≈ 0.00999`.
pub const BAND_RELATIVE_ACCURACY: f64 = 0.01;
/// Bins kept per sign.
pub const BAND_MAX_BINS: i32 = 1024;

/// Counts per band bin for one sign of values: a dense window whose top is the bin of the
/// largest magnitude seen and which never reaches more than `BAND_MAX_BINS` below it.
#[derive(Clone, Debug, Default)]
struct BandStore {
    /// Bin index of `counts[0]`.
    offset: i32,
    /// Counts per bin: 32 bits, since no cell ever sees more values than the run cap
    /// (10⁸ runs, validated); adds saturate regardless.
    counts: Vec<u32>,
}

impl BandStore {
    /// The index of the highest bin held, if any.
    fn top(&self) -> Option<i32> {
        (!self.counts.is_empty()).then(|| self.offset + self.counts.len() as i32 - 1)
    }

    fn add(&mut self, bin: i32, count: u32) {
        let Some(top) = self.top() else {
            self.offset = bin;
            self.counts = vec![count];
            return;
        };
        if bin > top {
            self.raise_top(bin);
        }
        // A bin below the window was collapsed: it counts in the lowest kept bin.
        let bin = bin.max(self.offset);
        let k = (bin - self.offset) as usize;
        self.counts[k] = self.counts[k].saturating_add(count);
    }

    /// Extends the window up to `top`, keeping it at most `BAND_MAX_BINS` wide by folding the
    /// lowest bins into the lowest kept one. The new buffer has a little slack for further
    /// growth but never more than `BAND_MAX_BINS` slots, which is the memory bound.
    fn raise_top(&mut self, top: i32) {
        let offset = self.offset.max(top - BAND_MAX_BINS + 1);
        let len = (top - offset + 1) as usize;
        let mut counts = Vec::with_capacity((len + 16).min(BAND_MAX_BINS as usize));
        let dropped = (offset - self.offset) as usize;
        if dropped > 0 {
            let folded = self.counts.iter().take(dropped + 1);
            counts.push(folded.fold(0u32, |a, &c| a.saturating_add(c)));
            counts.extend(self.counts.iter().skip(dropped + 1));
        } else {
            counts.extend_from_slice(&self.counts);
        }
        counts.resize(len, 0);
        self.counts = counts;
        self.offset = offset;
    }

    /// Lowers the window's start to `bin` if that stays within `BAND_MAX_BINS` of the top.
    fn reach_down(&mut self, bin: i32) -> i32 {
        let Some(top) = self.top() else { return bin };
        let floor = (top - BAND_MAX_BINS + 1).max(bin);
        if floor < self.offset {
            let grow = (self.offset - floor) as usize;
            let mut counts = vec![0; grow + self.counts.len()];
            counts[grow..].copy_from_slice(&self.counts);
            self.counts = counts;
            self.offset = floor;
        }
        floor
    }

    fn push(&mut self, bin: i32) {
        self.push_many(bin, 1);
    }

    fn merge(&mut self, other: &BandStore) {
        let Some(other_top) = other.top() else { return };
        // Raise the top first, so that everything below collapses against the final top.
        self.add(other_top, 0);
        for (k, &c) in other.counts.iter().enumerate() {
            if c != 0 {
                self.push_many(other.offset + k as i32, c);
            }
        }
    }

    fn push_many(&mut self, bin: i32, count: u32) {
        let at = if self.top().is_some() && bin < self.offset {
            self.reach_down(bin)
        } else {
            bin
        };
        self.add(at, count);
    }

    /// Non-zero bins as `(index, count)`, ascending.
    fn bins(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != 0)
            .map(|(k, &c)| (self.offset + k as i32, u64::from(c)))
    }

    fn heap_bytes(&self) -> usize {
        self.counts.capacity() * size_of::<u32>()
    }
}

/// Representative magnitude of band bin `bin`: `2·lo·hi/(lo+hi)` of its edges.
fn band_value(bin: i32) -> f64 {
    let lo = bin_lower_edge(bin * FINE_PER_BAND_BIN);
    let hi = bin_lower_edge((bin + 1) * FINE_PER_BAND_BIN);
    if hi.is_finite() {
        2.0 * lo * hi / (lo + hi)
    } else {
        lo
    }
}

/// A fixed-size mergeable sketch of one stream of values (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct BandSketch {
    positive: BandStore,
    negative: BandStore,
    zero: u64,
    count: u64,
    min: f64,
    max: f64,
}

impl BandSketch {
    /// Bins allocated in memory (both signs): what the sketch costs, for measuring memory
    /// (`examples/statistics_memory.rs`).
    pub fn allocated_bins(&self) -> usize {
        self.positive.counts.capacity() + self.negative.counts.capacity()
    }

    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value; non-finite values are ignored.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        let magnitude = x.abs();
        if magnitude < ZERO_THRESHOLD {
            self.zero += 1;
        } else {
            let bin = bin_index(magnitude).div_euclid(FINE_PER_BAND_BIN);
            if x > 0.0 {
                self.positive.push(bin);
            } else {
                self.negative.push(bin);
            }
        }
        self.note_extremes(x, x);
        self.count += 1;
    }

    fn note_extremes(&mut self, min: f64, max: f64) {
        if self.count == 0 {
            (self.min, self.max) = (min, max);
        } else {
            self.min = self.min.min(min);
            self.max = self.max.max(max);
        }
    }

    /// Adds every value of `other` (exact; order and grouping never matter).
    pub fn merge(&mut self, other: &BandSketch) {
        if other.count == 0 {
            return;
        }
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zero += other.zero;
        self.note_extremes(other.min, other.max);
        self.count += other.count;
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.positive.heap_bytes() + self.negative.heap_bytes()
    }

    /// Lower sample quantiles (the rank rule of [`lower_rank`](crate::sketch::lower_rank))
    /// at each level, clamped to the exact minimum and maximum; None when empty.
    pub fn quantiles<const N: usize>(&self, levels: [f64; N]) -> Option<[f64; N]> {
        let negatives = self.negative.bins().rev().map(|(b, c)| (-band_value(b), c));
        let zeros = std::iter::once((0.0, self.zero)).filter(|&(_, c)| c != 0);
        let positives = self.positive.bins().map(|(b, c)| (band_value(b), c));
        let sorted = SortedBins::from_sorted(
            negatives.chain(zeros).chain(positives).collect(),
            self.count,
        );
        let last = self.count.checked_sub(1)?;
        let mut out = [0.0; N];
        for (o, q) in out.iter_mut().zip(levels) {
            // The extremes are known exactly; a bin's representative is not.
            *o = match lower_rank(q, self.count)? {
                0 => self.min,
                rank if rank == last => self.max,
                _ => sorted.quantile(q)?.clamp(self.min, self.max),
            };
        }
        Some(out)
    }
}

/// The stored form: canonical non-zero bins, ascending, per sign.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BandWire {
    count: u64,
    zero: u64,
    min: f64,
    max: f64,
    positive: Vec<(i32, u64)>,
    negative: Vec<(i32, u64)>,
}

impl Serialize for BandSketch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        BandWire {
            count: self.count,
            zero: self.zero,
            min: if self.count == 0 { 0.0 } else { self.min },
            max: if self.count == 0 { 0.0 } else { self.max },
            positive: self.positive.bins().collect(),
            negative: self.negative.bins().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BandSketch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = BandWire::deserialize(deserializer)?;
        BandSketch::try_from(wire).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<BandWire> for BandSketch {
    type Error = InvalidAccumulator;

    /// Rebuilds a sketch from stored bins, refusing anything a real sketch could not hold
    /// (shard files are user input).
    fn try_from(w: BandWire) -> Result<Self, InvalidAccumulator> {
        let (lowest, highest) = (
            MIN_INDEX.div_euclid(FINE_PER_BAND_BIN),
            MAX_INDEX.div_euclid(FINE_PER_BAND_BIN),
        );
        let mut summed = u128::from(w.zero);
        let mut sketch = BandSketch::new();
        for (bins, store) in [
            (&w.positive, &mut sketch.positive),
            (&w.negative, &mut sketch.negative),
        ] {
            let mut previous: Option<i32> = None;
            for &(bin, count) in bins {
                if !(lowest..=highest).contains(&bin) {
                    return Err(InvalidAccumulator::BinIndexOutOfRange {
                        index: i64::from(bin),
                        min: lowest,
                        max: highest,
                    });
                }
                let Ok(count) = u32::try_from(count) else {
                    return Err(InvalidAccumulator::CountMismatch {
                        stored: w.count,
                        summed: u128::from(count),
                    });
                };
                if count == 0 || previous.is_some_and(|p| p >= bin) {
                    return Err(InvalidAccumulator::NonCanonicalBins { index: bin });
                }
                previous = Some(bin);
                summed += u128::from(count);
            }
            if let (Some(first), Some(last)) = (bins.first(), bins.last())
                && last.0 - first.0 >= BAND_MAX_BINS
            {
                return Err(InvalidAccumulator::NonCanonicalBins { index: first.0 });
            }
            // Highest first, so the window is placed once and never collapses.
            for &(bin, count) in bins.iter().rev() {
                // Checked above to fit.
                store.push_many(bin, u32::try_from(count).unwrap_or(u32::MAX));
            }
        }
        if summed != u128::from(w.count) {
            return Err(InvalidAccumulator::CountMismatch {
                stored: w.count,
                summed,
            });
        }
        if w.count > 0 && !(w.min.is_finite() && w.max.is_finite() && w.min <= w.max) {
            return Err(InvalidAccumulator::CountMismatch {
                stored: w.count,
                summed,
            });
        }
        sketch.zero = w.zero;
        sketch.count = w.count;
        (sketch.min, sketch.max) = (w.min, w.max);
        Ok(sketch)
    }
}

impl PartialEq for BandSketch {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.zero == other.zero
            && (self.count == 0 || (self.min == other.min && self.max == other.max))
            && self.positive.bins().eq(other.positive.bins())
            && self.negative.bins().eq(other.negative.bins())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch_of(values: impl IntoIterator<Item = f64>) -> BandSketch {
        let mut s = BandSketch::new();
        for x in values {
            s.push(x);
        }
        s
    }

    #[test]
    fn band_bins_meet_the_stated_accuracy() {
        // γ = 2^(10/347); (γ−1)/(γ+1) must not exceed 1%.
        let gamma = 2f64.powf(10.0 / 347.0);
        assert!((gamma - 1.0) / (gamma + 1.0) <= BAND_RELATIVE_ACCURACY);
        // Every value of 1..=100,000 (one per integer) is within 1% of its bin's value.
        for k in 1..=100_000 {
            let x = f64::from(k);
            let v = band_value(bin_index(x).div_euclid(FINE_PER_BAND_BIN));
            assert!((v / x - 1.0).abs() <= BAND_RELATIVE_ACCURACY, "{x} -> {v}");
        }
    }

    #[test]
    fn percentiles_of_one_to_ten_thousand() {
        // Lower-rank percentiles of 1..=10,000: rank ⌊q·9999⌋, value rank + 1; p5 = 500,
        // p25 = 2500, p50 = 5000, p75 = 7500, p95 = 9500 (within 1%). Extremes are exact.
        let s = sketch_of((1..=10_000).rev().map(f64::from));
        let got = s
            .quantiles([0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
            .unwrap();
        for (g, want) in got[1..6]
            .iter()
            .zip([500.0, 2500.0, 5000.0, 7500.0, 9500.0])
        {
            assert!((g / want - 1.0).abs() <= 0.01, "{g} vs {want}");
        }
        assert_eq!((got[0], got[6]), (1.0, 10_000.0));
    }

    #[test]
    fn mixed_signs_and_zeros() {
        // −50..=50 with 101 values: p50 at rank 50 is 0; p5 at rank 5 is −45; p95 at rank 95
        // is 45.
        let s = sketch_of((-50..=50).map(f64::from));
        let [p5, p50, p95] = s.quantiles([0.05, 0.5, 0.95]).unwrap();
        assert_eq!(p50, 0.0);
        assert!((p5 / -45.0 - 1.0).abs() <= 0.01 && (p95 / 45.0 - 1.0).abs() <= 0.01);
    }

    #[test]
    fn merge_is_exact_in_any_order_even_when_collapsing() {
        // Magnitudes over 30 decades force collapsing; chunks merged in any order and
        // grouping must equal one pass.
        let values: Vec<f64> = (0..3_000)
            .map(|i| {
                let sign = if i % 3 == 0 { -1.0 } else { 1.0 };
                sign * 10f64.powf(f64::from(i % 300) / 10.0 - 5.0)
            })
            .collect();
        let whole = sketch_of(values.iter().copied());
        let chunks: Vec<BandSketch> = values
            .chunks(128)
            .map(|c| sketch_of(c.iter().copied()))
            .collect();
        let mut forward = BandSketch::new();
        for c in &chunks {
            forward.merge(c);
        }
        let mut backward = BandSketch::new();
        for c in chunks.iter().rev() {
            backward.merge(c);
        }
        let mut pairs = BandSketch::new();
        for pair in chunks.chunks(2) {
            let mut p = pair[0].clone();
            if let Some(second) = pair.get(1) {
                p.merge(second);
            }
            pairs.merge(&p);
        }
        assert_eq!(forward, whole);
        assert_eq!(backward, whole);
        assert_eq!(pairs, whole);
        let levels = [0.05, 0.25, 0.5, 0.75, 0.95];
        assert_eq!(forward.quantiles(levels), whole.quantiles(levels));
    }

    #[test]
    fn json_round_trip_and_hostile_input() {
        let s = sketch_of((-300..=700).map(|i| f64::from(i) * 1.7e3));
        let json = serde_json::to_string(&s).unwrap();
        let back: BandSketch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let levels = [0.05, 0.5, 0.95];
        assert_eq!(back.quantiles(levels), s.quantiles(levels));
        // A bin far outside any finite value's range, a count that does not add up, and bins
        // out of order are refused, not trusted.
        for bad in [
            r#"{"count":1,"zero":0,"min":1,"max":1,"positive":[[99999999,1]],"negative":[]}"#,
            r#"{"count":5,"zero":0,"min":1,"max":1,"positive":[[0,1]],"negative":[]}"#,
            r#"{"count":2,"zero":0,"min":1,"max":2,"positive":[[3,1],[2,1]],"negative":[]}"#,
            r#"{"count":2,"zero":0,"min":1,"max":2,"positive":[[0,1],[5000,1]],"negative":[]}"#,
        ] {
            assert!(serde_json::from_str::<BandSketch>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_is_bounded_whatever_the_range_and_count() {
        // 200,000 values spread over 1e-8 .. 1e300 and both signs: each sign keeps at most
        // BAND_MAX_BINS counts of 4 bytes.
        let mut s = BandSketch::new();
        for i in 0..200_000u32 {
            let x = 10f64.powf(f64::from(i % 3081) / 10.0 - 8.0);
            s.push(if i % 2 == 0 { x } else { -x });
        }
        assert!(
            s.heap_bytes() <= 2 * BAND_MAX_BINS as usize * 4,
            "{}",
            s.heap_bytes()
        );
        assert_eq!(s.count(), 200_000);
        // The median of a symmetric sample is the smallest positive or negative magnitude
        // band; it lies in the collapsed bin, clamped within the extremes.
        assert!(s.quantiles([0.5]).is_some());
    }
}
