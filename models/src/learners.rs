//! The learners: logistic regression and a random forest (linfa), and a decision
//! tree ([`crate::cart`], grown by linfa-trees' rule on rows read in place), behind
//! one serialisable [`Model`] that turns features into calibrated probabilities.

use linfa::prelude::*;
use linfa_ensemble::EnsembleLearnerParams;
use linfa_logistic::LogisticRegression;
use linfa_trees::DecisionTree;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::calibration::Calibrator;
use crate::cart::{Growth, Node, Tree};
use crate::error::ModelError;

/// A learning algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// L2-regularised logistic regression on standardised features.
    LogisticRegression,
    /// One CART decision tree (depth 6), leaf failure rates as probabilities.
    DecisionTree,
    /// Bagged decision trees on random feature subsets (linfa-ensemble), each part of
    /// the forest on its own class-balanced sample of the rows; mean leaf rates.
    RandomForest,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::LogisticRegression,
        Algorithm::DecisionTree,
        Algorithm::RandomForest,
    ];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::LogisticRegression => "logistic_regression",
            Self::DecisionTree => "decision_tree",
            Self::RandomForest => "random_forest",
        }
    }
}

/// Missing values filled with training means, then standardised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocess {
    /// Training mean of each feature (fills missing values).
    pub mean: Vec<f64>,
    /// Training standard deviation of each feature (1 when constant).
    pub scale: Vec<f64>,
}

impl Preprocess {
    /// Learns means and scales from training rows, ignoring missing values.
    pub fn fit(x: &Array2<f64>) -> Self {
        Self::fit_rows(x, &(0..x.nrows()).collect::<Vec<_>>())
    }

    /// Means and scales from the rows `rows` of `x` (read in place).
    pub fn fit_rows(x: &Array2<f64>, rows: &[usize]) -> Self {
        let (mut mean, mut scale) = (Vec::new(), Vec::new());
        for column in x.axis_iter(Axis(1)) {
            let (m, s) = Self::moments(rows.iter().map(|&r| column[r]));
            mean.push(m);
            scale.push(s);
        }
        Self { mean, scale }
    }

    /// The mean and scale of one feature's values, missing ones left out.
    pub fn moments(values: impl Iterator<Item = f64>) -> (f64, f64) {
        let known: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        let n = known.len().max(1) as f64;
        let m = known.iter().sum::<f64>() / n;
        let var = known.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
        (m, if var > 1e-12 { var.sqrt() } else { 1.0 })
    }

    /// The `columns` of `x` (in that order), missing values filled with the
    /// training means. Only those columns are copied: a learner sees a fifth of a
    /// co-op's features, and the rows grow with its history.
    pub fn impute(&self, x: &Array2<f64>, columns: &[usize]) -> Array2<f64> {
        self.impute_rows(x, &(0..x.nrows()).collect::<Vec<_>>(), columns)
    }

    /// The rows `rows` (in that order) and `columns` of `x`, missing values filled.
    pub fn impute_rows(&self, x: &Array2<f64>, rows: &[usize], columns: &[usize]) -> Array2<f64> {
        self.copy_rows(x, rows, columns, |v, _, _| v)
    }

    /// The `columns` of `x`, missing values filled and every column standardised.
    pub fn standardize(&self, x: &Array2<f64>, columns: &[usize]) -> Array2<f64> {
        self.standardize_rows(x, &(0..x.nrows()).collect::<Vec<_>>(), columns)
    }

    /// The rows `rows` (in that order) and `columns` of `x`, missing values filled
    /// and every column standardised.
    pub fn standardize_rows(
        &self,
        x: &Array2<f64>,
        rows: &[usize],
        columns: &[usize],
    ) -> Array2<f64> {
        self.copy_rows(x, rows, columns, |v, mean, scale| (v - mean) / scale)
    }

    /// One copy of the rows and columns, each value filled where missing, then
    /// turned by `f(value, mean, scale)`.
    fn copy_rows(
        &self,
        x: &Array2<f64>,
        rows: &[usize],
        columns: &[usize],
        f: impl Fn(f64, f64, f64) -> f64,
    ) -> Array2<f64> {
        let mut out = Array2::zeros((rows.len(), columns.len()));
        for (mut to, &r) in out.axis_iter_mut(Axis(0)).zip(rows) {
            let from = x.row(r);
            for (t, &j) in to.iter_mut().zip(columns) {
                let (mean, scale) = (self.mean[j], self.scale[j]);
                let v = from[j];
                *t = f(if v.is_finite() { v } else { mean }, mean, scale);
            }
        }
        out
    }
}

