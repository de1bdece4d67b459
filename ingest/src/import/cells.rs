//! The checks of one cell, shared by readings and events: required text, a
//! time within the import's limits, a number, a reading value, a metric name.
//! Each refusal is an [`ImportReason`] with the words a report shows.
use caretaker_core::local::parse_naive;
use caretaker_core::{Metric, Timestamp, Tz, ValueError};
use chrono::TimeZone;
use chrono::offset::LocalResult;

use super::table::Cell;
use super::{ImportReason, ImportSettings};

/// 1990-01-01T00:00:00Z: an earlier time is almost surely epoch seconds given as milliseconds.
pub(super) const EARLIEST_MS: i64 = 631_152_000_000;

/// A refused row: why, in plain words.
pub(super) type Problem = (ImportReason, String);

/// A cell as a report quotes it.
pub(super) fn describe(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => "empty".into(),
        Cell::Text(t) => format!("{t:?}"),
        Cell::Millis(ms) => ms.to_string(),
        Cell::Number(v) => v.to_string(),
    }
}

fn required<'a>(cell: Cell<'a>, name: &str) -> Result<Cell<'a>, Problem> {
    match cell {
        Cell::Null => Err((ImportReason::MissingField, format!("{name} is empty"))),
        other => Ok(other),
    }
}

/// The text of a required cell; `name` names the column in the problem.
pub(super) fn text<'a>(cell: Cell<'a>, name: &str) -> Result<&'a str, Problem> {
    match required(cell, name)? {
        Cell::Text(t) => Ok(t),
        _ => Err((ImportReason::MissingField, format!("{name} is not text"))),
    }
}

/// A time within `[1990, now + max_future]`, in epoch milliseconds. Text without
/// an offset is read in the co-op's zone when the settings have one.
pub(super) fn time(cell: Cell<'_>, settings: &ImportSettings) -> Result<i64, Problem> {
    let ms = match cell {
        Cell::Null => return Err((ImportReason::MissingField, "ts is empty".into())),
        Cell::Millis(ms) => ms,
        Cell::Text(t) => text_time(t, settings.timezone)?,
        Cell::Number(v) => {
            return Err((ImportReason::BadTimestamp, format!("ts {v} is not a time")));
        }
    };
    let latest = settings.now.millis().saturating_add(settings.max_future_ms);
    if ms > latest {
        return Err((
            ImportReason::BadTimestamp,
            format!(
                "ts {} is in the future (more than {} h ahead)",
                shown_time(ms),
                settings.max_future_ms / Timestamp::HOUR
            ),
        ));
    }
    if ms < EARLIEST_MS {
        return Err((
            ImportReason::BadTimestamp,
            format!(
                "ts {} ({}) is before 1990: epoch seconds given as milliseconds?",
                describe(cell),
                shown_time(ms)
            ),
        ));
    }
    Ok(ms)
}

/// A time written as text: RFC 3339 with an offset or epoch milliseconds as they
/// are; with a zone, a local date-time or a date (midnight) in it, else a date
/// at midnight UTC. A local time the clocks skipped or passed twice is refused.
fn text_time(t: &str, zone: Option<Tz>) -> Result<i64, Problem> {
    let bad = |words: String| (ImportReason::BadTimestamp, words);
    let Some(tz) = zone else {
        return Timestamp::parse(t).map(Timestamp::millis).map_err(|_| {
            bad(format!(
                "ts {t:?} is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), \
                 a date (2024-01-31) or epoch milliseconds"
            ))
        });
    };
    let Some(local) = parse_naive(t) else {
        return Timestamp::parse(t).map(Timestamp::millis).map_err(|_| {
            bad(format!(
                "ts {t:?} is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), \
                 a local time in {} (2024-01-31 07:00), a date (2024-01-31) or epoch milliseconds",
                tz.name()
            ))
        });
    };
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.timestamp_millis()),
        LocalResult::Ambiguous(first, second) => Err(bad(format!(
            "ts {t:?} happened twice in {} (the clocks went back an hour): \
             write it with its offset, {} the first time or {} the second",
            tz.name(),
            first.format("%:z"),
            second.format("%:z"),
        ))),
        LocalResult::None => Err(bad(format!(
            "ts {t:?} never happened in {} (the clocks went forward an hour): \
             check the time, or write it with its offset",
            tz.name()
        ))),
    }
}

fn shown_time(ms: i64) -> String {
    if ms.checked_abs().is_some_and(|a| a < 8_000_000_000_000_000) {
        Timestamp::from_millis(ms).to_string()
    } else {
        format!("{ms} ms")
    }
}

/// A number from a cell: `Err(None)` for an empty cell, `Err(Some(text))` for text that is no number.
pub(super) fn number<'a>(cell: Cell<'a>) -> Result<f64, Option<&'a str>> {
    match cell {
        Cell::Null => Err(None),
        Cell::Number(v) => Ok(v),
        Cell::Millis(v) => Ok(v as f64),
        Cell::Text(t) => t.parse::<f64>().map_err(|_| Some(t)),
    }
}

/// A reading value the sensor's metric can physically take, by
/// [`Metric::check_value`] (`-0` becomes `0`).
pub(super) fn reading_value(cell: Cell<'_>, metric: Metric) -> Result<f64, Problem> {
    let value = match number(cell) {
        Ok(v) => v,
        Err(None) => return Err((ImportReason::MissingField, "value is empty".into())),
        Err(Some(t)) => {
            return Err((
                ImportReason::BadValue,
                format!("value {t:?} is not a number"),
            ));
        }
    };
    metric.check_value(value).map_err(|e| match e {
        // As written in the file: `"NaN"`, `"inf"`.
        ValueError::NonFinite => (
            ImportReason::NonFinite,
            format!("value {} {e}", describe(cell)),
        ),
        ValueError::NotOnOff(_) | ValueError::OutOfRange(_) => {
            (ImportReason::OutOfRange, format!("value {value} {e}"))
        }
    })
}

