//! A plan of work orders that fits a budget: the subset with the largest
//! total expected benefit whose total cost stays within the budget (0/1 knapsack).
//!
//! Costs are counted in whole currency units, each rounded **up** (an order
//! estimated at 399.20 counts as 400), and the budget rounded down, so a plan
//! never overspends. On those whole units the choice is exact, never an
//! approximation:
//!
//! - when `orders × budget units` ≤ [`DP_CELLS`] (50 million; e.g. 500 orders
//!   and a 100,000 budget), by dynamic programming over the cost;
//! - otherwise by depth-first branch and bound with the fractional (linear
//!   relaxation) bound, which prunes only branches that provably cannot beat
//!   the best plan found, so it is exact too. It is fast on realistic
//!   inputs (1,000 orders, budgets of millions), though like every exact
//!   method it can be slow on contrived ones: so it visits at most a given
//!   number of nodes ([`DEFAULT_MAX_NODES`] unless told otherwise). It starts
//!   from the greedy plan (best ratio of benefit to cost first) and only
//!   improves on it; when the node budget runs out it returns the best plan
//!   found so far, which then may not be the best, and says so
//!   ([`BudgetPlan::cut_short`]).
//!
//! Orders whose expected benefit is zero or less are never chosen. Orders
//! costing nothing (after rounding) with a positive benefit are always chosen.
//! "Exact" is up to the floating-point rounding of sums of benefits.
use std::fmt;

use serde::{Deserialize, Serialize};

use super::benefit::{Assessment, format_money};

/// Largest budget or cost accepted (a thousand trillion currency units), so
/// sums of whole units stay exact.
pub const MAX_AMOUNT: f64 = 1e15;

/// Largest `orders × (budget units + 1)` solved by dynamic programming.
pub const DP_CELLS: u64 = 50_000_000;

/// Nodes the branch and bound visits at most by default: a few hundred
/// milliseconds with a thousand orders.
pub const DEFAULT_MAX_NODES: u64 = 1_000_000;

/// A candidate work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetItem {
    /// The order's (or equipment's) id.
    pub id: String,
    /// Estimated cost of the work.
    pub cost: f64,
    /// Expected benefit of doing it now (may be negative).
    pub benefit: f64,
    /// Expected cost of leaving it for later.
    pub risk_of_deferring: f64,
}

impl From<&Assessment> for BudgetItem {
    fn from(a: &Assessment) -> Self {
        Self {
            id: a.equipment.to_string(),
            cost: a.cost_of_acting_now,
            benefit: a.expected_benefit,
            risk_of_deferring: a.expected_cost_of_waiting,
        }
    }
}

/// A candidate left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deferred {
    /// The order's id.
    pub id: String,
    /// Its cost in whole units (rounded up).
    pub cost: f64,
    /// Its expected benefit.
    pub benefit: f64,
    /// Expected cost of leaving it for later.
    pub risk_of_deferring: f64,
    /// Why it was left out, in plain words.
    pub reason: String,
}

/// The orders that fit the budget and those that wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BudgetPlan {
    /// The budget planned for.
    pub budget: f64,
    /// Ids of the chosen orders, in the order given (pass candidates in rank order).
    pub chosen: Vec<String>,
    /// Total cost of the chosen orders, each rounded up to whole units.
    pub total_cost: f64,
    /// Total expected benefit of the chosen orders.
    pub total_benefit: f64,
    /// Budget left over: `budget − total_cost`.
    pub leftover: f64,
    /// The orders left out, in the order given.
    pub deferred: Vec<Deferred>,
    /// Total risk of deferring the orders left out.
    pub deferred_risk: f64,
    /// Whether the search stopped at its node budget: the plan fits the budget
    /// and is at least as good as the greedy one, but may not be the best.
    pub cut_short: bool,
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq)]
pub enum BudgetError {
    /// The budget is negative, NaN, or above [`MAX_AMOUNT`].
    InvalidBudget(f64),
    /// A candidate's cost is negative, NaN or above [`MAX_AMOUNT`], or its benefit or risk is NaN or infinite.
    InvalidItem {
        /// The candidate's id.
        id: String,
        /// Which number is wrong (`cost`, `benefit`, `risk_of_deferring`).
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidBudget(b) => {
                write!(
                    f,
                    "budget must be an amount from 0 to {MAX_AMOUNT}, not {b}"
                )
            }
            Self::InvalidItem { id, field, value } => {
                write!(f, "order {id:?}: {field} {value} is not a valid amount")
            }
        }
    }
}

