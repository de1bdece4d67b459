//! Rolling-origin backtests: train on the past, test on the next period, never
//! train on a label whose horizon reaches past the cut-off.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::baselines::{RateBaseline, ThresholdBaseline};
use crate::calibration::Calibrator;
use crate::dataset::Samples;
use crate::error::ModelError;
use crate::features::{AsOf, FeatureSet};
use crate::history::History;
use crate::learners::{Algorithm, Model};
use crate::metrics::{
    AtCapacity, PrPoint, Scorecard, at_capacity, average_precision, precision_recall_curve,
};
use crate::pooled::{Imported, ImportedSummary};
use crate::selection::{Candidate, Choice, choose, difference_standard_error};

/// How a backtest is run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// Forecast horizon in days.
    pub horizon_days: i64,
    /// Days between two samples of the same equipment.
    pub step_days: i64,
    /// Days of data before the first cut-off.
    pub min_train_days: i64,
    /// Days tested after each cut-off.
    pub fold_days: i64,
    /// Work orders the committee can take on per month (precision and recall at capacity).
    pub capacity_per_month: usize,
    /// Seed of the random forest.
    pub seed: u64,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            horizon_days: 30,
            step_days: 2,
            min_train_days: 240,
            fold_days: 90,
            capacity_per_month: 3,
            seed: 7,
        }
    }
}

/// One split: train before `cutoff_day`, test in `[cutoff_day, test_end_day)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// First day tested; every training label is known before it.
    pub cutoff_day: i64,
    /// Day after the last day tested.
    pub test_end_day: i64,
}

/// Folds over `[start_day, end_day)`.
pub fn folds(start_day: i64, end_day: i64, config: &BacktestConfig) -> Vec<Fold> {
    let mut out = Vec::new();
    let mut cutoff = start_day + config.min_train_days;
    while cutoff + config.horizon_days < end_day {
        out.push(Fold {
            cutoff_day: cutoff,
            test_end_day: (cutoff + config.fold_days).min(end_day),
        });
        cutoff += config.fold_days;
    }
    out
}

/// Training rows of a fold: samples whose whole horizon ends by the cut-off.
pub fn train_rows(samples: &Samples, fold: &Fold, horizon_days: i64) -> Vec<usize> {
    (0..samples.len())
        .filter(|&i| samples.rows[i].day + horizon_days <= fold.cutoff_day)
        .collect()
}

/// Test rows of a fold.
pub fn test_rows(samples: &Samples, fold: &Fold) -> Vec<usize> {
    (0..samples.len())
        .filter(|&i| {
            let d = samples.rows[i].day;
            d >= fold.cutoff_day && d < fold.test_end_day
        })
        .collect()
}

/// Which training rows are held back to calibrate the probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalibrationSplit {
    /// One equipment in four (a fleet run to failure on one time axis).
    ByEquipment,
    /// None held back: the model is fitted on every row, and calibrated on scores
    /// that no model saw in its fit (equipment in [`CROSS_FIT_GROUPS`] groups, each
    /// scored by a model fitted on the others).
    CrossFitted,
}

/// Equipment groups for cross-fitted calibration.
pub const CROSS_FIT_GROUPS: usize = 3;

