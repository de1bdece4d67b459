//! A notice to print and pin up for residents without accounts.
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::layout::STYLESHEET;
use super::view::PrintableNotice;

/// The printable notice: a page on its own, large print, no navigation.
pub fn printable_notice(coop: &str, n: &PrintableNotice) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (n.title) " · " (coop) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                main {
                    article.print-notice {
                        p { (coop) }
                        h1 { (n.title) }
                        p.when { (n.when) }
                        p { b { "Units: " } (n.units.join(", ")) }
                        @for p in &n.paragraphs { p { (p) } }
                    }
                    p.no-print { button type="button" onclick="window.print()" { "Print" } }
                }
            }
        }
    }
}
