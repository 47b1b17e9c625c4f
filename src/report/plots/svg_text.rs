//! SVG text drawn as glyph outlines of the embedded font, so an SVG looks like its PNG.
//!
//! plotters writes SVG text as `<text font-family="sans-serif">`, which each viewer sets in
//! whatever sans-serif font it has: widths differ from the layout plotters computed with
//! DejaVu Sans, so labels overrun the legend panel or collide on one machine and not on
//! another. [`OutlinedText`] wraps the SVG backend and draws each text with the glyph outlines
//! of the DejaVu Sans compiled into the binary, at the positions [`CrispText`] gives them in
//! the PNG: every glyph used is defined once (`<defs>`, in font units) and placed with
//! `<use>`, so the file needs no font and stays small.
//!
//! plotters' SVG backend writes into a string and offers no way to add raw elements, so the
//! wrapper lets it write a `<text>` element holding a placeholder, records the glyphs that
//! stand for it, and [`GlyphRecorder::finish`] swaps each placeholder element for them (in
//! place, so what is drawn after a text still covers it) and appends the definitions.
//!
//! [`CrispText`]: crate::report::plots::png_text::CrispText

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, ScaleFont};
use plotters::style::FontStyle;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

use crate::report::plots::png_text::{BASELINE, fonts, layout};

/// Marks a placeholder text: private-use characters no label holds.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// The texts drawn so far and the glyphs they use.
#[derive(Debug, Default)]
pub(crate) struct GlyphRecorder {
    /// Prefix of the glyph ids, unique per SVG so that several SVGs inlined in one HTML page
    /// never share an id.
    prefix: String,
    /// Each text's replacement, in drawing order (placeholder `n` is the `n`-th).
    texts: Vec<String>,
    /// Path data of each glyph used, in font units, by (bold, glyph id).
    glyphs: BTreeMap<(bool, u16), String>,
}

impl GlyphRecorder {
    /// A recorder whose glyph ids start with `prefix` (letters, digits, `-` and `_` kept).
    pub(crate) fn new(prefix: &str) -> RefCell<Self> {
        let prefix = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>();
        RefCell::new(GlyphRecorder {
            prefix: format!("g-{prefix}-"),
            ..GlyphRecorder::default()
        })
    }

    fn id(&self, bold: bool, glyph: u16) -> String {
        format!("{}{}{glyph}", self.prefix, if bold { "b" } else { "r" })
    }

    /// The SVG `svg` with every placeholder `<text>` element replaced by its glyphs and the
    /// glyph definitions added before the closing tag.
    pub(crate) fn finish(&self, svg: &str) -> String {
        let mut out = String::with_capacity(svg.len() + 64 * self.texts.len());
        let mut rest = svg;
        while let Some(at) = rest.find(OPEN) {
            let (Some(start), Some(close)) =
                (rest[..at].rfind("<text"), rest[at..].find("</text>"))
            else {
                break;
            };
            let number: Option<usize> = rest[at + OPEN.len_utf8()..]
                .split(CLOSE)
                .next()
                .and_then(|n| n.parse().ok());
            out.push_str(&rest[..start]);
            if let Some(text) = number.and_then(|n| self.texts.get(n)) {
                out.push_str(text);
            }
            rest = &rest[at + close + "</text>".len()..];
        }
        let Some(end) = rest.rfind("</svg>") else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..end]);
        if !self.glyphs.is_empty() {
            out.push_str("<defs>\n");
            for ((bold, glyph), path) in &self.glyphs {
                let _ = writeln!(
                    out,
                    "<path id=\"{}\" d=\"{path}\"/>",
                    self.id(*bold, *glyph)
                );
            }
            out.push_str("</defs>\n");
        }
        out.push_str(&rest[end..]);
        out
    }
}

/// The outline of `glyph` as SVG path data in font units (y up, as the font has it).
fn glyph_path(font: &FontRef<'_>, glyph: GlyphId) -> String {
    let Some(outline) = font.outline(glyph) else {
        return String::new();
    };
    let mut d = String::new();
    let mut at: Option<ab_glyph::Point> = None;
    let num = |x: f32| {
        let r = (x * 10.0).round() / 10.0;
        if r == r.trunc() {
            format!("{}", r as i64)
        } else {
            format!("{r}")
        }
    };
    for curve in &outline.curves {
        let (from, to) = match curve {
            OutlineCurve::Line(a, b)
            | OutlineCurve::Quad(a, _, b)
            | OutlineCurve::Cubic(a, _, _, b) => (*a, *b),
        };
        if at != Some(from) {
            if at.is_some() {
                d.push('Z');
            }
            let _ = write!(d, "M{} {}", num(from.x), num(from.y));
        }
        match curve {
            OutlineCurve::Line(_, b) => {
                let _ = write!(d, "L{} {}", num(b.x), num(b.y));
            }
            OutlineCurve::Quad(_, c, b) => {
                let _ = write!(d, "Q{} {} {} {}", num(c.x), num(c.y), num(b.x), num(b.y));
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                let _ = write!(
                    d,
                    "C{} {} {} {} {} {}",
                    num(c1.x),
                    num(c1.y),
                    num(c2.x),
                    num(c2.y),
                    num(b.x),
                    num(b.y)
                );
            }
        }
        at = Some(to);
    }
    if at.is_some() {
        d.push('Z');
    }
    d
}

