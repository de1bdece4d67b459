//! `/model`: the current model's card for a general meeting.
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caretaker_dashboards::charts::calibration::{Calibration, Decile};
use caretaker_dashboards::charts::precision_recall::{Curve as PrCurve, PrecisionRecall};
use caretaker_dashboards::pages::ChartWithTable;
use caretaker_dashboards::pages::model_page;
use caretaker_dashboards::pages::view::{CardSection, ChartView, ModelPage};
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
                charts,
            }
        }
    };
    Ok(html(model_page(&visitor.chrome(&state), &page)).into_response())
}

/// The card in members' words, and its charts with their numbers.
pub(crate) fn card_view(card: &ModelCard) -> (Vec<CardSection>, Vec<ChartWithTable>) {
    let Some(plain) = &card.plain else {
        // A model saved before the card had members' words.
        let sections = vec![CardSection {
            heading: "What the model is".into(),
            paragraphs: vec![card.question.clone(), card.why.clone()],
        }];
        return (sections, Vec::new());
    };
    let sections = plain
        .sections
        .iter()
        .map(|s| CardSection {
            heading: s.heading.clone(),
            paragraphs: s.paragraphs.clone(),
        })
        .collect();
    let mut charts = Vec::new();
    if !plain.calibration.is_empty() {
        let chart = Calibration {
            model: "The model".into(),
            deciles: plain
                .calibration
                .iter()
                .map(|d| Decile {
                    predicted: d.predicted,
                    observed: d.observed,
                    count: d.count as u64,
                })
                .collect(),
        };
        if let Ok(svg) = chart.svg() {
            charts.push(ChartWithTable {
                chart: ChartView {
                    svg,
                    caption: "Forecasts grouped in tens from least to most likely: the chance forecast against how often failures really followed. On the diagonal, forecasts meant what they said.".into(),
                    png_url: None,
                },
                header: vec!["Forecast chance".into(), "Failures that followed".into(), "Forecasts".into()],
                rows: plain
                    .calibration
                    .iter()
                    .map(|d| {
                        vec![
                            format!("{:.0} %", 100.0 * d.predicted),
                            format!("{:.0} %", 100.0 * d.observed),
                            d.count.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
    }
    let curve = |c: &caretaker_models::card::Curve| PrCurve {
        name: c.name.clone(),
        points: c.points.iter().map(|p| (p.recall, p.precision)).collect(),
    };
    let baseline = |c: &&caretaker_models::card::Curve| {
        c.key == caretaker_models::card::RATE_BASELINE
            || c.key == caretaker_models::card::THRESHOLD_BASELINE
    };
    if let Some(model) = plain.precision_recall.iter().find(|c| !baseline(c)) {
        let chart = PrecisionRecall {
            model: curve(model),
            baselines: plain
                .precision_recall
                .iter()
                .filter(baseline)
                .map(curve)
                .collect(),
        };
        if let Ok(svg) = chart.svg() {
            charts.push(ChartWithTable {
                chart: ChartView {
                    svg,
                    caption: "Of the failures that came (recall), how many each method flagged, against how many of its flags were real (precision): the model and the two simple rules it must beat. Higher and further right is better.".into(),
                    png_url: None,
                },
                header: vec![
                    "Method".into(),
                    "Flags that were real, catching a quarter of the failures".into(),
                    "Catching half of them".into(),
                ],
                rows: plain
                    .precision_recall
                    .iter()
                    .map(|c| {
                        // Interpolated precision: the best precision at this recall or more.
                        let at = |recall: f64| {
                            c.points
                                .iter()
                                .filter(|p| p.recall >= recall)
                                .map(|p| p.precision)
                                .fold(None, |best: Option<f64>, p| Some(best.map_or(p, |b| b.max(p))))
                                .map_or("not reached".to_owned(), |p| format!("{:.0} %", 100.0 * p))
                        };
                        vec![c.name.clone(), at(0.25), at(0.5)]
                    })
                    .collect(),
            });
        }
    }
    (sections, charts)
}
