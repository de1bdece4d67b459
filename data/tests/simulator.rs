//! The simulator: deterministic, chunking-independent, and realistic where forecasting needs it.
use std::collections::HashMap;

use caretaker_core::{EquipmentKind, Metric, ReadingBatch, Registry, Timestamp};
use caretaker_data::simulate::{FaultKind, Simulation, SimulationParams};
use caretaker_data::{SAMPLE_REGISTRY, parse_registry};

fn registry() -> Registry {
    parse_registry(SAMPLE_REGISTRY, "sample").unwrap()
}

fn params(seed: u64, days: i64) -> SimulationParams {
    let start = Timestamp::parse("2024-01-01").unwrap();
    SimulationParams {
        seed,
        start,
        end: start.plus_millis(days * Timestamp::DAY),
    }
}

fn all_readings(sim: &Simulation, chunk_ms: i64) -> ReadingBatch {
    let mut out = ReadingBatch::default();
    let mut stream = sim.readings();
    let mut t = sim.params().start;
    while !stream.is_done() {
        t = t.plus_millis(chunk_ms);
        stream.fill_until(t, &mut out);
    }
    out
}

#[test]
fn readings_do_not_depend_on_how_they_are_chunked() {
    let sim = Simulation::new(registry(), params(3, 20));
    let by_hour = all_readings(&sim, Timestamp::HOUR);
    let by_week = all_readings(&sim, 7 * Timestamp::DAY);
    assert!(by_hour.len() > 100_000);
    assert_eq!(by_hour, by_week);
}

#[test]
fn same_seed_same_history_other_seed_other_history() {
    let a = Simulation::new(registry(), params(5, 200));
    let b = Simulation::new(registry(), params(5, 200));
    let c = Simulation::new(registry(), params(6, 200));
    assert_eq!(a.events(), b.events());
    assert_ne!(a.events(), c.events());
}

#[test]
fn readings_are_finite_physical_and_in_time_order_per_sensor() {
    let reg = registry();
    let sim = Simulation::new(reg.clone(), params(9, 30));
    let batch = all_readings(&sim, Timestamp::DAY);
    let mut last: HashMap<u32, i64> = HashMap::new();
    for i in 0..batch.len() {
        let sensor = &reg.sensors()[batch.sensors()[i] as usize];
        let v = batch.values()[i];
        let (lo, hi) = sensor.metric.physical_range();
        assert!(v.is_finite() && v >= lo && v <= hi, "{} = {v}", sensor.id);
        if sensor.metric.is_binary() {
            assert!(v == 0.0 || v == 1.0, "{} = {v}", sensor.id);
        }
        let prev = last.insert(batch.sensors()[i], batch.ts_ms()[i]);
        assert!(
            prev.is_none_or(|p| p < batch.ts_ms()[i]),
            "{} out of order",
            sensor.id
        );
    }
    // Most readings of a healthy co-op sit in each sensor's expected range.
    let inside = (0..batch.len())
        .filter(|&i| {
            let (lo, hi) = reg.sensors()[batch.sensors()[i] as usize].expected_range;
            let v = batch.values()[i];
            v >= lo && v <= hi
        })
        .count();
    assert!(
        inside as f64 > 0.9 * batch.len() as f64,
        "{inside} of {}",
        batch.len()
    );
}

/// Mean of a sensor's readings in [from, to).
fn mean(batch: &ReadingBatch, sensor: u32, from: Timestamp, to: Timestamp) -> Option<(f64, f64)> {
    let values: Vec<f64> = (0..batch.len())
        .filter(|&i| {
            batch.sensors()[i] == sensor
                && batch.ts_ms()[i] >= from.millis()
                && batch.ts_ms()[i] < to.millis()
        })
        .map(|i| batch.values()[i])
        .collect();
    if values.len() < 5 {
        return None;
    }
    let m = values.iter().sum::<f64>() / values.len() as f64;
    let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    Some((m, sd))
}

