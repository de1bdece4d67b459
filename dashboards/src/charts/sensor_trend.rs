//! A sensor's readings over a chosen range, with its normal band, its expected range,
//! and the failures, alarms, resident reports and work orders of that time marked in a
//! lane above the plot.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::element::{PathElement, Polygon};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use super::axis;
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::style::{
    self, BLUE, Dash, GREEN, GRID, Marker, ORANGE, PURPLE, REFERENCE, SKY_BLUE, VERMILLION,
};
use super::time;
use super::{ChartError, count};

/// What happened to the equipment at a moment, marked on the trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A failure: a vermillion triangle.
    Failure,
    /// An alarm: an orange diamond.
    Alarm,
    /// A resident's report: a reddish-purple circle.
    ResidentReport,
    /// A work order (opened or done): a bluish-green square.
    WorkOrder,
}

impl EventKind {
    /// All kinds, in the order of the lanes and the legend.
    pub const ALL: [EventKind; 4] = [
        EventKind::Failure,
        EventKind::Alarm,
        EventKind::ResidentReport,
        EventKind::WorkOrder,
    ];

    /// Its marker's colour.
    pub fn colour(self) -> RGBColor {
        match self {
            EventKind::Failure => VERMILLION,
            EventKind::Alarm => ORANGE,
            EventKind::ResidentReport => PURPLE,
            EventKind::WorkOrder => GREEN,
        }
    }

    pub(crate) fn marker(self) -> Marker {
        match self {
            EventKind::Failure => Marker::Triangle,
            EventKind::Alarm => Marker::Diamond,
            EventKind::ResidentReport => Marker::Circle,
            EventKind::WorkOrder => Marker::Square,
        }
    }

    /// Its name in the legend.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Failure => "Failure",
            EventKind::Alarm => "Alarm",
            EventKind::ResidentReport => "Resident report",
            EventKind::WorkOrder => "Work order",
        }
    }

    fn counted(self, n: usize) -> String {
        match self {
            EventKind::Failure => count(n, "failure", "failures"),
            EventKind::Alarm => count(n, "alarm", "alarms"),
            EventKind::ResidentReport => count(n, "resident report", "resident reports"),
            EventKind::WorkOrder => count(n, "work order", "work orders"),
        }
    }
}

/// One event on the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What it was.
    pub kind: EventKind,
}

/// The sensor's normal band: where its readings usually are.
#[derive(Debug, Clone, PartialEq)]
pub enum NormalBand {
    /// The same band over the whole range.
    Constant {
        /// Lower edge.
        lower: f64,
        /// Upper edge.
        upper: f64,
    },
    /// A band that moves: (instant, lower, upper), in time order.
    Varying(Vec<(DateTime<Utc>, f64, f64)>),
}

/// The input of the sensor trend chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorTrend {
    /// The sensor's name, for the description: "Boiler 1 supply pressure".
    pub sensor: String,
    /// What it measures, for the axis: "Pressure".
    pub quantity: String,
    /// The unit, for the axis: "bar" (the metric's canonical unit).
    pub unit: String,
    /// The co-op's time zone: the dates on the axis are local dates there.
    pub tz: Tz,
    /// Start of the chosen range.
    pub start: DateTime<Utc>,
    /// End of the chosen range.
    pub end: DateTime<Utc>,
    /// The readings (instant, value); NaN and infinite values are skipped, and a gap
    /// in the line is left there.
    pub readings: Vec<(DateTime<Utc>, f64)>,
    /// The normal band, shaded.
    pub normal_band: Option<NormalBand>,
    /// The expected range (min, max): dashed lines.
    pub expected_range: Option<(f64, f64)>,
    /// Failures, alarms, resident reports and work orders in the range.
    pub events: Vec<TrendEvent>,
}

super::renders!(SensorTrend);

impl SensorTrend {
    fn in_range(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t <= self.end
    }

    fn finite_readings(&self) -> impl Iterator<Item = (DateTime<Utc>, f64)> + '_ {
        self.readings
            .iter()
            .copied()
            .filter(|(t, v)| v.is_finite() && self.in_range(*t))
    }

    fn events(&self) -> impl Iterator<Item = &TrendEvent> {
        self.events.iter().filter(|e| self.in_range(e.at))
    }

    fn kinds(&self) -> Vec<EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(|k| self.events().any(|e| e.kind == *k))
            .collect()
    }

    fn band_points(&self) -> Vec<(DateTime<Utc>, f64, f64)> {
        match &self.normal_band {
            None => Vec::new(),
            Some(NormalBand::Constant { lower, upper }) => {
                vec![(self.start, *lower, *upper), (self.end, *lower, *upper)]
            }
            Some(NormalBand::Varying(points)) => points
                .iter()
                .copied()
                .filter(|(t, lo, hi)| self.in_range(*t) && lo.is_finite() && hi.is_finite())
                .collect(),
        }
    }

    fn entries(&self) -> Vec<Entry> {
        let mut entries = vec![Entry::new(
            Glyph::Line(BLUE, Dash::Solid, None),
            &self.quantity,
        )];
        if self.band_points().len() >= 2 {
            entries.push(Entry::new(Glyph::Band(SKY_BLUE), "Normal band"));
        }
        if self.expected_range.is_some() {
            entries.push(Entry::new(
                Glyph::Line(REFERENCE, Dash::Dashed, None),
                "Expected range",
            ));
        }
        for kind in self.kinds() {
            entries.push(Entry::new(
                Glyph::Point(kind.marker(), kind.colour(), true),
                kind.label(),
            ));
        }
        entries
    }
}

