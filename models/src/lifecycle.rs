//! Model lifecycle: train on everything known, save a versioned model with its model
//! card, load it back (refusing one trained on other equipment or features), score.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use caretaker_core::EquipmentKind;

use crate::backtest::{
    BacktestReport, CalibrationSplit, FederatedBacktest, fit_calibrated, fit_calibrated_pooled,
};
use crate::card::{PlainCard, Trained};
use crate::daily::DailyTable;
use crate::dataset::Samples;
use crate::error::ModelError;
use crate::explain::{Driver, drivers};
use crate::features::{AsOf, FEATURE_VERSION, FeatureSet, as_of_day};
use crate::history::{DAY_MS, History};
use crate::labels::{Outcome, Timeline};
use crate::learners::{Algorithm, Model};
use crate::pooled::{Imported, ImportedSummary};

/// Version of the model file format.
pub const MODEL_FORMAT: u32 = 2;
/// File naming the current model version, in the models folder.
pub const CURRENT_FILE: &str = "CURRENT";

/// What a model is and how good it has been, for the people who rely on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Model version (folder name).
    pub version: String,
    /// When it was trained (RFC 3339).
    pub trained_at: String,
    /// What it forecasts.
    pub question: String,
    /// Horizon in days.
    pub horizon_days: i64,
    /// The learner.
    pub algorithm: Algorithm,
    /// Why this learner.
    pub why: String,
    /// First and last day of the training data (YYYY-MM-DD).
    pub data_window: (String, String),
    /// Equipment covered, with kinds.
    pub equipment: Vec<(String, String)>,
    /// Training cases and failures among them.
    pub training_cases: usize,
    /// Failures among the training cases.
    pub training_failures: usize,
    /// Features: name and meaning.
    pub features: Vec<(String, String)>,
    /// Most important features (global).
    pub top_features: Vec<(String, f64)>,
    /// The backtest that chose the learner, if one was run.
    pub backtest: Option<BacktestReport>,
    /// What it cannot do.
    pub known_limits: Vec<String>,
    /// The card in members' words, with its charts' data (absent in cards saved
    /// before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain: Option<PlainCard>,
    /// Other co-ops' samples it learned from (accepted knowledge packs), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_from_packs: Option<ImportedSummary>,
}

impl ModelCard {
    /// The card in Markdown: in members' words first (when it has them), then the
    /// technical card.
    pub fn markdown(&self) -> String {
        let mut md = match &self.plain {
            Some(plain) => format!("{}\n---\n\n", plain.markdown()),
            None => String::new(),
        };
        md += &format!("# Model card: {}\n\n", self.version);
        md += &format!("**Question.** {}\n\n", self.question);
        md += &format!(
            "**Learner.** {} — {}\n\n**Trained** {} on data from {} to {}: {} cases, {} of them failures within {} days.\n\n",
            self.algorithm.name(),
            self.why,
            self.trained_at,
            self.data_window.0,
            self.data_window.1,
            self.training_cases,
            self.training_failures,
            self.horizon_days
        );
        if let Some(packs) = &self.learned_from_packs {
            md += &format!(
                "**Learned also from** the knowledge packs of {} other co-ops ({}, {} failures recorded): {} cases, {} of them failures within the horizon; calibrated on this co-op's cases alone.\n\n",
                packs.coops.len(),
                packs.coops.join(", "),
                packs.failures,
                packs.rows,
                packs.failing_rows
            );
        }
        md += &format!("**Equipment covered** ({}): ", self.equipment.len());
        md += &self
            .equipment
            .iter()
            .map(|(id, kind)| format!("{id} ({kind})"))
            .collect::<Vec<_>>()
            .join(", ");
        md += "\n\n## How good it has been\n\n";
        match &self.backtest {
            Some(report) => md += &format!("```\n{}```\n\n", report.table()),
            None => md += "No backtest was run for this model.\n\n",
        }
        md += "## What drives it most\n\n";
        for (name, weight) in &self.top_features {
            md += &format!("- `{name}` ({weight:.3})\n");
        }
        md += "\n## Features\n\n";
        for (name, meaning) in &self.features {
            md += &format!("- `{name}`: {meaning}\n");
        }
        md += "\n## Known limits\n\n";
        for limit in &self.known_limits {
            md += &format!("- {limit}\n");
        }
        md
    }
}

/// A saved model: what it needs to score, and its card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// File format version.
    pub format: u32,
    /// Feature definitions version.
    pub feature_version: u32,
    /// Fingerprint of the equipment and channels it was trained on.
    pub fingerprint: String,
    /// Horizon in days.
    pub horizon_days: i64,
    /// Features, in column order.
    pub features: FeatureSet,
    /// The fitted, calibrated model.
    pub model: Model,
    /// The card.
    pub card: ModelCard,
}