/// A fitted tree with the failure rate of training cases in each leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeafTree {
    tree: Tree,
    /// Columns of the feature matrix the tree was trained on, in its own order.
    features: Vec<usize>,
    /// Failures and cases of the training set in each leaf: (leaf path, failures, cases), by path.
    leaves: Vec<(u64, f64, f64)>,
    /// Failure rate of the whole training set (prior for small leaves).
    base_rate: f64,
}

impl LeafTree {
    /// The tree, its leaves counted over the rows of `x` (its columns `features`).
    fn new(tree: Tree, features: Vec<usize>, x: ArrayView2<f64>, y: &[bool]) -> Self {
        let paths = x
            .axis_iter(Axis(0))
            .map(|row| leaf_path(tree.root(), |f| row[features[f]]))
            .collect();
        Self::counted(tree, features, paths, y)
    }

    /// The tree, its leaves counted over training cases (the leaf each falls in, and
    /// whether it failed).
    fn counted(tree: Tree, features: Vec<usize>, paths: Vec<u64>, y: &[bool]) -> Self {
        let base_rate = y.iter().filter(|&&v| v).count() as f64 / y.len().max(1) as f64;
        let mut leaves: FxHashMap<u64, (f64, f64)> = FxHashMap::default();
        for (leaf, &label) in paths.into_iter().zip(y) {
            let entry = leaves.entry(leaf).or_default();
            entry.0 += f64::from(u8::from(label));
            entry.1 += 1.0;
        }
        let mut leaves: Vec<(u64, f64, f64)> =
            leaves.into_iter().map(|(k, (f, c))| (k, f, c)).collect();
        leaves.sort_by_key(|l| l.0);
        Self {
            tree,
            features,
            leaves,
            base_rate,
        }
    }

    /// Smoothed failure rate of the leaf a row falls in.
    fn rate(&self, row: &ArrayView1<f64>) -> f64 {
        let leaf = leaf_path(self.tree.root(), |f| row[self.features[f]]);
        let (failures, cases) = self
            .leaves
            .binary_search_by_key(&leaf, |l| l.0)
            .map_or((0.0, 0.0), |i| (self.leaves[i].1, self.leaves[i].2));
        (failures + self.base_rate) / (cases + 1.0)
    }

    /// Importance of each of the model's feature columns (total impurity decrease).
    fn importance(&self, columns: usize) -> Vec<f64> {
        let mut out = vec![0.0; columns];
        for (local, value) in self.tree.feature_importance().into_iter().enumerate() {
            if let Some(&j) = self.features.get(local) {
                out[j] += value;
            }
        }
        out
    }
}

/// The path to a leaf as bits (1, then 0 for left and 1 for right at each split)
/// of a case whose value of the tree's feature `f` is `value(f)`: left when the
/// value is below the split (NaN goes right), as linfa predicts.
fn leaf_path(root: &Node, value: impl Fn(usize) -> f64) -> u64 {
    let mut node = root;
    let mut path = 1u64;
    while !node.is_leaf() {
        let (feature, split) = node.split();
        let go_right = value(feature).partial_cmp(&split) != Some(std::cmp::Ordering::Less);
        match node.children()[usize::from(go_right)] {
            Some(child) => {
                path = path.wrapping_mul(2) + u64::from(go_right);
                node = child;
            }
            None => break,
        }
    }
    path
}

/// A fitted learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "algorithm", rename_all = "snake_case")]
pub enum Fitted {
    /// Weights on standardised features.
    LogisticRegression { weights: Vec<f64>, intercept: f64 },
    /// One tree.
    DecisionTree { tree: LeafTree },
    /// Many trees; the score is their mean leaf rate.
    RandomForest { trees: Vec<LeafTree> },
}

/// The columns of `n` that a learner sees: all but the `ignored` ones.
pub fn seen_columns(n: usize, ignored: &[usize]) -> Vec<usize> {
    (0..n).filter(|j| !ignored.contains(j)).collect()
}

