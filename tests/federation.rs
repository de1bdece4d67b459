//! Co-ops that differ (`simulate coop`) and knowledge packs (`federation`),
//! through the real binary.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{caretaker, run, run_ok};

/// Writes the random co-op of `seed` to `dir/coop-SEED.toml`.
fn random_coop(dir: &Path, seed: u64) -> PathBuf {
    let file = dir.join(format!("coop-{seed}.toml"));
    run_ok(
        caretaker(&dir.join("scratch"))
            .args(["simulate", "coop", "--seed", &seed.to_string(), "--out"])
            .arg(&file),
    );
    file
}

/// "N buildings, M units" from `registry check`.
fn buildings_and_units(check: &str) -> (usize, usize) {
    let line = check
        .lines()
        .find(|l| l.contains(" buildings, "))
        .expect("a summary line");
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

#[test]
fn random_coops_pass_registry_check_and_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let mut shapes = BTreeSet::new();
    for seed in 1..=6 {
        let file = random_coop(tmp.path(), seed);
        let check = run_ok(
            caretaker(&tmp.path().join("scratch"))
                .args(["registry", "check"])
                .arg(&file),
        );
        assert!(check.contains(": valid"), "{check}");
        assert!(check.contains("time zone: "), "{check}");
        let (buildings, units) = buildings_and_units(&check);
        assert!(
            (1..=8).contains(&buildings) && (10..=400).contains(&units),
            "{check}"
        );
        shapes.insert((buildings, units));
    }
    let buildings: BTreeSet<usize> = shapes.iter().map(|s| s.0).collect();
    let units: BTreeSet<usize> = shapes.iter().map(|s| s.1).collect();
    assert!(buildings.len() >= 3, "building counts: {buildings:?}");
    assert!(units.len() >= 5, "unit counts: {units:?}");
    // The same seed, the same bytes.
    let again = tmp.path().join("again.toml");
    run_ok(
        caretaker(&tmp.path().join("scratch"))
            .args(["simulate", "coop", "--seed", "3", "--out"])
            .arg(&again),
    );
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(tmp.path().join("coop-3.toml")).unwrap()
    );
}

