//! Numbers and times as people read them on the pages.
use caretaker_core::{Registry, Timestamp};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The co-op's time zone.
pub fn zone(registry: &Registry) -> Tz {
    registry.timezone()
}

/// A moment in the co-op's local time, with its year (lists span years):
/// "Tue 8 Dec 2026, 09:00".
pub fn when(ts: Timestamp, tz: Tz) -> String {
    ts.in_zone(tz).format("%a %-d %b %Y, %H:%M").to_string()
}

/// A window in local time: "Tue 8 Dec 2026, 09:00 to 13:00".
pub fn window(start: Timestamp, end: Timestamp, tz: Tz) -> String {
    let (s, e) = (
        start.to_datetime().with_timezone(&tz),
        end.to_datetime().with_timezone(&tz),
    );
    if s.date_naive() == e.date_naive() {
        format!("{} to {}", when(start, tz), e.format("%H:%M"))
    } else {
        format!("{} to {}", when(start, tz), when(end, tz))
    }
}

/// A local time as a `datetime-local` field shows it.
pub fn field(ts: Timestamp, tz: Tz) -> String {
    ts.to_datetime()
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` field's value read in the co-op's zone. A time the clocks
/// skip is refused; a time they pass twice is the first one.
pub fn parse_field(text: &str, tz: Tz) -> Result<Timestamp, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("{text:?} is not a date and time"))?;
    let local: DateTime<Tz> = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("{text} does not exist in {tz}: the clocks skip it"))?;
    Timestamp::parse(&local.to_rfc3339()).map_err(|e| e.to_string())
}

/// Money with its currency: "3,200 CAD".
pub fn money(amount: f64, currency: &str) -> String {
    crate::ranking::benefit::format_money(currency, amount)
}

/// A probability as a percentage: "34 %".
pub fn percent(p: f64) -> String {
    crate::ranking::benefit::format_percent(p)
}
