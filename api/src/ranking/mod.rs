//! Ranking work orders by the expected benefit of acting now, explaining
//! each in plain words, planning within a budget, and telling residents.
//!
//! - [`policy`]: the assumptions (resident impact, seasons, per-kind costs);
//! - [`benefit`]: one piece of equipment's case, and the ranking;
//! - [`budget`]: the best set of orders that fits a budget;
//! - [`notice`]: notices for the residents of one unit.
pub mod benefit;
pub mod budget;
pub mod notice;
pub mod policy;

pub use benefit::{Assessment, RiskInput, assess, rank};
pub use budget::{BudgetError, BudgetItem, BudgetPlan, Deferred, plan};
pub use notice::{NoticeText, cancelled_notice_text, changed_notice_text, notice_text};
pub use policy::{RankingPolicy, is_sole_of_kind};
