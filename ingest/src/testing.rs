//! Test helpers shared by this crate's unit tests.
use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, Gateway, GatewayName,
    GatewayProtocol, Metric, Registry, Sensor, SensorAddress, SensorId, Unit, UnitId,
};

/// A one-building, one-unit, one-pump registry with the given sensors (id, metric).
pub(crate) fn registry(sensors: &[(&str, Metric)]) -> Registry {
    let b = BuildingId::parse("A").unwrap();
    let u = UnitId::parse("A-101").unwrap();
    let e = EquipmentId::parse("A-CP-1").unwrap();
    let sensors = sensors
        .iter()
        .map(|(id, metric)| Sensor {
            id: SensorId::parse(id).unwrap(),
            equipment: e.clone(),
            metric: *metric,
            unit: metric.unit().into(),
            expected_range: metric.physical_range(),
            interval_s: 300,
            address: SensorAddress::default(),
            gateway: GatewayName::parse("gateway-a").unwrap(),
        })
        .collect();
    Registry::from_checked_parts(
        Coop {
            name: "test".into(),
            currency: "CAD".into(),
            timezone: None,
        },
        vec![Building {
            id: b.clone(),
            name: "A".into(),
            address: String::new(),
            floors: 1,
        }],
        vec![Unit {
            id: u.clone(),
            building: b.clone(),
            floor: 1,
        }],
        vec![Equipment {
            id: e,
            building: b,
            kind: EquipmentKind::CirculationPump,
            name: "pump".into(),
            make: String::new(),
            model: String::new(),
            installed: chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
            replacement_cost: 1.0,
            failure_cost: 1.0,
            criticality: 3,
            serves: vec![u],
        }],
        sensors,
        vec![Gateway {
            name: GatewayName::parse("gateway-a").unwrap(),
            protocol: GatewayProtocol::Native,
        }],
    )
}
