//! A broken registry gets one clear error naming the line and what is wrong, never a panic.
use caretaker_data::{RegistryError, parse_registry};

const GOOD: &str = r#"
[coop]
name = "Test Co-op"

[[gateway]]
name = "alder-gw"
speaks = "native"

[[building]]
id = "A"
name = "Alder"
floors = 2
gateway = "alder-gw"

[[unit]]
id = "A-101"
building = "A"
floor = 1

[[unit]]
id = "A-201"
building = "A"
floor = 2

[[equipment]]
id = "A-BLR-1"
building = "A"
kind = "boiler"
name = "Boiler"
installed = 2010-05-01
replacement_cost = 40000
failure_cost = 5000
criticality = 5
serves = ["A-*"]

[[sensor]]
id = "A-BLR-1-supply"
equipment = "A-BLR-1"
metric = "supply_temperature"
unit = "°C"
expected_range = [30, 85]
interval_s = 300
zigbee = { name = "Alder/boiler", key = "temperature" }
"#;

/// Replaces `from` by `to` in the good registry and returns the single problem reported.
fn check(from: &str, to: &str, line_of: &str, expect: &str) {
    assert!(
        GOOD.contains(from),
        "test bug: {from:?} not in the good registry"
    );
    let broken = GOOD.replacen(from, to, 1);
    let err = parse_registry(&broken, "coop.toml").expect_err("broken registry accepted");
    let RegistryError::Invalid { path, problems } = &err else {
        panic!("unexpected error {err}");
    };
    assert_eq!(path, "coop.toml");
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    let p = &problems[0];
    let line = broken
        .lines()
        .position(|l| l.contains(line_of))
        .expect("line marker present")
        + 1;
    assert_eq!(p.line, line, "wrong line for {expect:?}: {p:?}");
    assert!(
        p.message.contains(expect),
        "message {:?} does not say {expect:?}",
        p.message
    );
    let shown = err.to_string();
    assert!(shown.contains(&format!("coop.toml:{line}:")), "{shown}");
}

/// Every problem reported once `from` is replaced by `to` in the good registry.
fn problems_after(from: &str, to: &str) -> Vec<String> {
    assert!(
        GOOD.contains(from),
        "test bug: {from:?} not in the good registry"
    );
    match parse_registry(&GOOD.replacen(from, to, 1), "coop.toml") {
        Err(RegistryError::Invalid { problems, .. }) => {
            problems.into_iter().map(|p| p.message).collect()
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_sensor_without_a_gateway_is_reported() {
    let problems = problems_after("floors = 2\ngateway = \"alder-gw\"\n", "floors = 2\n");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("A-BLR-1-supply") && p.contains("belongs to no gateway")),
        "{problems:#?}"
    );
    // Its gateway is then left owning nothing, which is reported too.
    assert!(
        problems.iter().any(|p| p.contains("owns no sensor")),
        "{problems:#?}"
    );
}

#[test]
fn an_unknown_gateway_is_reported() {
    let problems = problems_after("gateway = \"alder-gw\"\n", "gateway = \"nobody\"\n");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown gateway \"nobody\"")),
        "{problems:#?}"
    );
}

#[test]
fn a_gateway_that_owns_nothing_is_reported() {
    check(
        "[[building]]",
        "[[gateway]]\nname = \"idle\" # idle\nspeaks = \"native\"\n\n[[building]]",
        "# idle",
        "owns no sensor",
    );
}

#[test]
fn a_bridge_that_cannot_address_its_sensor_is_reported() {
    check(
        "speaks = \"native\"",
        "speaks = \"chirpstack\"\napplications = [\"app-1\"]",
        "id = \"A-BLR-1-supply\"",
        "can only name it by a `lorawan` address",
    );
}

#[test]
fn a_reserved_gateway_name_is_reported() {
    let problems = problems_after(
        "[[building]]",
        "[[gateway]]\nname = \"caretaker-x\"\nspeaks = \"native\"\n\n[[building]]",
    );
    assert!(
        problems.iter().any(|p| p.contains("reserved")),
        "{problems:#?}"
    );
}

#[test]
fn the_good_registry_loads() {
    let r = parse_registry(GOOD, "coop.toml").unwrap();
    assert_eq!(r.units().len(), 2);
    assert_eq!(r.equipment()[0].serves.len(), 2);
    assert_eq!(r.sensor_by_zigbee("Alder/boiler", "temperature"), Some(0));
}

#[test]
fn unknown_equipment_reference() {
    check(
        r#"equipment = "A-BLR-1""#,
        r#"equipment = "A-BLR-9""#,
        "A-BLR-9",
        "unknown equipment \"A-BLR-9\"",
    );
}

