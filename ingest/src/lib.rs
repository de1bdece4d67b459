//! Readings in and out of Caretaker: MQTT, payload formats, the Parquet store.
//!
//! - [`service`]: the ingest pipeline (listener or subscriber, write-ahead log, acks, store);
//! - [`listener`]: the embedded MQTT listener gateways log in to, which knows who
//!   published each message and acks it once durable;
//! - [`decode`]: payload formats gateways speak (native JSON, Zigbee2MQTT,
//!   ChirpStack v4), with validation and reasons for quarantine;
//! - [`store`]: the Parquet readings store, partitioned by day, one row per key;
//! - [`aggregates`]: daily aggregates per sensor beside it, refreshed day by day;
//! - [`wal`], [`quarantine`], [`metrics`]: durability, refusals, counters;
//! - [`health`]: sensors gone silent, stuck or low on battery, as alarm events;
//! - [`files`]: the documented reading and event file formats, each file
//!   written atomically (`atomic-write-file`);
//! - [`import`]: readings and events from CSV and Parquet files, checked row by row;
//! - [`payload`], [`publish`]: encoding and publishing for simulated gateways.
//!
//! Only this crate knows MQTT and Parquet.
//!
//! Everything but [`decode`] and the CSV checks of [`import`] needs the
//! `pipeline` cargo feature (on by default): without it the crate builds
//! without Polars, Tokio or MQTT, for the fuzz targets in `fuzz/`, whose
//! sanitizer builds would otherwise spend most of their time on Polars.
#![deny(missing_docs)]

#[cfg(feature = "pipeline")]
mod ack_queue;
/// Per-gateway activity: last message and quarantine counts by hour.
pub mod activity;
#[cfg(feature = "pipeline")]
pub mod aggregates;
pub mod decode;
mod error;
#[cfg(feature = "pipeline")]
mod fault;
#[cfg(feature = "pipeline")]
pub mod files;
#[cfg(feature = "pipeline")]
pub mod health;
pub mod import;
#[cfg(feature = "pipeline")]
mod key_index;
#[cfg(feature = "pipeline")]
pub mod listener;
#[cfg(feature = "pipeline")]
pub mod metrics;
#[cfg(feature = "pipeline")]
pub mod payload;
#[cfg(feature = "pipeline")]
pub mod publish;
#[cfg(feature = "pipeline")]
pub mod quarantine;
#[cfg(feature = "pipeline")]
pub mod service;
#[cfg(feature = "pipeline")]
pub mod store;
#[cfg(feature = "pipeline")]
mod subscriber;
#[cfg(all(test, feature = "pipeline"))]
mod testing;
#[cfg(feature = "pipeline")]
pub mod wal;

pub use error::IngestError;
