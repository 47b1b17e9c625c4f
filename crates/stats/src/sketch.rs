//! A mergeable quantile sketch with 0.1% relative accuracy, in the style of DDSketch.
//!
//! Percentiles of millions of per-run values cannot be computed from a `Vec` of them without
//! memory growing with the number of runs, and a sketch whose merge depends on order would make
//! results depend on sharding. This sketch does neither: it maps each value to a logarithmic bin
//! and only counts, so memory is bounded by the value *range*, and `merge` is integer addition —
//! exact, commutative and associative.
//!
//! # Bins
//!
//! A magnitude `a = |x|` with `a ≥` [`ZERO_THRESHOLD`] falls in bin `i = ⌊K·log2 a⌋`, with
//! `K =` [`BINS_PER_OCTAVE`] `= 347`, i.e. bin `i` holds `[γ^i, γ^(i+1))` with `γ = 2^(1/347) ≈
//! 1.0019995`. Positive and negative values have separate bin stores; `|x| <`
//! [`ZERO_THRESHOLD`] counts as zero. A bin is reported by its representative
//! `2·lo·hi/(lo+hi)`, which is within `(γ−1)/(γ+1) ≈ 0.000999 <` [`RELATIVE_ACCURACY`] of every
//! value in `[lo, hi)`.
//!
//! `K` is chosen so that an octave holds a whole number of bins: the index is then computed from
//! the float's exponent bits plus a table lookup on its mantissa, without calling `ln`. That is
//! cheaper, and — unlike the platform `libm` — gives the same bin on every machine, so shards run
//! on different hosts still merge into exactly what one run would produce. The tables are built
//! at compile time with IEEE basic arithmetic only.
//!
//! # Memory
//!
//! Each sign first buffers raw bin indices (4 bytes per value) and, every [`PENDING_MAX`]
//! values, counts them into a dense `Vec<u32>` window over the span of indices seen, plus up to
//! 12.5% growth slack. A sketch that holds fewer than `PENDING_MAX` values per sign — a
//! per-chunk accumulator — therefore needs at most 4 KB per sign whatever the range. Beyond
//! that, the window holds at most `K·log2(max/min) + 1` bins (4 bytes each) for magnitudes in
//! `[min, max]`: values spanning 1 to 10⁵ use about 5,800 bins (23 KB), two decades about
//! 2,300 (9 KB). Values crossing zero reach small magnitudes, so a normal distribution of
//! NPVs (±10⁷ USD) spans about 4,500 bins per sign, and its smallest magnitude — hence the
//! span — extends by about one decade (1,150 bins, 4.6 KB) for every tenfold increase in the
//! number of values. The worst case, magnitudes from 10⁻⁹ to `f64::MAX`, is about 366,000 bins
//! (1.5 MB) per sign. Counts are 32-bit and saturate at 4,294,967,295 per bin, far above the
//! run cap (10⁸).
//!
//! # Non-finite input
//!
//! NaN and ±∞ are not binned (they have no place in an order statistic); they are counted in
//! [`QuantileSketch::non_finite`] and excluded from [`QuantileSketch::count`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidAccumulator;

/// Guaranteed relative accuracy of [`QuantileSketch::quantile`]: the returned value `v` and the
/// exact sample quantile `x` satisfy `|v − x| ≤ RELATIVE_ACCURACY·|x|` (for `|x| ≥`
/// [`ZERO_THRESHOLD`]). The bins achieve about 0.000999.
pub const RELATIVE_ACCURACY: f64 = 0.001;

/// Values with `|x|` below this are counted as exactly zero (reported as `0.0`), in the units of
/// the values pushed.
pub const ZERO_THRESHOLD: f64 = 1e-9;

/// Bins per doubling of magnitude: the smallest whole number whose bin ratio `2^(1/K)` keeps the
/// representative within [`RELATIVE_ACCURACY`].
pub const BINS_PER_OCTAVE: i32 = 347;

const K: usize = BINS_PER_OCTAVE as usize;
const MANTISSA_BITS: u32 = 52;
const MANTISSA_MASK: u64 = (1 << MANTISSA_BITS) - 1;
const EXPONENT_BIAS: i32 = 1023;
const ONE_BITS: u64 = (EXPONENT_BIAS as u64) << MANTISSA_BITS;
/// The top mantissa bits used to look up a first guess of the in-octave bin. A lookup cell is
/// 2⁻¹⁰ wide, narrower than the narrowest bin (≈ 0.0020), so it straddles at most one boundary.
const LOOKUP_BITS: u32 = 10;

/// Lowest valid bin index: the start of the octave `[2⁻³⁰, 2⁻²⁹)` holding [`ZERO_THRESHOLD`].
pub(crate) const MIN_INDEX: i32 = -30 * BINS_PER_OCTAVE;
/// Highest valid bin index: the last bin of the octave holding `f64::MAX`.
pub(crate) const MAX_INDEX: i32 = 1023 * BINS_PER_OCTAVE + BINS_PER_OCTAVE - 1;

/// Minimum number of bins added when a store grows, on each side that grows.
const GROWTH_MIN: i32 = 32;

/// Rank nudge: `q·(n−1)` is scaled by `1 + 4ε` before flooring, so that a decimal level such as
/// 0.29 with `n − 1 = 100` (computed as 28.999999999999996) lands on the rank 29 it denotes.
const RANK_NUDGE: f64 = 4.0 * f64::EPSILON;

/// `e^x` by its Taylor series, in IEEE basic arithmetic only (usable in const evaluation and
/// identical on every platform). Accurate to a few ulps for `0 ≤ x ≤ ln 2`.
const fn exp_series(x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1;
    while k < 30 {
        term = term * x / k as f64;
        sum += term;
        k += 1;
    }
    sum
}

