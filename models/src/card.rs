//! The model card in members' words, for a general meeting: what the model is,
//! what it learned from, how well it did in backtests, what it cannot do, and the
//! figures the charts of the `/model` page and the monthly report draw.
//!
//! Built once, when the model is trained ([`PlainCard::new`]), and kept in its
//! [`ModelCard`](crate::lifecycle::ModelCard) (`card.json`): read it with
//! `SavedModel::load_current(dir)?.card.plain`.

use caretaker_core::EquipmentKind;
use caretaker_core::local::local_date;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::backtest::{BacktestReport, ModelResult, TOP_EACH_MONTH};
use crate::history::{DAY_MS, History};
use crate::learners::Algorithm;
use crate::metrics::PrPoint;
use crate::pooled::ImportedSummary;

/// Name of the rate baseline's result in a backtest report.
pub const RATE_BASELINE: &str = "baseline_rate_by_kind_and_age";
/// Name of the threshold rule's result in a backtest report.
pub const THRESHOLD_BASELINE: &str = "baseline_threshold_rule";

/// The model card in members' words, with the data of its charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlainCard {
    /// A title (`How Caretaker's forecast works`).
    pub title: String,
    /// The text, in order: what it is, what it learned from, how well it did,
    /// what it cannot do.
    pub sections: Vec<Section>,
    /// Calibration of the model in the backtest, by tenths of its cases from the
    /// lowest forecasts to the highest; empty without a backtest.
    pub calibration: Vec<Decile>,
    /// Precision–recall curves in the backtest: the model first, then the rule
    /// based on age and kind, then the single-sensor alarm rule; empty without a
    /// backtest.
    pub precision_recall: Vec<Curve>,
}

/// A section of the card: a heading and its paragraphs of plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The heading (`What it is`).
    pub heading: String,
    /// Paragraphs, plain text without markup.
    pub paragraphs: Vec<String>,
}

/// One tenth of the backtest's cases, by forecast: what the model said and what happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decile {
    /// The mean forecast probability of its cases.
    pub predicted: f64,
    /// The share of its cases that failed within the horizon.
    pub observed: f64,
    /// Its cases.
    pub count: usize,
}

/// A precision–recall curve: flag more of the ranking, catch more failures, with
/// more false alarms among them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Its name in the backtest report (`random_forest`, `baseline_rate_by_kind_and_age`).
    pub key: String,
    /// Its name for members (`Caretaker's model`, `Age and kind alone`).
    pub name: String,
    /// The points, from the top of the ranking down.
    pub points: Vec<PrPoint>,
}

/// What the card says of the training, besides the backtest.
#[derive(Debug, Clone)]
pub struct Trained<'a> {
    /// The learner.
    pub algorithm: Algorithm,
    /// Horizon in days.
    pub horizon_days: i64,
    /// Snapshots it learned from, and how many were followed by a failure.
    pub cases: usize,
    /// Snapshots followed by a failure within the horizon.
    pub failing_cases: usize,
    /// The backtest, if one was run.
    pub backtest: Option<&'a BacktestReport>,
    /// Limits in plain words (kinds it never saw fail...).
    pub limits: &'a [String],
    /// Other co-ops' samples it learned from, if any.
    pub packs: Option<&'a ImportedSummary>,
}

impl PlainCard {
    /// The card of a model trained on `history`.
    pub fn new(history: &History, trained: &Trained<'_>) -> Self {
        // With the packs, the backtest figures are those of learners fitted with them.
        let with_packs = trained
            .backtest
            .filter(|_| trained.packs.is_some())
            .map(BacktestReport::with_packs);
        let trained = &Trained {
            backtest: with_packs.as_ref().or(trained.backtest),
            ..trained.clone()
        };
        let mut sections = vec![what_it_is(history, trained), learned_from(history, trained)];
        if let Some(section) = other_coops(trained) {
            sections.push(section);
        }
        sections.push(match trained.backtest {
            Some(report) => how_well(report, trained),
            None => Section {
                heading: "How well it did".into(),
                paragraphs: vec![
                    "This model was not checked against the past before it was trained, so \
                     there are no figures on how well it forecasts. Training it again with its \
                     backtest (`caretaker train`) gives them."
                        .into(),
                ],
            },
        });
        sections.push(cannot_do(trained));
        let (calibration, precision_recall) =
            trained.backtest.map_or((Vec::new(), Vec::new()), charts);
        Self {
            title: "How Caretaker's forecast works".into(),
            sections,
            calibration,
            precision_recall,
        }
    }

