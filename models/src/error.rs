//! Errors of the forecasting crate.

use std::path::PathBuf;

/// Anything that stops features, training, scoring or evaluation.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Polars failed (reading or aggregating readings).
    #[error("reading the readings: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// A linfa learner failed.
    #[error("training failed: {0}")]
    Linfa(#[from] linfa::Error),
    /// The logistic regression failed.
    #[error("training the logistic regression failed: {0}")]
    Logistic(#[from] linfa_logistic::error::Error),
    /// The training set has failures only, or none.
    #[error(
        "the training data hold no failure (or only failures) in the horizon: nothing to learn from; import more history (`caretaker import events`)"
    )]
    OneClass,
    /// A training thread panicked.
    #[error("a training thread panicked")]
    Panicked,
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A model file is not valid JSON for this version.
    #[error("{path}: not a model file this version can read: {source}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A saved model does not fit the data it is asked to score.
    #[error("{0}")]
    Incompatible(String),
    /// Input data are unusable.
    #[error("{0}")]
    Data(String),
}