/// Fits a model on the rows `train` of `samples` (the learners' columns, its `x`,
/// read in place) and calibrates it (Platt) on scores it did not learn from (see
/// [`CalibrationSplit`]); the model takes those columns ([`Model::widened`] makes
/// it take every feature).
pub fn fit_calibrated(
    algorithm: Algorithm,
    samples: &Samples,
    train: &[usize],
    seed: u64,
    split: CalibrationSplit,
) -> Result<Model, ModelError> {
    let (x, y) = (&samples.x, &samples.y);
    let labels = |rows: &[usize]| rows.iter().map(|&r| y[r]).collect::<Vec<_>>();
    let scores_of = |model: &Model, rows: &[usize]| model.raw_scores(&x.select(Axis(0), rows));
    if split == CalibrationSplit::CrossFitted {
        let mut model = Model::fit_rows(algorithm, x, train, y, seed, &[])?;
        let scores = match cross_fitted_scores(algorithm, samples, train, seed)? {
            Some(scores) => scores,
            // A group could not be fitted (no failure outside it): in sample.
            None => scores_of(&model, train),
        };
        model.calibrator = Calibrator::fit_increasing(&scores, &labels(train));
        return Ok(model);
    }
    let (fit_rows, cal_rows): (Vec<usize>, Vec<usize>) =
        train.iter().partition(|&&r| held_in(samples.rows[r]));
    let has_failures = |rows: &[usize]| rows.iter().any(|&r| y[r]);
    if !has_failures(&fit_rows) || !has_failures(&cal_rows) {
        // Too few failures to hold some back: fit on everything, calibrate in-sample.
        let mut model = Model::fit_rows(algorithm, x, train, y, seed, &[])?;
        model.calibrator = Calibrator::fit_increasing(&scores_of(&model, train), &labels(train));
        return Ok(model);
    }
    let mut model = Model::fit_rows(algorithm, x, &fit_rows, y, seed, &[])?;
    model.calibrator =
        Calibrator::fit_increasing(&scores_of(&model, &cal_rows), &labels(&cal_rows));
    Ok(model)
}

/// Every training row's score (in the order of `train`) from a model fitted without
/// its equipment's group; `None` when some group leaves only one class to fit on.
fn cross_fitted_scores(
    algorithm: Algorithm,
    samples: &Samples,
    train: &[usize],
    seed: u64,
) -> Result<Option<Vec<f64>>, ModelError> {
    let group = |k: usize| samples.rows[train[k]].equipment % CROSS_FIT_GROUPS;
    let mut scores = vec![0.0; train.len()];
    for g in 0..CROSS_FIT_GROUPS {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..train.len()).partition(|&k| group(k) == g);
        if inside.is_empty() {
            continue;
        }
        let rows_of = |ks: &[usize]| ks.iter().map(|&k| train[k]).collect::<Vec<_>>();
        let model = match Model::fit_rows(
            algorithm,
            &samples.x,
            &rows_of(&outside),
            &samples.y,
            seed,
            &[],
        ) {
            Ok(model) => model,
            Err(ModelError::OneClass) => return Ok(None),
            Err(e) => return Err(e),
        };
        let group_scores = model.raw_scores(&samples.x.select(Axis(0), &rows_of(&inside)));
        for (k, score) in inside.into_iter().zip(group_scores) {
            scores[k] = score;
        }
    }
    Ok(Some(scores))
}

/// Fits a model on the co-op's training rows plus other co-ops' rows (`extra_x`, in
/// the learner columns, see [`Imported`]) and calibrates it on the co-op's own rows
/// only: each own row's score comes from a model fitted without its equipment's group
/// (all imported rows in every fit), as in [`CalibrationSplit::CrossFitted`]. The
/// model takes the learners' columns, as one from [`fit_calibrated`] does.
pub fn fit_calibrated_pooled(
    algorithm: Algorithm,
    samples: &Samples,
    train: &[usize],
    extra_x: &Array2<f64>,
    extra_y: &[bool],
    seed: u64,
) -> Result<Model, ModelError> {
    // Positions in `train` to the rows of `samples` they stand for.
    let rows_of = |ks: &[usize]| ks.iter().map(|&k| train[k]).collect::<Vec<_>>();
    let own = |ks: &[usize]| samples.x.select(Axis(0), &rows_of(ks));
    let fit_with = |ks: &[usize]| -> Result<Model, ModelError> {
        let x = ndarray::concatenate(Axis(0), &[own(ks).view(), extra_x.view()])
            .map_err(|e| ModelError::Data(format!("pooled rows: {e}")))?;
        let y: Vec<bool> = ks
            .iter()
            .map(|&k| samples.y[train[k]])
            .chain(extra_y.iter().copied())
            .collect();
        Model::fit(algorithm, &x, &y, seed, &[])
    };
    let every: Vec<usize> = (0..train.len()).collect();
    let mut model = fit_with(&every)?;
    let group = |k: usize| samples.rows[train[k]].equipment % CROSS_FIT_GROUPS;
    let mut scores = vec![0.0; train.len()];
    let mut cross_fitted = true;
    for g in 0..CROSS_FIT_GROUPS {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            every.iter().partition(|&&k| group(k) == g);
        if inside.is_empty() {
            continue;
        }
        let part = match fit_with(&outside) {
            Ok(part) => part,
            Err(ModelError::OneClass) => {
                cross_fitted = false;
                break;
            }
            Err(e) => return Err(e),
        };
        for (k, score) in inside.iter().zip(part.raw_scores(&own(&inside))) {
            scores[*k] = score;
        }
    }
    if !cross_fitted {
        scores = model.raw_scores(&own(&every));
    }
    let labels: Vec<bool> = train.iter().map(|&r| samples.y[r]).collect();
    model.calibrator = Calibrator::fit_increasing(&scores, &labels);
    Ok(model)
}

