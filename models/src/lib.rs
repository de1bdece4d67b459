//! Forecasting: the probability that each piece of equipment fails within a horizon,
//! learned from its readings and its failure and repair history.
//!
//! Data flow: [`history::History`] (readings by channel, events) →
//! [`daily::DailyTable`] (Polars daily aggregates) → [`features::FeatureSet`] (named
//! features as of any day) + [`labels::Timeline`] (outcomes) → [`learners::Model`]
//! (linfa learners, calibrated) → [`backtest`] (rolling-origin evaluation against
//! [`baselines`]) and [`lifecycle`] (train, save with a model card, score, explain);
//! [`card`] tells the model card in members' words; [`pooled`] adds other co-ops'
//! learning samples (knowledge packs) to the fits, never to calibration.

pub mod backtest;
pub mod baselines;
pub mod calibration;
pub mod card;
pub mod cart;
pub mod cmapss;
pub mod daily;
pub mod dataset;
pub mod error;
pub mod explain;
pub mod features;
pub mod history;
pub mod labels;
pub mod learners;
pub mod lifecycle;
pub mod metrics;
pub mod pooled;
pub mod selection;

pub use error::ModelError;
