//! Caretaker's domain types, shared by every other crate.
//!
//! Identifiers ([`SensorId`], [`EquipmentId`], [`UnitId`], [`BuildingId`]), UTC
//! [`Timestamp`]s, the [`Metric`]s sensors measure with their units and physical
//! limits, [`Reading`]s, [`Event`]s of the maintenance history, and the co-op
//! [`Registry`] (buildings, units, equipment, sensors, the co-op's time zone),
//! [`local`], the one formatting of times as people in the co-op read them, and
//! [`memory`], the process allocator's settings that ingest and learning share.
//!
//! Values of these types are valid by construction: `parse`/`new` return a
//! `Result`, and a value once built is never re-checked. This crate does no I/O
//! and knows nothing about MQTT, Parquet, SQL or HTTP.
#![deny(missing_docs)]

#[macro_use]
mod names;

mod error;
mod event;
mod ids;
mod kind;
pub mod local;
pub mod memory;
mod metric;
mod reading;
mod registry;
mod role;
mod time;
mod work_order;

/// A time zone of the IANA database (`America/Toronto`), from `chrono-tz`.
pub use chrono_tz::Tz;
pub use error::DomainError;
pub use event::{Event, EventKind};
pub use ids::{BuildingId, EquipmentId, GatewayName, SensorId, UnitId};
pub use kind::EquipmentKind;
pub use metric::{Metric, ValueError};
pub use reading::{BatchReading, Reading, ReadingBatch};
pub use registry::{
    Building, Coop, Equipment, Gateway, GatewayProtocol, LorawanAddress, Registry, Sensor,
    SensorAddress, Unit, ZigbeeAddress, topic_matches,
};
pub use role::Role;
pub use time::Timestamp;
pub use work_order::{WorkOrderOrigin, WorkOrderState};
