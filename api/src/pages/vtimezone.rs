//! The `VTIMEZONE` of a calendar feed (RFC 5545 §3.6.5): the co-op's time zone
//! as calendar programs need it to place `DTSTART;TZID=...` local times, with
//! every change of offset (daylight saving) in the years the feed covers listed
//! one by one, so the feed needs no time-zone database on the reader's side.
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One change of offset: the instant, the offsets before and after, and
/// whether daylight saving is in effect after it.
#[derive(Debug, Clone, PartialEq)]
struct Transition {
    at: DateTime<Utc>,
    from_seconds: i32,
    to_seconds: i32,
    daylight: bool,
    name: Option<String>,
}

/// Total offset from UTC at `t`, in seconds, whether it is daylight saving, and its abbreviation.
fn offset_at(tz: Tz, t: DateTime<Utc>) -> (i32, bool, Option<String>) {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc());
    (
        offset.fix().local_minus_utc(),
        !offset.dst_offset().is_zero(),
        offset.abbreviation().map(str::to_owned),
    )
}

/// Every change of offset between `from` and `to` (found day by day, then to the second).
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut day = from;
    let mut before = offset_at(tz, day);
    while day < to {
        let next = day + Duration::days(1);
        let after = offset_at(tz, next);
        if after.0 != before.0 || after.1 != before.1 {
            // The change is in (day, next]: narrow it down to the second.
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Transition {
                at: hi,
                from_seconds: before.0,
                to_seconds: after.0,
                daylight: after.1,
                name: after.2.clone(),
            });
        }
        before = after;
        day = next;
    }
    out
}

/// `-0500`, `+0530`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// The content lines of the `VTIMEZONE` for `tz`, covering the years
/// `first_year` to `last_year` (and the year either side).
pub fn vtimezone(tz: Tz, first_year: i32, last_year: i32) -> Vec<String> {
    let start = |year: i32| {
        NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    };
    let (Some(from), Some(to)) = (start(first_year - 1), start(last_year + 2)) else {
        return Vec::new();
    };
    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{}", tz.name())];
    let changes = transitions(tz, from, to);
    if changes.is_empty() {
        // No daylight saving in these years: one offset throughout.
        let (seconds, _, name) = offset_at(tz, from);
        lines.extend(observance(&Transition {
            at: from,
            from_seconds: seconds,
            to_seconds: seconds,
            daylight: false,
            name,
        }));
    } else {
        // The offset in force before the first change, then each change.
        let (seconds, daylight, name) = offset_at(tz, from);
        lines.extend(observance(&Transition {
            at: from,
            from_seconds: seconds,
            to_seconds: seconds,
            daylight,
            name,
        }));
        for change in &changes {
            lines.extend(observance(change));
        }
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines
}

/// A `STANDARD` or `DAYLIGHT` block: its onset is in the local time before the change.
fn observance(change: &Transition) -> Vec<String> {
    let block = if change.daylight {
        "DAYLIGHT"
    } else {
        "STANDARD"
    };
    let onset = change.at.naive_utc() + Duration::seconds(i64::from(change.from_seconds));
    let mut lines = vec![
        format!("BEGIN:{block}"),
        format!("DTSTART:{}", onset.format("%Y%m%dT%H%M%S")),
        format!("TZOFFSETFROM:{}", utc_offset(change.from_seconds)),
        format!("TZOFFSETTO:{}", utc_offset(change.to_seconds)),
    ];
    if let Some(name) = change
        .name
        .as_deref()
        .filter(|n| !n.starts_with(['+', '-']))
    {
        lines.push(format!("TZNAME:{name}"));
    }
    lines.push(format!("END:{block}"));
    lines
}

/// A time as the `TZID`-qualified local time of an event (`20300312T090000`).
pub fn local_stamp(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toronto_changes_twice_a_year_at_two_in_the_morning() {
        let lines = vtimezone(chrono_tz::America::Toronto, 2030, 2030);
        let text = lines.join("\n");
        // Second Sunday of March and first Sunday of November 2030.
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\nDTSTART:20300310T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\nDTSTART:20301103T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST"
            ),
            "{text}"
        );
        // 2029, 2030 and 2031: two changes each, and the offset before the first.
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("BEGIN:DAYLIGHT"))
                .count(),
            3
        );
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("BEGIN:STANDARD"))
                .count(),
            4
        );
    }

    #[test]
    fn a_zone_without_daylight_saving_has_one_offset() {
        let lines = vtimezone(chrono_tz::Asia::Kolkata, 2030, 2030);
        assert_eq!(lines.iter().filter(|l| l.starts_with("BEGIN:")).count(), 2);
        assert!(lines.contains(&"TZOFFSETTO:+0530".to_owned()), "{lines:?}");
    }

    #[test]
    fn an_event_is_stamped_in_local_time_across_the_change() {
        let tz = chrono_tz::America::Toronto;
        let winter = Utc.with_ymd_and_hms(2030, 1, 15, 14, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2030, 7, 15, 13, 0, 0).unwrap();
        assert_eq!(local_stamp(tz, winter), "20300115T090000");
        assert_eq!(local_stamp(tz, summer), "20300715T090000");
    }
}
