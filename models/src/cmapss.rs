//! NASA C-MAPSS turbofan run-to-failure data (`train_FDxxx.txt`, `test_FDxxx.txt`,
//! `RUL_FDxxx.txt`), run through the same features and learners as the co-op.
//!
//! One cycle is one day; each engine is a piece of equipment of kind `turbofan`
//! installed at day 0; an engine's last training cycle is a failure. Sensors are
//! normalised per operating condition (the settings columns, rounded: 0 decimals for
//! settings 1 and 3, 2 for setting 2 — the six conditions of FD002/FD004 fall apart
//! cleanly), with means and deviations learned on the training engines only; sensors
//! constant within every condition are dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use caretaker_core::{EquipmentId, Event, EventKind, Timestamp};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::backtest::{CalibrationSplit, fit_calibrated, held_out_equipment};
use crate::baselines::{RateBaseline, ThresholdBaseline};
use crate::daily::DailyTable;
use crate::dataset::Samples;
use crate::error::ModelError;
use crate::features::{AsOf, FeatureSet};
use crate::history::{Channel, DAY_MS, EquipmentFacts, History};
use crate::learners::{Algorithm, Model};
use crate::metrics::{Confusion, average_precision, best_f1_threshold, brier_score, roc_auc};
use crate::selection::{Candidate, Choice, choose};

/// Columns: engine, cycle, 3 settings, 21 sensors.
const COLUMNS: usize = 26;
/// More distinct rounded settings than this: treated as one condition.
const MAX_CONDITIONS: usize = 20;

/// One engine's cycles: (cycle, settings, sensors).
#[derive(Debug, Clone)]
struct Engine {
    unit: u32,
    cycles: Vec<(i64, [f64; 3], [f64; 21])>,
}

fn read_engines(path: &Path) -> Result<Vec<Engine>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut engines: BTreeMap<u32, Engine> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<f64> = line
            .split_whitespace()
            .map(|f| f.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                ModelError::Data(format!("{}:{}: not a number: {e}", path.display(), n + 1))
            })?;
        if fields.len() != COLUMNS {
            return Err(ModelError::Data(format!(
                "{}:{}: {} columns, C-MAPSS rows have {COLUMNS} (engine, cycle, 3 settings, 21 sensors)",
                path.display(),
                n + 1,
                fields.len()
            )));
        }
        let unit = fields[0] as u32;
        let mut settings = [0.0; 3];
        settings.copy_from_slice(&fields[2..5]);
        let mut sensors = [0.0; 21];
        sensors.copy_from_slice(&fields[5..26]);
        engines
            .entry(unit)
            .or_insert_with(|| Engine {
                unit,
                cycles: Vec::new(),
            })
            .cycles
            .push((fields[1] as i64, settings, sensors));
    }
    let mut out: Vec<Engine> = engines.into_values().collect();
    for e in &mut out {
        e.cycles.sort_by_key(|c| c.0);
    }
    Ok(out)
}

fn read_rul(path: &Path) -> Result<Vec<f64>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })?;
    text.split_whitespace()
        .map(|v| {
            v.parse::<f64>()
                .map_err(|e| ModelError::Data(format!("{}: {e}", path.display())))
        })
        .collect()
}

type ConditionKey = (i64, i64, i64);

fn condition_key(s: &[f64; 3]) -> ConditionKey {
    (
        s[0].round() as i64,
        (s[1] * 100.0).round() as i64,
        s[2].round() as i64,
    )
}

/// Per-condition mean and deviation of each sensor, learned on training engines.
struct Normaliser {
    by_condition: bool,
    stats: HashMap<ConditionKey, [(f64, f64); 21]>,
    kept: Vec<usize>,
}

