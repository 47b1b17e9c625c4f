//! Horizontal bar charts with one row per category: the tornado of a sensitivity analysis
//! (bars from the base value to each input's low and high result) and its Sobol indices (two
//! bars per input, side by side, with their intervals).
//!
//! Rows are drawn top to bottom in the order given, so the caller sorts them (a tornado puts
//! its widest swing on top). A series' bars share its colour and legend entry; an interval
//! is a whisker through the bar's end.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::plots::axis::{TickAxis, padded};
use crate::report::plots::canvas::{
    AxesSpec, DrawResult, Figure, LegendItem, Page, Swatch, Target, XAxis, axes, colour,
    draw_markers, render,
};
use crate::report::plots::{Labels, Marker, PlotError, ValueFormat};

/// A bar along the value axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Where the bar starts (the base value, or 0), in the axis' unit.
    pub from: f64,
    /// Where it ends.
    pub to: f64,
    /// A 95% interval around `to`, drawn as a whisker; none to draw none.
    pub interval: Option<(f64, f64)>,
}

/// One row: a category and its bar in each series (none where a series has no bar).
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// The category's label, written left of the row.
    pub label: String,
    /// One entry per series.
    pub bars: Vec<Option<Bar>>,
}

/// Bar height as a share of a row; the rest is the gap between rows.
const ROW_FILL: f64 = 0.7;

/// Writes a horizontal bar chart of `rows` (top to bottom) with one legend entry per name of
/// `series`. A row's bars sit in lanes one under the other, in series order, so two bars on
/// the same side of the axis never hide each other (a tornado's low and high results both
/// below the base). `markers` are dashed vertical lines (the base value). Returns the PNG and
/// SVG paths.
pub fn horizontal_bars(
    stem: &Path,
    labels: &Labels,
    fmt: ValueFormat,
    series: &[String],
    rows: &[BarRow],
    markers: &[Marker],
) -> Result<Vec<PathBuf>, PlotError> {
    if let Some(row) = rows.iter().find(|r| r.bars.len() != series.len()) {
        return Err(PlotError::InvalidInput {
            name: row.label.clone(),
            reason: format!("{} bars for {} series", row.bars.len(), series.len()),
        });
    }
    let values = rows
        .iter()
        .flat_map(|r| r.bars.iter().flatten())
        .flat_map(|b| {
            let (l, h) = b.interval.unwrap_or((b.to, b.to));
            [b.from, b.to, l, h]
        })
        .chain(markers.iter().map(|m| m.x_years))
        .filter(|v| v.is_finite());
    let (lo, hi) = values
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })
        .ok_or(PlotError::NoData { chart: "bars" })?;
    let (lo, hi) = padded(lo, hi, 0.04);
    let fig = BarsFigure {
        labels,
        fmt,
        series,
        rows,
        markers,
        lo,
        hi,
    };
    render(stem, &fig, labels.caption)
}

struct BarsFigure<'a> {
    labels: &'a Labels<'a>,
    fmt: ValueFormat,
    series: &'a [String],
    rows: &'a [BarRow],
    markers: &'a [Marker],
    lo: f64,
    hi: f64,
}

impl BarsFigure<'_> {
    /// The y centre of row `r`: the first row on top.
    fn centre(&self, r: usize) -> f64 {
        (self.rows.len() - r) as f64
    }

    /// The lower and upper y of series `s`'s bar in row `r`.
    fn lane(&self, r: usize, s: usize) -> (f64, f64) {
        let c = self.centre(r);
        let h = ROW_FILL / self.series.len().max(1) as f64;
        let top = c + ROW_FILL / 2.0 - h * s as f64;
        (top - h, top)
    }
}

impl Figure for BarsFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _target: Target,
    ) -> DrawResult<(), DB> {
        let items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, name)| {
                LegendItem::new(
                    name.clone(),
                    Swatch::Fill(colour(i).mix(0.75), Some(colour(i))),
                )
            })
            .collect();
        let page = Page::new(root, self.labels.title, &items)?;
        let ticks = (0..self.rows.len())
            .map(|r| (self.centre(r), self.rows[r].label.clone()))
            .collect();
        let y = TickAxis::labelled(0.4, self.rows.len() as f64 + 0.6, ticks);
        let x = TickAxis::values(self.lo, self.hi, 8, self.fmt);
        let (chart, marker_plan, plot_top) = axes(
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
        let plot = chart.plotting_area();
        for (r, row) in self.rows.iter().enumerate() {
            for (s, bar) in row.bars.iter().enumerate() {
                let Some(bar) = bar else { continue };
                if !(bar.from.is_finite() && bar.to.is_finite()) {
                    continue;
                }
                let (y0, y1) = self.lane(r, s);
                let c = colour(s);
                let corners = [(bar.from, y0), (bar.to, y1)];
                plot.draw(&Rectangle::new(corners, c.mix(0.75).filled()))?;
                plot.draw(&Rectangle::new(corners, c.stroke_width(1)))?;
                if let Some((l, h)) = bar.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                    let mid = (y0 + y1) / 2.0;
                    let cap = (y1 - y0) / 4.0;
                    let ink = BLACK.stroke_width(2);
                    plot.draw(&PathElement::new(vec![(l, mid), (h, mid)], ink))?;
                    for x in [l, h] {
                        plot.draw(&PathElement::new(vec![(x, mid - cap), (x, mid + cap)], ink))?;
                    }
                }
            }
        }
        draw_markers(&chart, &marker_plan)?;
        page.draw_legend(&items, plot_top)
    }
}