#[test]
fn visible_degradation_moves_its_sensors_before_the_failure() {
    let reg = registry();
    let sim = Simulation::new(reg.clone(), params(7, 365));
    let truth = sim.ground_truth();
    let batch = all_readings(&sim, Timestamp::DAY);
    let visible: Vec<_> = truth.failures.iter().filter(|f| f.visible).collect();
    assert!(
        visible.len() >= 5,
        "only {} visible failures in a year",
        visible.len()
    );
    let mut moved = 0;
    let mut checked = 0;
    for f in &visible {
        let start = f.degradation_start.unwrap();
        let lead = f.ts.millis() - start.millis();
        let late = Timestamp::from_millis(f.ts.millis() - lead / 5);
        let before = start.plus_millis(-14 * Timestamp::DAY);
        if before < truth.start {
            continue;
        }
        let equipment = caretaker_core::EquipmentId::parse(&f.equipment).unwrap();
        let sensors: Vec<u32> = reg
            .sensors_of(&equipment)
            .filter(|&i| f.signature.contains(&reg.sensors()[i].metric))
            .map(|i| i as u32)
            .collect();
        checked += 1;
        let shifted = sensors.iter().any(|&s| {
            match (mean(&batch, s, before, start), mean(&batch, s, late, f.ts)) {
                (Some((m0, sd0)), Some((m1, _))) => (m1 - m0).abs() > 1.0 * sd0.max(1e-6),
                _ => false,
            }
        });
        moved += usize::from(shifted);
    }
    assert!(checked >= 3, "too few failures to check");
    assert!(
        moved as f64 >= 0.7 * checked as f64,
        "only {moved} of {checked} visible failures moved their sensors"
    );
}

#[test]
fn two_years_hold_failures_of_every_kind_and_maintenance_that_catches_some() {
    let reg = registry();
    let sim = Simulation::new(reg.clone(), params(7, 731));
    let truth = sim.ground_truth();
    let n = truth.failures.len();
    assert!((30..=250).contains(&n), "{n} failures in two years");
    let visible = truth.failures.iter().filter(|f| f.visible).count();
    let share = visible as f64 / n as f64;
    assert!((0.3..0.8).contains(&share), "share visible {share}");
    assert!(
        !truth.averted.is_empty(),
        "maintenance never caught a fault"
    );
    for kind in [
        EquipmentKind::Boiler,
        EquipmentKind::CirculationPump,
        EquipmentKind::Elevator,
    ] {
        assert!(
            truth.failures.iter().any(|f| f.kind == kind),
            "no {kind} failure"
        );
    }
    // Every failure is recorded as an event, followed by its repair.
    let events = sim.events();
    for f in &truth.failures {
        assert!(
            events
                .iter()
                .any(|e| e.kind == caretaker_core::EventKind::Failure
                    && e.equipment.as_str() == f.equipment
                    && e.ts == f.ts)
        );
    }
    // Sensor faults of every kind occur.
    for kind in [
        FaultKind::Dropout,
        FaultKind::Stuck,
        FaultKind::Drift,
        FaultKind::GatewayOutage,
    ] {
        assert!(
            truth.sensor_faults.iter().any(|s| s.fault == kind),
            "no {kind:?}"
        );
    }
}

#[test]
fn heating_equipment_fails_more_in_winter() {
    let reg = registry();
    let (mut winter, mut summer) = (0, 0);
    for seed in 1..=4 {
        let sim = Simulation::new(reg.clone(), params(seed, 731));
        for f in sim.ground_truth().failures {
            if !matches!(f.kind, EquipmentKind::Boiler | EquipmentKind::HeatPump) {
                continue;
            }
            use chrono::Datelike;
            match f.ts.to_datetime().month() {
                11 | 12 | 1 | 2 | 3 => winter += 1,
                5..=9 => summer += 1,
                _ => {}
            }
        }
    }
    assert!(winter > summer, "winter {winter} vs summer {summer}");
}

#[test]
fn heating_follows_the_outdoor_temperature() {
    let reg = registry();
    let sim = Simulation::new(reg.clone(), params(2, 366));
    let batch = all_readings(&sim, Timestamp::DAY);
    let supply = reg
        .sensor_index(&caretaker_core::SensorId::parse("A-BLR-1-supply").unwrap())
        .unwrap() as u32;
    assert_eq!(
        reg.sensors()[supply as usize].metric,
        Metric::SupplyTemperature
    );
    let at = |d: &str| Timestamp::parse(d).unwrap();
    let january = mean(&batch, supply, at("2024-01-08"), at("2024-01-22"))
        .unwrap()
        .0;
    let july = mean(&batch, supply, at("2024-07-08"), at("2024-07-22"))
        .unwrap()
        .0;
    assert!(january > july + 20.0, "january {january} july {july}");
}
