//! The parts every chart shares: the embedded font, the palette, writing one figure to both
//! PNG and SVG, the title, the legend panel, axes with our own ticks, and time markers.
//!
//! Page layout, top to bottom: title; a strip for marker labels (only when there are markers);
//! the plotting area with its axes. The legend has a panel of its own on the right, sized to
//! its longest entry, so it can never cover data.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::plots::axis::TickAxis;
use crate::report::plots::png_text::CrispText;
use crate::report::plots::svg_text::{GlyphRecorder, OutlinedText};
use crate::report::plots::{Labels, Marker, PlotError};

/// Size of a one-panel chart in pixels: 1200×720 fits a 16:10 slide and a printed page.
pub(crate) const CHART_SIZE: (u32, u32) = (1200, 720);

/// Colours in the order plans receive them, distinct for up to 12 series (a scenario's plans
/// times its stresses reach that): the Okabe–Ito colours, which stay distinguishable under
/// the common forms of colour blindness (blue, vermillion, bluish green, orange, reddish
/// purple, sky blue, black), then four dark colours of Paul Tol's muted scheme unlike any of
/// them (indigo, wine, olive, teal), and Okabe–Ito's yellow last: it is faint on white.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(51, 34, 136),
    RGBColor(136, 34, 85),
    RGBColor(153, 153, 51),
    RGBColor(68, 170, 153),
    RGBColor(240, 228, 66),
];

/// Text and axis colour: near-black reads softer than pure black on screens and slides.
pub(crate) static INK: RGBColor = RGBColor(34, 34, 34);
/// Secondary text (marker labels, "(no data)").
static MUTED: RGBColor = RGBColor(85, 85, 85);
/// Grid lines.
static GRID: RGBColor = RGBColor(225, 225, 225);

const TITLE_PX: f64 = 26.0;
const AXIS_DESC_PX: f64 = 19.0;
const TICK_PX: f64 = 16.0;
const LEGEND_PX: f64 = 16.0;
const MARKER_PX: f64 = 15.0;
/// Panel headings of small multiples.
const HEADING_PX: f64 = 18.0;
const TICK_MARK: i32 = 5;
/// The caption line under a chart (scenario, futures, seed, discount rates).
const CAPTION_PX: f64 = 14.0;
/// Height of the strip that holds the caption, in pixels, added below the chart.
const CAPTION_STRIP: u32 = 30;
/// Space above the plotting area when there are no marker labels.
const PLOT_TOP: u32 = 12;

/// The colour of the `i`-th plan or series.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers DejaVu Sans as the `sans-serif` family, once per process.
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // Both calls only fail on a corrupt font file; the bytes are compiled in and parse.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A text style in the shared family.
pub(crate) fn text(size: f64, style: FontStyle, colour: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(FontFamily::SansSerif, size, style)).color(colour)
}

/// Result of drawing on backend `DB`.
pub(crate) type DrawResult<T, DB> =
    Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The file a figure is being drawn for. Thick polylines are drawn differently in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Bitmap: plotters turns a thick polyline into one polygon, which breaks up into spikes
    /// when segments are shorter than the line width (dense CDFs, noisy series). We draw
    /// each segment separately with round joins instead.
    Png,
    /// Vector: the viewer strokes the path; one element per line keeps the file small.
    Svg,
}

/// A chart that can be drawn on any plotters backend.
pub(crate) trait Figure {
    /// Canvas size in pixels (width, height).
    fn size(&self) -> (u32, u32) {
        CHART_SIZE
    }

    /// Draws the whole chart on `root`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<(), DB>;
}

