//! Axis ranges and tick placement we control ourselves, so that ticks fall on round values
//! ("$200M", "25%") and time axes are labelled by calendar year rather than "2027.3".
//!
//! [`TickAxis`] is a plotters coordinate whose key points and labels are computed here; the
//! mesh then draws exactly those ticks and no light grid lines.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::report::format::{format_month, format_tick};
use crate::report::plots::ValueFormat;

/// Upper bound on ticks per axis, whatever the input; protects against pathological ranges.
const MAX_TICKS: usize = 60;

/// A linear axis over `lo..hi` with precomputed, labelled ticks.
#[derive(Debug, Clone)]
pub(crate) struct TickAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl TickAxis {
    /// A value axis over `lo..hi` with about `target` round ticks formatted by `fmt`.
    /// A degenerate or non-finite range is widened to something drawable.
    pub(crate) fn values(lo: f64, hi: f64, target: usize, fmt: ValueFormat) -> Self {
        let (lo, hi) = sane_range(lo, hi, fmt);
        let step = nice_step(hi - lo, target);
        let ticks = multiples(lo, hi, step)
            .into_iter()
            .map(|v| (v, format_tick(v, fmt, step)))
            .collect();
        Self { lo, hi, ticks }
    }

    /// A calendar axis over `lo..hi` (fractional years) with at most about `max_ticks` ticks:
    /// year starts ("2027", every 1, 2, 5, … years) when the span holds at least three,
    /// otherwise month starts every 1, 3, 6 or 12 months ("Apr 2027"; January reads "2027").
    pub(crate) fn years(lo: f64, hi: f64, max_ticks: usize) -> Self {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo {
            (lo, hi)
        } else if lo.is_finite() {
            (lo - 0.5, lo + 0.5)
        } else {
            (2026.0, 2027.0)
        };
        let max_ticks = max_ticks.max(2) as f64;
        let year_starts = (hi + 1e-9).floor() - (lo - 1e-9).ceil() + 1.0;
        let ticks: Vec<f64> = if year_starts >= 3.0 {
            let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
                .into_iter()
                .find(|s| year_starts / s <= max_ticks)
                .unwrap_or_else(|| nice_step(hi - lo, max_ticks as usize).max(100.0));
            multiples(lo, hi, step)
        } else {
            // Month labels are about twice as wide as year labels: allow half as many.
            let months = (hi - lo) * 12.0;
            let per_tick = [1.0, 3.0, 6.0, 12.0]
                .into_iter()
                .find(|m| months / m <= (max_ticks / 2.0).max(2.0))
                .unwrap_or(12.0);
            multiples(lo * 12.0, hi * 12.0, per_tick)
                .into_iter()
                .map(|m| m / 12.0)
                .collect()
        };
        let ticks = ticks.into_iter().map(|t| (t, format_month(t))).collect();
        Self { lo, hi, ticks }
    }

    /// An axis over `lo..hi` with the given ticks (categories: a bar chart's rows).
    pub(crate) fn labelled(lo: f64, hi: f64, ticks: Vec<(f64, String)>) -> Self {
        Self { lo, hi, ticks }
    }

    /// The same axis with only every `every`-th tick, chosen so that a tick at zero stays (a
    /// value axis then still reads from $0). Used when the labels would touch.
    pub(crate) fn thinned(&self, every: usize) -> Self {
        let every = every.max(1);
        let offset = self
            .ticks
            .iter()
            .position(|(v, _)| *v == 0.0)
            .map_or(0, |zero| zero % every);
        let keep: Vec<bool> = (0..self.ticks.len()).map(|i| i % every == offset).collect();
        self.retained(&keep)
    }

    /// The same axis with only the ticks for which `keep` (given each tick's index) holds.
    pub(crate) fn retained(&self, keep: &[bool]) -> Self {
        Self {
            lo: self.lo,
            hi: self.hi,
            ticks: self
                .ticks
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(t, _)| t.clone())
                .collect(),
        }
    }

    /// The ticks' values and labels, in order.
    pub(crate) fn ticks(&self) -> &[(f64, String)] {
        &self.ticks
    }

    /// The axis range, low end first.
    pub(crate) fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// The tick labels, for sizing the label area.
    pub(crate) fn labels(&self) -> impl Iterator<Item = &str> {
        self.ticks.iter().map(|(_, s)| s.as_str())
    }
}

impl Ranged for TickAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        let length = f64::from(limit.1 - limit.0);
        limit.0 + (length * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light (minor) grid lines are requested with a hint that allows them; we draw none.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.iter().map(|(v, _)| *v).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for TickAxis {
    fn format(value: &f64) -> String {
        format!("{value}")
    }

    fn format_ext(&self, value: &f64) -> String {
        self.ticks
            .iter()
            .find(|(v, _)| v == value)
            .map_or_else(|| format!("{value}"), |(_, s)| s.clone())
    }
}

/// A round step (1, 2, 2.5 or 5 times a power of ten) giving at most about `target` steps.
pub(crate) fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalised = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0]
        .into_iter()
        .find(|&n| normalised <= n * (1.0 + 1e-9))
        .unwrap_or(10.0);
    nice * magnitude
}

