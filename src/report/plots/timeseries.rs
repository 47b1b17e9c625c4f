//! Charts over calendar time: percentile fan charts, plain lines, and stacked areas.
//!
//! The x axis is in fractional years and labelled by calendar year (or month, for spans under
//! three years). Points are drawn in order of x; a non-finite value breaks a line or band
//! rather than being joined across, and an isolated point is drawn as a dot.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::plots::axis::{TickAxis, padded, sane_range};
use crate::report::plots::canvas::{
    AxesSpec, Chart, DrawResult, Figure, LegendItem, Page, Swatch, Target, XAxis, axes, colour,
    draw_markers, polyline, render, y_label_width,
};
use crate::report::plots::{FanBands, Labels, Marker, PlotError, Series, ValueFormat};

/// Opacity of the 5–95% band; the 25–75% band is drawn over it with [`INNER_ALPHA`].
const OUTER_ALPHA: f64 = 0.16;
const INNER_ALPHA: f64 = 0.30;
/// How the inner band looks on white: both layers together.
const INNER_ON_WHITE: f64 = 1.0 - (1.0 - OUTER_ALPHA) * (1.0 - INNER_ALPHA);
/// Room below 0% on probability axes, as a share of the axis span.
const ZERO_ROOM: f64 = 0.015;
/// Opacity of stacked-area fills.
const AREA_ALPHA: f64 = 0.75;
/// More plans than this are drawn as small multiples instead of overlaid.
const MAX_OVERLAID_FANS: usize = 2;
/// Columns of the small-multiples grid.
const MAX_COLUMNS: usize = 3;