/// Writes `fig` to `<stem>.png` and `<stem>.svg` and returns both paths, PNG first. A
/// non-empty `caption` gets a strip of its own under the chart, so a plot copied alone into
/// a slide or a chat still says which run it shows.
pub(crate) fn render(
    stem: &Path,
    fig: &impl Figure,
    caption: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    register_fonts();
    let png = with_suffix(stem, ".png");
    let svg = with_suffix(stem, ".svg");
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |e: &dyn std::fmt::Display| PlotError::Backend {
            path: path.clone(),
            message: e.to_string(),
        }
    };
    let (width, height) = fig.size();
    let size = if caption.is_empty() {
        (width, height)
    } else {
        (width, height + CAPTION_STRIP)
    };
    {
        let root = CrispText(BitMapBackend::new(&png, size)).into_drawing_area();
        draw_captioned(&root, fig, Target::Png, caption, height).map_err(|e| fail(&png)(&e))?;
        root.present().map_err(|e| fail(&png)(&e))?;
    }
    let mut document = String::new();
    let glyphs = GlyphRecorder::new(&stem.file_name().unwrap_or_default().to_string_lossy());
    {
        let backend = OutlinedText {
            inner: SVGBackend::with_string(&mut document, size),
            recorder: &glyphs,
        };
        let root = backend.into_drawing_area();
        draw_captioned(&root, fig, Target::Svg, caption, height).map_err(|e| fail(&svg)(&e))?;
        root.present().map_err(|e| fail(&svg)(&e))?;
    }
    let document = glyphs.borrow().finish(&document);
    std::fs::write(&svg, document).map_err(|e| fail(&svg)(&e))?;
    Ok(vec![png, svg])
}

/// Draws `fig` in the top `height` pixels of `root` and `caption`, cut to fit, in the strip
/// under it.
fn draw_captioned<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &impl Figure,
    target: Target,
    caption: &str,
    height: u32,
) -> DrawResult<(), DB> {
    if caption.is_empty() {
        return fig.draw(root, target);
    }
    let (chart, strip) = root.split_vertically(height);
    fig.draw(&chart, target)?;
    strip.fill(&WHITE)?;
    let (width, _) = strip.dim_in_pixel();
    strip.draw(&PathElement::new(
        vec![(12, 0), (width as i32 - 12, 0)],
        GRID.stroke_width(1),
    ))?;
    let style = text(CAPTION_PX, FontStyle::Normal, &MUTED);
    let line = shortened(&strip, caption, &style, width as i32 - 24)?;
    strip.draw_text(
        &line,
        &style.pos(Pos::new(HPos::Left, VPos::Center)),
        (12, CAPTION_STRIP as i32 / 2),
    )
}

/// `stem` + `suffix`, keeping any dots already in the stem ("npv.v2" -> "npv.v2.png").
fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// What a legend entry shows left of its text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A solid line, as drawn for a series.
    Line(RGBColor),
    /// A filled box with an optional solid edge, as drawn for a band, bar or area.
    Fill(RGBAColor, Option<RGBColor>),
    /// No swatch: the entry is a bold group heading (e.g. a plan name above its bands).
    Heading,
    /// No swatch, muted text: a remark such as "(no data)".
    Note,
}

/// One row of the legend.
#[derive(Debug, Clone)]
pub(crate) struct LegendItem {
    /// Text of the row.
    pub(crate) text: String,
    /// What is drawn left of the text.
    pub(crate) swatch: Swatch,
}

impl LegendItem {
    pub(crate) fn new(text: impl Into<String>, swatch: Swatch) -> Self {
        Self {
            text: text.into(),
            swatch,
        }
    }
}

const SWATCH_W: i32 = 30;
const SWATCH_GAP: i32 = 10;
const LEGEND_PAD: i32 = 16;
const LEGEND_ROW: i32 = 26;
/// The legend never takes more than this share of the width; longer names are shortened.
const LEGEND_MAX_SHARE: f64 = 0.3;

/// The page of a chart after the title and legend are placed.
pub(crate) struct Page<DB: DrawingBackend> {
    /// Where the chart (or the grid of small multiples) goes.
    pub(crate) body: DrawingArea<DB, Shift>,
    legend: Option<DrawingArea<DB, Shift>>,
}

impl<DB: DrawingBackend> Page<DB> {
    /// Clears `root`, draws `title`, and reserves a right-hand legend panel for `legend`
    /// (none when `legend` is empty).
    pub(crate) fn new(
        root: &DrawingArea<DB, Shift>,
        title: &str,
        legend: &[LegendItem],
    ) -> DrawResult<Self, DB> {
        root.fill(&WHITE)?;
        let (width, _) = root.dim_in_pixel();
        let title_style = fitted(
            root,
            title,
            text(TITLE_PX, FontStyle::Bold, &INK),
            width.saturating_sub(40),
        )?;
        let (_, title_h) = root.estimate_text_size(title, &title_style)?;
        let top = 16;
        root.draw_text(
            title,
            &title_style.pos(Pos::new(HPos::Center, VPos::Top)),
            ((width / 2) as i32, top),
        )?;
        let body = root.margin(top as u32 + title_h + 14, 8, 8, 8);

        if legend.is_empty() {
            return Ok(Self { body, legend: None });
        }
        let max_text =
            (f64::from(width) * LEGEND_MAX_SHARE) as i32 - SWATCH_W - SWATCH_GAP - 2 * LEGEND_PAD;
        let mut text_w = 0;
        for item in legend {
            let (w, _) = root.estimate_text_size(&item.text, &legend_style(item.swatch))?;
            text_w = text_w.max(w as i32);
        }
        let panel_w = SWATCH_W + SWATCH_GAP + text_w.min(max_text) + 2 * LEGEND_PAD;
        let (body_w, _) = body.dim_in_pixel();
        let (body, legend_area) = body.split_horizontally(body_w as i32 - panel_w);
        Ok(Self {
            body,
            legend: Some(legend_area),
        })
    }