    /// The card as Markdown (a heading per section).
    pub fn markdown(&self) -> String {
        let mut md = format!("# {}\n", self.title);
        for s in &self.sections {
            md += &format!("\n## {}\n", s.heading);
            for p in &s.paragraphs {
                md += &format!("\n{p}\n");
            }
        }
        md
    }

    /// The card as plain text for a terminal, paragraphs wrapped at 80 columns.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for s in &self.sections {
            out += &format!("\n{}\n", s.heading.to_uppercase());
            for p in &s.paragraphs {
                out += &format!("{}\n", wrap(p, 80));
            }
        }
        out
    }
}

fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// The learner in members' words.
fn learner_in_words(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::LogisticRegression => {
            "a weighted checklist (a logistic regression): each warning sign it watches adds a \
             set amount to the risk, and the amounts were learned from the co-op's past failures"
        }
        Algorithm::DecisionTree => {
            "a decision tree: a short series of yes-or-no questions about the warning signs it \
             watches, learned from the co-op's past failures"
        }
        Algorithm::RandomForest => {
            "a random forest: fifty decision trees, each a short series of yes-or-no questions \
             about the warning signs it watches, each learned from a different part of the \
             co-op's past, whose answers are averaged"
        }
    }
}

fn what_it_is(history: &History, t: &Trained<'_>) -> Section {
    Section {
        heading: "What it is".into(),
        paragraphs: vec![
            format!(
                "Every hour, Caretaker estimates for each of the co-op's {} pieces of equipment \
                 the chance that it breaks down within the next {} days. The estimate comes from \
                 {}.",
                history.equipment.len(),
                t.horizon_days,
                learner_in_words(t.algorithm)
            ),
            "The warning signs are the machine's own sensor readings compared with its usual \
             readings and with machines of the same kind, how long since its last service and \
             its last breakdown, its alarms, residents' reports, its age and the time of year. \
             Each forecast lists the signs that raise it most. The forecast advises; the \
             committee decides what to do."
                .into(),
        ],
    }
}

/// "6 boilers", "1 sump pump".
fn kind_count(kind: &str, n: usize) -> String {
    let label = EquipmentKind::parse(kind)
        .map_or_else(|_| kind.replace('_', " "), |k| k.label().to_owned());
    if n == 1 {
        format!("1 {label}")
    } else {
        format!("{n} {label}s")
    }
}

/// "a, b and c".
fn listed(items: &[String]) -> String {
    listed_with(items, ", ")
}

/// "a; b and c": for names that may hold commas (`Boiler 1, Maple Court`).
fn listed_with(items: &[String], separator: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(separator)),
    }
}

fn date_of_day(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|d| local_date(d.date_naive()))
        .unwrap_or_else(|| local_date(NaiveDate::default()))
}

