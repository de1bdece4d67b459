//! `caretaker plan` with the real binary on a simulated co-op: plans at several
//! budgets from the current model, and the same plan as `GET /api/v1/plan`.
mod common;

use std::time::{Duration, Instant};

use common::{ServeProcess, add_token, caretaker, run, run_ok, trained_coop};
use serde_json::Value;

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn plans_at_several_budgets_are_the_apis_plans() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Without a model there is nothing to plan from, and it says so.
    let out = run(caretaker(&data).args(["plan", "--budget", "1000"]));
    assert!(!out.status.success());

    let data = trained_coop(dir.path(), "0.5", &["--no-backtest"]);
    let file = dir.path().join("plan.json");
    let out = run_ok(
        caretaker(&data)
            .args(["plan", "--at", "2024-06-20", "--out"])
            .arg(&file)
            .args(["--budget", "0", "--budget", "2000", "--budget", "1000000"]),
    );
    assert!(out.contains("3 plans written"), "{out}");
    let export: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(
        export["as_of"].as_str().unwrap().starts_with("2024-06-20"),
        "{}",
        export["as_of"]
    );
    let current = std::fs::read_to_string(data.join("models/CURRENT")).unwrap();
    assert_eq!(export["model_version"], current.trim());
    assert_eq!(export["currency"], "CAD");
    assert_eq!(
        export["budgets"],
        serde_json::json!([0.0, 2000.0, 1000000.0])
    );
    let plans = export["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 3);
    let mut last_benefit = f64::NEG_INFINITY;
    for p in plans {
        let plan = &p["plan"];
        let budget = plan["budget"].as_f64().unwrap();
        assert!(plan["total_cost"].as_f64().unwrap() <= budget, "{plan}");
        let benefit = plan["total_benefit"].as_f64().unwrap();
        assert!(
            benefit >= last_benefit,
            "a larger budget never plans less benefit"
        );
        last_benefit = benefit;
        // The chosen orders in full, in the plan's order.
        let chosen: Vec<String> = p["chosen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].to_string())
            .collect();
        assert_eq!(chosen, ids(&plan["chosen"]));
    }
    // With more money than every order costs, only orders not worth doing wait.
    let rich = &plans[2]["plan"];
    assert!(
        !ids(&rich["chosen"]).is_empty(),
        "the simulated co-op has orders worth doing"
    );
    for d in rich["deferred"].as_array().unwrap() {
        assert!(d["benefit"].as_f64().unwrap() <= 0.0, "{d}");
    }
    assert!(ids(&plans[0]["plan"]["chosen"]).is_empty());

    // The API plans from the same open orders: once it has scored, its plan is the
    // one `caretaker plan --no-score` makes from the orders it left.
    let token = add_token(&data, "committee", None);
    let api = ServeProcess::start(&data, &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while api.call("GET", "/api/v1/risks", Some(&token), None).json()["as_of"].is_null() {
        assert!(Instant::now() < deadline, "the API never scored");
        std::thread::sleep(Duration::from_millis(200));
    }
    let from_api = api
        .call("GET", "/api/v1/plan?budget=2000", Some(&token), None)
        .json();
    drop(api);
    let out = run_ok(caretaker(&data).args(["plan", "--no-score", "--budget", "2000"]));
    let export: Value = serde_json::from_str(&out).unwrap();
    assert!(export["as_of"].is_null());
    assert_eq!(export["plans"][0], from_api);
}