/// `BOUNDS[j] = 2^(j/K)`: the lower edge of in-octave bin `j` for a mantissa in `[1, 2)`.
const fn build_bounds() -> [f64; K + 1] {
    let mut bounds = [0.0; K + 1];
    let mut j = 0;
    while j < K {
        bounds[j] = exp_series(j as f64 * std::f64::consts::LN_2 / K as f64);
        j += 1;
    }
    bounds[0] = 1.0;
    bounds[K] = 2.0;
    bounds
}

/// `REPS[j]`: the representative `2·lo·hi/(lo+hi)` of in-octave bin `j`, which has the same
/// relative error to both edges.
const fn build_reps(bounds: &[f64; K + 1]) -> [f64; K] {
    let mut reps = [0.0; K];
    let mut j = 0;
    while j < K {
        let (lo, hi) = (bounds[j], bounds[j + 1]);
        reps[j] = 2.0 * lo * hi / (lo + hi);
        j += 1;
    }
    reps
}

/// `LOOKUP[s]`: the bin holding the mantissa `1 + s/2^LOOKUP_BITS`, the lower edge of cell `s`.
const fn build_lookup(bounds: &[f64; K + 1]) -> [u16; 1 << LOOKUP_BITS] {
    let mut lookup = [0u16; 1 << LOOKUP_BITS];
    let mut s = 0;
    let mut j = 0;
    while s < lookup.len() {
        let cell_lo = 1.0 + s as f64 / (1u64 << LOOKUP_BITS) as f64;
        while j + 1 < K && bounds[j + 1] <= cell_lo {
            j += 1;
        }
        lookup[s] = j as u16;
        s += 1;
    }
    lookup
}

static BOUNDS: [f64; K + 1] = build_bounds();
static REPS: [f64; K] = build_reps(&BOUNDS);
static LOOKUP: [u16; 1 << LOOKUP_BITS] = build_lookup(&BOUNDS);

/// Bin index of a magnitude `a`, which must satisfy `ZERO_THRESHOLD ≤ a ≤ f64::MAX`.
#[inline]
pub(crate) fn bin_index(magnitude: f64) -> i32 {
    let bits = magnitude.to_bits();
    let exponent = (bits >> MANTISSA_BITS) as i32 - EXPONENT_BIAS;
    let fraction = bits & MANTISSA_MASK;
    let mantissa = f64::from_bits(fraction | ONE_BITS);
    let mut j = LOOKUP[(fraction >> (MANTISSA_BITS - LOOKUP_BITS)) as usize] as usize;
    // `BOUNDS[K] = 2 > mantissa`, so this never steps past the last bin.
    if mantissa >= BOUNDS[j + 1] {
        j += 1;
    }
    exponent * BINS_PER_OCTAVE + j as i32
}

/// Lower edge `γ^index` of bin `index` (`MIN_INDEX ..= MAX_INDEX + 1`).
pub(crate) fn bin_lower_edge(index: i32) -> f64 {
    let exponent = index.div_euclid(BINS_PER_OCTAVE);
    let j = index.rem_euclid(BINS_PER_OCTAVE) as usize;
    BOUNDS[j] * f64::from_bits(((exponent + EXPONENT_BIAS) as u64) << MANTISSA_BITS)
}

/// Representative magnitude of bin `index` (`MIN_INDEX ..= MAX_INDEX`).
#[inline]
fn bin_value(index: i32) -> f64 {
    let exponent = index.div_euclid(BINS_PER_OCTAVE);
    let j = index.rem_euclid(BINS_PER_OCTAVE) as usize;
    // 2^exponent built from its bits: exact, and normal for every valid index.
    let scale = f64::from_bits(((exponent + EXPONENT_BIAS) as u64) << MANTISSA_BITS);
    REPS[j] * scale
}

/// The 0-based rank of the lower sample `q`-quantile of `n` values: `⌊q·(n−1)⌋`, computed in
/// `f64` with a 4-ulp upward nudge (see the module source) and capped at `n − 1`.
///
/// `None` when `n = 0` or `q` is outside `[0, 1]` (including NaN).
pub fn lower_rank(q: f64, n: u64) -> Option<u64> {
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let last = n - 1;
    let h = q * last as f64 * (1.0 + RANK_NUDGE);
    // `h ≥ 0`, so the saturating cast is a floor.
    Some((h as u64).min(last))
}

/// Values buffered as raw bin indices before they are counted into the dense window. A sketch
/// that never receives more than this many values per sign (e.g. one per run of a small chunk)
/// never allocates a window: 4 bytes per value instead of 8 bytes per bin of the value range.
pub const PENDING_MAX: usize = 1024;

/// Counts per bin index for one sign: a dense window `offset .. offset + counts.len()` plus a
/// buffer of indices not yet counted into it.
///
/// The split between window and buffer, and the window's growth slack, depend on the history of
/// pushes and merges; equality and serialization use only the canonical list of non-zero bins
/// ([`BinStore::bins`]), which depends on the multiset of indices alone.
#[derive(Clone, Default)]
struct BinStore {
    offset: i32,
    counts: Vec<u32>,
    pending: Vec<i32>,
}

impl BinStore {
    #[inline]
    fn add(&mut self, index: i32) {
        self.pending.push(index);
        if self.pending.len() >= PENDING_MAX {
            self.flush();
        }
    }

    /// Counts the buffered indices into the window.
    fn flush(&mut self) {
        let (Some(&lo), Some(&hi)) = (self.pending.iter().min(), self.pending.iter().max()) else {
            return;
        };
        self.cover(lo, hi);
        for &index in &self.pending {
            let k = (index - self.offset) as usize;
            self.counts[k] = self.counts[k].saturating_add(1);
        }
        self.pending.clear();
    }

