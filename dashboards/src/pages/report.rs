//! The monthly report for the general meeting: one self-contained HTML file
//! (styles and charts inline, no link anywhere else) that prints on A4 or Letter
//! with each chart whole, and room for the committee's sign-off.
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::committee::{chart, order_item};
use super::layout::STYLESHEET;
use super::view::{CardSection, ChartWithTable, OrderLine};

/// What the monthly report says.
#[derive(Debug, Clone, Default)]
pub struct MonthlyReport {
    /// The co-op's name.
    pub coop: String,
    /// The month, in words ("November 2026").
    pub month: String,
    /// When the report was made, in local time.
    pub made: String,
    /// The open work orders, most worth doing first.
    pub ranked: Vec<OrderLine>,
    /// What was done in the month: (when, what, outcome, cost).
    pub done: Vec<[String; 4]>,
    /// The month's spending in words ("CAD 2,300 on 3 jobs").
    pub spent: String,
    /// The budget plan in words.
    pub plan_summary: String,
    /// The plan's chart and table.
    pub plan: Option<ChartWithTable>,
    /// Backlog and spend by month.
    pub backlog: Option<ChartWithTable>,
    /// The model card in members' words.
    pub card: Vec<CardSection>,
    /// The model's charts with their tables.
    pub card_charts: Vec<ChartWithTable>,
}

/// A chart and the table of its numbers.
pub(super) fn chart_with_table(c: &ChartWithTable) -> Markup {
    html! {
        (chart(&c.chart))
        div.table-wrap {
            table {
                caption.muted { "The numbers in the chart above" }
                thead { tr { @for h in &c.header { th scope="col" { (h) } } } }
                tbody { @for r in &c.rows { tr { @for v in r { td { (v) } } } } }
            }
        }
    }
}

/// The report as a whole HTML document.
pub fn monthly_report(r: &MonthlyReport) -> Markup {
    let title = format!("{}: maintenance report, {}", r.coop, r.month);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLESHEET)) }
                style { "@page { size: auto; margin: 15mm; }" }
            }
            body {
                main {
                    h1 { (title) }
                    p.lead { "Prepared by Caretaker for the general meeting on " (r.made) ". The forecasts advise; the committee decides." }
                    section {
                        h2 { "Work most worth doing now" }
                        @if r.ranked.is_empty() { p { "No open work orders." } }
                        ol.orders { @for o in &r.ranked { (order_item(o)) } }
                    }
                    section {
                        h2 { "What was done in " (r.month) }
                        p { (r.spent) }
                        @if !r.done.is_empty() {
                            div.table-wrap {
                                table {
                                    thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Outcome" } th.num scope="col" { "Cost" } } }
                                    tbody { @for row in &r.done { tr { td { (row[0]) } td { (row[1]) } td { (row[2]) } td.num { (row[3]) } } } }
                                }
                            }
                        }
                    }
                    section.page {
                        h2 { "The plan" }
                        p { (r.plan_summary) }
                        @if let Some(p) = &r.plan { (chart_with_table(p)) }
                    }
                    @if let Some(b) = &r.backlog {
                        section {
                            h2 { "Spending and open work by month" }
                            (chart_with_table(b))
                        }
                    }
                    section.page {
                        h2 { "How good are the forecasts?" }
                        @for s in &r.card {
                            h3 { (s.heading) }
                            @for p in &s.paragraphs { p { (p) } }
                        }
                        @for c in &r.card_charts { (chart_with_table(c)) }
                    }
                    section {
                        h2 { "Sign-off" }
                        p { "Reviewed and approved by the maintenance committee." }
                        div.signoff {
                            div { "Name" } div { "Signature and date" }
                            div { "Name" } div { "Signature and date" }
                        }
                    }
                }
            }
        }
    }
}