/// A fitted model: preprocessing, learner and calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// How missing values are filled and features scaled.
    pub preprocess: Preprocess,
    /// The learner.
    pub fitted: Fitted,
    /// Raw score to probability.
    pub calibrator: Calibrator,
    /// Feature columns the learner leaves out (still computed for the baselines and
    /// reports). The learner's weights and trees index the other columns, in order.
    #[serde(default)]
    pub ignored: Vec<usize>,
}

/// How the decision tree grows.
const TREE_GROWTH: Growth = Growth {
    max_depth: 6,
    min_leaf: 10.0,
};
/// Trees in a random forest.
pub const FOREST_TREES: usize = 50;
/// Parts of a forest, each grown on its own class-balanced sample of the rows.
const FOREST_PARTS: usize = 10;
/// Non-failing rows per failing row in each part's sample of a forest.
const FOREST_NEGATIVES_PER_POSITIVE: usize = 3;
/// Rows of a part's sample at most: where failing rows are plentiful (C-MAPSS runs
/// every engine to failure: 3,000 of 17,631 rows fail within 30 cycles), each part
/// draws 1,000 of them, so the parts see different ones. A co-op's 570 never reach it.
/// On FD001 the forest took 2.2 s instead of 4.7 s, at a small cost: held-out PR-AUC
/// 0.977 against 0.981 (test engines 0.984 either way).
const FOREST_PART_ROWS: usize = 4_000;
/// Rows each tree draws (with replacement), as a share of its part's sample.
/// linfa's tree visits every row of its sample for every feature at every node, so
/// its cost follows trees times rows times features.
const FOREST_BOOTSTRAP: f64 = 0.7;
/// Features each tree draws, as a share of the columns. Measured on twelve random
/// co-ops (`bench/federation.sh`), 0.6 of the features on 0.7 of the rows against
/// 0.3 on 0.5: mean backtest PR-AUC of the forest 0.156 against 0.149 on each co-op's
/// own data, 0.218 against 0.208 with the other co-ops' packs. (Drawing three times
/// as many rows per part when failures are plentiful gained less, 0.214, for three
/// times the time.) The pandas + scikit-learn reference (`bench/forecast.sh`) uses
/// the same shares.
const FOREST_FEATURES: f64 = 0.6;
/// L2 penalty of the logistic regression, on standardised features (linfa's loss is
/// a sum over rows, as scikit-learn's with `C = 1 / alpha`). Many features move
/// together (one sensor over several windows); a firm penalty shares the weight
/// among them. Measured on rows no fit saw, alpha 1 / 10 / 30 / 100 / 300 / 1000:
/// co-op backtest PR-AUC 0.151 / 0.143 / 0.158 / 0.160 / 0.142 / 0.114, FD001
/// held-out engines 0.970 / 0.982 / 0.983 / 0.984 / 0.983 / 0.981.
const LOGISTIC_ALPHA: f64 = 100.0;
/// L-BFGS iterations of the logistic regression at most (scikit-learn's default; 200
/// gave the same figures in twice the time).
const LOGISTIC_MAX_ITERATIONS: u64 = 100;
/// Gradient tolerance of the logistic regression's L-BFGS, per row: linfa's loss is a
/// sum over rows, scikit-learn's (tolerance 1e-4) a mean. linfa's own default (1e-4
/// on the sum) is never reached on thousands of rows, so every fit ran all its
/// iterations: 2.1 s against 1.0 s on FD001, with the same figures.
const LOGISTIC_TOLERANCE_PER_ROW: f64 = 1e-4;

impl Model {
    /// Fits `algorithm` on raw features (missing values allowed) and outcomes; not calibrated.
    pub fn fit(
        algorithm: Algorithm,
        x: &Array2<f64>,
        y: &[bool],
        seed: u64,
        ignored: &[usize],
    ) -> Result<Self, ModelError> {
        Self::fit_rows(
            algorithm,
            x,
            &(0..x.nrows()).collect::<Vec<_>>(),
            y,
            seed,
            ignored,
        )
    }

