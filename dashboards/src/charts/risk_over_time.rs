//! An equipment's probability of failing within the horizon, day by day, with the
//! threshold the committee acts at and the work orders done on it.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;

use super::axis::{self, Axis};
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::style::{self, Dash, GREEN, Marker, REFERENCE, VERMILLION};
use super::time;
use super::{ChartError, count};

/// The input of the risk-over-time chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskOverTime {
    /// The equipment's name: "Boiler 1".
    pub equipment: String,
    /// The forecast's horizon in days (30).
    pub horizon_days: u32,
    /// The co-op's time zone: the dates on the axis are local dates there.
    pub tz: Tz,
    /// The probability of failure within the horizon (0 to 1) as scored at each
    /// instant; NaN and infinite values are skipped.
    pub risk: Vec<(DateTime<Utc>, f64)>,
    /// The probability at which the committee acts (0 to 1): a dashed line.
    pub threshold: Option<f64>,
    /// When work orders on this equipment were done: squares on the line.
    pub work_orders: Vec<DateTime<Utc>>,
}

super::renders!(RiskOverTime);

impl RiskOverTime {
    fn points(&self) -> Vec<(DateTime<Utc>, f64)> {
        let mut points: Vec<_> = self
            .risk
            .iter()
            .copied()
            .filter(|(_, p)| p.is_finite())
            .map(|(t, p)| (t, p.clamp(0.0, 1.0)))
            .collect();
        points.sort_by_key(|(t, _)| *t);
        points
    }

    fn range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let points = self.points();
        let first = points.first().map_or_else(Utc::now, |p| p.0);
        let last = points.last().map_or(first, |p| p.0);
        if last - first < Duration::days(1) {
            (first - Duration::hours(12), last + Duration::hours(12))
        } else {
            (first, last)
        }
    }

    /// The risk at `t`: the last score at or before it (the first score before any).
    fn risk_at(&self, points: &[(DateTime<Utc>, f64)], t: DateTime<Utc>) -> f64 {
        points
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .or(points.first())
            .map_or(0.0, |p| p.1)
    }

    fn work_orders(&self) -> Vec<DateTime<Utc>> {
        let (start, end) = self.range();
        self.work_orders
            .iter()
            .copied()
            .filter(|t| *t >= start && *t <= end)
            .collect()
    }
}

impl Draw for RiskOverTime {
    fn title(&self) -> String {
        format!(
            "{}: risk of failure within {} days",
            self.equipment, self.horizon_days
        )
    }

    fn description(&self) -> String {
        let points = self.points();
        let (start, end) = self.range();
        let mut text = format!(
            "Probability that {} fails within {} days, from {}",
            self.equipment,
            self.horizon_days,
            time::range_in_words(start, end, self.tz)
        );
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
            text.push_str(&format!(
                ": {} % at the start, {} % at the end, {} % at most",
                percent(first.1),
                percent(last.1),
                percent(peak)
            ));
        }
        if let Some(threshold) = self.threshold {
            let above = points.iter().filter(|p| p.1 >= threshold).count();
            text.push_str(&format!(
                "; {} at or above the {} % threshold",
                count(above, "score", "scores"),
                percent(threshold)
            ));
        }
        let orders = self.work_orders().len();
        if orders > 0 {
            text.push_str(&format!("; {}", count(orders, "work order", "work orders")));
        }
        text.push('.');
        text
    }

    fn is_empty(&self) -> bool {
        self.points().is_empty()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, _) = root.dim_in_pixel();
        let points = self.points();
        let orders = self.work_orders();
        let mut entries = vec![Entry::new(
            Glyph::Line(VERMILLION, Dash::Solid, None),
            "Risk",
        )];
        if let Some(t) = self.threshold {
            entries.push(Entry::new(
                Glyph::Line(REFERENCE, Dash::Dashed, None),
                format!("Threshold ({} %)", percent(t)),
            ));
        }
        if !orders.is_empty() {
            entries.push(Entry::new(
                Glyph::Point(Marker::Square, GREEN, true),
                "Work order",
            ));
        }
        let (legend_area, plot_area) = root.split_vertically(legend::height(&entries, w - 16));
        legend::draw(&legend_area, &entries, 8)?;

        let (start, end) = self.range();
        let tz = self.tz;
        let chart = plot::build(
            &plot_area,
            &|width| time::axis(start, end, tz, width),
            &|height| percent_axis(height),
            &time::description(start, end, tz),
            &format!("Risk within {} days (%)", self.horizon_days),
        )?;
        let x = time::seconds;
        if let Some(t) = self.threshold.filter(|t| t.is_finite()) {
            let y = t.clamp(0.0, 1.0) * 100.0;
            plot::rule(&chart, (x(start), y), (x(end), y), REFERENCE, Dash::Dashed)?;
        }
        let line: Vec<(f64, f64)> = points.iter().map(|(t, p)| (x(*t), p * 100.0)).collect();
        plot::line(&chart, &plot::break_gaps(&line), VERMILLION, Dash::Solid)?;
        let guides = chart.plotting_area().strip_coord_spec();
        let (gx0, _) = guides.get_base_pixel();
        let height = guides.dim_in_pixel().1 as i32;
        for t in orders {
            let at = (x(t), self.risk_at(&points, t) * 100.0);
            let (px, _) = chart.backend_coord(&at);
            guides.draw(&PathElement::new(
                vec![(px - gx0, 0), (px - gx0, height)],
                GREEN.mix(0.45).stroke_width(1),
            ))?;
            style::draw_marker(chart.plotting_area(), at, Marker::Square, 5, GREEN, true)?;
        }
        Ok(())
    }
}

/// A 0–100 % axis with as many ticks as fit.
pub(crate) fn percent_axis(height: u32) -> Axis {
    let mut axis = axis::vertical(0.0, 100.0, height, &|v, d| axis::format_number(v, d));
    axis.lo = 0.0;
    axis.hi = 100.0;
    axis
}

/// A probability as a percentage in words: "12.5".
pub(crate) fn percent(p: f64) -> String {
    let text = format!("{:.1}", p * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
