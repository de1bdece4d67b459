//! What `--create-missing` needs: the sensors a long-layout readings file
//! names that the registry lacks, and the id a new sensor gets.
use std::collections::BTreeMap;

use caretaker_core::{EquipmentId, Metric, Registry, SensorId, Timestamp};

use super::cells::{parse_metric, time};
use super::readings::SensorLookup;
use super::table::{Cell, RowData};
use super::{ImportError, ImportSettings, Place, ReadingsFile, ReadingsLayout};

/// A sensor the long layout names that the registry lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSensor {
    /// The equipment (it may itself be missing).
    pub equipment: EquipmentId,
    /// The metric.
    pub metric: Metric,
    /// Whether the registry knows the equipment.
    pub equipment_known: bool,
    /// The earliest time of the rows naming it.
    pub first: Timestamp,
    /// Rows naming it.
    pub rows: u64,
}

/// The sensors a long-layout file names that the registry does not have, from
/// rows whose equipment id, metric and time are valid; sorted by equipment
/// then metric. Empty for the sensor layout (a sensor id says nothing of its
/// equipment or metric).
pub fn find_missing_sensors(
    file: &ReadingsFile,
    registry: &Registry,
    settings: &ImportSettings,
) -> Result<Vec<MissingSensor>, ImportError> {
    if file.layout != ReadingsLayout::EquipmentMetric {
        return Ok(Vec::new());
    }
    let lookup = SensorLookup::new(registry);
    let mut missing: BTreeMap<(String, Metric), MissingSensor> = BTreeMap::new();
    let mut each = |_: Place, row: RowData<'_>| -> Result<(), ImportError> {
        let RowData::Cells(cells) = row else {
            return Ok(());
        };
        let (Cell::Text(equipment), Cell::Text(metric)) = (cells[0], cells[1]) else {
            return Ok(());
        };
        let (Ok(id), Some(metric)) = (EquipmentId::parse(equipment), parse_metric(metric)) else {
            return Ok(());
        };
        let Ok(ts) = time(cells[2], settings) else {
            return Ok(());
        };
        let equipment_known = match lookup.by_equipment.get(equipment) {
            None => false,
            Some(sensors) if sensors.iter().all(|(m, _)| *m != metric) => true,
            Some(_) => return Ok(()),
        };
        let entry = missing
            .entry((equipment.to_owned(), metric))
            .or_insert_with(|| MissingSensor {
                equipment: id,
                metric,
                equipment_known,
                first: Timestamp::from_millis(ts),
                rows: 0,
            });
        entry.first = entry.first.min(Timestamp::from_millis(ts));
        entry.rows += 1;
        Ok(())
    };
    file.table.scan(&file.wants, &mut each, &mut |_| {})?;
    Ok(missing.into_values().collect())
}

/// The sensor id `--create-missing` gives a new sensor: `<equipment>-<metric>`.
pub fn new_sensor_id(
    equipment: &EquipmentId,
    metric: Metric,
) -> Result<SensorId, caretaker_core::DomainError> {
    SensorId::parse(&format!("{equipment}-{}", metric.name()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{registry, settings};
    use super::*;

    #[test]
    fn missing_sensors_of_the_long_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(
            &path,
            "equipment,metric,ts,value\n\
             B-SUMP-1,water_level,2024-02-01T00:00:00Z,10\n\
             B-SUMP-1,water_level,2024-01-15T00:00:00Z,10\n\
             B-SUMP-1,run_state,2024-03-01T00:00:00Z,1\n\
             A-BLR-1,pressure,2024-01-01T00:00:00Z,1.5\n\
             A-BLR-1,supply_temperature,2024-01-01T00:00:00Z,60\n\
             B-SUMP-1,water_level,later,10\n\
             bad id,water_level,2024-01-01T00:00:00Z,10\n",
        )
        .unwrap();
        let missing = find_missing_sensors(
            &ReadingsFile::open(&path).unwrap(),
            &registry(),
            &settings(),
        )
        .unwrap();
        let shown: Vec<String> = missing
            .iter()
            .map(|m| {
                format!(
                    "{} {} {} {} {}",
                    m.equipment, m.metric, m.equipment_known, m.first, m.rows
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "A-BLR-1 pressure true 2024-01-01T00:00:00Z 1",
                "B-SUMP-1 run_state false 2024-03-01T00:00:00Z 1",
                "B-SUMP-1 water_level false 2024-01-15T00:00:00Z 2",
            ]
        );
    }
}
