//! `caretaker simulate history` and `caretaker simulate live`.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use caretaker_core::{ReadingBatch, Timestamp};
use caretaker_data::simulate::{
    LiveClock, RandomCoop, Simulation, SimulationParams, SimulationSummary,
};
use caretaker_ingest::files::{
    ReadingsCsvWriter, ReadingsParquetWriter, write_events_csv, write_events_parquet,
};
use caretaker_ingest::payload::encode_batch;
use caretaker_ingest::publish::{BrokerUrl, GatewayLogins, GatewayPublishers};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{CoopArgs, HistoryArgs, LiveArgs, SimulateCommand};
use crate::commands::gateway::{issue_passwords, read_passwords};
use crate::config::Config;
use crate::context::Context;

/// Readings per Parquet row group.
const ROW_GROUP: usize = 1 << 20;

pub async fn run(config: &Config, cmd: SimulateCommand) -> anyhow::Result<()> {
    match cmd {
        SimulateCommand::History(args) => history(config, args).await,
        SimulateCommand::Live(args) => live(config, args).await,
        SimulateCommand::Coop(args) => coop(args),
    }
}

/// Writes a random co-op's registry, checked as `registry check` would check it.
fn coop(args: CoopArgs) -> anyhow::Result<()> {
    let coop = RandomCoop::generate(args.seed);
    let text = coop.to_toml();
    let registry = caretaker_data::parse_registry(&text, &args.out.display().to_string())
        .context("the random co-op is not a valid registry (a bug: please report the seed)")?;
    write_atomically(&args.out, text.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "{}: {} ({} buildings, {} units, {} pieces of equipment, {} sensors; seed {})",
        args.out.display(),
        coop.name,
        registry.buildings().len(),
        registry.units().len(),
        registry.equipment().len(),
        registry.sensors().len(),
        args.seed
    );
    println!(
        "simulate its history with: caretaker simulate history --registry {}",
        args.out.display()
    );
    Ok(())
}

async fn history(config: &Config, args: HistoryArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.years.is_finite() && args.years > 0.0 && args.years <= 50.0,
        "--years must be more than 0 and at most 50, got {}",
        args.years
    );
    let ctx = Context::open(config).await?;
    let start_text = args.start.as_deref().unwrap_or(&config.simulate.start);
    let start = Timestamp::parse(start_text).with_context(|| format!("--start {start_text:?}"))?;
    let end = add_years(start, args.years)?;
    let params = SimulationParams {
        seed: args.seed.unwrap_or(config.simulate.seed),
        start,
        end,
    };
    let out = args.out.clone().unwrap_or_else(|| ctx.data.simulated_dir());
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let began = Instant::now();
    let sim = Simulation::new(ctx.registry.clone(), params);
    let summary = write_history(&sim, &out, args.csv)?;
    let seconds = began.elapsed().as_secs_f64();
    eprintln!(
        "generated {} readings in {seconds:.2} s ({:.0} readings/s, Parquet written); peak memory {}",
        summary.readings,
        summary.readings as f64 / seconds,
        peak_memory().map_or("unknown".into(), |kb| format!(
            "{:.0} MiB",
            kb as f64 / 1024.0
        )),
    );
    let registry = std::fs::read(&ctx.registry_path)
        .with_context(|| format!("reading the registry {}", ctx.registry_path.display()))?;
    write_atomically(&out.join("registry.toml"), &registry)
        .with_context(|| format!("copying the registry to {}", out.display()))?;
    println!("{summary}");
    println!("written to {}", out.display());
    Ok(())
}

/// `start` plus whole calendar years, plus the fraction as days (0.5 = 182.6 days).
fn add_years(start: Timestamp, years: f64) -> anyhow::Result<Timestamp> {
    let whole = start
        .to_datetime()
        .checked_add_months(chrono::Months::new(years.trunc() as u32 * 12))
        .context("--years reaches past the calendar")?;
    let whole = Timestamp::from_millis(whole.timestamp_millis());
    Ok(whole.plus_millis((years.fract() * 365.25 * Timestamp::DAY as f64).round() as i64))
}