/// Writes a fan chart: per plan, the 5–95% band (light), the 25–75% band (darker) and the
/// median (line), with `markers` as dashed vertical lines. Returns the PNG and SVG paths.
///
/// One or two plans are overlaid in one chart. Three or more are drawn as small multiples
/// (up to three per row) on shared axes, because three overlaid translucent colours blend into
/// an unreadable mass. The legend lists "median", "25–75%" and "5–95%" under each plan name.
pub fn fan_chart(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    fans: &[FanBands],
    markers: &[Marker],
) -> Result<Vec<PathBuf>, PlotError> {
    let fans = fans
        .iter()
        .map(PreparedFan::new)
        .collect::<Result<Vec<_>, _>>()?;
    let (x_lo, x_hi) = x_extent(fans.iter().flat_map(PreparedFan::xs))
        .ok_or(PlotError::NoData { chart: "fan chart" })?;
    let (y_lo, y_hi) = y_extent(fans.iter().flat_map(PreparedFan::ys), fmt, false)
        .ok_or(PlotError::NoData { chart: "fan chart" })?;
    let fig = FanFigure {
        labels,
        fmt,
        x_values: None,
        fans,
        markers,
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    render(stem, &fig, labels.caption)
}

/// Writes a fan chart over a numeric parameter instead of time (a sweep): the `x_years` of
/// each [`FanBands`] hold the parameter values, written on the x axis in `x_fmt`, and each
/// median has a dot at every value. Otherwise as [`fan_chart`], without markers.
pub fn parameter_fan_chart(
    stem: &Path,
    labels: &Labels,
    x_fmt: ValueFormat,
    fmt: ValueFormat,
    fans: &[FanBands],
) -> Result<Vec<PathBuf>, PlotError> {
    let fans = fans
        .iter()
        .map(PreparedFan::new)
        .collect::<Result<Vec<_>, _>>()?;
    let (x_lo, x_hi) =
        x_extent(fans.iter().flat_map(PreparedFan::xs)).ok_or(PlotError::NoData {
            chart: "sweep chart",
        })?;
    let (y_lo, y_hi) =
        y_extent(fans.iter().flat_map(PreparedFan::ys), fmt, false).ok_or(PlotError::NoData {
            chart: "sweep chart",
        })?;
    let fig = FanFigure {
        labels,
        fmt,
        x_values: Some(x_fmt),
        fans,
        markers: &[],
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    render(stem, &fig, labels.caption)
}

/// Writes one line per series (e.g. cumulative P(default) by plan) with `markers` as dashed
/// vertical lines. Returns the PNG and SVG paths. For [`ValueFormat::Probability`] the y axis
/// starts at 0%.
pub fn lines(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    series: &[Series],
    markers: &[Marker],
) -> Result<Vec<PathBuf>, PlotError> {
    let series = series
        .iter()
        .map(PreparedSeries::new)
        .collect::<Result<Vec<_>, _>>()?;
    let points = || series.iter().flat_map(|s| s.runs.iter().flatten().copied());
    let (x_lo, x_hi) = x_extent(points().map(|p| p.0)).ok_or(PlotError::NoData {
        chart: "line chart",
    })?;
    let (y_lo, y_hi) = y_extent(points().map(|p| p.1), fmt, false).ok_or(PlotError::NoData {
        chart: "line chart",
    })?;
    let fig = LinesFigure {
        labels,
        fmt,
        series,
        markers,
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    render(stem, &fig, labels.caption)
}

/// Writes a stacked area chart (e.g. revenue by source): the first layer at the bottom, each
/// next one stacked on the previous total. All layers must share the first layer's
/// `x_years`. A time at which any layer is not finite is left out, breaking the areas there.
/// `markers` are dashed vertical lines, as in [`fan_chart`]. Returns the PNG and SVG paths.
pub fn stacked_area(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    layers: &[Series],
    markers: &[Marker],
) -> Result<Vec<PathBuf>, PlotError> {
    let stack = Stack::new(layers)?;
    let (x_lo, x_hi) =
        x_extent(stack.runs.iter().flatten().map(|(x, _)| *x)).ok_or(PlotError::NoData {
            chart: "stacked area chart",
        })?;
    let totals = stack
        .runs
        .iter()
        .flatten()
        .flat_map(|(_, c)| c.iter().copied());
    let (y_lo, y_hi) = y_extent(totals, fmt, true).ok_or(PlotError::NoData {
        chart: "stacked area chart",
    })?;
    let fig = StackFigure {
        labels,
        fmt,
        markers,
        names: layers.iter().map(|l| l.name.clone()).collect(),
        stack,
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    render(stem, &fig, labels.caption)
}

fn check_len(name: &str, field: &str, expected: usize, found: usize) -> Result<(), PlotError> {
    if expected == found {
        Ok(())
    } else {
        Err(PlotError::InvalidInput {
            name: name.to_owned(),
            reason: format!("{field} has {found} values but x_years has {expected}"),
        })
    }
}

/// Indices of `x` in increasing order of x, non-finite x left out.
fn by_time(x: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_finite()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    idx
}

/// Maximal runs of consecutive (in time order) indices for which `keep` holds, mapped by `f`.
fn runs<T>(order: &[usize], keep: impl Fn(usize) -> bool, f: impl Fn(usize) -> T) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    for &i in order {
        if keep(i) {
            current.push(f(i));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn x_extent(xs: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    minmax(xs)
}

/// The y range to show: data extent with a little room; probabilities start at 0% and stop at
/// 100% when the data allow; stacks (`from_zero`) include 0.
fn y_extent(
    ys: impl Iterator<Item = f64>,
    fmt: ValueFormat,
    from_zero: bool,
) -> Option<(f64, f64)> {
    let (lo, hi) = minmax(ys)?;
    let range = match fmt {
        ValueFormat::Probability => {
            let lo = lo.min(0.0);
            let hi = if hi <= lo {
                lo + 0.1
            } else if hi <= 1.0 {
                (hi + (hi - lo) * 0.08).min(1.0)
            } else {
                hi + (hi - lo) * 0.05
            };
            // A sliver below 0% keeps a line at zero visible above the x axis.
            (lo - (hi - lo) * ZERO_ROOM, hi)
        }
        ValueFormat::Usd | ValueFormat::Plain => {
            let (lo, hi) = sane_range(lo, hi, fmt);
            let (plo, phi) = padded(lo, hi, 0.05);
            if from_zero && lo >= 0.0 {
                (0.0, phi)
            } else {
                (plo, phi)
            }
        }
    };
    Some(range)
}

fn minmax(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// A fan's finite data split into drawable runs.
struct PreparedFan {
    name: String,
    /// Runs of (x, p5, p25, p75, p95) where all are finite.
    bands: Vec<Vec<[f64; 5]>>,
    /// Runs of (x, p50) where the median is finite.
    medians: Vec<Vec<(f64, f64)>>,
}

impl PreparedFan {
    fn new(f: &FanBands) -> Result<Self, PlotError> {
        let n = f.x_years.len();
        for (field, v) in [
            ("p5", &f.p5),
            ("p25", &f.p25),
            ("p50", &f.p50),
            ("p75", &f.p75),
            ("p95", &f.p95),
        ] {
            check_len(&f.name, field, n, v.len())?;
        }
        let order = by_time(&f.x_years);
        let bands = runs(
            &order,
            |i| {
                [f.p5[i], f.p25[i], f.p75[i], f.p95[i]]
                    .iter()
                    .all(|v| v.is_finite())
            },
            |i| [f.x_years[i], f.p5[i], f.p25[i], f.p75[i], f.p95[i]],
        );
        let medians = runs(
            &order,
            |i| f.p50[i].is_finite(),
            |i| (f.x_years[i], f.p50[i]),
        );
        Ok(Self {
            name: f.name.clone(),
            bands,
            medians,
        })
    }

    fn is_empty(&self) -> bool {
        self.bands.is_empty() && self.medians.is_empty()
    }

    fn xs(&self) -> impl Iterator<Item = f64> + '_ {
        let band = self.bands.iter().flatten().map(|b| b[0]);
        band.chain(self.medians.iter().flatten().map(|m| m.0))
    }

    fn ys(&self) -> impl Iterator<Item = f64> + '_ {
        let band = self
            .bands
            .iter()
            .flatten()
            .flat_map(|b| b[1..].iter().copied());
        band.chain(self.medians.iter().flatten().map(|m| m.1))
    }
}

struct FanFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    /// A value axis in this format instead of the calendar axis (sweep charts).
    x_values: Option<ValueFormat>,
    fans: Vec<PreparedFan>,
    markers: &'a [Marker],
    x: (f64, f64),
    y: (f64, f64),
}

impl FanFigure<'_> {
    fn small_multiples(&self) -> bool {
        self.fans.len() > MAX_OVERLAID_FANS
    }

    fn grid(&self) -> (usize, usize) {
        let n = self.fans.len().max(1);
        let cols = if n == 4 { 2 } else { n.min(MAX_COLUMNS) };
        (n.div_ceil(cols), cols)
    }

    fn y_axis(&self) -> TickAxis {
        TickAxis::values(self.y.0, self.y.1, 7, self.fmt)
    }

    fn legend(&self) -> Vec<LegendItem> {
        let mut items = Vec::new();
        for (i, f) in self.fans.iter().enumerate() {
            let c = colour(i);
            items.push(LegendItem::new(f.name.clone(), Swatch::Heading));
            if f.is_empty() {
                items.push(LegendItem::new("(no data)", Swatch::Note));
            } else {
                items.push(LegendItem::new("median", Swatch::Line(c)));
                items.push(LegendItem::new(
                    "25–75%",
                    Swatch::Fill(c.mix(INNER_ON_WHITE), None),
                ));
                items.push(LegendItem::new(
                    "5–95%",
                    Swatch::Fill(c.mix(OUTER_ALPHA), None),
                ));
            }
        }
        items
    }

    /// Draws the fans with indices `which` on one plotting area.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        which: &[usize],
        heading: Option<&str>,
        show_x_desc: bool,
        show_y_desc: bool,
        target: Target,
    ) -> DrawResult<i32, DB> {
        let y = self.y_axis();
        let (mut chart, plan, top) = axes(
            area,
            AxesSpec {
                labels: self.labels,
                x: match self.x_values {
                    Some(fmt) => XAxis::Values(TickAxis::values(self.x.0, self.x.1, 7, fmt)),
                    None => XAxis::Years(self.x.0, self.x.1),
                },
                y,
                markers: self.markers,
                heading,
                show_x_desc,
                show_y_desc,
            },
        )?;
        // All outer bands first, then inner bands, then medians: no plan's band hides
        // another plan's median.
        for &i in which {
            let c = colour(i);
            for run in &self.fans[i].bands {
                band(&mut chart, run, 1, 4, c.mix(OUTER_ALPHA))?;
            }
        }
        for &i in which {
            let c = colour(i);
            for run in &self.fans[i].bands {
                band(&mut chart, run, 2, 3, c.mix(INNER_ALPHA))?;
                // Thin edges at 5% and 95% keep overlapping outer bands distinguishable.
                for k in [1, 4] {
                    let edge: Vec<(f64, f64)> = run.iter().map(|b| (b[0], b[k])).collect();
                    chart.draw_series(std::iter::once(PathElement::new(
                        edge,
                        c.mix(0.45).stroke_width(1),
                    )))?;
                }
            }
        }
        for &i in which {
            for run in &self.fans[i].medians {
                line(&chart, run, colour(i), target)?;
                // Over a parameter, only the points simulated are known: a dot at each, so
                // the line between them is not read as evaluated.
                if self.x_values.is_some() {
                    for point in run {
                        chart
                            .plotting_area()
                            .draw(&Circle::new(*point, 5, colour(i).filled()))?;
                        chart.plotting_area().draw(&Circle::new(
                            *point,
                            5,
                            WHITE.stroke_width(1),
                        ))?;
                    }
                }
            }
        }
        draw_markers(&chart, &plan)?;
        Ok(top)
    }
}

/// Fills between columns `lo` and `hi` of a band run (a vertical bar for a single time).
fn band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    run: &[[f64; 5]],
    lo: usize,
    hi: usize,
    fill: RGBAColor,
) -> DrawResult<(), DB> {
    if let [only] = run {
        let bar = PathElement::new(
            vec![(only[0], only[lo]), (only[0], only[hi])],
            fill.stroke_width(8),
        );
        chart.draw_series(std::iter::once(bar))?;
        return Ok(());
    }
    let mut outline: Vec<(f64, f64)> = run.iter().map(|b| (b[0], b[hi])).collect();
    outline.extend(run.iter().rev().map(|b| (b[0], b[lo])));
    chart.draw_series(std::iter::once(Polygon::new(outline, fill.filled())))?;
    Ok(())
}

/// Draws a run as a line, or as a dot when it has a single point.
fn line<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    run: &[(f64, f64)],
    c: RGBColor,
    target: Target,
) -> DrawResult<(), DB> {
    if let [only] = run {
        chart
            .plotting_area()
            .draw(&Circle::new(*only, 4, c.filled()))
    } else {
        polyline(chart, run, c.stroke_width(3), target)
    }
}

