//! Time axes in the co-op's time zone: ticks at local hours, midnights, month or year
//! starts, each computed as a UTC instant and labelled from that instant converted to
//! the zone (so a day with a DST change still has its midnight where it belongs).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::axis::Axis;
use super::style::{self, TEXT};

/// Space between two neighbouring date labels, px.
const GAP: u32 = 14;
/// No level of ticks is tried that would have more than this many.
const MOST: i64 = 400;

/// One tick of a time axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeTick {
    /// Where it is.
    pub at: DateTime<Utc>,
    /// What it says, in the zone: `14:00`, `Mar 9`, `Jan 2025`, `2026`.
    pub label: String,
}

/// The unit the ticks count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Month,
    Year,
}

const LEVELS: [(Unit, u32); 16] = [
    (Unit::Hour, 1),
    (Unit::Hour, 2),
    (Unit::Hour, 3),
    (Unit::Hour, 6),
    (Unit::Hour, 12),
    (Unit::Day, 1),
    (Unit::Day, 2),
    (Unit::Day, 7),
    (Unit::Day, 14),
    (Unit::Month, 1),
    (Unit::Month, 2),
    (Unit::Month, 3),
    (Unit::Month, 6),
    (Unit::Year, 1),
    (Unit::Year, 2),
    (Unit::Year, 5),
];

/// The ticks of a time axis from `start` to `end` that fit side by side in `width` px:
/// the finest level (hours, days, weeks, months, years) whose labels, measured, fit.
pub fn ticks(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, width: u32) -> Vec<TimeTick> {
    let (start, end) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    let span_hours = (end - start).num_hours().max(1);
    let mut last = Vec::new();
    for (unit, step) in LEVELS {
        let approx = match unit {
            Unit::Hour => span_hours / i64::from(step),
            Unit::Day => span_hours / 24 / i64::from(step),
            Unit::Month => span_hours / (24 * 30) / i64::from(step),
            Unit::Year => span_hours / (24 * 365) / i64::from(step),
        };
        if approx > MOST {
            continue;
        }
        let candidate = level(start, end, tz, unit, step);
        let widest = style::max_width(candidate.iter().map(|t| t.label.as_str()), TEXT);
        if candidate.len() as u32 * (widest + GAP) <= width {
            return candidate;
        }
        last = candidate;
    }
    // Even every five years does not fit: keep the first and the last.
    if last.len() > 2 {
        let end_tick = last.pop();
        last.truncate(1);
        last.extend(end_tick);
    }
    last
}

/// The axis description for ticks at this range: "Date (Zone)" or "Time (Zone)".
pub(crate) fn description(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let what = if (end - start).num_hours().abs() <= 48 {
        "Time"
    } else {
        "Date"
    };
    format!("{what} ({})", tz.name())
}

/// A horizontal axis of seconds since the epoch from `start` to `end`, ticked in `tz`.
pub(crate) fn axis(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, width: u32) -> Axis {
    let ticks = ticks(start, end, tz, width)
        .into_iter()
        .map(|t| (seconds(t.at), t.label))
        .collect();
    Axis::new(seconds(start), seconds(end), ticks)
}

/// An instant as the time axes' coordinate.
pub(crate) fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The first instant of a local date in `tz` (its midnight, or the first hour that
/// exists when a DST change skips midnight).
fn local_start(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    (0..4).find_map(|hour| {
        tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn level(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, unit: Unit, step: u32) -> Vec<TimeTick> {
    let mut out = Vec::new();
    match unit {
        Unit::Hour => {
            // Every quarter hour, so zones a half or quarter hour off UTC get ticks too.
            let first = start.timestamp().div_euclid(900) * 900;
            let mut t = DateTime::<Utc>::from_timestamp(first, 0).unwrap_or(start);
            while t <= end {
                let local = t.with_timezone(&tz);
                if t >= start && local.minute() == 0 && local.hour().is_multiple_of(step) {
                    let label = if local.hour() == 0 {
                        local.format("%b %-d").to_string()
                    } else {
                        local.format("%H:%M").to_string()
                    };
                    out.push(TimeTick { at: t, label });
                }
                t += Duration::minutes(15);
            }
        }
        Unit::Day | Unit::Month | Unit::Year => {
            let mut date = start.with_timezone(&tz).date_naive();
            let last = end.with_timezone(&tz).date_naive();
            let mut previous_year = None;
            while date <= last {
                let keep = match unit {
                    Unit::Day if step == 7 || step == 14 => {
                        date.weekday().num_days_from_monday() == 0
                            && date.iso_week().week().is_multiple_of(step / 7)
                    }
                    Unit::Day => date.num_days_from_ce() % step as i32 == 0,
                    Unit::Month => date.day() == 1 && date.month0().is_multiple_of(step),
                    _ => date.ordinal() == 1 && date.year() % step as i32 == 0,
                };
                if keep
                    && let Some(at) = local_start(date, tz)
                    && at >= start
                    && at <= end
                {
                    let new_year = previous_year.is_some_and(|y| y != date.year());
                    let label = match unit {
                        Unit::Day if new_year => date.format("%b %-d, %Y").to_string(),
                        Unit::Day => date.format("%b %-d").to_string(),
                        Unit::Month if previous_year.is_none() || new_year => {
                            date.format("%b %Y").to_string()
                        }
                        Unit::Month => date.format("%b").to_string(),
                        _ => date.format("%Y").to_string(),
                    };
                    previous_year = Some(date.year());
                    out.push(TimeTick { at, label });
                }
                date = match date.succ_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
    }
    out
}

/// "1 to 31 January 2025" / "30 December 2024 to 2 January 2025": a range in words,
/// in the zone, for a chart's description.
/// An end at local midnight is the end of the day before.
pub(crate) fn range_in_words(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (a, mut b) = (start.with_timezone(&tz), end.with_timezone(&tz));
    if b.time() == chrono::NaiveTime::MIN && end - start >= Duration::days(1) {
        b -= Duration::seconds(1);
    }
    if a.date_naive() == b.date_naive() {
        format!(
            "{}, {} to {}",
            a.format("%-d %B %Y"),
            a.format("%H:%M"),
            b.format("%H:%M")
        )
    } else if a.year() == b.year() && a.month() == b.month() {
        format!("{} to {}", a.format("%-d"), b.format("%-d %B %Y"))
    } else if a.year() == b.year() {
        format!("{} to {}", a.format("%-d %B"), b.format("%-d %B %Y"))
    } else {
        format!("{} to {}", a.format("%-d %B %Y"), b.format("%-d %B %Y"))
    }
}
