//! `/` for the committee, and `/equipment/{id}`.
use maud::{Markup, PreEscaped, html};

use super::layout::{Chrome, csrf_field, page};
use super::view::{ChartView, CommitteeHome, EquipmentPage, OrderLine};

/// An order in a list: rank, what and where, why, and the figures.
pub(super) fn order_item(o: &OrderLine) -> Markup {
    html! {
        li.below[o.funded == Some(false)] {
            div.order-head {
                @if let Some(rank) = o.rank { span.rank { "#" (rank) } }
                a href={ "/work-orders/" (o.id) } { (o.title) }
                span.muted { (o.equipment_name) }
                span.badge { (o.state) }
                @if o.funded == Some(false) { span.badge.warn { "Not in the budget plan" } }
            }
            p.reason { (o.reason) }
            ul.figures {
                @if let Some(c) = &o.chance { li { "Chance of failure: " b { (c) } } }
                @if let Some(b) = &o.benefit { li { "Expected saving: " b { (b) } } }
                @if let Some(c) = &o.cost { li { "Cost: " b { (c) } } }
                @if let Some(w) = &o.window { li { "Scheduled: " b { (w) } } }
            }
        }
    }
}

/// A chart with its caption.
pub(super) fn chart(c: &ChartView) -> Markup {
    html! {
        figure.chart {
            (PreEscaped(&c.svg))
            figcaption {
                (c.caption)
                @if let Some(url) = &c.png_url {
                    " "
                    a.picture href=(url) download { "Save as a picture (PNG)" }
                }
            }
        }
    }
}

/// The committee's first screen.
pub fn committee_home(chrome: &Chrome, home: &CommitteeHome, new_feed_url: Option<&str>) -> Markup {
    page(
        chrome,
        "What needs doing",
        html! {
            p.lead {
                @if home.open_total == 0 {
                    "No work is waiting for a decision."
                } @else {
                    (home.open_total) " open work orders, the most worth doing first."
                }
                @if let Some(at) = &home.as_of { " Forecasts of " (at) "." }
            }
            section aria-labelledby="orders-h" {
                h2 id="orders-h" { "Work orders" }
                ol.orders {
                    @for o in &home.orders { (order_item(o)) }
                }
                @if (home.orders.len() as i64) < home.open_total {
                    p.muted { "The " (home.orders.len()) " most worth doing are shown." }
                }
            }
            section aria-labelledby="plan-h" {
                h2 id="plan-h" { "Budget plan" }
                form.inline method="get" action="/" {
                    div {
                        label for="budget" { "Budget (" (home.plan.currency) ")" }
                        input id="budget" name="budget" type="number" min="0" step="100" inputmode="numeric" value=(home.plan.budget);
                    }
                    button type="submit" { "Plan" }
                }
                p { (home.plan.summary) }
                @if let Some(c) = &home.plan.chart { (chart(c)) }
            }
            section aria-labelledby="buildings-h" {
                h2 id="buildings-h" { "Buildings" }
                ul.cards {
                    @for b in &home.buildings {
                        li.card {
                            h3 { (b.name) }
                            p { (b.units) " units · " (b.equipment) " pieces of equipment · " (b.open_orders) " open orders" }
                            @if let Some((words, id)) = &b.riskiest {
                                p { "Most at risk: " a href={ "/equipment/" (id) } { (words) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="attention-h" {
                h2 id="attention-h" { "Sensors and gateways to check" }
                @if home.attention.is_empty() {
                    p { "Every sensor and gateway is reporting normally." }
                } @else {
                    ul {
                        @for a in &home.attention { li { b { (a.what) } ": " (a.problem) } }
                    }
                }
            }
            section aria-labelledby="reports-h" {
                h2 id="reports-h" { "Residents' reports" }
                @if home.reports.is_empty() {
                    p { "No problem reports in the last 30 days." }
                } @else {
                    div.table-wrap {
                        table {
                            thead { tr { th scope="col" { "When" } th scope="col" { "Unit" } th scope="col" { "About" } th scope="col" { "What they wrote" } } }
                            tbody {
                                @for r in &home.reports {
                                    tr { td { (r.when) } td { (r.unit) } td { (r.equipment) } td { (r.text) } }
                                }
                            }
                        }
                    }
                }
            }
            section.no-print aria-labelledby="feeds-h" {
                h2 id="feeds-h" { "Calendar of scheduled work" }
                p { "A calendar app can follow the scheduled work through a private address. Anyone with the address can read it; revoke it when it is no longer needed." }
                @if let Some(url) = new_feed_url {
                    div.flash role="status" {
                        "New calendar address (shown only now): " code { (url) }
                    }
                }
                @if !home.feeds.is_empty() {
                    ul {
                        @for f in &home.feeds {
                            li {
                                (f.label) " (made " (f.created) ") "
                                form.inline method="post" action={ "/calendar/" (f.id) "/revoke" } style="display:inline-flex" {
                                    (csrf_field(&chrome.csrf_token))
                                    button.secondary type="submit" aria-label={ "Revoke the calendar for " (f.label) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
                form.inline method="post" action="/calendar" {
                    (csrf_field(&chrome.csrf_token))
                    div {
                        label for="feed-label" { "For whom" }
                        input id="feed-label" name="label" required maxlength="100" placeholder="Committee calendar";
                    }
                    button type="submit" { "Make a calendar address" }
                }
            }
        },
    )
}

/// A piece of equipment: its risk, charts, orders and events.
pub fn equipment_page(chrome: &Chrome, e: &EquipmentPage) -> Markup {
    page(
        chrome,
        &e.name,
        html! {
            @if let Some(risk) = &e.risk { p.lead { (risk) } }
            @if !e.reasons.is_empty() {
                ul { @for r in &e.reasons { li { (r) } } }
            }
            dl {
                @for (k, v) in &e.facts { dt { b { (k) } } dd { (v) } }
            }
            form.inline.no-print method="get" {
                div {
                    label for="days" { "Show the last" }
                    select id="days" name="days" {
                        @for d in [7u32, 30, 90, 365] {
                            option value=(d) selected[d == e.days] { (d) " days" }
                        }
                    }
                }
                button type="submit" { "Show" }
            }
            h2 { "Charts" }
            @if let Some(note) = &e.note { p.muted { (note) } }
            @for c in &e.charts { (chart(c)) }
            h2 { "Work orders" }
            @if e.orders.is_empty() { p { "No work orders." } }
            ol.orders { @for o in &e.orders { (order_item(o)) } }
            h2 { "History" }
            @if e.events.is_empty() { p { "Nothing recorded." } }
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "What happened" } } }
                    tbody { @for (when, what) in &e.events { tr { td { (when) } td { (what) } } } }
                }
            }
        },
    )
}