    /// Grows the window to include `lo ..= hi` (both within `MIN_INDEX ..= MAX_INDEX`), with
    /// slack of an eighth of the new span (at least `GROWTH_MIN`) on each side that grows.
    fn cover(&mut self, lo: i32, hi: i32) {
        if self.counts.is_empty() {
            let new_lo = (lo - GROWTH_MIN).max(MIN_INDEX);
            let new_hi = (hi + GROWTH_MIN).min(MAX_INDEX);
            self.offset = new_lo;
            self.counts = vec![0; (new_hi - new_lo + 1) as usize];
            return;
        }
        let cur_lo = self.offset;
        let cur_hi = self.offset + self.counts.len() as i32 - 1;
        if lo >= cur_lo && hi <= cur_hi {
            return;
        }
        let mut new_lo = cur_lo.min(lo);
        let mut new_hi = cur_hi.max(hi);
        let slack = ((new_hi - new_lo + 1) / 8).max(GROWTH_MIN);
        if new_lo < cur_lo {
            new_lo = (new_lo - slack).max(MIN_INDEX);
        }
        if new_hi > cur_hi {
            new_hi = (new_hi + slack).min(MAX_INDEX);
        }
        let new_len = (new_hi - new_lo + 1) as usize;
        if new_lo < cur_lo {
            let mut counts = vec![0; new_len];
            let start = (cur_lo - new_lo) as usize;
            counts[start..start + self.counts.len()].copy_from_slice(&self.counts);
            self.counts = counts;
            self.offset = new_lo;
        } else {
            self.counts.resize(new_len, 0);
        }
    }

    /// The window's span from its first to its last non-zero bin, with the index of the first.
    fn window(&self) -> (i32, &[u32]) {
        let Some(first) = self.counts.iter().position(|&c| c != 0) else {
            return (0, &[]);
        };
        let last = self.counts.iter().rposition(|&c| c != 0).unwrap_or(first);
        (self.offset + first as i32, &self.counts[first..=last])
    }

    fn merge(&mut self, other: &BinStore) {
        let (lo, counts) = other.window();
        if !counts.is_empty() {
            let hi = lo + counts.len() as i32 - 1;
            self.cover(lo, hi);
            let start = (lo - self.offset) as usize;
            for (mine, theirs) in self.counts[start..start + counts.len()]
                .iter_mut()
                .zip(counts)
            {
                *mine = mine.saturating_add(*theirs);
            }
        }
        for &index in &other.pending {
            self.add(index);
        }
    }

    /// Canonical content: the non-zero bins as `(index, count)`, ascending by index.
    fn bins(&self) -> Vec<(i32, u64)> {
        let mut pending = self.pending.clone();
        pending.sort_unstable();
        let mut buffered: Vec<(i32, u64)> = Vec::new();
        for index in pending {
            match buffered.last_mut() {
                Some((last, c)) if *last == index => *c += 1,
                _ => buffered.push((index, 1)),
            }
        }
        let (lo, counts) = self.window();
        let windowed = counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != 0)
            .map(|(k, &c)| (lo + k as i32, u64::from(c)));
        // Merge two ascending lists, adding counts of equal indices.
        let mut out = Vec::with_capacity(buffered.len() + counts.len());
        let mut buffered = buffered.into_iter().peekable();
        for (index, c) in windowed {
            while let Some(&(b, bc)) = buffered.peek() {
                if b >= index {
                    break;
                }
                out.push((b, bc));
                buffered.next();
            }
            match buffered.peek() {
                Some(&(b, bc)) if b == index => {
                    out.push((index, c.saturating_add(bc)));
                    buffered.next();
                }
                _ => out.push((index, c)),
            }
        }
        out.extend(buffered);
        out
    }

    fn total(&self) -> u128 {
        let windowed: u128 = self.counts.iter().map(|&c| u128::from(c)).sum();
        windowed + self.pending.len() as u128
    }

    fn heap_bytes(&self) -> usize {
        self.counts.capacity() * size_of::<u32>() + self.pending.capacity() * size_of::<i32>()
    }
}

/// Thousands of counts help nobody reading a failed assertion: show the occupied span.
impl std::fmt::Debug for BinStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bins = self.bins();
        f.debug_struct("BinStore")
            .field("first_bin", &bins.first())
            .field("last_bin", &bins.last())
            .field("occupied", &bins.len())
            .field("total", &self.total())
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

impl PartialEq for BinStore {
    fn eq(&self, other: &Self) -> bool {
        self.bins() == other.bins()
    }
}

/// Canonical form: the list of non-zero `[index, count]` pairs, ascending, so equal stores
/// serialize to equal bytes whatever their history, and a store holding few values is small.
impl Serialize for BinStore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.bins().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BinStore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bins = Vec::<(i32, u64)>::deserialize(deserializer)?;
        BinStore::from_bins(&bins).map_err(serde::de::Error::custom)
    }
}

