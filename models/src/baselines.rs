//! Baselines every model must beat, fitted on the same training rows.
//!
//! - [`RateBaseline`]: what a maintenance-management system would say: the failure rate
//!   of equipment of the same kind and age (mean time between failures), with no sensor.
//! - [`ThresholdBaseline`]: a rule on the single most telling feature, chosen on the
//!   training rows by ROC-AUC, its value turned into a probability by Platt scaling.

use serde::{Deserialize, Serialize};

use crate::calibration::Calibrator;
use crate::dataset::Samples;
use crate::features::{FeatureSet, Measure};
use crate::history::History;
use crate::metrics::roc_auc;

/// Age bands per kind.
const AGE_BANDS: usize = 5;
/// Weight of the kind's overall rate when a band has few cases.
const PRIOR_CASES: f64 = 20.0;

/// Probability of failing within the horizon by kind and age band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateBaseline {
    /// For each kind: age band upper bounds (days) and the band's probability.
    kinds: Vec<(String, Vec<(f64, f64)>)>,
    /// Rate of all training rows (kinds never seen).
    overall: f64,
}

impl RateBaseline {
    /// Rates from the training rows `train` of `samples`: failures within the horizon over cases, per kind and
    /// age quintile, shrunk towards the kind's rate (equivalent to 1 - exp(-H / MTBF)).
    pub fn fit(history: &History, samples: &Samples, train: &[usize]) -> Self {
        let positives = train.iter().filter(|&&i| samples.y[i]).count();
        let overall = positives as f64 / train.len().max(1) as f64;
        let mut kinds = Vec::new();
        for kind in history.kind_names() {
            let mut cases: Vec<(f64, bool)> = train
                .iter()
                .map(|&i| (samples.rows[i], samples.y[i]))
                .filter(|(r, _)| history.equipment[r.equipment].kind == kind)
                .map(|(r, y)| (age(history, r.equipment, r.day), y))
                .collect();
            if cases.is_empty() {
                continue;
            }
            cases.sort_by(|a, b| a.0.total_cmp(&b.0));
            let kind_rate = (cases.iter().filter(|c| c.1).count() as f64 + PRIOR_CASES * overall)
                / (cases.len() as f64 + PRIOR_CASES);
            let mut bands = Vec::new();
            for chunk in cases.chunks(cases.len().div_ceil(AGE_BANDS)) {
                let failures = chunk.iter().filter(|c| c.1).count() as f64;
                let rate =
                    (failures + PRIOR_CASES * kind_rate) / (chunk.len() as f64 + PRIOR_CASES);
                bands.push((chunk.last().map_or(f64::INFINITY, |c| c.0), rate));
            }
            if let Some(last) = bands.last_mut() {
                last.0 = f64::INFINITY;
            }
            kinds.push((kind, bands));
        }
        Self { kinds, overall }
    }

    /// Probabilities for samples.
    pub fn probabilities(&self, history: &History, samples: &Samples) -> Vec<f64> {
        samples
            .rows
            .iter()
            .map(|r| {
                let kind = &history.equipment[r.equipment].kind;
                let a = age(history, r.equipment, r.day);
                self.kinds
                    .iter()
                    .find(|(k, _)| k == kind)
                    .and_then(|(_, bands)| bands.iter().find(|(upper, _)| a <= *upper))
                    .map_or(self.overall, |(_, rate)| *rate)
            })
            .collect()
    }
}

fn age(history: &History, equipment: usize, day: i64) -> f64 {
    (day - history.equipment[equipment].installed_day) as f64
}

/// A threshold rule on one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdBaseline {
    /// Column of the feature.
    pub column: usize,
    /// Its name.
    pub feature: String,
    /// +1 when high values mean failure, -1 when low values do.
    pub direction: f64,
    /// Value used where the feature is missing (training mean).
    pub fill: f64,
    /// Value to probability.
    pub calibrator: Calibrator,
}

impl ThresholdBaseline {
    /// Picks the sensor feature whose ranking of the training rows (`train` of
    /// `samples`, read in place) is best (ROC-AUC furthest from 0.5); kind
    /// indicators and counts of events are not sensors.
    pub fn fit(features: &FeatureSet, samples: &Samples, train: &[usize]) -> Option<Self> {
        let y: Vec<bool> = train.iter().map(|&i| samples.y[i]).collect();
        let mut best: Option<(f64, usize, f64, f64)> = None;
        for (j, f) in features.features.iter().enumerate() {
            if f.channel().is_none() || matches!(f.measure, Measure::IsKind { .. }) {
                continue;
            }
            let column = samples.feature(j);
            let (sum, known) = train
                .iter()
                .map(|&i| column[i])
                .filter(|v| v.is_finite())
                .fold((0.0, 0usize), |(sum, n), v| (sum + v, n + 1));
            if known == 0 {
                continue;
            }
            let fill = sum / known as f64;
            let values: Vec<f64> = train
                .iter()
                .map(|&i| {
                    if column[i].is_finite() {
                        column[i]
                    } else {
                        fill
                    }
                })
                .collect();
            let Some(auc) = roc_auc(&values, &y) else {
                continue;
            };
            let strength = (auc - 0.5).abs();
            if best.is_none_or(|b| strength > b.0) {
                best = Some((strength, j, if auc >= 0.5 { 1.0 } else { -1.0 }, fill));
            }
        }
        let (_, column, direction, fill) = best?;
        let mut rule = Self {
            column,
            feature: features.features[column].name.clone(),
            direction,
            fill,
            calibrator: Calibrator::Identity,
        };
        let scores = rule.scores(samples, train);
        rule.calibrator = Calibrator::fit_platt(&scores, &y);
        Some(rule)
    }

    fn scores(&self, samples: &Samples, rows: &[usize]) -> Vec<f64> {
        let column = samples.feature(self.column);
        rows.iter()
            .map(|&i| {
                self.direction
                    * if column[i].is_finite() {
                        column[i]
                    } else {
                        self.fill
                    }
            })
            .collect()
    }

    /// Probabilities for the rows `rows` of `samples`.
    pub fn probabilities(&self, samples: &Samples, rows: &[usize]) -> Vec<f64> {
        self.calibrator.apply_all(&self.scores(samples, rows))
    }
}