#[test]
fn a_random_coop_simulates_a_short_history() {
    let tmp = tempfile::tempdir().unwrap();
    let file = random_coop(tmp.path(), 11);
    let sim = tmp.path().join("sim");
    let out = run_ok(
        caretaker(&tmp.path().join("data"))
            .args(["simulate", "history", "--years", "0.1", "--registry"])
            .arg(&file)
            .arg("--out")
            .arg(&sim),
    );
    assert!(out.contains("readings: "), "{out}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sim.join("summary.json")).unwrap()).unwrap();
    let registry: toml::Table = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    let equipment = registry["equipment"].as_array().unwrap().len();
    assert_eq!(summary["equipment"].as_u64(), Some(equipment as u64));
    assert!(summary["readings"].as_u64().unwrap() > 10_000, "{summary}");
    assert_eq!(
        summary["sensors_reporting"], summary["sensors"],
        "every sensor of the random co-op reports: {summary}"
    );
    assert_eq!(
        std::fs::read(sim.join("registry.toml")).unwrap(),
        std::fs::read(&file).unwrap()
    );
}

/// A random co-op with `years` of simulated history imported into `dir/data`;
/// returns the data directory, the registry file and the simulation's folder.
fn coop_with_history(dir: &Path, seed: u64, years: &str) -> (PathBuf, PathBuf, PathBuf) {
    let registry = random_coop(dir, seed);
    let data = dir.join("data");
    let sim = dir.join("sim");
    run_ok(
        caretaker(&data)
            .arg("--registry")
            .arg(&registry)
            .args(["simulate", "history", "--csv", "--years", years, "--out"])
            .arg(&sim),
    );
    for (what, file) in [
        ("readings", "readings.parquet"),
        ("events", "events.parquet"),
    ] {
        run_ok(
            caretaker(&data)
                .arg("--registry")
                .arg(&registry)
                .args(["import", what])
                .arg(sim.join(file)),
        );
    }
    (data, registry, sim)
}

/// A configuration file that lets the co-op share.
fn sharing_config(dir: &Path, registry: &Path, extra: &str) -> PathBuf {
    let file = dir.join("caretaker.toml");
    std::fs::write(
        &file,
        format!(
            "registry = {:?}\n[federation]\nshare = true\n{extra}",
            registry.display().to_string()
        ),
    )
    .unwrap();
    file
}

/// Exports the co-op's pack to `out` (making its key first).
fn export(data: &Path, config: &Path, out: &Path) -> String {
    run_ok(
        caretaker(data)
            .arg("--config")
            .arg(config)
            .args(["federation", "key"]),
    );
    run_ok(
        caretaker(data)
            .arg("--config")
            .arg(config)
            .args(["federation", "export", "--out"])
            .arg(out),
    )
}

/// Every string of a TOML value, recursively.
fn strings(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        toml::Value::Table(t) => t.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn a_pack_reveals_no_id_address_text_or_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, registry_file, sim) = coop_with_history(tmp.path(), 5, "0.6");
    let pack_file = tmp.path().join("out.pack");

    // Members decide: without federation.share nothing is written.
    let refused = run(caretaker(&data)
        .arg("--registry")
        .arg(&registry_file)
        .args(["federation", "export", "--out"])
        .arg(&pack_file));
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("share = true"), "{message}");
    assert!(!pack_file.exists());

    let preview = run_ok(
        caretaker(&data)
            .arg("--registry")
            .arg(&registry_file)
            .args(["federation", "preview"]),
    );
    assert!(
        preview.contains("Nothing has been written or sent"),
        "{preview}"
    );
    assert!(preview.contains("The pack never holds"), "{preview}");

    let config = sharing_config(tmp.path(), &registry_file, "");
    export(&data, &config, &pack_file);
    let bytes = std::fs::read(&pack_file).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("\"coop\": \"anonymous\""),
        "the default display name"
    );

    // Everything the registry names: ids, names, gateways, addresses, devices.
    let registry: toml::Table = std::fs::read_to_string(&registry_file)
        .unwrap()
        .parse()
        .unwrap();
    let mut secrets = Vec::new();
    for table in ["coop", "building", "unit", "equipment", "sensor", "gateway"] {
        if let Some(v) = registry.get(table) {
            strings(v, &mut secrets);
        }
    }
    // What the registry's strings hold that is also plain vocabulary of every
    // pack (kinds, metrics, units, protocols, time zones) is not the co-op's.
    let vocabulary = [
        "native",
        "zigbee2mqtt",
        "chirpstack",
        "state",
        "battery",
        "temperature",
        "humidity",
        "water_leak",
    ];
    let mut checked = 0;
    // Strings of digits only (a model "3300") are left to the number checks below.
    let named = |s: &&String| {
        s.len() >= 4 && s.chars().any(|c| c.is_alphabetic()) && !s.contains(['*', '?'])
    };
    for s in secrets.iter().filter(named) {
        if vocabulary.contains(&s.as_str())
            || caretaker_core::EquipmentKind::parse(s).is_ok()
            || caretaker_core::Metric::parse(s).is_ok()
        {
            continue;
        }
        assert!(!text.contains(s.as_str()), "the pack holds {s:?}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} registry strings checked");
    // Short unit ids (`A-101`) are checked as whole words.
    let words: BTreeSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .collect();
    for unit in registry["unit"].as_array().unwrap() {
        let id = unit["id"].as_str().unwrap();
        assert!(!words.contains(id), "the pack holds unit {id}");
    }

    // Every event's text, and every cost of the registry and the events.
    let mut events = csv::Reader::from_path(sim.join("events.csv")).unwrap();
    let mut costs: BTreeSet<String> = BTreeSet::new();
    let mut descriptions = 0;
    for record in events.deserialize::<BTreeMap<String, String>>() {
        let record = record.unwrap();
        let description = &record["description"];
        if description.len() >= 12 {
            assert!(
                !text.contains(description.as_str()),
                "the pack holds {description:?}"
            );
            descriptions += 1;
        }
        if !record["cost"].is_empty() {
            costs.insert(record["cost"].clone());
        }
    }
    assert!(descriptions > 10, "only {descriptions} event texts checked");
    for e in registry["equipment"].as_array().unwrap() {
        for field in ["replacement_cost", "failure_cost"] {
            costs.insert(e[field].to_string());
        }
    }
    // Numbers of the payload (not of the hex key and signature, where digits
    // between letters would make up any number by chance).
    let numbers: BTreeSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with("signed-by:") && !l.starts_with("signature:"))
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')))
        .collect();
    for cost in &costs {
        // Ages are whole weeks and day counts stop at 365: a cost that is neither
        // cannot be told from a feature value by accident.
        let value: f64 = cost.parse().unwrap();
        if value > 365.0 && value % 7.0 != 0.0 && numbers.contains(cost.as_str()) {
            let at = text.find(cost.as_str()).unwrap_or(0);
            let context = &text[at.saturating_sub(200)..(at + 100).min(text.len())];
            panic!("the pack holds the cost {cost}: ...{context}...");
        }
    }
    assert!(!text.contains("replacement_cost") && !text.contains("failure_cost"));

    // Dates are weeks: every date in the pack is a Monday.
    let payload: serde_json::Value =
        serde_json::from_str(&text[text.find("\n\n").unwrap()..]).unwrap();
    let rows = payload["rows"].as_array().unwrap();
    assert!(rows.len() > 100, "{} rows", rows.len());
    for row in rows {
        let week = chrono::NaiveDate::parse_from_str(row[2].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!(chrono::Datelike::weekday(&week), chrono::Weekday::Mon);
    }
    let features: Vec<&str> = payload["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in &features {
        assert!(caretaker_federation::shared_feature(f).is_some(), "{f}");
    }
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.to_string_lossy().contains("caretaker.sqlite") {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_changed_or_unknown_pack_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, registry_file, _) = coop_with_history(tmp.path(), 8, "0.4");
    let config = sharing_config(tmp.path(), &registry_file, "name = \"Maple Grove\"\n");
    let pack = tmp.path().join("maple.pack");
    export(&data, &config, &pack);
    let public = std::fs::read_to_string(data.join("federation/key.pub")).unwrap();

    // Another co-op that trusts this key.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let other_data = other.join("data");
    let trusted = other.join("trusted.txt");
    std::fs::write(
        &trusted,
        format!("# co-ops we learn from\nmaple-grove {}", public.trim()),
    )
    .unwrap();
    let other_config = other.join("caretaker.toml");
    std::fs::write(
        &other_config,
        format!(
            "[federation]\ntrusted = {:?}\n",
            trusted.display().to_string()
        ),
    )
    .unwrap();
    let other_cmd = || {
        let mut cmd = caretaker(&other_data);
        cmd.arg("--config").arg(&other_config).arg("federation");
        cmd
    };
    run_ok(other_cmd().arg("list"));
    let before = snapshot(&other_data);

    let refuse = |file: &Path, expect: &str| {
        let out = run(other_cmd().arg("import").arg(file));
        assert!(!out.status.success(), "{} accepted", file.display());
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains(expect), "{message}");
        assert_eq!(
            snapshot(&other_data),
            before,
            "a refused pack changed the data directory"
        );
    };
    // One byte changed, in the rows, the manifest or the signature.
    let bytes = std::fs::read(&pack).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at_row = text.rfind("\"m0").unwrap() + 3;
    let at_manifest = text.find("\"rows\": ").unwrap() + 8;
    let at_signature = text.find("signature: ").unwrap() + 20;
    for (i, at) in [at_row, at_manifest, at_signature].into_iter().enumerate() {
        let mut changed = bytes.clone();
        changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
        let file = tmp.path().join(format!("changed-{i}.pack"));
        std::fs::write(&file, &changed).unwrap();
        refuse(&file, "refused");
    }
    let mut changed = bytes.clone();
    changed[at_row] = if changed[at_row] == b'1' { b'2' } else { b'1' };
    std::fs::write(tmp.path().join("tampered.pack"), &changed).unwrap();
    refuse(
        &tmp.path().join("tampered.pack"),
        "changed since it was signed",
    );
    // A good pack beside a changed one: neither is kept.
    let out = run(other_cmd()
        .arg("import")
        .arg(&pack)
        .arg(tmp.path().join("tampered.pack")));
    assert!(!out.status.success());
    assert_eq!(snapshot(&other_data), before);

    // Signed by a key the other co-op does not trust.
    run_ok(
        caretaker(&data)
            .arg("--config")
            .arg(&config)
            .args(["federation", "key", "--new"]),
    );
    let stranger = tmp.path().join("stranger.pack");
    run_ok(
        caretaker(&data)
            .arg("--config")
            .arg(&config)
            .args(["federation", "export", "--out"])
            .arg(&stranger),
    );
    refuse(&stranger, "not in the trusted keys");

    // The genuine pack is accepted, listed and removed.
    let accepted = run_ok(other_cmd().arg("import").arg(&pack));
    assert!(
        accepted.contains("accepted maple-grove from Maple Grove"),
        "{accepted}"
    );
    let kept = other_data.join("federation/packs/maple-grove.pack");
    assert_eq!(std::fs::read(&kept).unwrap(), bytes);
    let list = run_ok(other_cmd().arg("list"));
    assert!(list.contains("maple-grove"), "{list}");
    let out = run(other_cmd().args(["remove", "birch"]));
    assert!(!out.status.success());
    run_ok(other_cmd().args(["remove", "maple-grove"]));
    assert!(!kept.exists());
}