impl BinStore {
    /// Rebuilds a store from canonical bins, checking that indices are valid and strictly
    /// ascending and counts positive. Small stores go back into the buffer, large ones into a
    /// window, as a function of the content only.
    fn from_bins(bins: &[(i32, u64)]) -> Result<Self, InvalidAccumulator> {
        let mut total: u128 = 0;
        let mut previous: Option<i32> = None;
        for &(index, count) in bins {
            if !(MIN_INDEX..=MAX_INDEX).contains(&index) {
                return Err(InvalidAccumulator::BinIndexOutOfRange {
                    index: i64::from(index),
                    min: MIN_INDEX,
                    max: MAX_INDEX,
                });
            }
            if count == 0 || previous.is_some_and(|p| p >= index) {
                return Err(InvalidAccumulator::NonCanonicalBins { index });
            }
            previous = Some(index);
            total += u128::from(count);
        }
        let mut store = BinStore::default();
        if total < PENDING_MAX as u128 {
            for &(index, count) in bins {
                store
                    .pending
                    .extend(std::iter::repeat_n(index, count as usize));
            }
        } else if let (Some(&(lo, _)), Some(&(hi, _))) = (bins.first(), bins.last()) {
            store.cover(lo, hi);
            for &(index, count) in bins {
                // Bins hold 32-bit counts (see `BinStore`); a larger one cannot come from a run.
                let count = u32::try_from(count)
                    .map_err(|_| InvalidAccumulator::NonCanonicalBins { index })?;
                store.counts[(index - store.offset) as usize] = count;
            }
        }
        Ok(store)
    }
}

/// Mergeable quantile sketch of a stream of `f64`, with relative accuracy
/// [`RELATIVE_ACCURACY`] (0.1%). See the [module docs](self) for the bins and memory bound.
///
/// Equality compares counts bin by bin, so it is exact; two sketches fed the same multiset of
/// values, in any order and through any tree of merges, are equal and serialize identically.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "SketchWire")]
pub struct QuantileSketch {
    /// Finite values pushed: zero + positive + negative bins.
    count: u64,
    /// Values with `|x| < ZERO_THRESHOLD`.
    zero: u64,
    /// NaN and ±∞ values pushed and ignored.
    non_finite: u64,
    positive: BinStore,
    /// Bins of `|x|` for negative `x`.
    negative: BinStore,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SketchWire {
    count: u64,
    zero: u64,
    non_finite: u64,
    positive: BinStore,
    negative: BinStore,
}

impl TryFrom<SketchWire> for QuantileSketch {
    type Error = InvalidAccumulator;

    fn try_from(w: SketchWire) -> Result<Self, Self::Error> {
        let summed = u128::from(w.zero) + w.positive.total() + w.negative.total();
        if summed != u128::from(w.count) {
            return Err(InvalidAccumulator::CountMismatch {
                stored: w.count,
                summed,
            });
        }
        Ok(QuantileSketch {
            count: w.count,
            zero: w.zero,
            non_finite: w.non_finite,
            positive: w.positive,
            negative: w.negative,
        })
    }
}

impl PartialEq for QuantileSketch {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.zero == other.zero
            && self.non_finite == other.non_finite
            && self.positive == other.positive
            && self.negative == other.negative
    }
}

impl QuantileSketch {
    /// An empty sketch. Allocates nothing until the first non-zero value.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value. Finite values are binned (or counted as zero when `|x| <`
    /// [`ZERO_THRESHOLD`]); NaN and ±∞ are counted in [`non_finite`](Self::non_finite) only.
    ///
    /// Cost: a few integer operations, one table lookup and a `Vec` append; every
    /// [`PENDING_MAX`] values per sign, the buffer is counted into the window (which allocates
    /// only when values fall outside the range already held).
    #[inline]
    pub fn push(&mut self, x: f64) {
        let magnitude = x.abs();
        if magnitude < ZERO_THRESHOLD {
            self.zero = self.zero.saturating_add(1);
        } else if magnitude <= f64::MAX {
            let index = bin_index(magnitude);
            if x > 0.0 {
                self.positive.add(index);
            } else {
                self.negative.add(index);
            }
        } else {
            // NaN fails both comparisons above; ±∞ fails the second.
            self.non_finite = self.non_finite.saturating_add(1);
            return;
        }
        self.count = self.count.saturating_add(1);
    }

    /// Adds every value of `other` to `self`. Exact: bins are integer counts, so merging is
    /// commutative and associative and the result equals a single pass over all values.
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zero = self.zero.saturating_add(other.zero);
        self.count = self.count.saturating_add(other.count);
        self.non_finite = self.non_finite.saturating_add(other.non_finite);
    }

    /// Bins allocated in memory (both signs' windows and buffers): what the sketch costs,
    /// for measuring memory (`examples/statistics_memory.rs`), not part of its value.
    pub fn allocated_bins(&self) -> usize {
        [&self.positive, &self.negative]
            .iter()
            .map(|s| s.counts.capacity() + s.pending.capacity())
            .sum()
    }

    /// Number of finite values pushed (NaN and ±∞ excluded).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of NaN and ±∞ values pushed and ignored.
    pub fn non_finite(&self) -> u64 {
        self.non_finite
    }

    /// `true` when no finite value has been pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Heap memory held, in bytes: windows (slack included) and buffers of both signs.
    pub fn heap_bytes(&self) -> usize {
        self.positive.heap_bytes() + self.negative.heap_bytes()
    }

    /// Approximate lower sample `q`-quantile, `q ∈ [0, 1]`.
    ///
    /// Rank rule: of the `n` finite values sorted ascending, the one at 0-based rank
    /// [`lower_rank`]`(q, n) = ⌊q·(n−1)⌋` — no interpolation, so `q = 0` is the minimum and
    /// `q = 1` the maximum. The result is the representative of the bin holding that value, so
    /// it is within [`RELATIVE_ACCURACY`] of it (or is `0.0` when it is below
    /// [`ZERO_THRESHOLD`] in magnitude).
    ///
    /// `None` when the sketch is empty or `q` is outside `[0, 1]` or NaN. Each call walks the
    /// bins; for many levels, take [`sorted`](Self::sorted) once.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sorted().quantile(q)
    }

    /// Approximate mean of the values at or below the lower `q`-quantile: the mean of the
    /// `lower_rank(q, n) + 1` smallest values (the left tail used for CVaR).
    ///
    /// Computed from bin representatives, so each term is within [`RELATIVE_ACCURACY`] of its
    /// value: when the tail has one sign the result is within that relative error of the exact
    /// tail mean; with mixed signs the error is at most `RELATIVE_ACCURACY ×` the mean of `|x|`
    /// over the tail. Terms are summed in ascending bin order, so the result is a deterministic
    /// function of the bins. `None` under the same conditions as [`quantile`](Self::quantile).
    pub fn tail_mean_below(&self, q: f64) -> Option<f64> {
        self.sorted().tail_mean_below(q)
    }

    /// The occupied bins in ascending order of value, for several quantile queries, a CDF or a
    /// histogram. Costs one pass over the bins.
    pub fn sorted(&self) -> SortedBins {
        // Larger negative indices are larger magnitudes, hence smaller values: reverse them.
        let negatives = self.negative.bins().into_iter().rev();
        let negatives = negatives.map(|(i, c)| (-bin_value(i), c));
        let zeros = std::iter::once((0.0, self.zero)).filter(|&(_, c)| c != 0);
        let positives = self.positive.bins().into_iter();
        let positives = positives.map(|(i, c)| (bin_value(i), c));
        SortedBins {
            bins: negatives.chain(zeros).chain(positives).collect(),
            count: self.count,
        }
    }
}

