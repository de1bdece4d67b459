use std::collections::BTreeSet;

use caretaker_core::EquipmentKind;

use super::*;
use crate::parse_registry;

#[test]
fn random_coops_are_valid_registries_within_bounds() {
    let mut building_counts = BTreeSet::new();
    let mut kinds_seen = BTreeSet::new();
    for seed in 0..300 {
        let coop = RandomCoop::generate(seed);
        let text = coop.to_toml();
        let registry = parse_registry(&text, &format!("<seed {seed}>"))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        let buildings = registry.buildings().len();
        assert!(
            BUILDINGS.contains(&buildings),
            "seed {seed}: {buildings} buildings"
        );
        let units = registry.units().len();
        assert!(UNITS.contains(&units), "seed {seed}: {units} units");
        assert_eq!(units, coop.unit_count());
        building_counts.insert(buildings);
        for b in &coop.buildings {
            let elevators = coop
                .equipment
                .iter()
                .filter(|e| e.building == b.id && e.kind == EquipmentKind::Elevator)
                .count();
            match &b.form {
                BuildingForm::WalkUp => assert_eq!(elevators, 0, "seed {seed}: a walk-up has none"),
                BuildingForm::MidRise { elevators: n } => {
                    assert!((1..=2).contains(&elevators) && elevators == usize::from(*n))
                }
                BuildingForm::TownhouseRow { blocks } => {
                    let heaters = coop
                        .equipment
                        .iter()
                        .filter(|e| {
                            e.building == b.id
                                && matches!(e.kind, EquipmentKind::Boiler | EquipmentKind::HeatPump)
                        })
                        .count();
                    assert_eq!(heaters, blocks.len(), "seed {seed}: one heater per block");
                }
            }
        }
        let last = NaiveDate::from_ymd_opt(LAST_INSTALLED.0, LAST_INSTALLED.1, LAST_INSTALLED.2);
        for e in registry.equipment() {
            kinds_seen.insert(e.kind);
            assert!(
                Some(e.installed) <= last,
                "seed {seed}: {} installed {}",
                e.id,
                e.installed
            );
        }
        let addressed = |f: fn(&caretaker_core::Sensor) -> bool| registry.sensors().iter().any(f);
        assert!(
            addressed(|s| s.address.zigbee.is_some()),
            "seed {seed}: no Zigbee sensor"
        );
    }
    assert!(
        building_counts.len() >= 6,
        "building counts seen: {building_counts:?}"
    );
    assert_eq!(kinds_seen.len(), EquipmentKind::ALL.len(), "{kinds_seen:?}");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for seed in [0, 7, 12_345] {
        assert_eq!(
            RandomCoop::generate(seed).to_toml(),
            RandomCoop::generate(seed).to_toml()
        );
    }
    assert_ne!(
        RandomCoop::generate(1).to_toml(),
        RandomCoop::generate(2).to_toml()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any seed at all, not only small ones, gives a valid co-op within the bounds.
    #[test]
    fn any_seed_gives_a_valid_coop_within_bounds(seed in proptest::prelude::any::<u64>()) {
        let coop = RandomCoop::generate(seed);
        let registry = parse_registry(&coop.to_toml(), "<random co-op>")
            .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        proptest::prop_assert!(BUILDINGS.contains(&registry.buildings().len()));
        proptest::prop_assert!(UNITS.contains(&registry.units().len()));
        proptest::prop_assert_eq!(registry.equipment().len(), coop.equipment.len());
        proptest::prop_assert_eq!(registry.sensors().len(), coop.sensors.len());
    }
}
