//! Each chart on fixed data: the SVG is accessible XML with its axes, series and
//! markers; no two labels overlap; the PNG is drawn; empty inputs and DST changes.

mod common;

use caretaker_dashboards::charts::sensor_trend::{EventKind, NormalBand, SensorTrend, TrendEvent};
use caretaker_dashboards::charts::{NO_DATA_MESSAGE, style};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;

const TORONTO: Tz = chrono_tz::America::Toronto;

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn hex(c: plotters_colour::Rgb) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

mod plotters_colour {
    pub type Rgb = (u8, u8, u8);
}

fn rgb(c: plotters::style::RGBColor) -> plotters_colour::Rgb {
    (c.0, c.1, c.2)
}

/// January in Toronto: hourly pressure readings with a dip, a gap and a NaN.
fn pressure() -> SensorTrend {
    let start = utc(2025, 1, 1, 5);
    let end = utc(2025, 2, 1, 5);
    let readings = (0..31 * 24)
        .filter(|h| !(300..320).contains(h))
        .map(|h| {
            let t = start + Duration::hours(h);
            let v = if h == 100 {
                f64::NAN
            } else {
                1.5 + 0.15 * (h as f64 / 24.0 * std::f64::consts::TAU).sin()
                    - if (500..540).contains(&h) { 0.4 } else { 0.0 }
            };
            (t, v)
        })
        .collect();
    let at = |d: u32, h: u32| utc(2025, 1, d, h);
    SensorTrend {
        sensor: "Boiler 1 supply pressure".into(),
        quantity: "Pressure".into(),
        unit: "bar".into(),
        tz: TORONTO,
        start,
        end,
        readings,
        normal_band: Some(NormalBand::Constant { lower: 1.3, upper: 1.7 }),
        expected_range: Some((1.0, 2.0)),
        events: vec![
            TrendEvent { at: at(21, 12), kind: EventKind::Alarm },
            TrendEvent { at: at(22, 3), kind: EventKind::Alarm },
            TrendEvent { at: at(22, 20), kind: EventKind::Failure },
            TrendEvent { at: at(21, 18), kind: EventKind::ResidentReport },
            TrendEvent { at: at(23, 14), kind: EventKind::WorkOrder },
            TrendEvent { at: at(6, 14), kind: EventKind::WorkOrder },
            // Outside the range: not drawn.
            TrendEvent { at: utc(2025, 3, 1, 0), kind: EventKind::Failure },
        ],
    }
}

#[test]
fn sensor_trend_has_axes_series_markers_and_no_overlap() {
    let chart = pressure();
    let svg = chart.svg().unwrap();
    let png = chart.png().unwrap();
    save("sensor_trend", &svg, &png);
    let doc = parse(&svg);
    let size = view_box(&doc);
    let texts = texts(&doc);
    assert!(texts.contains(&"Pressure (bar)".to_string()), "{texts:?}");
    assert!(texts.contains(&"Date (America/Toronto)".to_string()), "{texts:?}");
    // The readings: one line per run between gaps (the NaN and the missing hours),
    // and the legend's sample.
    assert_eq!(count(&doc, "polyline", "stroke", &hex(rgb(style::BLUE))), 3 + 1);
    // Each kind's markers, plus one in the legend.
    let polygons = |c| count(&doc, "polygon", "fill", &hex(rgb(c)));
    assert_eq!(polygons(style::VERMILLION), 1 + 1, "failure triangles");
    assert_eq!(polygons(style::ORANGE), 2 + 1, "alarm diamonds");
    assert_eq!(count(&doc, "circle", "fill", &hex(rgb(style::PURPLE))), 1 + 1, "report circles");
    assert_eq!(count(&doc, "rect", "fill", &hex(rgb(style::GREEN))), 2 + 1, "work order squares");
    for label in ["Pressure", "Normal band", "Expected range", "Failure", "Alarm", "Resident report", "Work order"] {
        assert!(texts.contains(&label.to_string()), "legend lacks {label}");
    }
    assert_eq!(
        description(&doc),
        "Boiler 1 supply pressure from 1 to 31 January 2025: 723 readings, between 0.95 and 1.65 bar; \
         1 failure, 2 alarms, 1 resident report, 2 work orders."
    );
    assert_no_overlap(&doc, size);
    assert_png_drawn(&png, size);
}

#[test]
fn sensor_trend_without_readings_says_so() {
    let mut chart = pressure();
    chart.readings = vec![(utc(2025, 1, 2, 0), f64::NAN), (utc(2025, 1, 3, 0), f64::INFINITY)];
    let svg = chart.svg().unwrap();
    let png = chart.png().unwrap();
    save("sensor_trend_empty", &svg, &png);
    let doc = parse(&svg);
    assert_eq!(texts(&doc), vec![NO_DATA_MESSAGE.to_string()]);
    assert!(description(&doc).ends_with("No data for this range."));
    let (_, _, ink, _) = png_stats(&png);
    assert!(ink > 500);
}

#[test]
fn sensor_trend_across_dst_labels_local_dates() {
    // Toronto springs forward on 9 March 2025: midnight is 05:00 UTC before, 04:00 after.
    let start = utc(2025, 3, 7, 12);
    let end = utc(2025, 3, 12, 12);
    let mut chart = pressure();
    chart.start = start;
    chart.end = end;
    chart.readings = (0..120).map(|h| (start + Duration::hours(h), 1.5)).collect();
    chart.events.clear();
    let svg = chart.svg().unwrap();
    let png = chart.png().unwrap();
    save("sensor_trend_dst", &svg, &png);
    let doc = parse(&svg);
    let texts = texts(&doc);
    for day in ["Mar 8", "Mar 9", "Mar 10", "Mar 11", "Mar 12"] {
        assert!(texts.contains(&day.to_string()), "{day} missing from {texts:?}");
    }
    assert!(!texts.contains(&"Mar 7".to_string()), "Mar 7's midnight is before the range");
    let ticks = caretaker_dashboards::charts::time::ticks(start, end, TORONTO, 520);
    let midnights: Vec<_> = ticks.iter().filter(|t| t.label.starts_with("Mar")).collect();
    let at = |label: &str| midnights.iter().find(|t| t.label == label).unwrap().at;
    assert_eq!(at("Mar 9"), utc(2025, 3, 9, 5));
    assert_eq!(at("Mar 10"), utc(2025, 3, 10, 4));
    assert_no_overlap(&doc, view_box(&doc));
}
