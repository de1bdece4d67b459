//! Readings in and out of Caretaker: file formats, the MQTT side, payloads.
//!
//! - [`files`]: the documented reading and event file formats (Parquet and
//!   CSV), written atomically (temporary name, fsync, rename);
//! - [`payload`]: MQTT payload formats gateways speak (native JSON,
//!   Zigbee2MQTT, ChirpStack v4), encoded here for the simulated gateways;
//! - [`publish`]: an MQTT publisher (rumqttc) for simulated gateways.
//!
//! Only this crate knows MQTT and Parquet.
#![deny(missing_docs)]

mod error;
pub mod files;
pub mod payload;
pub mod publish;

pub use error::IngestError;
