//! ChirpStack v4 uplinks, on `application/<application id>/device/<devEUI>/event/up`.
//!
//! ```text
//! {
//!   "time": "2024-01-31T12:00:00.123456789+00:00",
//!   "deviceInfo": {"applicationId": "...", "deviceName": "sump-b", "devEui": "a8404100000001b3", ...},
//!   "fPort": 2, "data": "AWQ=", "rxInfo": [...], "txInfo": {...},
//!   "object": {"water_level_cm": 41.5, "battery_v": 3.6, "alarm": false}
//! }
//! ```
//!
//! - The device is `deviceInfo.devEui` (hex, any case), or the topic's devEUI
//!   when the payload lacks it; the two must agree.
//! - Each field of `object` (what the device profile's codec decoded) that
//!   the registry maps for the device
//!   ([`Registry::sensor_by_lorawan`](caretaker_core::Registry::sensor_by_lorawan))
//!   gives a reading: a number, a numeric string, or a boolean (1 or 0).
//!   `null` and nested objects or arrays give none; unmapped fields are skipped.
//! - The readings' time is `time`, else when the message arrived.
//! - Nothing else is required: protobuf JSON leaves out zero and false fields
//!   (`fCnt`, `adr`, `dr`), and vendors add their own.
//!
//! Other events on the same prefix (`event/status`, `join`, `log`, `ack`,
//! `txack`, `location`, `integration`) and downlink commands are ignored.
//! ChirpStack v3 is refused as unsupported, by its topic
//! (`application/<id>/device/<devEUI>/rx`) or its payload (`applicationID`,
//! a top-level `devEUI`, often base64, or `objectJSON`).
use std::borrow::Cow;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess};

use super::json::{self, Key, MapVisit, ObjectOr, Scalar, Shape};
use super::value::{Problem, Quoted, Sink, lenient_number, parse_ts};
use super::{DecodeContext, Format, RejectReason, Rejection, Route, Verdict};
use caretaker_core::{ReadingBatch, Registry, Timestamp};

/// What to tell an operator who runs ChirpStack v3.
const UPGRADE: &str =
    "Caretaker reads ChirpStack v4 uplinks only; upgrade the network server to v4";

/// The route of a topic under `application/`, or `None` if it is not one.
pub(super) fn route(topic: &str) -> Option<Route<'_>> {
    let rest = topic.strip_prefix("application/")?;
    let mut parts = rest.split('/');
    let (app, device, dev_eui) = (parts.next()?, parts.next()?, parts.next()?);
    if app.is_empty() || device != "device" || dev_eui.is_empty() {
        return None;
    }
    let tail: (Option<&str>, Option<&str>, Option<&str>) =
        (parts.next(), parts.next(), parts.next());
    Some(match tail {
        (Some("event"), Some("up"), None) => Route::Decode(Format::ChirpStackUplink { dev_eui }),
        (Some("event"), Some(kind), None) => Route::Ignore(match kind {
            "status" => "ChirpStack status event",
            "join" => "ChirpStack join event",
            "ack" => "ChirpStack ack event",
            "txack" => "ChirpStack txack event",
            "log" => "ChirpStack log event",
            "location" => "ChirpStack location event",
            "integration" => "ChirpStack integration event",
            _ => "ChirpStack event that is not an uplink",
        }),
        (Some("command"), Some("down"), None) => Route::Ignore("ChirpStack downlink command"),
        (Some("rx"), None, None) => Route::Reject(Rejection::new(
            RejectReason::UnsupportedFormat,
            format!(
                "topic {} is a ChirpStack v3 uplink topic: {UPGRADE}",
                Quoted(topic)
            ),
        )),
        _ => return None,
    })
}

/// The fields of a decoded `object`, in order.
type Fields<'de> = Vec<(Cow<'de, str>, Scalar<'de>)>;

/// The parts of an uplink that matter.
#[derive(Default)]
struct Uplink<'de> {
    /// Keys that only ChirpStack v3 sends.
    v3: Vec<&'static str>,
    /// `deviceInfo`: absent, or its `devEui`.
    device_info: Option<Shape<Option<Scalar<'de>>>>,
    time: Option<Scalar<'de>>,
    object: Option<Shape<Fields<'de>>>,
}

struct UplinkFields;

impl<'de> MapVisit<'de> for UplinkFields {
    type Out = Uplink<'de>;

