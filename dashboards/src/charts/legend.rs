//! Legends: a strip of entries above the plot, wrapped to the chart's width, so a
//! legend never covers data or labels.

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use super::ChartError;
use super::style::{self, BLACK, Dash, Marker, TEXT};

/// Width of an entry's sample, px.
const SAMPLE: i32 = 30;
/// Between the sample and the label, and after an entry, px.
const INNER: u32 = 6;
const OUTER: u32 = 20;

/// What an entry's sample looks like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Glyph {
    /// A line, with an optional marker on it.
    Line(RGBColor, Dash, Option<Marker>),
    /// A marker alone, filled or as an outline.
    Point(Marker, RGBColor, bool),
    /// A filled box (bars), optionally hatched.
    Swatch(RGBColor, bool),
    /// A shaded band.
    Band(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) glyph: Glyph,
    pub(crate) label: String,
}

impl Entry {
    pub(crate) fn new(glyph: Glyph, label: impl Into<String>) -> Self {
        Self {
            glyph,
            label: label.into(),
        }
    }

    fn width(&self) -> u32 {
        SAMPLE as u32 + INNER + style::text_size(&self.label, TEXT).0
    }
}

fn row_height() -> u32 {
    style::line_height(TEXT) + 10
}

/// The entries' rows when laid out in `width` px.
fn rows(entries: &[Entry], width: u32) -> Vec<Vec<&Entry>> {
    let mut rows: Vec<Vec<&Entry>> = Vec::new();
    let mut used = 0;
    for entry in entries {
        let w = entry.width();
        match rows.last_mut() {
            Some(row) if used + OUTER + w <= width => {
                row.push(entry);
                used += OUTER + w;
            }
            _ => {
                rows.push(vec![entry]);
                used = w;
            }
        }
    }
    rows
}

/// The height the legend needs in `width` px (0 without entries).
pub(crate) fn height(entries: &[Entry], width: u32) -> u32 {
    let n = rows(entries, width).len() as u32;
    if n == 0 { 0 } else { n * row_height() + 4 }
}

/// Draws the legend in `area`, left-aligned from `left` px.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    left: i32,
) -> Result<(), ChartError> {
    let width = area.dim_in_pixel().0.saturating_sub(left as u32);
    let label_style = style::text(TEXT, BLACK).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    for (r, row) in rows(entries, width).iter().enumerate() {
        let y = (r as u32 * row_height() + row_height() / 2 + 2) as i32;
        let mut x = left;
        for entry in row {
            draw_glyph(area, entry.glyph, x, y)?;
            let tx = x + SAMPLE + INNER as i32;
            area.draw(&Text::new(
                entry.label.clone(),
                (tx, y),
                label_style.clone(),
            ))?;
            x += (entry.width() + OUTER) as i32;
        }
    }
    Ok(())
}

fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    glyph: Glyph,
    x: i32,
    y: i32,
) -> Result<(), ChartError> {
    match glyph {
        Glyph::Line(colour, dash, marker) => {
            for segment in style::dash_pixels(&[(x, y), (x + SAMPLE, y)], dash) {
                area.draw(&PathElement::new(segment, style::line_style(colour)))?;
            }
            if let Some(m) = marker {
                style::draw_marker(area, (x + SAMPLE / 2, y), m, 4, colour, true)?;
            }
        }
        Glyph::Point(marker, colour, filled) => {
            style::draw_marker(area, (x + SAMPLE / 2, y), marker, 5, colour, filled)?;
        }
        Glyph::Swatch(colour, hatched) => {
            let (a, b) = ((x + 4, y - 6), (x + SAMPLE - 4, y + 6));
            draw_bar(area, a, b, colour, hatched)?;
        }
        Glyph::Band(colour) => {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + SAMPLE, y + 6)],
                colour.mix(0.3).filled(),
            ))?;
        }
    }
    Ok(())
}

/// A bar between two pixel corners: filled, or outlined and hatched with diagonal
/// lines (which survives black-and-white printing as a pattern, not a shade).
pub(crate) fn draw_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    colour: RGBColor,
    hatched: bool,
) -> Result<(), ChartError> {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    if !hatched {
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], colour.filled()))?;
        return Ok(());
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        colour.stroke_width(2),
    ))?;
    // Lines of slope -1 every 6 px, clipped to the box.
    let spacing = 6;
    let mut c = x0 + y0 + spacing;
    while c < x1 + y1 {
        // Points on x + y = c inside the box.
        let start = (c - y1).max(x0);
        let end = (c - y0).min(x1);
        if start < end {
            area.draw(&PathElement::new(
                vec![(start, c - start), (end, c - end)],
                colour.stroke_width(1),
            ))?;
        }
        c += spacing;
    }
    Ok(())
}
