//! The look shared by every chart: the colour-blind-safe palette, the embedded font,
//! text sizes and plotters' estimate of them, marker shapes and dash patterns.

use std::sync::OnceLock;

use plotters::coord::CoordTranslate;
use plotters::element::{Circle, EmptyElement, PathElement, Polygon, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend, FontFamily, FontStyle, IntoFont};
use plotters::style::{Color, RGBColor, ShapeStyle, TextStyle};

use super::ChartError;

/// Okabe–Ito black: axes and text.
pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Okabe–Ito orange.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe–Ito sky blue.
pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe–Ito bluish green.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe–Ito blue.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito reddish purple.
pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Grid lines and frames: light enough never to be taken for data.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Reference lines (diagonals, thresholds, budgets) that are not data: dark grey.
pub const REFERENCE: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// The background.
pub const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// The font family every chart asks for; it is the embedded DejaVu Sans when
/// measuring and drawing bitmaps, and the reader's sans-serif in an SVG.
const FAMILY: &str = "sans-serif";
static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// Tick labels and legend entries (plotters' size: an SVG `font-size` of about 12 px).
pub(crate) const TEXT: f64 = 15.0;
/// Axis descriptions.
pub(crate) const AXIS: f64 = 16.0;
/// The "no data" message.
pub(crate) const MESSAGE: f64 = 20.0;

/// Registers the embedded font with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// A text style of plotters' `size`, in `colour`.
pub(crate) fn text(size: f64, colour: RGBColor) -> TextStyle<'static> {
    (FontFamily::Name(FAMILY), size).into_font().color(&colour)
}

/// Plotters' estimate of the box of `text` at plotters' `size` (width, height in px),
/// measured with the embedded font: the numbers every chart's layout is made from.
///
/// An SVG's `font-size` is `size / 1.24`; the estimate is slightly wider than DejaVu
/// Sans drawn at that size, which leaves room for a reader's own sans-serif.
pub fn text_size(text: &str, size: f64) -> (u32, u32) {
    if ensure_font().is_err() {
        // Without the font, a generous guess.
        return (
            (text.chars().count() as f64 * size * 0.62) as u32,
            size as u32,
        );
    }
    let font = (FontFamily::Name(FAMILY), size).into_font();
    font.box_size(text).unwrap_or((0, 0))
}

/// The width of the widest of `texts` at `size`.
pub(crate) fn max_width<'a>(texts: impl IntoIterator<Item = &'a str>, size: f64) -> u32 {
    texts
        .into_iter()
        .map(|t| text_size(t, size).0)
        .max()
        .unwrap_or(0)
}

/// A line height at plotters' `size`: the em box of the SVG text.
pub(crate) fn line_height(size: f64) -> u32 {
    (size / 1.24).ceil() as u32
}

/// A marker shape; each kind of point on a chart has its own, so it reads in grey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// How a line is drawn; each series has its own, so it reads in grey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    Solid,
    /// Long dashes.
    Dashed,
    /// Short dashes close together.
    Dotted,
}

/// Draws `marker` centred on `at` (in `area`'s coordinates), `radius` px, filled or as
/// an outline.
pub(crate) fn draw_marker<DB, CT>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    marker: Marker,
    radius: i32,
    colour: RGBColor,
    filled: bool,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    CT: CoordTranslate,
    CT::From: Clone + 'static,
{
    let style = if filled {
        colour.filled()
    } else {
        colour.stroke_width(2)
    };
    let r = radius;
    let outline = |points: Vec<(i32, i32)>| -> Vec<(i32, i32)> {
        let mut closed = points.clone();
        closed.push(points[0]);
        closed
    };
    let polygon = match marker {
        Marker::Circle => {
            area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), r, style)))?;
            return Ok(());
        }
        Marker::Square => {
            let s = r * 9 / 10;
            area.draw(&(EmptyElement::at(at) + Rectangle::new([(-s, -s), (s, s)], style)))?;
            return Ok(());
        }
        Marker::Triangle => vec![(0, -r - 1), (r + 1, r - 1), (-r - 1, r - 1)],
        Marker::Diamond => vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
    };
    if filled {
        area.draw(&(EmptyElement::at(at) + Polygon::new(polygon, style)))?;
    } else {
        area.draw(&(EmptyElement::at(at) + PathElement::new(outline(polygon), style)))?;
    }
    Ok(())
}

/// Splits a polyline given in pixels into the dashes of `dash` (a solid line is
/// returned whole). Deterministic: the pattern restarts at the first point.
pub(crate) fn dash_pixels(points: &[(i32, i32)], dash: Dash) -> Vec<Vec<(i32, i32)>> {
    let (on, off) = match dash {
        Dash::Solid => return vec![points.to_vec()],
        Dash::Dashed => (10.0, 6.0),
        Dash::Dotted => (3.0, 4.0),
    };
    let mut out = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut drawing = true;
    let mut left = on;
    for pair in points.windows(2) {
        let (a, b) = (
            (f64::from(pair[0].0), f64::from(pair[0].1)),
            (f64::from(pair[1].0), f64::from(pair[1].1)),
        );
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut done = 0.0;
        if drawing && current.is_empty() {
            current.push(a);
        }
        while length - done > left {
            done += left;
            let t = done / length;
            let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            if drawing {
                current.push(p);
                out.push(std::mem::take(&mut current));
                left = off;
            } else {
                current.push(p);
                left = on;
            }
            drawing = !drawing;
        }
        left -= length - done;
        if drawing {
            current.push(b);
        }
    }
    if current.len() > 1 {
        out.push(current);
    }
    out.into_iter()
        .map(|segment| {
            segment
                .into_iter()
                .map(|(x, y)| (x.round() as i32, y.round() as i32))
                .collect()
        })
        .collect()
}

/// The stroke of a data line.
pub(crate) fn line_style(colour: RGBColor) -> ShapeStyle {
    colour.stroke_width(2)
}