impl std::error::Error for BudgetError {}

fn check(items: &[BudgetItem], budget: f64) -> Result<(), BudgetError> {
    let amount = |x: f64| (0.0..=MAX_AMOUNT).contains(&x);
    if !amount(budget) {
        return Err(BudgetError::InvalidBudget(budget));
    }
    for it in items {
        let bad = [
            ("cost", it.cost, amount(it.cost)),
            ("benefit", it.benefit, it.benefit.is_finite()),
            (
                "risk_of_deferring",
                it.risk_of_deferring,
                it.risk_of_deferring.is_finite(),
            ),
        ]
        .into_iter()
        .find(|(_, _, ok)| !ok);
        if let Some((field, value, _)) = bad {
            return Err(BudgetError::InvalidItem {
                id: it.id.clone(),
                field,
                value,
            });
        }
    }
    Ok(())
}

/// The plan with the largest total expected benefit whose cost fits `budget`;
/// `currency` is used in the reasons. The search visits at most
/// [`DEFAULT_MAX_NODES`] nodes.
pub fn plan(items: &[BudgetItem], budget: f64, currency: &str) -> Result<BudgetPlan, BudgetError> {
    plan_limited(items, budget, currency, DEFAULT_MAX_NODES)
}

/// [`plan`], with the branch and bound visiting at most `max_nodes` nodes.
pub fn plan_limited(
    items: &[BudgetItem],
    budget: f64,
    currency: &str,
    max_nodes: u64,
) -> Result<BudgetPlan, BudgetError> {
    plan_with(items, budget, currency, DP_CELLS, max_nodes)
}

fn plan_with(
    items: &[BudgetItem],
    budget: f64,
    currency: &str,
    dp_cells: u64,
    max_nodes: u64,
) -> Result<BudgetPlan, BudgetError> {
    check(items, budget)?;
    let capacity = budget.floor() as u64;
    let costs: Vec<u64> = items.iter().map(|it| it.cost.ceil() as u64).collect();
    let candidates: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].benefit > 0.0 && costs[i] <= capacity)
        .collect();
    let knapsack: Vec<(u64, f64)> = candidates
        .iter()
        .map(|&i| (costs[i], items[i].benefit))
        .collect();
    let mut take = vec![false; items.len()];
    let (solution, cut_short) = solve(&knapsack, capacity, dp_cells, max_nodes);
    for (k, taken) in solution.into_iter().enumerate() {
        take[candidates[k]] = taken;
    }

    let total_cost: u64 = (0..items.len())
        .filter(|&i| take[i])
        .map(|i| costs[i])
        .sum();
    let total_cost = total_cost as f64;
    let leftover = budget - total_cost;
    let money = |x| format_money(currency, x);
    let mut plan = BudgetPlan {
        budget,
        chosen: Vec::new(),
        total_cost,
        total_benefit: 0.0,
        leftover,
        deferred: Vec::new(),
        deferred_risk: 0.0,
        cut_short,
    };
    for (i, it) in items.iter().enumerate() {
        if take[i] {
            plan.chosen.push(it.id.clone());
            plan.total_benefit += it.benefit;
            continue;
        }
        let cost = costs[i] as f64;
        let reason = if it.benefit <= 0.0 {
            "acting now costs more than it is expected to save".to_owned()
        } else if costs[i] > capacity {
            format!(
                "costs {}, more than the whole budget of {}",
                money(cost),
                money(budget)
            )
        } else {
            format!(
                "does not fit in the remaining budget of {}",
                money(leftover)
            )
        };
        plan.deferred_risk += it.risk_of_deferring;
        plan.deferred.push(Deferred {
            id: it.id.clone(),
            cost,
            benefit: it.benefit,
            risk_of_deferring: it.risk_of_deferring,
            reason,
        });
    }
    Ok(plan)
}

