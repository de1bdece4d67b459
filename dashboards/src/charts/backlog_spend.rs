//! Backlog and spend by month: the open work orders at each month's end (upper panel)
//! and what was spent in the month (lower panel, bars), over one shared month axis.

use chrono::{Datelike, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::ChartError;
use super::axis::{self, Axis};
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::style::{self, BLUE, Dash, Marker, ORANGE};

/// One month's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    /// Any day of the month (its first, by convention), in the co-op's time zone.
    pub month: NaiveDate,
    /// Work orders open at the end of the month.
    pub open_orders: u32,
    /// What was spent on work orders in the month, in the chart's currency.
    pub spend: f64,
}

/// The input of the backlog and spend chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogSpend {
    /// The currency's code, on the spend axis: "CAD".
    pub currency: String,
    /// The months in order; a non-finite spend is drawn as no bar.
    pub months: Vec<MonthFigures>,
}

super::renders!(BacklogSpend);

impl BacklogSpend {
    fn labels(&self) -> Vec<String> {
        let mut previous_year = None;
        self.months
            .iter()
            .map(|m| {
                let label = if previous_year != Some(m.month.year()) {
                    m.month.format("%b %Y").to_string()
                } else {
                    m.month.format("%b").to_string()
                };
                previous_year = Some(m.month.year());
                label
            })
            .collect()
    }
}

impl Draw for BacklogSpend {
    fn title(&self) -> String {
        "Backlog and spend by month".into()
    }

    fn description(&self) -> String {
        let (Some(first), Some(last)) = (self.months.first(), self.months.last()) else {
            return "Open work orders and spend by month.".into();
        };
        let spend: f64 = self
            .months
            .iter()
            .map(|m| m.spend)
            .filter(|s| s.is_finite())
            .sum();
        format!(
            "Open work orders and spend by month from {} to {}: {} open at the start, {} at the end; {} {} spent in all.",
            first.month.format("%B %Y"),
            last.month.format("%B %Y"),
            first.open_orders,
            last.open_orders,
            axis::format_number(spend, 0),
            self.currency
        )
    }

    fn is_empty(&self) -> bool {
        self.months.is_empty()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, h) = root.dim_in_pixel();
        let entries = vec![
            Entry::new(
                Glyph::Line(BLUE, Dash::Solid, Some(Marker::Circle)),
                "Open work orders",
            ),
            Entry::new(
                Glyph::Swatch(ORANGE, false),
                format!("Spend ({})", self.currency),
            ),
        ];
        let (legend_area, rest) = root.split_vertically(legend::height(&entries, w - 16));
        legend::draw(&legend_area, &entries, 8)?;
        let upper_height = (h - legend::height(&entries, w - 16)) * 9 / 20;
        let (upper, lower) = rest.split_vertically(upper_height);

        let labels = self.labels();
        let most_open = self
            .months
            .iter()
            .map(|m| f64::from(m.open_orders))
            .fold(0.0, f64::max);
        let most_spend = self
            .months
            .iter()
            .map(|m| m.spend)
            .filter(|s| s.is_finite())
            .fold(0.0, f64::max);
        let counts = |v: f64, _: usize| axis::format_number(v, 0);
        let money = |v: f64, d: usize| axis::format_number(v, d);
        let open_axis = |height: u32| -> Axis {
            let mut a = axis::vertical(0.0, most_open.max(1.0), height, &counts);
            // Whole orders only.
            a.ticks.retain(|(v, _)| v.fract() == 0.0);
            a
        };
        let spend_axis = |height: u32| axis::vertical(0.0, most_spend.max(1.0), height, &money);
        let left = axis::left_area(&open_axis(upper_height))
            .max(axis::left_area(&spend_axis(upper_height)));
        let months = |width: u32| axis::categories(&labels, width);

        let top = plot::build_with(
            &upper,
            &months,
            &open_axis,
            "",
            "Open orders",
            Some(left),
            false,
        )?;
        let points: Vec<(f64, f64)> = self
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64, f64::from(m.open_orders)))
            .collect();
        plot::line(&top, &points, BLUE, Dash::Solid)?;
        for p in &points {
            style::draw_marker(top.plotting_area(), *p, Marker::Circle, 4, BLUE, true)?;
        }

        let bottom = plot::build_with(
            &lower,
            &months,
            &spend_axis,
            "Month",
            &format!("Spend ({})", self.currency),
            Some(left),
            true,
        )?;
        let bars = bottom.plotting_area().strip_coord_spec();
        for (i, m) in self.months.iter().enumerate() {
            if !(m.spend.is_finite() && m.spend > 0.0) {
                continue;
            }
            let x = i as f64;
            let a = plot::to_pixels(&bottom, (x - 0.3, 0.0));
            let b = plot::to_pixels(&bottom, (x + 0.3, m.spend));
            legend::draw_bar(&bars, a, b, ORANGE, false)?;
        }
        Ok(())
    }
}