/// `text` made safe inside a double-quoted XML attribute.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A number for an SVG attribute: at most two decimals, no trailing zeros.
fn short(x: f32) -> String {
    let r = (x * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r}")
}

/// An SVG backend whose text is drawn as glyph outlines; everything else is passed through.
pub(crate) struct OutlinedText<'r, B> {
    /// The SVG backend.
    pub(crate) inner: B,
    /// Where the texts and glyphs are recorded.
    pub(crate) recorder: &'r RefCell<GlyphRecorder>,
}

impl<B: DrawingBackend> DrawingBackend for OutlinedText<'_, B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let Some((regular, bold)) = fonts() else {
            return self.inner.draw_text(text, style, pos);
        };
        let colour = style.color();
        if colour.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let is_bold = matches!(style.style(), FontStyle::Bold);
        let font = if is_bold { bold } else { regular };
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());

        // The pen positions and anchors of the PNG text (png_text::CrispText).
        let (placed, (dx, dy)) = layout(&scaled, text, style);
        let rotation = match style.transform() {
            FontTransform::None => "",
            FontTransform::Rotate90 => " rotate(90)",
            FontTransform::Rotate180 => " rotate(180)",
            FontTransform::Rotate270 => " rotate(270)",
        };
        let number = {
            let mut recorder = self.recorder.borrow_mut();
            // The text itself stays in the file as the group's accessible name: screen
            // readers, search and copy tools (and tests) still find it.
            let mut group = format!(
                "<g aria-label=\"{}\" fill=\"#{:02X}{:02X}{:02X}\"",
                escape_attribute(text),
                colour.rgb.0,
                colour.rgb.1,
                colour.rgb.2
            );
            if colour.alpha < 1.0 {
                let _ = write!(group, " fill-opacity=\"{}\"", short(colour.alpha as f32));
            }
            let _ = writeln!(
                group,
                " transform=\"translate({} {}){rotation}\">",
                pos.0, pos.1
            );
            for (id, x) in placed {
                if font.outline(id).is_none() {
                    continue;
                }
                let key = (is_bold, id.0);
                recorder
                    .glyphs
                    .entry(key)
                    .or_insert_with(|| glyph_path(font, id));
                let _ = writeln!(
                    group,
                    "<use href=\"#{}\" transform=\"translate({} {}) scale({} {})\"/>",
                    recorder.id(is_bold, id.0),
                    short(dx as f32 + x),
                    short(dy as f32 + size * BASELINE),
                    sx,
                    -sy
                );
            }
            group.push_str("</g>");
            recorder.texts.push(group);
            recorder.texts.len() - 1
        };
        self.inner
            .draw_text(&format!("{OPEN}{number}{CLOSE}"), style, pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_glyphs_in_place_and_definitions_are_added() {
        let recorder = GlyphRecorder::new("npv cdf");
        {
            let mut r = recorder.borrow_mut();
            r.texts.push("<g>A</g>".into());
            r.texts.push("<g>B</g>".into());
            r.glyphs.insert((false, 36), "M0 0L1 1Z".into());
        }
        let svg = "<svg>\n<rect/>\n<text x=\"1\">\n\u{E000}0\u{E001}\n</text>\n<line/>\n\
                   <text y=\"2\">\n\u{E000}1\u{E001}\n</text>\n</svg>\n";
        assert_eq!(
            recorder.borrow().finish(svg),
            "<svg>\n<rect/>\n<g>A</g>\n<line/>\n<g>B</g>\n<defs>\n\
             <path id=\"g-npv_cdf-r36\" d=\"M0 0L1 1Z\"/>\n</defs>\n</svg>\n"
        );
    }

    #[test]
    fn a_glyph_outline_is_closed_path_data_in_font_units() {
        let (regular, _) = fonts().unwrap();
        let l = regular.glyph_id('l');
        let d = glyph_path(regular, l);
        // DejaVu Sans' "l" is one rectangle: a move, lines, and a close.
        assert!(d.starts_with('M') && d.ends_with('Z'), "{d}");
        assert_eq!(d.matches('M').count(), 1, "{d}");
        // "o" has an outer and an inner contour.
        let o = glyph_path(regular, regular.glyph_id('o'));
        assert_eq!(o.matches('M').count(), 2, "{o}");
    }
}
