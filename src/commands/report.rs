//! `caretaker report --month YYYY-MM --out DIR [--pdf]`: the monthly report for
//! the general meeting, from the open orders as they stand, the month's closed
//! work and spending, the budget plan and the current model's card
//! (`caretaker_api::pages::monthly_report`). One self-contained HTML file; with
//! `--pdf`, headless Chromium prints it.
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use std::io::Write as _;

use anyhow::Context as _;
use atomic_write_file::AtomicWriteFile;
use caretaker_api::AppState;

use crate::cli::ReportArgs;
use crate::config::Config;
use crate::context::Context;

/// The browsers `--pdf` tries, in order.
const CHROMIUM: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

pub async fn run(config: &Config, args: ReportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.budget.is_finite() && args.budget >= 0.0,
        "--budget: an amount, 0 or more"
    );
    let ctx = Context::open(config).await?;
    let mut state = AppState::new(
        ctx.store.clone(),
        Arc::new(ctx.registry.clone()),
        ctx.data.readings_dir(),
    );
    state.limits = config.api.limits();
    state.models_dir = Some(ctx.data.models_dir());
    let html = caretaker_api::pages::monthly_report(&state, args.month, args.budget)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot make {}", args.out.display()))?;
    let index = args.out.join("index.html");
    let mut file = AtomicWriteFile::open(&index)
        .with_context(|| format!("cannot write {}", index.display()))?;
    file.write_all(html.as_bytes())?;
    file.commit()?;
    println!("{}", index.display());
    if args.pdf {
        let pdf = args.out.join("report.pdf");
        print_pdf(&index, &pdf)?;
        println!("{}", pdf.display());
    }
    Ok(())
}

/// Prints the report to PDF with headless Chromium, from the file system (no network).
fn print_pdf(index: &Path, pdf: &Path) -> anyhow::Result<()> {
    let browser = CHROMIUM
        .iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--pdf needs Chromium (`chromium` on Debian); the HTML report is written, print it from a browser instead"
            )
        })?;
    let profile = tempfile::tempdir().context("a temporary browser profile")?;
    let index = std::fs::canonicalize(index)?;
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", index.display()))
        .output()
        .with_context(|| format!("cannot run {browser}"))?;
    anyhow::ensure!(
        out.status.success() && pdf.exists(),
        "{browser} could not print the report: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}