fn learned_from(history: &History, t: &Trained<'_>) -> Section {
    let kinds = history.kind_names();
    let by_kind: Vec<String> = kinds
        .iter()
        .map(|k| kind_count(k, history.equipment.iter().filter(|e| &e.kind == k).count()))
        .collect();
    let failures: Vec<&caretaker_core::Event> = history
        .events
        .iter()
        .filter(|e| e.kind == caretaker_core::EventKind::Failure)
        .collect();
    let mut failed_names: Vec<(String, usize)> = Vec::new();
    for f in &failures {
        let name = history.equipment_index(&f.equipment).map_or_else(
            || f.equipment.to_string(),
            |i| history.equipment[i].name.clone(),
        );
        match failed_names.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => failed_names.push((name, 1)),
        }
    }
    let days = history.end_day - history.start_day;
    let mut paragraphs = vec![format!(
        "It learned from {} days of the co-op's own records, from {} to {}: the sensor \
         readings and the maintenance log of {} pieces of equipment ({}).",
        days,
        date_of_day(history.start_day),
        date_of_day(history.end_day - 1),
        history.equipment.len(),
        listed(&by_kind)
    )];
    paragraphs.push(if failures.is_empty() {
        "No breakdown was recorded in that time, so it has not seen what a failure looks like."
            .into()
    } else {
        let named: Vec<String> = failed_names
            .iter()
            .map(|(n, c)| {
                if *c == 1 {
                    n.clone()
                } else {
                    format!("{n} ({c} times)")
                }
            })
            .collect();
        format!(
            "{} recorded in that time: {}.",
            if failures.len() == 1 {
                "1 breakdown was".to_owned()
            } else {
                format!("{} breakdowns were", failures.len())
            },
            listed_with(&named, "; ")
        )
    });
    paragraphs.push(format!(
        "It looked at each machine every few days: {} snapshots, {} of them followed by a \
         breakdown within {} days.",
        t.cases, t.failing_cases, t.horizon_days
    ));
    Section {
        heading: "What it learned from".into(),
        paragraphs,
    }
}

fn result<'a>(report: &'a BacktestReport, name: &str) -> Option<&'a ModelResult> {
    report.results.iter().find(|r| r.name == name)
}

fn percent(v: f64) -> String {
    format!("{:.0}%", 100.0 * v)
}

/// What other co-ops' knowledge packs brought: how many co-ops and failures, and the
/// backtest learning from the co-op alone against learning with the packs.
fn other_coops(t: &Trained<'_>) -> Option<Section> {
    let federated = t.backtest.and_then(|r| r.federated.as_ref());
    if t.packs.is_none() && federated.is_none() {
        return None;
    }
    let mut paragraphs = Vec::new();
    if let Some(packs) = t.packs {
        paragraphs.push(format!(
            "Besides the co-op's own records, it learned from the knowledge packs of {} other \
             co-op{} ({}), which recorded {} breakdowns: {} snapshots of their machines, {} of \
             them followed by a breakdown within {} days. A pack holds no reading, name or address, only warning signs \
             measured against each machine's own normal, which mean the same in every co-op. \
             Its chances are still set by this co-op's own record alone.",
            packs.coops.len(),
            if packs.coops.len() == 1 { "" } else { "s" },
            packs.coops.join(", "),
            packs.failures,
            packs.rows,
            packs.failing_rows,
            t.horizon_days
        ));
    }
    if let Some(fed) = federated
        && let (Some(own), Some(pooled)) = (fed.own_pr_auc, fed.federated_pr_auc)
    {
        let se = fed.standard_error.unwrap_or(0.0);
        paragraphs.push(format!(
            "Replaying the co-op's past both ways: learning from its own records alone, the \
                 forecasts scored {own:.3} for putting the machines that went on to fail at the \
                 top (PR-AUC, from 0 to 1, higher is better); learning also from the packs, \
                 {pooled:.3}. Chance alone moves that difference by about {se:.3}. {}",
            if fed.used {
                "So this model learns from the packs."
            } else {
                "The co-op's own records did better by more than chance explains, so this \
                     model learns from them alone."
            }
        ));
    }
    Some(Section {
        heading: "What other co-ops taught it".into(),
        paragraphs,
    })
}