/// A metric by its name, or as a person may write it (`Run State`, `run-state`).
pub(super) fn parse_metric(name: &str) -> Option<Metric> {
    Metric::parse(name)
        .or_else(|_| Metric::parse(&name.to_ascii_lowercase().replace([' ', '-'], "_")))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::super::testing::settings;
    use super::*;

    /// Renders what each check makes of each cell: the value kept, or the reason and words.
    fn check<T: std::fmt::Debug>(
        cells: &[Cell<'_>],
        checked: impl Fn(Cell<'_>) -> Result<T, Problem>,
        expect: &str,
    ) {
        let shown: Vec<String> = cells
            .iter()
            .map(|&cell| match checked(cell) {
                Ok(v) => format!("{v:?}"),
                Err((reason, words)) => format!("{reason}: {words}"),
            })
            .collect();
        assert_eq!(shown.join("\n"), expect.trim());
    }

    #[test]
    fn reading_values() {
        check(
            &[
                Cell::Text("70.5"),
                Cell::Text("-0"),
                Cell::Number(12.0),
                Cell::Null,
                Cell::Text("hot"),
                Cell::Text("NaN"),
                Cell::Number(f64::INFINITY),
                Cell::Text("999"),
            ],
            |cell| reading_value(cell, Metric::SupplyTemperature),
            r#"
70.5
0.0
12.0
missing_field: value is empty
bad_value: value "hot" is not a number
non_finite: value "NaN" is not a finite number
non_finite: value inf is not a finite number
out_of_range: value 999 is outside the physical range of supply_temperature, -60 to 250 °C
"#,
        );
        check(
            &[Cell::Text("1"), Cell::Number(0.5)],
            |cell| reading_value(cell, Metric::RunState),
            "1.0\nout_of_range: value 0.5 is neither 0 nor 1, as run_state must be",
        );
    }

    #[test]
    fn times() {
        check(
            &[
                Cell::Text("2024-01-31T12:00:00+01:00"),
                Cell::Text("2024-01-31"),
                Cell::Millis(1_706_702_400_000),
                Cell::Null,
                Cell::Number(1.5),
                Cell::Text("soon"),
                Cell::Text("2024-06-03T00:00:00Z"),
                Cell::Millis(1_706_702_400),
                Cell::Millis(i64::MIN),
            ],
            |cell| time(cell, &settings()),
            r#"
1706698800000
1706659200000
1706702400000
missing_field: ts is empty
bad_timestamp: ts 1.5 is not a time
bad_timestamp: ts "soon" is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), a date (2024-01-31) or epoch milliseconds
bad_timestamp: ts 2024-06-03T00:00:00Z is in the future (more than 24 h ahead)
bad_timestamp: ts 1706702400 (1970-01-20T18:05:02.400Z) is before 1990: epoch seconds given as milliseconds?
bad_timestamp: ts -9223372036854775808 (-9223372036854775808 ms) is before 1990: epoch seconds given as milliseconds?
"#,
        );
    }

    #[test]
    fn times_without_an_offset_are_read_in_the_coops_zone() {
        let toronto = ImportSettings {
            timezone: Some("America/Toronto".parse().unwrap()),
            ..settings()
        };
        let shown = |cell: Cell<'_>| match time(cell, &toronto) {
            Ok(ms) => Timestamp::from_millis(ms).to_string(),
            Err((reason, words)) => format!("{reason}: {words}"),
        };
        check(
            &[
                Cell::Text("2024-01-31 07:00"),
                Cell::Text("2024-01-31T07:00:00"),
                Cell::Text("2024-05-31 07:00:30.5"),
                Cell::Text("2024-01-31"),
                Cell::Text("2024-01-31T07:00:00Z"),
                Cell::Text("2024-01-31T07:00:00-08:00"),
                Cell::Millis(1_706_702_400_000),
                Cell::Text("2023-11-05 01:30"),
                Cell::Text("2023-11-05 02:30"),
                Cell::Text("2024-03-10 02:30"),
                Cell::Text("2024-03-10 03:00"),
                Cell::Text("31/01/2024 07:00"),
            ],
            |cell| Ok::<_, Problem>(shown(cell)),
            r#"
"2024-01-31T12:00:00Z"
"2024-01-31T12:00:00Z"
"2024-05-31T11:00:30.500Z"
"2024-01-31T05:00:00Z"
"2024-01-31T07:00:00Z"
"2024-01-31T15:00:00Z"
"2024-01-31T12:00:00Z"
"bad_timestamp: ts \"2023-11-05 01:30\" happened twice in America/Toronto (the clocks went back an hour): write it with its offset, -04:00 the first time or -05:00 the second"
"2023-11-05T07:30:00Z"
"bad_timestamp: ts \"2024-03-10 02:30\" never happened in America/Toronto (the clocks went forward an hour): check the time, or write it with its offset"
"2024-03-10T07:00:00Z"
"bad_timestamp: ts \"31/01/2024 07:00\" is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), a local time in America/Toronto (2024-01-31 07:00), a date (2024-01-31) or epoch milliseconds"
"#,
        );
        // Without a zone, a time without an offset is refused as before.
        assert_eq!(
            time(Cell::Text("2024-01-31 07:00"), &settings())
                .unwrap_err()
                .0,
            ImportReason::BadTimestamp
        );
    }
}