    /// Draws the legend rows, starting `top` pixels below the top of the panel (align it with
    /// the plotting area).
    pub(crate) fn draw_legend(&self, items: &[LegendItem], top: i32) -> DrawResult<(), DB> {
        let Some(area) = &self.legend else {
            return Ok(());
        };
        let (w, h) = area.dim_in_pixel();
        let row = LEGEND_ROW
            .min((h as i32 - top) / (items.len().max(1) as i32))
            .max(12);
        let text_max = w as i32 - 2 * LEGEND_PAD - SWATCH_W - SWATCH_GAP;
        let x0 = LEGEND_PAD;
        // Many entries: rows get tighter and the text shrinks with them.
        let font_px = LEGEND_PX.min(f64::from(row) * 0.62);
        for (i, item) in items.iter().enumerate() {
            let cy = top + row * i as i32 + row / 2;
            let style = legend_style(item.swatch);
            let style = TextStyle {
                font: style.font.resize(font_px),
                ..style
            };
            let label = shortened(area, &item.text, &style, text_max)?;
            let text_x = match item.swatch {
                Swatch::Heading => x0,
                _ => x0 + SWATCH_W + SWATCH_GAP,
            };
            match item.swatch {
                Swatch::Line(c) => {
                    area.draw(&PathElement::new(
                        vec![(x0, cy), (x0 + SWATCH_W, cy)],
                        c.stroke_width(3),
                    ))?;
                }
                Swatch::Fill(fill, edge) => {
                    let corners = [(x0, cy - 8), (x0 + SWATCH_W, cy + 8)];
                    area.draw(&Rectangle::new(corners, fill.filled()))?;
                    if let Some(e) = edge {
                        area.draw(&Rectangle::new(corners, e.stroke_width(2)))?;
                    }
                }
                Swatch::Heading | Swatch::Note => {}
            }
            area.draw_text(
                &label,
                &style.pos(Pos::new(HPos::Left, VPos::Center)),
                (text_x, cy),
            )?;
        }
        Ok(())
    }
}

fn legend_style(swatch: Swatch) -> TextStyle<'static> {
    match swatch {
        Swatch::Heading => text(LEGEND_PX, FontStyle::Bold, &INK),
        Swatch::Note => text(LEGEND_PX, FontStyle::Normal, &MUTED),
        Swatch::Line(_) | Swatch::Fill(..) => text(LEGEND_PX, FontStyle::Normal, &INK),
    }
}

/// `style`, shrunk (down to 60%) until `label` fits in `max_w` pixels.
fn fitted<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    style: TextStyle<'static>,
    max_w: u32,
) -> DrawResult<TextStyle<'static>, DB> {
    let size = style.font.get_size();
    let mut current = style;
    for step in 0..=8 {
        let (w, _) = area.estimate_text_size(label, &current)?;
        if w <= max_w {
            break;
        }
        let scaled = size * (1.0 - 0.05 * f64::from(step + 1));
        current = TextStyle {
            font: current.font.resize(scaled),
            ..current
        };
    }
    Ok(current)
}

/// `label`, cut and ended with "…" so that it fits in `max_w` pixels.
fn shortened<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    style: &TextStyle,
    max_w: i32,
) -> DrawResult<String, DB> {
    let (w, _) = area.estimate_text_size(label, style)?;
    if w as i32 <= max_w {
        return Ok(label.to_owned());
    }
    let mut chars: Vec<char> = label.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        let (w, _) = area.estimate_text_size(&candidate, style)?;
        if w as i32 <= max_w {
            return Ok(candidate);
        }
    }
    Ok("…".to_owned())
}

