//! Packs built, sealed and opened; every changed byte refused.
use std::path::Path;

use caretaker_core::EquipmentKind;
use chrono::NaiveDate;

use crate::*;

fn table() -> SampleTable {
    let day = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
    let row = |machine: &str, kind, d, fails, age| SampleRow {
        machine: machine.into(),
        kind,
        day: day(d),
        fails,
        values: vec![1.23456, 17.5, age, f64::NAN],
    };
    SampleTable {
        features: vec![
            "strongest_departure_7d".into(),
            "supply_temperature.mean_7d".into(),
            "age_days".into(),
            "days_since_failure".into(),
        ],
        rows: vec![
            row("A-BLR-1", EquipmentKind::Boiler, 6, false, 4000.0),
            row("A-BLR-1", EquipmentKind::Boiler, 8, true, 4002.0),
            row("B-SP-1", EquipmentKind::SumpPump, 13, false, 903.0),
        ],
        failures_by_kind: [(EquipmentKind::Boiler, 1)].into_iter().collect(),
    }
}

fn options() -> PackOptions {
    PackOptions {
        coop: None,
        horizon_days: 30,
        today: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
    }
}

fn trusting(name: &str, key: &KeyPair) -> TrustedKeys {
    TrustedKeys::parse(
        &format!("# ours\n{name} {}\n", key.public()),
        Path::new("trusted"),
    )
    .unwrap()
}

#[test]
fn a_pack_holds_only_shared_features_weeks_and_pseudonyms() {
    let pack = Pack::build(&table(), &options()).unwrap();
    assert_eq!(
        pack.features,
        ["strongest_departure_7d", "age_days", "days_since_failure"]
    );
    assert_eq!(pack.manifest.coop, "anonymous");
    assert_eq!(pack.manifest.machines, 2);
    assert_eq!(pack.manifest.rows_failed, 1);
    assert_eq!(
        pack.manifest.made_week,
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    );
    let monday = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
    assert_eq!((pack.rows[0].2, pack.rows[1].2), (monday, monday));
    let mut first_week: Vec<_> = pack.rows[..2].iter().map(|r| r.4.clone()).collect();
    first_week.sort_by(|a, b| a[1].partial_cmp(&b[1]).unwrap());
    assert_eq!(first_week[0], vec![Some(1.235), Some(3997.0), None]);
    assert_eq!(first_week[1], vec![Some(1.235), Some(4004.0), None]);
    let text = String::from_utf8(pack.payload()).unwrap();
    for secret in [
        "A-BLR-1",
        "B-SP-1",
        "supply_temperature",
        "2024-03-06",
        "17.5",
    ] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
}

#[test]
fn a_sealed_pack_opens_with_a_trusted_key_and_only_then() {
    let key = KeyPair::generate();
    let pack = Pack::build(&table(), &options()).unwrap();
    let bytes = pack.seal(&key);
    let opened = Pack::open(&bytes, Path::new("p"), &trusting("maple", &key)).unwrap();
    assert_eq!((opened.name.as_str(), &opened.pack), ("maple", &pack));
    let stranger = KeyPair::generate();
    let err = Pack::open(&bytes, Path::new("p"), &trusting("other", &stranger)).unwrap_err();
    assert!(matches!(err, FederationError::Untrusted { .. }), "{err}");
    let err = Pack::open(
        &pack.seal(&stranger),
        Path::new("p"),
        &trusting("maple", &key),
    );
    assert!(matches!(err, Err(FederationError::Untrusted { .. })));
}

#[test]
fn every_changed_byte_is_refused() {
    let key = KeyPair::generate();
    let trusted = trusting("maple", &key);
    let bytes = Pack::build(&table(), &options()).unwrap().seal(&key);
    for i in 0..bytes.len() {
        for flip in [0x01, 0x20, 0x80] {
            let mut changed = bytes.clone();
            changed[i] ^= flip;
            assert!(
                Pack::open(&changed, Path::new("p"), &trusted).is_err(),
                "byte {i} ^ {flip:#x} accepted"
            );
        }
    }
    let mut longer = bytes.clone();
    longer.push(b'\n');
    assert!(Pack::open(&longer, Path::new("p"), &trusted).is_err());
}

#[test]
fn the_library_keeps_all_or_nothing_and_removes_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate();
    let trusted = trusting("maple", &key);
    let good = dir.path().join("good.pack");
    let bad = dir.path().join("bad.pack");
    let bytes = Pack::build(&table(), &options()).unwrap().seal(&key);
    std::fs::write(&good, &bytes).unwrap();
    let mut changed = bytes.clone();
    let at = changed.len() - 10;
    changed[at] ^= 1;
    std::fs::write(&bad, &changed).unwrap();
    let library = Library::new(dir.path().join("packs"));
    let err = library.import(&[good.clone(), bad], &trusted).unwrap_err();
    assert!(matches!(err, FederationError::Tampered { .. }), "{err}");
    assert!(!dir.path().join("packs").exists());
    let kept = library.import(&[good], &trusted).unwrap();
    assert_eq!(kept[0].name, "maple");
    assert_eq!(library.list().unwrap().len(), 1);
    assert!(library.remove("birch").is_err());
    library.remove("maple").unwrap();
    assert!(library.list().unwrap().is_empty());
}

#[test]
fn keys_survive_a_save() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        KeyPair::load(dir.path()),
        Err(FederationError::NoKey(_))
    ));
    let key = KeyPair::generate();
    key.save(dir.path()).unwrap();
    assert_eq!(KeyPair::load(dir.path()).unwrap().public(), key.public());
    let public = std::fs::read_to_string(KeyPair::public_path(dir.path())).unwrap();
    assert_eq!(public.trim(), key.public().to_string());
}
