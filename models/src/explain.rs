//! Why a probability is what it is: the features that raise it most, each with its
//! value against that equipment's normal, in words a committee member can read.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::daily::DailyTable;
use crate::features::{AsOf, FeatureSet, Measure, Relative, channel_normal};
use crate::history::History;
use crate::learners::Model;

/// Drivers listed per equipment.
pub const TOP_DRIVERS: usize = 3;

/// One feature that raises the probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// Feature name.
    pub feature: String,
    /// What it measures.
    pub description: String,
    /// For a feature taken over several of a machine's sensors (the strongest
    /// departure, extreme, spread or trend, the departure from its siblings, the rise
    /// in cycling), the sensor it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
    /// Its value now (None when missing).
    pub value: Option<f64>,
    /// Its usual value for this equipment (its own history for sensor features,
    /// the fleet's average otherwise).
    pub normal: Option<f64>,
    /// How much it adds to the probability: the probability minus the probability
    /// with this feature at the fleet's average.
    pub contribution: f64,
}

impl Driver {
    /// The driver in one plain sentence.
    pub fn sentence(&self) -> String {
        let v = self.value.map_or("missing".to_owned(), fmt_number);
        let v = match &self.sensor {
            Some(sensor) => format!("{sensor}, {v}"),
            None => v,
        };
        match self.normal {
            Some(n) => format!(
                "{}: {v} (normal {}), adds {:.0} points",
                self.description,
                fmt_number(n),
                100.0 * self.contribution
            ),
            None => format!(
                "{}: {v}, adds {:.0} points",
                self.description,
                100.0 * self.contribution
            ),
        }
    }
}

fn fmt_number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The top drivers of each row's probability (occlusion: each feature set to the fleet's average in turn).
pub fn drivers(
    model: &Model,
    features: &FeatureSet,
    history: &History,
    daily: &DailyTable,
    rows: &[AsOf],
    x: &Array2<f64>,
) -> Vec<Vec<Driver>> {
    let base = model.probabilities(x);
    let mut out = Vec::with_capacity(rows.len());
    for (r, at) in rows.iter().enumerate() {
        let row = x.row(r).to_owned();
        let candidates: Vec<usize> = (0..features.features.len())
            .filter(|&j| !matches!(features.features[j].measure, Measure::IsKind { .. }))
            .collect();
        let mut probe = Array2::zeros((candidates.len(), row.len()));
        for (k, &j) in candidates.iter().enumerate() {
            probe.row_mut(k).assign(&row);
            probe[[k, j]] = model.preprocess.mean[j];
        }
        let without = model.probabilities(&probe);
        let mut found: Vec<Driver> = candidates
            .iter()
            .zip(without)
            .map(|(&j, p)| {
                let f = &features.features[j];
                let value = row[j].is_finite().then_some(row[j]);
                Driver {
                    feature: f.name.clone(),
                    description: f.describe(),
                    sensor: None,
                    value,
                    normal: normal_value(&f.measure, daily, at).or(Some(model.preprocess.mean[j])),
                    contribution: base[r] - p,
                }
            })
            .filter(|d| d.contribution > 1e-4)
            .collect();
        found.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        found.truncate(TOP_DRIVERS);
        // Only for the drivers shown: finding the sensor recomputes its windows.
        for d in &mut found {
            if let Some(f) = features.features.iter().find(|f| f.name == d.feature) {
                d.sensor = features.source_channel(history, daily, *at, &f.measure);
            }
        }
        out.push(found);
    }
    out
}

/// The equipment's own normal for a sensor feature.
fn normal_value(measure: &Measure, daily: &DailyTable, at: &AsOf) -> Option<f64> {
    let normal = |c: &str| channel_normal(daily, at.equipment, c, at.day);
    match measure {
        Measure::Mean { channel, .. } | Measure::OnShare { channel, .. } => {
            normal(channel).map(|w| w.mean)
        }
        Measure::Spread { channel, .. } => normal(channel).map(|w| w.spread),
        Measure::Min { channel, .. } => normal(channel).map(|w| w.min),
        Measure::Max { channel, .. } => normal(channel).map(|w| w.max),
        Measure::Trend { channel, .. } => normal(channel).map(|_| 0.0),
        Measure::Cycles { channel, .. } => normal(channel).map(|w| w.changes_per_day),
        Measure::Relative { stat, .. } | Measure::Strongest { stat, .. } => Some(match stat {
            Relative::SpreadRatio => 1.0,
            _ => 0.0,
        }),
        Measure::CyclingRise { .. } => Some(1.0),
        Measure::SiblingDeparture { .. } => Some(0.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_names_the_sensor() {
        let driver = Driver {
            feature: "strongest_trend_30d".into(),
            description: "steepest trend of any sensor over 30 days".into(),
            sensor: Some("vibration".into()),
            value: Some(1.42),
            normal: Some(0.0),
            contribution: 0.3,
        };
        assert_eq!(
            driver.sentence(),
            "steepest trend of any sensor over 30 days: vibration, 1.42 (normal 0.00), adds 30 points"
        );
    }
}
