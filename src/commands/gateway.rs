//! `caretaker gateway add|rotate|revoke|list`.
use std::collections::HashMap;

use anyhow::Context as _;
use caretaker_core::{GatewayName, Registry};
use caretaker_data::{Store, new_secret, sha256_hex};

use crate::cli::GatewayCommand;
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, cmd: GatewayCommand) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    match cmd {
        GatewayCommand::Add { name } => {
            let name = declared(&ctx.registry, &name)?;
            let password = new_secret();
            anyhow::ensure!(
                ctx.store
                    .add_gateway(&name, &sha256_hex(password.as_bytes()))
                    .await?,
                "gateway {name} has credentials already: `caretaker gateway rotate {name}` issues a new password"
            );
            print_credentials(&ctx.registry, &name, &password);
        }
        GatewayCommand::Rotate { name } => {
            let name = GatewayName::parse(&name)?;
            let password = new_secret();
            anyhow::ensure!(
                ctx.store
                    .rotate_gateway(&name, &sha256_hex(password.as_bytes()))
                    .await?,
                "no active gateway named {name}"
            );
            print_credentials(&ctx.registry, &name, &password);
            println!(
                "The old password no longer works; a gateway connected with it is disconnected within seconds."
            );
        }
        GatewayCommand::Revoke { name } => {
            let name = GatewayName::parse(&name)?;
            anyhow::ensure!(
                ctx.store.revoke_gateway(&name).await?,
                "no active gateway named {name}"
            );
            println!("revoked {name}; if it is connected, it is disconnected within seconds");
        }
        GatewayCommand::List => {
            for name in ctx.store.gateways().await? {
                println!("{name}");
            }
        }
    }
    Ok(())
}

/// The name of a gateway the registry declares.
fn declared(registry: &Registry, name: &str) -> anyhow::Result<GatewayName> {
    let name = GatewayName::parse(name)?;
    anyhow::ensure!(
        registry.gateway(name.as_str()).is_some(),
        "the registry declares no gateway {name}: add a [[gateway]] table for it (and give it sensors) first"
    );
    Ok(name)
}

/// Prints what a gateway's installer needs, once.
fn print_credentials(registry: &Registry, name: &GatewayName, password: &str) {
    println!("gateway: {name}");
    println!("username: {name}");
    println!("client id: {name}");
    println!("password: {password}");
    let topics = registry
        .gateway(name.as_str())
        .map(|g| g.topic_filters().join(", "))
        .unwrap_or_default();
    println!("topics: {topics}");
    println!("The password is shown only now; Caretaker keeps only its hash.");
}

/// Issues every registry gateway a password (a new one for a gateway that has
/// one: the old stops working), for simulated gateways. Returns them by name.
pub async fn issue_passwords(
    store: &Store,
    registry: &Registry,
) -> anyhow::Result<HashMap<String, String>> {
    let mut passwords = HashMap::new();
    for gateway in registry.gateways() {
        let password = new_secret();
        let hash = sha256_hex(password.as_bytes());
        let issued = store.rotate_gateway(&gateway.name, &hash).await?
            || store.add_gateway(&gateway.name, &hash).await?;
        anyhow::ensure!(
            issued,
            "cannot issue a password to gateway {}",
            gateway.name
        );
        passwords.insert(gateway.name.to_string(), password);
    }
    Ok(passwords)
}

/// Reads gateway passwords from a file of `NAME PASSWORD` lines (blank lines
/// and `#` comments skipped).
pub fn read_passwords(path: &std::path::Path) -> anyhow::Result<HashMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut passwords = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, password) = line
            .split_once(char::is_whitespace)
            .with_context(|| format!("{}:{}: expected `NAME PASSWORD`", path.display(), i + 1))?;
        passwords.insert(name.to_owned(), password.trim().to_owned());
    }
    Ok(passwords)
}
