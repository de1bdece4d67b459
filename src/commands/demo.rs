//! `caretaker demo`: the whole product on embedded defaults with a simulated co-op.
//!
//! In its own data directory (default `./caretaker-demo`): the sample co-op's
//! registry, a simulated history up to now written into the readings store and the
//! event history, a model trained on it, then `serve` (embedded MQTT listener, ingest,
//! scoring, API) with simulated gateways publishing live readings through the
//! embedded listener. Prints the URLs and a token for each role. A second start
//! reuses the history and model.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use caretaker_api::board::RiskBoard;
use caretaker_core::{ReadingBatch, Role, Timestamp, UnitId};
use caretaker_data::simulate::{Simulation, SimulationParams};
use caretaker_ingest::payload::encode_batch;
use caretaker_ingest::publish::{BrokerUrl, GatewayLogins, GatewayPublishers};
use caretaker_ingest::store::ReadingsStore;
use caretaker_models::backtest::{self, BacktestConfig};
use caretaker_models::dataset::Samples;
use caretaker_models::features::FeatureSet;
use caretaker_models::lifecycle::{TrainOptions, train as train_model};

use crate::cli::DemoArgs;
use crate::commands::forecast::history_of;
use crate::commands::gateway::issue_passwords;
use crate::commands::ingest::wait_for_stop;
use crate::commands::serve::Services;
use crate::config::Config;
use crate::context::Context;

/// Readings buffered before each write while loading the history.
const FLUSH_READINGS: usize = 1_000_000;

/// Seconds between two scorings in the demo.
const DEMO_SCORE_EVERY: Duration = Duration::from_secs(300);

/// Runs the demo until Ctrl-C or `--duration`.
pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<()> {
    let config = demo_config(config, &args)?;
    let began = Instant::now();
    let ctx = Context::open(&config).await?;
    let now = Timestamp::now();
    ensure_trained(&ctx, &config, &args, now, began).await?;

    // The simulated gateways log in as the registry's gateways, each publishing
    // only its own sensors; a new start issues them new passwords, no new gateways.
    let passwords = issue_passwords(&ctx.store, &ctx.registry).await?;
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| config.api.listen.clone());
    let services = Services::start(&config, &ctx, &listen, None, DEMO_SCORE_EVERY).await?;
    let broker = BrokerUrl::parse(&format!("mqtt://{}", config.mqtt.embedded_listen))?;
    let live = tokio::spawn(publish_live(
        ctx.registry.clone(),
        config.simulate.seed,
        now,
        broker,
        passwords,
    ));

    let board = first_board(&services).await;
    let resident_unit = board
        .entries
        .iter()
        .find_map(|e| {
            ctx.registry
                .equipment_by_id(&e.assessment.equipment)
                .and_then(|eq| eq.serves.first().cloned())
        })
        .or_else(|| ctx.registry.units().first().map(|u| u.id.clone()))
        .context("the registry has no units")?;
    let tokens = demo_tokens(&ctx, &resident_unit).await?;
    print_welcome(&config, &services, &tokens, &board, began);
    match args.duration {
        Some(d) => {
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = wait_for_stop() => {}
            }
        }
        None => {
            println!("Ctrl-C stops.");
            wait_for_stop().await;
        }
    }
    live.abort();
    services.stop().await
}

/// The configuration of the demo: `config` with its own data directory (emptied
/// first with `--fresh`) and the sample co-op's registry.
fn demo_config(config: &Config, args: &DemoArgs) -> anyhow::Result<Config> {
    anyhow::ensure!(
        args.years.is_finite() && args.years >= 0.1 && args.years <= 10.0,
        "--years must be between 0.1 and 10, got {}",
        args.years
    );
    let mut config = config.clone();
    config.data_dir = args.dir.clone();
    config.registry = None;
    if args.fresh && args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("cannot empty {}", args.dir.display()))?;
    }
    Ok(config)
}