/// Which of `items` (cost, benefit > 0, cost ≤ capacity) to take, and whether
/// the search was cut short at `max_nodes`.
fn solve(items: &[(u64, f64)], capacity: u64, dp_cells: u64, max_nodes: u64) -> (Vec<bool>, bool) {
    let mut take = vec![false; items.len()];
    // Free orders are always worth taking; the rest compete for the budget.
    let paid: Vec<usize> = (0..items.len()).filter(|&i| items[i].0 > 0).collect();
    for (i, t) in take.iter_mut().enumerate() {
        *t = items[i].0 == 0;
    }
    let sub: Vec<(u64, f64)> = paid.iter().map(|&i| items[i]).collect();
    let total = sub.iter().fold(0_u64, |t, it| t.saturating_add(it.0));
    let (chosen, cut_short) = if total <= capacity {
        (vec![true; sub.len()], false)
    } else if (sub.len() as u64).saturating_mul(capacity.saturating_add(1)) <= dp_cells {
        (by_dynamic_programming(&sub, capacity), false)
    } else {
        BranchAndBound::solve(&sub, capacity, max_nodes)
    };
    for (k, c) in chosen.into_iter().enumerate() {
        take[paid[k]] = c;
    }
    (take, cut_short)
}

/// Classic DP: `best[x]` is the largest benefit with cost ≤ x; one bit per
/// (item, x) records whether the item improved it, to trace the choice back.
fn by_dynamic_programming(items: &[(u64, f64)], capacity: u64) -> Vec<bool> {
    let width = capacity as usize + 1;
    let mut best = vec![0.0_f64; width];
    let mut improved = vec![0_u64; (items.len() * width).div_ceil(64)];
    for (i, &(cost, benefit)) in items.iter().enumerate() {
        let cost = cost as usize;
        for x in (cost..width).rev() {
            let with = best[x - cost] + benefit;
            if with > best[x] {
                best[x] = with;
                let bit = i * width + x;
                improved[bit / 64] |= 1_u64 << (bit % 64);
            }
        }
    }
    let mut take = vec![false; items.len()];
    let mut x = capacity as usize;
    for i in (0..items.len()).rev() {
        let bit = i * width + x;
        if improved[bit / 64] & (1_u64 << (bit % 64)) != 0 {
            take[i] = true;
            x -= items[i].0 as usize;
        }
    }
    take
}

/// Depth-first search over items sorted by benefit per unit of cost,
/// pruning a branch when even its fractional (LP) bound cannot beat the best plan so far,
/// and stopping after a number of nodes.
struct BranchAndBound {
    /// (cost, benefit, original index), best ratio first; every cost > 0.
    items: Vec<(u64, f64, usize)>,
    current: Vec<bool>,
    best: f64,
    best_set: Vec<bool>,
    /// Nodes still allowed.
    nodes_left: u64,
    /// Whether a node was skipped because none were left.
    cut_short: bool,
}

impl BranchAndBound {
    /// The chosen items, and whether the search stopped at `max_nodes`.
    fn solve(items: &[(u64, f64)], capacity: u64, max_nodes: u64) -> (Vec<bool>, bool) {
        let mut sorted: Vec<(u64, f64, usize)> = items
            .iter()
            .enumerate()
            .map(|(i, &(c, b))| (c, b, i))
            .collect();
        sorted.sort_by(|a, b| {
            (b.1 / b.0 as f64)
                .total_cmp(&(a.1 / a.0 as f64))
                .then(a.2.cmp(&b.2))
        });
        let (best_set, best) = greedy(&sorted, capacity);
        let mut search = Self {
            current: vec![false; sorted.len()],
            best_set,
            best,
            items: sorted,
            nodes_left: max_nodes,
            cut_short: false,
        };
        search.visit(0, capacity, 0.0);
        let mut take = vec![false; items.len()];
        for (k, &(_, _, original)) in search.items.iter().enumerate() {
            take[original] = search.best_set[k];
        }
        (take, search.cut_short)
    }