/// Fingerprint of a history's equipment, kinds and channels: a model only scores the
/// equipment it was trained for.
pub fn fingerprint(history: &History) -> String {
    let mut h = Sha256::new();
    for e in &history.equipment {
        h.update(e.id.as_str());
        h.update(b"/");
        h.update(&e.kind);
        for c in &e.channels {
            h.update(b"/");
            h.update(&c.name);
        }
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Horizon in days.
    pub horizon_days: i64,
    /// Days between samples.
    pub step_days: i64,
    /// Learner; None: the backtest's best, else the random forest.
    pub algorithm: Option<Algorithm>,
    /// A backtest to choose the learner and to report in the card.
    pub backtest: Option<BacktestReport>,
    /// Seed.
    pub seed: u64,
    /// Version name (e.g. the training time, `20261127T013000Z`).
    pub version: String,
    /// Training time, RFC 3339.
    pub trained_at: String,
    /// Other co-ops' samples from accepted knowledge packs, in this history's
    /// learner columns (see [`Imported::new`]).
    pub imported: Option<Imported>,
}

/// Trains on every labelled sample of the history (and on the imported samples,
/// unless the backtest showed the co-op's own data alone doing better by more than
/// a standard error).
pub fn train(history: &History, options: &TrainOptions) -> Result<SavedModel, ModelError> {
    let features = FeatureSet::for_history(history);
    let mut samples = Samples::build(history, &features, options.horizon_days, options.step_days)?;
    // Every feature's scale, for the model that takes them all; the per-sensor
    // features are then freed before the learner copies its rows.
    let every_feature = samples.preprocess(features.features.len());
    samples.drop_other_features();
    let federated = options.backtest.as_ref().and_then(|r| r.federated.as_ref());
    // Members accepted the packs: they are learned from unless the backtest says not.
    let imported = options
        .imported
        .as_ref()
        .filter(|_| federated.is_none_or(|f| f.used));
    let chosen = options.algorithm.or_else(|| {
        if imported.is_some()
            && let Some(algorithm) = federated.and_then(FederatedBacktest::algorithm)
        {
            return Some(algorithm);
        }
        let best = options.backtest.as_ref()?.best.as_ref()?;
        Algorithm::ALL.into_iter().find(|a| a.name() == best)
    });
    let algorithm = chosen.unwrap_or(Algorithm::RandomForest);
    let why = match (&options.algorithm, &options.backtest) {
        (Some(_), _) => "chosen by the operator".to_owned(),
        (None, Some(report)) => format!(
            "of the {} learners in the rolling-origin backtest ({} folds): {}; one model pooled over all kinds with the kind as a feature, since failures per kind are too few for a model each",
            Algorithm::ALL.len(),
            report.folds.len(),
            report
                .choice
                .map_or("the best PR-AUC".to_owned(), |c| c.reason())
        ),
        (None, None) => "default learner (no backtest was run)".to_owned(),
    };
    let ignored = features.ignored_by_learners();
    let every: Vec<usize> = (0..samples.len()).collect();
    let model = match imported {
        Some(imported) => fit_calibrated_pooled(
            algorithm,
            &samples,
            &every,
            &imported.x,
            &imported.y,
            options.seed,
        )?,
        None => fit_calibrated(
            algorithm,
            &samples,
            &every,
            options.seed,
            CalibrationSplit::CrossFitted,
        )?,
    }
    // Fitted on the learners' columns; it takes every feature and leaves the others out.
    .widened(&every_feature, &ignored);
    let learned_from_packs =
        imported.map(|imported| imported.summary(&(0..imported.y.len()).collect::<Vec<_>>()));
    let mut importance: Vec<(String, f64)> = features
        .names()
        .into_iter()
        .zip(model.importance())
        .collect();
    let total: f64 = importance.iter().map(|(_, v)| v).sum::<f64>().max(1e-12);
    importance.iter_mut().for_each(|(_, v)| *v /= total);
    importance.sort_by(|a, b| b.1.total_cmp(&a.1));
    importance.truncate(10);
    let date = |day: i64| {
        chrono::DateTime::from_timestamp_millis(day * DAY_MS)
            .map(|d| d.date_naive().to_string())
            .unwrap_or_default()
    };
    let (known_limits, plain_limits) = known_limits(history, &samples);
    let plain = PlainCard::new(
        history,
        &Trained {
            algorithm,
            horizon_days: options.horizon_days,
            cases: samples.len(),
            failing_cases: samples.positives(),
            backtest: options.backtest.as_ref(),
            limits: &plain_limits,
            packs: learned_from_packs.as_ref(),
        },
    );
    let card = ModelCard {
        version: options.version.clone(),
        trained_at: options.trained_at.clone(),
        question: format!(
            "the probability that each piece of equipment fails within the next {} days",
            options.horizon_days
        ),
        horizon_days: options.horizon_days,
        algorithm,
        why,
        data_window: (date(history.start_day), date(history.end_day - 1)),
        equipment: history
            .equipment
            .iter()
            .map(|e| (e.id.to_string(), e.kind.clone()))
            .collect(),
        training_cases: samples.len(),
        training_failures: samples.positives(),
        features: features
            .features
            .iter()
            .map(|f| (f.name.clone(), f.describe()))
            .collect(),
        top_features: importance,
        backtest: options.backtest.clone(),
        known_limits,
        plain: Some(plain),
        learned_from_packs,
    };
    Ok(SavedModel {
        format: MODEL_FORMAT,
        feature_version: FEATURE_VERSION,
        fingerprint: fingerprint(history),
        horizon_days: options.horizon_days,
        features,
        model,
        card,
    })
}

/// What the model cannot do: for the technical card, and in members' words.
fn known_limits(history: &History, samples: &Samples) -> (Vec<String>, Vec<String>) {
    let mut limits = vec![
        "It only knows failures that were recorded as events; unrecorded breakdowns teach it nothing.".to_owned(),
        "Faults that give no sign in the sensors (a sudden electrical fault, a burst pipe) can only be forecast from age and history, as any maintenance schedule would.".to_owned(),
        "Probabilities are calibrated on scores each machine got from a model trained without it (and without a third of the co-op's machines); they drift if the equipment or its use changes.".to_owned(),
    ];
    let mut plain = vec![
        "It learns only from breakdowns written in the maintenance log: a breakdown nobody \
         recorded teaches it nothing."
            .to_owned(),
        "It learned from this co-op's own machines. A new or replaced machine, or one used \
         differently, needs a few months of readings before the forecast knows its usual \
         behaviour."
            .to_owned(),
    ];
    let mut per_kind: Vec<(String, usize)> = history
        .kind_names()
        .into_iter()
        .map(|k| {
            let n = samples
                .rows
                .iter()
                .zip(&samples.y)
                .filter(|(r, y)| **y && history.equipment[r.equipment].kind == k)
                .count();
            (k, n)
        })
        .collect();
    per_kind.retain(|(_, n)| *n == 0);
    if !per_kind.is_empty() {
        limits.push(format!(
            "No failure within the horizon was seen for: {}. Their forecasts rest on the other kinds and on age.",
            per_kind
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let labels: Vec<String> = per_kind
            .iter()
            .map(|(k, _)| {
                EquipmentKind::parse(k)
                    .map_or_else(|_| k.replace('_', " "), |k| k.label().to_owned())
            })
            .map(|l| format!("{l}s"))
            .collect();
        let (last, rest) = labels.split_last().expect("not empty");
        let kinds = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} or {last}", rest.join(", "))
        };
        plain.push(format!(
            "It has never seen {kinds} break down, so their forecasts rest on what it learned \
             from the other kinds and on their age."
        ));
    }
    (limits, plain)
}

impl SavedModel {
    /// Writes `DIR/VERSION/{model.json, card.json, card.md}` and makes it current.
    ///
    /// Each file is written atomically (a hidden temporary name, fsync, rename,
    /// folder fsync), and `CURRENT` only once the model's files are durable: a
    /// crash leaves the previous model current, never a partial one.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ModelError> {
        let folder = dir.join(&self.card.version);
        std::fs::create_dir_all(&folder).map_err(io(&folder))?;
        write_atomically(&folder.join("model.json"), &to_json(self, false))?;
        write_atomically(&folder.join("card.json"), &to_json(&self.card, true))?;
        write_atomically(&folder.join("card.md"), &self.card.markdown())?;
        // Committing CURRENT fsyncs `dir`, which holds the new folder's entry too.
        write_atomically(&dir.join(CURRENT_FILE), &format!("{}\n", self.card.version))?;
        Ok(folder)
    }

    /// Loads the current model of a models folder.
    pub fn load_current(dir: &Path) -> Result<Self, ModelError> {
        let current = dir.join(CURRENT_FILE);
        let version = std::fs::read_to_string(&current).map_err(|_| {
            ModelError::Data(format!(
                "no trained model in {}: run `caretaker train` first",
                dir.display()
            ))
        })?;
        Self::load(&dir.join(version.trim()).join("model.json"))
    }

    /// Loads a model file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        serde_json::from_str(&text).map_err(|source| ModelError::ModelFile {
            path: path.to_owned(),
            source,
        })
    }

    /// Refuses to score a history the model was not trained for.
    pub fn check_compatible(&self, history: &History) -> Result<(), ModelError> {
        if self.format != MODEL_FORMAT || self.feature_version != FEATURE_VERSION {
            return Err(ModelError::Incompatible(format!(
                "model {} was saved with model format {} and feature version {}; this version reads format {MODEL_FORMAT}, features {FEATURE_VERSION}: retrain it with `caretaker train`",
                self.card.version, self.format, self.feature_version
            )));
        }
        let now = fingerprint(history);
        if self.fingerprint != now {
            return Err(ModelError::Incompatible(format!(
                "model {} was trained on another registry (equipment, kinds or sensors differ: fingerprint {} here, {} in the model): retrain it with `caretaker train`",
                self.card.version, now, self.fingerprint
            )));
        }
        Ok(())
    }

    /// Scores every piece of equipment as of `at_ms`, most at risk first.
    pub fn score(&self, history: &History, at_ms: i64) -> Result<Vec<Score>, ModelError> {
        self.check_compatible(history)?;
        let daily = DailyTable::compute(history, at_ms)?;
        let day = as_of_day(at_ms);
        let timelines = Timeline::for_history(history);
        let mut rows = Vec::new();
        let mut down = Vec::new();
        for (e, facts) in history.equipment.iter().enumerate() {
            if day <= facts.installed_day {
                continue;
            }
            let outcome = timelines[e].outcome(at_ms, self.horizon_days, i64::MAX);
            if outcome == Outcome::Down {
                down.push(e);
            } else {
                rows.push(AsOf { equipment: e, day });
            }
        }
        let x = self.features.compute(history, &daily, &rows);
        let p = self.model.probabilities(&x);
        let why = drivers(&self.model, &self.features, history, &daily, &rows, &x);
        let as_of = chrono::DateTime::from_timestamp_millis(at_ms)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let mut scores: Vec<Score> = rows
            .iter()
            .zip(p)
            .zip(why)
            .map(|((r, probability), drivers)| {
                let facts = &history.equipment[r.equipment];
                Score {
                    equipment: facts.id.to_string(),
                    kind: facts.kind.clone(),
                    as_of: as_of.clone(),
                    horizon_days: self.horizon_days,
                    probability,
                    down: false,
                    explanation: explain_in_words(probability, self.horizon_days, &drivers),
                    drivers,
                    model_version: self.card.version.clone(),
                }
            })
            .collect();
        for e in down {
            let facts = &history.equipment[e];
            scores.push(Score {
                equipment: facts.id.to_string(),
                kind: facts.kind.clone(),
                as_of: as_of.clone(),
                horizon_days: self.horizon_days,
                probability: 1.0,
                down: true,
                explanation: "failed and not yet repaired".to_owned(),
                drivers: Vec::new(),
                model_version: self.card.version.clone(),
            });
        }
        scores.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        Ok(scores)
    }
}

