//! Charts of end-of-horizon distributions (e.g. NPV per plan): overlaid histograms and
//! empirical CDFs.
//!
//! Inputs are `(value, count)` pairs, typically thousands of fine quantile-sketch bins; the
//! histogram re-bins them into about 40 bins of a round width (e.g. $25M) over the range
//! common to all plans, so that bars of different plans line up.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::plots::axis::{TickAxis, nearest_nice_step, padded, sane_range};
use crate::report::plots::canvas::{
    AxesSpec, DrawResult, Figure, LegendItem, Page, Swatch, Target, XAxis, axes, colour,
    draw_markers, draw_reference_x, polyline, render,
};
use crate::report::plots::{Distribution, Labels, Marker, PlotError, ValueFormat};

/// Number of histogram bins aimed at; with a round bin width the count lands within about
/// 30–55.
const TARGET_BINS: usize = 40;
/// Bar fill opacity when one or two plans overlap; lower with more so overlaps stay legible.
const BAR_ALPHA: f64 = 0.35;
/// Guard against float pathologies; a round width always gives far fewer bins.
const MAX_BINS: f64 = 1000.0;
const BAR_ALPHA_MANY: f64 = 0.22;

/// Writes a histogram of each distribution, overlaid, with the share of runs (%) per bin on
/// the y axis. Bars are translucent with a solid step outline so overlapping plans stay
/// readable. Returns the PNG and SVG paths.
///
/// Values are re-binned into about 40 bins of a round width spanning all distributions.
/// Distributions without a finite value are listed in the legend as "(no data)"; if none has
/// one, the result is [`PlotError::NoData`]. `markers` are dashed vertical lines at values
/// of the x axis (e.g. a mean), labelled above the plot.
pub fn histogram(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    dists: &[Distribution],
    markers: &[Marker],
) -> Result<Vec<PathBuf>, PlotError> {
    let cleaned: Vec<Cleaned> = dists.iter().map(Cleaned::new).collect();
    let (lo, hi) = common_range(&cleaned).ok_or(PlotError::NoData { chart: "histogram" })?;
    let (lo, hi) = sane_range(lo, hi, fmt);
    let width = nearest_nice_step(hi - lo, TARGET_BINS);
    let first = (lo / width).floor() * width;
    // The top value must fall inside the last bin, not on its right edge.
    let bins = ((hi - first) / width).floor() + 1.0;
    if !(bins.is_finite() && (1.0..=MAX_BINS).contains(&bins)) {
        // Only for values near ±f64::MAX, whose span overflows.
        return Err(PlotError::InvalidInput {
            name: "histogram".to_owned(),
            reason: format!("values from {lo:e} to {hi:e} span too wide a range to bin"),
        });
    }
    let bins = bins as usize;
    let shares = cleaned
        .iter()
        .map(|c| c.binned(first, width, bins))
        .collect();
    let fig = HistogramFigure {
        labels,
        fmt,
        markers,
        first,
        width,
        shares,
        names: cleaned.iter().map(|c| c.name.clone()).collect(),
    };
    render(stem, &fig, labels.caption)
}

/// Writes the empirical CDF of each distribution, overlaid, with y from 0% to 100%.
/// Returns the PNG and SVG paths. Empty inputs behave as in [`histogram`].
pub fn cdf(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    dists: &[Distribution],
) -> Result<Vec<PathBuf>, PlotError> {
    let cleaned: Vec<Cleaned> = dists.iter().map(Cleaned::new).collect();
    let (lo, hi) = common_range(&cleaned).ok_or(PlotError::NoData { chart: "cdf" })?;
    let (lo, hi) = sane_range(lo, hi, fmt);
    let (lo, hi) = padded(lo, hi, 0.02);
    let fig = CdfFigure {
        labels,
        fmt,
        lo,
        hi,
        dists: cleaned,
    };
    render(stem, &fig, labels.caption)
}

/// A distribution reduced to finite values with positive counts, sorted by value.
struct Cleaned {
    name: String,
    points: Vec<(f64, u64)>,
    /// Total count as f64: shares are ratios, and a u64 sum could overflow.
    total: f64,
}

impl Cleaned {
    fn new(d: &Distribution) -> Self {
        let mut points: Vec<(f64, u64)> = d
            .points
            .iter()
            .copied()
            .filter(|(v, c)| v.is_finite() && *c > 0)
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = points.iter().map(|(_, c)| *c as f64).sum();
        Self {
            name: d.name.clone(),
            points,
            total,
        }
    }

