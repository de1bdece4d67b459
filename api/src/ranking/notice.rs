//! Plain-language notices for the residents of one unit: what is done,
//! when, which service is out and for how long, and what to do.
//!
//! Times are printed in the time zone of the `DateTime`s given: the API passes
//! them in the co-op's zone (`Timestamp::in_zone(registry.timezone())`), so
//! residents read their own clock, daylight-saving changes included. Days and
//! clock times use the patterns of [`caretaker_core::local`].
use std::fmt;

use caretaker_core::{EquipmentKind, UnitId, local};
use chrono::{DateTime, TimeZone};
use serde::Serialize;

/// A notice ready to show or send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeText {
    /// One line: what is happening.
    pub title: String,
    /// The details, in short paragraphs.
    pub body: String,
}

/// What the work on one kind of equipment means for residents.
struct Effect {
    title: &'static str,
    /// The service that goes out, as a sentence subject (`Heat`); `None` if residents keep every service.
    service: Option<&'static str>,
    advice: &'static str,
}

const HEAT_ADVICE: &str = "Keep windows closed and use extra blankets or warm clothing. \
    Do not heat your home with an oven, a gas stove or a barbecue. If someone in your home \
    is at risk from the cold (a baby, an older or unwell person) or relies on medical \
    equipment that needs a warm room, contact the maintenance committee before the work starts.";

fn effect(kind: EquipmentKind) -> Effect {
    let (title, service, advice) = match kind {
        EquipmentKind::Boiler => (
            "Heating off for boiler maintenance",
            Some("Heat"),
            HEAT_ADVICE,
        ),
        EquipmentKind::CirculationPump => (
            "Heating off for circulation pump maintenance",
            Some("Heat"),
            HEAT_ADVICE,
        ),
        EquipmentKind::HeatPump => (
            "Heating off for heat pump maintenance",
            Some("Heat"),
            HEAT_ADVICE,
        ),
        EquipmentKind::DhwHeater => (
            "Hot water off for water heater maintenance",
            Some("Hot water"),
            "Cold water works as usual. Fill a kettle or a pot beforehand if you will need warm \
             water. When hot water is back, run the hot tap for a minute: it may sputter or look \
             cloudy at first.",
        ),
        EquipmentKind::Elevator => (
            "Elevator out of service for maintenance",
            Some("The elevator"),
            "Plan to use the stairs, and bring heavy shopping up before the work starts. If you \
             cannot use the stairs, contact the maintenance committee before the work so we can \
             arrange help.",
        ),
        EquipmentKind::SumpPump => (
            "Sump pump work in the basement",
            None,
            "Your heat, water and elevator are not affected. Expect some noise, and keep clear \
             of the basement pit area while the work is done.",
        ),
        EquipmentKind::LeakZone => (
            "Water may be shut off for leak repairs",
            Some("Water"),
            "Fill a jug of drinking water and a pot for flushing beforehand. When the water is \
             back, run the cold tap for a minute until it runs clear.",
        ),
        EquipmentKind::AirHandler => (
            "Ventilation off for air handler maintenance",
            Some("Ventilation"),
            "Bathroom and kitchen fans may not draw air. Open a window for a few minutes if the \
             air feels stuffy, and avoid frying or drying laundry indoors during the work.",
        ),
    };
    Effect {
        title,
        service,
        advice,
    }
}

/// `Tuesday 14 January, 09:00–13:00`, or `Tuesday 14 January 22:00 to Wednesday 15 January 06:00`.
fn window<Tz: TimeZone>(start: &DateTime<Tz>, end: &DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    let day = |t: &DateTime<Tz>| t.format(local::DAY_FORMAT).to_string();
    let time = |t: &DateTime<Tz>| t.format(local::CLOCK_FORMAT).to_string();
    if start.date_naive() == end.date_naive() {
        format!("{}, {}–{}", day(start), time(start), time(end))
    } else {
        format!(
            "{} {} to {} {}",
            day(start),
            time(start),
            day(end),
            time(end)
        )
    }
}

/// `4 hours`, `1 hour 30 minutes`, `2 days 3 hours` (rounded up to the minute, or to the hour past a day).
fn duration<Tz: TimeZone>(start: &DateTime<Tz>, end: &DateTime<Tz>) -> String {
    let seconds = (end.clone() - start.clone()).num_seconds().max(0);
    let minutes = (seconds + 59) / 60;
    let unit = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let join = |a: String, b: Option<String>| match b {
        Some(b) => format!("{a} {b}"),
        None => a,
    };
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        let hours = (minutes % 1440 + 59) / 60;
        join(unit(days, "day"), (hours > 0).then(|| unit(hours, "hour")))
    } else if hours > 0 {
        join(
            unit(hours, "hour"),
            (mins > 0).then(|| unit(mins, "minute")),
        )
    } else {
        unit(mins, "minute")
    }
}

