//! `caretaker gateway add|revoke|list`.
use caretaker_core::GatewayName;
use caretaker_data::{new_secret, sha256_hex};

use crate::cli::GatewayCommand;
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, cmd: GatewayCommand) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    match cmd {
        GatewayCommand::Add { name } => {
            let name = GatewayName::parse(&name)?;
            anyhow::ensure!(
                !name.as_str().starts_with("caretaker"),
                "gateway names starting with \"caretaker\" are reserved"
            );
            let password = new_secret();
            anyhow::ensure!(
                ctx.store
                    .add_gateway(&name, &sha256_hex(password.as_bytes()))
                    .await?,
                "a gateway named {name} exists already (revoke it first to issue new credentials)"
            );
            println!("gateway: {name}");
            println!("username: {name}");
            println!("password: {password}");
            println!("topic: caretaker/{name}/readings");
            println!("The password is shown only now; Caretaker keeps only its hash.");
        }
        GatewayCommand::Revoke { name } => {
            let name = GatewayName::parse(&name)?;
            anyhow::ensure!(
                ctx.store.revoke_gateway(&name).await?,
                "no active gateway named {name}"
            );
            println!("revoked {name}");
        }
        GatewayCommand::List => {
            for name in ctx.store.gateways().await? {
                println!("{name}");
            }
        }
    }
    Ok(())
}