    /// Share of the total count (0..1) in each of `bins` bins of `width` from `first`;
    /// `None` when there is no data.
    fn binned(&self, first: f64, width: f64, bins: usize) -> Option<Vec<f64>> {
        if self.points.is_empty() {
            return None;
        }
        let mut shares = vec![0.0; bins];
        for &(v, c) in &self.points {
            let i = (((v - first) / width).floor().max(0.0) as usize).min(bins - 1);
            shares[i] += c as f64 / self.total;
        }
        Some(shares)
    }
}

/// Smallest and largest finite value over all distributions, if any.
fn common_range(dists: &[Cleaned]) -> Option<(f64, f64)> {
    let mut values = dists.iter().flat_map(|d| d.points.iter().map(|(v, _)| *v));
    let first = values.next()?;
    Some(values.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
}

/// Legend rows for distributions, bars or lines depending on `swatch`.
fn legend(
    names: &[String],
    has_data: impl Fn(usize) -> bool,
    swatch: impl Fn(usize) -> Swatch,
) -> Vec<LegendItem> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if has_data(i) {
                LegendItem::new(name.clone(), swatch(i))
            } else {
                LegendItem::new(format!("{name} (no data)"), Swatch::Note)
            }
        })
        .collect()
}

/// Marks $0 on a dollar axis that spans it: the line between losing and making money.
fn draw_zero_line<DB: DrawingBackend>(
    chart: &crate::report::plots::canvas::Chart<'_, DB>,
    fmt: ValueFormat,
) -> DrawResult<(), DB> {
    let r = chart.x_range();
    if fmt == ValueFormat::Usd && r.start < 0.0 && r.end > 0.0 {
        draw_reference_x(chart, 0.0)?;
    }
    Ok(())
}

struct HistogramFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    markers: &'a [Marker],
    first: f64,
    width: f64,
    shares: Vec<Option<Vec<f64>>>,
    names: Vec<String>,
}

impl Figure for HistogramFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        let alpha = if self.shares.len() <= 2 {
            BAR_ALPHA
        } else {
            BAR_ALPHA_MANY
        };
        let items = legend(
            &self.names,
            |i| self.shares[i].is_some(),
            |i| Swatch::Fill(colour(i).mix(alpha), Some(colour(i))),
        );
        let page = Page::new(root, self.labels.title, &items)?;

        let bins = self
            .shares
            .iter()
            .flatten()
            .map(Vec::len)
            .max()
            .unwrap_or(1);
        let x_hi = self.first + self.width * bins as f64;
        let top = self
            .shares
            .iter()
            .flatten()
            .flatten()
            .fold(0.0f64, |m, &s| m.max(s));
        let y = TickAxis::values(0.0, (top * 1.08).max(0.01), 8, ValueFormat::Probability);
        let x = TickAxis::values(self.first, x_hi, 8, self.fmt);
        let (mut chart, marker_plan, plot_top) = axes(
            &page.body,
            AxesSpec {
                labels: self.labels,
                x: XAxis::Values(x),
                y,
                markers: self.markers,
                heading: None,
                show_x_desc: true,
                show_y_desc: true,
            },
        )?;

        for (i, shares) in self.shares.iter().enumerate() {
            let Some(shares) = shares else { continue };
            let c = colour(i);
            let edge = |k: usize| self.first + self.width * k as f64;
            chart.draw_series(shares.iter().enumerate().filter(|(_, s)| **s > 0.0).map(
                |(k, &s)| Rectangle::new([(edge(k), 0.0), (edge(k + 1), s)], c.mix(alpha).filled()),
            ))?;
            // Step outline along the tops of the bars from the first to the last non-empty
            // bin, down to zero at both ends (not along the axis beyond them).
            let first = shares.iter().position(|s| *s > 0.0).unwrap_or(0);
            let last = shares.iter().rposition(|s| *s > 0.0).unwrap_or(0);
            let mut outline = Vec::with_capacity(2 * (last - first) + 4);
            outline.push((edge(first), 0.0));
            for (k, &s) in shares.iter().enumerate().take(last + 1).skip(first) {
                outline.push((edge(k), s));
                outline.push((edge(k + 1), s));
            }
            outline.push((edge(last + 1), 0.0));
            polyline(&chart, &outline, c.stroke_width(2), target)?;
        }
        draw_zero_line(&chart, self.fmt)?;
        draw_markers(&chart, &marker_plan)?;
        page.draw_legend(&items, plot_top)
    }
}

struct CdfFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    lo: f64,
    hi: f64,
    dists: Vec<Cleaned>,
}

