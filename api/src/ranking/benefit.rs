//! The expected benefit of acting now on one piece of equipment, explained.
//!
//! With `P` the probability of failing within the horizon (after the
//! evidence floor, see [`RankingPolicy::evidence_floor`]) and `loss` = failure
//! cost + resident impact:
//!
//! - expected cost of waiting = `P × loss`;
//! - expected benefit of acting now = `P × risk_removed × loss − cost_of_acting_now`.
//!
//! Inputs are taken as given but made safe first: a probability outside
//! 0..1 is clamped (NaN counts as 0), criticality is clamped to 1..5, and a
//! negative or non-finite cost counts as 0.
use std::cmp::Ordering;

use caretaker_core::{BuildingId, Equipment, EquipmentId, EquipmentKind};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::policy::RankingPolicy;

/// Everything the ranking needs to know about one piece of equipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInput {
    /// The equipment.
    pub equipment: EquipmentId,
    /// Its plain-language name (`Boiler 1, Maple Court basement`).
    pub name: String,
    /// What it is.
    pub kind: EquipmentKind,
    /// The building it is in.
    pub building: BuildingId,
    /// Cost of replacing it.
    pub replacement_cost: f64,
    /// Cost of a failure beyond the repair (emergency call-out, damage).
    pub failure_cost: f64,
    /// How much residents suffer when it fails, 1 to 5.
    pub criticality: u8,
    /// How many units it serves.
    pub units_served: u32,
    /// Whether it is the only equipment of its kind in its building.
    pub sole_of_kind: bool,
    /// The forecast probability of failing within `horizon_days`.
    pub probability: f64,
    /// The forecast horizon in days.
    pub horizon_days: u32,
    /// The day the forecast was made for.
    pub as_of: NaiveDate,
    /// What drives the forecast, already phrased for residents by the forecaster.
    pub drivers: Vec<String>,
    /// Resident reports about it in the last 30 days.
    pub resident_reports_30d: u32,
    /// Problems with its sensors (silent, stuck, out of range), in plain words.
    pub sensor_problems: Vec<String>,
    /// Its age in years.
    pub age_years: f64,
    /// Days since its last maintenance, if any is on record.
    pub days_since_maintenance: Option<u32>,
    /// Currency of the costs (ISO 4217 code such as `CAD`, or a symbol such as `$`).
    pub currency: String,
}

/// Default forecast horizon in days.
pub const DEFAULT_HORIZON_DAYS: u32 = 30;

impl RiskInput {
    /// An input from a registry entry, with a [`DEFAULT_HORIZON_DAYS`]
    /// horizon, its age as of `as_of`, and no drivers, reports, sensor
    /// problems or maintenance on record (fill them in as known).
    pub fn from_equipment(
        e: &Equipment,
        sole_of_kind: bool,
        probability: f64,
        as_of: NaiveDate,
        currency: &str,
    ) -> Self {
        let age_days = (as_of - e.installed).num_days().max(0);
        Self {
            equipment: e.id.clone(),
            name: e.name.clone(),
            kind: e.kind,
            building: e.building.clone(),
            replacement_cost: e.replacement_cost,
            failure_cost: e.failure_cost,
            criticality: e.criticality,
            units_served: u32::try_from(e.serves.len()).unwrap_or(u32::MAX),
            sole_of_kind,
            probability,
            horizon_days: DEFAULT_HORIZON_DAYS,
            as_of,
            drivers: Vec::new(),
            resident_reports_30d: 0,
            sensor_problems: Vec::new(),
            age_years: age_days as f64 / 365.25,
            days_since_maintenance: None,
            currency: currency.to_owned(),
        }
    }
}

