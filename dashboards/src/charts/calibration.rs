//! The model card's calibration: by decile of predicted risk, the mean predicted
//! probability against the observed frequency of failure, with the diagonal of perfect
//! calibration, and below it how many cases each decile holds.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::ChartError;
use super::axis::{self, Axis};
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::risk_over_time::percent;
use super::style::{self, BLUE, Dash, Marker, REFERENCE, SKY_BLUE};

/// One decile of predicted risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Decile {
    /// The mean predicted probability in the decile (0 to 1).
    pub predicted: f64,
    /// The observed frequency of failure in the decile (0 to 1).
    pub observed: f64,
    /// How many cases (equipment-days) the decile holds.
    pub count: u64,
}

/// The input of the calibration chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The model's name, in the legend: "Gradient boosting, v12".
    pub model: String,
    /// The deciles, lowest predicted risk first; deciles with a non-finite
    /// probability are skipped.
    pub deciles: Vec<Decile>,
}

super::renders!(Calibration);

impl Calibration {
    fn deciles(&self) -> Vec<&Decile> {
        self.deciles
            .iter()
            .filter(|d| d.predicted.is_finite() && d.observed.is_finite())
            .collect()
    }
}

fn percent_axis_x(width: u32) -> Axis {
    let mut a = axis::horizontal(0.0, 100.0, width, true, &|v, d| axis::format_number(v, d));
    a.lo = 0.0;
    a.hi = 100.0;
    a
}

impl Draw for Calibration {
    fn size(&self) -> (u32, u32) {
        (640, 480)
    }

    fn title(&self) -> String {
        format!("Calibration of {}", self.model)
    }

    fn description(&self) -> String {
        let deciles = self.deciles();
        let total: u64 = deciles.iter().map(|d| d.count).sum();
        let worst = deciles.iter().enumerate().max_by(|a, b| {
            let gap = |d: &Decile| (d.predicted - d.observed).abs();
            gap(a.1).total_cmp(&gap(b.1))
        });
        let mut text = format!(
            "Calibration of {} by decile of predicted risk, {} cases in {} deciles",
            self.model,
            axis::format_number(total as f64, 0),
            deciles.len()
        );
        if let Some((i, d)) = worst {
            text.push_str(&format!(
                "; the largest gap is in decile {}: {} % predicted, {} % observed",
                i + 1,
                percent(d.predicted),
                percent(d.observed)
            ));
        }
        text.push('.');
        text
    }

    fn is_empty(&self) -> bool {
        self.deciles().is_empty()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, h) = root.dim_in_pixel();
        let entries = vec![
            Entry::new(
                Glyph::Line(BLUE, Dash::Solid, Some(Marker::Circle)),
                self.model.clone(),
            ),
            Entry::new(
                Glyph::Line(REFERENCE, Dash::Dashed, None),
                "Perfect calibration",
            ),
            Entry::new(Glyph::Swatch(SKY_BLUE, false), "Cases per decile"),
        ];
        let legend_height = legend::height(&entries, w - 16);
        let (legend_area, rest) = root.split_vertically(legend_height);
        legend::draw(&legend_area, &entries, 8)?;
        let upper_height = (h - legend_height) * 7 / 10;
        let (upper, lower) = rest.split_vertically(upper_height);
        let deciles = self.deciles();
        let most = deciles.iter().map(|d| d.count as f64).fold(1.0, f64::max);
        let observed_axis = |height: u32| super::risk_over_time::percent_axis(height);
        let count_axis = |height: u32| {
            let mut a = axis::vertical(0.0, most, height, &|v, _| axis::format_number(v, 0));
            a.ticks.retain(|(v, _)| v.fract() == 0.0);
            a
        };
        let left = axis::left_area(&observed_axis(upper_height))
            .max(axis::left_area(&count_axis(h - upper_height)));

        let top = plot::build_with(
            &upper,
            &percent_axis_x,
            &observed_axis,
            "",
            "Observed (%)",
            Some(left),
            false,
        )?;
        plot::rule(&top, (0.0, 0.0), (100.0, 100.0), REFERENCE, Dash::Dashed)?;
        let points: Vec<(f64, f64)> = deciles
            .iter()
            .map(|d| {
                (
                    d.predicted.clamp(0.0, 1.0) * 100.0,
                    d.observed.clamp(0.0, 1.0) * 100.0,
                )
            })
            .collect();
        plot::line(&top, &points, BLUE, Dash::Solid)?;
        for p in &points {
            style::draw_marker(top.plotting_area(), *p, Marker::Circle, 5, BLUE, true)?;
        }

        let bottom = plot::build_with(
            &lower,
            &percent_axis_x,
            &count_axis,
            "Predicted risk (%)",
            "Cases",
            Some(left),
            true,
        )?;
        let bars = bottom.plotting_area().strip_coord_spec();
        for d in &deciles {
            let x = d.predicted.clamp(0.0, 1.0) * 100.0;
            let a = plot::to_pixels(&bottom, (x, 0.0));
            let b = plot::to_pixels(&bottom, (x, d.count as f64));
            if d.count > 0 {
                legend::draw_bar(&bars, (a.0 - 5, a.1), (b.0 + 5, b.1), SKY_BLUE, false)?;
            }
        }
        Ok(())
    }
}
