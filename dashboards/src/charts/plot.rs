//! The plot area shared by the charts: label areas sized from measured labels, a light
//! grid, axis descriptions, and lines and markers in data coordinates.

use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::{Cartesian2d, DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use super::ChartError;
use super::axis::{self, Axis};
use super::style::{self, AXIS, BLACK, Dash, GRID, TEXT};

/// A chart's plot: both axes are [`Axis`].
pub(crate) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Room above the plot, px.
const TOP: u32 = 14;
/// Room left of the vertical axis description (a bitmap draws rotated text a little
/// further left than an SVG reader does), px.
const LEFT: u32 = 8;

/// Builds a plot in `area`: `y` makes the vertical axis for a plot `h` px high, `x`
/// the horizontal one for a plot `w` px wide; the label areas are sized to fit them.
pub(crate) fn build<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &dyn Fn(u32) -> Axis,
    y: &dyn Fn(u32) -> Axis,
    x_desc: &str,
    y_desc: &str,
) -> Result<Plot<'a, DB>, ChartError> {
    build_with(area, x, y, x_desc, y_desc, None, true)
}

/// As [`build`], for one of two panels stacked over one x axis: the left label area is
/// `left` px wide when given (the same in both panels, so their plots line up), and
/// only the lower panel shows its x labels.
pub(crate) fn build_with<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &dyn Fn(u32) -> Axis,
    y: &dyn Fn(u32) -> Axis,
    x_desc: &str,
    y_desc: &str,
    left: Option<u32>,
    x_labels: bool,
) -> Result<Plot<'a, DB>, ChartError> {
    let (w, h) = area.dim_in_pixel();
    let bottom = if x_labels { axis::bottom_area() } else { 6 };
    let y_axis = y(h.saturating_sub(bottom + TOP).max(40));
    let left = left.unwrap_or_else(|| axis::left_area(&y_axis));
    let first_guess = x(w.saturating_sub(LEFT + left + 24).max(40));
    let right = (first_guess.overhang() + 8).max(16);
    let mut x_axis = x(w.saturating_sub(LEFT + left + right).max(40));
    let right = right.max(x_axis.overhang() + 8);
    if !x_labels {
        for tick in &mut x_axis.ticks {
            tick.1.clear();
        }
    }
    let mut chart = ChartBuilder::on(area)
        .margin_top(TOP)
        .margin_left(LEFT)
        .margin_right(right)
        .x_label_area_size(bottom)
        .y_label_area_size(left)
        .build_cartesian_2d(x_axis, y_axis)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(255, 255, 255).mix(0.0))
        .bold_line_style(GRID)
        .axis_style(BLACK)
        .label_style(style::text(TEXT, BLACK))
        .axis_desc_style(style::text(AXIS, BLACK))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_offset(0)
        .draw()?;
    Ok(chart)
}

/// Draws a line through `points` (data coordinates) in `colour` and `dash`, broken
/// wherever a value is NaN or infinite.
pub(crate) fn line<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    points: &[(f64, f64)],
    colour: RGBColor,
    dash: Dash,
) -> Result<(), ChartError> {
    let area = chart.plotting_area();
    let (bx, by) = area.get_base_pixel();
    let pixels = area.strip_coord_spec();
    for run in points.split(|(x, y)| !(x.is_finite() && y.is_finite())) {
        if run.len() < 2 {
            continue;
        }
        let px: Vec<(i32, i32)> = run
            .iter()
            .map(|p| {
                let (x, y) = chart.backend_coord(p);
                (x - bx, y - by)
            })
            .collect();
        for segment in style::dash_pixels(&px, dash) {
            pixels.draw(&PathElement::new(segment, style::line_style(colour)))?;
        }
    }
    Ok(())
}

/// A plain thin line between two points in data coordinates (reference lines).
pub(crate) fn rule<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    from: (f64, f64),
    to: (f64, f64),
    colour: RGBColor,
    dash: Dash,
) -> Result<(), ChartError> {
    line(chart, &[from, to], colour, dash)
}

/// The pixel position of a data point, relative to the plot's own area.
pub(crate) fn to_pixels<DB: DrawingBackend>(chart: &Plot<'_, DB>, p: (f64, f64)) -> (i32, i32) {
    let (bx, by) = chart.plotting_area().get_base_pixel();
    let (x, y) = chart.backend_coord(&p);
    (x - bx, y - by)
}

/// The points (sorted by x) with a NaN between two neighbours further apart than three
/// times the usual spacing, so a line is not drawn across missing data.
pub(crate) fn break_gaps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut steps: Vec<f64> = points
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    if steps.is_empty() {
        return points.to_vec();
    }
    steps.sort_by(f64::total_cmp);
    let usual = steps[steps.len() / 2];
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if i > 0 && p.0 - points[i - 1].0 > 3.0 * usual {
            out.push((p.0, f64::NAN));
        }
        out.push(*p);
    }
    out
}