/// The JSON file at `path`.
fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The current model's card (`models/CURRENT` names its folder).
fn current_card(data: &Path) -> serde_json::Value {
    let models = data.join("models");
    let version = std::fs::read_to_string(models.join("CURRENT")).unwrap();
    json(&models.join(version.trim()).join("card.json"))
}

#[test]
fn co_ops_that_differ_learn_from_each_others_packs_and_forget_a_removed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a_dir, &b_dir] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let (a_data, a_registry, _) = coop_with_history(&a_dir, 2, "1");
    let (b_data, b_registry, _) = coop_with_history(&b_dir, 9, "1");
    // Co-op A shares its pack; co-op B trusts A's key and imports it.
    let a_config = sharing_config(&a_dir, &a_registry, "name = \"Maple Row\"\n");
    let pack = tmp.path().join("maple.pack");
    export(&a_data, &a_config, &pack);
    let a_key = std::fs::read_to_string(a_data.join("federation/key.pub")).unwrap();
    let trusted = b_dir.join("trusted.txt");
    std::fs::write(&trusted, format!("maple {}", a_key.trim())).unwrap();
    let b_config = b_dir.join("caretaker.toml");
    std::fs::write(
        &b_config,
        format!(
            "registry = {:?}\n[federation]\ntrusted = {:?}\n",
            b_registry.display().to_string(),
            trusted.display().to_string()
        ),
    )
    .unwrap();
    let b = || {
        let mut cmd = caretaker(&b_data);
        cmd.arg("--config").arg(&b_config);
        cmd
    };
    run_ok(b().args(["federation", "import"]).arg(&pack));

    // The backtest: every learner own-only and with the pack, on the same rows.
    let report_file = b_dir.join("backtest.json");
    let out = run_ok(b().args(["backtest", "--out"]).arg(&report_file));
    assert!(out.contains("chosen: "), "{out}");
    assert!(out.contains("random_forest + packs"), "{out}");
    let report = json(&report_file);
    let a_report = a_dir.join("backtest.json");
    run_ok(
        caretaker(&a_data)
            .arg("--registry")
            .arg(&a_registry)
            .args(["backtest", "--out"])
            .arg(&a_report),
    );
    assert_ne!(
        report["equipment"],
        json(&a_report)["equipment"],
        "two co-ops of the same size"
    );
    let federated = &report["federated"];
    assert_eq!(federated["imported"]["coops"], serde_json::json!(["maple"]));
    let pack_rows = federated["imported"]["rows"].as_u64().unwrap();
    assert!(pack_rows > 0 && federated["imported"]["failing_rows"].as_u64().unwrap() > 0);
    assert!(federated["imported"]["failures"].as_u64().unwrap() > 0);
    for r in federated["results"].as_array().unwrap() {
        let pr_auc = r["scorecard"]["pr_auc"].as_f64().unwrap();
        assert!(pr_auc.is_finite(), "{r}");
    }
    // Honest folds: a pack row is used only once its label is known by the cut-off,
    // so later folds use more of them, and the first uses fewer than the pack holds.
    let used: Vec<u64> = report["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["imported_cases"].as_u64().unwrap())
        .collect();
    assert!(used.windows(2).all(|w| w[0] < w[1]), "{used:?}");
    assert!(used[0] < pack_rows, "{used:?} of {pack_rows}");
    for key in ["own_pr_auc", "federated_pr_auc", "standard_error"] {
        assert!(federated[key].as_f64().is_some(), "{key}: {federated}");
    }

    // Training learns from the pack (unless its own data did better), and says so.
    let out = run_ok(b().arg("train"));
    assert!(out.contains("WHAT OTHER CO-OPS TAUGHT IT"), "{out}");
    let card = current_card(&b_data);
    if federated["used"] == true {
        assert_eq!(
            card["learned_from_packs"]["coops"],
            serde_json::json!(["maple"])
        );
        assert!(
            out.contains("knowledge packs of 1 other co-op (maple)"),
            "{out}"
        );
    } else {
        assert!(card.get("learned_from_packs").is_none(), "{card}");
    }

    // Removing the pack trains the model again without it.
    let out = run_ok(b().args(["federation", "remove", "maple"]));
    assert!(
        out.contains("training the model again without maple's pack"),
        "{out}"
    );
    let card = current_card(&b_data);
    assert!(card.get("learned_from_packs").is_none(), "{card}");
    assert!(card["backtest"]["federated"].is_null(), "{card}");
    assert!(!out.contains("WHAT OTHER CO-OPS TAUGHT IT"), "{out}");
}

