use std::path::PathBuf;

/// Why reading or writing readings failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Polars failed on a file.
    #[cfg(feature = "pipeline")]
    #[error("{path}: {source}")]
    Polars {
        /// The file.
        path: PathBuf,
        /// Polars' error.
        source: polars::error::PolarsError,
    },
    /// A broker URL could not be understood.
    #[error("invalid broker URL {url:?}: {why} (expected mqtt://HOST:PORT or mqtts://HOST:PORT)")]
    BrokerUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// A value that cannot be a reading (NaN or infinite) reached the readings store.
    #[error("sensor #{sensor} at {ts}: {source}")]
    NotAReading {
        /// The sensor's index in the registry.
        sensor: u32,
        /// The reading's time.
        ts: caretaker_core::Timestamp,
        /// Why it is not a reading.
        source: caretaker_core::DomainError,
    },
    /// The MQTT connection failed.
    #[error("MQTT broker {broker}: {message}")]
    Mqtt {
        /// The broker.
        broker: String,
        /// What happened.
        message: String,
    },
}

impl IngestError {
    /// Wraps an I/O error on `path` (for `map_err`).
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Wraps a Polars error on `path` (for `map_err`).
    #[cfg(feature = "pipeline")]
    pub(crate) fn polars(
        path: &std::path::Path,
    ) -> impl FnOnce(polars::error::PolarsError) -> Self + '_ {
        move |source| Self::Polars {
            path: path.to_owned(),
            source,
        }
    }
}
