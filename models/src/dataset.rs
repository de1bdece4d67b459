//! Samples: (equipment, as-of day) rows with their features and outcomes.
//!
//! The learners' columns are held densely; the other features (a co-op's
//! per-sensor ones, which the threshold baseline, the model's scales and the
//! samples CSV read) only where they are defined: a pump has no supply
//! temperature, so most of them are not, and the rows grow with history.

use ndarray::{Array2, Axis};

use crate::daily::DayWindow;
use crate::error::ModelError;
use crate::features::{AsOf, FeatureSet};
use crate::history::{DAY_MS, History};
use crate::labels::{Outcome, Timeline};
use crate::learners::Preprocess;

/// Days of history needed before the first sample (the longest window).
pub const WARM_UP_DAYS: i64 = crate::features::LONG_DAYS;

/// Sample days whose features are computed together, from one hold of the days
/// they read ([`DayWindow::hold`]).
const BLOCK_DAYS: i64 = 64;

/// Labelled rows: features and whether the equipment failed within the horizon.
#[derive(Debug, Clone)]
pub struct Samples {
    /// Which equipment, as of which day.
    pub rows: Vec<AsOf>,
    /// The learners' features ([`FeatureSet::learner_columns`], in that order), one
    /// row per sample.
    pub x: Array2<f64>,
    /// The feature (column of the feature set) of each column of `x`.
    pub columns: Vec<usize>,
    /// The other features, where defined.
    pub others: SparseColumns,
    /// Failed within the horizon.
    pub y: Vec<bool>,
}

/// Feature columns kept only where their value is defined (finite).
#[derive(Debug, Clone, Default)]
pub struct SparseColumns {
    /// The feature (column of the feature set) of each column.
    pub features: Vec<usize>,
    /// Each column's rows with a value, ascending.
    rows: Vec<Vec<u32>>,
    /// Each column's values, in the order of its rows.
    values: Vec<Vec<f64>>,
}

impl SparseColumns {
    fn new(features: Vec<usize>) -> Self {
        let n = features.len();
        Self {
            features,
            rows: vec![Vec::new(); n],
            values: vec![Vec::new(); n],
        }
    }

    /// Column `k`'s (row, value) pairs, by row.
    fn entries(&self, k: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.rows[k]
            .iter()
            .zip(&self.values[k])
            .map(|(&r, &v)| (r as usize, v))
    }

    /// Column `k`'s value at `row` (NaN where undefined).
    fn get(&self, k: usize, row: usize) -> f64 {
        self.rows[k]
            .binary_search(&(row as u32))
            .map_or(f64::NAN, |i| self.values[k][i])
    }

    /// The rows `indices` (ascending or not), renumbered in their order.
    fn select(&self, indices: &[usize]) -> Self {
        let mut position = vec![u32::MAX; indices.iter().max().map_or(0, |&m| m + 1)];
        for (to, &from) in indices.iter().enumerate() {
            position[from] = to as u32;
        }
        let mut out = Self::new(self.features.clone());
        for k in 0..self.features.len() {
            let mut picked: Vec<(u32, f64)> = self
                .entries(k)
                .filter_map(|(r, v)| {
                    let to = *position.get(r)?;
                    (to != u32::MAX).then_some((to, v))
                })
                .collect();
            picked.sort_unstable_by_key(|e| e.0);
            (out.rows[k], out.values[k]) = picked.into_iter().unzip();
        }
        out
    }
}

