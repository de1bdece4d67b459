//! The co-op's data at rest.
//!
//! - [`load_registry`]/[`parse_registry`]: the co-op registry from TOML, every
//!   mistake reported with file, line and column;
//! - [`SAMPLE_REGISTRY`]: the sample co-op shipped in `data/sample-coop.toml`;
//! - [`DataDir`]: the data directory's layout;
//! - [`Store`]: the operational store (SQLite, versioned migrations), with the
//!   pages' sessions, sign-in links and calendar feeds;
//! - [`simulate`]: a deterministic simulated co-op history.
//!
//! This crate knows nothing of MQTT, Parquet or HTTP: the simulator hands out
//! readings as [`caretaker_core::ReadingBatch`]es and the binary writes them.
#![deny(missing_docs)]

mod data_dir;
mod notices;
mod registry_file;
pub mod simulate;
mod store;
mod tokens;
mod web;
mod work_orders;

pub use data_dir::{DataDir, DataDirError};
pub use notices::{NewNotice, Notice};
pub use registry_file::{
    RegistryError, RegistryProblem, SAMPLE_REGISTRY, SAMPLE_REGISTRY_NAME, glob_match,
    load_registry, parse_registry,
};
pub use store::{Store, StoreCounts, StoreError, new_secret, secret_matches, sha256_hex};
pub use tokens::ApiToken;
pub use web::{CalendarFeed, RiskPoint, WebSession};
pub use work_orders::{
    Decision, Outcome, Proposal, ProposalChange, Transition, WorkOrder, WorkOrderFilter,
};
