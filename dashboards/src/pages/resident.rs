//! `/unit`: a resident's notices, their problem reports and the form to send one.
use maud::{Markup, html};

use super::layout::{Chrome, csrf_field, page};
use super::view::UnitPage;

/// A resident's page for their unit.
pub fn unit_page(chrome: &Chrome, u: &UnitPage) -> Markup {
    page(
        chrome,
        &format!("Unit {}", u.unit),
        html! {
            section aria-labelledby="notices-h" {
                h2 id="notices-h" { "Notices" }
                @if u.notices.is_empty() {
                    p { "No work is planned that affects your unit." }
                }
                @for n in &u.notices {
                    article.notice.cancelled[n.cancelled] {
                        h3 { (n.title) }
                        @if let Some(when) = &n.when { p.when { (when) } }
                        @for para in n.body.lines().filter(|l| !l.trim().is_empty()) { p { (para) } }
                    }
                }
            }
            section aria-labelledby="report-h" {
                h2 id="report-h" { "Report a problem" }
                form.stack method="post" action="/unit/reports" {
                    (csrf_field(&chrome.csrf_token))
                    div {
                        label for="equipment" { "What is it about?" }
                        select id="equipment" name="equipment" required {
                            @for e in &u.equipment { option value=(e.id) { (e.name) } }
                        }
                    }
                    div {
                        label for="text" { "What is wrong?" span.hint { "For example: no hot water since this morning." } }
                        textarea id="text" name="text" rows="3" maxlength="2000" required {}
                    }
                    div { button type="submit" { "Send to the committee" } }
                }
            }
            section aria-labelledby="sent-h" {
                h2 id="sent-h" { "What you reported" }
                @if u.reports.is_empty() { p { "Nothing yet." } }
                ul {
                    @for r in &u.reports { li { b { (r.when) } " · " (r.equipment) ": " (r.text) } }
                }
            }
        },
    )
}