/// A cartesian chart on our tick axes.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickAxis, TickAxis>>;

/// Options for one plotting area.
pub(crate) struct AxesSpec<'l> {
    /// Title and axis labels; `title` is ignored here (drawn by [`Page`]).
    pub(crate) labels: &'l Labels<'l>,
    /// Horizontal axis.
    pub(crate) x: XAxis,
    /// Vertical axis.
    pub(crate) y: TickAxis,
    /// Markers whose labels need a strip above the plotting area.
    pub(crate) markers: &'l [Marker],
    /// Small heading above this plotting area (small multiples), if any.
    pub(crate) heading: Option<&'l str>,
    /// Whether to write the x label (false in small multiples that have a panel below). Its
    /// space is kept either way, so panels in one row have plotting areas of equal height.
    pub(crate) show_x_desc: bool,
    /// Whether to write the y label and y tick labels (false on all but the first column of
    /// small multiples, which share the y scale).
    pub(crate) show_y_desc: bool,
}

/// A horizontal axis, or what is needed to build one once the plot width is known.
pub(crate) enum XAxis {
    /// A value axis with ticks already chosen.
    Values(TickAxis),
    /// A calendar axis over this range of fractional years; tick spacing follows the width.
    Years(f64, f64),
}

/// Pixels per year tick: "2030" is about 38 px wide at the tick font size, leaving a gap of
/// at least 10 px.
const PX_PER_YEAR_TICK: u32 = 48;

/// Width of the y label area: tick labels, tick marks and, when `labelled`, the rotated axis
/// label. Without labels (inner small multiples) only the tick marks remain.
pub(crate) fn y_label_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: &TickAxis,
    labelled: bool,
) -> DrawResult<u32, DB> {
    if !labelled {
        return Ok(2 * TICK_MARK as u32);
    }
    let tick_style = text(TICK_PX, FontStyle::Normal, &INK);
    let mut tick_w = 0u32;
    for label in y.labels() {
        tick_w = tick_w.max(area.estimate_text_size(label, &tick_style)?.0);
    }
    let (_, desc_h) =
        area.estimate_text_size("Ag", &text(AXIS_DESC_PX, FontStyle::Normal, &INK))?;
    Ok(tick_w + 2 * TICK_MARK as u32 + 10 + desc_h + 12)
}

/// Where marker labels go, decided before the chart is built so that the strip above the
/// plotting area has the right height.
pub(crate) struct MarkerPlan {
    /// (x value, label, row) for each marker inside the x range; row 0 is nearest the plot.
    placed: Vec<(f64, String, usize)>,
}

/// The most ticks thinning may merge into one kept tick.
const MAX_THINNING: usize = 10;
/// The least space between two x tick labels, in pixels.
const TICK_LABEL_GAP: f64 = 12.0;

/// Whether two neighbouring x tick labels of `x`, centred on their ticks across the plotting
/// area's `span` of pixels, come closer than [`TICK_LABEL_GAP`].
fn x_labels_touch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &TickAxis,
    style: &TextStyle<'static>,
    span: (f64, f64),
) -> DrawResult<bool, DB> {
    let (lo, hi) = x.bounds();
    let mut previous_right: Option<f64> = None;
    for (value, label) in x.ticks() {
        let centre = span.0 + (value - lo) / (hi - lo) * (span.1 - span.0);
        let half = f64::from(area.estimate_text_size(label, style)?.0) / 2.0;
        if previous_right.is_some_and(|right| centre - half < right + TICK_LABEL_GAP) {
            return Ok(true);
        }
        previous_right = Some(centre + half);
    }
    Ok(false)
}

const MARKER_ROW: i32 = 20;
const MARKER_MAX_ROWS: usize = 3;