impl Figure for FanFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, _) = self.grid();
        if !self.small_multiples() || rows == 1 {
            crate::report::plots::canvas::CHART_SIZE
        } else {
            (1200, 100 + 420 * rows as u32)
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        let items = self.legend();
        let page = Page::new(root, self.labels.title, &items)?;
        let top = if self.small_multiples() {
            let (rows, cols) = self.grid();
            // The first column also holds the y labels: widen it by their width so that all
            // panels get plotting areas of the same size.
            let (body_w, body_h) = page.body.dim_in_pixel();
            let labelled = y_label_width(&page.body, &self.y_axis(), true)?;
            let extra = labelled.saturating_sub(y_label_width(&page.body, &self.y_axis(), false)?);
            let col_w = (body_w.saturating_sub(extra) / cols as u32) as i32;
            let xs: Vec<i32> = (1..cols).map(|c| extra as i32 + col_w * c as i32).collect();
            let ys: Vec<i32> = (1..rows)
                .map(|r| (body_h as usize * r / rows) as i32)
                .collect();
            let cells = page.body.split_by_breakpoints(xs, ys);
            let mut top = 0;
            for (i, cell) in cells.iter().enumerate().take(self.fans.len()) {
                let heading = self.fans[i].name.as_str();
                // Label only the outer axes: x on the last row, y on the first column.
                let last_row = i / cols == rows - 1 || i + cols >= self.fans.len();
                let t = self.panel(cell, &[i], Some(heading), last_row, i % cols == 0, target)?;
                if i == 0 {
                    top = t;
                }
            }
            top
        } else {
            let all: Vec<usize> = (0..self.fans.len()).collect();
            self.panel(&page.body, &all, None, true, true, target)?
        };
        page.draw_legend(&items, top)
    }
}