impl Normaliser {
    fn fit(train: &[Engine]) -> Self {
        let keys: std::collections::HashSet<ConditionKey> = train
            .iter()
            .flat_map(|e| e.cycles.iter().map(|c| condition_key(&c.1)))
            .collect();
        let by_condition = keys.len() <= MAX_CONDITIONS;
        let key = |s: &[f64; 3]| {
            if by_condition {
                condition_key(s)
            } else {
                (0, 0, 0)
            }
        };
        let mut sums: HashMap<ConditionKey, (f64, [f64; 21], [f64; 21])> = HashMap::new();
        for e in train {
            for (_, s, v) in &e.cycles {
                let entry = sums.entry(key(s)).or_insert((0.0, [0.0; 21], [0.0; 21]));
                entry.0 += 1.0;
                for (i, value) in v.iter().enumerate() {
                    entry.1[i] += value;
                    entry.2[i] += value * value;
                }
            }
        }
        let mut stats = HashMap::new();
        let mut varies = [false; 21];
        for (k, (n, sum, sum_sq)) in sums {
            let mut s = [(0.0, 1.0); 21];
            for i in 0..21 {
                let mean = sum[i] / n;
                let var = (sum_sq[i] / n - mean * mean).max(0.0);
                let sd = var.sqrt();
                if sd > 1e-6 * mean.abs().max(1.0) {
                    varies[i] = true;
                }
                s[i] = (mean, if sd > 1e-12 { sd } else { 1.0 });
            }
            stats.insert(k, s);
        }
        let kept = (0..21).filter(|&i| varies[i]).collect();
        Self {
            by_condition,
            stats,
            kept,
        }
    }

    fn normalise(&self, settings: &[f64; 3], sensor: usize, value: f64) -> f64 {
        let key = if self.by_condition {
            condition_key(settings)
        } else {
            (0, 0, 0)
        };
        match self.stats.get(&key) {
            Some(s) => (value - s[sensor].0) / s[sensor].1,
            None => f64::NAN,
        }
    }
}

/// Builds a history of engines: one channel per kept sensor, failures at the last
/// cycle when `failing`.
fn engine_history(
    engines: &[Engine],
    prefix: &str,
    normaliser: &Normaliser,
    failing: bool,
) -> Result<History, ModelError> {
    let (mut eq, mut ch, mut ts, mut val) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut equipment = Vec::new();
    let mut events = Vec::new();
    let channels: Vec<Channel> = normaliser
        .kept
        .iter()
        .map(|&i| Channel {
            name: format!("s{}", i + 1),
            binary: false,
            readings_per_day: 1.0,
            unit: String::new(),
        })
        .collect();
    let mut end_day = 1;
    for e in engines {
        let id = EquipmentId::parse(&format!("{prefix}-{:03}", e.unit))
            .map_err(|err| ModelError::Data(err.to_string()))?;
        for (cycle, settings, sensors) in &e.cycles {
            for (&i, c) in normaliser.kept.iter().zip(&channels) {
                eq.push(id.to_string());
                ch.push(c.name.clone());
                ts.push(cycle * DAY_MS + DAY_MS / 2);
                val.push(normaliser.normalise(settings, i, sensors[i]));
            }
        }
        let last = e.cycles.last().map_or(0, |c| c.0);
        end_day = end_day.max(last + 1);
        if failing {
            events.push(Event {
                ts: Timestamp::from_millis(last * DAY_MS + DAY_MS / 2 + 1),
                equipment: id.clone(),
                kind: EventKind::Failure,
                code: None,
                description: "end of the run to failure".into(),
                cost: None,
                unit: None,
            });
        }
        equipment.push(EquipmentFacts {
            name: format!("engine {}", e.unit),
            id,
            kind: "turbofan".into(),
            installed_day: 0,
            channels: channels.clone(),
        });
    }
    let readings = df!("equipment" => eq, "channel" => ch, "ts" => ts, "value" => val)?.lazy();
    Ok(History {
        equipment,
        readings,
        sensor_daily: None,
        sensor_map: None,
        events,
        start_day: 1,
        end_day,
        seasonal: false,
        comparable_levels: true,
    })
}

