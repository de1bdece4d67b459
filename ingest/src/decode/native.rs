//! Native JSON, on `caretaker/<gateway>/readings`.
//!
//! One reading:
//!
//! ```text
//! {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}
//! ```
//!
//! or a batch, as an array or under `readings`:
//!
//! ```text
//! [{"sensor": "A-BLR-1-supply", "ts": 1706702400000, "value": 71.5}, ...]
//! {"readings": [{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}, ...]}
//! ```
//!
//! - `sensor` is the sensor's native id in the registry
//!   ([`Registry::sensor_by_native`](caretaker_core::Registry::sensor_by_native));
//! - `ts` is an RFC 3339 string or an integer of epoch milliseconds;
//! - `value` is a JSON number. Types are strict: a string, boolean or `null`
//!   value is refused, not converted.
//!
//! Other fields are ignored. Each reading of a batch stands alone: the good
//! ones are accepted, each bad one is refused with its index (from 0) and
//! sensor. An empty batch accepts nothing and is no error.
//!
//! This is the bulk path, so a reading is read in one pass without building
//! a JSON tree, strings borrow from the payload, and each reading is checked
//! and appended as soon as its object closes.
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{self, Key, MapVisit, ObjectOr, Scalar, Shape};
use super::value::{Problem, Quoted, Sink, parse_ts};
use super::{DecodeContext, RejectReason, Rejection, Verdict};
use caretaker_core::ReadingBatch;

/// Decodes a native payload (already checked to be UTF-8 and within size).
pub(super) fn decode(text: &str, ctx: &DecodeContext<'_>, out: &mut ReadingBatch) -> Verdict {
    let mut sink = Sink::new(ctx, out);
    let result = json::parse(text, |text| {
        sink.rollback();
        let mut de = serde_json::Deserializer::from_str(text);
        let shape = Top { sink: &mut sink }.deserialize(&mut de)?;
        de.end()?;
        Ok(shape)
    });
    match result {
        Ok(TopShape::Done) => {}
        Ok(TopShape::Other(kind)) => sink.reject(Rejection::new(
            RejectReason::WrongType,
            format!(
                "native payload is {kind}, expected a reading, an array of readings or {{\"readings\": [...]}}"
            ),
        )),
        Err(err) => {
            sink.rollback();
            sink.reject(json::rejection(&err, "native payload"));
        }
    }
    sink.finish()
}

/// The fields of one reading as sent.
#[derive(Default)]
struct Raw<'de> {
    sensor: Option<Scalar<'de>>,
    ts: Option<Scalar<'de>>,
    value: Option<Scalar<'de>>,
    /// A field given twice.
    twice: Option<&'static str>,
}

impl<'de> Raw<'de> {
    /// Reads the value of `key` if it is a reading field; `false` if it is not.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let (slot, name) = match key {
            "sensor" => (&mut self.sensor, "sensor"),
            "ts" => (&mut self.ts, "ts"),
            "value" => (&mut self.value, "value"),
            _ => return Ok(false),
        };
        let value = map.next_value::<Scalar<'de>>()?;
        if slot.replace(value).is_some() {
            self.twice = Some(name);
        }
        Ok(true)
    }
}

/// Where a reading is, for a rejection: `reading at index 3 (sensor "X")`.
struct At<'a> {
    index: Option<usize>,
    sensor: Option<&'a str>,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, self.sensor) {
            (Some(i), Some(s)) => write!(f, "reading at index {i} (sensor {})", Quoted(s)),
            (Some(i), None) => write!(f, "reading at index {i}"),
            (None, Some(s)) => write!(f, "sensor {}", Quoted(s)),
            (None, None) => f.write_str("native reading"),
        }
    }
}

