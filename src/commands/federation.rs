//! `caretaker federation key | export | preview | import | list | remove`: the
//! co-op's knowledge packs. The packs themselves are `caretaker_federation`'s;
//! here the co-op's learning samples are computed (as `backtest --samples` does)
//! and handed over as a `SampleTable` of kinds, days, labels and feature values.
use std::collections::BTreeMap;

use anyhow::Context as _;
use caretaker_core::{EquipmentKind, EventKind, Timestamp};
use caretaker_federation::{
    KeyPair, Library, Pack, PackOptions, SampleRow, SampleTable, TrustedKeys,
};
use caretaker_models::dataset::Samples;
use caretaker_models::features::FeatureSet;
use caretaker_models::history::DAY_MS;
use caretaker_models::lifecycle::SavedModel;

use crate::cli::{
    FederationCommand, FederationExportArgs, FederationPreviewArgs, ForecastArgs, PackSamplesArgs,
    TrainArgs,
};
use crate::commands::forecast::history_of;
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, cmd: FederationCommand) -> anyhow::Result<()> {
    match cmd {
        FederationCommand::Key { new } => key(config, new),
        FederationCommand::Export(args) => export(config, args).await,
        FederationCommand::Serve {
            hub_dir,
            listen,
            tls,
        } => {
            let tls = match tls {
                true => {
                    let (cert, key) = config.tls_files();
                    Some(crate::tls::server_config(&cert, &key, &[b"http/1.1"])?)
                }
                false => None,
            };
            super::federation_hub::serve(hub_dir, &listen, tls).await
        }
        FederationCommand::Member { name, hub_dir } => {
            super::federation_hub::add_member(hub_dir, &name)
        }
        FederationCommand::Sync {
            hub,
            hub_ca,
            token,
            withdraw,
            samples,
        } => {
            let own = if config.federation.share && !withdraw {
                let key = KeyPair::load(&config.federation_dir())?;
                Some(build_pack(config, &samples).await?.seal(&key))
            } else {
                None
            };
            super::federation_hub::sync(config, &hub, hub_ca.as_deref(), &token, withdraw, own)
                .await
        }
        FederationCommand::Preview(args) => preview(config, args).await,
        FederationCommand::Import { files } => {
            let trusted = TrustedKeys::load(&config.trusted_keys_file())?;
            let kept = library(config).import(&files, &trusted)?;
            for p in kept {
                println!(
                    "accepted {} from {}: {} rows, {} failures ({})",
                    p.name,
                    p.manifest.coop,
                    p.manifest.rows,
                    p.manifest.failures_by_kind.values().sum::<usize>(),
                    if p.replaced {
                        "replaces its earlier pack"
                    } else {
                        "new"
                    }
                );
            }
            Ok(())
        }
        FederationCommand::List => {
            let packs = library(config).list()?;
            if packs.is_empty() {
                println!("no packs accepted");
            }
            for p in packs {
                println!(
                    "{:<20} {} rows, {} failures, weeks {} to {}, from {}",
                    p.name,
                    p.manifest.rows,
                    p.manifest.failures_by_kind.values().sum::<usize>(),
                    p.manifest.first_week.map_or("-".into(), |d| d.to_string()),
                    p.manifest.last_week.map_or("-".into(), |d| d.to_string()),
                    p.manifest.coop
                );
            }
            Ok(())
        }
        FederationCommand::Remove { name } => {
            let path = library(config).remove(&name)?;
            println!("removed pack {name} ({})", path.display());
            retrain_without(config, &name).await
        }
    }
}

/// After a pack is removed: the current model is trained again (with its horizon),
/// so that nothing it learned from the pack stays in the forecasts.
async fn retrain_without(config: &Config, name: &str) -> anyhow::Result<()> {
    let models = caretaker_data::DataDir::open(&config.data_dir)?.models_dir();
    let Ok(current) = SavedModel::load_current(&models) else {
        println!("no model has been trained yet: nothing to retrain");
        return Ok(());
    };
    println!(
        "training the model again without {name}'s pack (horizon {} days)...",
        current.horizon_days
    );
    super::forecast::train(
        config,
        TrainArgs {
            forecast: ForecastArgs {
                horizon: current.horizon_days,
                ..ForecastArgs::default()
            },
            algorithm: None,
            no_backtest: false,
        },
    )
    .await
}

fn library(config: &Config) -> Library {
    Library::new(config.federation_dir().join("packs"))
}

fn key(config: &Config, new: bool) -> anyhow::Result<()> {
    let dir = config.federation_dir();
    let key = if KeyPair::exists(&dir) && !new {
        println!(
            "the co-op already has a key pair in {} (--new replaces it)",
            dir.display()
        );
        KeyPair::load(&dir)?
    } else {
        let key = KeyPair::generate();
        key.save(&dir)?;
        println!("made the co-op's key pair in {}", dir.display());
        key
    };
    println!("public key: {}", key.public());
    println!(
        "written to {} (the secret key stays in this folder: never send it)",
        KeyPair::public_path(&dir).display()
    );
    println!(
        "another co-op accepts this co-op's packs once its trusted keys hold the line:\n  {} {}",
        config
            .federation
            .name
            .as_deref()
            .map_or("our-coop".into(), pack_name),
        key.public()
    );
    Ok(())
}