/// Streams the simulation to `out`; returns the summary it also saves there.
fn write_history(sim: &Simulation, out: &Path, csv: bool) -> anyhow::Result<SimulationSummary> {
    let registry = sim.registry();
    let params = sim.params().clone();
    let mut parquet = ReadingsParquetWriter::create(&out.join("readings.parquet"))?;
    let mut csv_writer = if csv {
        Some(ReadingsCsvWriter::create(&out.join("readings.csv"))?)
    } else {
        None
    };
    let progress = ProgressBar::new(params.days() as u64).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} days, {per_sec}, eta {eta}")
            .expect("valid template"),
    );
    progress.set_message("simulating");
    let mut reporting = vec![false; registry.sensors().len()];
    let mut stream = sim.readings();
    let mut batch = ReadingBatch::with_capacity(ROW_GROUP + 100_000);
    let mut day = params.start;
    while !stream.is_done() {
        day = day.plus_millis(Timestamp::DAY);
        stream.fill_until(day, &mut batch);
        progress.inc(1);
        if batch.len() >= ROW_GROUP || stream.is_done() {
            for &s in batch.sensors() {
                reporting[s as usize] = true;
            }
            parquet.write(registry, &batch)?;
            if let Some(w) = csv_writer.as_mut() {
                w.write(registry, &batch)?;
            }
            batch.clear();
        }
    }
    progress.finish_and_clear();
    let readings = parquet.finish()?;
    if let Some(w) = csv_writer {
        w.finish()?;
    }
    let events = sim.events();
    write_events_parquet(&out.join("events.parquet"), &events)?;
    if csv {
        write_events_csv(&out.join("events.csv"), &events)?;
    }
    let truth = sim.ground_truth();
    write_json(&out.join("ground_truth.json"), &truth)?;
    let summary = SimulationSummary::new(sim, readings, reporting.iter().filter(|r| **r).count());
    write_json(&out.join("summary.json"), &summary)?;
    Ok(summary)
}

/// Peak resident memory of this process (kB), where the OS tells it.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomically(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// Writes `bytes` to `path` with `atomic-write-file` (a hidden temporary name,
/// fsync, rename, folder fsync), as the readings and events files are written.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = atomic_write_file::AtomicWriteFile::open(path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.commit()
}

async fn live(config: &Config, args: LiveArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let url = args
        .broker
        .clone()
        .unwrap_or_else(|| config.mqtt.broker_url());
    let broker = BrokerUrl::parse(&url)?;
    let speed = args.speed.unwrap_or(config.simulate.speed);
    anyhow::ensure!(
        speed.is_finite() && speed > 0.0,
        "--speed must be positive, got {speed}"
    );
    let replay = args.replay;
    let oldest_accepted = Duration::from_secs(u64::from(config.ingest.max_age_days) * 86_400);
    anyhow::ensure!(
        replay < oldest_accepted,
        "--replay must be shorter than ingest.max_age_days ({} days): ingest refuses older readings",
        config.ingest.max_age_days
    );
    let logins = if args.issue_credentials {
        GatewayLogins::PerGateway(issue_passwords(&ctx.store, &ctx.registry).await?)
    } else if let Some(path) = &args.credentials {
        GatewayLogins::PerGateway(read_passwords(path)?)
    } else {
        GatewayLogins::Shared(match (args.username, args.password) {
            (Some(u), Some(p)) => Some((u, p)),
            (Some(u), None) => Some((u, String::new())),
            _ => config.mqtt.credentials(),
        })
    };
    let gateways: Vec<String> = ctx
        .registry
        .gateways()
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    let clock = LiveClock::new(Timestamp::now(), replay.as_millis() as i64, speed);
    let end = match args.duration {
        Some(d) => clock
            .sim_now(d.as_millis() as i64)
            .plus_millis(Timestamp::MINUTE),
        None => clock.sim_start().plus_millis(366 * Timestamp::DAY),
    };
    let params = SimulationParams {
        seed: args.seed.unwrap_or(config.simulate.seed),
        start: clock.sim_start(),
        end,
    };
    let sim = Simulation::new(ctx.registry.clone(), params);
    let mut publisher = GatewayPublishers::connect(&broker, logins, &gateways)
        .await
        .with_context(|| format!("cannot publish to {broker}"))?;
    println!("{}", describe_replay(&clock, replay, speed, &broker));
    let began = Instant::now();
    let mut stream = sim.readings();
    let mut batch = ReadingBatch::default();
    let (mut readings, mut messages, mut fcnt) = (0u64, 0u64, 0u32);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tick.tick() => {}
        }
        let elapsed = began.elapsed();
        stream.fill_until(clock.sim_now(elapsed.as_millis() as i64), &mut batch);
        readings += batch.len() as u64;
        for message in encode_batch(&ctx.registry, &batch, &mut fcnt) {
            publisher.publish(message).await?;
            messages += 1;
        }
        batch.clear();
        if args.duration.is_some_and(|d| elapsed >= d) || stream.is_done() {
            break;
        }
    }
    publisher.close().await?;
    println!("published {readings} readings in {messages} messages");
    Ok(())
}

/// What `simulate live` is about to do, in a sentence.
fn describe_replay(clock: &LiveClock, replay: Duration, speed: f64, broker: &BrokerUrl) -> String {
    let pace = match clock.catches_up_after_ms() {
        Some(ms) if ms > 0 => format!(
            "replaying the last {} at {speed}x, in real time after {}",
            humantime::format_duration(replay),
            humantime::format_duration(Duration::from_secs((ms as u64).div_ceil(1000))),
        ),
        Some(_) => "in real time".to_owned(),
        None => format!("{speed}x real time, behind the wall clock"),
    };
    format!("publishing simulated readings to {broker}, {pace}; Ctrl-C stops")
}