/// Reuses the demo's model if it has one; else simulates `--years` of history up
/// to `now` into the data directory and trains on it.
async fn ensure_trained(
    ctx: &Context,
    config: &Config,
    args: &DemoArgs,
    now: Timestamp,
    began: Instant,
) -> anyhow::Result<()> {
    if ctx.data.models_dir().join("CURRENT").exists() {
        println!(
            "reusing the demo in {} (--fresh starts again)",
            args.dir.display()
        );
        return Ok(());
    }
    let start = Timestamp::from_millis(
        (now.millis() - (args.years * 365.25 * Timestamp::DAY as f64) as i64)
            .div_euclid(Timestamp::DAY)
            * Timestamp::DAY,
    );
    println!(
        "simulating {:.1} years of the sample co-op up to now into {}",
        args.years,
        args.dir.display()
    );
    load_history(ctx, config.simulate.seed, start, now).await?;
    println!(
        "  history stored ({:.0} s); training a model",
        began.elapsed().as_secs_f64()
    );
    train(ctx).await?;
    println!("  model trained ({:.0} s)", began.elapsed().as_secs_f64());
    Ok(())
}

/// The risk board once the first scoring (which starts at once) has ranked the
/// equipment, or as it is after two minutes.
async fn first_board(services: &Services) -> Arc<RiskBoard> {
    let waited = Instant::now();
    while services.state.board().as_of.is_none() && waited.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    services.state.board()
}

/// Prints where the demo runs, its tokens, a few requests to try and the top of
/// the ranking. `tokens` are admin, committee and resident, in that order.
fn print_welcome(
    config: &Config,
    services: &Services,
    tokens: &[(String, String)],
    board: &RiskBoard,
    began: Instant,
) {
    let base = services.base_url();
    println!();
    println!(
        "Caretaker demo is running ({:.0} s to start).",
        began.elapsed().as_secs_f64()
    );
    println!("  pages:      {base}/login   (sign in with a token below)");
    println!("  API:        {base}/api/v1   (OpenAPI: {base}/api/v1/openapi.json)");
    println!("  health:     {base}/health   metrics: {base}/metrics");
    println!(
        "  MQTT:       mqtt://{} (simulated gateways publish here)",
        config.mqtt.embedded_listen
    );
    println!("Demo tokens (send as `Authorization: Bearer TOKEN`):");
    for (role, secret) in tokens {
        println!("  {role:<24} {secret}");
    }
    let committee = &tokens[1].1;
    println!("Try:");
    println!("  curl -H 'Authorization: Bearer {committee}' '{base}/api/v1/work-orders?limit=5'");
    println!("  curl -H 'Authorization: Bearer {committee}' '{base}/api/v1/plan?budget=5000'");
    println!(
        "  curl -H 'Authorization: Bearer {}' '{base}/api/v1/notices'",
        tokens[2].1
    );
    match board.entries.first() {
        Some(top) => println!("Top of the ranking now: {}", top.assessment.summary),
        None => println!("No forecasts yet (see the log)."),
    }
}

/// Simulates `[start, end)` and stores its readings and events as ingest and
/// import would.
async fn load_history(
    ctx: &Context,
    seed: u64,
    start: Timestamp,
    end: Timestamp,
) -> anyhow::Result<()> {
    let registry = ctx.registry.clone();
    let readings_dir = ctx.data.readings_dir();
    let sim = Simulation::new(registry.clone(), SimulationParams { seed, start, end });
    let events: Vec<_> = sim.events().into_iter().filter(|e| e.ts < end).collect();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut store = ReadingsStore::open(&readings_dir, Arc::new(registry))?;
        let mut stream = sim.readings();
        let mut batch = ReadingBatch::default();
        let mut day = start;
        while !stream.is_done() {
            day = day.plus_millis(Timestamp::DAY);
            stream.fill_until(day.min(end), &mut batch);
            for r in batch.iter() {
                store.push(r.sensor, r.ts.millis(), r.value)?;
            }
            batch.clear();
            if store.pending() >= FLUSH_READINGS {
                store.flush()?;
            }
            if day >= end {
                break;
            }
        }
        store.flush()?;
        Ok(())
    })
    .await??;
    ctx.store.insert_events(&events, "demo:simulated").await?;
    Ok(())
}

