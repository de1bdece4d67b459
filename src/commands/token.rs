//! `caretaker token add|list|link|revoke`: API bearer tokens and sign-in links.
use caretaker_core::local::local_stamp;
use caretaker_core::{Timestamp, UnitId};

use crate::cli::TokenCommand;
use crate::config::Config;
use crate::context::Context;

/// Adds, lists or revokes API tokens.
pub async fn run(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    match cmd {
        TokenCommand::Add { role, unit, label } => {
            let unit = unit.as_deref().map(UnitId::parse).transpose()?;
            if let Some(u) = &unit {
                anyhow::ensure!(
                    ctx.registry.unit(u).is_some(),
                    "no unit {u} in the registry"
                );
            }
            let label = if label.trim().is_empty() {
                match &unit {
                    Some(u) => format!("{role} {u}"),
                    None => role.to_string(),
                }
            } else {
                label
            };
            let (token, secret) = ctx
                .store
                .add_token(role, unit.as_ref(), &label, Timestamp::now())
                .await?;
            println!(
                "token {} ({}{})",
                token.id,
                token.role,
                unit.map(|u| format!(", unit {u}")).unwrap_or_default()
            );
            println!("{secret}");
            println!(
                "Send it as `Authorization: Bearer TOKEN`. It is shown only now; Caretaker keeps only its hash."
            );
        }
        TokenCommand::List => {
            let tz = ctx.registry.timezone();
            println!(
                "{:>5}  {:<10} {:<8} {:<25} label",
                "id", "role", "unit", "created"
            );
            for t in ctx.store.tokens().await? {
                let revoked = t
                    .revoked_at
                    .map(|r| format!(" (revoked {})", local_stamp(r, tz)))
                    .unwrap_or_default();
                println!(
                    "{:>5}  {:<10} {:<8} {:<25} {}{revoked}",
                    t.id,
                    t.role.name(),
                    t.unit.map(|u| u.to_string()).unwrap_or_default(),
                    local_stamp(t.created_at, tz),
                    t.label
                );
            }
        }
        TokenCommand::Link { id, days } => {
            anyhow::ensure!((1..=365).contains(&days), "--days: 1 to 365");
            let code = ctx
                .store
                .add_sign_in_link(id, Timestamp::now(), i64::from(days) * 86_400_000)
                .await?;
            println!("/login?code={code}");
            println!(
                "Put the address of this box in front (e.g. http://caretaker.local:8080/login?code=...). \
                 The link signs in once, within {days} days; revoking token {id} voids it."
            );
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(
                ctx.store.revoke_token(id, Timestamp::now()).await?,
                "no active token {id}"
            );
            println!("revoked token {id}");
        }
    }
    Ok(())
}