/// Draws the axes, grid, tick labels and axis labels on `area` and returns the chart to draw
/// data on, plus the layout of marker labels for [`draw_markers`]. The returned offset is the
/// distance from the top of `area` to the top of the plotting area (to align the legend).
pub(crate) fn axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    spec: AxesSpec<'_>,
) -> DrawResult<(Chart<'a, DB>, MarkerPlan, i32), DB> {
    let tick_style = text(TICK_PX, FontStyle::Normal, &INK);
    let (area_w, area_h) = area.dim_in_pixel();
    let left = 6;
    let y_area = y_label_width(area, &spec.y, spec.show_y_desc)?;
    let mut x = match spec.x {
        XAxis::Values(axis) => axis,
        XAxis::Years(lo, hi) => {
            // Assume a typical right margin; the real one depends on the last label.
            let plot_w = area_w.saturating_sub(left + y_area + 26);
            TickAxis::years(lo, hi, (plot_w / PX_PER_YEAR_TICK) as usize)
        }
    };

    let mut tick_h = 0u32;
    let mut last_x_label_w = 0;
    for label in x.labels().chain(spec.y.labels()) {
        tick_h = tick_h.max(area.estimate_text_size(label, &tick_style)?.1);
    }
    if let Some(last) = x.labels().last() {
        last_x_label_w = area.estimate_text_size(last, &tick_style)?.0;
    }

    let y_desc_style = fitted(
        area,
        spec.labels.y_label,
        text(AXIS_DESC_PX, FontStyle::Normal, &INK),
        area_h.saturating_sub(120),
    )?;
    let x_desc_style = fitted(
        area,
        spec.labels.x_label,
        text(AXIS_DESC_PX, FontStyle::Normal, &INK),
        area_w.saturating_sub(160),
    )?;
    let (_, desc_h) = area.estimate_text_size("Ag", &y_desc_style)?;
    let x_area = tick_h + 2 * TICK_MARK as u32 + 12 + desc_h + 10;
    // The last x tick label is centred on its tick and may sit on the right edge.
    let right = (last_x_label_w / 2 + 6).max(20);

    // Map marker x values to pixels the way the chart will, to find overlapping labels.
    let plot_x0 = f64::from(left + y_area);
    let plot_x1 = f64::from(area_w.saturating_sub(right));
    let (x_lo, x_hi) = x.bounds();
    // Tick labels never touch: every second, third, … tick is kept until they are apart.
    let all_ticks = x.clone();
    for every in 2..=MAX_THINNING {
        if !x_labels_touch(area, &x, &tick_style, (plot_x0, plot_x1))? {
            break;
        }
        x = all_ticks.thinned(every);
    }
    // Nor does one reach past the left of this area, into a neighbouring panel of small
    // multiples (whose last label sits there); the right margin already fits the last label.
    let mut inside = Vec::with_capacity(x.ticks().len());
    for (value, label) in x.ticks() {
        let centre = plot_x0 + (value - x_lo) / (x_hi - x_lo) * (plot_x1 - plot_x0);
        let half = f64::from(area.estimate_text_size(label, &tick_style)?.0) / 2.0;
        inside.push(centre - half >= 0.0);
    }
    let x = x.retained(&inside);
    let marker_style = text(MARKER_PX, FontStyle::Normal, &MUTED);
    let mut placed = Vec::new();
    let mut rows: Vec<f64> = Vec::new();
    let mut sorted: Vec<&Marker> = spec
        .markers
        .iter()
        .filter(|m| m.x_years.is_finite() && m.x_years >= x_lo && m.x_years <= x_hi)
        .collect();
    sorted.sort_by(|a, b| a.x_years.total_cmp(&b.x_years));
    for m in sorted {
        let px = plot_x0 + (m.x_years - x_lo) / (x_hi - x_lo) * (plot_x1 - plot_x0);
        let (w, _) = area.estimate_text_size(&m.label, &marker_style)?;
        let (start, end) = label_span(px, f64::from(w), plot_x0, plot_x1);
        let row = rows
            .iter()
            .position(|&right_edge| start > right_edge + 10.0)
            .unwrap_or_else(|| rows.len().min(MARKER_MAX_ROWS - 1));
        if row == rows.len() {
            rows.push(end);
        } else {
            rows[row] = rows[row].max(end);
        }
        placed.push((m.x_years, m.label.clone(), row));
    }

    let heading_style = text(HEADING_PX, FontStyle::Bold, &INK);
    let heading_h = match spec.heading {
        Some(h) => area.estimate_text_size(h, &heading_style)?.1 + 10,
        None => 0,
    };
    let top = PLOT_TOP + heading_h + rows.len() as u32 * MARKER_ROW as u32;
    if let Some(h) = spec.heading {
        let h = shortened(area, h, &heading_style, (plot_x1 - plot_x0) as i32)?;
        area.draw_text(
            &h,
            &heading_style.pos(Pos::new(HPos::Center, VPos::Top)),
            (((plot_x0 + plot_x1) / 2.0) as i32, 4),
        )?;
    }

    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_right(right)
        .margin_left(left)
        .margin_bottom(4)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, spec.y)?;

    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID.stroke_width(1))
        .axis_style(INK.stroke_width(1))
        .label_style(tick_style)
        .set_all_tick_mark_size(TICK_MARK);
    if spec.show_x_desc {
        mesh.x_desc(spec.labels.x_label);
    }
    if spec.show_y_desc {
        mesh.y_desc(spec.labels.y_label);
    } else {
        mesh.y_label_formatter(&no_label);
    }
    // plotters uses one style for both axis labels; the y label is the one that must fit the
    // height, the x label the width: use the smaller of the two fitted sizes.
    let desc_style = if y_desc_style.font.get_size() <= x_desc_style.font.get_size() {
        y_desc_style
    } else {
        x_desc_style
    };
    mesh.axis_desc_style(desc_style).draw()?;

    Ok((chart, MarkerPlan { placed }, top as i32))
}