/// The case for acting now on one piece of equipment, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    /// The equipment.
    #[schema(value_type = String)]
    pub equipment: EquipmentId,
    /// Its plain-language name.
    pub name: String,
    /// What it is.
    #[schema(value_type = String)]
    pub kind: EquipmentKind,
    /// The probability the forecaster gave.
    pub model_probability: f64,
    /// The lowest probability resident reports and sensor problems stand for.
    pub evidence_floor: f64,
    /// The probability used: the larger of the two above.
    pub probability: f64,
    /// The horizon of that probability, in days.
    pub horizon_days: u32,
    /// Money value of what residents lose in a failure.
    pub resident_impact: f64,
    /// Cost of a failure beyond the repair.
    pub failure_cost: f64,
    /// `probability × (failure_cost + resident_impact)`.
    pub expected_cost_of_waiting: f64,
    /// Cost of the preventive work.
    pub cost_of_acting_now: f64,
    /// Share of the risk that acting now removes.
    pub risk_removed: f64,
    /// `probability × risk_removed × (failure_cost + resident_impact) − cost_of_acting_now`.
    pub expected_benefit: f64,
    /// Season weight used for resident impact.
    pub season_factor: f64,
    /// Weight used for being the only one of its kind in the building (1 if not).
    pub sole_of_kind_factor: f64,
    /// Currency of every amount.
    pub currency: String,
    /// The evidence, one plain sentence each.
    pub reasons: Vec<String>,
    /// The case in a few plain sentences, with the numbers.
    pub summary: String,
}

