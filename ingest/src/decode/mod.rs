//! Turning MQTT messages into readings, or into reasons for quarantine.
//!
//! [`decode`] routes a message by topic to its format's decoder (native JSON,
//! Zigbee2MQTT, ChirpStack v4), maps what it carries to registry sensors, checks
//! every value, and appends the good readings to a [`ReadingBatch`]. Nothing here
//! panics on any input: a bad message, or a bad reading inside a good batch,
//! becomes a [`Rejection`] with a [`RejectReason`].
//!
//! | topic | format | example payload |
//! |---|---|---|
//! | `caretaker/<gateway>/readings` | native JSON | `{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}`, an array of those, or `{"readings": [...]}` |
//! | `<base>/<friendly name>` for each of [`DecodeContext::zigbee_base_topics`] | Zigbee2MQTT | `{"water_leak": false, "battery": 97, "linkquality": 120}` |
//! | `<base>/<friendly name>/<attribute>` | Zigbee2MQTT attribute mode | `23.5` |
//! | `application/<id>/device/<devEUI>/event/up` | ChirpStack v4 uplink | `{"deviceInfo": {"devEui": "a8404100000001b3", ...}, "time": "...", "object": {"water_level_cm": 41.5}}` |
//!
//! Each format's module documents it in full. A message is judged in this order:
//!
//! 1. the topic: no known format → [`RejectReason::UnknownTopic`]; a publisher
//!    that may not publish there (the connection's gateway, on the embedded
//!    listener; on another broker no declared gateway's topics include it) →
//!    [`RejectReason::WrongGateway`]; a message
//!    that carries no readings (a Zigbee2MQTT bridge or availability message, a
//!    ChirpStack status event...) → [`Verdict::ignored`], whatever its payload;
//!    a Zigbee2MQTT device not in the registry → [`RejectReason::UnknownSensor`];
//!    a ChirpStack v3 topic → [`RejectReason::UnsupportedFormat`];
//! 2. the payload: longer than [`DecodeContext::max_payload`] →
//!    [`RejectReason::Oversize`], unread; empty (a retained message being
//!    cleared) → ignored; not UTF-8 → [`RejectReason::NotUtf8`]; not JSON →
//!    [`RejectReason::InvalidJson`]; not the shape the format needs →
//!    [`RejectReason::WrongType`]; a ChirpStack v3 payload →
//!    [`RejectReason::UnsupportedFormat`];
//! 3. each reading: sensor in the registry ([`RejectReason::UnknownSensor`])
//!    and owned by the publishing gateway ([`RejectReason::WrongGateway`]),
//!    value of the right type ([`RejectReason::WrongType`]), finite
//!    ([`RejectReason::NonFinite`], also for `"NaN"`, `"inf"` and numbers too
//!    large for a 64-bit float such as `1e400`), within the metric's
//!    physical range and 0 or 1 for an on/off metric
//!    ([`RejectReason::OutOfRange`]), and a timestamp that parses and lies in
//!    `[received_at - max_age_ms, received_at + max_future_ms]`
//!    ([`RejectReason::BadTimestamp`]).
//!
//! Every rejection's detail is one short sentence naming what it is about:
//! the reading's index and sensor, the device and key, or the devEUI and field.
//! Decoding allocates in proportion to the payload at most, and on the hot
//! path (native batches) not per reading.
use std::fmt;

use caretaker_core::{Gateway, ReadingBatch, Registry, Timestamp};

mod chirpstack;
mod json;
mod native;
mod value;
mod zigbee;

#[cfg(test)]
mod tests;

/// Why a message or a reading was refused; each reason has its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The payload is larger than the configured limit.
    Oversize,
    /// The payload is not UTF-8.
    NotUtf8,
    /// The payload is not JSON.
    InvalidJson,
    /// A field has the wrong type or is missing (a string where a number belongs...).
    WrongType,
    /// A value is NaN or infinite.
    NonFinite,
    /// A timestamp is unparseable, too far in the past or in the future.
    BadTimestamp,
    /// The sensor (or device and key) is not in the registry.
    UnknownSensor,
    /// The value is outside what the metric can physically be.
    OutOfRange,
    /// A payload in a format Caretaker refuses (ChirpStack v3...).
    UnsupportedFormat,
    /// The topic matches no known format.
    UnknownTopic,
    /// The publisher may not publish on the topic, or the sensor belongs to
    /// another gateway.
    WrongGateway,
}

