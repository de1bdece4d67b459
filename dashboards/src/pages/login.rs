//! `/login`: a token, or a sign-in link's code, opens a session.
use maud::{Markup, html};

use super::layout::{Chrome, csrf_field, page};

/// The sign-in form; `error` says why the last try failed.
pub fn login_page(chrome: &Chrome, error: Option<&str>) -> Markup {
    page(
        chrome,
        "Sign in",
        html! {
            p.lead { "Enter the token the committee gave you. It is a long code of letters and digits." }
            @if let Some(error) = error {
                div.flash.error role="alert" { (error) }
            }
            form.stack method="post" action="/login" {
                (csrf_field(&chrome.csrf_token))
                div {
                    label for="token" { "Your token" span.hint { "Paste it or type it; spaces do not matter." } }
                    input id="token" name="token" type="password" autocomplete="current-password" required;
                }
                div { button type="submit" { "Sign in" } }
            }
            p.muted { "Residents who received a printed sign-in link can open it instead: it signs you in once." }
        },
    )
}
