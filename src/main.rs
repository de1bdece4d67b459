//! `caretaker`: predictive maintenance for housing co-operatives, one binary.
//!
//! This crate is the only one that knows the command line, configuration
//! files and exit codes; it wires the library crates together.
mod cli;
mod commands;
mod config;
mod context;
mod tls;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    caretaker_core::memory::tune_allocator();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
