//! `caretaker aggregates rebuild|refresh`: the daily aggregates per sensor that
//! learning and scoring read (`caretaker_ingest::aggregates`).
use std::time::Instant;

use caretaker_data::DataDir;
use caretaker_ingest::aggregates::{self, RefreshStats};

use crate::cli::AggregatesCommand;
use crate::config::Config;

pub fn run(config: &Config, cmd: AggregatesCommand) -> anyhow::Result<()> {
    let data = DataDir::open(&config.data_dir)?;
    let began = Instant::now();
    let (stats, what) = match cmd {
        AggregatesCommand::Rebuild => (
            aggregates::rebuild(&data.readings_dir(), &data.aggregates_dir())?,
            "rebuilt",
        ),
        AggregatesCommand::Refresh => (refresh(&data)?, "refreshed"),
    };
    println!(
        "daily aggregates {what} in {:.1} s: {} days computed, {} unchanged, {} removed ({})",
        began.elapsed().as_secs_f64(),
        stats.recomputed,
        stats.unchanged,
        stats.removed,
        aggregates::daily_dir(&data.aggregates_dir()).display()
    );
    Ok(())
}

/// Recomputes the days whose raw readings changed since last time (see
/// `caretaker_ingest::aggregates`); every reader of the aggregates calls it first.
pub(crate) fn refresh(data: &DataDir) -> anyhow::Result<RefreshStats> {
    let stats = aggregates::refresh(&data.readings_dir(), &data.aggregates_dir())?;
    if stats.recomputed > 0 || stats.removed > 0 {
        tracing::debug!(
            recomputed = stats.recomputed,
            unchanged = stats.unchanged,
            removed = stats.removed,
            "daily aggregates refreshed"
        );
    }
    Ok(stats)
}
