//! What every format checks, and how rejections are worded.
//!
//! - [`Window`]: a reading's time must lie in `[received_at - max_age_ms,
//!   received_at + max_future_ms]`;
//! - [`parse_ts`]: RFC 3339 text or integer epoch milliseconds;
//! - [`check_value`]: the metric's value rule (finite, within the physical
//!   range, 0 or 1 for an on/off metric), shared with imports;
//! - [`lenient_number`]: the number a gateway meant (`"100.00"`, `true`), for
//!   Zigbee2MQTT and ChirpStack; native payloads are strict instead;
//! - [`Sink`]: the readings and rejections of one message, undone whole if
//!   the message turns out not to be JSON after all;
//! - [`Quoted`]: user text in a rejection, escaped and cut short.
use std::fmt;

use caretaker_core::{ReadingBatch, Registry, Timestamp, ValueError};

use super::json::Scalar;
use super::{DecodeContext, RejectReason, Rejection, Verdict};

/// Longest piece of user text quoted in a rejection, in characters.
const QUOTE_MAX: usize = 64;

/// What is wrong with a field, before it is said of which one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) reason: RejectReason,
    pub(crate) text: String,
}

impl Problem {
    pub(crate) fn new(reason: RejectReason, text: impl Into<String>) -> Self {
        Self {
            reason,
            text: text.into(),
        }
    }

    /// The rejection, with what the problem is about first (`zigbee2mqtt device "Hall" key "battery": ...`).
    pub(crate) fn about(self, subject: impl fmt::Display) -> Rejection {
        Rejection::new(self.reason, format!("{subject}: {}", self.text))
    }
}

/// User text in a rejection: quoted, escaped, at most [`QUOTE_MAX`] characters.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shown, cut) = match self.0.char_indices().nth(QUOTE_MAX) {
            Some((at, _)) => (&self.0[..at], "…"),
            None => (self.0, ""),
        };
        write!(f, "\"{}{cut}\"", shown.escape_debug())
    }
}

/// A timestamp for a sentence: RFC 3339 when it is a representable date.
struct When(i64);

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if chrono::DateTime::from_timestamp_millis(self.0).is_some() {
            write!(f, "{}", Timestamp::from_millis(self.0))
        } else {
            write!(f, "{} ms after the epoch", self.0)
        }
    }
}

/// A duration in milliseconds for a sentence (`7 days`, `90 s`).
struct Span(i64);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        let units = [
            (Timestamp::DAY, "day"),
            (Timestamp::HOUR, "hour"),
            (Timestamp::MINUTE, "minute"),
            (Timestamp::SECOND, "second"),
        ];
        for (size, name) in units {
            if ms != 0 && ms % size == 0 {
                let n = ms / size;
                return write!(f, "{n} {name}{}", if n == 1 { "" } else { "s" });
            }
        }
        write!(f, "{ms} ms")
    }
}

/// The times a reading may carry, relative to when its message arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    received_at: i64,
    max_age_ms: i64,
    max_future_ms: i64,
}

impl Window {
    pub(crate) fn new(ctx: &DecodeContext<'_>) -> Self {
        Self {
            received_at: ctx.received_at.millis(),
            max_age_ms: ctx.max_age_ms,
            max_future_ms: ctx.max_future_ms,
        }
    }

    /// `ts` if it lies in the window; `field` names it in the problem (`ts`, `last_seen`).
    pub(crate) fn check(&self, ts: Timestamp, field: &str) -> Result<Timestamp, Problem> {
        let ms = ts.millis();
        let oldest = self.received_at.saturating_sub(self.max_age_ms);
        let latest = self.received_at.saturating_add(self.max_future_ms);
        if ms < oldest {
            Err(Problem::new(
                RejectReason::BadTimestamp,
                format!(
                    "{field} {} is more than {} before the message arrived ({})",
                    When(ms),
                    Span(self.max_age_ms),
                    When(self.received_at)
                ),
            ))
        } else if ms > latest {
            Err(Problem::new(
                RejectReason::BadTimestamp,
                format!(
                    "{field} {} is more than {} after the message arrived ({})",
                    When(ms),
                    Span(self.max_future_ms),
                    When(self.received_at)
                ),
            ))
        } else {
            Ok(ts)
        }
    }
}

/// A timestamp field: RFC 3339 text (or anything [`Timestamp::parse`] reads)
/// or an integer of epoch milliseconds. `field` names it in the problem.
pub(crate) fn parse_ts(value: &Scalar<'_>, field: &str) -> Result<Timestamp, Problem> {
    match value {
        Scalar::Str(text) => match fast_rfc3339(text) {
            Some(ms) => Ok(Timestamp::from_millis(ms)),
            None => Timestamp::parse(text).map_err(|_| {
                Problem::new(
                    RejectReason::BadTimestamp,
                    format!(
                        "{field} {} is neither an RFC 3339 time nor epoch milliseconds",
                        Quoted(text)
                    ),
                )
            }),
        },
        Scalar::Int(ms) => Ok(Timestamp::from_millis(*ms)),
        Scalar::Num(x) => Err(Problem::new(
            RejectReason::BadTimestamp,
            format!("{field} {x} is not a whole number of epoch milliseconds"),
        )),
        other => Err(Problem::new(
            RejectReason::WrongType,
            format!(
                "{field} is {}, expected an RFC 3339 string or epoch milliseconds",
                other.kind()
            ),
        )),
    }
}

