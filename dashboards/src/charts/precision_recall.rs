//! Precision against recall for the model and the baselines it must beat, each curve
//! with its own colour, dash pattern and marker.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::RGBColor;

use super::ChartError;
use super::axis;
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::risk_over_time::percent;
use super::style::{self, BLUE, Dash, Marker, ORANGE, PURPLE, VERMILLION};

/// Markers along a curve: at most this many, evenly spaced.
const MARKERS: usize = 10;

/// One curve: its name and its (recall, precision) points, both 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Its name in the legend: "Gradient boosting", "Age baseline".
    pub name: String,
    /// (recall, precision) points, in any order (sorted by recall when drawn);
    /// non-finite points are skipped.
    pub points: Vec<(f64, f64)>,
}

/// The input of the precision-recall chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecall {
    /// The model's curve.
    pub model: Curve,
    /// The baselines' curves (two, usually; up to three are styled apart).
    pub baselines: Vec<Curve>,
}

super::renders!(PrecisionRecall);

/// Each curve's look: the model's first, then the baselines'.
const LOOKS: [(RGBColor, Dash, Marker); 4] = [
    (BLUE, Dash::Solid, Marker::Circle),
    (ORANGE, Dash::Dashed, Marker::Square),
    (VERMILLION, Dash::Dotted, Marker::Triangle),
    (PURPLE, Dash::Dashed, Marker::Diamond),
];

impl PrecisionRecall {
    fn curves(&self) -> Vec<(&Curve, Vec<(f64, f64)>)> {
        std::iter::once(&self.model)
            .chain(&self.baselines)
            .map(|c| {
                let mut points: Vec<(f64, f64)> = c
                    .points
                    .iter()
                    .copied()
                    .filter(|(r, p)| r.is_finite() && p.is_finite())
                    .map(|(r, p)| (r.clamp(0.0, 1.0) * 100.0, p.clamp(0.0, 1.0) * 100.0))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
                (c, points)
            })
            .collect()
    }
}

impl Draw for PrecisionRecall {
    fn title(&self) -> String {
        format!(
            "Precision and recall of {} and its baselines",
            self.model.name
        )
    }

    fn description(&self) -> String {
        let parts: Vec<String> = self
            .curves()
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(c, points)| {
                // Best precision at a recall of at least half.
                let best = points
                    .iter()
                    .filter(|p| p.0 >= 50.0)
                    .map(|p| p.1)
                    .fold(f64::NAN, f64::max);
                if best.is_nan() {
                    format!("{} never reaches 50 % recall", c.name)
                } else {
                    format!("{} {} %", c.name, percent(best / 100.0))
                }
            })
            .collect();
        format!(
            "Precision against recall; best precision at a recall of 50 % or more: {}.",
            parts.join(", ")
        )
    }

    fn is_empty(&self) -> bool {
        self.curves().iter().all(|(_, p)| p.is_empty())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, _) = root.dim_in_pixel();
        let curves = self.curves();
        let entries: Vec<Entry> = curves
            .iter()
            .enumerate()
            .map(|(i, (c, _))| {
                let (colour, dash, marker) = LOOKS[i % LOOKS.len()];
                Entry::new(Glyph::Line(colour, dash, Some(marker)), c.name.clone())
            })
            .collect();
        let (legend_area, plot_area) = root.split_vertically(legend::height(&entries, w - 16));
        legend::draw(&legend_area, &entries, 8)?;
        let percent_x = |width: u32| {
            let mut a =
                axis::horizontal(0.0, 100.0, width, true, &|v, d| axis::format_number(v, d));
            (a.lo, a.hi) = (0.0, 100.0);
            a
        };
        let chart = plot::build(
            &plot_area,
            &percent_x,
            &|height| super::risk_over_time::percent_axis(height),
            "Recall (%)",
            "Precision (%)",
        )?;
        for (i, (_, points)) in curves.iter().enumerate() {
            let (colour, dash, marker) = LOOKS[i % LOOKS.len()];
            plot::line(&chart, points, colour, dash)?;
            let step = points.len().div_ceil(MARKERS).max(1);
            // Offset each curve's markers so curves that coincide still show theirs.
            for p in points.iter().skip(i % step).step_by(step) {
                style::draw_marker(chart.plotting_area(), *p, marker, 4, colour, true)?;
            }
        }
        Ok(())
    }
}
