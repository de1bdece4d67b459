//! `caretaker plan`: the budget plan of `GET /api/v1/plan`, at one or more budgets,
//! as a JSON file for notebooks and spreadsheets.
//!
//! By default it first does what one scoring round of `caretaker serve` does:
//! scores every piece of equipment with the current model and updates the proposed
//! work orders (`caretaker_api::board::refresh`). Then, for each budget, it plans
//! from the open orders exactly as the API does
//! (`caretaker_api::routes::risks::budget_plan`). With `--no-score` it plans from
//! the open orders as they stand.
use std::sync::Arc;

use anyhow::Context as _;
use caretaker_api::AppState;
use caretaker_api::board;
use caretaker_api::routes::risks::budget_plan;
use caretaker_api::views::PlanView;
use caretaker_core::Timestamp;
use serde::Serialize;

use crate::cli::PlanArgs;
use crate::commands::forecast::score_at;
use crate::config::Config;
use crate::context::Context;

/// What `caretaker plan` writes.
#[derive(Debug, Serialize)]
struct PlanExport {
    /// When the forecasts behind the orders were made for (RFC 3339); none with `--no-score`.
    as_of: Option<String>,
    /// The model that made them; none with `--no-score`.
    model_version: Option<String>,
    /// Currency of every amount.
    currency: String,
    /// The budgets asked for, in the order given.
    budgets: Vec<f64>,
    /// One plan per budget, each as `GET /api/v1/plan?budget=...` answers it.
    plans: Vec<PlanView>,
}

pub async fn run(config: &Config, args: PlanArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let mut state = AppState::new(
        ctx.store.clone(),
        Arc::new(ctx.registry.clone()),
        ctx.data.readings_dir(),
    );
    // The same node budget as the API's plans.
    state.limits = config.api.limits();
    let (as_of, model_version) = if args.no_score {
        (None, None)
    } else {
        let at = args.at.unwrap_or_else(Timestamp::now);
        let scores = score_at(&ctx.data, &state.registry, &state.store, at).await?;
        let summary = board::refresh(&state, scores, at).await?;
        tracing::info!(
            created = summary.created,
            updated = summary.updated,
            reopened = summary.reopened,
            "scored every piece of equipment; work orders updated"
        );
        let board = state.board();
        (board.as_of.clone(), board.model_version.clone())
    };
    let mut plans = Vec::with_capacity(args.budgets.len());
    for &budget in &args.budgets {
        let plan = budget_plan(&state, budget)
            .await
            .map_err(|e| anyhow::anyhow!("--budget {budget}: {}", e.message))?;
        plans.push(plan);
    }
    let export = PlanExport {
        as_of,
        model_version,
        currency: state.registry.coop().currency.clone(),
        budgets: args.budgets,
        plans,
    };
    let json = serde_json::to_string_pretty(&export)?;
    match &args.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(path, json + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("{} plans written to {}", export.plans.len(), path.display());
        }
        None => println!("{json}"),
    }
    Ok(())
}
