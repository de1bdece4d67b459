//! `caretaker backtest | train | score | eval cmapss`: forecasting from the data directory.
//!
//! The history comes from the Parquet readings store and the events in the
//! operational store; the work itself is in `caretaker_models`.
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use atomic_write_file::AtomicWriteFile;
use caretaker_core::local::{local_stamp, parse_naive};
use caretaker_core::{EquipmentId, Registry, Timestamp, Tz};
use caretaker_data::{DataDir, Store};
use caretaker_federation::{KeyPair, Library};
use caretaker_models::backtest::{self, BacktestConfig};
use caretaker_models::cmapss;
use caretaker_models::dataset::Samples;
use caretaker_models::features::FeatureSet;
use caretaker_models::history::{DAY_MS, History};
use caretaker_models::learners::Algorithm;
use caretaker_models::lifecycle::{SavedModel, Score, TrainOptions, train as train_model};
use caretaker_models::pooled::{Imported, ImportedRow, ImportedTable};
use chrono::TimeZone as _;
use chrono::offset::LocalResult;

use crate::cli::{BacktestArgs, EvalCommand, ScoreArgs, ScoreFormat, TrainArgs};
use crate::config::Config;
use crate::context::Context;

/// The co-op's history: every stored reading and event.
async fn load_history(ctx: &Context) -> anyhow::Result<History> {
    history_of(&ctx.data, &ctx.registry, &ctx.store).await
}

/// The history of a data directory: the daily aggregates of every stored
/// reading (refreshed first: only days whose raw readings changed are read) and
/// every event.
pub(crate) async fn history_of(
    data: &DataDir,
    registry: &Registry,
    store: &Store,
) -> anyhow::Result<History> {
    let dir = data.clone();
    let scanned = tokio::task::spawn_blocking(move || {
        super::aggregates::refresh(&dir)?;
        anyhow::Ok(caretaker_ingest::aggregates::scan(&dir.aggregates_dir())?)
    })
    .await??;
    let Some(daily) = scanned else {
        anyhow::bail!(
            "no readings in {}: run `caretaker ingest`, or `caretaker import readings FILE` with history first",
            data.readings_dir().display()
        );
    };
    let events = store.events(None).await?;
    Ok(History::from_daily_aggregates(
        registry,
        daily.chunks,
        events,
        daily.first_day,
        daily.last_day + 1,
    ))
}

/// Forecasts for every piece of equipment at `at` with the current model.
pub(crate) async fn score_at(
    data: &DataDir,
    registry: &Registry,
    store: &Store,
    at: Timestamp,
) -> anyhow::Result<Vec<Score>> {
    let model = SavedModel::load_current(&data.models_dir())?;
    let history = history_of(data, registry, store).await?;
    let scores = tokio::task::spawn_blocking(move || model.score(&history, at.millis())).await??;
    Ok(scores)
}