impl Figure for CdfFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        let names: Vec<String> = self.dists.iter().map(|d| d.name.clone()).collect();
        let items = legend(
            &names,
            |i| !self.dists[i].points.is_empty(),
            |i| Swatch::Line(colour(i)),
        );
        let page = Page::new(root, self.labels.title, &items)?;
        let x = TickAxis::values(self.lo, self.hi, 8, self.fmt);
        // A little room below 0% and above 100% keeps the flat ends off the axis and frame.
        let y = TickAxis::values(-0.015, 1.015, 11, ValueFormat::Probability);
        let (chart, _, plot_top) = axes(
            &page.body,
            AxesSpec {
                labels: self.labels,
                x: XAxis::Values(x),
                y,
                markers: &[],
                heading: None,
                show_x_desc: true,
                show_y_desc: true,
            },
        )?;
        draw_zero_line(&chart, self.fmt)?;

        for (i, d) in self.dists.iter().enumerate() {
            if d.points.is_empty() {
                continue;
            }
            let path = cdf_path(d, self.lo, self.hi);
            polyline(&chart, &path, colour(i).stroke_width(3), target)?;
        }
        page.draw_legend(&items, plot_top)
    }
}

/// The empirical CDF of `d` as a right-continuous step path from `(lo, 0)` to `(hi, 1)`:
/// flat until each value, then up by that value's share.
fn cdf_path(d: &Cleaned, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut path = Vec::with_capacity(2 * d.points.len() + 2);
    path.push((lo, 0.0));
    let mut cumulative = 0.0;
    for &(v, c) in &d.points {
        path.push((v, cumulative / d.total));
        cumulative += c as f64;
        path.push((v, (cumulative / d.total).min(1.0)));
    }
    path.push((hi, 1.0));
    // Sketches have thousands of bins: keep only the ends of each flat run.
    thin_flat_runs(path)
}

/// Drops interior points of horizontal runs, which a sketch with thousands of bins produces.
fn thin_flat_runs(path: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(path.len());
    for p in path {
        let n = out.len();
        if n >= 2 && out[n - 1].1 == p.1 && out[n - 2].1 == p.1 {
            out[n - 1] = p;
        } else {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(points: &[(f64, u64)]) -> Cleaned {
        Cleaned::new(&Distribution {
            name: "d".to_owned(),
            points: points.to_vec(),
        })
    }

    #[test]
    fn binning_splits_counts_into_shares() {
        // Bins [0,10) [10,20) [20,30]; 30 lands in the last bin, NaN and zero counts vanish.
        let d = dist(&[
            (1.0, 1),
            (12.0, 2),
            (15.0, 1),
            (30.0, 4),
            (f64::NAN, 9),
            (5.0, 0),
        ]);
        let shares = d.binned(0.0, 10.0, 3).unwrap_or_default();
        assert_eq!(shares, vec![1.0 / 8.0, 3.0 / 8.0, 4.0 / 8.0]);
    }

    #[test]
    fn empty_distribution_has_no_bins() {
        assert!(dist(&[(f64::NAN, 3)]).binned(0.0, 1.0, 4).is_none());
    }

    #[test]
    fn common_range_spans_all() {
        let a = dist(&[(-2.0, 1), (3.0, 1)]);
        let b = dist(&[(10.0, 1)]);
        assert_eq!(common_range(&[a, b]), Some((-2.0, 10.0)));
        assert_eq!(common_range(&[dist(&[])]), None);
    }

    #[test]
    fn cdf_steps_by_share() {
        // Counts 1, 3 at values 2, 5 over 0..10: 0 until 2, 25% until 5, then 100%.
        let d = dist(&[(5.0, 3), (2.0, 1)]);
        let expected = vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 0.25),
            (5.0, 0.25),
            (5.0, 1.0),
            (10.0, 1.0),
        ];
        assert_eq!(cdf_path(&d, 0.0, 10.0), expected);
    }

    #[test]
    fn overflowing_range_is_an_error_not_a_panic() {
        let d = Distribution {
            name: "huge".to_owned(),
            points: vec![(-f64::MAX, 1), (f64::MAX, 1)],
        };
        let labels = Labels {
            title: "t",
            x_label: "x",
            y_label: "y",
            caption: "",
        };
        let dir = std::env::temp_dir().join("pivotsim-plots-never-written");
        let r = histogram(&dir, &labels, ValueFormat::Plain, &[d], &[]);
        assert!(matches!(r, Err(PlotError::InvalidInput { .. })), "{r:?}");
    }

    #[test]
    fn flat_runs_are_thinned() {
        let p = vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (2.0, 0.5), (3.0, 0.5)];
        assert_eq!(
            thin_flat_runs(p),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 0.5), (3.0, 0.5)]
        );
    }
}
