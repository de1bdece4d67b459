//! `/work-orders/{id}`: the order, why, its log, and the committee's decisions as forms.
use maud::{Markup, html};

use super::committee::order_item;
use super::layout::{Chrome, csrf_field, page};
use super::view::{Action, NoticeLine, WorkOrderPage};

fn notice(n: &NoticeLine) -> Markup {
    html! {
        article.notice.cancelled[n.cancelled] {
            h3 { (n.title) " · unit " (n.unit) }
            @if let Some(when) = &n.when { p.when { (when) } }
            @for para in n.body.lines().filter(|l| !l.trim().is_empty()) { p { (para) } }
        }
    }
}

fn common(chrome: &Chrome, o: &WorkOrderPage, action: Action) -> Markup {
    html! {
        (csrf_field(&chrome.csrf_token))
        input type="hidden" name="version" value=(o.version);
        input type="hidden" name="action" value=(action.name());
    }
}

fn note_field(id: &str, label: &str, required: bool) -> Markup {
    html! {
        div {
            label for=(id) { (label) }
            textarea id=(id) name="note" rows="2" maxlength="2000" required[required] {}
        }
    }
}

fn action_form(chrome: &Chrome, o: &WorkOrderPage, action: Action) -> Markup {
    let url = format!("/work-orders/{}/decide", o.order.id);
    match action {
        Action::Approve => html! {
            form method="post" action=(url) {
                h3 { "Approve" }
                p { "The committee agrees the work should be done." }
                (common(chrome, o, action))
                (note_field("approve-note", "Note (optional)", false))
                button type="submit" { "Approve" }
            }
        },
        Action::Schedule => {
            let s = &o.schedule;
            html! {
                form method="post" action=(url) {
                    h3 { "Schedule" }
                    (common(chrome, o, action))
                    div {
                        label for="start" { "Starts" span.hint { "Local time (" (s.zone) ")" } }
                        input id="start" name="start" type="datetime-local" required value=(s.start);
                    }
                    div {
                        label for="end" { "Ends" }
                        input id="end" name="end" type="datetime-local" required value=(s.end);
                    }
                    div {
                        label for="work" { "The work, in a few words" span.hint { "Residents read it in their notice." } }
                        input id="work" name="work" maxlength="200" value=(s.work);
                    }
                    fieldset {
                        legend { "Units affected" }
                        @for u in &s.units {
                            div {
                                input type="checkbox" id={ "unit-" (u.id) } name="units" value=(u.id) checked[u.checked];
                                " "
                                label for={ "unit-" (u.id) } style="display:inline" { "Unit " (u.id) }
                            }
                        }
                    }
                    button.secondary type="submit" name="preview" value="1" { "Show the notices first" }
                    button type="submit" { "Schedule and send notices" }
                }
            }
        }
        Action::Start => html! {
            form method="post" action=(url) {
                h3 { "Start" }
                p { "The work has begun." }
                (common(chrome, o, action))
                button type="submit" { "Mark as started" }
            }
        },
        Action::Close => html! {
            form method="post" action=(url) {
                h3 { "Close with the outcome" }
                (common(chrome, o, action))
                fieldset {
                    legend { "Was there a real fault?" }
                    div { input type="radio" id="fault-yes" name="real_fault" value="true" required; " " label for="fault-yes" style="display:inline" { "Yes, something was wrong" } }
                    div { input type="radio" id="fault-no" name="real_fault" value="false"; " " label for="fault-no" style="display:inline" { "No, it was fine" } }
                }
                div {
                    label for="replaced" { "What was replaced (optional)" }
                    input id="replaced" name="replaced" maxlength="200";
                }
                div {
                    label for="cost" { "What it cost" }
                    input id="cost" name="cost" type="number" min="0" step="0.01" required inputmode="decimal";
                }
                (note_field("close-note", "Note (optional)", false))
                button type="submit" { "Close the order" }
            }
        },
        Action::Defer => html! {
            form method="post" action=(url) {
                h3 { "Defer" }
                p { "Put it off. It comes back if the risk grows." }
                (common(chrome, o, action))
                (note_field("defer-note", "Why (optional)", false))
                button.secondary type="submit" { "Defer" }
            }
        },
        Action::Dismiss => html! {
            form method="post" action=(url) {
                h3 { "Dismiss" }
                p { "Not worth doing. It comes back only if the risk grows." }
                (common(chrome, o, action))
                (note_field("dismiss-note", "Reason", true))
                button.secondary type="submit" { "Dismiss" }
            }
        },
    }
}

/// A work order's page.
pub fn work_order_page(chrome: &Chrome, o: &WorkOrderPage) -> Markup {
    page(
        chrome,
        &o.order.title,
        html! {
            ol.orders { (order_item(&o.order)) }
            p { a href={ "/equipment/" (o.order.equipment_id) } { "See " (o.order.equipment_name) ": charts and history" } }
            @if o.printable {
                p.no-print { a href={ "/work-orders/" (o.order.id) "/notice" } { "Printable notice for the lobby" } }
            }
            h2 { "Why" }
            ul { @for line in &o.explanation { li { (line) } } }
            details {
                summary { "The numbers behind the ranking" }
                div.table-wrap {
                    table {
                        tbody { @for (k, v) in &o.numbers { tr { th scope="row" { (k) } td.num { (v) } } } }
                    }
                }
            }
            @if !o.preview.is_empty() {
                section aria-labelledby="preview-h" {
                    h2 id="preview-h" { "The notices residents will get" }
                    p { "Nothing is saved yet. Check them, then press " b { "Schedule and send notices" } "." }
                    @if let Some(first) = o.preview.first() {
                        p {
                            (o.preview.len()) " units get this notice, each addressed to its own unit: "
                            (o.preview.iter().map(|n| n.unit.as_str()).collect::<Vec<_>>().join(", ")) "."
                        }
                        (notice(first))
                    }
                }
            }
            @if !o.actions.is_empty() {
                h2 { "Decide" }
                div.actions { @for a in &o.actions { (action_form(chrome, o, *a)) } }
            }
            h2 { "Decisions" }
            @if o.decisions.is_empty() { p { "No decision yet." } }
            @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Change" } th scope="col" { "Note" } } }
                        tbody {
                            @for d in &o.decisions {
                                tr { td { (d.when) } td { (d.who) } td { (d.change) } td { (d.note) } }
                            }
                        }
                    }
                }
            }
            @if !o.notices.is_empty() {
                h2 { "Notices sent" }
                @for n in &o.notices { (notice(n)) }
            }
        },
    )
}
