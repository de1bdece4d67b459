//! The budget plan: the ranked work orders' cumulative expected benefit against their
//! cumulative cost, the budget line, and the orders that fall below it.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::axis;
use super::legend::{self, Entry, Glyph};
use super::plot;
use super::render::Draw;
use super::style::{self, BLUE, Dash, Marker, REFERENCE, VERMILLION};
use super::{ChartError, count};

/// One work order of the plan, in ranked order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    /// What it is: "Replace boiler 1 circulator".
    pub name: String,
    /// What it costs now, in the plan's currency.
    pub cost: f64,
    /// Its expected benefit (failure costs avoided), in the plan's currency.
    pub expected_benefit: f64,
    /// Whether the plan funds it within the budget.
    pub funded: bool,
}

/// The input of the budget plan chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetPlan {
    /// The currency's code, on the axes: "CAD".
    pub currency: String,
    /// The budget, in that currency: a vertical line.
    pub budget: f64,
    /// The work orders in ranked order; items with a non-finite or negative cost, or a
    /// non-finite benefit, are skipped.
    pub items: Vec<PlanItem>,
}

super::renders!(BudgetPlan);

impl BudgetPlan {
    fn items(&self) -> impl Iterator<Item = &PlanItem> {
        self.items
            .iter()
            .filter(|i| i.cost.is_finite() && i.cost >= 0.0 && i.expected_benefit.is_finite())
    }

    /// Each item's point: (cumulative cost, cumulative benefit, funded).
    fn points(&self) -> Vec<(f64, f64, bool)> {
        let (mut cost, mut benefit) = (0.0, 0.0);
        self.items()
            .map(|i| {
                cost += i.cost;
                benefit += i.expected_benefit;
                (cost, benefit, i.funded)
            })
            .collect()
    }

    fn money(&self, v: f64) -> String {
        format!("{} {}", axis::format_number(v, 0), self.currency)
    }
}

impl Draw for BudgetPlan {
    fn title(&self) -> String {
        format!("Budget plan at {}", self.money(self.budget))
    }

    fn description(&self) -> String {
        let items: Vec<&PlanItem> = self.items().collect();
        let funded: Vec<&&PlanItem> = items.iter().filter(|i| i.funded).collect();
        let cost: f64 = funded.iter().map(|i| i.cost).sum();
        let benefit: f64 = funded.iter().map(|i| i.expected_benefit).sum();
        format!(
            "Budget plan at {}: {} of {} funded, costing {} for an expected benefit of {}; {} outside the budget.",
            self.money(self.budget),
            funded.len(),
            count(items.len(), "work order", "work orders"),
            self.money(cost),
            self.money(benefit),
            count(items.len() - funded.len(), "falls", "fall"),
        )
    }

    fn is_empty(&self) -> bool {
        self.items().next().is_none()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (w, _) = root.dim_in_pixel();
        let points = self.points();
        let mut entries = vec![Entry::new(
            Glyph::Line(BLUE, Dash::Solid, Some(Marker::Circle)),
            "Funded",
        )];
        if points.iter().any(|p| !p.2) {
            entries.push(Entry::new(
                Glyph::Point(Marker::Square, VERMILLION, false),
                "Outside the budget",
            ));
        }
        let budget = self.budget.is_finite().then_some(self.budget.max(0.0));
        if let Some(b) = budget {
            entries.push(Entry::new(
                Glyph::Line(REFERENCE, Dash::Dashed, None),
                format!("Budget ({})", self.money(b)),
            ));
        }
        let (legend_area, plot_area) = root.split_vertically(legend::height(&entries, w - 16));
        legend::draw(&legend_area, &entries, 8)?;

        let max_cost = points
            .iter()
            .map(|p| p.0)
            .fold(budget.unwrap_or(0.0), f64::max);
        let benefits = points.iter().map(|p| p.1);
        let lo = benefits.clone().fold(0.0, f64::min);
        let hi = benefits.fold(0.0, f64::max);
        let money = |v: f64, d: usize| axis::format_number(v, d);
        let chart = plot::build(
            &plot_area,
            &|width| axis::horizontal(0.0, max_cost * 1.04, width, true, &money),
            &|height| axis::vertical(lo, hi, height, &money),
            &format!("Cumulative cost ({})", self.currency),
            &format!("Cumulative expected benefit ({})", self.currency),
        )?;
        // The curve from nothing spent, funded items solid, the rest dashed.
        let mut previous = (0.0, 0.0);
        for &(cost, benefit, funded) in &points {
            let (colour, dash) = if funded {
                (BLUE, Dash::Solid)
            } else {
                (VERMILLION, Dash::Dashed)
            };
            plot::line(&chart, &[previous, (cost, benefit)], colour, dash)?;
            previous = (cost, benefit);
        }
        if let Some(b) = budget {
            let y = chart.y_range();
            plot::rule(&chart, (b, y.start), (b, y.end), REFERENCE, Dash::Dashed)?;
        }
        for &(cost, benefit, funded) in &points {
            if funded {
                style::draw_marker(
                    chart.plotting_area(),
                    (cost, benefit),
                    Marker::Circle,
                    5,
                    BLUE,
                    true,
                )?;
            } else {
                style::draw_marker(
                    chart.plotting_area(),
                    (cost, benefit),
                    Marker::Square,
                    5,
                    VERMILLION,
                    false,
                )?;
            }
        }
        Ok(())
    }
}
