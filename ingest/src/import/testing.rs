//! What the import tests share: settings judged against a fixed time, and a
//! small registry (a boiler with a supply temperature and a run state, a pump
//! with two vibration sensors).
use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, Gateway, GatewayName,
    GatewayProtocol, Metric, Registry, Sensor, SensorAddress, SensorId, Timestamp, Unit, UnitId,
};
use chrono::NaiveDate;

use super::ImportSettings;

/// The time imports are judged against in tests.
pub(super) const NOW: &str = "2024-06-01T00:00:00Z";

/// Default settings, judged at [`NOW`].
pub(super) fn settings() -> ImportSettings {
    ImportSettings {
        now: Timestamp::parse(NOW).unwrap(),
        ..ImportSettings::default()
    }
}

/// Building A, unit A-101, boiler A-BLR-1 (supply, run) and pump A-PMP-1 (two vibration sensors).
pub(super) fn registry() -> Registry {
    let building = BuildingId::parse("A").unwrap();
    let equipment = |id: &str| Equipment {
        id: EquipmentId::parse(id).unwrap(),
        building: building.clone(),
        kind: EquipmentKind::Boiler,
        name: id.into(),
        make: String::new(),
        model: String::new(),
        installed: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
        replacement_cost: 1.0,
        failure_cost: 1.0,
        criticality: 3,
        serves: vec![UnitId::parse("A-101").unwrap()],
    };
    let sensor = |id: &str, equipment: &str, metric: Metric| Sensor {
        id: SensorId::parse(id).unwrap(),
        equipment: EquipmentId::parse(equipment).unwrap(),
        metric,
        unit: metric.unit().into(),
        expected_range: metric.physical_range(),
        interval_s: 300,
        address: SensorAddress::default(),
        gateway: GatewayName::parse("gateway-a").unwrap(),
    };
    Registry::from_checked_parts(
        Coop {
            name: "Test".into(),
            currency: "CAD".into(),
            timezone: None,
        },
        vec![Building {
            id: building.clone(),
            name: "A".into(),
            address: String::new(),
            floors: 2,
        }],
        vec![Unit {
            id: UnitId::parse("A-101").unwrap(),
            building: building.clone(),
            floor: 1,
        }],
        vec![equipment("A-BLR-1"), equipment("A-PMP-1")],
        vec![
            sensor("A-BLR-1-supply", "A-BLR-1", Metric::SupplyTemperature),
            sensor("A-BLR-1-run", "A-BLR-1", Metric::RunState),
            sensor("A-PMP-1-vib-a", "A-PMP-1", Metric::VibrationRms),
            sensor("A-PMP-1-vib-b", "A-PMP-1", Metric::VibrationRms),
        ],
        vec![Gateway {
            name: GatewayName::parse("gateway-a").unwrap(),
            protocol: GatewayProtocol::Native,
        }],
    )
}
