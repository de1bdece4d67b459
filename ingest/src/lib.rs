//! Readings in and out of Caretaker: MQTT, payload formats, the Parquet store.
//!
//! - [`service`]: the ingest pipeline (listener or subscriber, write-ahead log, acks, store);
//! - [`listener`]: the embedded MQTT listener gateways log in to, which knows who
//!   published each message and acks it once durable;
//! - [`decode`]: payload formats gateways speak (native JSON, Zigbee2MQTT,
//!   ChirpStack v4), with validation and reasons for quarantine;
//! - [`store`]: the Parquet readings store, partitioned by day, one row per key;
//! - [`wal`], [`quarantine`], [`metrics`]: durability, refusals, counters;
//! - [`health`]: sensors gone silent, stuck or low on battery, as alarm events;
//! - [`files`]: the documented reading and event file formats, each file
//!   written atomically (`atomic-write-file`);
//! - [`import`]: readings and events from CSV and Parquet files, checked row by row;
//! - [`payload`], [`publish`]: encoding and publishing for simulated gateways.
//!
//! Only this crate knows MQTT and Parquet.
#![deny(missing_docs)]

mod ack_queue;
pub mod decode;
mod error;
mod fault;
pub mod files;
pub mod health;
pub mod import;
mod key_index;
pub mod listener;
mod memory;
pub mod metrics;
pub mod payload;
pub mod publish;
pub mod quarantine;
pub mod service;
pub mod store;
mod subscriber;
#[cfg(test)]
mod testing;
pub mod wal;

pub use error::IngestError;