    fn visit<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut up = Uplink::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "deviceInfo" => up.device_info = Some(map.next_value_seed(ObjectOr(DevEui))?),
                "time" => up.time = Some(map.next_value()?),
                "object" => up.object = Some(map.next_value_seed(ObjectOr(Object))?),
                "applicationID" | "devEUI" | "objectJSON" => {
                    let marker = match &*key {
                        "applicationID" => "applicationID",
                        "devEUI" => "devEUI",
                        _ => "objectJSON",
                    };
                    if !up.v3.contains(&marker) {
                        up.v3.push(marker);
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(up)
    }
}

/// `deviceInfo.devEui`.
struct DevEui;

impl<'de> MapVisit<'de> for DevEui {
    type Out = Option<Scalar<'de>>;

    fn visit<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut dev_eui = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "devEui" {
                dev_eui = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(dev_eui)
    }
}

/// The decoded `object`, field by field.
struct Object;

impl<'de> MapVisit<'de> for Object {
    type Out = Fields<'de>;

    fn visit<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut fields = Vec::new();
        while let Some((Key(key), value)) = map.next_entry::<Key<'de>, Scalar<'de>>()? {
            fields.push((key, value));
        }
        Ok(fields)
    }
}

/// What is being read: `LoRaWAN device a840... field "temp" (sensor "X")`.
struct At<'a> {
    eui: &'a str,
    field: &'a str,
    sensor: &'a str,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LoRaWAN device {} field {} (sensor {})",
            self.eui.to_ascii_lowercase(),
            Quoted(self.field),
            Quoted(self.sensor)
        )
    }
}

