//! The pages people use: server-rendered HTML from plain view structs
//! ([`view`]), with maud templates checked at compile time and escaping every
//! value. Times arrive already written in the co-op's local time; money and
//! percentages already formatted. No page loads anything from another site: the
//! stylesheet is in the page.
//!
//! The HTTP side (sessions, forms, role checks) is the API crate's; these
//! functions only turn views into markup.

mod committee;
mod layout;
mod login;
mod model_card;
mod notice;
mod orders;
mod report;
mod resident;
pub mod view;

pub use committee::{committee_home, equipment_page};
pub use layout::{Chrome, STYLESHEET, message_page};
pub use login::login_page;
pub use model_card::model_page;
pub use notice::printable_notice;
pub use orders::work_order_page;
pub use report::{MonthlyReport, monthly_report};
pub use resident::unit_page;
pub use view::ChartWithTable;

pub use maud::{Markup, PreEscaped};