    /// Fits `algorithm` on the rows `rows` of `x` (read in place: the learner
    /// makes the one copy it needs), `y` holding every row's outcome; the same
    /// model as [`Model::fit`] on a copy of those rows.
    pub fn fit_rows(
        algorithm: Algorithm,
        x: &Array2<f64>,
        rows: &[usize],
        y: &[bool],
        seed: u64,
        ignored: &[usize],
    ) -> Result<Self, ModelError> {
        let y: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
        let y = y.as_slice();
        if !y.iter().any(|&v| v) || y.iter().all(|&v| v) {
            return Err(ModelError::OneClass);
        }
        let preprocess = Preprocess::fit_rows(x, rows);
        let seen = seen_columns(x.ncols(), ignored);
        let fitted = match algorithm {
            Algorithm::LogisticRegression => {
                // Standardised straight into the balanced rows: one copy.
                let balanced = balanced_rows(y);
                let at: Vec<usize> = balanced.iter().map(|&k| rows[k]).collect();
                let by = balanced.iter().map(|&k| y[k]).collect();
                fit_logistic(preprocess.standardize_rows(x, &at, &seen), by)?
            }
            Algorithm::DecisionTree => {
                // Grown on the balanced rows read in place (missing values read as
                // the means), whose first rows are the training rows in order: the
                // leaves' rates are counted on those.
                let balanced = balanced_rows(y);
                let at: Vec<usize> = balanced.iter().map(|&k| rows[k]).collect();
                let by: Vec<bool> = balanced.iter().map(|&k| y[k]).collect();
                let value = |k: usize, f: usize| {
                    let j = seen[f];
                    let v = x[(at[k], j)];
                    if v.is_finite() { v } else { preprocess.mean[j] }
                };
                let tree = Tree::grow(&by, seen.len(), value, TREE_GROWTH);
                let paths = (0..y.len())
                    .map(|k| leaf_path(tree.root(), |f| value(k, f)))
                    .collect();
                let features = (0..seen.len()).collect();
                Fitted::DecisionTree {
                    tree: LeafTree::counted(tree, features, paths, y),
                }
            }
            Algorithm::RandomForest => {
                fit_forest(&preprocess.impute_rows(x, rows, &seen), y, seed)?
            }
        };
        Ok(Self {
            preprocess,
            fitted,
            calibrator: Calibrator::Identity,
            ignored: ignored.to_vec(),
        })
    }

    /// A model fitted on the learner's columns alone (nothing ignored) made to take
    /// every column of a feature set and leave out `ignored`, as [`Model::fit`] does:
    /// the learner's columns keep its means and scales, the others take `full`'s
    /// (fitted on every column of the co-op's own rows).
    pub fn widened(mut self, full: &Preprocess, ignored: &[usize]) -> Self {
        let seen = seen_columns(full.mean.len(), ignored);
        let mut preprocess = full.clone();
        for (k, &j) in seen.iter().enumerate() {
            preprocess.mean[j] = self.preprocess.mean[k];
            preprocess.scale[j] = self.preprocess.scale[k];
        }
        self.preprocess = preprocess;
        self.ignored = ignored.to_vec();
        self
    }

    /// The learner's raw scores (higher: more likely to fail).
    pub fn raw_scores(&self, x: &Array2<f64>) -> Vec<f64> {
        let seen = seen_columns(x.ncols(), &self.ignored);
        match &self.fitted {
            Fitted::LogisticRegression { weights, intercept } => {
                let z = self.preprocess.standardize(x, &seen);
                z.axis_iter(Axis(0))
                    .map(|row| {
                        let dot: f64 = row.iter().zip(weights).map(|(a, b)| a * b).sum();
                        1.0 / (1.0 + (-(dot + intercept)).exp())
                    })
                    .collect()
            }
            Fitted::DecisionTree { tree } => {
                let filled = self.preprocess.impute(x, &seen);
                filled.axis_iter(Axis(0)).map(|r| tree.rate(&r)).collect()
            }
            Fitted::RandomForest { trees } => {
                let filled = self.preprocess.impute(x, &seen);
                (0..filled.nrows())
                    .into_par_iter()
                    .map(|i| {
                        let r = filled.row(i);
                        trees.iter().map(|t| t.rate(&r)).sum::<f64>() / trees.len() as f64
                    })
                    .collect()
            }
        }
    }

