//! Charts of simulation results, written as PNG (for slides) and SVG (for documents).
//!
//! Every public function takes a file *stem* and writes `<stem>.png` and `<stem>.svg`,
//! returning both paths in that order. Input is validated before any file is created, so a
//! typed [`PlotError`] never leaves a half-written chart behind.
//!
//! Design choices that callers can rely on:
//! - Text is drawn with DejaVu Sans compiled into the binary (the `dejavu` crate), registered
//!   once as the `sans-serif` family; nothing is looked up on the host (no fontconfig). In SVG
//!   it is drawn as that font's glyph outlines, so the SVG needs no font and matches the PNG.
//! - Colours follow the Okabe–Ito palette, which stays distinguishable under the common forms
//!   of colour blindness, extended to 12 distinct colours; plan *i* always gets the *i*-th
//!   colour in every chart kind.
//! - A caption line under the chart ([`Labels::caption`]) names the run it shows.
//! - The legend sits in its own panel to the right of the plotting area, so it never covers data.
//! - Non-finite values (NaN, ±∞) are skipped; a line or band is broken where they occur.
//! - A chart with some empty inputs is still drawn (the empty ones are marked "(no data)" in the
//!   legend); a chart with no finite value at all is a [`PlotError::NoData`].
//! - Fan charts overlay up to two plans; three or more are drawn as small multiples side by
//!   side on a shared y scale, because overlaid translucent bands of three colours mix into
//!   unreadable browns.

mod axis;
mod bars;
mod canvas;
mod distribution;
mod frontier;
mod png_text;
mod svg_text;
mod timeseries;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use crate::report::format::{ValueFormat, format_value};
pub use bars::{Bar, BarRow, horizontal_bars};
pub use distribution::{cdf, histogram};
pub use frontier::{FrontierPoints, frontier};
pub use timeseries::{fan_chart, lines, parameter_fan_chart, stacked_area};

/// A distribution given as `(value, count)` pairs, e.g. the bins of a quantile sketch.
///
/// Values are bin representatives (sorted ascending is expected but not required); counts are
/// numbers of runs. Pairs with a non-finite value or a zero count are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Plan name, shown in the legend.
    pub name: String,
    /// `(value, count)` pairs; the value is in the unit of the chart's [`ValueFormat`].
    pub points: Vec<(f64, u64)>,
}

/// A time series on a calendar axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Series name, shown in the legend.
    pub name: String,
    /// Time in fractional years: 2026.0 is 2026-01-01, 2026.5 is about 1 July.
    pub x_years: Vec<f64>,
    /// One value per entry of `x_years`.
    pub y: Vec<f64>,
}

/// Percentile bands over time for one plan. All vectors have the length of `x_years`.
#[derive(Debug, Clone, PartialEq)]
pub struct FanBands {
    /// Plan name, shown in the legend.
    pub name: String,
    /// Time in fractional years (see [`Series::x_years`]).
    pub x_years: Vec<f64>,
    /// 5th percentile at each time.
    pub p5: Vec<f64>,
    /// 25th percentile at each time.
    pub p25: Vec<f64>,
    /// Median at each time.
    pub p50: Vec<f64>,
    /// 75th percentile at each time.
    pub p75: Vec<f64>,
    /// 95th percentile at each time.
    pub p95: Vec<f64>,
}

impl FanBands {
    /// Bands with no points yet, to be filled point by point.
    pub fn empty(name: &str) -> Self {
        FanBands {
            name: name.to_owned(),
            x_years: Vec::new(),
            p5: Vec::new(),
            p25: Vec::new(),
            p50: Vec::new(),
            p75: Vec::new(),
            p95: Vec::new(),
        }
    }

    /// Appends one point: its x and its five bands (5, 25, 50, 75, 95%).
    pub fn push(&mut self, x: f64, bands: [f64; 5]) {
        self.x_years.push(x);
        self.p5.push(bands[0]);
        self.p25.push(bands[1]);
        self.p50.push(bands[2]);
        self.p75.push(bands[3]);
        self.p95.push(bands[4]);
    }
}

/// A vertical marker on a time axis (e.g. "halving"), or at a value of a histogram's axis
/// (e.g. "mean"). Markers outside the data's range are not drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Time in fractional years, or on a histogram the value in the axis' unit.
    pub x_years: f64,
    /// Text written above the plotting area at the marker.
    pub label: String,
}

/// Texts of a chart. Axis labels should carry their unit, e.g. "NPV (USD)".
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// Chart title, centred above the chart.
    pub title: &'a str,
    /// Label of the horizontal axis.
    pub x_label: &'a str,
    /// Label of the vertical axis.
    pub y_label: &'a str,
    /// A line under the chart saying which run it shows (scenario, futures, seed, discount
    /// rates), so the plot stands alone; empty for none.
    pub caption: &'a str,
}

/// Why a chart could not be written.
#[derive(thiserror::Error, Debug)]
pub enum PlotError {
    /// The drawing backend failed, typically while writing the file.
    #[error("cannot draw {}: {message}", path.display())]
    Backend {
        /// The file being written.
        path: PathBuf,
        /// The backend's description of the failure.
        message: String,
    },
    /// No input holds a single finite value, so there is nothing to plot.
    #[error("nothing to plot in {chart}: no finite values")]
    NoData {
        /// The kind of chart requested, e.g. "histogram".
        chart: &'static str,
    },
    /// An input is inconsistent, e.g. `y` is shorter than `x_years`.
    #[error("invalid input '{name}': {reason}")]
    InvalidInput {
        /// Name of the offending series, distribution or band.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}