#[test]
fn duplicate_id() {
    let broken = GOOD.replacen(r#"id = "A-201""#, r#"id = "A-101""#, 1);
    let RegistryError::Invalid { problems, .. } = parse_registry(&broken, "coop.toml").unwrap_err()
    else {
        panic!("expected Invalid");
    };
    let second = broken
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(r#"id = "A-101""#))
        .nth(1)
        .map(|(i, _)| i + 1)
        .unwrap();
    // Reported where it appears the second time.
    assert_eq!(problems[0].line, second, "{problems:#?}");
    assert!(
        problems[0].message.contains("duplicate unit id \"A-101\""),
        "{problems:#?}"
    );
}

#[test]
fn negative_cost() {
    check(
        "failure_cost = 5000",
        "failure_cost = -5",
        "failure_cost",
        "failure_cost must be a non-negative amount",
    );
}

#[test]
fn unit_served_by_nothing() {
    check(
        r#"serves = ["A-*"]"#,
        r#"serves = ["A-1*"]"#,
        r#"id = "A-201""#,
        "unit A-201 is served by no equipment",
    );
}

#[test]
fn serves_pattern_matching_nothing() {
    check(
        r#"serves = ["A-*"]"#,
        r#"serves = ["A-*", "B-*"]"#,
        "serves",
        "serves \"B-*\" matches no unit",
    );
}

#[test]
fn unknown_building() {
    check(
        r#"building = "A"
floor = 1"#,
        r#"building = "Z"
floor = 1"#,
        r#"building = "Z""#,
        "unknown building \"Z\"",
    );
}

#[test]
fn unknown_kind() {
    check(
        r#"kind = "boiler""#,
        r#"kind = "furnace""#,
        "furnace",
        "unknown equipment kind \"furnace\"",
    );
}

#[test]
fn unknown_metric() {
    check(
        r#"metric = "supply_temperature""#,
        r#"metric = "temperature""#,
        r#"metric = "temperature""#,
        "unknown metric \"temperature\"",
    );
}

#[test]
fn unit_of_measure_that_does_not_fit_the_metric() {
    check(
        r#"unit = "°C""#,
        r#"unit = "K""#,
        r#"unit = "K""#,
        "unit \"K\" does not fit metric supply_temperature",
    );
}

#[test]
fn inverted_expected_range() {
    check(
        "expected_range = [30, 85]",
        "expected_range = [85, 30]",
        "expected_range",
        "low <= high",
    );
}

#[test]
fn expected_range_beyond_physics() {
    check(
        "expected_range = [30, 85]",
        "expected_range = [30, 900]",
        "expected_range",
        "outside what supply_temperature can physically be",
    );
}

#[test]
fn criticality_out_of_range() {
    check(
        "criticality = 5",
        "criticality = 9",
        "criticality",
        "criticality must be 1",
    );
}

#[test]
fn invalid_id_characters() {
    check(
        r#"id = "A-BLR-1-supply""#,
        r#"id = "A BLR 1 supply""#,
        "A BLR 1 supply",
        "may only use letters",
    );
}

#[test]
fn future_install_date() {
    check(
        "installed = 2010-05-01",
        "installed = 2999-01-01",
        "installed",
        "is in the future",
    );
}

#[test]
fn zero_interval() {
    check(
        "interval_s = 300",
        "interval_s = 0",
        "interval_s",
        "interval_s must be 1 to 86400",
    );
}

#[test]
fn unknown_field() {
    check(
        "criticality = 5",
        "criticality = 5\ncolour = \"red\"",
        "colour",
        "unknown field `colour`",
    );
}

#[test]
fn missing_field() {
    check(
        "failure_cost = 5000\n",
        "",
        "[[equipment]]",
        "missing field `failure_cost`",
    );
}

#[test]
fn wrong_type() {
    check("floors = 2", "floors = \"two\"", "floors", "invalid type");
}

#[test]
fn toml_syntax_error() {
    check(
        "name = \"Boiler\"",
        "name = \"Boiler",
        "name = \"Boiler",
        "",
    );
}

#[test]
fn bad_lorawan_eui() {
    check(
        r#"zigbee = { name = "Alder/boiler", key = "temperature" }"#,
        r#"lorawan = { dev_eui = "xyz", field = "t" }"#,
        "lorawan",
        "must be 16 hex digits",
    );
}

#[test]
fn several_mistakes_are_all_reported_in_file_order() {
    let broken = GOOD
        .replacen("failure_cost = 5000", "failure_cost = -1", 1)
        .replacen(
            r#"metric = "supply_temperature""#,
            r#"metric = "warmth""#,
            1,
        );
    let RegistryError::Invalid { problems, .. } = parse_registry(&broken, "x.toml").unwrap_err()
    else {
        panic!("expected Invalid");
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].line < problems[1].line);
}

mod never_panics {
    use caretaker_data::{SAMPLE_REGISTRY, parse_registry};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Dropping a line or replacing a character anywhere gives a registry or an error, never a panic.
        #[test]
        fn mangled_registries_give_an_error_not_a_panic(line in 0usize..2300, at in 0usize..60_000, c in any::<char>()) {
            let mut lines: Vec<&str> = SAMPLE_REGISTRY.lines().collect();
            if line < lines.len() {
                lines.remove(line);
            }
            let mut text = lines.join("\n");
            let at = at.min(text.len());
            if text.is_char_boundary(at) && at < text.len() {
                let next = text[at..].chars().next().map_or(0, char::len_utf8);
                text.replace_range(at..at + next, &c.to_string());
            }
            if let Err(e) = parse_registry(&text, "mangled.toml") {
                prop_assert!(e.to_string().contains("mangled.toml:"));
            }
        }
    }
}

#[test]
fn a_time_zone_is_an_iana_name() {
    check(
        "name = \"Test Co-op\"\n",
        "name = \"Test Co-op\"\ntimezone = \"Eastern\" # zone\n",
        "# zone",
        "unknown time zone \"Eastern\": expected an IANA name such as \"America/Toronto\"",
    );
    check(
        "name = \"Test Co-op\"\n",
        "name = \"Test Co-op\"\ntimezone = \"america/toronto\" # zone\n",
        "# zone",
        "(did you mean \"America/Toronto\"?)",
    );
    let with_zone = GOOD.replacen(
        "name = \"Test Co-op\"\n",
        "name = \"Test Co-op\"\ntimezone = \"America/Toronto\"\n",
        1,
    );
    let registry = parse_registry(&with_zone, "coop.toml").unwrap();
    assert_eq!(registry.timezone().name(), "America/Toronto");
    let without = parse_registry(GOOD, "coop.toml").unwrap();
    assert_eq!(without.coop().timezone, None);
    assert_eq!(without.timezone().name(), "UTC");
}