fn no_label(_: &f64) -> String {
    String::new()
}

/// Horizontal pixel extent of a label centred at `px`, pushed inside `lo..hi`.
fn label_span(px: f64, w: f64, lo: f64, hi: f64) -> (f64, f64) {
    let start = (px - w / 2.0).min(hi - w).max(lo);
    (start, start + w)
}

/// Draws each marker as a dashed vertical line over the plotting area, with its label above.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    plan: &MarkerPlan,
) -> DrawResult<(), DB> {
    let (y_lo, y_hi) = {
        let r = chart.y_range();
        (r.start, r.end)
    };
    let plot = chart.plotting_area();
    let (px_range, _) = plot.get_pixel_range();
    let (plot_x0, plot_x1) = (f64::from(px_range.start), f64::from(px_range.end));
    let screen = plot.strip_coord_spec();
    let (base_x, base_y) = plot.get_base_pixel();
    let marker_style = text(MARKER_PX, FontStyle::Normal, &MUTED);
    for (x, label, row) in &plan.placed {
        plot.draw(&DashedPathElement::new(
            [(*x, y_lo), (*x, y_hi)],
            7,
            5,
            MUTED.stroke_width(2),
        ))?;
        let (px, py) = chart.backend_coord(&(*x, y_hi));
        let (w, _) = screen.estimate_text_size(label, &marker_style)?;
        let (start, _) = label_span(f64::from(px), f64::from(w), plot_x0, plot_x1);
        let y = py - 5 - MARKER_ROW * *row as i32;
        screen.draw_text(
            label,
            &marker_style.pos(Pos::new(HPos::Left, VPos::Bottom)),
            (start as i32 - base_x, y - base_y),
        )?;
    }
    Ok(())
}

/// Draws a thin solid vertical line at `x` (e.g. the $0 line on an NPV axis).
pub(crate) fn draw_reference_x<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    x: f64,
) -> DrawResult<(), DB> {
    let r = chart.y_range();
    chart.plotting_area().draw(&PathElement::new(
        vec![(x, r.start), (x, r.end)],
        MUTED.stroke_width(1),
    ))
}

/// Draws a polyline through `points` (data coordinates) with `style`; see [`Target`] for why
/// PNG lines are drawn segment by segment.
pub(crate) fn polyline<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    points: &[(f64, f64)],
    style: ShapeStyle,
    target: Target,
) -> DrawResult<(), DB> {
    let plot = chart.plotting_area();
    if target == Target::Svg || style.stroke_width <= 1 {
        return plot.draw(&PathElement::new(points.to_vec(), style));
    }
    let (base_x, base_y) = plot.get_base_pixel();
    let screen = plot.strip_coord_spec();
    let mut pixels: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for p in points {
        let (x, y) = chart.backend_coord(p);
        let q = (x - base_x, y - base_y);
        if pixels.last() != Some(&q) {
            pixels.push(q);
        }
    }
    for segment in pixels.windows(2) {
        screen.draw(&PathElement::new(vec![segment[0], segment[1]], style))?;
    }
    let radius = (style.stroke_width / 2).max(1);
    for &joint in pixels.iter().skip(1).take(pixels.len().saturating_sub(2)) {
        screen.draw(&Circle::new(joint, radius, style.color.filled()))?;
    }
    Ok(())
}