/// A series' finite points split into drawable runs.
struct PreparedSeries {
    name: String,
    runs: Vec<Vec<(f64, f64)>>,
}

impl PreparedSeries {
    fn new(s: &Series) -> Result<Self, PlotError> {
        check_len(&s.name, "y", s.x_years.len(), s.y.len())?;
        let order = by_time(&s.x_years);
        let runs = runs(&order, |i| s.y[i].is_finite(), |i| (s.x_years[i], s.y[i]));
        Ok(Self {
            name: s.name.clone(),
            runs,
        })
    }
}

struct LinesFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    series: Vec<PreparedSeries>,
    markers: &'a [Marker],
    x: (f64, f64),
    y: (f64, f64),
}

impl Figure for LinesFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        let items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if s.runs.is_empty() {
                    LegendItem::new(format!("{} (no data)", s.name), Swatch::Note)
                } else {
                    LegendItem::new(s.name.clone(), Swatch::Line(colour(i)))
                }
            })
            .collect();
        let page = Page::new(root, self.labels.title, &items)?;
        let y = TickAxis::values(self.y.0, self.y.1, 7, self.fmt);
        let (chart, plan, top) = axes(
            &page.body,
            AxesSpec {
                labels: self.labels,
                x: XAxis::Years(self.x.0, self.x.1),
                y,
                markers: self.markers,
                heading: None,
                show_x_desc: true,
                show_y_desc: true,
            },
        )?;
        for (i, s) in self.series.iter().enumerate() {
            for run in &s.runs {
                line(&chart, run, colour(i), target)?;
            }
        }
        draw_markers(&chart, &plan)?;
        page.draw_legend(&items, top)
    }
}