fn explain_in_words(probability: f64, horizon: i64, drivers: &[Driver]) -> String {
    let head = format!(
        "{:.0}% chance of failing within {horizon} days",
        100.0 * probability
    );
    if drivers.is_empty() {
        return format!("{head}; nothing stands out against its normal.");
    }
    let reasons: Vec<&str> = drivers.iter().map(|d| d.sentence.as_str()).collect();
    format!("{head}. {}", reasons.join(" "))
}

/// One equipment's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Equipment id.
    pub equipment: String,
    /// Kind.
    pub kind: String,
    /// Time the forecast is for (RFC 3339).
    pub as_of: String,
    /// Horizon in days.
    pub horizon_days: i64,
    /// Probability of failing within the horizon.
    pub probability: f64,
    /// Whether it is broken now (failed, not yet repaired).
    pub down: bool,
    /// The forecast in plain words.
    pub explanation: String,
    /// The features that raise it most.
    pub drivers: Vec<Driver>,
    /// Model version that made it.
    pub model_version: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `text` to `path` with `atomic-write-file`: complete or absent, durable on return.
fn write_atomically(path: &Path, text: &str) -> Result<(), ModelError> {
    let mut file = atomic_write_file::AtomicWriteFile::open(path).map_err(io(path))?;
    file.write_all(text.as_bytes()).map_err(io(path))?;
    file.commit().map_err(io(path))
}

fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.expect("model types serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_stays() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join(CURRENT_FILE);
        write_atomically(&current, "20240101T000000Z\n").unwrap();
        write_atomically(&current, "20240201T000000Z\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&current).unwrap(),
            "20240201T000000Z\n"
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [CURRENT_FILE]);
        let missing = dir.path().join("no such folder").join(CURRENT_FILE);
        assert!(matches!(
            write_atomically(&missing, "x"),
            Err(ModelError::Io { .. })
        ));
    }
}