fn how_well(report: &BacktestReport, t: &Trained<'_>) -> Section {
    let h = t.horizon_days;
    let mut paragraphs = vec![format!(
        "To check it, Caretaker replayed the past {} times: each time it learned only from \
         what was known up to a date, then forecast the following three months, and the \
         forecasts were compared with what happened.",
        report.folds.len()
    )];
    let model = result(report, t.algorithm.name());
    let caught = |r: Option<&ModelResult>| {
        r.and_then(|r| r.top_each_month)
            .and_then(|c| c.precision.map(|p| (p * c.flagged as f64).round() as usize))
    };
    if let (Some(m), Some(top)) = (model, model.and_then(|m| m.top_each_month)) {
        let months = match report.snapshot_months {
            0 => top.flagged.div_ceil(TOP_EACH_MONTH.max(1)),
            n => n,
        };
        let failed = caught(Some(m)).unwrap_or(0);
        let rate = caught(result(report, RATE_BASELINE));
        let rule = caught(result(report, THRESHOLD_BASELINE));
        let mut text = format!(
            "Each month it ranked the equipment from riskiest down. Over {months} months, of \
             the {TOP_EACH_MONTH} pieces of equipment it ranked riskiest each month ({} places on \
             those lists), {failed} failed within {h} days",
            top.flagged
        );
        if let Some(r) = top.recall {
            text += &format!(", {} of all the breakdowns in those months", percent(r));
        }
        text += ".";
        if let Some(rate) = rate {
            text += &format!(
                " The simple rule based on age and kind alone, as a maintenance schedule would \
                 rank them, caught {rate}"
            );
            match rule {
                Some(rule) => text += &format!("; the best single-sensor alarm caught {rule}."),
                None => text += ".",
            }
        }
        paragraphs.push(text);
    }
    if let Some(m) = model {
        let deciles = &m.scorecard.calibration;
        if let (Some(low), Some(high)) = (deciles.first(), deciles.last()) {
            paragraphs.push(format!(
                "How far its chances can be taken at their word: in the tenth of snapshots it \
                 found riskiest it gave {} on average, and {} of them failed within {h} days; in \
                 the tenth it found safest it gave {}, and {} failed. The chart compares every \
                 tenth.",
                percent(high.mean_predicted),
                percent(high.observed_rate),
                percent(low.mean_predicted),
                percent(low.observed_rate),
            ));
        }
    }
    if let Some(choice) = report.choice {
        paragraphs.push(format!(
            "Three kinds of model were tried this way; {} was kept because it ranked the \
             breakdowns best, or nearly as well as the best while being simpler \
             (precision–recall score {:.2}).",
            match choice.algorithm {
                Algorithm::LogisticRegression => "the weighted checklist",
                Algorithm::DecisionTree => "the decision tree",
                Algorithm::RandomForest => "the random forest",
            },
            choice.pr_auc
        ));
    }
    Section {
        heading: "How well it did".into(),
        paragraphs,
    }
}

fn cannot_do(t: &Trained<'_>) -> Section {
    let mut paragraphs = vec![
        format!(
            "A chance is not a promise: of a hundred machines each given 10%, about ten will \
             break down within {} days, and no one can say beforehand which.",
            t.horizon_days
        ),
        "It cannot see what leaves no trace in the sensors or the log: a sudden electrical \
         fault or a burst pipe is forecast only from age and history, as any maintenance \
         schedule would."
            .into(),
    ];
    paragraphs.extend(t.limits.iter().cloned());
    Section {
        heading: "What it cannot do".into(),
        paragraphs,
    }
}

/// The chart data of a backtest: the chosen learner's (else the best PR-AUC's)
/// calibration, and the curves of that learner and both baselines.
fn charts(report: &BacktestReport) -> (Vec<Decile>, Vec<Curve>) {
    let model = report
        .best
        .as_deref()
        .and_then(|b| result(report, b))
        .or_else(|| report.results.iter().find(|r| !r.baseline));
    let calibration = model.map_or(Vec::new(), |m| {
        m.scorecard
            .calibration
            .iter()
            .map(|b| Decile {
                predicted: b.mean_predicted,
                observed: b.observed_rate,
                count: b.count,
            })
            .collect()
    });
    let mut curves = Vec::new();
    let named = [
        (model, "Caretaker's model"),
        (result(report, RATE_BASELINE), "Age and kind alone"),
        (
            result(report, THRESHOLD_BASELINE),
            "Best single-sensor alarm",
        ),
    ];
    for (r, name) in named {
        if let Some(r) = r {
            curves.push(Curve {
                key: r.name.clone(),
                name: name.into(),
                points: r.precision_recall.clone(),
            });
        }
    }
    (calibration, curves)
}
