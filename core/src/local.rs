//! Times as people in the co-op read them: in the co-op's time zone
//! ([`crate::Registry::timezone`]), daylight-saving changes included.
//!
//! The one place human-facing times are formatted: pages, notices, the monthly
//! report, `caretaker score` and the calendar feed use these. Machine-facing
//! output (the API's JSON, CSV, files) keeps RFC 3339.
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::{DomainError, Timestamp};

/// An IANA time zone by its exact name (`America/Toronto`); the error names the
/// zone meant when only the case differs.
pub fn parse_zone(name: &str) -> Result<Tz, DomainError> {
    let name = name.trim();
    name.parse::<Tz>()
        .map_err(|_| DomainError::UnknownTimeZone {
            name: name.to_owned(),
            meant: chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
                .map(|tz| tz.name()),
        })
}

/// `strftime` pattern of a day as people read it: `Tuesday 8 December`.
pub const DAY_FORMAT: &str = "%A %-d %B";
/// `strftime` pattern of a clock time: `09:00` (24-hour, as on notices).
pub const CLOCK_FORMAT: &str = "%H:%M";

impl Timestamp {
    /// This time in a time zone.
    pub fn in_zone(self, tz: Tz) -> DateTime<Tz> {
        self.to_datetime().with_timezone(&tz)
    }
}

/// A date-time or a date (midnight) written without an offset, as people and
/// spreadsheets write them: `2024-01-31 07:00`, `2024-01-31T07:00:00.5`,
/// `2024-01-31`. `None` for anything else (an offset, epoch milliseconds).
pub fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// A time in the co-op's zone: `Tuesday 8 December, 09:00`.
pub fn local_time(ts: Timestamp, tz: Tz) -> String {
    let t = ts.in_zone(tz);
    format!("{}, {}", t.format(DAY_FORMAT), t.format(CLOCK_FORMAT))
}

/// A time in the co-op's zone with its year and zone, for tables and logs people
/// read later: `2026-12-08 09:00 EST`.
pub fn local_stamp(ts: Timestamp, tz: Tz) -> String {
    ts.in_zone(tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A calendar day with its year: `Tuesday 8 December 2026`.
pub fn local_date(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

/// The calendar day a time falls on in the co-op's zone.
pub fn local_day(ts: Timestamp, tz: Tz) -> NaiveDate {
    ts.in_zone(tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_on_the_coops_clock_across_daylight_saving() {
        let toronto: Tz = "America/Toronto".parse().unwrap();
        let at = |s: &str| Timestamp::parse(s).unwrap();
        let shown = [
            "2026-12-08T14:00:00Z",
            "2026-07-08T13:00:00Z",
            // Fall back on 1 November 2026: 01:30 happens twice.
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
            // Spring forward on 8 March 2026: 02:00 becomes 03:00.
            "2026-03-08T06:59:00Z",
            "2026-03-08T07:00:00Z",
        ]
        .map(|s| {
            format!(
                "{} | {}",
                local_time(at(s), toronto),
                local_stamp(at(s), toronto)
            )
        });
        assert_eq!(
            shown.join("\n"),
            "Tuesday 8 December, 09:00 | 2026-12-08 09:00 EST\n\
             Wednesday 8 July, 09:00 | 2026-07-08 09:00 EDT\n\
             Sunday 1 November, 01:30 | 2026-11-01 01:30 EDT\n\
             Sunday 1 November, 01:30 | 2026-11-01 01:30 EST\n\
             Sunday 8 March, 01:59 | 2026-03-08 01:59 EST\n\
             Sunday 8 March, 03:00 | 2026-03-08 03:00 EDT"
        );
        assert_eq!(
            local_time(at("2026-12-08T14:00:00Z"), Tz::UTC),
            "Tuesday 8 December, 14:00"
        );
        assert_eq!(
            local_day(at("2026-12-09T03:00:00Z"), toronto).to_string(),
            "2026-12-08"
        );
        let naive = [
            "2024-01-31 07:00",
            "2024-01-31T07:00:00.5",
            "2024-01-31",
            "2024-01-31T07:00Z",
            "7:00",
        ]
        .map(|t| parse_naive(t).map(|n| n.to_string()));
        assert_eq!(
            naive,
            [
                Some("2024-01-31 07:00:00".to_owned()),
                Some("2024-01-31 07:00:00.500".to_owned()),
                Some("2024-01-31 00:00:00".to_owned()),
                None,
                None
            ]
        );
        assert_eq!(parse_zone(" Europe/Paris ").unwrap().name(), "Europe/Paris");
        assert_eq!(
            parse_zone("america/toronto").unwrap_err().to_string(),
            "unknown time zone \"america/toronto\" (did you mean \"America/Toronto\"?): \
             expected an IANA name such as \"America/Toronto\" or \"Europe/Paris\""
        );
        assert_eq!(
            local_date(NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()),
            "Tuesday 8 December 2026"
        );
    }
}