    /// The linear-relaxation bound: fill greedily by ratio from `from`, then
    /// a fraction of the first item that does not fit.
    fn bound(&self, from: usize, mut room: u64, mut value: f64) -> f64 {
        for &(cost, benefit, _) in &self.items[from..] {
            if cost <= room {
                room -= cost;
                value += benefit;
            } else {
                return value + benefit * room as f64 / cost as f64;
            }
        }
        value
    }

    fn visit(&mut self, i: usize, room: u64, value: f64) {
        if self.nodes_left == 0 {
            self.cut_short = true;
            return;
        }
        self.nodes_left -= 1;
        if value > self.best {
            self.best = value;
            self.best_set.clone_from(&self.current);
        }
        if i == self.items.len() || self.bound(i, room, value) <= self.best {
            return;
        }
        let (cost, benefit, _) = self.items[i];
        if cost <= room {
            self.current[i] = true;
            self.visit(i + 1, room - cost, value + benefit);
            self.current[i] = false;
        }
        self.visit(i + 1, room, value);
    }
}

/// The greedy plan over items sorted best ratio first: take each that still
/// fits. Returns the choice and its benefit.
fn greedy(sorted: &[(u64, f64, usize)], capacity: u64) -> (Vec<bool>, f64) {
    let mut room = capacity;
    let mut value = 0.0;
    let take = sorted
        .iter()
        .map(|&(cost, benefit, _)| {
            let fits = cost <= room;
            if fits {
                room -= cost;
                value += benefit;
            }
            fits
        })
        .collect();
    (take, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(id: &str, cost: f64, benefit: f64) -> BudgetItem {
        BudgetItem {
            id: id.to_owned(),
            cost,
            benefit,
            risk_of_deferring: benefit.max(0.0) * 2.0,
        }
    }

    #[test]
    fn budget_equal_to_the_sum_takes_both_and_one_less_drops_one() {
        let items = [item("pump", 400.0, 500.0), item("boiler", 600.0, 900.0)];
        let p = plan(&items, 1_000.0, "CAD").unwrap();
        assert_eq!(p.chosen, ["pump", "boiler"]);
        assert_eq!(p.total_cost, 1_000.0);
        assert_eq!(p.total_benefit, 1_400.0);
        assert_eq!(p.leftover, 0.0);
        assert!(p.deferred.is_empty());

        let p = plan(&items, 999.0, "CAD").unwrap();
        assert_eq!(p.chosen, ["boiler"]);
        assert_eq!(p.leftover, 399.0);
        assert_eq!(p.deferred.len(), 1);
        assert_eq!(p.deferred[0].id, "pump");
        assert_eq!(
            p.deferred[0].reason,
            "does not fit in the remaining budget of CAD 399"
        );
        assert_eq!(p.deferred_risk, 1_000.0);
    }

    #[test]
    fn costs_round_up_to_whole_units() {
        // 399.2 counts as 400: together 1,000.
        let items = [item("a", 399.2, 10.0), item("b", 600.0, 10.0)];
        assert_eq!(plan(&items, 1_000.0, "CAD").unwrap().chosen.len(), 2);
        assert_eq!(plan(&items, 999.9, "CAD").unwrap().chosen.len(), 1);
        // 400.01 counts as 401: no longer fits with b.
        let items = [item("a", 400.01, 10.0), item("b", 600.0, 10.0)];
        assert_eq!(plan(&items, 1_000.0, "CAD").unwrap().chosen.len(), 1);
    }

    #[test]
    fn exact_where_greedy_by_ratio_is_wrong() {
        // Budget 10. Ratios: a 30/6 = 5, b and c 20/5 = 4. Greedy takes a (6),
        // then neither b nor c fits in 4: benefit 30. Best is b + c: cost 10, benefit 40.
        let items = [
            item("a", 6.0, 30.0),
            item("b", 5.0, 20.0),
            item("c", 5.0, 20.0),
        ];
        for cells in [DP_CELLS, 0] {
            let p = plan_with(&items, 10.0, "CAD", cells, DEFAULT_MAX_NODES).unwrap();
            assert_eq!(p.chosen, ["b", "c"]);
            assert_eq!(p.total_benefit, 40.0);
            assert_eq!(
                p.deferred[0].reason,
                "does not fit in the remaining budget of CAD 0"
            );
        }
    }

    #[test]
    fn zero_budget_takes_only_free_orders() {
        let items = [item("free", 0.0, 5.0), item("paid", 1.0, 100.0)];
        let p = plan(&items, 0.0, "CAD").unwrap();
        assert_eq!(p.chosen, ["free"]);
        assert_eq!(p.total_cost, 0.0);
        assert_eq!(
            p.deferred[0].reason,
            "costs CAD 1, more than the whole budget of CAD 0"
        );
    }

    #[test]
    fn negative_benefits_are_never_chosen() {
        let items = [
            item("a", 10.0, -5.0),
            item("b", 0.0, 0.0),
            item("c", 20.0, -0.1),
        ];
        let p = plan(&items, 1_000.0, "$").unwrap();
        assert!(p.chosen.is_empty());
        assert_eq!(p.total_benefit, 0.0);
        assert_eq!(p.leftover, 1_000.0);
        assert!(
            p.deferred
                .iter()
                .all(|d| d.reason == "acting now costs more than it is expected to save")
        );
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let items = [
            item("a", 1e15, 5.0),
            item("b", 1e15, 5.0),
            item("c", 3.0, 1.0),
        ];
        let p = plan(&items, 1e15, "CAD").unwrap();
        assert_eq!(p.chosen, ["a"]);
        assert!(matches!(
            plan(&items, 1e16, "CAD"),
            Err(BudgetError::InvalidBudget(_))
        ));
        assert!(matches!(
            plan(&[item("x", f64::INFINITY, 1.0)], 10.0, "CAD"),
            Err(BudgetError::InvalidItem { field: "cost", .. })
        ));
    }

    #[test]
    fn bad_numbers_are_errors() {
        let items = [item("a", 10.0, 5.0)];
        assert_eq!(
            plan(&items, -1.0, "CAD"),
            Err(BudgetError::InvalidBudget(-1.0))
        );
        assert!(matches!(
            plan(&items, f64::NAN, "CAD"),
            Err(BudgetError::InvalidBudget(_))
        ));
        assert!(matches!(
            plan(&[item("x", f64::NAN, 1.0)], 10.0, "CAD"),
            Err(BudgetError::InvalidItem { field: "cost", .. })
        ));
        let e = plan(&[item("x", -3.0, 1.0)], 10.0, "CAD").unwrap_err();
        assert_eq!(e.to_string(), "order \"x\": cost -3 is not a valid amount");
    }

    /// A small deterministic pseudo-random generator for large instances.
    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    fn random_items(n: usize, seed: u64) -> Vec<BudgetItem> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                let cost = (100.0 + 20_000.0 * lcg(&mut s).powi(2)).round();
                let benefit = cost * (lcg(&mut s) * 2.0 - 0.3) + 500.0 * lcg(&mut s);
                item(&format!("o{i}"), cost, benefit)
            })
            .collect()
    }

    #[test]
    fn dynamic_programming_and_branch_and_bound_agree() {
        let items = random_items(80, 7);
        let dp = plan_with(&items, 60_000.0, "CAD", u64::MAX, DEFAULT_MAX_NODES).unwrap();
        let bb = plan_with(&items, 60_000.0, "CAD", 0, DEFAULT_MAX_NODES).unwrap();
        assert!((dp.total_benefit - bb.total_benefit).abs() < 1e-6);
        assert!(dp.total_cost <= 60_000.0 && bb.total_cost <= 60_000.0);
    }

    #[test]
    fn a_thousand_orders_and_a_million_budget() {
        let items = random_items(1_000, 11);
        let p = plan(&items, 1_000_000.0, "CAD").unwrap();
        assert!(p.total_cost <= 1_000_000.0);
        assert_eq!(p.chosen.len() + p.deferred.len(), 1_000);
        assert!(!p.cut_short, "a realistic instance is solved exactly");
    }

    #[test]
    fn a_search_cut_short_returns_a_valid_plan_at_least_as_good_as_greedy() {
        let items = random_items(300, 5);
        let budget = 400_000.0;
        let exact = plan_with(&items, budget, "CAD", 0, u64::MAX).unwrap();
        assert!(!exact.cut_short);
        let mut by_ratio: Vec<&BudgetItem> = items.iter().filter(|it| it.benefit > 0.0).collect();
        by_ratio.sort_by(|a, b| (b.benefit / b.cost).total_cmp(&(a.benefit / a.cost)));
        let (mut room, mut greedy) = (budget, 0.0);
        for it in by_ratio {
            if it.cost <= room {
                room -= it.cost;
                greedy += it.benefit;
            }
        }
        for max_nodes in [0, 1, 10, 1_000] {
            let p = plan_with(&items, budget, "CAD", 0, max_nodes).unwrap();
            assert!(p.cut_short, "{max_nodes} nodes");
            assert!(p.total_cost <= budget);
            assert_eq!(p.chosen.len() + p.deferred.len(), items.len());
            assert!(p.total_benefit >= greedy - 1e-6, "{max_nodes} nodes");
            assert!(p.total_benefit <= exact.total_benefit + 1e-6);
        }
        // Dynamic programming is never cut short.
        let dp = plan_with(&items, budget, "CAD", u64::MAX, 0).unwrap();
        assert!(!dp.cut_short);
        assert!((dp.total_benefit - exact.total_benefit).abs() < 1e-6);
    }

    /// The best total benefit over every subset, with the same rounding.
    fn brute_force(items: &[BudgetItem], budget: f64) -> f64 {
        let capacity = budget.floor() as u64;
        let mut best = 0.0_f64;
        for mask in 0_u32..1 << items.len() {
            let (mut cost, mut benefit) = (0_u64, 0.0);
            for (i, it) in items.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    cost += it.cost.ceil() as u64;
                    benefit += it.benefit;
                }
            }
            if cost <= capacity && benefit > best {
                best = benefit;
            }
        }
        best
    }

    proptest! {
        #[test]
        fn matches_brute_force(
            raw in prop::collection::vec((0.0..300.0_f64, -100.0..500.0_f64), 0..=12),
            budget in 0.0..1_500.0_f64,
        ) {
            let items: Vec<BudgetItem> = raw
                .iter()
                .enumerate()
                .map(|(i, &(c, b))| item(&format!("o{i}"), c, b))
                .collect();
            let expected = brute_force(&items, budget);
            for cells in [DP_CELLS, 0] {
                let p = plan_with(&items, budget, "CAD", cells, DEFAULT_MAX_NODES).unwrap();
                prop_assert!(p.total_cost <= budget);
                prop_assert!((p.total_benefit - expected).abs() <= 1e-9 * expected.max(1.0));
                let recomputed: f64 = p
                    .chosen
                    .iter()
                    .map(|id| items.iter().find(|it| &it.id == id).unwrap().cost.ceil())
                    .sum();
                prop_assert_eq!(recomputed, p.total_cost);
                prop_assert_eq!(p.chosen.len() + p.deferred.len(), items.len());
            }
        }
    }
}