/// Row indices to fit on and to hold out for [`CalibrationSplit::ByEquipment`]: one
/// equipment in four is held out.
pub fn held_out_equipment(train: &Samples) -> (Vec<usize>, Vec<usize>) {
    (0..train.len()).partition(|&i| held_in(train.rows[i]))
}

/// Whether a row's equipment is fitted on (not held out) in [`held_out_equipment`].
fn held_in(row: AsOf) -> bool {
    row.equipment % 4 != 3
}

/// Results of one model or baseline over all folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// Name (`random_forest`, `baseline_rate`...).
    pub name: String,
    /// Whether it is a baseline.
    pub baseline: bool,
    /// Metrics on every test row of every fold.
    pub scorecard: Scorecard,
    /// Precision and recall at every cut of its ranking of the test rows (at most
    /// [`CURVE_POINTS`]), for charts.
    #[serde(default)]
    pub precision_recall: Vec<PrPoint>,
    /// Precision and recall when the committee takes the [`TOP_EACH_MONTH`]
    /// riskiest of each monthly snapshot, as the model card tells it.
    #[serde(default)]
    pub top_each_month: Option<AtCapacity>,
}

/// Points kept of each precision–recall curve.
pub const CURVE_POINTS: usize = 50;
/// Equipment the model card counts from the top of each month's list.
pub const TOP_EACH_MONTH: usize = 10;

/// A fold as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldSummary {
    /// The split.
    pub fold: Fold,
    /// Training rows and failures among them.
    pub train_cases: usize,
    /// Failures among the training rows.
    pub train_positives: usize,
    /// Test rows.
    pub test_cases: usize,
    /// Failures among the test rows.
    pub test_positives: usize,
    /// The feature the threshold rule picked in this fold.
    pub threshold_feature: Option<String>,
    /// Other co-ops' rows added to the federated learners' fits in this fold (those
    /// whose whole label is known before the cut-off).
    #[serde(default)]
    pub imported_cases: usize,
    /// Failures among them.
    #[serde(default)]
    pub imported_positives: usize,
}

/// A backtest report (`caretaker backtest --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// The configuration.
    pub config: BacktestConfig,
    /// Equipment covered.
    pub equipment: usize,
    /// Features used.
    pub features: usize,
    /// The folds.
    pub folds: Vec<FoldSummary>,
    /// One entry per model and baseline.
    pub results: Vec<ModelResult>,
    /// The learner to use: the simplest whose PR-AUC is within one standard error of
    /// the best's (see [`crate::selection::choose`]).
    pub best: Option<String>,
    /// Why that learner (PR-AUCs and the standard error of the best one's lead).
    #[serde(default)]
    pub choice: Option<Choice>,
    /// Monthly snapshots the committee's list is scored on (precision and recall at
    /// capacity, [`ModelResult::top_each_month`]).
    #[serde(default)]
    pub snapshot_months: usize,
    /// The same folds with other co-ops' samples added to every learner's fit, when
    /// the co-op has accepted knowledge packs.
    #[serde(default)]
    pub federated: Option<FederatedBacktest>,
}