fn non_negative(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

/// Assesses one piece of equipment under a policy.
pub fn assess(input: &RiskInput, policy: &RankingPolicy) -> Assessment {
    let kind = policy.kinds.get(input.kind);
    let model_probability = if input.probability.is_nan() {
        0.0
    } else {
        input.probability.clamp(0.0, 1.0)
    };
    let evidence_floor =
        policy.evidence_floor(input.resident_reports_30d, input.sensor_problems.len());
    let probability = model_probability.max(evidence_floor);
    let criticality = input.criticality.clamp(1, 5);
    let season_factor = policy
        .season
        .factor(kind.seasonality, input.as_of, input.horizon_days);
    let sole_of_kind_factor = if input.sole_of_kind {
        policy.sole_of_kind_factor
    } else {
        1.0
    };
    let resident_impact = non_negative(
        policy.resident_day_value
            * f64::from(criticality)
            * f64::from(input.units_served)
            * kind.outage_days
            * season_factor
            * sole_of_kind_factor,
    );
    let failure_cost = non_negative(input.failure_cost);
    let loss = failure_cost + resident_impact;
    let risk_removed = kind.risk_removed.clamp(0.0, 1.0);
    let cost_of_acting_now = non_negative(kind.acting_cost_share * input.replacement_cost);
    let mut a = Assessment {
        equipment: input.equipment.clone(),
        name: input.name.clone(),
        kind: input.kind,
        model_probability,
        evidence_floor,
        probability,
        horizon_days: input.horizon_days,
        resident_impact,
        failure_cost,
        expected_cost_of_waiting: probability * loss,
        cost_of_acting_now,
        risk_removed,
        expected_benefit: probability * risk_removed * loss - cost_of_acting_now,
        season_factor,
        sole_of_kind_factor,
        currency: input.currency.clone(),
        reasons: Vec::new(),
        summary: String::new(),
    };
    a.summary = summary(input, &a, criticality, policy);
    a.reasons = reasons(input);
    a
}

/// Ranks assessments by expected benefit, highest first; ties go to the
/// higher probability, then to the smaller equipment id. Ranks start at 1.
pub fn rank(mut assessments: Vec<Assessment>) -> Vec<(usize, Assessment)> {
    assessments.sort_by(compare);
    assessments
        .into_iter()
        .enumerate()
        .map(|(i, a)| (i + 1, a))
        .collect()
}

fn compare(a: &Assessment, b: &Assessment) -> Ordering {
    b.expected_benefit
        .total_cmp(&a.expected_benefit)
        .then(b.probability.total_cmp(&a.probability))
        .then_with(|| a.equipment.cmp(&b.equipment))
}

/// An amount rounded to whole units with thousands separators, after the
/// currency: `CAD 4,000` for a code, `$4,000` for a symbol.
pub fn format_money(currency: &str, amount: f64) -> String {
    let rounded = amount.round();
    let sign = if rounded < 0.0 { "-" } else { "" };
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let space = if currency.chars().all(|c| c.is_ascii_alphabetic()) && !currency.is_empty() {
        " "
    } else {
        ""
    };
    format!("{sign}{currency}{space}{grouped}")
}

/// A probability as a whole percentage (`34%`, `less than 1%`).
pub fn format_percent(p: f64) -> String {
    let pct = (p * 100.0).round();
    if p > 0.0 && pct < 1.0 {
        "less than 1%".to_owned()
    } else if p < 1.0 && pct > 99.0 {
        "more than 99%".to_owned()
    } else {
        format!("{pct:.0}%")
    }
}

fn format_factor(f: f64) -> String {
    let s = format!("{f:.1}");
    s.strip_suffix(".0").unwrap_or(&s).to_owned()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What residents lose when this kind fails, as in "about CAD 900 in lost heat".
fn loss_words(kind: EquipmentKind) -> &'static str {
    match kind {
        EquipmentKind::Boiler | EquipmentKind::CirculationPump | EquipmentKind::HeatPump => {
            "lost heat"
        }
        EquipmentKind::DhwHeater => "lost hot water",
        EquipmentKind::Elevator => "lost elevator service",
        EquipmentKind::SumpPump => "a flooded, closed basement",
        EquipmentKind::AirHandler => "lost ventilation",
        EquipmentKind::LeakZone => "water shut-offs and repairs",
    }
}

fn summary(input: &RiskInput, a: &Assessment, criticality: u8, policy: &RankingPolicy) -> String {
    let money = |x| format_money(&a.currency, x);
    let mut s = format!(
        "{}: {} chance of failing within {}.",
        a.name,
        format_percent(a.probability),
        plural(a.horizon_days.into(), "day", "days"),
    );
    if a.evidence_floor > a.model_probability {
        let mut evidence = Vec::new();
        if input.resident_reports_30d > 0 {
            evidence.push(plural(
                input.resident_reports_30d.into(),
                "resident report",
                "resident reports",
            ));
        }
        if !input.sensor_problems.is_empty() {
            evidence.push(plural(
                input.sensor_problems.len() as u64,
                "sensor problem",
                "sensor problems",
            ));
        }
        s.pop();
        s += &format!(
            " (the forecast alone says {}; raised because of {}).",
            format_percent(a.model_probability),
            evidence.join(" and "),
        );
    }
    s += &format!(
        " A failure would cost about {} in call-out and damage",
        money(a.failure_cost)
    );
    if a.resident_impact > 0.0 {
        let mut factors = vec![format!("criticality {criticality}")];
        if a.season_factor != 1.0 {
            let season = &policy.season;
            let name = if a.season_factor == season.heating_factor {
                "heating season"
            } else if a.season_factor == season.summer_factor {
                "summer"
            } else if a.season_factor == season.thaw_factor {
                "spring thaw"
            } else {
                "season"
            };
            factors.push(format!("{name} ×{}", format_factor(a.season_factor)));
        }
        if a.sole_of_kind_factor != 1.0 {
            factors.push(format!(
                "only {} in the building ×{}",
                input.kind.label(),
                format_factor(a.sole_of_kind_factor)
            ));
        }
        s += &format!(
            ", plus about {} in {} for {} {} ({})",
            money(a.resident_impact),
            loss_words(input.kind),
            plural(input.units_served.into(), "unit", "units"),
            when(input.as_of, input.horizon_days),
            factors.join(", "),
        );
    }
    s += &format!(
        ". Waiting risks about {} on average. Acting now costs about {}",
        money(a.expected_cost_of_waiting),
        money(a.cost_of_acting_now),
    );
    let removed = format_percent(a.risk_removed);
    if a.expected_benefit > 0.0 {
        s += &format!(
            " and removes about {removed} of that risk: expected saving {}.",
            money(a.expected_benefit)
        );
    } else {
        s += &format!(
            ", more than removing about {removed} of that risk is worth ({}): it can wait.",
            money(a.expected_benefit + a.cost_of_acting_now)
        );
    }
    s
}

/// "in January", or "from October to November" when the horizon spans months.
fn when(as_of: NaiveDate, horizon_days: u32) -> String {
    let end = as_of + Duration::days(i64::from(horizon_days.max(1)) - 1);
    let month = |d: NaiveDate| d.format("%B").to_string();
    if (end.year(), end.month()) == (as_of.year(), as_of.month()) {
        format!("in {}", month(as_of))
    } else {
        format!("from {} to {}", month(as_of), month(end))
    }
}

fn reasons(input: &RiskInput) -> Vec<String> {
    let mut r = input.drivers.clone();
    if input.resident_reports_30d > 0 {
        let who = plural(input.resident_reports_30d.into(), "resident", "residents");
        r.push(format!("{who} reported a problem in the last 30 days."));
    }
    for p in &input.sensor_problems {
        r.push(format!("Sensor problem: {p}."));
    }
    if input.sole_of_kind {
        r.push(format!(
            "It is the only {} in its building, so residents have no fallback.",
            input.kind.label()
        ));
    }
    let age = input.age_years.round();
    if age < 1.0 {
        r.push("It is less than a year old.".to_owned());
    } else {
        r.push(format!(
            "It is {} old.",
            plural(age as u64, "year", "years")
        ));
    }
    r.push(match input.days_since_maintenance {
        None => "No maintenance on record.".to_owned(),
        Some(0) => "Last maintained today.".to_owned(),
        Some(d) => format!("Last maintained {} ago.", plural(d.into(), "day", "days")),
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// An input with no reports or sensor problems, as of 1 October 2025
    /// (×1 season for every kind).
    #[allow(clippy::too_many_arguments)]
    fn input(
        id: &str,
        kind: EquipmentKind,
        p: f64,
        replacement: f64,
        failure: f64,
        criticality: u8,
        units: u32,
        sole: bool,
    ) -> RiskInput {
        RiskInput {
            equipment: EquipmentId::parse(id).unwrap(),
            name: id.to_owned(),
            kind,
            building: BuildingId::parse("A").unwrap(),
            replacement_cost: replacement,
            failure_cost: failure,
            criticality,
            units_served: units,
            sole_of_kind: sole,
            probability: p,
            horizon_days: 30,
            as_of: date(2025, 10, 1),
            drivers: vec![],
            resident_reports_30d: 0,
            sensor_problems: vec![],
            age_years: 12.0,
            days_since_maintenance: Some(200),
            currency: "CAD".to_owned(),
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    fn order(ranked: &[(usize, Assessment)]) -> Vec<&str> {
        ranked.iter().map(|(_, a)| a.equipment.as_str()).collect()
    }

    #[test]
    fn unlikely_but_severe_beats_likely_but_cheap() {
        let policy = RankingPolicy::default();
        // Air handler: P 0.6, failure 1,000, 10 units at criticality 1.
        //   impact  = 20 × 1 × 10 × 1 day × 1 = 200;  loss = 1,200
        //   acting  = 0.10 × 4,000 = 400
        //   benefit = 0.6 × 0.8 × 1,200 − 400 = 576 − 400 = 176
        let cheap = assess(
            &input(
                "A-AHU-1",
                EquipmentKind::AirHandler,
                0.6,
                4_000.0,
                1_000.0,
                1,
                10,
                false,
            ),
            &policy,
        );
        // Sump pump: P 0.04, failure 30,000 (flooded basement), 24 units at criticality 4.
        //   impact  = 20 × 4 × 24 × 1 day × 1 = 1,920;  loss = 31,920
        //   acting  = 0.25 × 2,000 = 500
        //   benefit = 0.04 × 0.9 × 31,920 − 500 = 1,149.12 − 500 = 649.12
        let severe = assess(
            &input(
                "A-SMP-1",
                EquipmentKind::SumpPump,
                0.04,
                2_000.0,
                30_000.0,
                4,
                24,
                false,
            ),
            &policy,
        );
        close(cheap.resident_impact, 200.0);
        close(cheap.expected_cost_of_waiting, 720.0);
        close(cheap.expected_benefit, 176.0);
        close(severe.resident_impact, 1_920.0);
        close(severe.expected_cost_of_waiting, 1_276.8);
        close(severe.expected_benefit, 649.12);
        let ranked = rank(vec![cheap, severe]);
        assert_eq!(order(&ranked), ["A-SMP-1", "A-AHU-1"]);
        assert_eq!(ranked[0].0, 1);
    }

    #[test]
    fn same_boiler_ranks_higher_in_january_than_in_july() {
        let policy = RankingPolicy::default();
        let mut january = input(
            "A-BLR-1",
            EquipmentKind::Boiler,
            0.3,
            40_000.0,
            5_000.0,
            5,
            24,
            false,
        );
        january.as_of = date(2025, 1, 1);
        january.name = "Boiler 1, Maple Court basement".into();
        let mut july = january.clone();
        july.equipment = EquipmentId::parse("A-BLR-1-july").unwrap();
        july.as_of = date(2025, 7, 1);
        // acting = 0.08 × 40,000 = 3,200 in both.
        // January: impact = 20 × 5 × 24 × 2 days × 3 = 14,400; loss = 19,400
        //   benefit = 0.3 × 0.8 × 19,400 − 3,200 = 4,656 − 3,200 = 1,456
        // July:    impact = 20 × 5 × 24 × 2 days × 0.3 = 1,440; loss = 6,440
        //   benefit = 0.3 × 0.8 × 6,440 − 3,200 = 1,545.6 − 3,200 = −1,654.4
        let jan = assess(&january, &policy);
        let jul = assess(&july, &policy);
        close(jan.season_factor, 3.0);
        close(jan.resident_impact, 14_400.0);
        close(jan.cost_of_acting_now, 3_200.0);
        close(jan.expected_cost_of_waiting, 5_820.0);
        close(jan.expected_benefit, 1_456.0);
        close(jul.season_factor, 0.3);
        close(jul.resident_impact, 1_440.0);
        close(jul.expected_benefit, -1_654.4);
        assert_eq!(
            jan.summary,
            "Boiler 1, Maple Court basement: 30% chance of failing within 30 days. \
             A failure would cost about CAD 5,000 in call-out and damage, plus about \
             CAD 14,400 in lost heat for 24 units in January (criticality 5, heating season ×3). \
             Waiting risks about CAD 5,820 on average. Acting now costs about CAD 3,200 and \
             removes about 80% of that risk: expected saving CAD 1,456."
        );
        assert!(jul.summary.ends_with(
            "Acting now costs about CAD 3,200, more than removing about 80% of that risk \
             is worth (CAD 1,546): it can wait."
        ));
        assert_eq!(order(&rank(vec![jul, jan])), ["A-BLR-1", "A-BLR-1-july"]);
    }

    #[test]
    fn sole_elevator_ranks_above_one_of_two() {
        let policy = RankingPolicy::default();
        // acting = 0.05 × 100,000 = 5,000; outage 3 days; risk removed 0.7.
        // One of two: impact = 20 × 4 × 30 × 3 = 7,200;  loss = 15,200
        //   benefit = 0.5 × 0.7 × 15,200 − 5,000 = 5,320 − 5,000 = 320
        // Sole:       impact = 7,200 × 2 = 14,400;       loss = 22,400
        //   benefit = 0.5 × 0.7 × 22,400 − 5,000 = 7,840 − 5,000 = 2,840
        let pair = assess(
            &input(
                "A-ELV-1",
                EquipmentKind::Elevator,
                0.5,
                100_000.0,
                8_000.0,
                4,
                30,
                false,
            ),
            &policy,
        );
        let sole = assess(
            &input(
                "B-ELV-1",
                EquipmentKind::Elevator,
                0.5,
                100_000.0,
                8_000.0,
                4,
                30,
                true,
            ),
            &policy,
        );
        close(pair.expected_benefit, 320.0);
        close(sole.resident_impact, 14_400.0);
        close(sole.expected_benefit, 2_840.0);
        assert!(sole.summary.contains("only elevator in the building ×2"));
        assert!(sole.reasons.contains(
            &"It is the only elevator in its building, so residents have no fallback.".to_owned()
        ));
        assert_eq!(order(&rank(vec![pair, sole])), ["B-ELV-1", "A-ELV-1"]);
    }

    #[test]
    fn resident_reports_raise_a_low_probability_item() {
        let policy = RankingPolicy::default();
        // Hot-water heaters: acting = 0.15 × 2,000 = 300;
        //   impact = 20 × 3 × 20 × 1.5 days = 1,800; loss = 1,500 + 1,800 = 3,300.
        // Quiet one, model P 0.10:  benefit = 0.10 × 0.8 × 3,300 − 300 = 264 − 300 = −36.
        // Reported one, model P 0.01 with 3 reports: floor = 1 − 0.95³ = 0.142625,
        //   benefit = 0.142625 × 0.8 × 3,300 − 300 = 376.53 − 300 = 76.53
        //   (without the reports: 0.01 × 0.8 × 3,300 − 300 = −273.6).
        let quiet = assess(
            &input(
                "A-DHW-1",
                EquipmentKind::DhwHeater,
                0.10,
                2_000.0,
                1_500.0,
                3,
                20,
                false,
            ),
            &policy,
        );
        let mut reported = input(
            "B-DHW-1",
            EquipmentKind::DhwHeater,
            0.01,
            2_000.0,
            1_500.0,
            3,
            20,
            false,
        );
        close(assess(&reported, &policy).expected_benefit, -273.6);
        reported.resident_reports_30d = 3;
        let reported = assess(&reported, &policy);
        close(quiet.expected_benefit, -36.0);
        close(reported.model_probability, 0.01);
        close(reported.probability, 0.142625);
        close(reported.expected_benefit, 76.53);
        assert!(reported.summary.starts_with(
            "B-DHW-1: 14% chance of failing within 30 days \
             (the forecast alone says 1%; raised because of 3 resident reports)."
        ));
        assert!(
            reported
                .reasons
                .contains(&"3 residents reported a problem in the last 30 days.".to_owned())
        );
        assert_eq!(order(&rank(vec![quiet, reported])), ["B-DHW-1", "A-DHW-1"]);
    }

    #[test]
    fn ties_go_to_higher_probability_then_id() {
        let policy = RankingPolicy::default();
        // Zero costs and zero impact: every benefit is 0.
        let a = assess(
            &input("C", EquipmentKind::LeakZone, 0.2, 0.0, 0.0, 1, 0, false),
            &policy,
        );
        let b = assess(
            &input("B", EquipmentKind::LeakZone, 0.2, 0.0, 0.0, 1, 0, false),
            &policy,
        );
        let c = assess(
            &input("A", EquipmentKind::LeakZone, 0.1, 0.0, 0.0, 1, 0, false),
            &policy,
        );
        let ranked = rank(vec![c, a, b]);
        assert_eq!(order(&ranked), ["B", "C", "A"]);
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn reasons_and_unsafe_inputs() {
        let policy = RankingPolicy::default();
        let mut i = input(
            "A-BLR-1",
            EquipmentKind::Boiler,
            f64::NAN,
            -5.0,
            f64::INFINITY,
            9,
            1,
            false,
        );
        i.drivers = vec!["Supply temperature has been falling for 3 days.".into()];
        i.sensor_problems = vec!["the return temperature sensor has been silent for 2 days".into()];
        i.resident_reports_30d = 1;
        i.days_since_maintenance = None;
        let a = assess(&i, &policy);
        assert_eq!(a.model_probability, 0.0);
        close(a.probability, 1.0 - 0.95 * 0.97);
        assert_eq!(a.failure_cost, 0.0);
        assert_eq!(a.cost_of_acting_now, 0.0);
        // Criticality 9 counts as 5: 20 × 5 × 1 × 2 days × 1.
        close(a.resident_impact, 200.0);
        assert_eq!(
            a.reasons,
            [
                "Supply temperature has been falling for 3 days.",
                "1 resident reported a problem in the last 30 days.",
                "Sensor problem: the return temperature sensor has been silent for 2 days.",
                "It is 12 years old.",
                "No maintenance on record.",
            ]
        );
        assert!(
            a.summary
                .contains("raised because of 1 resident report and 1 sensor problem")
        );
        assert!(serde_json::to_value(&a).unwrap()["reasons"].is_array());
    }

    #[test]
    fn money_and_percent_are_readable() {
        assert_eq!(format_money("CAD", 1_234_567.4), "CAD 1,234,567");
        assert_eq!(format_money("$", 4_000.0), "$4,000");
        assert_eq!(format_money("EUR", 999.5), "EUR 1,000");
        assert_eq!(format_money("CAD", -64.0), "-CAD 64");
        assert_eq!(format_money("CAD", -0.2), "CAD 0");
        assert_eq!(format_percent(0.342), "34%");
        assert_eq!(format_percent(0.001), "less than 1%");
        assert_eq!(format_percent(0.0), "0%");
        assert_eq!(format_percent(0.999), "more than 99%");
        assert_eq!(when(date(2025, 10, 22), 30), "from October to November");
    }
}
