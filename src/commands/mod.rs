//! One module per subcommand; `run` dispatches.
mod aggregates;
mod demo;
mod federation;
mod federation_hub;
mod forecast;
mod gateway;
mod import;
mod ingest;
mod plan;
mod registry;
mod report;
mod serve;
mod simulate;
mod tls;
mod token;

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
use crate::config::{Config, LogFormat};

/// Loads the configuration, applies the global flags, sets up logging and runs the subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let loaded = Config::load(cli.config.as_deref())?;
    let mut config = loaded.config;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(file) = cli.registry {
        config.registry = Some(file);
    }
    if let Some(format) = cli.log_format {
        config.log.format = format;
    }
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Config => {
            match &loaded.file {
                Some(f) => println!("# configuration file: {}", f.display()),
                None => println!("# configuration file: none (defaults and environment)"),
            }
            print!("{}", config.to_toml());
            Ok(())
        }
        Command::Registry(args) => runtime.block_on(registry::run(&config, args)),
        Command::Simulate(cmd) => runtime.block_on(simulate::run(&config, cmd)),
        Command::Ingest(args) => runtime.block_on(ingest::run(&config, args)),
        Command::Gateway(cmd) => runtime.block_on(gateway::run(&config, cmd)),
        Command::Import(cmd) => runtime.block_on(import::run(&config, cmd)),
        Command::Aggregates(cmd) => aggregates::run(&config, cmd),
        Command::Backtest(args) => runtime.block_on(forecast::backtest(&config, args)),
        Command::Train(args) => runtime.block_on(forecast::train(&config, args)),
        Command::Score(args) => runtime.block_on(forecast::score(&config, args)),
        Command::Plan(args) => runtime.block_on(plan::run(&config, args)),
        Command::Report(args) => runtime.block_on(report::run(&config, args)),
        Command::Eval(cmd) => forecast::eval(cmd),
        Command::Serve(args) => runtime.block_on(serve::run(&config, args)),
        Command::Demo(args) => runtime.block_on(demo::run(&config, args)),
        Command::Token(cmd) => runtime.block_on(token::run(&config, cmd)),
        Command::Tls(cmd) => tls::run(&config, cmd),
        Command::Federation(cmd) => runtime.block_on(federation::run(&config, cmd)),
    }
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.log.level.clone()));
    // Colours only for a person at a terminal: `caretaker score 2>&1 | less` shows
    // plain text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