/// A sketch's occupied bins as `(representative value, count)`, ascending by value.
///
/// Taken from a [`QuantileSketch`] by [`QuantileSketch::sorted`]; answers quantile queries
/// with the same rank rule and accuracy.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedBins {
    bins: Vec<(f64, u64)>,
    count: u64,
}

impl SortedBins {
    /// Bins already ascending by value with non-zero counts summing to `count`.
    pub(crate) fn from_sorted(bins: Vec<(f64, u64)>, count: u64) -> Self {
        SortedBins { bins, count }
    }

    /// Number of values (sum of the counts).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The bins, ascending by representative value, counts non-zero.
    pub fn iter(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.bins.iter().copied()
    }

    /// See [`QuantileSketch::quantile`].
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let rank = lower_rank(q, self.count)?;
        let mut seen = 0u64;
        for &(value, c) in &self.bins {
            seen = seen.saturating_add(c);
            if seen > rank {
                return Some(value);
            }
        }
        None
    }

    /// See [`QuantileSketch::tail_mean_below`].
    pub fn tail_mean_below(&self, q: f64) -> Option<f64> {
        let rank = lower_rank(q, self.count)?;
        let wanted = rank + 1;
        let mut taken = 0u64;
        let mut sum = 0.0;
        for &(value, c) in &self.bins {
            let take = c.min(wanted - taken);
            sum += value * take as f64;
            taken += take;
            if taken == wanted {
                return Some(sum / wanted as f64);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, LogNormal};

    fn sketch_of(values: &[f64]) -> QuantileSketch {
        let mut s = QuantileSketch::new();
        for &x in values {
            s.push(x);
        }
        s
    }

    /// `|v − x| ≤ α|x|`, or, for an exact value in the zero band, `v = 0`.
    fn within_alpha(v: f64, x: f64) -> bool {
        if x.abs() < ZERO_THRESHOLD {
            v == 0.0
        } else {
            (v - x).abs() <= RELATIVE_ACCURACY * x.abs()
        }
    }

    /// Exact lower order statistic at `lower_rank(q, n)`, by sorting.
    fn exact_quantile(values: &[f64], q: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[lower_rank(q, sorted.len() as u64).unwrap() as usize]
    }

    const LEVELS: [f64; 9] = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99];

    #[test]
    fn tables_bound_the_error() {
        // Every bin spans a ratio ≤ γ_max = (1 + α)/(1 − α), so its representative is within α
        // of its edges; and K = 347 is the smallest whole number that does: 2^(1/346) exceeds it.
        let gamma_max = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
        for j in 0..K {
            assert!(BOUNDS[j + 1] / BOUNDS[j] <= gamma_max);
            let (lo, hi, rep) = (BOUNDS[j], BOUNDS[j + 1], REPS[j]);
            assert!(lo < rep && rep < hi);
            assert!((rep - lo) / lo <= RELATIVE_ACCURACY && (hi - rep) / hi <= RELATIVE_ACCURACY);
            // The series agrees with the platform's powf to a few ulps (it is used only at
            // compile time, so the platform's own rounding never enters the bins).
            let reference = 2f64.powf(j as f64 / K as f64);
            assert!((BOUNDS[j] - reference).abs() <= 4.0 * f64::EPSILON * reference);
        }
        assert!(2f64.powf(1.0 / 346.0) > gamma_max);
        // Each lookup cell [1 + s/1024, 1 + (s+1)/1024) holds at most one bin edge past its
        // first bin, which is what lets `bin_index` step at most once.
        for (s, &j) in LOOKUP.iter().enumerate() {
            let cell_lo = 1.0 + s as f64 / 1024.0;
            let cell_hi = 1.0 + (s + 1) as f64 / 1024.0;
            let j = usize::from(j);
            assert!(BOUNDS[j] <= cell_lo && cell_lo < BOUNDS[j + 1]);
            assert!(j + 2 > K || BOUNDS[j + 2] >= cell_hi);
        }
        // 1e-9 lies in octave −30 ([9.3e-10, 1.9e-9)) and f64::MAX in the last bin of 1023.
        assert_eq!(bin_index(ZERO_THRESHOLD).div_euclid(BINS_PER_OCTAVE), -30);
        assert_eq!(bin_index(f64::MAX), MAX_INDEX);
        assert!(bin_value(MAX_INDEX).is_finite() && bin_value(MIN_INDEX) > 0.0);
    }

    #[test]
    fn bin_index_brackets_the_value() {
        // For any magnitude a in bin i = 347·e + j: 2^e·BOUNDS[j] ≤ a < 2^e·BOUNDS[j+1].
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200_000 {
            let a = 10f64.powf(rng.random_range(-8.9..300.0));
            let i = bin_index(a);
            let e = i.div_euclid(BINS_PER_OCTAVE);
            let j = i.rem_euclid(BINS_PER_OCTAVE) as usize;
            let scale = 2f64.powi(e);
            assert!(scale * BOUNDS[j] <= a && a < scale * BOUNDS[j + 1], "{a}");
            assert!(within_alpha(bin_value(i), a));
        }
        // At the edges themselves: an edge opens its bin, the float just below it closes the
        // previous one.
        for (j, &bound) in BOUNDS.iter().enumerate().take(K).skip(1) {
            let edge = 8.0 * bound;
            assert_eq!(bin_index(edge), 3 * BINS_PER_OCTAVE + j as i32);
            assert_eq!(
                bin_index(edge.next_down()),
                3 * BINS_PER_OCTAVE + j as i32 - 1
            );
        }
        assert_eq!(bin_index(1.0), 0);
        assert_eq!(bin_index(1.0f64.next_down()), -1);
    }

    #[test]
    fn lower_rank_rule() {
        // ⌊q·(n−1)⌋: n = 1000, q = 0.05 → ⌊49.95⌋ = 49; q = 0 → 0; q = 1 → 999.
        assert_eq!(lower_rank(0.05, 1000), Some(49));
        assert_eq!(lower_rank(0.0, 1000), Some(0));
        assert_eq!(lower_rank(1.0, 1000), Some(999));
        // 0.29·100 is 28.999999999999996 in f64; the nudge restores the intended rank 29.
        assert_eq!(lower_rank(0.29, 101), Some(29));
        assert_eq!(lower_rank(0.5, 0), None);
        assert_eq!(lower_rank(-0.1, 10), None);
        assert_eq!(lower_rank(1.5, 10), None);
        assert_eq!(lower_rank(f64::NAN, 10), None);
    }

    #[test]
    fn percentiles_of_one_to_hundred_thousand() {
        let values: Vec<f64> = (1..=100_000).map(f64::from).collect();
        let s = sketch_of(&values);
        // Rank ⌊q·99,999⌋ of 1..=100,000 holds rank + 1: q = 0.01 → ⌊999.99⌋ = 999 → 1,000;
        // 0.05 → 4,999 → 5,000; 0.10 → 9,999 → 10,000; 0.25 → ⌊24,999.75⌋ → 25,000;
        // 0.50 → ⌊49,999.5⌋ → 50,000; 0.75 → ⌊74,999.25⌋ → 75,000; 0.90 → ⌊89,999.1⌋ → 90,000;
        // 0.95 → ⌊94,999.05⌋ → 95,000; 0.99 → ⌊98,999.01⌋ → 99,000.
        let expected = [
            1_000.0, 5_000.0, 10_000.0, 25_000.0, 50_000.0, 75_000.0, 90_000.0, 95_000.0, 99_000.0,
        ];
        for (q, x) in LEVELS.into_iter().zip(expected) {
            let v = s.quantile(q).unwrap();
            assert!(within_alpha(v, x), "q={q}: {v} vs {x}");
        }
        assert!(within_alpha(s.quantile(0.0).unwrap(), 1.0));
        assert!(within_alpha(s.quantile(1.0).unwrap(), 100_000.0));
        // Negated, ascending order is −100,000 … −1, so rank r holds −(100,000 − r):
        // 999 → −99,001; 4,999 → −95,001; … ; 98,999 → −1,001.
        let negated: Vec<f64> = values.iter().map(|x| -x).collect();
        let s = sketch_of(&negated);
        let expected = [
            -99_001.0, -95_001.0, -90_001.0, -75_001.0, -50_001.0, -25_001.0, -10_001.0, -5_001.0,
            -1_001.0,
        ];
        for (q, x) in LEVELS.into_iter().zip(expected) {
            let v = s.quantile(q).unwrap();
            assert!(within_alpha(v, x), "q={q}: {v} vs {x}");
        }
    }

    #[test]
    fn percentiles_of_lognormal_sample() {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let dist = LogNormal::new(2.0, 1.5).unwrap();
        let values: Vec<f64> = (0..50_000).map(|_| dist.sample(&mut rng)).collect();
        let s = sketch_of(&values);
        for q in LEVELS.into_iter().chain([0.0, 0.001, 0.333, 0.999, 1.0]) {
            let (v, x) = (s.quantile(q).unwrap(), exact_quantile(&values, q));
            assert!(within_alpha(v, x), "q={q}: {v} vs {x}");
        }
    }

    #[test]
    fn merge_is_exact_in_any_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let values: Vec<f64> = (0..20_000)
            .map(|_| rng.random_range(-1e6..1e6) * rng.random_range(0.0..1.0f64).powi(6))
            .collect();
        let whole = sketch_of(&values);
        let (a, b) = values.split_at(9_000);
        let (a, b) = (sketch_of(a), sketch_of(b));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, whole);
        assert_eq!(ba, whole);
        // Seven uneven parts folded in reverse and via a tree: still the same bins, and the
        // same canonical JSON despite different growth slack in memory.
        let parts: Vec<QuantileSketch> = values.chunks(2_900).map(sketch_of).collect();
        let mut reverse = QuantileSketch::new();
        for p in parts.iter().rev() {
            reverse.merge(p);
        }
        let mut tree = parts[0].clone();
        tree.merge(&parts[1]);
        let mut right = parts[2..].iter().fold(QuantileSketch::new(), |mut acc, p| {
            acc.merge(p);
            acc
        });
        right.merge(&QuantileSketch::new());
        tree.merge(&right);
        assert_eq!(reverse, whole);
        assert_eq!(tree, whole);
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::to_string(&reverse).unwrap(), json);
        assert_eq!(serde_json::to_string(&tree).unwrap(), json);
        // And the JSON reads back to an equal sketch with identical quantiles.
        let back: QuantileSketch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, whole);
        assert_eq!(back.quantile(0.37), whole.quantile(0.37));
    }

    #[test]
    fn single_value() {
        for x in [123.456, -7.5, 1e-5, 3e300, -ZERO_THRESHOLD] {
            let s = sketch_of(&[x]);
            // One value is every quantile, and the tail mean of one value is itself.
            for q in [0.0, 0.5, 1.0] {
                assert!(within_alpha(s.quantile(q).unwrap(), x), "{x}");
                assert!(within_alpha(s.tail_mean_below(q).unwrap(), x), "{x}");
            }
        }
        assert_eq!(QuantileSketch::new().quantile(0.5), None);
        assert_eq!(QuantileSketch::new().tail_mean_below(0.5), None);
    }

    #[test]
    fn zeros_and_mixed_signs() {
        // Sorted: −3, −1, 0, 0 (1e-12 is inside the zero band), 0, 2, 5 — n = 7, ranks
        // ⌊q·6⌋: q = 0 → −3; 1/6 → −1; 0.5 → rank 3 → 0; 5/6 → 2; 1 → 5.
        let s = sketch_of(&[5.0, 0.0, -1.0, 1e-12, 2.0, -3.0, -0.0]);
        assert_eq!(s.count(), 7);
        let cases = [
            (0.0, -3.0),
            (1.0 / 6.0, -1.0),
            (2.0 / 6.0, 0.0),
            (0.5, 0.0),
            (4.0 / 6.0, 0.0),
            (5.0 / 6.0, 2.0),
            (1.0, 5.0),
        ];
        for (q, x) in cases {
            assert!(within_alpha(s.quantile(q).unwrap(), x), "q={q}");
        }
        // Mean of the two smallest (rank ⌊0.2·6⌋ = 1): (−3 − 1)/2 = −2; of all seven: 3/7.
        assert!(within_alpha(s.tail_mean_below(0.2).unwrap(), -2.0));
        assert!(
            (s.tail_mean_below(1.0).unwrap() - 3.0 / 7.0).abs() <= RELATIVE_ACCURACY * 11.0 / 7.0
        );
    }

    #[test]
    fn non_finite_values_are_counted_not_binned() {
        let s = sketch_of(&[f64::NAN, 1.0, f64::INFINITY, 2.0, f64::NEG_INFINITY, 3.0]);
        assert_eq!((s.count(), s.non_finite()), (3, 3));
        // Median of 1, 2, 3 (rank ⌊0.5·2⌋ = 1) is 2.
        assert!(within_alpha(s.quantile(0.5).unwrap(), 2.0));
        assert!(within_alpha(s.quantile(1.0).unwrap(), 3.0));
        // The extremes of f64 are still binned.
        let s = sketch_of(&[f64::MAX, -f64::MAX]);
        assert!(within_alpha(s.quantile(0.0).unwrap(), -f64::MAX));
        assert!(within_alpha(s.quantile(1.0).unwrap(), f64::MAX));
    }

    #[test]
    fn memory_is_bounded_by_the_range() {
        // 1..=100,000 spans 347·log2(10⁵) = 5,763.5 bins; the window may add 25% slack plus
        // 2·32, so it holds between 5,764 and 1.25·5,764 + 64 ≈ 7,269 bins.
        let ascending: Vec<f64> = (1..=100_000).map(f64::from).collect();
        let mut s = sketch_of(&ascending);
        let window = |s: &QuantileSketch| s.positive.counts.len();
        assert!((5_764..=7_269).contains(&window(&s)), "{}", window(&s));
        // Ten times more values over the same range allocate nothing more.
        let used = s.heap_bytes();
        for k in 0..1_000_000u32 {
            s.push(1.0 + f64::from(k % 99_999));
        }
        assert_eq!(s.heap_bytes(), used);
        // Descending input (a new minimum each time) stays within the same bound once its
        // buffer (the last 100,000 mod 1,024 = 672 values, 1..=672) is counted in, and holds
        // the same bins as ascending input either way.
        let descending: Vec<f64> = ascending.iter().rev().copied().collect();
        let mut d = sketch_of(&descending);
        assert_eq!(d.positive.pending.len(), 672);
        assert_eq!(d, sketch_of(&ascending));
        d.positive.flush();
        assert!((5_764..=7_269).contains(&window(&d)), "{}", window(&d));
        assert_eq!(d, sketch_of(&ascending));
    }

    #[test]
    fn few_values_over_a_wide_range_stay_small() {
        // 1,000 values per sign spread over 18 decades would need a window of 347·log2(10¹⁸)
        // ≈ 20,750 bins (166 KB) per sign; below PENDING_MAX = 1,024 they stay buffered at
        // 4 bytes each, so at most 2 · 4 · 1,024 = 8 KB.
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let values: Vec<f64> = (0..2_000)
            .map(|k| {
                let x = 10f64.powf(rng.random_range(-6.0..12.0));
                if k % 2 == 0 { x } else { -x }
            })
            .collect();
        let s = sketch_of(&values);
        assert!(s.heap_bytes() <= 8 * 1_024, "{}", s.heap_bytes());
        assert!(s.positive.counts.is_empty() && s.negative.counts.is_empty());
        for q in LEVELS {
            assert!(within_alpha(
                s.quantile(q).unwrap(),
                exact_quantile(&values, q)
            ));
        }
        // 24 more values per sign reach PENDING_MAX and flush into windows.
        let mut t = s.clone();
        for k in 1..=24 {
            t.push(f64::from(k));
            t.push(-f64::from(k));
        }
        assert!(!t.positive.counts.is_empty() && t.positive.pending.is_empty());
        assert!(!t.negative.counts.is_empty() && t.negative.pending.is_empty());
    }

    #[test]
    fn buffered_and_windowed_forms_are_equal() {
        // The same 3,000 values as one pass (windows plus a partial buffer) and as the merge of
        // 300 ten-value sketches (buffers only, flushed by the merges), both ways through JSON.
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let values: Vec<f64> = (0..3_000)
            .map(|_| rng.random_range(-50.0..1_000.0))
            .collect();
        let whole = sketch_of(&values);
        let mut merged = QuantileSketch::new();
        for part in values.chunks(10) {
            merged.merge(&sketch_of(part));
        }
        assert_eq!(merged, whole);
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::to_string(&merged).unwrap(), json);
        let back: QuantileSketch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, whole);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.sorted(), whole.sorted());
    }

    #[test]
    fn deserialization_rejects_broken_sketches() {
        let s = sketch_of(&[1.0, 2.0, 2.0, -4.0, 0.0]);
        let json = serde_json::to_string(&s).unwrap();
        // The canonical form lists [index, count] of non-zero bins, ascending: 1.0 is bin 0,
        // 2.0 is bin 347 (one octave of 347 bins up), 4.0 is bin 694.
        assert_eq!(
            json,
            r#"{"count":5,"zero":1,"non_finite":0,"positive":[[0,1],[347,2]],"negative":[[694,1]]}"#
        );
        assert_eq!(serde_json::from_str::<QuantileSketch>(&json).unwrap(), s);

        let wrong_count = json.replace(r#""count":5"#, r#""count":6"#);
        let err = serde_json::from_str::<QuantileSketch>(&wrong_count).unwrap_err();
        assert!(err.to_string().contains("does not equal"), "{err}");

        let far = json.replace("[694,1]", "[400000,1]");
        let err = serde_json::from_str::<QuantileSketch>(&far).unwrap_err();
        assert!(err.to_string().contains("outside the valid range"), "{err}");
        let low = json.replace("[694,1]", "[-10411,1]");
        assert!(serde_json::from_str::<QuantileSketch>(&low).is_err());

        let unsorted = json.replace("[[0,1],[347,2]]", "[[347,2],[0,1]]");
        let err = serde_json::from_str::<QuantileSketch>(&unsorted).unwrap_err();
        assert!(err.to_string().contains("strictly ascending"), "{err}");
        let zero_count = json
            .replace("[694,1]", "[694,0]")
            .replace(r#""count":5"#, r#""count":4"#);
        assert!(serde_json::from_str::<QuantileSketch>(&zero_count).is_err());
    }

    #[test]
    fn tail_mean_of_one_to_thousand() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        let s = sketch_of(&values);
        // Rank ⌊0.05·999⌋ = 49, so the tail is 1..=50 with mean 51/2 = 25.5.
        assert!(within_alpha(s.tail_mean_below(0.05).unwrap(), 25.5));
        // q = 1 takes every value: mean 500.5.
        assert!(within_alpha(s.tail_mean_below(1.0).unwrap(), 500.5));
        // q = 0 takes only the minimum.
        assert!(within_alpha(s.tail_mean_below(0.0).unwrap(), 1.0));
    }

    fn value_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1e6..1e6f64,
            -1.0..1.0f64,
            (-12.0..12.0f64, any::<bool>()).prop_map(|(e, neg)| {
                let x = 10f64.powf(e);
                if neg { -x } else { x }
            }),
            Just(0.0),
            (1..50i32).prop_map(f64::from),
        ]
    }

    proptest! {
        #[test]
        fn every_level_within_alpha(values in prop::collection::vec(value_strategy(), 1..400)) {
            let s = sketch_of(&values);
            for q in LEVELS {
                let (v, x) = (s.quantile(q).unwrap(), exact_quantile(&values, q));
                prop_assert!(within_alpha(v, x), "q={} got {} exact {}", q, v, x);
            }
        }

        #[test]
        fn split_merge_equals_one_pass(
            values in prop::collection::vec(value_strategy(), 0..300),
            cut in 0usize..300,
        ) {
            let cut = cut.min(values.len());
            let mut merged = sketch_of(&values[cut..]);
            merged.merge(&sketch_of(&values[..cut]));
            prop_assert_eq!(merged, sketch_of(&values));
        }
    }

    proptest! {
        // Larger inputs cross PENDING_MAX, so windows and buffers mix; fewer cases keep it quick.
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn every_level_within_alpha_past_the_buffer(
            values in prop::collection::vec(value_strategy(), 1_000..3_000),
            cut in 0usize..3_000,
        ) {
            let s = sketch_of(&values);
            for q in LEVELS {
                let (v, x) = (s.quantile(q).unwrap(), exact_quantile(&values, q));
                prop_assert!(within_alpha(v, x), "q={} got {} exact {}", q, v, x);
            }
            let cut = cut.min(values.len());
            let mut merged = sketch_of(&values[..cut]);
            merged.merge(&sketch_of(&values[cut..]));
            prop_assert_eq!(merged, s);
        }
    }
}