/// A name fit for a trusted-keys line, from the co-op's display name.
fn pack_name(display: &str) -> String {
    let name: String = display
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-').chars().take(40).collect::<String>();
    if name.is_empty() {
        "our-coop".into()
    } else {
        name
    }
}

async fn export(config: &Config, args: FederationExportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.federation.share,
        "not exported: this co-op shares nothing until its configuration says \
         `share = true` under [federation] (now false). Run `caretaker federation preview` \
         to show members what a pack would hold; if they agree, set it in caretaker.toml."
    );
    let key = KeyPair::load(&config.federation_dir())?;
    let pack = build_pack(config, &args.samples).await?;
    let bytes = pack.seal(&key);
    let mut file = atomic_write_file::AtomicWriteFile::open(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    std::io::Write::write_all(&mut file, &bytes)
        .and_then(|()| file.commit())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    print!("{}", pack.manifest);
    println!(
        "\nsigned with key {}\nwritten to {} ({} bytes)",
        key.public(),
        args.out.display(),
        bytes.len()
    );
    Ok(())
}

async fn preview(config: &Config, args: FederationPreviewArgs) -> anyhow::Result<()> {
    let pack = build_pack(config, &args.samples).await?;
    println!(
        "This is what `caretaker federation export` would write, and nothing else. \
         Nothing has been written or sent.\n(Machine pseudonyms are drawn afresh for each pack.)\n"
    );
    print!("{}", pack.manifest);
    println!(
        "\nThe first {} of its {} rows:",
        args.rows.min(pack.rows.len()),
        pack.rows.len()
    );
    let mut header = vec![
        "machine".to_owned(),
        "kind".into(),
        "week".into(),
        "failed".into(),
    ];
    header.extend(pack.features.iter().cloned());
    println!("  {}", header.join(" | "));
    for (machine, kind, week, failed, values) in pack.rows.iter().take(args.rows) {
        let values: Vec<String> = values
            .iter()
            .map(|v| v.map_or("(none)".into(), |v| v.to_string()))
            .collect();
        println!(
            "  {machine} | {kind} | {week} | {failed} | {}",
            values.join(" | ")
        );
    }
    println!(
        "\nSharing is {} (federation.share in the configuration).",
        if config.federation.share {
            "on: `caretaker federation export --out FILE` writes and signs this pack"
        } else {
            "off: `caretaker federation export` refuses until members set share = true"
        }
    );
    Ok(())
}

/// The co-op's pack, built from its learning samples.
async fn build_pack(config: &Config, args: &PackSamplesArgs) -> anyhow::Result<Pack> {
    anyhow::ensure!(
        args.horizon >= 1 && args.step >= 1,
        "--horizon and --step must be at least 1 day"
    );
    let table = sample_table(config, args).await?;
    Ok(Pack::build(
        &table,
        &PackOptions {
            coop: config.federation.name.clone(),
            horizon_days: args.horizon,
            today: chrono::Utc::now().date_naive(),
        },
    )?)
}

/// The learning samples `backtest --samples` writes, with the failures over their days.
async fn sample_table(config: &Config, args: &PackSamplesArgs) -> anyhow::Result<SampleTable> {
    let ctx = Context::open(config).await?;
    let history = history_of(&ctx.data, &ctx.registry, &ctx.store).await?;
    let features = FeatureSet::for_history(&history);
    let samples = Samples::build(&history, &features, args.horizon, args.step)?;
    let date = |day: i64| {
        Timestamp::from_millis(day * DAY_MS)
            .to_datetime()
            .date_naive()
    };
    let mut rows = Vec::with_capacity(samples.len());
    for (r, at) in samples.rows.iter().enumerate() {
        let e = &history.equipment[at.equipment];
        rows.push(SampleRow {
            machine: e.id.to_string(),
            kind: EquipmentKind::parse(&e.kind)?,
            day: date(at.day),
            fails: samples.y[r],
            values: samples.feature_row(r, features.features.len()),
        });
    }
    let first = samples.rows.iter().map(|a| a.day).min().unwrap_or(0);
    let last = samples.rows.iter().map(|a| a.day).max().unwrap_or(0) + args.horizon;
    let mut failures_by_kind: BTreeMap<EquipmentKind, usize> = BTreeMap::new();
    for event in &history.events {
        let day = event.ts.millis().div_euclid(DAY_MS);
        if event.kind != EventKind::Failure || day < first || day >= last {
            continue;
        }
        if let Some(i) = history.equipment_index(&event.equipment) {
            *failures_by_kind
                .entry(EquipmentKind::parse(&history.equipment[i].kind)?)
                .or_default() += 1;
        }
    }
    Ok(SampleTable {
        features: features.names(),
        rows,
        failures_by_kind,
    })
}
