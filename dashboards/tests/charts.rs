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
        normal_band: Some(NormalBand::Constant {
            lower: 1.3,
            upper: 1.7,
        }),
        expected_range: Some((1.0, 2.0)),
        events: vec![
            TrendEvent {
                at: at(21, 12),
                kind: EventKind::Alarm,
            },
            TrendEvent {
                at: at(22, 3),
                kind: EventKind::Alarm,
            },
            TrendEvent {
                at: at(22, 20),
                kind: EventKind::Failure,
            },
            TrendEvent {
                at: at(21, 18),
                kind: EventKind::ResidentReport,
            },
            TrendEvent {
                at: at(23, 14),
                kind: EventKind::WorkOrder,
            },
            TrendEvent {
                at: at(6, 14),
                kind: EventKind::WorkOrder,
            },
            // Outside the range: not drawn.
            TrendEvent {
                at: utc(2025, 3, 1, 0),
                kind: EventKind::Failure,
            },
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
    assert!(
        texts.contains(&"Date (America/Toronto)".to_string()),
        "{texts:?}"
    );
    // The readings: one line per run between gaps (the NaN and the missing hours),
    // and the legend's sample.
    assert_eq!(
        count(&doc, "polyline", "stroke", &hex(rgb(style::BLUE))),
        3 + 1
    );
    // Each kind's markers, plus one in the legend.
    let polygons = |c| count(&doc, "polygon", "fill", &hex(rgb(c)));
    assert_eq!(polygons(style::VERMILLION), 1 + 1, "failure triangles");
    assert_eq!(polygons(style::ORANGE), 2 + 1, "alarm diamonds");
    assert_eq!(
        count(&doc, "circle", "fill", &hex(rgb(style::PURPLE))),
        1 + 1,
        "report circles"
    );
    assert_eq!(
        count(&doc, "rect", "fill", &hex(rgb(style::GREEN))),
        2 + 1,
        "work order squares"
    );
    for label in [
        "Pressure",
        "Normal band",
        "Expected range",
        "Failure",
        "Alarm",
        "Resident report",
        "Work order",
    ] {
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
    chart.readings = vec![
        (utc(2025, 1, 2, 0), f64::NAN),
        (utc(2025, 1, 3, 0), f64::INFINITY),
    ];
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
    chart.readings = (0..120)
        .map(|h| (start + Duration::hours(h), 1.5))
        .collect();
    chart.events.clear();
    let svg = chart.svg().unwrap();
    let png = chart.png().unwrap();
    save("sensor_trend_dst", &svg, &png);
    let doc = parse(&svg);
    let texts = texts(&doc);
    for day in ["Mar 8", "Mar 9", "Mar 10", "Mar 11", "Mar 12"] {
        assert!(
            texts.contains(&day.to_string()),
            "{day} missing from {texts:?}"
        );
    }
    assert!(
        !texts.contains(&"Mar 7".to_string()),
        "Mar 7's midnight is before the range"
    );
    let ticks = caretaker_dashboards::charts::time::ticks(start, end, TORONTO, 520);
    let midnights: Vec<_> = ticks
        .iter()
        .filter(|t| t.label.starts_with("Mar"))
        .collect();
    let at = |label: &str| midnights.iter().find(|t| t.label == label).unwrap().at;
    assert_eq!(at("Mar 9"), utc(2025, 3, 9, 5));
    assert_eq!(at("Mar 10"), utc(2025, 3, 10, 4));
    assert_no_overlap(&doc, view_box(&doc));
}

use caretaker_dashboards::charts::backlog_spend::{BacklogSpend, MonthFigures};
use caretaker_dashboards::charts::budget_plan::{BudgetPlan, PlanItem};
use caretaker_dashboards::charts::calibration::{Calibration, Decile};
use caretaker_dashboards::charts::precision_recall::{Curve, PrecisionRecall};
use caretaker_dashboards::charts::risk_over_time::RiskOverTime;
use chrono::NaiveDate;

fn risk() -> RiskOverTime {
    let start = utc(2025, 1, 1, 5);
    RiskOverTime {
        equipment: "Boiler 1".into(),
        horizon_days: 30,
        tz: TORONTO,
        risk: (0..120)
            .map(|d| {
                let p = match d {
                    0..=59 => 0.03 + 0.004 * d as f64,
                    60 => f64::NAN,
                    61..=79 => 0.3 - 0.012 * (d - 60) as f64,
                    _ => 0.05,
                };
                (start + Duration::days(d), p)
            })
            .collect(),
        threshold: Some(0.2),
        work_orders: vec![utc(2025, 3, 3, 15), utc(2025, 4, 10, 15)],
    }
}

fn plan() -> BudgetPlan {
    let items = [
        ("Boiler 1 circulator", 800.0, 6200.0),
        ("Sump pump B", 450.0, 2900.0),
        ("Elevator door operator", 1900.0, 4100.0),
        ("Roof fan 2 belt", 120.0, 300.0),
        ("Water heater 3 anode", 600.0, 900.0),
        ("Boiler 2 burner service", 1500.0, 1200.0),
        ("Garage door opener", 900.0, 400.0),
        ("Hallway lighting", 2400.0, 300.0),
    ];
    let mut spent = 0.0;
    BudgetPlan {
        currency: "CAD".into(),
        budget: 5000.0,
        items: items
            .iter()
            .map(|(name, cost, benefit)| {
                spent += cost;
                PlanItem {
                    name: (*name).into(),
                    cost: *cost,
                    expected_benefit: *benefit,
                    funded: spent <= 5000.0,
                }
            })
            .collect(),
    }
}

fn backlog() -> BacklogSpend {
    BacklogSpend {
        currency: "CAD".into(),
        months: (0..14)
            .map(|i| MonthFigures {
                month: NaiveDate::from_ymd_opt(2024 + (10 + i) / 12, (10 + i as u32) % 12 + 1, 1)
                    .unwrap(),
                open_orders: [4, 6, 9, 12, 10, 8, 7, 7, 5, 6, 9, 11, 8, 6][i as usize],
                spend: [
                    1200.0, 800.0, 2500.0, 4100.0, 3900.0, 0.0, 1500.0, 600.0, 900.0, 2200.0,
                    3100.0, 2800.0, 1900.0, 700.0,
                ][i as usize],
            })
            .collect(),
    }
}

fn calibration() -> Calibration {
    Calibration {
        model: "Gradient boosting".into(),
        deciles: (0..10)
            .map(|i| {
                let predicted = 0.01 + 0.03 * i as f64 + 0.002 * (i * i) as f64;
                Decile {
                    predicted,
                    observed: (predicted * (0.8 + 0.05 * (i % 4) as f64)).min(1.0),
                    count: 480 + 7 * i as u64,
                }
            })
            .collect(),
    }
}

fn precision_recall() -> PrecisionRecall {
    let curve = |name: &str, quality: f64| Curve {
        name: name.into(),
        points: (0..50)
            .map(|i| {
                let recall = f64::from(i) / 49.0;
                (
                    recall,
                    (quality * (1.0 - recall * recall * 0.8) + 0.05).min(1.0),
                )
            })
            .collect(),
    };
    PrecisionRecall {
        model: curve("Gradient boosting", 0.8),
        baselines: vec![
            curve("Age baseline", 0.45),
            curve("Last-failure baseline", 0.3),
        ],
    }
}

/// Renders, saves, parses and checks the parts every chart shares.
fn check(name: &str, svg: String, png: Vec<u8>, axes: &[&str]) -> String {
    save(name, &svg, &png);
    let doc = parse(&svg);
    let size = view_box(&doc);
    let texts = texts(&doc);
    for axis in axes {
        assert!(
            texts.contains(&axis.to_string()),
            "{name}: no {axis} in {texts:?}"
        );
    }
    assert_no_overlap(&doc, size);
    assert_png_drawn(&png, size);
    svg
}

#[test]
fn risk_over_time_has_its_line_threshold_and_work_orders() {
    let chart = risk();
    let svg = check(
        "risk_over_time",
        chart.svg().unwrap(),
        chart.png().unwrap(),
        &[
            "Risk within 30 days (%)",
            "Date (America/Toronto)",
            "Threshold (20 %)",
        ],
    );
    let doc = parse(&svg);
    // The NaN is skipped (a one-day hole is no gap), and the legend's sample.
    assert_eq!(
        count(&doc, "polyline", "stroke", &hex(rgb(style::VERMILLION))),
        1 + 1
    );
    assert_eq!(count(&doc, "rect", "fill", &hex(rgb(style::GREEN))), 2 + 1);
    assert!(texts(&doc).contains(&"100".to_string()));
    assert!(
        description(&doc).contains("2 work orders"),
        "{}",
        description(&doc)
    );
}

#[test]
fn budget_plan_marks_what_falls_below_the_budget() {
    let chart = plan();
    let svg = check(
        "budget_plan",
        chart.svg().unwrap(),
        chart.png().unwrap(),
        &[
            "Cumulative cost (CAD)",
            "Cumulative expected benefit (CAD)",
            "Budget (5,000 CAD)",
        ],
    );
    let doc = parse(&svg);
    assert_eq!(
        count(&doc, "circle", "fill", &hex(rgb(style::BLUE))),
        5 + 1,
        "funded"
    );
    assert_eq!(
        count(&doc, "rect", "stroke", &hex(rgb(style::VERMILLION))),
        3 + 1,
        "outside the budget"
    );
    assert_eq!(
        description(&doc),
        "Budget plan at 5,000 CAD: 5 of 8 work orders funded, costing 3,870 CAD for an expected \
         benefit of 14,400 CAD; 3 fall outside the budget."
    );
}

#[test]
fn backlog_spend_has_both_panels() {
    let chart = backlog();
    let svg = check(
        "backlog_spend",
        chart.svg().unwrap(),
        chart.png().unwrap(),
        &[
            "Open orders",
            "Spend (CAD)",
            "Month",
            "Nov 2024",
            "Jan 2025",
        ],
    );
    let doc = parse(&svg);
    assert_eq!(
        count(&doc, "circle", "fill", &hex(rgb(style::BLUE))),
        14 + 1
    );
    // One month spent nothing: no bar.
    assert_eq!(
        count(&doc, "rect", "fill", &hex(rgb(style::ORANGE))),
        13 + 1
    );
}

#[test]
fn calibration_has_deciles_diagonal_and_counts() {
    let chart = calibration();
    let svg = check(
        "calibration",
        chart.svg().unwrap(),
        chart.png().unwrap(),
        &[
            "Observed (%)",
            "Predicted risk (%)",
            "Cases",
            "Perfect calibration",
        ],
    );
    let doc = parse(&svg);
    assert_eq!(
        count(&doc, "circle", "fill", &hex(rgb(style::BLUE))),
        10 + 1
    );
    assert_eq!(
        count(&doc, "rect", "fill", &hex(rgb(style::SKY_BLUE))),
        10 + 1
    );
}

#[test]
fn precision_recall_tells_three_curves_apart() {
    let chart = precision_recall();
    let svg = check(
        "precision_recall",
        chart.svg().unwrap(),
        chart.png().unwrap(),
        &[
            "Recall (%)",
            "Precision (%)",
            "Gradient boosting",
            "Age baseline",
            "Last-failure baseline",
        ],
    );
    let doc = parse(&svg);
    assert_eq!(
        count(&doc, "circle", "fill", &hex(rgb(style::BLUE))),
        10 + 1,
        "model"
    );
    assert_eq!(
        count(&doc, "rect", "fill", &hex(rgb(style::ORANGE))),
        10 + 1,
        "first baseline"
    );
    assert_eq!(
        count(&doc, "polygon", "fill", &hex(rgb(style::VERMILLION))),
        10 + 1,
        "second baseline"
    );
    // The model's line is solid (one path, and the legend's); the baselines are dashed.
    assert_eq!(
        count(&doc, "polyline", "stroke", &hex(rgb(style::BLUE))),
        1 + 1
    );
    assert!(count(&doc, "polyline", "stroke", &hex(rgb(style::ORANGE))) > 20);
    assert!(count(&doc, "polyline", "stroke", &hex(rgb(style::VERMILLION))) > 40);
}

#[test]
fn every_chart_renders_empty_input() {
    let mut risk = risk();
    risk.risk.clear();
    let mut plan = plan();
    plan.items.clear();
    let mut backlog = backlog();
    backlog.months.clear();
    let mut calibration = calibration();
    calibration.deciles = vec![Decile {
        predicted: f64::NAN,
        observed: 0.1,
        count: 3,
    }];
    let mut pr = precision_recall();
    pr.model.points.clear();
    pr.baselines
        .iter_mut()
        .for_each(|b| b.points = vec![(f64::INFINITY, 0.5)]);
    let rendered = [
        (
            "risk_over_time_empty",
            risk.svg().unwrap(),
            risk.png().unwrap(),
        ),
        (
            "budget_plan_empty",
            plan.svg().unwrap(),
            plan.png().unwrap(),
        ),
        (
            "backlog_spend_empty",
            backlog.svg().unwrap(),
            backlog.png().unwrap(),
        ),
        (
            "calibration_empty",
            calibration.svg().unwrap(),
            calibration.png().unwrap(),
        ),
        (
            "precision_recall_empty",
            pr.svg().unwrap(),
            pr.png().unwrap(),
        ),
    ];
    for (name, svg, png) in rendered {
        save(name, &svg, &png);
        let doc = parse(&svg);
        assert_eq!(texts(&doc), vec![NO_DATA_MESSAGE.to_string()], "{name}");
        assert!(png_stats(&png).2 > 500, "{name}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    assert_eq!(pressure().svg().unwrap(), pressure().svg().unwrap());
    assert_eq!(pressure().png().unwrap(), pressure().png().unwrap());
    assert_eq!(plan().svg().unwrap(), plan().svg().unwrap());
    assert_eq!(
        precision_recall().svg().unwrap(),
        precision_recall().svg().unwrap()
    );
}

#[test]
fn a_day_across_the_autumn_change_has_25_hours() {
    // Toronto falls back on 2 November 2025: 01:00 happens twice.
    let start = utc(2025, 11, 2, 4);
    let end = utc(2025, 11, 3, 5);
    let ticks = caretaker_dashboards::charts::time::ticks(start, end, TORONTO, 2000);
    let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels.first(), Some(&"Nov 2"));
    assert_eq!(
        labels.iter().filter(|l| **l == "01:00").count(),
        2,
        "{labels:?}"
    );
    assert_eq!(labels.last(), Some(&"Nov 3"));
    assert_eq!(ticks.last().unwrap().at, utc(2025, 11, 3, 5));
    // On a phone-sized plot fewer ticks fit, still in local hours.
    let narrow = caretaker_dashboards::charts::time::ticks(start, end, TORONTO, 300);
    assert!(narrow.len() <= 6, "{narrow:?}");
    assert!(
        narrow
            .iter()
            .all(|t| t.label == "Nov 2" || t.label == "Nov 3" || t.label.ends_with(":00"))
    );
}

#[test]
fn label_formats_follow_the_range() {
    // A day: local hours, on the day the clocks go back.
    let mut day = pressure();
    day.start = utc(2025, 11, 2, 4);
    day.end = utc(2025, 11, 3, 5);
    day.readings = (0..25 * 4)
        .map(|q| {
            (
                day.start + Duration::minutes(15 * q),
                1.4 + 0.001 * q as f64,
            )
        })
        .collect();
    day.events = vec![TrendEvent {
        at: utc(2025, 11, 2, 9),
        kind: EventKind::Alarm,
    }];
    let svg = check(
        "sensor_trend_day",
        day.svg().unwrap(),
        day.png().unwrap(),
        &["Time (America/Toronto)", "Nov 2", "12:00"],
    );
    assert!(
        description(&parse(&svg))
            .starts_with("Boiler 1 supply pressure from 2 November 2025, 00:00 to 23:59")
    );

    // A year: months, the year on the first and on January.
    let mut year = risk();
    let start = utc(2024, 6, 1, 4);
    year.risk = (0..400).map(|d| (start + Duration::days(d), 0.1)).collect();
    year.work_orders.clear();
    let svg = check(
        "risk_over_time_year",
        year.svg().unwrap(),
        year.png().unwrap(),
        &["Date (America/Toronto)", "Jan 2025"],
    );
    let texts = texts(&parse(&svg));
    assert!(
        texts.iter().any(|t| t == "Jun 2024" || t == "Jul 2024"),
        "{texts:?}"
    );
}