impl RejectReason {
    /// Every reason, for counters.
    pub const ALL: &'static [RejectReason] = &[
        Self::Oversize,
        Self::NotUtf8,
        Self::InvalidJson,
        Self::WrongType,
        Self::NonFinite,
        Self::BadTimestamp,
        Self::UnknownSensor,
        Self::OutOfRange,
        Self::UnsupportedFormat,
        Self::UnknownTopic,
        Self::WrongGateway,
    ];

    /// The reason's name in quarantine files and metrics (`unknown_sensor`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Oversize => "oversize",
            Self::NotUtf8 => "not_utf8",
            Self::InvalidJson => "invalid_json",
            Self::WrongType => "wrong_type",
            Self::NonFinite => "non_finite",
            Self::BadTimestamp => "bad_timestamp",
            Self::UnknownSensor => "unknown_sensor",
            Self::OutOfRange => "out_of_range",
            Self::UnsupportedFormat => "unsupported_format",
            Self::UnknownTopic => "unknown_topic",
            Self::WrongGateway => "wrong_gateway",
        }
    }
}

impl RejectReason {
    /// What was refused, in plain words ("readings of sensors not in the registry").
    pub const fn plain(self) -> &'static str {
        match self {
            Self::Oversize => "messages larger than allowed",
            Self::NotUtf8 => "messages that are not text",
            Self::InvalidJson => "messages that are not valid JSON",
            Self::WrongType => "messages with a missing or mistyped field",
            Self::NonFinite => "readings that are not numbers",
            Self::BadTimestamp => "readings with a wrong or unreadable time",
            Self::UnknownSensor => "readings of sensors not in the registry",
            Self::OutOfRange => "readings outside what the sensor can measure",
            Self::UnsupportedFormat => "messages in a format Caretaker does not read",
            Self::UnknownTopic => "messages on topics Caretaker does not know",
            Self::WrongGateway => "readings of sensors that belong to another gateway",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refused message or reading: the reason, and a plain description of what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The reason.
    pub reason: RejectReason,
    /// What exactly (`sensor "X-1" is not in the registry`).
    pub detail: String,
}

impl Rejection {
    /// A rejection.
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

/// What `decode` made of a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Readings appended to the batch.
    pub accepted: usize,
    /// The whole message, or single readings in it, refused.
    pub rejected: Vec<Rejection>,
    /// The message carries no readings and is not an error (a Zigbee2MQTT bridge
    /// or availability message, a ChirpStack status event...): why it was skipped.
    pub ignored: Option<&'static str>,
}

/// What decoding needs besides the message.
#[derive(Debug, Clone, Copy)]
pub struct DecodeContext<'a> {
    /// The co-op registry: sensors and how gateways address them.
    pub registry: &'a Registry,
    /// When the message arrived: the timestamp of readings that carry none.
    pub received_at: Timestamp,
    /// Readings older than this before `received_at` are refused (ms).
    pub max_age_ms: i64,
    /// Readings later than this after `received_at` are refused (ms).
    pub max_future_ms: i64,
    /// Largest payload accepted (bytes).
    pub max_payload: usize,
    /// Zigbee2MQTT base topics (`zigbee2mqtt`, or whatever the bridge is configured with).
    pub zigbee_base_topics: &'a [String],
    /// The gateway that published the message, when the connection says so (the
    /// embedded listener); `None` on a broker that enforces each gateway's topics,
    /// where the topic says who published.
    pub publisher: Option<&'a str>,
}

