//! The operational store on a real SQLite file.
use caretaker_core::{EquipmentId, Event, EventKind, Timestamp};
use caretaker_data::{SAMPLE_REGISTRY, Store, parse_registry};

fn event(equipment: &str, ts: &str, kind: EventKind) -> Event {
    Event {
        ts: Timestamp::parse(ts).unwrap(),
        equipment: EquipmentId::parse(equipment).unwrap(),
        kind,
        code: Some("bearing_wear".into()),
        description: "pump bearing seized".into(),
        cost: Some(1200.0),
        unit: None,
    }
}

#[tokio::test]
async fn migrates_records_the_registry_once_and_keeps_events_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caretaker.sqlite");
    let registry = parse_registry(SAMPLE_REGISTRY, "sample").unwrap();
    {
        let store = Store::open(&path).await.unwrap();
        assert!(
            store
                .sync_registry(&registry, "sample", SAMPLE_REGISTRY)
                .await
                .unwrap()
        );
        assert!(
            !store
                .sync_registry(&registry, "sample", SAMPLE_REGISTRY)
                .await
                .unwrap()
        );
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.units as usize, registry.units().len());
        assert_eq!(counts.equipment as usize, registry.equipment().len());
        assert_eq!(counts.sensors as usize, registry.sensors().len());
        let events = [
            event("A-CP-1", "2024-02-01T10:00:00Z", EventKind::Failure),
            event(
                "A-CP-1",
                "2024-02-02T10:00:00Z",
                EventKind::CorrectiveMaintenance,
            ),
        ];
        assert_eq!(store.insert_events(&events, "test").await.unwrap(), 2);
        // The same events again (an import run twice) are not duplicated.
        assert_eq!(store.insert_events(&events, "test").await.unwrap(), 0);
    }
    // Reopening (migrations already applied) finds everything.
    let store = Store::open(&path).await.unwrap();
    let all = store.events(None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].kind, EventKind::Failure);
    let pump = store
        .events(Some(&EquipmentId::parse("A-CP-1").unwrap()))
        .await
        .unwrap();
    assert_eq!(pump, all);
    assert!(
        store
            .events(Some(&EquipmentId::parse("A-BLR-1").unwrap()))
            .await
            .unwrap()
            .is_empty()
    );

    // A changed registry replaces the registry tables and is logged.
    let smaller = SAMPLE_REGISTRY.replacen("criticality = 5", "criticality = 4", 1);
    let registry = parse_registry(&smaller, "edited").unwrap();
    assert!(
        store
            .sync_registry(&registry, "edited", &smaller)
            .await
            .unwrap()
    );
    let loads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registry_loads")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(loads, 2);
}