/// The backtest of learners fitted on the co-op's own rows plus other co-ops' (from
/// accepted knowledge packs), tested on the same rows of the co-op's own as the
/// own-only learners, and calibrated on its own rows only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedBacktest {
    /// What the last fold learned from others (earlier folds use fewer rows: a row
    /// is used only once its week and horizon are over by the fold's cut-off).
    pub imported: ImportedSummary,
    /// One entry per learner, named as the own-only ones.
    pub results: Vec<ModelResult>,
    /// The learner the one-standard-error rule picks on this backtest.
    pub choice: Option<Choice>,
    /// PR-AUC of the own-only choice ([`BacktestReport::choice`]).
    pub own_pr_auc: Option<f64>,
    /// PR-AUC of the federated choice.
    pub federated_pr_auc: Option<f64>,
    /// Standard error of the difference between the two (resampling equipment).
    pub standard_error: Option<f64>,
    /// Whether the model learns from the packs: yes unless learning from the
    /// co-op's own rows alone did better by more than one standard error.
    pub used: bool,
}

impl FederatedBacktest {
    /// The learner a model fitted with the packs should use, if it uses them.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.used
            .then_some(self.choice.map(|c| c.algorithm))
            .flatten()
    }
}

/// Runs every algorithm and baseline over rolling-origin folds. Takes the samples:
/// their per-sensor features are freed once the threshold rules have read them.
pub fn run(
    history: &History,
    features: &FeatureSet,
    mut samples: Samples,
    config: &BacktestConfig,
    imported: Option<&Imported>,
) -> Result<BacktestReport, ModelError> {
    let splits = folds(history.start_day, history.end_day, config);
    if splits.is_empty() {
        return Err(ModelError::Data(format!(
            "not enough history for a backtest: {} days of data, {} needed",
            history.end_day - history.start_day,
            config.min_train_days + config.horizon_days + 1
        )));
    }
    let names: Vec<(String, bool)> = Algorithm::ALL
        .iter()
        .map(|a| (a.name().to_owned(), false))
        .chain([("baseline_rate_by_kind_and_age".to_owned(), true)])
        .chain([("baseline_threshold_rule".to_owned(), true)])
        .collect();
    // Folds are independent: evaluated in parallel, gathered in order.
    // The threshold rule is the only reader of the per-sensor features: each fold's
    // is fitted and applied first, and those features freed before the learners
    // copy their rows. Then folds one after another: memory holds one fold's copies.
    let rules: Vec<FoldRule> = splits
        .iter()
        .map(|fold| FoldRule::fit(features, &samples, config, fold))
        .collect();
    samples.drop_other_features();
    let samples = &samples;
    let outcomes: Vec<Option<FoldOutcome>> = splits
        .iter()
        .zip(rules)
        .map(|(fold, rule)| evaluate_fold(history, samples, config, fold, rule, imported))
        .collect::<Result<_, _>>()?;
    let own_columns = names.len();
    let pooled_columns = if imported.is_some() {
        Algorithm::ALL.len()
    } else {
        0
    };
    let mut predictions: Vec<Vec<f64>> = vec![Vec::new(); own_columns + pooled_columns];
    let mut tested: Vec<usize> = Vec::new();
    let mut summaries = Vec::new();
    for outcome in outcomes.into_iter().flatten() {
        summaries.push(outcome.summary);
        for (all, fold) in predictions.iter_mut().zip(outcome.predictions) {
            all.extend(fold);
        }
        tested.extend(outcome.tested);
    }
    let labels: Vec<bool> = tested.iter().map(|&i| samples.y[i]).collect();
    let months: Vec<i64> = tested.iter().map(|&i| samples.rows[i].day / 30).collect();
    // One snapshot a month: the first tested day of each 30-day period.
    let mut first_day_of_month: std::collections::HashMap<i64, i64> = Default::default();
    for &i in &tested {
        let day = samples.rows[i].day;
        let first = first_day_of_month.entry(day / 30).or_insert(day);
        *first = (*first).min(day);
    }
    let snapshot: Vec<usize> = (0..tested.len())
        .filter(|&i| {
            let day = samples.rows[tested[i]].day;
            first_day_of_month.get(&(day / 30)) == Some(&day)
        })
        .collect();
    // A learner's or baseline's results over every tested row.
    let result_of = |name: String, baseline: bool, p: &Vec<f64>| {
        let mut scorecard = Scorecard::compute(p, &labels, &months, config.capacity_per_month);
        scorecard.at_capacity =
            monthly_capacity(p, &labels, &months, &snapshot, config.capacity_per_month);
        ModelResult {
            name,
            baseline,
            scorecard,
            precision_recall: precision_recall_curve(p, &labels, CURVE_POINTS),
            top_each_month: Some(monthly_capacity(
                p,
                &labels,
                &months,
                &snapshot,
                TOP_EACH_MONTH,
            )),
        }
    };
    let results: Vec<ModelResult> = names
        .into_iter()
        .zip(&predictions)
        .map(|((name, baseline), p)| result_of(name, baseline, p))
        .collect();
    let candidates: Vec<Candidate<'_>> = Algorithm::ALL
        .into_iter()
        .zip(&predictions)
        .map(|(algorithm, scores)| Candidate { algorithm, scores })
        .collect();
    let equipment: Vec<usize> = tested.iter().map(|&i| samples.rows[i].equipment).collect();
    let choice = choose(&candidates, &labels, &equipment, config.seed);
    let federated = imported.map(|imported| {
        let last_cutoff = summaries.last().map_or(0, |s| s.fold.cutoff_day);
        let own_predictions = &predictions[..Algorithm::ALL.len()];
        let pooled_predictions = &predictions[own_columns..];
        let results = Algorithm::ALL
            .iter()
            .zip(pooled_predictions)
            .map(|(algorithm, p)| result_of(algorithm.name().to_owned(), false, p))
            .collect();
        let pooled: Vec<Candidate<'_>> = Algorithm::ALL
            .into_iter()
            .zip(pooled_predictions)
            .map(|(algorithm, scores)| Candidate { algorithm, scores })
            .collect();
        let pooled_choice = choose(&pooled, &labels, &equipment, config.seed);
        let index = |c: Option<Choice>| {
            c.and_then(|c| Algorithm::ALL.iter().position(|&a| a == c.algorithm))
        };
        let (own_scores, pooled_scores) = (
            index(choice).map(|i| &own_predictions[i]),
            index(pooled_choice).map(|i| &pooled_predictions[i]),
        );
        let own_pr_auc = own_scores.and_then(|p| average_precision(p, &labels));
        let federated_pr_auc = pooled_scores.and_then(|p| average_precision(p, &labels));
        let standard_error = own_scores
            .zip(pooled_scores)
            .map(|(a, b)| difference_standard_error(a, b, &labels, &equipment, config.seed));
        let used = match (own_pr_auc, federated_pr_auc, standard_error) {
            (Some(own), Some(pooled), Some(se)) => own - pooled <= se,
            (_, pooled, _) => pooled.is_some(),
        };
        FederatedBacktest {
            imported: imported.summary(&imported.known_before(last_cutoff, config.horizon_days)),
            results,
            choice: pooled_choice,
            own_pr_auc,
            federated_pr_auc,
            standard_error,
            used,
        }
    });
    Ok(BacktestReport {
        config: *config,
        equipment: history.equipment.len(),
        features: features.features.len(),
        folds: summaries,
        results,
        best: choice.map(|c| c.algorithm.name().to_owned()),
        choice,
        snapshot_months: snapshot
            .iter()
            .map(|&i| months[i])
            .collect::<std::collections::HashSet<_>>()
            .len(),
        federated,
    })
}