    /// Calibrated probabilities of failure.
    pub fn probabilities(&self, x: &Array2<f64>) -> Vec<f64> {
        self.calibrator.apply_all(&self.raw_scores(x))
    }

    /// Which algorithm it is.
    pub fn algorithm(&self) -> Algorithm {
        match self.fitted {
            Fitted::LogisticRegression { .. } => Algorithm::LogisticRegression,
            Fitted::DecisionTree { .. } => Algorithm::DecisionTree,
            Fitted::RandomForest { .. } => Algorithm::RandomForest,
        }
    }

    /// Global importance of each feature: |weight| for the regression, impurity decrease
    /// for trees; 0 for the columns the learner leaves out.
    pub fn importance(&self) -> Vec<f64> {
        let seen = seen_columns(self.preprocess.mean.len(), &self.ignored);
        let n = seen.len();
        let learned: Vec<f64> = match &self.fitted {
            Fitted::LogisticRegression { weights, .. } => weights.iter().map(|w| w.abs()).collect(),
            Fitted::DecisionTree { tree } => tree.importance(n),
            Fitted::RandomForest { trees } => {
                let mut total = vec![0.0; n];
                for t in trees {
                    for (a, b) in total.iter_mut().zip(t.importance(n)) {
                        *a += b;
                    }
                }
                total
            }
        };
        let mut out = vec![0.0; self.preprocess.mean.len()];
        for (&j, v) in seen.iter().zip(learned) {
            out[j] = v;
        }
        out
    }
}

/// One part's rows for a forest: every failing row (a draw of them when there are more
/// than a quarter of [`FOREST_PART_ROWS`]) and, drawn without replacement,
/// [`FOREST_NEGATIVES_PER_POSITIVE`] non-failing rows for each (all of them if fewer).
/// Failures are rare, so each part sees them in a quarter of its rows, as the other
/// learners do ([`balanced`]), on far fewer rows; different parts see different
/// non-failing rows.
fn balanced_sample(positives: &[usize], negatives: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let most_positives = FOREST_PART_ROWS / (1 + FOREST_NEGATIVES_PER_POSITIVE);
    let mut rows: Vec<usize> = if positives.len() > most_positives {
        rand::seq::index::sample(rng, positives.len(), most_positives)
            .into_iter()
            .map(|i| positives[i])
            .collect()
    } else {
        positives.to_vec()
    };
    let wanted = (rows.len() * FOREST_NEGATIVES_PER_POSITIVE).min(negatives.len());
    rows.extend(
        rand::seq::index::sample(rng, negatives.len(), wanted)
            .into_iter()
            .map(|i| negatives[i]),
    );
    rows.sort_unstable();
    rows
}

/// Failures are rare: positives are repeated until they make about a quarter of the
/// rows. Every row, then the failing ones again as often as needed.
fn balanced_rows(y: &[bool]) -> Vec<usize> {
    let positives: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let mut rows: Vec<usize> = (0..y.len()).collect();
    for _ in 1..positive_copies(y) {
        rows.extend(&positives);
    }
    rows
}

/// How many times each failing row counts in [`balanced_rows`] (at least once).
fn positive_copies(y: &[bool]) -> usize {
    let positives = y.iter().filter(|&&f| f).count();
    ((y.len() - positives) / (3 * positives.max(1))).max(1)
}

/// A logistic regression on standardised, balanced rows.
fn fit_logistic(bx: Array2<f64>, by: Vec<bool>) -> Result<Fitted, ModelError> {
    let model = LogisticRegression::default()
        .alpha(LOGISTIC_ALPHA)
        .max_iterations(LOGISTIC_MAX_ITERATIONS)
        .gradient_tolerance(LOGISTIC_TOLERANCE_PER_ROW * bx.nrows() as f64)
        .fit(&Dataset::new(bx, Array1::from(by)))?;
    let mut weights = model.params().to_vec();
    let mut intercept = model.intercept();
    // linfa's probability is that of its "positive" class; make it that of failing.
    if !model.labels().pos.class {
        weights.iter_mut().for_each(|w| *w = -*w);
        intercept = -intercept;
    }
    Ok(Fitted::LogisticRegression { weights, intercept })
}