/// The round step (1, 2, 2.5 or 5 times a power of ten) whose number of steps over `span` is
/// closest to `target`, in ratio: for histogram bins, where "about 40" matters more than "at
/// most 40".
pub(crate) fn nearest_nice_step(span: f64, target: usize) -> f64 {
    let upper = nice_step(span, target);
    let magnitude = 10f64.powf(upper.log10().floor());
    let candidates = [0.5, 1.0, 2.0, 2.5, 5.0, 10.0].map(|m| m * magnitude);
    let badness = |step: f64| ((span / step) / target.max(1) as f64).ln().abs();
    candidates
        .into_iter()
        .filter(|s| s.is_finite() && *s > 0.0)
        .min_by(|a, b| badness(*a).total_cmp(&badness(*b)))
        .unwrap_or(upper)
}

/// Multiples of `step` inside `lo..=hi` (with a little tolerance at both ends).
pub(crate) fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(step > 0.0 && lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let first = (lo / step - 1e-9).ceil();
    let last = (hi / step + 1e-9).floor();
    if last < first || last - first > MAX_TICKS as f64 {
        return Vec::new();
    }
    (0..=(last - first) as usize)
        .map(|k| {
            let v = (first + k as f64) * step;
            // Avoid "-0" labels and 0.30000000000000004-style noise from the product.
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        })
        .collect()
}

/// Widens an empty or non-finite range so that a single value sits in the middle.
pub(crate) fn sane_range(lo: f64, hi: f64, fmt: ValueFormat) -> (f64, f64) {
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, true) | (true, false) => widen(lo, fmt),
        (false, true) => widen(hi, fmt),
        (false, false) => (0.0, 1.0),
    }
}

fn widen(v: f64, fmt: ValueFormat) -> (f64, f64) {
    let half = match fmt {
        ValueFormat::Probability => 0.05,
        ValueFormat::Usd | ValueFormat::Plain => (v.abs() * 0.1).max(1.0),
    };
    (v - half, v + half)
}

/// `lo..hi` with `fraction` of the span added at each end.
pub(crate) fn padded(lo: f64, hi: f64, fraction: f64) -> (f64, f64) {
    let pad = (hi - lo) * fraction;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        // 1100 / 8 = 137.5 -> next nice value 200.
        assert_eq!(nice_step(1100.0, 8), 200.0);
        // 1 / 10 = 0.1 exactly.
        assert!((nice_step(1.0, 10) - 0.1).abs() < 1e-12);
        // 2.2 / 1 -> 2.5.
        assert_eq!(nice_step(2.2, 1), 2.5);
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(nice_step(f64::NAN, 5), 1.0);
        // $1.1B in ~40 bins: raw 27.5M; 25M gives 44 bins, 50M only 22.
        assert_eq!(nearest_nice_step(1.1e9, 40), 25e6);
        // 100 in ~40: 2.5 gives exactly 40.
        assert_eq!(nearest_nice_step(100.0, 40), 2.5);
    }

    #[test]
    fn year_axis_ticks_on_year_starts() {
        let axis = TickAxis::years(2026.17, 2036.17, 12);
        let labels: Vec<&str> = axis.labels().collect();
        assert_eq!(labels.first(), Some(&"2027"));
        assert_eq!(labels.last(), Some(&"2036"));
        assert_eq!(labels.len(), 10);
    }

    #[test]
    fn short_year_axis_uses_quarters() {
        let axis = TickAxis::years(2026.0, 2027.0, 12);
        let labels: Vec<&str> = axis.labels().collect();
        assert_eq!(labels, ["2026", "Apr 2026", "Jul 2026", "Oct 2026", "2027"]);
    }

    #[test]
    fn thinning_keeps_the_zero_tick_and_every_other() {
        let axis = TickAxis::values(-3.0, 7.0, 10, ValueFormat::Plain);
        let values: Vec<f64> = axis.thinned(2).ticks().iter().map(|t| t.0).collect();
        // Ticks -3..7 by 1; every second one, with 0 among them.
        assert_eq!(values, [-2.0, 0.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn long_year_axis_thins_ticks() {
        // 2000..2050 has 51 year starts; step 5 gives 11 ticks.
        let axis = TickAxis::years(2000.0, 2050.0, 12);
        assert_eq!(axis.labels().count(), 11);
    }

    #[test]
    fn value_axis_rounds_ticks() {
        let axis = TickAxis::values(-2.0e8, 9.0e8, 8, ValueFormat::Usd);
        let labels: Vec<&str> = axis.labels().collect();
        assert_eq!(labels, ["-$200M", "$0", "$200M", "$400M", "$600M", "$800M"]);
    }

    #[test]
    fn degenerate_ranges_widen() {
        assert_eq!(sane_range(5.0, 5.0, ValueFormat::Plain), (4.0, 6.0));
        assert_eq!(sane_range(f64::NAN, f64::NAN, ValueFormat::Usd), (0.0, 1.0));
        let axis = TickAxis::years(2030.0, 2030.0, 12);
        assert_eq!(axis.bounds(), (2029.5, 2030.5));
    }
}
