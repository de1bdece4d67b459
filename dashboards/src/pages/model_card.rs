//! `/model`: the model card for a general meeting.
use maud::{Markup, html};

use super::layout::{Chrome, page};
use super::report::chart_with_table;
use super::view::ModelPage;

/// The model card, in members' words, with the backtest's charts and table.
pub fn model_page(chrome: &Chrome, m: &ModelPage) -> Markup {
    page(
        chrome,
        "How good are the forecasts?",
        html! {
            @for s in &m.sections {
                section {
                    h2 { (s.heading) }
                    @for p in &s.paragraphs { p { (p) } }
                }
            }
            @if !m.charts.is_empty() {
                h2 { "The backtest in charts and numbers" }
                @for c in &m.charts { (chart_with_table(c)) }
            }
        },
    )
}
