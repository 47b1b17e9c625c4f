//! The frontier chart of `optimize`: every evaluated candidate as a dot of its objective
//! against a risk measure, the Pareto front of the search drawn through the candidates no
//! other beats on both, and the chosen one marked.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::plots::axis::{TickAxis, padded, sane_range};
use crate::report::plots::canvas::{
    AxesSpec, DrawResult, Figure, LegendItem, Page, Swatch, Target, XAxis, axes, colour, polyline,
    render,
};
use crate::report::plots::{Labels, PlotError, ValueFormat};

/// What the frontier chart shows, as (risk, objective) pairs in the axes' units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrontierPoints {
    /// Candidates of the search (common futures).
    pub search: Vec<(f64, f64)>,
    /// Finalists re-evaluated on fresh futures.
    pub confirm: Vec<(f64, f64)>,
    /// The search's Pareto front, in increasing risk.
    pub front: Vec<(f64, f64)>,
    /// The chosen candidate, on fresh futures.
    pub chosen: Option<(f64, f64)>,
    /// Whether infeasible candidates are among `search` (drawn hollow).
    pub infeasible: Vec<bool>,
}

/// Writes the frontier chart to `<stem>.png` and `<stem>.svg`; returns both paths.
pub fn frontier(
    stem: &Path,
    labels: &Labels,
    x_fmt: ValueFormat,
    y_fmt: ValueFormat,
    points: &FrontierPoints,
) -> Result<Vec<PathBuf>, PlotError> {
    let all = || points.search.iter().chain(&points.confirm).copied();
    let finite = |v: f64| v.is_finite();
    let extent = |values: Vec<f64>| {
        values
            .into_iter()
            .filter(|v| finite(*v))
            .fold(None, |acc: Option<(f64, f64)>, v| {
                Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
            })
    };
    let (x_lo, x_hi) = extent(all().map(|p| p.0).collect()).ok_or(PlotError::NoData {
        chart: "frontier chart",
    })?;
    let (y_lo, y_hi) = extent(all().map(|p| p.1).collect()).ok_or(PlotError::NoData {
        chart: "frontier chart",
    })?;
    let fig = FrontierFigure {
        labels,
        x_fmt,
        y_fmt,
        points,
        x: axis_range(x_lo, x_hi, x_fmt),
        y: axis_range(y_lo, y_hi, y_fmt),
    };
    render(stem, &fig, labels.caption)
}

/// The data's range with room around it; a probability axis starts at 0%.
fn axis_range(lo: f64, hi: f64, fmt: ValueFormat) -> (f64, f64) {
    let (lo, hi) = sane_range(lo, hi, fmt);
    let (plo, phi) = padded(lo, hi, 0.06);
    if fmt == ValueFormat::Probability {
        (plo.max(0.0).min(lo), phi)
    } else {
        (plo, phi)
    }
}

struct FrontierFigure<'a> {
    labels: &'a Labels<'a>,
    x_fmt: ValueFormat,
    y_fmt: ValueFormat,
    points: &'a FrontierPoints,
    x: (f64, f64),
    y: (f64, f64),
}

impl Figure for FrontierFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB> {
        let searched = colour(0);
        let confirmed = colour(1);
        let front = colour(2);
        let chosen = colour(5);
        let items = vec![
            LegendItem::new(
                "search (common futures)",
                Swatch::Fill(searched.mix(0.7), None),
            ),
            LegendItem::new("  hollow: infeasible", Swatch::Note),
            LegendItem::new("Pareto front (search)", Swatch::Line(front)),
            LegendItem::new(
                "finalists (fresh futures)",
                Swatch::Fill(confirmed.mix(0.9), None),
            ),
            LegendItem::new("chosen", Swatch::Fill(chosen.mix(1.0), Some(BLACK))),
        ];
        let page = Page::new(root, self.labels.title, &items)?;
        let (mut chart, _, top) = axes(
            &page.body,
            AxesSpec {
                labels: self.labels,
                x: XAxis::Values(TickAxis::values(self.x.0, self.x.1, 7, self.x_fmt)),
                y: TickAxis::values(self.y.0, self.y.1, 7, self.y_fmt),
                markers: &[],
                heading: None,
                show_x_desc: true,
                show_y_desc: true,
            },
        )?;
        let inside = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        for (i, p) in self
            .points
            .search
            .iter()
            .enumerate()
            .filter(|(_, p)| inside(p))
        {
            let hollow = self.points.infeasible.get(i).copied().unwrap_or(false);
            let style = if hollow {
                searched.stroke_width(2)
            } else {
                searched.mix(0.7).filled()
            };
            chart.draw_series(std::iter::once(Circle::new(*p, 5, style)))?;
        }
        let line: Vec<(f64, f64)> = self.points.front.iter().copied().filter(inside).collect();
        if line.len() > 1 {
            polyline(&chart, &line, front.stroke_width(3), target)?;
        }
        for p in self.points.confirm.iter().filter(|p| inside(p)) {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                *p,
                8,
                confirmed.mix(0.9).filled(),
            )))?;
        }
        if let Some(p) = self.points.chosen.filter(inside) {
            chart.draw_series(std::iter::once(Circle::new(p, 10, chosen.filled())))?;
            chart.draw_series(std::iter::once(Circle::new(p, 10, BLACK.stroke_width(2))))?;
        }
        page.draw_legend(&items, top)
    }
}