fn fit_forest(x: &Array2<f64>, y: &[bool], seed: u64) -> Result<Fitted, ModelError> {
    let positives: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let negatives: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
    let per_part = FOREST_TREES.div_ceil(FOREST_PARTS);
    // A fixed number of parts, each with its own seed, so that a forest is the same
    // on every machine whatever its number of cores.
    let fit_part = |part: usize| -> Result<_, ModelError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(part as u64));
        let rows = balanced_sample(&positives, &negatives, &mut rng);
        let data = Dataset::new(
            x.select(Axis(0), &rows),
            rows.iter().map(|&i| y[i]).collect::<Array1<bool>>(),
        );
        let params = DecisionTree::params()
            .max_depth(Some(10))
            .min_weight_leaf(5.0);
        EnsembleLearnerParams::new_fixed_rng(params, rng)
            .ensemble_size(per_part)
            .bootstrap_proportion(FOREST_BOOTSTRAP)
            .feature_proportion(FOREST_FEATURES)
            .fit(&data)
            .map_err(ModelError::from)
    };
    let parts: Vec<Result<_, ModelError>> =
        (0..FOREST_PARTS).into_par_iter().map(fit_part).collect();
    let mut grown = Vec::with_capacity(FOREST_TREES);
    for part in parts {
        let ensemble = part?;
        grown.extend(ensemble.models.into_iter().zip(ensemble.model_features));
    }
    // Each tree's leaves counted over every training row, trees side by side.
    let trees = grown
        .into_par_iter()
        .map(|(tree, features)| LeafTree::new(Tree::from_linfa(&tree), features, x.view(), y))
        .collect();
    Ok(Fitted::RandomForest { trees })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(positives: usize, negatives: usize) -> (Vec<usize>, usize) {
        let pos: Vec<usize> = (0..positives).collect();
        let neg: Vec<usize> = (positives..positives + negatives).collect();
        let rows = balanced_sample(&pos, &neg, &mut ChaCha8Rng::seed_from_u64(1));
        let failing = rows.iter().filter(|&&r| r < positives).count();
        (rows, failing)
    }

    #[test]
    fn fitting_rows_in_place_gives_the_model_fitted_on_their_copy() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 400;
        let x = Array2::from_shape_fn((n, 4), |(r, j)| {
            if (r + j) % 7 == 0 {
                f64::NAN
            } else {
                rand::Rng::gen_range(&mut rng, -1.0..1.0) + (r % 9) as f64 * 0.1
            }
        });
        let y: Vec<bool> = (0..n).map(|r| r % 9 == 8 || r % 31 == 0).collect();
        let rows: Vec<usize> = (0..n).filter(|r| r % 3 != 1).rev().collect();
        let copy = x.select(Axis(0), &rows);
        let copy_y: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
        for algorithm in Algorithm::ALL {
            let in_place = Model::fit_rows(algorithm, &x, &rows, &y, 7, &[2]).unwrap();
            let copied = Model::fit(algorithm, &copy, &copy_y, 7, &[2]).unwrap();
            assert_eq!(
                in_place.preprocess,
                copied.preprocess,
                "{}",
                algorithm.name()
            );
            if algorithm == Algorithm::LogisticRegression {
                // linfa's trees (and so the forest's) break ties between equal
                // splits by chance (f32 impurities summed in hash order).
                assert_eq!(in_place.raw_scores(&x), copied.raw_scores(&x));
            }
        }
    }

    #[test]
    fn a_part_has_every_failure_and_three_others_for_each() {
        let (rows, failing) = part(500, 20_000);
        assert_eq!(failing, 500);
        assert_eq!(rows.len(), 2_000);
        let mut unique = rows.clone();
        unique.dedup();
        assert_eq!(unique.len(), rows.len(), "drawn without replacement");
    }

    #[test]
    fn plentiful_failures_are_drawn_down_to_the_part_size() {
        let (rows, failing) = part(3_000, 14_000);
        assert_eq!(rows.len(), FOREST_PART_ROWS);
        assert_eq!(failing, FOREST_PART_ROWS / 4);
    }

    #[test]
    fn few_non_failing_rows_are_all_taken() {
        let (rows, failing) = part(100, 50);
        assert_eq!((rows.len(), failing), (150, 100));
    }
}