/// Results of one model or baseline on the test engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// Name.
    pub name: String,
    /// Whether it is a baseline.
    pub baseline: bool,
    /// Probability from which an engine is flagged: the one that maximised F1 on
    /// training engines the learner was not fitted on, each cut at random points as
    /// the test engines are (baselines: on all training engines' full series).
    pub threshold: f64,
    /// Precision at the threshold.
    pub precision: Option<f64>,
    /// Recall at the threshold.
    pub recall: Option<f64>,
    /// F1 at the threshold.
    pub f1: Option<f64>,
    /// ROC-AUC.
    pub roc_auc: Option<f64>,
    /// PR-AUC (average precision).
    pub pr_auc: Option<f64>,
    /// Brier score of the calibrated probabilities on the training engines held out
    /// of the fit (learners only): how the learner is chosen.
    pub held_out_brier: Option<f64>,
    /// F1 at the threshold on the same held-out engines, cut as the test engines
    /// are (learners only).
    pub held_out_f1: Option<f64>,
    /// The threshold picked the earlier way, on the held-out engines' full series
    /// (every cycle of each; learners only).
    #[serde(default)]
    pub full_series_threshold: Option<f64>,
    /// F1 on the test engines at [`EvalResult::full_series_threshold`], beside
    /// [`EvalResult::f1`] at the threshold picked on cut engines.
    #[serde(default)]
    pub full_series_f1: Option<f64>,
    /// PR-AUC on the same held-out engines, cut as the test engines are (learners only).
    pub held_out_pr_auc: Option<f64>,
}

/// `caretaker eval cmapss` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Subset name (`FD001`).
    pub subset: String,
    /// "Fails within N cycles".
    pub within: i64,
    /// Training engines.
    pub train_engines: usize,
    /// Test engines.
    pub test_engines: usize,
    /// Test engines that fail within N cycles.
    pub test_positives: usize,
    /// Operating conditions found (1 when settings were not clustered).
    pub conditions: usize,
    /// Sensors kept (the others are constant).
    pub sensors: Vec<String>,
    /// Training samples and failures among them.
    pub training_samples: usize,
    /// One entry per model and baseline.
    pub results: Vec<EvalResult>,
    /// The learner chosen before looking at the test engines, by PR-AUC on the
    /// training engines held out of its fit (one in four): the simplest within one
    /// standard error of the best (see [`crate::selection::choose`]).
    pub chosen: String,
    /// Why that learner (held-out PR-AUCs and the standard error of the best one's
    /// lead, resampling held-out engines).
    #[serde(default)]
    pub choice: Option<Choice>,
}

impl EvalReport {
    /// The report as a plain-text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "C-MAPSS {}: {} training engines, {} test engines ({} fail within {} cycles), {} operating condition(s), {} sensors kept, {} training samples\n",
            self.subset,
            self.train_engines,
            self.test_engines,
            self.test_positives,
            self.within,
            self.conditions,
            self.sensors.len(),
            self.training_samples
        );
        out += &format!(
            "{:<40} {:>9} {:>9} {:>7} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>11}\n",
            "", "", "", "", "", "", "", "held-out", "held-out", "held-out", "F1 at full-"
        );
        out += &format!(
            "{:<40} {:>9} {:>9} {:>7} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>11}\n",
            "model",
            "threshold",
            "precision",
            "recall",
            "F1",
            "ROC-AUC",
            "PR-AUC",
            "Brier",
            "F1",
            "PR-AUC",
            "series thr."
        );
        let f = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}"));
        for r in &self.results {
            out += &format!(
                "{:<40} {:>9.3} {:>9} {:>7} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>11}\n",
                r.name,
                r.threshold,
                f(r.precision),
                f(r.recall),
                f(r.f1),
                f(r.roc_auc),
                f(r.pr_auc),
                f(r.held_out_brier),
                f(r.held_out_f1),
                f(r.held_out_pr_auc),
                f(r.full_series_f1)
            );
        }
        out += &format!(
            "chosen before testing, on held-out training engines cut as the test engines are: {} ({})\n",
            self.chosen,
            self.choice
                .map_or("no failure held out".to_owned(), |c| c.reason())
        );
        out
    }
}