/// Cumulative layer tops at each usable time.
struct Stack {
    /// Runs of (x, cumulative tops per layer, bottom layer first).
    runs: Vec<Vec<(f64, Vec<f64>)>>,
    layers: usize,
}

impl Stack {
    fn new(layers: &[Series]) -> Result<Self, PlotError> {
        let Some(base) = layers.first() else {
            return Ok(Self {
                runs: Vec::new(),
                layers: 0,
            });
        };
        for l in layers {
            check_len(&l.name, "y", l.x_years.len(), l.y.len())?;
            check_len(&l.name, "x_years", base.x_years.len(), l.x_years.len())?;
            let same_x = l
                .x_years
                .iter()
                .zip(&base.x_years)
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9);
            if !same_x {
                return Err(PlotError::InvalidInput {
                    name: l.name.clone(),
                    reason: format!("x_years differ from those of layer '{}'", base.name),
                });
            }
        }
        let order = by_time(&base.x_years);
        let runs = runs(
            &order,
            |i| layers.iter().all(|l| l.y[i].is_finite()),
            |i| {
                let mut total = 0.0;
                let tops = layers
                    .iter()
                    .map(|l| {
                        total += l.y[i];
                        total
                    })
                    .collect();
                (base.x_years[i], tops)
            },
        );
        Ok(Self {
            runs,
            layers: layers.len(),
        })
    }
}

struct StackFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    markers: &'a [Marker],
    names: Vec<String>,
    stack: Stack,
    x: (f64, f64),
    y: (f64, f64),
}

