//! The frame around every page: head, skip link, navigation, flash message.
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::view::Flash;

/// The stylesheet every page carries inline (no request to anywhere).
pub const STYLESHEET: &str = include_str!("../../assets/caretaker.css");

/// What the frame needs to know: the co-op, who is signed in and their form token.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The co-op's name.
    pub coop: String,
    /// Who is signed in, in words ("Committee: Ana"); none on the sign-in page.
    pub signed_in_as: Option<String>,
    /// Whether the navigation shows the committee's links.
    pub committee: bool,
    /// The session's CSRF token, for the sign-out form.
    pub csrf_token: String,
    /// A message about what just happened.
    pub flash: Option<Flash>,
}

/// A whole page: `title` in the tab and as the `h1`, `body` below it.
pub fn page(chrome: &Chrome, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (chrome.coop) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    nav aria-label="Main" {
                        @if chrome.committee {
                            a.brand href="/" { (chrome.coop) }
                            a href="/" { "Work orders" }
                            a href="/model" { "How good are the forecasts?" }
                        } @else if chrome.signed_in_as.is_some() {
                            a.brand href="/unit" { (chrome.coop) }
                            a href="/unit" { "My unit" }
                        } @else {
                            span.brand { (chrome.coop) }
                        }
                        @if let Some(who) = &chrome.signed_in_as {
                            span { "Signed in as " (who) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf_token" value=(chrome.csrf_token);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    @if let Some(flash) = &chrome.flash {
                        div.flash.error[flash.error] role=(if flash.error { "alert" } else { "status" }) {
                            (flash.text)
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// A hidden field with the session's CSRF token, for every form that changes something.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A page that only says something: an error, a refusal, a confirmation.
pub fn message_page(chrome: &Chrome, title: &str, text: &str) -> Markup {
    page(
        chrome,
        title,
        html! {
            p.lead { (text) }
            p { a href="/" { "Back to the start" } }
        },
    )
}
