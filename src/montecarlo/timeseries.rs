//! Monthly percentile bands of each plan's series, in memory that does not grow with the runs.
//!
//! One cell per (plan, month, series) holds a quantile sketch (bins only count) and an exact
//! fixed-point sum for the mean. Both merge exactly in any order, so bands and means are the
//! same bits however replications were split across threads or shards.

use crate::model::Series;
use crate::stats::{ExactSum, QuantileSketch};

/// Percentile levels of the bands.
pub const BAND_LEVELS: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// The distribution of one series in one month for one plan.
#[derive(Debug, Clone, Default)]
pub struct BandCell {
    sketch: QuantileSketch,
    sum: ExactSum,
}

impl BandCell {
    /// Values counted.
    pub fn count(&self) -> u64 {
        self.sum.count()
    }

    /// The mean and the five band percentiles (5, 25, 50, 75, 95), or None when empty.
    pub fn bands(&self) -> Option<(f64, [f64; 5])> {
        let mean = self.sum.mean()?;
        let sorted = self.sketch.sorted();
        let mut p = [0.0; 5];
        for (out, q) in p.iter_mut().zip(BAND_LEVELS) {
            *out = sorted.quantile(q)?;
        }
        Some((mean, p))
    }
}

/// Bands of every plan's series over the months of the horizon.
#[derive(Debug, Clone)]
pub struct TimeSeriesStats {
    plans: usize,
    months: usize,
    cells: Vec<BandCell>,
}

impl TimeSeriesStats {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_of_a_known_sample() {
        // One plan, one month; Cash takes the values 1..=100 over 100 replications (the other
        // series 0). Mean 50.5; lower-rank percentiles: p5 = value at rank ⌊0.05·99⌋ = 4 → 5,
        // p50 at rank 49 → 50, p95 at rank 94 → 95 (within the sketch's 0.1%).
        let mut ts = TimeSeriesStats::new(1, 1);
        for i in 1..=100 {
            let mut v = vec![0.0; Series::COUNT];
            v[Series::Cash.index()] = f64::from(i);
            ts.push_replication(&v);
        }
        let (mean, p) = ts.cell(0, 0, Series::Cash).bands().unwrap();
        assert_eq!(mean, 50.5);
        for (got, want) in p.iter().zip([5.0, 25.0, 50.0, 75.0, 95.0]) {
            assert!((got / want - 1.0).abs() <= 0.001, "{got} vs {want}");
        }
    }
}