/// Pushes `value`, growing a full `column` by a quarter (not doubling it, as
/// `Vec::push` does): the sparse columns grow with history, and half of a doubled
/// column would lie unused until they are built.
fn push_with_little_slack<T>(column: &mut Vec<T>, value: T) {
    if column.len() == column.capacity() {
        column.reserve_exact(column.capacity() / 4 + 64);
    }
    column.push(value);
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
        let columns = features.learner_columns();
        let mut others = SparseColumns::new(features.ignored_by_learners());
        let mut x = Array2::from_elem((rows.len(), columns.len()), f64::NAN);
        // The days are read forward a block of sample days at a time, the table
        // holding only what their features read.
        let mut days = DayWindow::new(history, history.end_day * DAY_MS)?;
        let mut done = 0;
        for block in rows.chunk_by(|a, b| {
            (a.day - history.start_day) / BLOCK_DAYS == (b.day - history.start_day) / BLOCK_DAYS
        }) {
            let daily = days.hold(block[0].day..=block[block.len() - 1].day)?;
            features.compute_each(history, daily, block, |r, values| {
                let r = done + r;
                for (to, &j) in x.row_mut(r).iter_mut().zip(&columns) {
                    *to = values[j];
                }
                for (k, &j) in others.features.iter().enumerate() {
                    if values[j].is_finite() {
                        push_with_little_slack(&mut others.rows[k], r as u32);
                        push_with_little_slack(&mut others.values[k], values[j]);
                    }
                }
            });
            done += block.len();
        }
        drop(days);
        others.rows.iter_mut().for_each(Vec::shrink_to_fit);
        others.values.iter_mut().for_each(Vec::shrink_to_fit);
        // What was freed goes back before a learner copies its rows.
        caretaker_core::memory::release_freed_memory();
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            samples = rows.len(),
            "features"
        );
        Ok(Self {
            rows,
            x,
            columns,
            others,
            y,
        })
    }

    /// Samples whose every feature is a learner's (a fleet's: nothing is left out).
    pub fn dense(rows: Vec<AsOf>, x: Array2<f64>, y: Vec<bool>) -> Self {
        Self {
            columns: (0..x.ncols()).collect(),
            rows,
            x,
            others: SparseColumns::default(),
            y,
        }
    }

    /// Frees the other features once nothing will read them (the learners see
    /// only `x`): they are then undefined.
    pub fn drop_other_features(&mut self) {
        self.others = SparseColumns::default();
    }

    /// The samples at the given row indices.
    pub fn select(&self, indices: &[usize]) -> Samples {
        Samples {
            others: self.others.select(indices),
            ..self.for_learners(indices)
        }
    }

    /// The samples at the given row indices with the learners' columns alone (no
    /// other feature): the copy a learner fits on.
    pub fn for_learners(&self, indices: &[usize]) -> Samples {
        Samples {
            rows: indices.iter().map(|&i| self.rows[i]).collect(),
            x: self.x.select(Axis(0), indices),
            columns: self.columns.clone(),
            others: SparseColumns::new(Vec::new()),
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }

    /// Feature `j` (a column of the feature set) of every row, NaN where undefined.
    pub fn feature(&self, j: usize) -> Vec<f64> {
        if let Some(k) = self.columns.iter().position(|&c| c == j) {
            return self.x.column(k).to_vec();
        }
        let mut column = vec![f64::NAN; self.len()];
        if let Some(k) = self.others.features.iter().position(|&c| c == j) {
            for (r, v) in self.others.entries(k) {
                column[r] = v;
            }
        }
        column
    }

    /// Row `r`'s features, every column of the feature set in order (`width` of them).
    pub fn feature_row(&self, r: usize, width: usize) -> Vec<f64> {
        let mut row = vec![f64::NAN; width];
        for (&j, &v) in self.columns.iter().zip(self.x.row(r)) {
            row[j] = v;
        }
        for (k, &j) in self.others.features.iter().enumerate() {
            row[j] = self.others.get(k, r);
        }
        row
    }

    /// Means and scales of every feature of the feature set (`width` columns), as
    /// [`Preprocess::fit`] on the whole matrix gives them.
    pub fn preprocess(&self, width: usize) -> Preprocess {
        let mut all = Preprocess {
            mean: vec![0.0; width],
            scale: vec![1.0; width],
        };
        let dense = Preprocess::fit(&self.x);
        for (k, &j) in self.columns.iter().enumerate() {
            all.mean[j] = dense.mean[k];
            all.scale[j] = dense.scale[k];
        }
        for (k, &j) in self.others.features.iter().enumerate() {
            let (mean, scale) = Preprocess::moments(self.others.values[k].iter().copied());
            all.mean[j] = mean;
            all.scale[j] = scale;
        }
        all
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sparse(columns: &[&[f64]]) -> SparseColumns {
        let mut out = SparseColumns::new((0..columns.len()).collect());
        for (k, column) in columns.iter().enumerate() {
            for (r, &v) in column.iter().enumerate() {
                if v.is_finite() {
                    out.rows[k].push(r as u32);
                    out.values[k].push(v);
                }
            }
        }
        out
    }

    #[test]
    fn a_sparse_column_has_the_mean_and_scale_of_its_dense_copy() {
        let nan = f64::NAN;
        let dense = ndarray::array![[1.0, 2.0], [nan, 4.0], [3.0, 7.0], [nan, 1.0]];
        let others = [nan, 0.5, nan, 2.5];
        let samples = Samples {
            rows: (0..4).map(|day| AsOf { equipment: 0, day }).collect(),
            x: dense.clone(),
            columns: vec![0, 2],
            others: SparseColumns {
                rows: vec![vec![1, 3]],
                values: vec![vec![0.5, 2.5]],
                features: vec![1],
            },
            y: vec![false; 4],
        };
        let full = ndarray::Array2::from_shape_fn((4, 3), |(r, j)| match j {
            0 => dense[[r, 0]],
            1 => others[r],
            _ => dense[[r, 1]],
        });
        assert_eq!(samples.preprocess(3), Preprocess::fit(&full));
        for r in 0..4 {
            let row = samples.feature_row(r, 3);
            let same = row
                .iter()
                .zip(full.row(r))
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
            assert!(same, "row {r}: {row:?}");
        }
        assert!(samples.feature(1)[0].is_nan());
        assert_eq!(samples.feature(1)[3], 2.5);
    }

    #[test]
    fn sparse_columns_give_back_every_value_and_select_rows_in_any_order() {
        let nan = f64::NAN;
        let columns = sparse(&[&[1.0, nan, 3.0, nan], &[nan, nan, nan, 4.0]]);
        let got: Vec<f64> = (0..4).map(|r| columns.get(0, r)).collect();
        assert_eq!(got[0], 1.0);
        assert!(got[1].is_nan());
        assert_eq!(got[2], 3.0);
        let picked = columns.select(&[3, 0, 2]);
        assert_eq!(picked.get(0, 1), 1.0);
        assert_eq!(picked.get(0, 2), 3.0);
        assert!(picked.get(0, 0).is_nan());
        assert_eq!(picked.get(1, 0), 4.0);
        assert!(picked.get(1, 1).is_nan());
    }
}