/// One fold's summary, test rows, and predictions for them (learners in
/// [`Algorithm::ALL`] order, then the rate baseline, then the threshold rule, then,
/// with imported rows, the learners fitted with them).
struct FoldOutcome {
    summary: FoldSummary,
    tested: Vec<usize>,
    predictions: Vec<Vec<f64>>,
}

/// A fold's threshold rule and its probabilities for the fold's test rows.
struct FoldRule {
    rule: Option<ThresholdBaseline>,
    probabilities: Vec<f64>,
}

impl FoldRule {
    fn fit(features: &FeatureSet, samples: &Samples, config: &BacktestConfig, fold: &Fold) -> Self {
        let rule = ThresholdBaseline::fit(
            features,
            samples,
            &train_rows(samples, fold, config.horizon_days),
        );
        let probabilities = rule.as_ref().map_or_else(Vec::new, |rule| {
            rule.probabilities(samples, &test_rows(samples, fold))
        });
        Self {
            rule,
            probabilities,
        }
    }
}

/// Fits every learner and baseline on a fold's training rows and predicts its test
/// rows (the threshold rule's are `rule`'s); `None` when the fold has no test row.
fn evaluate_fold(
    history: &History,
    samples: &Samples,
    config: &BacktestConfig,
    fold: &Fold,
    rule: FoldRule,
    imported: Option<&Imported>,
) -> Result<Option<FoldOutcome>, ModelError> {
    // The training rows are read in place (each learner makes the one copy it
    // needs); the test rows are copied, the learners' columns alone.
    let train_idx = train_rows(samples, fold, config.horizon_days);
    let test_idx = test_rows(samples, fold);
    let test = samples.for_learners(&test_idx);
    if test.is_empty() {
        return Ok(None);
    }
    let train_positives = train_idx.iter().filter(|&&r| samples.y[r]).count();
    let imported_rows = imported.map_or_else(Vec::new, |imported| {
        imported.known_before(fold.cutoff_day, config.horizon_days)
    });
    let summary = FoldSummary {
        fold: *fold,
        train_cases: train_idx.len(),
        train_positives,
        test_cases: test.len(),
        test_positives: test.positives(),
        threshold_feature: rule.rule.as_ref().map(|t| t.feature.clone()),
        imported_cases: imported_rows.len(),
        imported_positives: imported.map_or(0, |imported| {
            imported_rows.iter().filter(|&&i| imported.y[i]).count()
        }),
    };
    let base_rate = train_positives as f64 / train_idx.len().max(1) as f64;
    let mut predictions = Vec::with_capacity(Algorithm::ALL.len() + 2);
    for algorithm in Algorithm::ALL {
        let began = std::time::Instant::now();
        predictions.push(
            match fit_calibrated(
                algorithm,
                samples,
                &train_idx,
                config.seed,
                CalibrationSplit::CrossFitted,
            ) {
                Ok(model) => model.probabilities(&test.x),
                Err(ModelError::OneClass) => vec![base_rate; test.len()],
                Err(e) => return Err(e),
            },
        );
        tracing::debug!(
            cutoff_day = fold.cutoff_day,
            learner = algorithm.name(),
            seconds = began.elapsed().as_secs_f64(),
            "fitted and calibrated"
        );
    }
    predictions.push(RateBaseline::fit(history, samples, &train_idx).probabilities(history, &test));
    predictions.push(match rule.rule {
        Some(_) => rule.probabilities,
        None => vec![base_rate; test.len()],
    });
    if let Some(imported) = imported {
        let extra_x = imported.x.select(Axis(0), &imported_rows);
        let extra_y: Vec<bool> = imported_rows.iter().map(|&i| imported.y[i]).collect();
        for (k, algorithm) in Algorithm::ALL.into_iter().enumerate() {
            let pooled = if imported_rows.is_empty() {
                // Nothing known from others yet: the own-only forecast.
                predictions[k].clone()
            } else {
                match fit_calibrated_pooled(
                    algorithm,
                    samples,
                    &train_idx,
                    &extra_x,
                    &extra_y,
                    config.seed,
                ) {
                    Ok(model) => model.probabilities(&test.x),
                    Err(ModelError::OneClass) => vec![base_rate; test.len()],
                    Err(e) => return Err(e),
                }
            };
            predictions.push(pooled);
        }
    }
    Ok(Some(FoldOutcome {
        summary,
        tested: test_idx,
        predictions,
    }))
}

