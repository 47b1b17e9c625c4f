//! Monthly percentile bands of each plan's series, in memory that does not grow with the runs.
//!
//! One cell per (plan, month, series) holds a fixed-size band sketch (1% relative accuracy, at
//! most 1,024 bins per sign: see [`BandSketch`]) and an exact fixed-point sum for the mean. Both
//! merge exactly in any order, so bands and means are the same bits however replications were
//! split across threads or shards, and memory stays bounded however many runs arrive.

use serde::{Deserialize, Serialize};

use crate::model::Series;
use crate::stats::{BandSketch, ExactSum};

/// Percentile levels of the bands.
pub const BAND_LEVELS: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// The distribution of one series in one month for one plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BandCell {
    sketch: BandSketch,
    sum: ExactSum,
}

impl BandCell {
    /// Values counted.
    pub fn count(&self) -> u64 {
        self.sum.count()
    }

    /// Heap memory held by the band sketch, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.sketch.heap_bytes()
    }

    /// The mean and the five band percentiles (5, 25, 50, 75, 95; each within 1% of the exact
    /// lower sample percentile, and within the exact extremes), or None when empty.
    pub fn bands(&self) -> Option<(f64, [f64; 5])> {
        let mean = self.sum.mean()?;
        Some((mean, self.sketch.quantiles(BAND_LEVELS)?))
    }
}

/// Bands of every plan's series over the months of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeriesStats {
    plans: usize,
    months: usize,
    cells: Vec<BandCell>,
}

impl TimeSeriesStats {
    /// Bins allocated by every cell's sketch: what the bands cost, for measuring memory
    /// (`examples/statistics_memory.rs`).
    pub fn allocated_bins(&self) -> usize {
        self.cells.iter().map(|c| c.sketch.allocated_bins()).sum()
    }

    /// Empty bands for `plans` plans over `months` months.
    pub fn new(plans: usize, months: usize) -> Self {
        TimeSeriesStats {
            plans,
            months,
            cells: vec![BandCell::default(); plans * months * Series::COUNT],
        }
    }

    /// Months covered.
    pub fn months(&self) -> usize {
        self.months
    }

    /// Adds one replication's series: for each plan, month and series in that order (the
    /// layout `model::simulate_replication` writes). A short or long slice is ignored.
    pub fn push_replication(&mut self, values: &[f64]) {
        if values.len() != self.cells.len() {
            debug_assert!(
                false,
                "series length {} != {}",
                values.len(),
                self.cells.len()
            );
            return;
        }
        for (cell, v) in self.cells.iter_mut().zip(values) {
            cell.sketch.push(*v);
            cell.sum.push(*v);
        }
    }

    /// The cell of a plan, month and series.
    pub fn cell(&self, plan: usize, month: usize, series: Series) -> &BandCell {
        &self.cells[(plan * self.months + month) * Series::COUNT + series.index()]
    }

    /// Plans covered.
    pub fn plans(&self) -> usize {
        self.plans
    }

    /// Whether the cells cover exactly `plans` plans over `months` months (a check on
    /// deserialized input).
    pub fn has_shape(&self, plans: usize, months: usize) -> bool {
        self.plans == plans
            && self.months == months
            && plans
                .checked_mul(months)
                .and_then(|c| c.checked_mul(Series::COUNT))
                == Some(self.cells.len())
    }

    /// Adds another set of bands of the same shape (exact; any order). Bands of another
    /// shape are a caller error and are ignored (checked with [`has_shape`](Self::has_shape)).
    pub fn merge(&mut self, other: &TimeSeriesStats) {
        if !other.has_shape(self.plans, self.months) {
            debug_assert!(false, "merging time series of another shape");
            return;
        }
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells) {
            mine.sketch.merge(&theirs.sketch);
            mine.sum.merge(&theirs.sum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_of_a_known_sample() {
        // One plan, one month; Cash takes the values 1..=100 over 100 replications (the other
        // series 0). Mean 50.5; lower-rank percentiles: p5 = value at rank ⌊0.05·99⌋ = 4 → 5,
        // p50 at rank 49 → 50, p95 at rank 94 → 95 (within the band sketch's 1%).
        let mut ts = TimeSeriesStats::new(1, 1);
        for i in 1..=100 {
            let mut v = vec![0.0; Series::COUNT];
            v[Series::Cash.index()] = f64::from(i);
            ts.push_replication(&v);
        }
        let (mean, p) = ts.cell(0, 0, Series::Cash).bands().unwrap();
        assert_eq!(mean, 50.5);
        for (got, want) in p.iter().zip([5.0, 25.0, 50.0, 75.0, 95.0]) {
            assert!((got / want - 1.0).abs() <= 0.01, "{got} vs {want}");
        }
    }
}
