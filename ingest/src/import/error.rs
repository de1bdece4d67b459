//! Why a file could not be imported at all (a refused row is a [`super::ImportReason`] instead).
use std::path::PathBuf;

#[cfg(feature = "pipeline")]
use polars::prelude::PolarsError;

use crate::IngestError;

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The Parquet file could not be decoded.
    #[cfg(feature = "pipeline")]
    #[error("cannot read {path} as Parquet: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Polars' error.
        source: PolarsError,
    },
    /// The extension names no format Caretaker reads.
    #[error("{path}: unknown file type: expected a .csv or .parquet file")]
    FileType {
        /// The file.
        path: PathBuf,
    },
    /// The header (or schema) holds none of the column sets Caretaker knows.
    #[error("{path}: no recognisable columns (found: {found}); expected {expected}")]
    Columns {
        /// The file.
        path: PathBuf,
        /// The columns found, comma-separated.
        found: String,
        /// The column sets accepted.
        expected: &'static str,
    },
    /// A Parquet column has a type that cannot mean what its name says.
    #[error("{path}: column {column:?} is {dtype}: expected {expected}")]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Its type.
        dtype: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The readings store failed.
    #[error(transparent)]
    Store(#[from] IngestError),
}
