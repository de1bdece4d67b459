//! Learning samples from other co-ops (their accepted knowledge packs), in this
//! co-op's learner columns, and the rule that keeps backtests honest with them.
//!
//! A pack carries only the features that mean the same on every machine (the ones a
//! co-op's learners see: departures from each machine's own normal and from its
//! siblings, cycling, age, maintenance, failures, reports, sensor health, season)
//! and each row's kind. Each imported row counts as much as one of the co-op's own:
//! those features are measured against each machine's own normal, so a pump whose
//! readings have left its normal by four standard deviations means the same here and
//! there. (Measured on twelve random co-ops, `bench/federation.sh`: counting each own
//! row three times, or leaving out imported rows of kinds the co-op does not have,
//! both lowered the mean federated PR-AUC, 0.210 and 0.211 against 0.221.) The co-op's
//! own rows are never replaced or relabelled by imported ones, and
//! the probabilities are calibrated on the co-op's own rows only, so its own failure
//! rate sets the scale of the forecasts.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::features::{FeatureSet, Measure};

/// One imported learning sample, as a pack holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRow {
    /// The equipment kind (`boiler`, `sump_pump`...).
    pub kind: String,
    /// Day number (days since 1970-01-01) of the Monday of the sample's week.
    pub week_day: i64,
    /// Whether the machine failed within the horizon after that week.
    pub fails: bool,
    /// One value per feature of the pack, `None` where undefined.
    pub values: Vec<Option<f64>>,
}

/// One co-op's imported samples.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTable {
    /// The name the co-op is trusted under.
    pub coop: String,
    /// The pack's horizon in days (rows with another horizon are not comparable).
    pub horizon_days: i64,
    /// Failures the co-op recorded over the pack's weeks (its manifest's count).
    pub failures: usize,
    /// Names of each row's values.
    pub features: Vec<String>,
    /// The rows.
    pub rows: Vec<ImportedRow>,
}

/// Imported samples of every accepted pack, in the learner columns of one feature set.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// One row per imported sample, one column per learner column of the feature set
    /// (see [`FeatureSet::ignored_by_learners`]); NaN where the pack has no value.
    pub x: Array2<f64>,
    /// Failed within the horizon.
    pub y: Vec<bool>,
    /// Day number of each row's week's Monday.
    pub week_day: Vec<i64>,
    /// Which co-op each row comes from (index in `coops`).
    pub coop: Vec<usize>,
    /// The co-ops, by trusted name.
    pub coops: Vec<String>,
    /// Failures each co-op recorded over its pack's weeks.
    pub coop_failures: Vec<usize>,
}

/// What a model learned from other co-ops: how many, and how many failures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedSummary {
    /// The co-ops whose packs were used, by trusted name.
    pub coops: Vec<String>,
    /// Their samples.
    pub rows: usize,
    /// Their failing samples.
    pub failing_rows: usize,
    /// Failures those co-ops recorded over their packs' weeks.
    #[serde(default)]
    pub failures: usize,
}

impl Imported {
    /// The rows of `tables` whose horizon is `horizon_days`, in the learner columns of
    /// `features`: a shared feature by name, a kind column from the row's kind, NaN
    /// for anything a pack does not carry. `None` when no row is usable.
    pub fn new(features: &FeatureSet, tables: &[ImportedTable], horizon_days: i64) -> Option<Self> {
        let seen = features.learner_columns();
        let mut values: Vec<f64> = Vec::new();
        let (mut y, mut week_day, mut coop, mut coops) = (vec![], vec![], vec![], vec![]);
        let mut coop_failures = Vec::new();
        for table in tables
            .iter()
            .filter(|t| t.horizon_days == horizon_days && !t.rows.is_empty())
        {
            // For each learner column: where its value is in the pack's rows.
            let source: Vec<Column<'_>> = seen
                .iter()
                .map(|&j| {
                    let feature = &features.features[j];
                    match &feature.measure {
                        Measure::IsKind { kind } => Column::Kind(kind),
                        _ => table
                            .features
                            .iter()
                            .position(|n| *n == feature.name)
                            .map_or(Column::Missing, Column::Value),
                    }
                })
                .collect();
            for row in &table.rows {
                values.extend(source.iter().map(|s| match s {
                    Column::Kind(kind) => f64::from(u8::from(row.kind == **kind)),
                    Column::Value(k) => row.values.get(*k).copied().flatten().unwrap_or(f64::NAN),
                    Column::Missing => f64::NAN,
                }));
                y.push(row.fails);
                week_day.push(row.week_day);
                coop.push(coops.len());
            }
            coops.push(table.coop.clone());
            coop_failures.push(table.failures);
        }
        if y.is_empty() {
            return None;
        }
        let x = Array2::from_shape_vec((y.len(), seen.len()), values).ok()?;
        Some(Self {
            x,
            y,
            week_day,
            coop,
            coops,
            coop_failures,
        })
    }

