//! `caretaker config` and `caretaker registry check` through the real binary.
mod common;

use common::{caretaker, run, run_ok};

#[test]
fn config_shows_defaults_then_file_then_environment_then_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let shown = run_ok(caretaker(&data).arg("config"));
    assert!(shown.contains("configuration file: none"), "{shown}");
    assert!(
        shown.contains("embedded_listen = \"127.0.0.1:1883\""),
        "{shown}"
    );
    assert!(shown.contains("seed = 7"), "{shown}");

    let file = tmp.path().join("caretaker.toml");
    std::fs::write(
        &file,
        "[simulate]\nseed = 42\nspeed = 10.0\n[mqtt]\nusername = \"gw\"\npassword = \"hunter2\"\n",
    )
    .unwrap();
    let shown = run_ok(
        caretaker(&data)
            .arg("--config")
            .arg(&file)
            .arg("config")
            .env("CARETAKER_SIMULATE__SPEED", "99.5"),
    );
    assert!(shown.contains("seed = 42"), "file not applied: {shown}");
    assert!(
        shown.contains("speed = 99.5"),
        "environment not applied: {shown}"
    );
    assert!(!shown.contains("hunter2"), "password printed: {shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(
        shown.contains(&format!("data_dir = \"{}\"", data.display())),
        "{shown}"
    );

    let other = tmp.path().join("elsewhere");
    let shown = run_ok(caretaker(&data).arg("--data").arg(&other).arg("config"));
    assert!(
        shown.contains(&format!("data_dir = \"{}\"", other.display())),
        "flag not applied: {shown}"
    );
}

#[test]
fn a_bad_configuration_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    std::fs::write(&file, "[mqtt]\nbrokr = \"mqtt://x\"\n").unwrap();
    let out = run(caretaker(&tmp.path().join("d"))
        .arg("--config")
        .arg(&file)
        .arg("config"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("brokr"), "{err}");

    let out = run(caretaker(&tmp.path().join("d"))
        .arg("config")
        .env("CARETAKER_SIMULATE__SPEED", "-3"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("simulate.speed"));
}

#[test]
fn a_broken_registry_file_is_reported_with_file_and_line_and_nothing_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = caretaker_data_sample();
    let broken = sample.replacen("failure_cost = 6500", "failure_cost = -6500", 1);
    let line = broken.lines().position(|l| l.contains("-6500")).unwrap() + 1;
    let file = tmp.path().join("coop.toml");
    std::fs::write(&file, broken).unwrap();
    for args in [
        vec!["registry", "check"],
        vec!["simulate", "history", "--years", "0.01"],
    ] {
        let out = run(caretaker(&tmp.path().join("d"))
            .arg("--registry")
            .arg(&file)
            .args(&args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("coop.toml:{line}:")), "{err}");
        assert!(
            err.contains("failure_cost must be a non-negative amount"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

fn caretaker_data_sample() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sample-coop.toml"
    ))
    .unwrap()
}

#[test]
fn registry_check_names_the_time_zone_or_says_times_are_in_utc() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = caretaker_data_sample();
    let file = tmp.path().join("coop.toml");
    std::fs::write(&file, &sample).unwrap();
    let check = || {
        run_ok(
            caretaker(&tmp.path().join("d"))
                .args(["registry", "check"])
                .arg(&file),
        )
    };
    let out = check();
    assert!(
        out.contains("time zone: America/Toronto (times are shown in it)"),
        "{out}"
    );
    let without: String = sample
        .lines()
        .filter(|l| !l.starts_with("timezone"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&file, without).unwrap();
    let out = check();
    assert!(
        out.contains("time zone: none given, so times will be shown in UTC"),
        "{out}"
    );
}