/// Backtests, then trains on the stored history: the model card has its figures.
/// A history too short for a backtest trains without one.
async fn train(ctx: &Context) -> anyhow::Result<()> {
    let history = history_of(&ctx.data, &ctx.registry, &ctx.store).await?;
    let models_dir = ctx.data.models_dir();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let config = BacktestConfig {
            horizon_days: 30,
            step_days: 2,
            seed: 7,
            ..BacktestConfig::default()
        };
        let features = FeatureSet::for_history(&history);
        let samples = Samples::build(&history, &features, config.horizon_days, config.step_days)?;
        let backtest = match backtest::run(&history, &features, samples, &config, None) {
            Ok(report) => Some(report),
            Err(e) => {
                tracing::warn!("no backtest for the demo's model: {e}");
                None
            }
        };
        let now = chrono::Utc::now();
        let saved = train_model(
            &history,
            &TrainOptions {
                horizon_days: config.horizon_days,
                step_days: config.step_days,
                algorithm: None,
                backtest,
                seed: 7,
                version: now.format("%Y%m%dT%H%M%SZ").to_string(),
                trained_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                imported: None,
            },
        )?;
        saved.save(&models_dir)?;
        Ok(())
    })
    .await?
}

/// Where the demo keeps the tokens it printed, so that a second start reuses
/// them instead of adding new ones (a demo data directory only: they are secrets).
const DEMO_TOKENS_FILE: &str = "demo-tokens.json";

/// A token the demo issued: for whom it is shown, its role and unit, its secret.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DemoToken {
    shown: String,
    role: Role,
    unit: Option<UnitId>,
    secret: String,
}

/// A token for each role the demo shows: admin, committee, and a resident of
/// `unit`. The tokens of an earlier start are reused while they are active and
/// fit; only missing ones are issued.
async fn demo_tokens(ctx: &Context, unit: &UnitId) -> anyhow::Result<Vec<(String, String)>> {
    let path = ctx.data.root().join(DEMO_TOKENS_FILE);
    let earlier: Vec<DemoToken> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let now = Timestamp::now();
    let mut tokens = Vec::new();
    for (role, unit) in [
        (Role::Admin, None),
        (Role::Committee, None),
        (Role::Resident, Some(unit)),
    ] {
        let mut reused = None;
        for t in earlier
            .iter()
            .filter(|t| t.role == role && t.unit.as_ref() == unit)
        {
            let active = ctx.store.token_for_secret(&t.secret).await?;
            if active.is_some_and(|a| a.role == role && a.unit.as_ref() == unit) {
                reused = Some(t.clone());
                break;
            }
        }
        let token = match reused {
            Some(token) => token,
            None => {
                let label = match unit {
                    Some(u) => format!("demo {role} {u}"),
                    None => format!("demo {role}"),
                };
                let (_, secret) = ctx.store.add_token(role, unit, &label, now).await?;
                let shown = match unit {
                    Some(u) => format!("{role} (unit {u})"),
                    None => role.to_string(),
                };
                DemoToken {
                    shown,
                    role,
                    unit: unit.cloned(),
                    secret,
                }
            }
        };
        tokens.push(token);
    }
    let mut file = atomic_write_file::OpenOptions::new()
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(&tokens)?)?;
    file.commit()?;
    Ok(tokens.into_iter().map(|t| (t.shown, t.secret)).collect())
}

/// Publishes the simulated co-op's readings from `start` on, in real time, as its
/// gateways would.
async fn publish_live(
    registry: caretaker_core::Registry,
    seed: u64,
    start: Timestamp,
    broker: BrokerUrl,
    passwords: std::collections::HashMap<String, String>,
) {
    let params = SimulationParams {
        seed,
        start,
        end: start.plus_millis(366 * Timestamp::DAY),
    };
    let sim = Simulation::new(registry.clone(), params);
    let gateways: Vec<String> = registry
        .gateways()
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    let logins = GatewayLogins::PerGateway(passwords);
    let mut publisher = match GatewayPublishers::connect(&broker, logins, &gateways).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "simulated gateways cannot connect");
            return;
        }
    };
    let began = Instant::now();
    let mut stream = sim.readings();
    let mut batch = ReadingBatch::default();
    let mut fcnt = 0u32;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let sim_now = start.plus_millis(began.elapsed().as_millis() as i64);
        stream.fill_until(sim_now, &mut batch);
        for message in encode_batch(&registry, &batch, &mut fcnt) {
            if let Err(e) = publisher.publish(message).await {
                tracing::warn!(error = %e, "simulated gateways stopped");
                return;
            }
        }
        batch.clear();
    }
}
