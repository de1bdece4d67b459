//! `/model`: the current model's card for a general meeting.
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caretaker_dashboards::pages::model_page;
use caretaker_dashboards::pages::ChartWithTable;
use caretaker_dashboards::pages::view::{CardSection, ModelPage};
use caretaker_models::lifecycle::ModelCard;

use super::error::PageError;
use super::html;
use super::session::Visitor;
use crate::error::ApiError;
use crate::state::AppState;

/// The current model's card, read from the models folder (small: no model weights).
pub(crate) fn current_card(state: &AppState) -> Result<Option<ModelCard>, ApiError> {
    let Some(dir) = &state.models_dir else {
        return Ok(None);
    };
    let Ok(version) = std::fs::read_to_string(dir.join("CURRENT")) else {
        return Ok(None);
    };
    let path = dir.join(version.trim()).join("card.json");
    let text = std::fs::read_to_string(&path).map_err(ApiError::internal)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(ApiError::internal)
}

/// The model card page.
pub async fn page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let page = match current_card(&state)? {
        None => ModelPage {
            sections: vec![CardSection {
                heading: "No forecasts yet".into(),
                paragraphs: vec![
                    "No model has been trained on this co-op's history yet, so there are no forecasts to judge. Work orders come only from sensor problems, residents' reports and the committee.".into(),
                ],
            }],
            ..ModelPage::default()
        },
        Some(card) => {
            let (sections, charts) = card_view(&card);
            ModelPage {
                sections,
                charts: charts.into_iter().map(|c| c.chart).collect(),
                table: None,
            }
        }
    };
    Ok(html(model_page(&visitor.chrome(&state), &page)).into_response())
}

/// The card in members' words, and its charts with their numbers.
pub(crate) fn card_view(card: &ModelCard) -> (Vec<CardSection>, Vec<ChartWithTable>) {
    let sections = vec![CardSection {
        heading: "What the model is".into(),
        paragraphs: vec![card.question.clone(), card.why.clone()],
    }];
    (sections, Vec::new())
}