/// Whether `eui` is 16 hex digits.
fn is_hex_eui(eui: &str) -> bool {
    eui.len() == 16 && eui.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `eui` is 8 bytes in base64, as ChirpStack v3 sends a devEUI (`qEBBTWGC4Ig=`).
fn is_base64_eui(eui: &str) -> bool {
    eui.len() == 12
        && eui.ends_with('=')
        && eui[..11]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// An uplink event.
pub(super) fn decode_uplink(
    topic_eui: &str,
    text: &str,
    ctx: &DecodeContext<'_>,
    out: &mut ReadingBatch,
) -> Verdict {
    let mut sink = Sink::new(ctx, out);
    let result = json::parse(text, |text| {
        sink.rollback();
        let mut de = serde_json::Deserializer::from_str(text);
        let up = ObjectOr(UplinkFields).deserialize(&mut de)?;
        de.end()?;
        if let Err(rejection) = readings(&mut sink, topic_eui, up) {
            sink.reject(rejection);
        }
        Ok(())
    });
    if let Err(err) = result {
        sink.rollback();
        sink.reject(json::rejection(
            &err,
            format_args!("ChirpStack uplink from {}", Quoted(topic_eui)),
        ));
    }
    sink.finish()
}

/// Checks and appends the readings of an uplink; `Err` refuses it whole.
fn readings(sink: &mut Sink<'_>, topic_eui: &str, up: Shape<Uplink<'_>>) -> Result<(), Rejection> {
    let up = v4_uplink(up)?;
    let eui = device_eui(&up, topic_eui)?;
    let registry = sink.registry;
    check_known_device(registry, eui)?;
    let fields = match &up.object {
        None | Some(Shape::Null) => {
            sink.ignore("ChirpStack uplink without a decoded object");
            return Ok(());
        }
        Some(Shape::Other(kind)) => {
            return Err(Rejection::new(
                RejectReason::WrongType,
                format!(
                    "ChirpStack uplink from {}: object is {kind}, expected a JSON object",
                    eui.to_ascii_lowercase()
                ),
            ));
        }
        Some(Shape::Object(fields)) => fields,
    };
    let mapped = mapped_fields(registry, eui, fields);
    if mapped.is_empty() {
        return Ok(());
    }
    let ts = uplink_time(sink, up.time.as_ref(), eui)?;
    let at = |field, sensor: usize| At {
        eui,
        field,
        sensor: registry.sensors()[sensor].id.as_str(),
    };
    for (field, sensor, value) in mapped {
        let binary = registry.sensors()[sensor].metric.is_binary();
        match lenient_number(value, binary) {
            Ok(None) => {}
            Ok(Some(v)) => sink.offer(sensor, ts, v, at(field, sensor)),
            Err(problem) => sink.reject(problem.about(at(field, sensor))),
        }
    }
    Ok(())
}

/// The uplink, if it is a JSON object of ChirpStack v4.
fn v4_uplink(up: Shape<Uplink<'_>>) -> Result<Uplink<'_>, Rejection> {
    let up = match up {
        Shape::Object(up) => up,
        Shape::Null => {
            return Err(Rejection::new(
                RejectReason::WrongType,
                "ChirpStack uplink is null, expected a JSON object",
            ));
        }
        Shape::Other(kind) => {
            return Err(Rejection::new(
                RejectReason::WrongType,
                format!("ChirpStack uplink is {kind}, expected a JSON object"),
            ));
        }
    };
    if !up.v3.is_empty() {
        return Err(Rejection::new(
            RejectReason::UnsupportedFormat,
            format!(
                "ChirpStack v3 payload (it has {}): {UPGRADE}",
                up.v3.join(", ")
            ),
        ));
    }
    Ok(up)
}

/// The device's EUI: `deviceInfo.devEui`, else the topic's; 16 hex digits, and the
/// same as the topic's.
fn device_eui<'a>(up: &'a Uplink<'_>, topic_eui: &'a str) -> Result<&'a str, Rejection> {
    let eui: &str = match &up.device_info {
        None | Some(Shape::Null) | Some(Shape::Object(None | Some(Scalar::Null))) => topic_eui,
        Some(Shape::Object(Some(Scalar::Str(eui)))) => eui,
        Some(Shape::Object(Some(other))) => {
            return Err(Rejection::new(
                RejectReason::WrongType,
                format!(
                    "ChirpStack uplink: deviceInfo.devEui is {}, expected a string",
                    other.kind()
                ),
            ));
        }
        Some(Shape::Other(kind)) => {
            return Err(Rejection::new(
                RejectReason::WrongType,
                format!("ChirpStack uplink: deviceInfo is {kind}, expected a JSON object"),
            ));
        }
    };
    if is_base64_eui(eui) {
        return Err(Rejection::new(
            RejectReason::UnsupportedFormat,
            format!(
                "ChirpStack uplink: devEUI {} is base64, as ChirpStack v3 sends it: {UPGRADE}",
                Quoted(eui)
            ),
        ));
    }
    if !is_hex_eui(eui) {
        return Err(Rejection::new(
            RejectReason::WrongType,
            format!(
                "ChirpStack uplink: devEUI {} is not 16 hex digits",
                Quoted(eui)
            ),
        ));
    }
    if !eui.eq_ignore_ascii_case(topic_eui) {
        return Err(Rejection::new(
            RejectReason::WrongType,
            format!(
                "ChirpStack uplink: deviceInfo.devEui {} does not match the topic's devEUI {}",
                Quoted(eui),
                Quoted(topic_eui)
            ),
        ));
    }
    Ok(eui)
}

/// Refuses a device that no sensor of the registry is on.
fn check_known_device(registry: &Registry, eui: &str) -> Result<(), Rejection> {
    let known = registry.sensors().iter().any(|s| {
        s.address
            .lorawan
            .as_ref()
            .is_some_and(|l| l.dev_eui.eq_ignore_ascii_case(eui))
    });
    if known {
        return Ok(());
    }
    Err(Rejection::new(
        RejectReason::UnknownSensor,
        format!(
            "LoRaWAN device {} is not in the registry",
            eui.to_ascii_lowercase()
        ),
    ))
}

/// The fields the registry maps to a sensor of the device, one per sensor (the
/// last wins), as (field, sensor index, value); nulls, objects and arrays give none.
fn mapped_fields<'f, 'de>(
    registry: &Registry,
    eui: &str,
    fields: &'f Fields<'de>,
) -> Vec<(&'f str, usize, &'f Scalar<'de>)> {
    let mut mapped: Vec<(&str, usize, &Scalar<'_>)> = Vec::new();
    for (field, value) in fields {
        if matches!(value, Scalar::Null | Scalar::Object | Scalar::Array) {
            continue;
        }
        if let Some(sensor) = registry.sensor_by_lorawan(eui, field) {
            match mapped.iter_mut().find(|(_, s, _)| *s == sensor) {
                Some(entry) => *entry = (field, sensor, value),
                None => mapped.push((field, sensor, value)),
            }
        }
    }
    mapped
}

/// The readings' time: `time`, checked against the accepted window, else when the
/// message arrived.
fn uplink_time(
    sink: &Sink<'_>,
    time: Option<&Scalar<'_>>,
    eui: &str,
) -> Result<Timestamp, Rejection> {
    let ts = match time {
        None | Some(Scalar::Null) => Ok(sink.received_at),
        Some(time) => parse_ts(time, "time").and_then(|ts| sink.window.check(ts, "time")),
    };
    ts.map_err(|problem: Problem| {
        problem.about(format_args!(
            "ChirpStack uplink from {}",
            eui.to_ascii_lowercase()
        ))
    })
}