/// Height of one lane of event markers, px.
const LANE: u32 = 18;

impl Draw for SensorTrend {
    fn size(&self) -> (u32, u32) {
        (640, 420)
    }

    fn title(&self) -> String {
        format!("{} ({})", self.sensor, self.unit)
    }

    fn description(&self) -> String {
        let range = time::range_in_words(self.start, self.end, self.tz);
        let values: Vec<f64> = self.finite_readings().map(|(_, v)| v).collect();
        let mut text = format!("{} from {range}", self.sensor);
        if let (Some(lo), Some(hi)) = (
            values.iter().copied().reduce(f64::min),
            values.iter().copied().reduce(f64::max),
        ) {
            text.push_str(&format!(
                ": {}, between {} and {} {}",
                count(values.len(), "reading", "readings"),
                short(lo),
                short(hi),
                self.unit
            ));
        }
        let events: Vec<String> = self
            .kinds()
            .into_iter()
            .map(|k| k.counted(self.events().filter(|e| e.kind == k).count()))
            .collect();
        if events.is_empty() {
            text.push_str("; no events.");
        } else {
            text.push_str(&format!("; {}.", events.join(", ")));
        }
        text
    }

    fn is_empty(&self) -> bool {
        self.finite_readings().next().is_none()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, _) = root.dim_in_pixel();
        let entries = self.entries();
        let (legend_area, rest) = root.split_vertically(legend::height(&entries, w - 16));
        legend::draw(&legend_area, &entries, 8)?;
        let kinds = self.kinds();
        let lane_height = if kinds.is_empty() {
            0
        } else {
            kinds.len() as u32 * LANE + 4
        };
        let (lane_area, plot_area) = rest.split_vertically(lane_height);

        // The vertical range holds the readings, the band and the expected range.
        let mut values: Vec<f64> = self.finite_readings().map(|(_, v)| v).collect();
        for (_, lo, hi) in self.band_points() {
            values.extend([lo, hi]);
        }
        if let Some((lo, hi)) = self.expected_range {
            values.extend([lo, hi].into_iter().filter(|v| v.is_finite()));
        }
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (start, end) = if self.start < self.end {
            (self.start, self.end)
        } else {
            let times: Vec<DateTime<Utc>> = self.readings.iter().map(|(t, _)| *t).collect();
            let first = times.iter().copied().min().unwrap_or(self.start);
            let last = times.iter().copied().max().unwrap_or(first);
            (first, last.max(first + chrono::Duration::hours(1)))
        };
        let tz = self.tz;
        let chart = plot::build(
            &plot_area,
            &|width| time::axis(start, end, tz, width),
            &|height| axis::vertical(lo, hi, height, &|v, d| axis::format_number(v, d)),
            &time::description(start, end, tz),
            &format!("{} ({})", self.quantity, self.unit),
        )?;
        let x = |t: DateTime<Utc>| time::seconds(t);

        // Band, then the expected range, then the readings on top.
        let band = self.band_points();
        if band.len() >= 2 {
            let mut outline: Vec<(f64, f64)> = band.iter().map(|(t, _, hi)| (x(*t), *hi)).collect();
            outline.extend(band.iter().rev().map(|(t, lo, _)| (x(*t), *lo)));
            chart
                .plotting_area()
                .draw(&Polygon::new(outline, SKY_BLUE.mix(0.3).filled()))?;
        }
        if let Some((lo, hi)) = self.expected_range {
            for v in [lo, hi].into_iter().filter(|v| v.is_finite()) {
                plot::rule(&chart, (x(start), v), (x(end), v), REFERENCE, Dash::Dashed)?;
            }
        }
        let mut points: Vec<(f64, f64)> = self
            .readings
            .iter()
            .filter(|(t, _)| self.in_range(*t))
            .map(|(t, v)| (x(*t), *v))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        plot::line(&chart, &plot::break_gaps(&points), BLUE, Dash::Solid)?;

        // The events: a faint guide through the plot, a marker in the kind's lane.
        let (x_pixels, _) = chart.plotting_area().get_pixel_range();
        let (lane_x0, _) = lane_area.get_base_pixel();
        for (row, kind) in kinds.iter().enumerate() {
            let y = (row as u32 * LANE + LANE / 2 + 2) as i32;
            lane_area.draw(&PathElement::new(
                vec![(x_pixels.start - lane_x0, y), (x_pixels.end - lane_x0, y)],
                GRID,
            ))?;
            for event in self.events().filter(|e| e.kind == *kind) {
                let (px, _) = chart.backend_coord(&(x(event.at), lo));
                let px = px - lane_x0;
                style::draw_marker(&lane_area, (px, y), kind.marker(), 5, kind.colour(), true)?;
            }
        }
        let guides = chart.plotting_area().strip_coord_spec();
        let (gx0, _) = guides.get_base_pixel();
        let height = guides.dim_in_pixel().1 as i32;
        for event in self.events() {
            let (px, _) = chart.backend_coord(&(x(event.at), lo));
            guides.draw(&PathElement::new(
                vec![(px - gx0, 0), (px - gx0, height)],
                event.kind.colour().mix(0.45).stroke_width(1),
            ))?;
        }
        Ok(())
    }
}

/// A value in a description: up to three significant decimals.
fn short(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
