//! `caretaker registry check`.
use std::collections::BTreeMap;

use caretaker_data::load_registry;

use crate::cli::{RegistryArgs, RegistryCommand};
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, args: RegistryArgs) -> anyhow::Result<()> {
    let RegistryCommand::Check { file } = args.command;
    let (registry, path, store) = match file {
        Some(path) => (load_registry(&path)?, path, None),
        None => {
            let ctx = Context::open(config).await?;
            (ctx.registry, ctx.registry_path, Some(ctx.store))
        }
    };
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for e in registry.equipment() {
        *kinds.entry(e.kind.name()).or_default() += 1;
    }
    println!("{}: valid", path.display());
    println!("co-op: {}", registry.coop().name);
    match registry.coop().timezone {
        Some(tz) => println!("time zone: {} (times are shown in it)", tz.name()),
        None => println!(
            "time zone: none given, so times will be shown in UTC \
             (add timezone = \"America/Toronto\", or the co-op's own, under [coop])"
        ),
    }
    println!(
        "{} buildings, {} units, {} pieces of equipment, {} sensors",
        registry.buildings().len(),
        registry.units().len(),
        registry.equipment().len(),
        registry.sensors().len()
    );
    for (kind, n) in kinds {
        println!("  {kind:<18} {n}");
    }
    if let Some(store) = store {
        let counts = store.counts().await?;
        println!(
            "operational store: {} equipment, {} sensors, {} events",
            counts.equipment, counts.sensors, counts.events
        );
    }
    Ok(())
}