/// Epoch milliseconds of RFC 3339 text as gateways write it,
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, read without chrono: the
/// native hot path spends most of its time on timestamps otherwise. `None`
/// for anything else (leap seconds, lowercase `t`, spaces...), which
/// [`Timestamp::parse`] then reads; where both read a text, they agree.
pub(crate) fn fast_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if b[at] == b'.' {
        let start = at + 1;
        at = start;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        let digits = at - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        for k in 0..3 {
            let d = if k < digits {
                i64::from(b[start + k] - b'0')
            } else {
                0
            };
            millis = millis * 10 + d;
        }
    }
    let offset_minutes = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(at + 1, at + 3)?, num(at + 4, at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(
        days * Timestamp::DAY
            + hour * Timestamp::HOUR
            + minute * Timestamp::MINUTE
            + second * Timestamp::SECOND
            + millis
            - offset_minutes * Timestamp::MINUTE,
    )
}

/// `value` if sensor `sensor` can physically read it, by the one rule of
/// live ingest and imports, [`Metric::check_value`](caretaker_core::Metric::check_value).
pub(crate) fn check_value(registry: &Registry, sensor: usize, value: f64) -> Result<f64, Problem> {
    let metric = registry.sensors()[sensor].metric;
    metric.check_value(value).map_err(|e| {
        let reason = match e {
            ValueError::NonFinite => RejectReason::NonFinite,
            ValueError::NotOnOff(_) | ValueError::OutOfRange(_) => RejectReason::OutOfRange,
        };
        Problem::new(reason, format!("value {value} {e}"))
    })
}

/// The number a Zigbee2MQTT or ChirpStack field means: a number, a numeric
/// string (`"100.00"`, which may also say `"NaN"` or `"inf"`), a boolean
/// (1/0), or for an on/off metric `"ON"`/`"OFF"`. `None` for `null`: no reading.
pub(crate) fn lenient_number(value: &Scalar<'_>, binary: bool) -> Result<Option<f64>, Problem> {
    match value {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(if *b { 1.0 } else { 0.0 })),
        Scalar::Int(_) | Scalar::Num(_) => Ok(value.number()),
        Scalar::Str(text) => {
            let t = text.trim();
            if let Ok(x) = t.parse::<f64>() {
                Ok(Some(x))
            } else if binary && t.eq_ignore_ascii_case("on") {
                Ok(Some(1.0))
            } else if binary && t.eq_ignore_ascii_case("off") {
                Ok(Some(0.0))
            } else {
                Err(Problem::new(
                    RejectReason::WrongType,
                    format!("value {} is not a number", Quoted(text)),
                ))
            }
        }
        Scalar::Array | Scalar::Object => Err(Problem::new(
            RejectReason::WrongType,
            format!("value is {}, not a number", value.kind()),
        )),
    }
}

/// The readings and rejections of one message.
pub(crate) struct Sink<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) window: Window,
    pub(crate) received_at: Timestamp,
    out: &'a mut ReadingBatch,
    start: usize,
    verdict: Verdict,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(ctx: &DecodeContext<'a>, out: &'a mut ReadingBatch) -> Self {
        let start = out.len();
        Self {
            registry: ctx.registry,
            window: Window::new(ctx),
            received_at: ctx.received_at,
            out,
            start,
            verdict: Verdict::default(),
        }
    }

    /// Appends a checked reading (the batch, like [`check_value`], refuses what is
    /// not finite).
    fn push(&mut self, sensor: usize, ts: Timestamp, value: f64) -> Result<(), Problem> {
        // A registry holds far fewer than 2^32 sensors.
        self.out.push(sensor as u32, ts, value).map_err(|_| {
            Problem::new(
                RejectReason::NonFinite,
                format!("value {value} {}", ValueError::NonFinite),
            )
        })?;
        self.verdict.accepted += 1;
        Ok(())
    }

    /// Checks `value` for `sensor` and appends it, or refuses it; `subject`
    /// names the field in the rejection.
    pub(crate) fn offer(
        &mut self,
        sensor: usize,
        ts: Timestamp,
        value: f64,
        subject: impl fmt::Display,
    ) {
        let appended =
            check_value(self.registry, sensor, value).and_then(|v| self.push(sensor, ts, v));
        if let Err(problem) = appended {
            self.reject(problem.about(subject));
        }
    }

    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.verdict.rejected.push(rejection);
    }

    pub(crate) fn ignore(&mut self, why: &'static str) {
        self.verdict.ignored = Some(why);
    }

    /// Forgets everything this message added.
    pub(crate) fn rollback(&mut self) {
        self.out.truncate(self.start);
        self.verdict = Verdict::default();
    }

    pub(crate) fn finish(self) -> Verdict {
        self.verdict
    }
}
