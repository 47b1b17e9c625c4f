//! Correct glyph placement for PNG text.
//!
//! plotters 0.3.7 rasterises `ab_glyph` text at whole-pixel pen positions and ignores each
//! glyph's left side bearing, so PNG labels get uneven letter spacing ("B TC", "Ho ld").
//! [`CrispText`] wraps a bitmap backend and draws text itself with the same font and the same
//! advance widths (so plotters' layout estimates still hold), placing every glyph at its true
//! sub-pixel position. All other drawing is passed through. SVG is unaffected: there the
//! viewer lays out the text.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, ScaleFont, point};
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// Baseline position below the top of plotters' layout box, as a fraction of the font size:
/// centres capitals in the box, so `VPos::Center` labels sit level with their tick.
pub(crate) const BASELINE: f32 = 0.70;
/// plotters' layout box is `size / 1.24` high; anchors are computed on that box.
pub(crate) const BOX_HEIGHT: f32 = 1.0 / 1.24;

/// Lays out `text` in `scaled` as both text backends draw it: each glyph with its pen
/// position (plotters' advances and kerning, kept fractional), and the offset, px, from the
/// drawing position to the text box's top left under `style`'s anchor.
pub(crate) fn layout<F: Font, S: BackendTextStyle>(
    scaled: &ab_glyph::PxScaleFont<F>,
    text: &str,
    style: &S,
) -> (Vec<(GlyphId, f32)>, (i32, i32)) {
    let mut pen = 0.0f32;
    let mut previous: Option<GlyphId> = None;
    let mut placed = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        placed.push((id, pen));
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
    let width = pen.floor() as i32;
    let height = (scaled.scale().y * BOX_HEIGHT) as i32;
    let anchor = style.anchor();
    let dx = match anchor.h_pos {
        HPos::Left => 0,
        HPos::Center => -width / 2,
        HPos::Right => -width,
    };
    let dy = match anchor.v_pos {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    (placed, (dx, dy))
}

/// DejaVu Sans regular and bold, parsed once; `None` if the embedded bytes do not parse.
pub(crate) fn fonts() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(dejavu::sans::regular()).ok()?;
            let bold = FontRef::try_from_slice(dejavu::sans::bold()).ok()?;
            Some((regular, bold))
        })
        .as_ref()
}

/// A backend that draws text with correct glyph spacing and forwards everything else.
pub(crate) struct CrispText<B>(pub(crate) B);

impl<B: DrawingBackend> DrawingBackend for CrispText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let Some((regular, bold)) = fonts() else {
            return self.0.draw_text(text, style, pos);
        };
        let colour = style.color();
        if colour.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = match style.style() {
            FontStyle::Bold => bold,
            FontStyle::Normal | FontStyle::Oblique | FontStyle::Italic => regular,
        };
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);

        let (placed, (dx, dy)) = layout(&scaled, text, style);
        let glyphs = placed
            .into_iter()
            .map(|(id, x)| id.with_scale_and_position(size, point(x, size * BASELINE)));
        let transform = style.transform();
        let (w, h) = self.0.get_size();
        let mut result = Ok(());
        for glyph in glyphs {
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (tx, ty) = transform.transform(bx + x as i32 + dx, by + y as i32 + dy);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                    let c = BackendColor {
                        alpha: colour.alpha * f64::from(coverage.min(1.0)),
                        rgb: colour.rgb,
                    };
                    result = self.0.draw_pixel((px, py), c);
                }
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}