    /// Rows whose whole label is known before `cutoff_day`: the sample's week (to its
    /// Sunday) plus the horizon ends before it, as the co-op's own training rows do.
    pub fn known_before(&self, cutoff_day: i64, horizon_days: i64) -> Vec<usize> {
        (0..self.y.len())
            .filter(|&i| self.week_day[i] + 6 + horizon_days <= cutoff_day)
            .collect()
    }

    /// What the rows at `indices` hold: their co-ops, rows and failures.
    pub fn summary(&self, indices: &[usize]) -> ImportedSummary {
        let mut used = vec![false; self.coops.len()];
        for &i in indices {
            used[self.coop[i]] = true;
        }
        ImportedSummary {
            coops: self
                .coops
                .iter()
                .zip(&used)
                .filter(|(_, u)| **u)
                .map(|(c, _)| c.clone())
                .collect(),
            rows: indices.len(),
            failing_rows: indices.iter().filter(|&&i| self.y[i]).count(),
            failures: used
                .iter()
                .zip(&self.coop_failures)
                .filter(|(u, _)| **u)
                .map(|(_, f)| f)
                .sum(),
        }
    }
}

enum Column<'a> {
    Kind(&'a String),
    Value(usize),
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn co_op_features() -> FeatureSet {
        FeatureSet::for_channels(
            &[("supply_temp_c".to_owned(), false)],
            &["boiler".to_owned(), "sump_pump".to_owned()],
            true,
            false,
        )
    }

    fn table(rows: Vec<ImportedRow>) -> ImportedTable {
        ImportedTable {
            coop: "maple".into(),
            horizon_days: 30,
            failures: 3,
            features: vec!["age_days".into(), "strongest_departure_7d".into()],
            rows,
        }
    }

    fn row(kind: &str, week_day: i64, fails: bool) -> ImportedRow {
        ImportedRow {
            kind: kind.into(),
            week_day,
            fails,
            values: vec![Some(700.0), None],
        }
    }

    #[test]
    fn a_row_lands_in_the_learner_columns_by_name_and_kind() {
        let features = co_op_features();
        let imported = Imported::new(&features, &[table(vec![row("sump_pump", 0, true)])], 30)
            .expect("one usable row");
        let seen: Vec<&str> = features
            .learner_columns()
            .into_iter()
            .map(|j| features.features[j].name.as_str())
            .collect();
        assert_eq!(imported.x.ncols(), seen.len());
        let at = |name: &str| imported.x[[0, seen.iter().position(|n| *n == name).unwrap()]];
        assert_eq!(at("age_days"), 700.0);
        assert!(
            at("strongest_departure_7d").is_nan(),
            "undefined in the pack"
        );
        assert!(
            at("days_since_failure").is_nan(),
            "not carried by this pack"
        );
        assert_eq!((at("kind=sump_pump"), at("kind=boiler")), (1.0, 0.0));
        assert!(!seen.iter().any(|n| n.starts_with("supply_temp_c")));
    }

    #[test]
    fn a_row_is_used_only_once_its_week_and_horizon_are_over() {
        let features = co_op_features();
        let imported = Imported::new(
            &features,
            &[table(vec![
                row("boiler", 100, false),
                row("boiler", 107, true),
            ])],
            30,
        )
        .unwrap();
        // Week of day 100: days 100 to 106; the label of day 106 covers days 106 to
        // 135, known by a cut-off on day 136 (as an own row of day d by d + 30).
        assert!(imported.known_before(135, 30).is_empty());
        assert_eq!(imported.known_before(136, 30), vec![0]);
        assert_eq!(imported.known_before(142, 30), vec![0]);
        assert_eq!(imported.known_before(143, 30), vec![0, 1]);
        let summary = imported.summary(&[0, 1]);
        assert_eq!(
            (summary.rows, summary.failing_rows, summary.failures),
            (2, 1, 3)
        );
        assert_eq!(summary.coops, vec!["maple".to_owned()]);
    }

    #[test]
    fn a_pack_of_another_horizon_is_not_used() {
        let features = co_op_features();
        assert!(Imported::new(&features, &[table(vec![row("boiler", 0, true)])], 60).is_none());
    }
}