fn now_version() -> (String, String) {
    let now = chrono::Utc::now();
    (
        now.format("%Y%m%dT%H%M%SZ").to_string(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// The samples of every knowledge pack the co-op has accepted (`federation import`)
/// with this horizon, in the learner columns of `features`; a pack signed with the
/// co-op's own key is left out (its rows are the co-op's own, already learned from).
pub(crate) fn imported_samples(
    config: &Config,
    features: &FeatureSet,
    horizon_days: i64,
) -> anyhow::Result<Option<Imported>> {
    let dir = config.federation_dir();
    let own = KeyPair::exists(&dir)
        .then(|| KeyPair::load(&dir).map(|k| k.public()))
        .transpose()?;
    let epoch = chrono::NaiveDate::default();
    let mut tables = Vec::new();
    for (name, signer, pack) in Library::new(dir.join("packs")).packs()? {
        if Some(signer) == own {
            tracing::warn!(
                pack = name,
                "a pack signed with the co-op's own key is not learned from"
            );
            continue;
        }
        if pack.manifest.horizon_days != horizon_days {
            tracing::warn!(
                pack = name,
                pack_horizon = pack.manifest.horizon_days,
                horizon_days,
                "a pack made for another horizon is not learned from"
            );
        }
        tables.push(ImportedTable {
            coop: name,
            horizon_days: pack.manifest.horizon_days,
            failures: pack.manifest.failures_by_kind.values().sum(),
            features: pack.features,
            rows: pack
                .rows
                .into_iter()
                .map(|(_, kind, week, failed, values)| ImportedRow {
                    kind,
                    week_day: (week - epoch).num_days(),
                    fails: failed == 1,
                    values,
                })
                .collect(),
        });
    }
    Ok(Imported::new(features, &tables, horizon_days))
}

/// The backtest, with the accepted packs' samples (`imported`, see [`imported_samples`]).
fn run_backtest(
    history: &History,
    bt: &BacktestConfig,
    imported: Option<&Imported>,
    samples_csv: Option<&Path>,
) -> anyhow::Result<backtest::BacktestReport> {
    let features = FeatureSet::for_history(history);
    let samples = Samples::build(history, &features, bt.horizon_days, bt.step_days)?;
    if let Some(path) = samples_csv {
        write_samples_csv(path, history, &features, &samples)?;
    }
    tracing::info!(
        samples = samples.len(),
        failures = samples.positives(),
        features = features.features.len(),
        "backtest samples"
    );
    if let Some(imported) = imported {
        tracing::info!(
            coops = imported.coops.len(),
            samples = imported.y.len(),
            "samples from accepted knowledge packs"
        );
    }
    Ok(backtest::run(history, &features, samples, bt, imported)?)
}

/// The samples as CSV: equipment, kind, date (features as of its start), whether
/// it failed within the horizon, then one column per feature (empty when missing).
fn write_samples_csv(
    path: &Path,
    history: &History,
    features: &FeatureSet,
    samples: &Samples,
) -> anyhow::Result<()> {
    write_atomically(path, |file| {
        let mut out = csv::Writer::from_writer(file);
        let names = features.names();
        out.write_record(
            ["equipment", "kind", "date", "fails"]
                .into_iter()
                .chain(names.iter().map(String::as_str)),
        )?;
        for (r, at) in samples.rows.iter().enumerate() {
            let e = &history.equipment[at.equipment];
            let date = Timestamp::from_millis(at.day * DAY_MS)
                .to_datetime()
                .format("%Y-%m-%d")
                .to_string();
            out.write_field(e.id.as_str())?;
            out.write_field(&e.kind)?;
            out.write_field(&date)?;
            out.write_field(if samples.y[r] { "1" } else { "0" })?;
            for v in samples.feature_row(r, features.features.len()) {
                out.write_field(if v.is_finite() {
                    v.to_string()
                } else {
                    String::new()
                })?;
            }
            out.write_record(None::<&[u8]>)?;
        }
        out.flush()?;
        Ok(())
    })
}

/// Writes `path` atomically with `atomic-write-file` (a hidden temporary name,
/// fsync, rename, folder fsync): `fill` writes the contents, and the file
/// appears whole or not at all.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut AtomicWriteFile) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let write = || -> anyhow::Result<()> {
        let mut file = AtomicWriteFile::open(path)?;
        fill(&mut file)?;
        file.commit()?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(value)?;
    write_atomically(path, |file| Ok(file.write_all(text.as_bytes())?))
}

pub async fn backtest(config: &Config, args: BacktestArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let history = load_history(&ctx).await?;
    let bt = BacktestConfig {
        horizon_days: args.forecast.horizon,
        step_days: args.forecast.step,
        capacity_per_month: args.capacity,
        seed: args.forecast.seed,
        ..BacktestConfig::default()
    };
    let imported = imported_samples(
        config,
        &FeatureSet::for_history(&history),
        args.forecast.horizon,
    )?;
    let report = run_backtest(&history, &bt, imported.as_ref(), args.samples.as_deref())?;
    print!("{}", report.table());
    let path = args.out.unwrap_or_else(|| {
        ctx.data
            .reports_dir()
            .join(format!("backtest-{}.json", now_version().0))
    });
    write_json(&path, &report)?;
    println!("report: {}", path.display());
    Ok(())
}

pub async fn train(config: &Config, args: TrainArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let history = load_history(&ctx).await?;
    let algorithm = match args.algorithm.as_deref() {
        Some(name) => Some(
            Algorithm::ALL
                .into_iter()
                .find(|a| a.name() == name)
                .with_context(|| {
                    format!(
                        "--algorithm {name}: unknown; use one of {}",
                        Algorithm::ALL.map(|a| a.name()).join(", ")
                    )
                })?,
        ),
        None => None,
    };
    // The accepted packs, read once for the backtest and the training.
    let imported = imported_samples(
        config,
        &FeatureSet::for_history(&history),
        args.forecast.horizon,
    )?;
    let backtest = if args.no_backtest {
        None
    } else {
        let bt = BacktestConfig {
            horizon_days: args.forecast.horizon,
            step_days: args.forecast.step,
            seed: args.forecast.seed,
            ..BacktestConfig::default()
        };
        let report = run_backtest(&history, &bt, imported.as_ref(), None)?;
        print!("{}", report.table());
        caretaker_core::memory::release_freed_memory();
        Some(report)
    };
    let (version, trained_at) = now_version();
    let saved = train_model(
        &history,
        &TrainOptions {
            horizon_days: args.forecast.horizon,
            step_days: args.forecast.step,
            algorithm,
            backtest,
            seed: args.forecast.seed,
            version,
            trained_at,
            imported,
        },
    )?;
    let folder = saved.save(&ctx.data.models_dir())?;
    if let Some(plain) = &saved.card.plain {
        println!("\n{}", plain.text());
    }
    println!(
        "model {} ({}, {} training cases, {} failures) saved in {}; its card: {}",
        saved.card.version,
        saved.card.algorithm.name(),
        saved.card.training_cases,
        saved.card.training_failures,
        folder.display(),
        folder.join("card.md").display()
    );
    Ok(())
}

pub async fn score(config: &Config, args: ScoreArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let at = match &args.at {
        Some(text) => at_time(text, ctx.registry.timezone())?,
        None => Timestamp::now(),
    };
    let model = SavedModel::load_current(&ctx.data.models_dir())?;
    let history = load_history(&ctx).await?;
    if at.millis() > history.end_day * DAY_MS + 2 * DAY_MS {
        tracing::warn!(
            "the newest readings are older than the forecast time: forecasts rest on old data"
        );
    }
    let scores = model.score(&history, at.millis())?;
    match args.format {
        ScoreFormat::Json => println!("{}", serde_json::to_string_pretty(&scores)?),
        ScoreFormat::Csv => print!("{}", scores_csv(&scores)?),
        ScoreFormat::Table => print!("{}", scores_table(&ctx.registry, at, &scores)),
    }
    Ok(())
}

/// `--at`: RFC 3339 or epoch milliseconds as they are; a date or a time without an
/// offset on the co-op's clock (a time the clocks skipped or passed twice is refused).
fn at_time(text: &str, tz: Tz) -> anyhow::Result<Timestamp> {
    let Some(naive) = parse_naive(text) else {
        return Timestamp::parse(text).with_context(|| format!("--at {text}"));
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(Timestamp::from_millis(t.timestamp_millis())),
        _ => anyhow::bail!(
            "--at {text}: that time happened twice or not at all in {} (a daylight-saving \
             change); give it with its offset",
            tz.name()
        ),
    }
}

/// The forecasts for people: the time in the co-op's zone, then each piece of
/// equipment by name with its probability and the reasons in plain words.
fn scores_table(registry: &Registry, at: Timestamp, scores: &[Score]) -> String {
    let tz = registry.timezone();
    let mut out = String::new();
    if let Some(first) = scores.first() {
        out += &format!(
            "Forecasts as of {} ({}): the chance of failing within {} days (model {})\n",
            local_stamp(at, tz),
            tz.name(),
            first.horizon_days,
            first.model_version
        );
    }
    for s in scores {
        let equipment = EquipmentId::parse(&s.equipment)
            .ok()
            .and_then(|id| registry.equipment_by_id(&id));
        let (name, kind) = equipment.map_or((s.equipment.as_str(), s.kind.as_str()), |e| {
            (e.name.as_str(), e.kind.label())
        });
        out += &format!(
            "\n{:>5.1}%  {name} ({}, {kind})\n",
            100.0 * s.probability,
            s.equipment
        );
        if s.down {
            out += "        Out of service: failed and not yet repaired.\n";
        } else if s.drivers.is_empty() {
            out += "        Nothing stands out against its normal.\n";
        }
        for d in &s.drivers {
            let points = d.points();
            let unit = if points == 1 { "point" } else { "points" };
            out += &format!("        - {} (+{points} {unit})\n", d.sentence);
        }
    }
    out
}

/// The forecasts as CSV, one row per piece of equipment, its three main drivers by name.
fn scores_csv(scores: &[Score]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "equipment",
        "kind",
        "as_of",
        "horizon_days",
        "probability",
        "down",
        "driver_1",
        "driver_2",
        "driver_3",
        "explanation",
        "model_version",
    ])?;
    for s in scores {
        let driver = |i: usize| s.drivers.get(i).map_or("", |d| d.feature.as_str());
        out.write_record([
            s.equipment.as_str(),
            &s.kind,
            &s.as_of,
            &s.horizon_days.to_string(),
            &format!("{:.6}", s.probability),
            &s.down.to_string(),
            driver(0),
            driver(1),
            driver(2),
            &s.explanation,
            &s.model_version,
        ])?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

pub fn eval(cmd: EvalCommand) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Cmapss(args) => {
            let report = cmapss::evaluate(&args.dir, &args.subset, args.within, args.seed)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.table());
            }
            Ok(())
        }
    }
}