fn body<Tz: TimeZone>(
    effect: &Effect,
    equipment_name: &str,
    work: &str,
    start: &DateTime<Tz>,
    end: &DateTime<Tz>,
) -> String
where
    Tz::Offset: fmt::Display,
{
    let how_long = duration(start, end);
    let outage = match effect.service {
        Some(service) => format!("{service} will be off for up to {how_long}."),
        None => format!("The work takes up to {how_long}; no service to your unit goes off."),
    };
    format!(
        "What: {} on {equipment_name}.\nWhen: {}.\nWhat it means for you: {outage}\n\
         What to do: {}\n\nQuestions or concerns? Contact the maintenance committee.",
        capitalised(work),
        window(start, end),
        effect.advice,
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn greeting(unit: &UnitId) -> String {
    format!("To the residents of unit {unit}:\n\n")
}

/// The notice for a planned piece of work, for the residents of `unit`.
pub fn notice_text<Tz: TimeZone>(
    kind: EquipmentKind,
    equipment_name: &str,
    work: &str,
    window_start: DateTime<Tz>,
    window_end: DateTime<Tz>,
    unit: &UnitId,
) -> NoticeText
where
    Tz::Offset: fmt::Display,
{
    let effect = effect(kind);
    NoticeText {
        title: effect.title.to_owned(),
        body: greeting(unit) + &body(&effect, equipment_name, work, &window_start, &window_end),
    }
}

/// The notice for work moved from the `previous` window to a new one.
pub fn changed_notice_text<Tz: TimeZone>(
    kind: EquipmentKind,
    equipment_name: &str,
    work: &str,
    previous: (DateTime<Tz>, DateTime<Tz>),
    window_start: DateTime<Tz>,
    window_end: DateTime<Tz>,
    unit: &UnitId,
) -> NoticeText
where
    Tz::Offset: fmt::Display,
{
    let effect = effect(kind);
    NoticeText {
        title: format!("Changed: {}", effect.title),
        body: format!(
            "{}The time of this work has changed. It was planned for {}; it is now {}.\n\n{}",
            greeting(unit),
            window(&previous.0, &previous.1),
            window(&window_start, &window_end),
            body(&effect, equipment_name, work, &window_start, &window_end),
        ),
    }
}

/// The notice for work that was planned and is cancelled.
pub fn cancelled_notice_text<Tz: TimeZone>(
    kind: EquipmentKind,
    equipment_name: &str,
    work: &str,
    window_start: DateTime<Tz>,
    window_end: DateTime<Tz>,
    unit: &UnitId,
) -> NoticeText
where
    Tz::Offset: fmt::Display,
{
    let effect = effect(kind);
    let unchanged = match effect.service {
        Some(service) => format!("{service} will not be interrupted then."),
        None => "Nothing changes for you.".to_owned(),
    };
    NoticeText {
        title: format!("Cancelled: {}", effect.title),
        body: format!(
            "{}{} on {equipment_name}, planned for {}, is cancelled. {unchanged} \
             If it is planned again, you will get a new notice.\n\n\
             Questions or concerns? Contact the maintenance committee.",
            greeting(unit),
            capitalised(work),
            window(&window_start, &window_end),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, d, h, m, 0).unwrap()
    }

    fn unit() -> UnitId {
        UnitId::parse("A-204").unwrap()
    }

    #[test]
    fn boiler_notice_says_heat_and_when() {
        let n = notice_text(
            EquipmentKind::Boiler,
            "Boiler 1, Maple Court basement",
            "annual service",
            at(14, 9, 0),
            at(14, 13, 0),
            &unit(),
        );
        assert_eq!(n.title, "Heating off for boiler maintenance");
        assert!(n.body.starts_with("To the residents of unit A-204:"));
        assert!(
            n.body
                .contains("What: Annual service on Boiler 1, Maple Court basement.")
        );
        assert!(n.body.contains("When: Tuesday 14 January, 09:00–13:00."));
        assert!(n.body.contains("Heat will be off for up to 4 hours."));
        assert!(n.body.contains("extra blankets"));
    }

    #[test]
    fn each_kind_names_its_service() {
        let text = |kind| {
            let n = notice_text(kind, "X", "service", at(14, 9, 0), at(14, 10, 30), &unit());
            format!("{}\n{}", n.title, n.body)
        };
        let hot = text(EquipmentKind::DhwHeater);
        assert!(hot.contains("Hot water will be off for up to 1 hour 30 minutes."));
        assert!(hot.contains("run the hot tap"));
        let lift = text(EquipmentKind::Elevator);
        assert!(lift.contains("The elevator will be off"));
        assert!(lift.contains("use the stairs"));
        let sump = text(EquipmentKind::SumpPump);
        assert!(sump.contains("no service to your unit goes off"));
        assert!(sump.contains("not affected"));
        assert!(text(EquipmentKind::LeakZone).contains("Water will be off"));
        assert!(text(EquipmentKind::AirHandler).contains("Ventilation will be off"));
        assert!(text(EquipmentKind::CirculationPump).contains("Heat will be off"));
        assert!(text(EquipmentKind::HeatPump).starts_with("Heating off"));
    }

    #[test]
    fn windows_over_midnight_and_in_local_time() {
        let n = notice_text(
            EquipmentKind::Elevator,
            "Elevator, Maple Court",
            "cable replacement",
            at(14, 22, 0),
            at(16, 1, 0),
            &unit(),
        );
        assert!(
            n.body
                .contains("When: Tuesday 14 January 22:00 to Thursday 16 January 01:00.")
        );
        assert!(n.body.contains("for up to 1 day 3 hours."));
        let toronto = FixedOffset::west_opt(5 * 3600).unwrap();
        let n = notice_text(
            EquipmentKind::Boiler,
            "Boiler 1",
            "service",
            at(14, 14, 0).with_timezone(&toronto),
            at(14, 18, 0).with_timezone(&toronto),
            &unit(),
        );
        assert!(n.body.contains("Tuesday 14 January, 09:00–13:00"));
    }

    #[test]
    fn changed_and_cancelled_notices() {
        let changed = changed_notice_text(
            EquipmentKind::DhwHeater,
            "Water heater, Birch House",
            "descaling",
            (at(14, 9, 0), at(14, 12, 0)),
            at(16, 13, 0),
            at(16, 15, 0),
            &unit(),
        );
        assert_eq!(
            changed.title,
            "Changed: Hot water off for water heater maintenance"
        );
        assert!(changed.body.contains(
            "It was planned for Tuesday 14 January, 09:00–12:00; \
             it is now Thursday 16 January, 13:00–15:00."
        ));
        assert!(
            changed
                .body
                .contains("Hot water will be off for up to 2 hours.")
        );

        let cancelled = cancelled_notice_text(
            EquipmentKind::Boiler,
            "Boiler 1",
            "annual service",
            at(14, 9, 0),
            at(14, 13, 0),
            &unit(),
        );
        assert_eq!(
            cancelled.title,
            "Cancelled: Heating off for boiler maintenance"
        );
        assert!(cancelled.body.contains(
            "Annual service on Boiler 1, planned for Tuesday 14 January, 09:00–13:00, is cancelled. \
             Heat will not be interrupted then."
        ));
    }

    #[test]
    fn a_window_across_the_fall_back_change_reads_on_the_coops_clock() {
        let toronto: caretaker_core::Tz = "America/Toronto".parse().unwrap();
        let utc = |s: &str| {
            caretaker_core::Timestamp::parse(s)
                .unwrap()
                .in_zone(toronto)
        };
        // Saturday 1 November 2025 22:00 EDT to Sunday 2 November 06:00 EST: clocks go
        // back an hour at 02:00, so the work lasts 9 hours, not 8.
        let n = notice_text(
            EquipmentKind::Boiler,
            "Boiler 1, Maple Court basement",
            "burner repair",
            utc("2025-11-02T02:00:00Z"),
            utc("2025-11-02T11:00:00Z"),
            &unit(),
        );
        assert!(
            n.body
                .contains("When: Saturday 1 November 22:00 to Sunday 2 November 06:00."),
            "{}",
            n.body
        );
        assert!(
            n.body.contains("Heat will be off for up to 9 hours."),
            "{}",
            n.body
        );
        // And in spring an 8-hour window over the change reads 9 hours on the clock.
        let n = notice_text(
            EquipmentKind::Boiler,
            "Boiler 1",
            "service",
            utc("2026-03-08T03:00:00Z"),
            utc("2026-03-08T11:00:00Z"),
            &unit(),
        );
        assert!(
            n.body
                .contains("When: Saturday 7 March 22:00 to Sunday 8 March 07:00."),
            "{}",
            n.body
        );
        assert!(
            n.body.contains("Heat will be off for up to 8 hours."),
            "{}",
            n.body
        );
    }
}