/// A `caretaker federation serve` process, stopped on drop.
struct HubProcess(std::process::Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_hub_carries_packs_between_co_ops_and_forgets_a_withdrawn_one() {
    let tmp = tempfile::tempdir().unwrap();
    // Two co-ops, each trusting the other's key, and a hub: three processes.
    let mut coops = Vec::new();
    for (name, seed) in [("maple", 3), ("birch", 9)] {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let (data, registry, _) = coop_with_history(&dir, seed, "0.5");
        let config = sharing_config(&dir, &registry, "");
        run_ok(
            caretaker(&data)
                .arg("--config")
                .arg(&config)
                .args(["federation", "key"]),
        );
        coops.push((name, data, config));
    }
    for (i, (_, data, _)) in coops.iter().enumerate() {
        let (other, other_data, _) = &coops[1 - i];
        let key = std::fs::read_to_string(other_data.join("federation/key.pub")).unwrap();
        std::fs::write(
            data.join("federation/trusted"),
            format!("{other} {}\n", key.trim()),
        )
        .unwrap();
    }
    let hub_dir = tmp.path().join("hub");
    let token = |name: &str| {
        let out = run_ok(
            caretaker(&tmp.path().join("unused"))
                .args(["federation", "member", name, "--hub-dir"])
                .arg(&hub_dir),
        );
        out.lines()
            .find_map(|l| l.strip_prefix("token: "))
            .expect("a token line")
            .to_owned()
    };
    let tokens = [token("maple"), token("birch")];
    let port = common::free_port();
    let _hub = HubProcess(
        caretaker(&tmp.path().join("unused"))
            .args(["federation", "serve", "--hub-dir"])
            .arg(&hub_dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the hub starts"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while common::http_get(port, "/health").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the hub did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let url = format!("http://127.0.0.1:{port}");
    let sync = |i: usize, extra: &[&str]| {
        let (_, data, config) = &coops[i];
        run_ok(
            caretaker(data)
                .arg("--config")
                .arg(config)
                .args(["federation", "sync", "--hub", &url, "--token", &tokens[i]])
                .args(extra),
        )
    };

    // Maple pushes; birch pushes and pulls maple's; maple pulls birch's.
    let first = sync(0, &[]);
    assert!(first.contains("pushed this co-op's pack"), "{first}");
    assert!(first.contains("the hub holds 0 pack(s)"), "{first}");
    let second = sync(1, &[]);
    assert!(second.contains("maple: accepted as maple"), "{second}");
    let third = sync(0, &[]);
    assert!(third.contains("birch: accepted as birch"), "{third}");
    let (_, birch_data, birch_config) = &coops[1];
    let listed = run_ok(
        caretaker(birch_data)
            .arg("--config")
            .arg(birch_config)
            .args(["federation", "list"]),
    );
    assert!(listed.contains("maple"), "{listed}");

    // Maple withdraws: gone from the hub at once, absent from birch's next pull.
    let withdrawn = sync(0, &["--withdraw"]);
    assert!(withdrawn.contains("withdrawn"), "{withdrawn}");
    let listing = common::http(port, "GET", "/v1/packs", Some(&tokens[1]), None);
    assert_eq!(listing.status, 200, "{}", listing.body);
    assert_eq!(listing.json()["packs"], serde_json::json!([]));
    let gone = common::http(port, "GET", "/v1/packs/maple", Some(&tokens[1]), None);
    assert_eq!(gone.status, 404, "{}", gone.body);
    let later = sync(1, &[]);
    assert!(later.contains("the hub holds 0 pack(s)"), "{later}");
    assert!(!later.contains("maple:"), "{later}");

    // No token, or a guessed one: refused in JSON; a pack must be signed as it is.
    let anonymous = common::http(port, "GET", "/v1/packs", None, None);
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.json()["error"].is_string(), "{}", anonymous.body);
    assert_eq!(
        common::http(port, "GET", "/v1/packs", Some("guess"), None).status,
        401
    );
    let forged = common::http(
        port,
        "PUT",
        "/v1/pack",
        Some(&tokens[1]),
        Some("not a pack"),
    );
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.json()["error"].is_string(), "{}", forged.body);

    // The same hub over HTTPS with the certificate `tls init` makes: a co-op that
    // trusts the hub's authority pushes and pulls; without it, sync is refused.
    let hub_data = tmp.path().join("hub-data");
    run_ok(caretaker(&hub_data).args(["tls", "init"]));
    let ca = hub_data.join("tls/ca.pem");
    let tls_port = common::free_port();
    let _https_hub = HubProcess(
        caretaker(&hub_data)
            .args(["federation", "serve", "--tls", "--hub-dir"])
            .arg(&hub_dir)
            .args(["--listen", &format!("127.0.0.1:{tls_port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the HTTPS hub starts"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the HTTPS hub did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let https = format!("https://localhost:{tls_port}");
    let sync_https = |i: usize, ca: Option<&Path>| {
        let (_, data, config) = &coops[i];
        let mut cmd = caretaker(data);
        cmd.arg("--config").arg(config).args([
            "federation",
            "sync",
            "--hub",
            &https,
            "--token",
            &tokens[i],
        ]);
        if let Some(ca) = ca {
            cmd.arg("--hub-ca").arg(ca);
        }
        let out = run(&mut cmd);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = sync_https(0, Some(&ca));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("pushed this co-op's pack"), "{stdout}");
    let (_, stdout, stderr) = sync_https(1, Some(&ca));
    assert!(
        stdout.contains("maple: accepted as maple"),
        "{stdout} {stderr}"
    );
    let (ok, stdout, stderr) = sync_https(1, None);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("cannot reach the hub"), "{stderr}");
}
