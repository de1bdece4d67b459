//! What most subcommands start from: the configuration, data directory, registry and store.
use std::path::PathBuf;

use anyhow::Context as _;
use caretaker_core::Registry;
use caretaker_data::{DataDir, Store, parse_registry};

use crate::config::Config;

/// An opened data directory with its registry loaded and recorded in the store.
pub struct Context {
    /// The data directory.
    pub data: DataDir,
    /// The co-op registry.
    pub registry: Registry,
    /// The registry file it came from.
    pub registry_path: PathBuf,
    /// The operational store.
    pub store: Store,
}

impl Context {
    /// Opens the data directory (creating it, with the sample co-op as its
    /// registry, if new), loads the registry and records it in the store.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let data = DataDir::open(&config.data_dir)?;
        let registry_path = match &config.registry {
            Some(path) => path.clone(),
            None => {
                if data.ensure_registry()? {
                    tracing::info!(
                        path = %data.registry_path().display(),
                        "new data directory: starting from the sample co-op"
                    );
                }
                data.registry_path()
            }
        };
        let content = std::fs::read_to_string(&registry_path)
            .with_context(|| format!("cannot read registry {}", registry_path.display()))?;
        let registry = parse_registry(&content, &registry_path.display().to_string())?;
        let store = Store::open(&data.database_path()).await?;
        store
            .sync_registry(&registry, &registry_path.display().to_string(), &content)
            .await?;
        Ok(Self {
            data,
            registry,
            registry_path,
            store,
        })
    }
}