/// What a topic calls for.
enum Route<'t> {
    /// Decoding its payload.
    Decode(Format<'t>),
    /// Nothing: the message carries no readings and is no error.
    Ignore(&'static str),
    /// Refusing it by its topic alone.
    Reject(Rejection),
}

/// The decoder a payload goes to.
enum Format<'t> {
    /// Native JSON.
    Native,
    /// A Zigbee2MQTT device's state, for a device in the registry.
    ZigbeeDevice(&'t str),
    /// One attribute of a Zigbee2MQTT device in the registry.
    ZigbeeAttribute { device: &'t str, attribute: &'t str },
    /// A ChirpStack v4 uplink, with the devEUI of its topic.
    ChirpStackUplink { dev_eui: &'t str },
}

fn route<'t>(topic: &'t str, ctx: &DecodeContext<'_>) -> Route<'t> {
    let native = topic
        .strip_prefix("caretaker/")
        .and_then(|rest| rest.strip_suffix("/readings"))
        .is_some_and(|gateway| !gateway.is_empty() && !gateway.contains('/'));
    if native {
        return Route::Decode(Format::Native);
    }
    if let Some(route) = chirpstack::route(topic) {
        return route;
    }
    if let Some(route) = zigbee::route(topic, ctx) {
        return route;
    }
    Route::Reject(Rejection::new(
        RejectReason::UnknownTopic,
        format!(
            "topic {} matches no known format (caretaker/<gateway>/readings, a Zigbee2MQTT base topic, application/<id>/device/<devEUI>/event/up)",
            value::Quoted(topic)
        ),
    ))
}

impl Verdict {
    fn rejected(rejection: Rejection) -> Self {
        Self {
            rejected: vec![rejection],
            ..Self::default()
        }
    }

    fn ignored(why: &'static str) -> Self {
        Self {
            ignored: Some(why),
            ..Self::default()
        }
    }
}

/// Decodes one MQTT message: appends the readings it carries to `out`, and
/// says how many were accepted, which were refused and why, or why the
/// message was ignored.
///
/// Never panics; readings appended are always those of known sensors, finite,
/// within their metric's physical range and within the context's time window.
/// On `topic` `caretaker/gateway-a/readings` with `ctx.received_at` a minute
/// after `2024-01-31T12:00:00Z`, the payload
/// `[{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}, {"sensor": "nope", "ts": 0, "value": 1}]`
/// appends one reading and gives `Verdict { accepted: 1, rejected: [UnknownSensor
/// "reading at index 1: sensor \"nope\" is not in the registry"], ignored: None }`.
pub fn decode(
    topic: &str,
    payload: &[u8],
    ctx: &DecodeContext<'_>,
    out: &mut ReadingBatch,
) -> Verdict {
    // Topic first, then who published it, then (unless it carries no readings) the payload.
    let format = match route(topic, ctx) {
        Route::Reject(rejection) => return Verdict::rejected(rejection),
        Route::Ignore(why) => Err(why),
        Route::Decode(format) => Ok(format),
    };
    let gateway = match publisher(topic, ctx) {
        Ok(gateway) => gateway,
        Err(rejection) => return Verdict::rejected(rejection),
    };
    let format = match format {
        Ok(format) => format,
        Err(why) => return Verdict::ignored(why),
    };
    if payload.len() > ctx.max_payload {
        return Verdict::rejected(Rejection::new(
            RejectReason::Oversize,
            format!(
                "payload of {} bytes is larger than the {}-byte limit",
                payload.len(),
                ctx.max_payload
            ),
        ));
    }
    if payload.is_empty() {
        return Verdict::ignored("empty payload");
    }
    let text = match std::str::from_utf8(payload) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
        Err(err) => {
            return Verdict::rejected(Rejection::new(
                RejectReason::NotUtf8,
                format!(
                    "payload is not UTF-8: invalid byte at offset {}",
                    err.valid_up_to()
                ),
            ));
        }
    };
    let start = out.len();
    let mut verdict = match format {
        Format::Native => native::decode(text, ctx, out),
        Format::ZigbeeDevice(device) => zigbee::decode_device(device, text, ctx, out),
        Format::ZigbeeAttribute { device, attribute } => {
            zigbee::decode_attribute(device, attribute, text, ctx, out)
        }
        Format::ChirpStackUplink { dev_eui } => chirpstack::decode_uplink(dev_eui, text, ctx, out),
    };
    let sensors = ctx.registry.sensors();
    out.retain_from(
        start,
        |sensor| sensors[sensor as usize].gateway == gateway.name,
        |reading| {
            let sensor = &sensors[reading.sensor as usize];
            verdict.accepted -= 1;
            verdict.rejected.push(Rejection::new(
                RejectReason::WrongGateway,
                format!(
                    "sensor {} belongs to gateway {}, not {}",
                    sensor.id, sensor.gateway, gateway.name
                ),
            ));
        },
    );
    verdict
}

/// The gateway that published a message on `topic`: the connection's, which
/// must be declared and may publish there; or, on a broker that enforces each
/// gateway's topics, the one gateway whose topics include it.
fn publisher<'r>(topic: &str, ctx: &DecodeContext<'r>) -> Result<&'r Gateway, Rejection> {
    let wrong = |detail: String| Rejection::new(RejectReason::WrongGateway, detail);
    match ctx.publisher {
        Some(name) => {
            let gateway = ctx.registry.gateway(name).ok_or_else(|| {
                wrong(format!(
                    "gateway {} is not declared in the registry",
                    value::Quoted(name)
                ))
            })?;
            if gateway.may_publish(topic) {
                Ok(gateway)
            } else {
                Err(wrong(format!(
                    "gateway {name} may not publish on topic {}",
                    value::Quoted(topic)
                )))
            }
        }
        None => ctx.registry.gateway_for_topic(topic).ok_or_else(|| {
            wrong(format!(
                "no gateway in the registry publishes on topic {}",
                value::Quoted(topic)
            ))
        }),
    }
}
