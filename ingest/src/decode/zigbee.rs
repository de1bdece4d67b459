//! Zigbee2MQTT, on `<base>/<friendly name>` for each configured base topic.
//!
//! A device publishes its whole state as one JSON object:
//!
//! ```text
//! zigbee2mqtt/Maple Court/roof/leak 1
//! {"battery": "100.00", "water_leak": false, "linkquality": 120, "last_seen": "2024-01-31T12:00:00+01:00"}
//! ```
//!
//! - The device name is everything after `<base>/`: friendly names may hold
//!   spaces, commas and slashes.
//! - Each key that the registry maps to a sensor for this device
//!   ([`Registry::sensor_by_zigbee`](caretaker_core::Registry::sensor_by_zigbee))
//!   gives a reading; other keys (`linkquality`, `update`, `device`,
//!   `voltage`...) are skipped silently.
//! - A value may be a number, a numeric string (`"100.00"`, older versions),
//!   a boolean (`water_leak`, `contact`, `occupancy`: 1 or 0), or, for an
//!   on/off metric, `"ON"`/`"OFF"`. `null` gives no reading and is no error;
//!   any other string, an array or an object is a wrong type.
//! - The readings' time is `last_seen` (RFC 3339 or epoch milliseconds) when
//!   the payload has it, else when the message arrived.
//!
//! Attribute mode (`output: attribute`) publishes one bare value per topic,
//! `<base>/<friendly name>/<attribute>` with a payload like `23.5`, `true`
//! or `ON`; it gives one reading when the device is known and the attribute
//! mapped.
//!
//! Ignored, whatever the payload: `<base>/bridge/...`, `<base>/<name>/availability`
//! (`online`, or `{"state":"online"}`), and the commands `<base>/<name>/set`,
//! `/get`, `/set/<attribute>`, `/get/<attribute>`. A device that is not in the
//! registry is refused by its topic alone.
use std::borrow::Cow;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess};

use super::json::{self, Key, MapVisit, ObjectOr, Scalar, Shape};
use super::value::{Quoted, Sink, lenient_number, parse_ts};
use super::{DecodeContext, Format, RejectReason, Rejection, Route, Verdict};
use caretaker_core::{ReadingBatch, Registry};

/// The route of a topic under one of the base topics, or `None` if it is under none.
pub(super) fn route<'t>(topic: &'t str, ctx: &DecodeContext<'_>) -> Option<Route<'t>> {
    // The longest base that matches, so `zigbee2mqtt/site` wins over `zigbee2mqtt`.
    let rest = ctx
        .zigbee_base_topics
        .iter()
        .map(|base| base.trim_end_matches('/'))
        .filter(|base| !base.is_empty())
        .filter_map(|base| Some((base.len(), topic.strip_prefix(base)?.strip_prefix('/')?)))
        .max_by_key(|&(len, _)| len)?
        .1;
    Some(route_device(rest, ctx.registry))
}

/// The route of `rest`, the topic after `<base>/`.
fn route_device<'t>(rest: &'t str, registry: &Registry) -> Route<'t> {
    if rest.is_empty() {
        return Route::Reject(Rejection::new(
            RejectReason::UnknownTopic,
            "zigbee2mqtt topic names no device",
        ));
    }
    if rest == "bridge" || rest.starts_with("bridge/") {
        return Route::Ignore("zigbee2mqtt bridge message");
    }
    if registry.has_zigbee_device(rest) {
        return Route::Decode(Format::ZigbeeDevice(rest));
    }
    if let Some((head, last)) = rest.rsplit_once('/') {
        match last {
            "availability" => return Route::Ignore("availability"),
            "set" | "get" => return Route::Ignore("zigbee2mqtt command"),
            _ => {}
        }
        // `<name>/set/<attribute>`, `<name>/get/<attribute>`.
        if head.ends_with("/set") || head.ends_with("/get") {
            return Route::Ignore("zigbee2mqtt command");
        }
        if registry.has_zigbee_device(head) {
            return Route::Decode(Format::ZigbeeAttribute {
                device: head,
                attribute: last,
            });
        }
    }
    Route::Reject(Rejection::new(
        RejectReason::UnknownSensor,
        format!("zigbee2mqtt device {} is not in the registry", Quoted(rest)),
    ))
}

/// What is being read: `zigbee2mqtt device "Hall"`, with ` key "battery"` and the sensor.
struct At<'a> {
    device: &'a str,
    key: Option<(&'a str, &'a str)>,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "zigbee2mqtt device {}", Quoted(self.device))?;
        if let Some((key, sensor)) = self.key {
            write!(f, " key {} (sensor {})", Quoted(key), Quoted(sensor))?;
        }
        Ok(())
    }
}