/// Checks one reading and appends it, or refuses it.
fn accept(sink: &mut Sink<'_>, index: Option<usize>, raw: Raw<'_>) {
    let mut at = At {
        index,
        sensor: None,
    };
    let sensor = match &raw.sensor {
        Some(Scalar::Str(s)) => s,
        Some(other) => {
            let text = format!("\"sensor\" is {}, expected a string", other.kind());
            return sink.reject(Problem::new(RejectReason::WrongType, text).about(at));
        }
        None => {
            let text = "has no \"sensor\" field";
            return sink.reject(Rejection::new(
                RejectReason::WrongType,
                format!("{at} {text}"),
            ));
        }
    };
    at.sensor = Some(sensor);
    if let Some(field) = raw.twice {
        let text = format!("has the field \"{field}\" twice");
        return sink.reject(Rejection::new(
            RejectReason::WrongType,
            format!("{at} {text}"),
        ));
    }
    let Some(index) = sink.registry.sensor_by_native(sensor) else {
        let text = match at.index {
            Some(i) => format!(
                "reading at index {i}: sensor {} is not in the registry",
                Quoted(sensor)
            ),
            None => format!("sensor {} is not in the registry", Quoted(sensor)),
        };
        return sink.reject(Rejection::new(RejectReason::UnknownSensor, text));
    };
    let missing = |field: &str| {
        let text = format!("{at} has no \"{field}\" field");
        Rejection::new(RejectReason::WrongType, text)
    };
    let Some(ts) = &raw.ts else {
        return sink.reject(missing("ts"));
    };
    let ts = match parse_ts(ts, "ts").and_then(|ts| sink.window.check(ts, "ts")) {
        Ok(ts) => ts,
        Err(problem) => return sink.reject(problem.about(at)),
    };
    let value = match &raw.value {
        Some(Scalar::Int(i)) => *i as f64,
        Some(Scalar::Num(x)) => *x,
        Some(Scalar::Str(s)) => {
            let text = format!("value {} is a string, not a number", Quoted(s));
            return sink.reject(Problem::new(RejectReason::WrongType, text).about(at));
        }
        Some(other) => {
            let text = format!("value is {}, not a number", other.kind());
            return sink.reject(Problem::new(RejectReason::WrongType, text).about(at));
        }
        None => return sink.reject(missing("value")),
    };
    sink.offer(index, ts, value, at);
}

/// What the whole payload was.
enum TopShape {
    /// A reading or a batch, handled.
    Done,
    /// Neither object nor array (`a number`).
    Other(&'static str),
}

/// The whole payload: a reading, an array of readings, or `{"readings": [...]}`.
struct Top<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = TopShape;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = TopShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reading or an array of readings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        readings(self.sink, seq)?;
        Ok(TopShape::Done)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = Raw::default();
        let mut batch = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "readings" {
                if batch {
                    map.next_value::<IgnoredAny>()?;
                    self.sink.reject(Rejection::new(
                        RejectReason::WrongType,
                        "native payload has the field \"readings\" twice; the second was ignored",
                    ));
                } else {
                    batch = true;
                    map.next_value_seed(Readings {
                        sink: &mut *self.sink,
                    })?;
                }
            } else if !raw.field(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !batch {
            accept(self.sink, None, raw);
        }
        Ok(TopShape::Done)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopShape::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopShape::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopShape::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopShape::Other("a number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(TopShape::Other(json::str_kind(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(TopShape::Other("null"))
    }
}

/// Checks and appends every reading of a batch as it is read.
fn readings<'de, A: SeqAccess<'de>>(sink: &mut Sink<'_>, mut seq: A) -> Result<(), A::Error> {
    let mut index = 0;
    while let Some(shape) = seq.next_element_seed(ObjectOr(Fields))? {
        match shape {
            Shape::Object(raw) => accept(sink, Some(index), raw),
            Shape::Null | Shape::Other(_) => {
                let kind = match shape {
                    Shape::Other(kind) => kind,
                    _ => "null",
                };
                sink.reject(Rejection::new(
                    RejectReason::WrongType,
                    format!("reading at index {index} is {kind}, expected an object"),
                ));
            }
        }
        index += 1;
    }
    Ok(())
}

/// The fields of a reading object.
struct Fields;

impl<'de> MapVisit<'de> for Fields {
    type Out = Raw<'de>;

    fn visit<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut raw = Raw::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if !raw.field(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(raw)
    }
}

/// The value of `readings`: an array of readings, or a wrong type.
struct Readings<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Readings<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Readings<'_, '_> {
    fn wrong(self, kind: &str) {
        self.sink.reject(Rejection::new(
            RejectReason::WrongType,
            format!("native payload: \"readings\" is {kind}, expected an array of readings"),
        ));
    }
}

impl<'de> Visitor<'de> for Readings<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of readings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        readings(self.sink, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.wrong("an object");
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.wrong("a boolean");
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.wrong("a number");
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.wrong("a number");
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.wrong("a number");
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.wrong(json::str_kind(v));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.wrong("null");
        Ok(())
    }
}
