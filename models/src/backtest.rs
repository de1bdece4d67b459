//! Rolling-origin backtests: train on the past, test on the next period, never
//! train on a label whose horizon reaches past the cut-off.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::baselines::{RateBaseline, ThresholdBaseline};
use crate::calibration::Calibrator;
use crate::dataset::Samples;
use crate::error::ModelError;
use crate::features::FeatureSet;
use crate::history::History;
use crate::learners::{Algorithm, Model};
use crate::metrics::{AtCapacity, PrPoint, Scorecard, at_capacity, precision_recall_curve};
use crate::selection::{Candidate, Choice, choose};

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

/// Fits a model and calibrates it (Platt) on scores it did not learn from (see
/// [`CalibrationSplit`]).
pub fn fit_calibrated(
    algorithm: Algorithm,
    train: &Samples,
    seed: u64,
    split: CalibrationSplit,
    ignored: &[usize],
) -> Result<Model, ModelError> {
    if split == CalibrationSplit::CrossFitted {
        let mut model = Model::fit(algorithm, &train.x, &train.y, seed, ignored)?;
        let scores = match cross_fitted_scores(algorithm, train, seed, ignored)? {
            Some(scores) => scores,
            // A group could not be fitted (no failure outside it): in sample.
            None => model.raw_scores(&train.x),
        };
        model.calibrator = Calibrator::fit_increasing(&scores, &train.y);
        return Ok(model);
    }
    let (fit_idx, cal_idx) = held_out_equipment(train);
    let fit_part = train.select(&fit_idx);
    let cal_part = train.select(&cal_idx);
    if fit_part.positives() == 0 || cal_part.positives() == 0 {
        // Too few failures to hold some back: fit on everything, calibrate in-sample.
        let mut model = Model::fit(algorithm, &train.x, &train.y, seed, ignored)?;
        model.calibrator = Calibrator::fit_increasing(&model.raw_scores(&train.x), &train.y);
        return Ok(model);
    }
    let mut model = Model::fit(algorithm, &fit_part.x, &fit_part.y, seed, ignored)?;
    model.calibrator = Calibrator::fit_increasing(&model.raw_scores(&cal_part.x), &cal_part.y);
    Ok(model)
}

/// Every row's score from a model fitted without its equipment's group; `None` when
/// some group leaves only one class to fit on.
fn cross_fitted_scores(
    algorithm: Algorithm,
    train: &Samples,
    seed: u64,
    ignored: &[usize],
) -> Result<Option<Vec<f64>>, ModelError> {
    let group = |i: usize| train.rows[i].equipment % CROSS_FIT_GROUPS;
    let mut scores = vec![0.0; train.len()];
    for k in 0..CROSS_FIT_GROUPS {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..train.len()).partition(|&i| group(i) == k);
        if inside.is_empty() {
            continue;
        }
        let fit_part = train.select(&outside);
        let model = match Model::fit(algorithm, &fit_part.x, &fit_part.y, seed, ignored) {
            Ok(model) => model,
            Err(ModelError::OneClass) => return Ok(None),
            Err(e) => return Err(e),
        };
        let group_scores = model.raw_scores(&train.select(&inside).x);
        for (i, score) in inside.into_iter().zip(group_scores) {
            scores[i] = score;
        }
    }
    Ok(Some(scores))
}

/// Row indices to fit on and to hold out for [`CalibrationSplit::ByEquipment`]: one
/// equipment in four is held out.
pub fn held_out_equipment(train: &Samples) -> (Vec<usize>, Vec<usize>) {
    (0..train.len()).partition(|&i| train.rows[i].equipment % 4 != 3)
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
}

/// Runs every algorithm and baseline over rolling-origin folds.
pub fn run(
    history: &History,
    features: &FeatureSet,
    samples: &Samples,
    config: &BacktestConfig,
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
    let outcomes: Vec<Option<FoldOutcome>> = splits
        .par_iter()
        .map(|fold| evaluate_fold(history, features, samples, config, fold))
        .collect::<Result<_, _>>()?;
    let mut predictions: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
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
    let results: Vec<ModelResult> = names
        .into_iter()
        .zip(&predictions)
        .map(|((name, baseline), p)| {
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
        })
        .collect();
    let candidates: Vec<Candidate<'_>> = Algorithm::ALL
        .into_iter()
        .zip(&predictions)
        .map(|(algorithm, scores)| Candidate { algorithm, scores })
        .collect();
    let equipment: Vec<usize> = tested.iter().map(|&i| samples.rows[i].equipment).collect();
    let choice = choose(&candidates, &labels, &equipment, config.seed);
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
    })
}

/// One fold's summary, test rows, and predictions for them (learners in
/// [`Algorithm::ALL`] order, then the rate baseline, then the threshold rule).
struct FoldOutcome {
    summary: FoldSummary,
    tested: Vec<usize>,
    predictions: Vec<Vec<f64>>,
}

/// Fits every learner and baseline on a fold's training rows and predicts its test
/// rows; `None` when the fold has no test row.
fn evaluate_fold(
    history: &History,
    features: &FeatureSet,
    samples: &Samples,
    config: &BacktestConfig,
    fold: &Fold,
) -> Result<Option<FoldOutcome>, ModelError> {
    let train = samples.select(&train_rows(samples, fold, config.horizon_days));
    let test_idx = test_rows(samples, fold);
    let test = samples.select(&test_idx);
    if test.is_empty() {
        return Ok(None);
    }
    let threshold = ThresholdBaseline::fit(features, &train);
    let summary = FoldSummary {
        fold: *fold,
        train_cases: train.len(),
        train_positives: train.positives(),
        test_cases: test.len(),
        test_positives: test.positives(),
        threshold_feature: threshold.as_ref().map(|t| t.feature.clone()),
    };
    let base_rate = train.positives() as f64 / train.len().max(1) as f64;
    let ignored = features.ignored_by_learners();
    let mut predictions = Vec::with_capacity(Algorithm::ALL.len() + 2);
    for algorithm in Algorithm::ALL {
        let began = std::time::Instant::now();
        predictions.push(
            match fit_calibrated(
                algorithm,
                &train,
                config.seed,
                CalibrationSplit::CrossFitted,
                &ignored,
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
    predictions.push(RateBaseline::fit(history, &train).probabilities(history, &test));
    predictions.push(match &threshold {
        Some(rule) => rule.probabilities(&test),
        None => vec![base_rate; test.len()],
    });
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
        for r in &self.results {
            let s = &r.scorecard;
            out += &format!(
                "{:<32} {:>7} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}\n",
                r.name,
                s.cases,
                s.positives,
                f(s.roc_auc),
                f(s.pr_auc),
                f(s.brier),
                f(s.at_capacity.precision),
                f(s.at_capacity.recall)
            );
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
        out
    }
}