/// Trains on `train_<SUBSET>.txt` and scores every engine of `test_<SUBSET>.txt` at its last cycle
/// against `RUL_<SUBSET>.txt`: "fails within `within` cycles".
pub fn evaluate(
    dir: &Path,
    subset: &str,
    within: i64,
    seed: u64,
) -> Result<EvalReport, ModelError> {
    let train = read_engines(&dir.join(format!("train_{subset}.txt")))?;
    let test = read_engines(&dir.join(format!("test_{subset}.txt")))?;
    let rul = read_rul(&dir.join(format!("RUL_{subset}.txt")))?;
    if rul.len() != test.len() {
        return Err(ModelError::Data(format!(
            "RUL_{subset}.txt has {} lines for {} test engines",
            rul.len(),
            test.len()
        )));
    }
    let normaliser = Normaliser::fit(&train);
    let train_history = engine_history(&train, "train", &normaliser, true)?;
    let test_history = engine_history(&test, "test", &normaliser, false)?;
    let features = FeatureSet::for_history(&train_history);
    let samples = Samples::build(&train_history, &features, within, 1)?;

    let every: Vec<usize> = (0..samples.len()).collect();
    let (_, held_out) = held_out_equipment(&samples);
    let validation = samples.select(&held_out);
    let cuts = cut_like_test(&validation, seed);
    let cut = validation.select(&cuts);
    let labels: Vec<bool> = rul.iter().map(|&r| r <= within as f64).collect();
    // The learners are independent of each other and of the test engines' features:
    // all fitted side by side (the forest's parts too) while those are computed.
    let (test_samples, models) = rayon::join(
        || -> Result<Samples, ModelError> {
            let rows: Vec<AsOf> = test
                .iter()
                .enumerate()
                .map(|(i, e)| AsOf {
                    equipment: i,
                    day: e.cycles.last().map_or(1, |c| c.0) + 1,
                })
                .collect();
            let daily = DailyTable::compute(&test_history, test_history.end_day * DAY_MS)?;
            let x = features.compute(&test_history, &daily, &rows);
            Ok(Samples::dense(rows, x, labels.clone()))
        },
        || {
            Algorithm::ALL
                .into_par_iter()
                .map(|algorithm| {
                    let began = std::time::Instant::now();
                    let model = fit_calibrated(
                        algorithm,
                        &samples,
                        &every,
                        seed,
                        CalibrationSplit::ByEquipment,
                    )?;
                    tracing::debug!(
                        learner = algorithm.name(),
                        seconds = began.elapsed().as_secs_f64(),
                        "fitted"
                    );
                    Ok(model)
                })
                .collect::<Result<Vec<_>, ModelError>>()
        },
    );
    let (test_samples, models) = (test_samples?, models?);
    // Scoring the learners and fitting the baselines, side by side.
    let (scored, baselines) = rayon::join(
        || {
            Algorithm::ALL
                .into_par_iter()
                .zip(&models)
                .map(|(algorithm, model)| {
                    learner_result(algorithm, model, &validation, &cuts, &test_samples)
                })
                .collect::<Vec<_>>()
        },
        || {
            baseline_results(
                &train_history,
                &test_history,
                &features,
                &samples,
                &test_samples,
            )
        },
    );
    let (mut results, held_out_scores): (Vec<EvalResult>, Vec<Vec<f64>>) =
        scored.into_iter().unzip();
    let candidates: Vec<Candidate<'_>> = Algorithm::ALL
        .into_iter()
        .zip(&held_out_scores)
        .map(|(algorithm, scores)| Candidate { algorithm, scores })
        .collect();
    let engines: Vec<usize> = cut.rows.iter().map(|r| r.equipment).collect();
    let choice = choose(&candidates, &cut.y, &engines, seed);
    results.extend(baselines);
    let conditions = if normaliser.by_condition {
        normaliser.stats.len()
    } else {
        1
    };
    Ok(EvalReport {
        subset: subset.to_owned(),
        within,
        train_engines: train.len(),
        test_engines: test.len(),
        test_positives: labels.iter().filter(|&&v| v).count(),
        conditions,
        sensors: normaliser
            .kept
            .iter()
            .map(|i| format!("s{}", i + 1))
            .collect(),
        training_samples: samples.len(),
        results,
        chosen: choice
            .map_or(Algorithm::LogisticRegression, |c| c.algorithm)
            .name()
            .to_owned(),
        choice,
    })
}