/// Precision and recall at capacity on one snapshot a month (the first day of each
/// 30-day period): the committee looks at the list once a month and acts on the top `k`.
fn monthly_capacity(
    p: &[f64],
    labels: &[bool],
    months: &[i64],
    snapshot: &[usize],
    k: usize,
) -> AtCapacity {
    let pick = |v: &[f64]| snapshot.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let l: Vec<bool> = snapshot.iter().map(|&i| labels[i]).collect();
    let g: Vec<i64> = snapshot.iter().map(|&i| months[i]).collect();
    at_capacity(&pick(p), &l, &g, k)
}

impl BacktestReport {
    /// The report as the model trained with the knowledge packs saw it: the learners'
    /// results and choice are the federated ones (baselines unchanged).
    pub fn with_packs(&self) -> BacktestReport {
        let mut out = self.clone();
        if let Some(fed) = &self.federated {
            for r in out.results.iter_mut().filter(|r| !r.baseline) {
                if let Some(pooled) = fed.results.iter().find(|p| p.name == r.name) {
                    *r = pooled.clone();
                }
            }
            out.choice = fed.choice;
            out.best = fed.choice.map(|c| c.algorithm.name().to_owned());
        }
        out
    }

    /// The report as a plain-text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "Backtest: {} folds, horizon {} days, {} equipment, {} features\n",
            self.folds.len(),
            self.config.horizon_days,
            self.equipment,
            self.features
        );
        out += &format!(
            "{:<32} {:>7} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}\n",
            "model", "cases", "fails", "ROC-AUC", "PR-AUC", "Brier", "prec@cap", "rec@cap"
        );
        let f = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}"));
        let row = |name: &str, s: &Scorecard| {
            format!(
                "{:<32} {:>7} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}\n",
                name,
                s.cases,
                s.positives,
                f(s.roc_auc),
                f(s.pr_auc),
                f(s.brier),
                f(s.at_capacity.precision),
                f(s.at_capacity.recall)
            )
        };
        for r in &self.results {
            out += &row(&r.name, &r.scorecard);
        }
        if let Some(best) = &self.best {
            out += &format!(
                "chosen: {best} ({})\n",
                self.choice.map_or("by PR-AUC".to_owned(), |c| c.reason())
            );
            if let Some(r) = self.results.iter().find(|r| &r.name == best) {
                out += "calibration of the best model (predicted vs observed failure rate, by decile):\n";
                for b in &r.scorecard.calibration {
                    out += &format!(
                        "  p in [{:.3}, {:.3}]  cases {:>6}  predicted {:.3}  observed {:.3}\n",
                        b.lower, b.upper, b.count, b.mean_predicted, b.observed_rate
                    );
                }
            }
        }
        if let Some(fed) = &self.federated {
            out += &format!(
                "with other co-ops' knowledge packs ({} co-ops, {} of their cases, {} failures, in the last fold):\n",
                fed.imported.coops.len(),
                fed.imported.rows,
                fed.imported.failing_rows
            );
            for r in &fed.results {
                out += &row(&format!("{} + packs", r.name), &r.scorecard);
            }
            if let Some(choice) = &fed.choice {
                out += &format!(
                    "chosen with packs: {} ({})\n",
                    choice.algorithm.name(),
                    choice.reason()
                );
            }
            out += &format!(
                "own data only: PR-AUC {}; with packs: {} (standard error of the difference {}): {}\n",
                f(fed.own_pr_auc),
                f(fed.federated_pr_auc),
                f(fed.standard_error),
                if fed.used {
                    "the model learns from the packs"
                } else {
                    "the co-op's own data did better by more than a standard error: the model learns from it alone"
                }
            );
        }
        out
    }
}