/// A device's state message: a JSON object of keys.
pub(super) fn decode_device(
    device: &str,
    text: &str,
    ctx: &DecodeContext<'_>,
    out: &mut ReadingBatch,
) -> Verdict {
    let mut sink = Sink::new(ctx, out);
    let at = At { device, key: None };
    let result = json::parse(text, |text| {
        sink.rollback();
        let mut de = serde_json::Deserializer::from_str(text);
        let state = ObjectOr(State {
            registry: ctx.registry,
            device,
        })
        .deserialize(&mut de)?;
        de.end()?;
        match state {
            Shape::Object(state) => readings(&mut sink, device, state),
            Shape::Null | Shape::Other(_) => {
                let kind = match state {
                    Shape::Other(kind) => kind,
                    _ => "null",
                };
                sink.reject(Rejection::new(
                    RejectReason::WrongType,
                    format!("{at}: payload is {kind}, expected a JSON object"),
                ));
            }
        }
        Ok(())
    });
    if let Err(err) = result {
        sink.rollback();
        sink.reject(json::rejection(&err, &at));
    }
    sink.finish()
}

/// The mapped keys of a device message, and its `last_seen`.
struct Mapped<'de> {
    last_seen: Option<Scalar<'de>>,
    /// Key, sensor, value; one entry per sensor (the last wins).
    keys: Vec<(Cow<'de, str>, usize, Scalar<'de>)>,
}

struct State<'r> {
    registry: &'r Registry,
    device: &'r str,
}

impl<'de> MapVisit<'de> for State<'_> {
    type Out = Mapped<'de>;

    fn visit<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut mapped = Mapped {
            last_seen: None,
            keys: Vec::new(),
        };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Some(sensor) = self.registry.sensor_by_zigbee(self.device, &key) {
                let value = map.next_value::<Scalar<'de>>()?;
                match mapped.keys.iter_mut().find(|(_, s, _)| *s == sensor) {
                    Some(entry) => *entry = (key, sensor, value),
                    None => mapped.keys.push((key, sensor, value)),
                }
            } else if key == "last_seen" {
                mapped.last_seen = Some(map.next_value::<Scalar<'de>>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(mapped)
    }
}

/// Checks and appends the readings of a device message.
fn readings(sink: &mut Sink<'_>, device: &str, state: Mapped<'_>) {
    if state.keys.iter().all(|(_, _, v)| *v == Scalar::Null) {
        return;
    }
    let ts = match &state.last_seen {
        None | Some(Scalar::Null) => Ok(sink.received_at),
        Some(seen) => parse_ts(seen, "last_seen").and_then(|ts| sink.window.check(ts, "last_seen")),
    };
    let ts = match ts {
        Ok(ts) => ts,
        Err(problem) => return sink.reject(problem.about(At { device, key: None })),
    };
    for (key, sensor, value) in &state.keys {
        let s = &sink.registry.sensors()[*sensor];
        let at = At {
            device,
            key: Some((key, s.id.as_str())),
        };
        match lenient_number(value, s.metric.is_binary()) {
            Ok(None) => {}
            Ok(Some(v)) => sink.offer(*sensor, ts, v, at),
            Err(problem) => sink.reject(problem.about(at)),
        }
    }
}

/// Attribute mode: one bare value on `<base>/<device>/<attribute>`.
pub(super) fn decode_attribute(
    device: &str,
    attribute: &str,
    text: &str,
    ctx: &DecodeContext<'_>,
    out: &mut ReadingBatch,
) -> Verdict {
    let mut sink = Sink::new(ctx, out);
    let Some(sensor) = ctx.registry.sensor_by_zigbee(device, attribute) else {
        sink.ignore("zigbee2mqtt attribute not mapped to a sensor");
        return sink.finish();
    };
    // Bare text (`ON`, or a number too large for JSON) is taken as it is.
    let value = serde_json::from_str::<Scalar<'_>>(text)
        .unwrap_or_else(|_| Scalar::Str(Cow::Borrowed(text.trim())));
    let s = &ctx.registry.sensors()[sensor];
    let at = At {
        device,
        key: Some((attribute, s.id.as_str())),
    };
    let ts = sink.window.check(sink.received_at, "arrival time");
    match (lenient_number(&value, s.metric.is_binary()), ts) {
        (Ok(None), _) => {}
        (Ok(Some(v)), Ok(ts)) => sink.offer(sensor, ts, v, at),
        (Err(problem), _) | (_, Err(problem)) => sink.reject(problem.about(at)),
    }
    sink.finish()
}
