//! The data directory: one folder holding everything Caretaker keeps.
//!
//! ```text
//! caretaker-data/
//!   registry.toml       the co-op registry (the sample co-op until you edit it)
//!   caretaker.sqlite    the operational store (registry as loaded, events, work orders, notices, tokens)
//!   readings/           the Parquet readings store, partitioned by day
//!   wal/                ingest's write-ahead log
//!   quarantine/         rejected payloads with their reasons
//!   models/             trained models and their model cards
//!   reports/            backtests and other reports
//!   simulated/          the simulator's default output
//!   tls/                the co-op's CA and server certificate (`caretaker tls init`)
//!   federation/         the key pair, trusted keys and accepted knowledge packs (`caretaker federation`)
//! ```
//! The layout is documented in the README: notebooks and other tools read it directly.
use std::path::{Path, PathBuf};

use crate::registry_file::SAMPLE_REGISTRY;

/// Why the data directory could not be prepared.
#[derive(Debug, thiserror::Error)]
#[error("cannot prepare data directory {path}: {source}")]
pub struct DataDirError {
    /// The folder concerned.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// The data directory, with its folders created.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Folders created inside every data directory.
    pub const FOLDERS: [&'static str; 5] = ["readings", "wal", "quarantine", "models", "reports"];

    /// Opens (creating if needed) a data directory and its folders.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, DataDirError> {
        let root = root.into();
        for dir in std::iter::once(root.clone()).chain(Self::FOLDERS.iter().map(|f| root.join(f))) {
            std::fs::create_dir_all(&dir).map_err(|source| DataDirError { path: dir, source })?;
        }
        Ok(Self { root })
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The co-op registry kept in this directory.
    pub fn registry_path(&self) -> PathBuf {
        self.root.join("registry.toml")
    }

    /// The SQLite operational store.
    pub fn database_path(&self) -> PathBuf {
        self.root.join("caretaker.sqlite")
    }

    /// The Parquet readings store.
    pub fn readings_dir(&self) -> PathBuf {
        self.root.join("readings")
    }

    /// Daily aggregates per sensor, derived from the readings store (`caretaker_ingest::aggregates`).
    pub fn aggregates_dir(&self) -> PathBuf {
        self.root.join("aggregates")
    }

    /// Ingest's write-ahead log.
    pub fn wal_dir(&self) -> PathBuf {
        self.root.join("wal")
    }

    /// Quarantined payloads.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// Trained models and model cards.
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Reports (backtests...).
    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// Where the simulator writes by default.
    pub fn simulated_dir(&self) -> PathBuf {
        self.root.join("simulated")
    }

    /// Writes the sample co-op as this directory's registry if it has none yet;
    /// returns whether it did.
    pub fn ensure_registry(&self) -> Result<bool, DataDirError> {
        let path = self.registry_path();
        if path.exists() {
            return Ok(false);
        }
        std::fs::write(&path, SAMPLE_REGISTRY).map_err(|source| DataDirError { path, source })?;
        Ok(true)
    }
}