impl Figure for StackFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        // Top layer first in the legend, matching the order seen in the chart.
        let items: Vec<LegendItem> = (0..self.stack.layers)
            .rev()
            .map(|i| {
                LegendItem::new(
                    self.names[i].clone(),
                    Swatch::Fill(colour(i).mix(AREA_ALPHA), Some(colour(i))),
                )
            })
            .collect();
        let page = Page::new(root, self.labels.title, &items)?;
        let y = TickAxis::values(self.y.0, self.y.1, 7, self.fmt);
        let (mut chart, marker_plan, top) = axes(
            &page.body,
            AxesSpec {
                labels: self.labels,
                x: XAxis::Years(self.x.0, self.x.1),
                y,
                markers: self.markers,
                heading: None,
                show_x_desc: true,
                show_y_desc: true,
            },
        )?;
        let top_of = |layer: usize| move |p: &(f64, Vec<f64>)| (p.0, p.1[layer]);
        let bottom_of = |layer: usize| {
            move |p: &(f64, Vec<f64>)| (p.0, if layer == 0 { 0.0 } else { p.1[layer - 1] })
        };
        // Fills first, then every top edge, so no fill covers the edge of the layer below.
        for run in &self.stack.runs {
            for layer in 0..self.stack.layers {
                let fill = colour(layer).mix(AREA_ALPHA);
                if let [only] = run.as_slice() {
                    let bar = vec![bottom_of(layer)(only), top_of(layer)(only)];
                    chart.draw_series(std::iter::once(PathElement::new(
                        bar,
                        fill.stroke_width(8),
                    )))?;
                    continue;
                }
                let mut outline: Vec<(f64, f64)> = run.iter().map(top_of(layer)).collect();
                outline.extend(run.iter().rev().map(bottom_of(layer)));
                chart.draw_series(std::iter::once(Polygon::new(outline, fill.filled())))?;
            }
        }
        for run in self.stack.runs.iter().filter(|r| r.len() > 1) {
            for layer in 0..self.stack.layers {
                let edge: Vec<(f64, f64)> = run.iter().map(top_of(layer)).collect();
                polyline(&chart, &edge, colour(layer).stroke_width(2), target)?;
            }
        }
        draw_markers(&chart, &marker_plan)?;
        page.draw_legend(&items, top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_break_at_gaps() {
        let x = [3.0, 1.0, 2.0, 4.0, f64::NAN];
        let y = [30.0, 10.0, f64::NAN, 40.0, 50.0];
        let order = by_time(&x);
        assert_eq!(order, vec![1, 2, 0, 3]);
        let r = runs(&order, |i| y[i].is_finite(), |i| (x[i], y[i]));
        assert_eq!(r, vec![vec![(1.0, 10.0)], vec![(3.0, 30.0), (4.0, 40.0)]]);
    }

    #[test]
    fn probability_axis_starts_at_zero_and_caps_at_one() {
        // Data 0.1..0.5: span 0.5 from 0, plus 8% of it = 0.54; 1.5% of 0.54 below zero.
        let (lo, hi) =
            y_extent([0.1, 0.5].into_iter(), ValueFormat::Probability, false).unwrap_or_default();
        assert!((lo + 0.0081).abs() < 1e-12);
        assert!((hi - 0.54).abs() < 1e-12);
        let (_, hi) =
            y_extent([0.2, 0.99].into_iter(), ValueFormat::Probability, false).unwrap_or_default();
        assert_eq!(hi, 1.0);
        // All zero: still a visible 0..10% axis (with 0.15% of room below).
        let (lo, hi) =
            y_extent([0.0].into_iter(), ValueFormat::Probability, false).unwrap_or_default();
        assert!((lo + 0.0015).abs() < 1e-12);
        assert_eq!(hi, 0.1);
    }

    #[test]
    fn stack_accumulates_layers() {
        let a = Series {
            name: "a".into(),
            x_years: vec![2026.0, 2027.0],
            y: vec![1.0, 2.0],
        };
        let b = Series {
            name: "b".into(),
            x_years: vec![2026.0, 2027.0],
            y: vec![3.0, f64::NAN],
        };
        let s = Stack::new(&[a, b]).map(|s| s.runs).unwrap_or_default();
        assert_eq!(s, vec![vec![(2026.0, vec![1.0, 4.0])]]);
    }

    #[test]
    fn stack_rejects_different_times() {
        let a = Series {
            name: "a".into(),
            x_years: vec![2026.0, 2027.0],
            y: vec![1.0, 2.0],
        };
        let b = Series {
            name: "b".into(),
            x_years: vec![2026.0, 2028.0],
            y: vec![3.0, 4.0],
        };
        assert!(matches!(
            Stack::new(&[a, b]),
            Err(PlotError::InvalidInput { .. })
        ));
    }
}