/// A learner's results on the test engines, at the decision threshold that maximises
/// F1 on the held-out training engines cut as the test engines are (`cuts`: rows of
/// `validation`), with its figures there, and the test F1 at the threshold the full
/// series would have given; and its scores on the cut engines.
fn learner_result(
    algorithm: Algorithm,
    model: &Model,
    validation: &Samples,
    cuts: &[usize],
    test_samples: &Samples,
) -> (EvalResult, Vec<f64>) {
    let p_series = model.probabilities(&validation.x);
    let p_cut: Vec<f64> = cuts.iter().map(|&i| p_series[i]).collect();
    let y_cut: Vec<bool> = cuts.iter().map(|&i| validation.y[i]).collect();
    let threshold = best_f1_threshold(&p_cut, &y_cut).unwrap_or(0.5);
    let series_threshold = best_f1_threshold(&p_series, &validation.y).unwrap_or(0.5);
    let p = model.probabilities(&test_samples.x);
    let mut r = result(algorithm.name(), false, &p, &test_samples.y, threshold);
    r.held_out_brier = brier_score(&p_cut, &y_cut);
    r.held_out_f1 = Confusion::at_threshold(&p_cut, &y_cut, threshold).f1();
    r.held_out_pr_auc = average_precision(&p_cut, &y_cut);
    r.full_series_threshold = Some(series_threshold);
    r.full_series_f1 = Confusion::at_threshold(&p, &test_samples.y, series_threshold).f1();
    (r, p_cut)
}

/// Random cuts drawn per held-out engine.
const CUTS_PER_ENGINE: usize = 20;

/// Rows of `validation` (held-out engines' full series, one row per cycle) that
/// look like test engines: each engine cut at [`CUTS_PER_ENGINE`] random cycles,
/// drawn uniformly over its series (a test engine's record stops at an unknown
/// point before failure, and each counts once whatever its length). A row as of a
/// cycle uses only the cycles before it, so it is the engine as if its record
/// stopped there.
fn cut_like_test(validation: &Samples, seed: u64) -> Vec<usize> {
    use rand::{Rng, SeedableRng};
    let mut by_engine: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, row) in validation.rows.iter().enumerate() {
        by_engine.entry(row.equipment).or_default().push(i);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x6375_7473);
    by_engine
        .values()
        .flat_map(|rows| {
            (0..CUTS_PER_ENGINE)
                .map(|_| rows[rng.gen_range(0..rows.len())])
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The baselines' results on the test engines. Test engines are named apart from
/// training ones but share kind and age bands; baselines learn from every training
/// engine and their threshold maximises F1 there.
fn baseline_results(
    train_history: &History,
    test_history: &History,
    features: &FeatureSet,
    samples: &Samples,
    test_samples: &Samples,
) -> Vec<EvalResult> {
    let threshold = |p: &[f64]| best_f1_threshold(p, &samples.y).unwrap_or(0.5);
    let every = |s: &Samples| (0..s.len()).collect::<Vec<_>>();
    let rate = RateBaseline::fit(train_history, samples, &every(samples));
    let t = threshold(&rate.probabilities(train_history, samples));
    let p = rate.probabilities(test_history, test_samples);
    let mut results = vec![result(
        "baseline_rate_by_kind_and_age",
        true,
        &p,
        &test_samples.y,
        t,
    )];
    if let Some(rule) = ThresholdBaseline::fit(features, samples, &every(samples)) {
        let t = threshold(&rule.probabilities(samples, &every(samples)));
        let p = rule.probabilities(test_samples, &every(test_samples));
        results.push(result(
            &format!("baseline_threshold_rule ({})", rule.feature),
            true,
            &p,
            &test_samples.y,
            t,
        ));
    }
    results
}

fn result(name: &str, baseline: bool, p: &[f64], labels: &[bool], threshold: f64) -> EvalResult {
    let c = Confusion::at_threshold(p, labels, threshold);
    EvalResult {
        name: name.to_owned(),
        baseline,
        threshold,
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        roc_auc: roc_auc(p, labels),
        pr_auc: average_precision(p, labels),
        held_out_brier: None,
        held_out_f1: None,
        held_out_pr_auc: None,
        full_series_threshold: None,
        full_series_f1: None,
    }
}
