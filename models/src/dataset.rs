//! Samples: (equipment, as-of day) rows with their features and outcomes.

use ndarray::Array2;

use crate::daily::DailyTable;
use crate::error::ModelError;
use crate::features::{AsOf, FeatureSet};
use crate::history::{DAY_MS, History};
use crate::labels::{Outcome, Timeline};

/// Days of history needed before the first sample (the longest window).
pub const WARM_UP_DAYS: i64 = crate::features::LONG_DAYS;

/// Labelled rows: features and whether the equipment failed within the horizon.
#[derive(Debug, Clone)]
pub struct Samples {
    /// Which equipment, as of which day.
    pub rows: Vec<AsOf>,
    /// Features, one row per sample.
    pub x: Array2<f64>,
    /// Failed within the horizon.
    pub y: Vec<bool>,
}

impl Samples {
    /// Every labelled (not censored, not down) sample of every equipment for each
    /// `step_days`-th day from warm-up to the end of the data.
    pub fn build(
        history: &History,
        features: &FeatureSet,
        horizon_days: i64,
        step_days: i64,
    ) -> Result<Self, ModelError> {
        let started = std::time::Instant::now();
        let daily = DailyTable::compute(history, history.end_day * DAY_MS)?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "daily aggregates"
        );
        let timelines = Timeline::for_history(history);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        let data_end = history.end_day * DAY_MS;
        let mut day = history.start_day + WARM_UP_DAYS;
        while day < history.end_day {
            for (e, facts) in history.equipment.iter().enumerate() {
                if day <= facts.installed_day {
                    continue;
                }
                match timelines[e].outcome(day * DAY_MS, horizon_days, data_end) {
                    Outcome::Fails => y.push(true),
                    Outcome::Survives => y.push(false),
                    Outcome::Censored | Outcome::Down => continue,
                }
                rows.push(AsOf { equipment: e, day });
            }
            day += step_days.max(1);
        }
        let started = std::time::Instant::now();
        let x = features.compute(history, &daily, &rows);
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            samples = rows.len(),
            "features"
        );
        Ok(Self { rows, x, y })
    }

    /// The samples at the given row indices.
    pub fn select(&self, indices: &[usize]) -> Samples {
        Samples {
            rows: indices.iter().map(|&i| self.rows[i]).collect(),
            x: self.x.select(ndarray::Axis(0), indices),
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of failures.
    pub fn positives(&self) -> usize {
        self.y.iter().filter(|&&v| v).count()
    }
}
