//! Events import: an events file's columns, each row checked into an
//! [`Event`]; storing them is the caller's (the operational store is not this crate's).
use std::path::Path;

use caretaker_core::{EquipmentId, Event, EventKind, Registry, Timestamp, UnitId};

use super::cells::{Problem, describe, number, text, time};
use super::table::{Cell, RowData, Table, Want};
use super::{
    FileFormat, ImportError, ImportKind, ImportReason, ImportReport, ImportSettings, Place, RowNote,
};

const EVENTS_COLUMNS: &str =
    "ts (or timestamp), equipment, kind, and optionally code, description, cost, unit";

/// An events file, its header or schema checked.
#[derive(Debug, Clone)]
pub struct EventsFile {
    table: Table,
    /// `[ts, equipment, kind, code, description, cost, unit]`.
    wants: Vec<(Option<usize>, Want)>,
}

impl EventsFile {
    /// Opens an events file and finds its columns; fails if it cannot be read
    /// or lacks `ts`, `equipment` or `kind`.
    pub fn open(path: &Path) -> Result<Self, ImportError> {
        let table = Table::open(path)?;
        let (ts, equipment, kind) = (
            table.find(&["ts", "timestamp"]),
            table.find(&["equipment"]),
            table.find(&["kind"]),
        );
        if ts.is_none() || equipment.is_none() || kind.is_none() {
            return Err(table.columns_error(EVENTS_COLUMNS));
        }
        let wants = vec![
            (ts, Want::Time),
            (equipment, Want::Text),
            (kind, Want::Text),
            (table.find(&["code"]), Want::Text),
            (table.find(&["description"]), Want::Text),
            (table.find(&["cost"]), Want::Number),
            (table.find(&["unit"]), Want::Text),
        ];
        table.check_types(&wants)?;
        Ok(Self { table, wants })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// Its format.
    pub fn format(&self) -> FileFormat {
        self.table.format
    }

    /// What progress counts up to: bytes (CSV) or rows (Parquet).
    pub fn progress_total(&self) -> u64 {
        self.table.size
    }
}

/// Reads and checks an events file: the valid events in file order, and the
/// report (whose `imported` and `duplicates` the caller fills in once it has
/// stored them).
pub fn read_events(
    file: &EventsFile,
    registry: &Registry,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<Event>, ImportReport), ImportError> {
    let shown = file.path().display().to_string();
    let mut report = ImportReport::new(ImportKind::Events);
    let mut events = Vec::new();
    let mut each = |place: Place, row: RowData<'_>| -> Result<(), ImportError> {
        report.rows += 1;
        let checked = match row {
            RowData::Malformed(why) => Err((ImportReason::MalformedRow, why)),
            RowData::Cells(cells) => check_event(registry, cells, settings),
        };
        match checked {
            Ok(event) => {
                report.valid += 1;
                events.push(event);
            }
            Err((reason, detail)) => {
                let file = &shown;
                report.reject(
                    reason,
                    || RowNote {
                        file: file.clone(),
                        place,
                        detail,
                    },
                    settings.examples,
                );
            }
        }
        Ok(())
    };
    file.table.scan(&file.wants, &mut each, progress)?;
    Ok((events, report))
}

fn check_event(
    registry: &Registry,
    cells: &[Cell<'_>],
    settings: &ImportSettings,
) -> Result<Event, Problem> {
    let equipment_text = text(cells[1], "equipment")?;
    let equipment = EquipmentId::parse(equipment_text)
        .ok()
        .filter(|id| registry.equipment_by_id(id).is_some())
        .ok_or_else(|| {
            (
                ImportReason::UnknownEquipment,
                format!("equipment {equipment_text:?} is not in the registry"),
            )
        })?;
    let kind_text = text(cells[2], "kind")?;
    let kind = EventKind::parse(kind_text)
        .or_else(|_| EventKind::parse(&kind_text.to_ascii_lowercase().replace([' ', '-'], "_")))
        .map_err(|e| (ImportReason::UnknownEventKind, e.to_string()))?;
    let ts = time(cells[0], settings)?;
    let unit = match cells[6] {
        Cell::Null => None,
        cell => {
            let shown = describe(cell);
            let id = match cell {
                Cell::Text(t) => UnitId::parse(t).ok(),
                _ => None,
            };
            Some(id.filter(|u| registry.unit(u).is_some()).ok_or_else(|| {
                (
                    ImportReason::UnknownUnit,
                    format!("unit {shown} is not in the registry"),
                )
            })?)
        }
    };
    let cost = match number(cells[5]) {
        Err(None) => None,
        Ok(c) if c.is_finite() && c >= 0.0 => Some(c + 0.0),
        _ => {
            return Err((
                ImportReason::BadCost,
                format!("cost {} is not a non-negative amount", describe(cells[5])),
            ));
        }
    };
    let owned = |cell: Cell<'_>| match cell {
        Cell::Text(t) => Some(t.to_owned()),
        _ => None,
    };
    Ok(Event {
        ts: Timestamp::from_millis(ts),
        equipment,
        kind,
        code: owned(cells[3]),
        description: owned(cells[4]).unwrap_or_default(),
        cost,
        unit,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{registry, settings};
    use super::*;

    #[test]
    fn events_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(
            &path,
            "ts,equipment,kind,code,description,cost,unit\n\
             2024-01-05T10:00:00Z,A-BLR-1,failure,ignition,\"Burner, no flame\",350.5,\n\
             2024-01-06T10:00:00Z,A-BLR-1,resident_report,no_heat,\"cold \"\"again\"\"\nsecond line\",,A-101\n\
             2024-01-07T10:00:00Z,A-BLR-9,failure,,,,\n\
             2024-01-07T10:00:00Z,A-BLR-1,explosion,,,,\n\
             2024-01-07T10:00:00Z,A-BLR-1,alarm,,,-3,\n\
             2024-01-07T10:00:00Z,A-BLR-1,alarm,,,,Z-999\n\
             soon,A-BLR-1,alarm,,,,\n\
             2024-01-08,A-BLR-1,Preventive Maintenance,,,,\n",
        )
        .unwrap();
        let (events, report) = read_events(
            &EventsFile::open(&path).unwrap(),
            &registry(),
            &settings(),
            &mut |_| {},
        )
        .unwrap();
        let text = report
            .to_string()
            .replace(&path.display().to_string(), "events.csv");
        assert_eq!(events.len(), 3, "{text}");
        assert_eq!(events[0].description, "Burner, no flame");
        assert_eq!(events[0].cost, Some(350.5));
        assert_eq!(events[0].code.as_deref(), Some("ignition"));
        assert_eq!(events[1].description, "cold \"again\"\nsecond line");
        assert_eq!(events[1].unit.as_ref().map(|u| u.as_str()), Some("A-101"));
        assert_eq!(events[2].kind, EventKind::PreventiveMaintenance);
        for expected in [
            "rows read: 8 (1 file)",
            "events.csv:5: equipment \"A-BLR-9\" is not in the registry",
            "events.csv:6: unknown event kind \"explosion\"",
            "events.csv:7: cost \"-3\" is not a non-negative amount",
            "events.csv:8: unit \"Z-999\" is not in the registry",
            "events.csv:9: ts \"soon\" is not a time",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
    }
}
