//! The HTTP API with the real binary: `caretaker serve` on a random port, driven
//! over HTTP. A work order's whole lifecycle with its notices and its outcome in
//! the history; the authorization matrix (every role × endpoint × own/other
//! object); unknown and server-owned fields; oversize bodies, huge pages, slow
//! clients and bursts (scenarios 10-12 of the reliability brief).
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ServeProcess, add_token, caretaker, http, run_ok};
use serde_json::{Value, json};

/// Tokens for every role: two residents of different units, both served by A-RP-01.
struct Tokens {
    admin: String,
    committee: String,
    resident_101: String,
    resident_301: String,
    gateway: String,
}

fn setup(data: &Path) -> Tokens {
    run_ok(caretaker(data).args(["registry", "check"]));
    Tokens {
        admin: add_token(data, "admin", None),
        committee: add_token(data, "committee", None),
        resident_101: add_token(data, "resident", Some("A-101")),
        resident_301: add_token(data, "resident", Some("A-301")),
        gateway: add_token(data, "gateway", None),
    }
}

fn create_order(api: &ServeProcess, token: &str) -> i64 {
    let r = api.call(
        "POST",
        "/api/v1/work-orders",
        Some(token),
        Some(
            r#"{"equipment":"A-RP-01","title":"Replace the riser pump seal","estimated_cost":400}"#,
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["order"]["id"].as_i64().unwrap()
}

fn transition(api: &ServeProcess, token: &str, id: i64, body: Value) -> common::HttpResponse {
    api.call(
        "POST",
        &format!("/api/v1/work-orders/{id}/transitions"),
        Some(token),
        Some(&body.to_string()),
    )
}

#[test]
fn a_work_order_goes_from_proposal_to_done_with_notices_for_exactly_the_affected_units() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let committee = t.committee.as_str();

    let id = create_order(&api, committee);
    let listed = api
        .call("GET", "/api/v1/work-orders", Some(committee), None)
        .json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["state"], "proposed");
    assert_eq!(listed["items"][0]["rank"], 1);

    let r = transition(
        &api,
        committee,
        id,
        json!({"to": "approved", "note": "seal weeps"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Done straight from approved is not a lifecycle step.
    let r = transition(
        &api,
        committee,
        id,
        json!({"to": "done", "outcome": {"real_fault": true, "cost": 1}}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "invalid_transition");

    let r = transition(
        &api,
        committee,
        id,
        json!({
            "to": "scheduled",
            "window": {"start": "2026-01-14T09:00:00Z", "end": "2026-01-14T13:00:00Z"},
            "units": ["A-101", "A-201"],
            "work": "replace the pump seal"
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let detail = r.json();
    let units: Vec<&str> = detail["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units.len(), 2);
    assert!(
        units.contains(&"A-101") && units.contains(&"A-201"),
        "{units:?}"
    );

    // The resident of A-101 reads their notice, in plain words with the window.
    let mine = api
        .call("GET", "/api/v1/notices", Some(&t.resident_101), None)
        .json();
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    let body = mine[0]["body"].as_str().unwrap();
    assert!(body.contains("heat") || body.contains("Heat"), "{body}");
    // In the sample co-op's time zone (America/Toronto, UTC-5 in January).
    assert!(
        body.contains("When: Wednesday 14 January, 04:00–08:00."),
        "{body}"
    );
    let notice_id = mine[0]["id"].as_i64().unwrap();
    // A-301 is served by the same pump but not affected by this work: no notice.
    let theirs = api
        .call("GET", "/api/v1/notices", Some(&t.resident_301), None)
        .json();
    assert_eq!(theirs.as_array().unwrap().len(), 0, "{theirs}");
    // ...and cannot read A-101's notice by id or by query.
    let r = api.call(
        "GET",
        &format!("/api/v1/notices/{notice_id}"),
        Some(&t.resident_301),
        None,
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = api.call(
        "GET",
        "/api/v1/notices?unit=A-101",
        Some(&t.resident_301),
        None,
    );
    assert_eq!(r.status, 404, "{}", r.body);

    // A new plan: the notice changes and says so.
    let r = transition(
        &api,
        committee,
        id,
        json!({
            "to": "scheduled",
            "window": {"start": "2026-01-15T09:00:00Z", "end": "2026-01-15T12:00:00Z"},
            "units": ["A-101"]
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mine = api
        .call("GET", "/api/v1/notices", Some(&t.resident_101), None)
        .json();
    assert!(
        mine[0]["title"].as_str().unwrap().starts_with("Changed"),
        "{mine}"
    );
    assert_eq!(mine[0]["version"], 2);

    let r = transition(&api, committee, id, json!({"to": "in_progress"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = transition(
        &api,
        committee,
        id,
        json!({"to": "done", "note": "seal was cracked",
               "outcome": {"real_fault": true, "replaced": "pump seal", "cost": 380.5}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let detail = r.json();
    assert_eq!(detail["order"]["state"], "done");
    let states: Vec<&str> = detail["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["to_state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "proposed",
            "approved",
            "scheduled",
            "scheduled",
            "in_progress",
            "done"
        ]
    );

    // The outcome is in the event history the next training reads.
    let events = api
        .call(
            "GET",
            "/api/v1/events?equipment=A-RP-01",
            Some(committee),
            None,
        )
        .json();
    let outcome = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == format!("work_order:{id}"))
        .unwrap_or_else(|| panic!("no outcome event in {events}"));
    assert_eq!(outcome["kind"], "corrective_maintenance");
    assert_eq!(outcome["cost"], 380.5);
    assert!(
        outcome["description"]
            .as_str()
            .unwrap()
            .contains("pump seal")
    );
}

/// Who may call what. `own`/`other` objects: a notice of A-101 (the first resident's
/// unit) and the work order behind it.
#[test]
fn every_role_gets_exactly_its_rights_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let id = create_order(&api, &t.committee);
    assert_eq!(
        transition(&api, &t.committee, id, json!({"to": "approved"})).status,
        200
    );
    let r = transition(
        &api,
        &t.committee,
        id,
        json!({"to": "scheduled", "units": ["A-101"],
               "window": {"start": "2026-02-01T08:00:00Z", "end": "2026-02-01T10:00:00Z"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let notice = r.json()["notices"][0]["id"].as_i64().unwrap();
    let before = api
        .call(
            "GET",
            &format!("/api/v1/work-orders/{id}"),
            Some(&t.committee),
            None,
        )
        .body;

    let roles: [(&str, Option<&str>); 6] = [
        ("none", None),
        ("admin", Some(&t.admin)),
        ("committee", Some(&t.committee)),
        ("resident_101", Some(&t.resident_101)),
        ("resident_301", Some(&t.resident_301)),
        ("gateway", Some(&t.gateway)),
    ];
    // (method, path, body, expected status per role in the order above)
    let order_path = format!("/api/v1/work-orders/{id}");
    let transitions = format!("/api/v1/work-orders/{id}/transitions");
    let notice_path = format!("/api/v1/notices/{notice}");
    let new_token = r#"{"role":"committee","label":"x"}"#;
    let cases: Vec<(&str, &str, Option<&str>, [u16; 6])> = vec![
        ("GET", "/health", None, [200, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/openapi.json",
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        ("GET", "/api/v1/me", None, [401, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/buildings",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        ("GET", "/api/v1/units", None, [401, 200, 200, 403, 403, 403]),
        (
            "GET",
            "/api/v1/equipment",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/equipment/A-RP-01",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/sensors",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/sensors/A-BLR-1-supply/readings",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/events",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        ("GET", "/api/v1/risks", None, [401, 200, 200, 403, 403, 403]),
        (
            "GET",
            "/api/v1/plan?budget=1000",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/work-orders",
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        ("GET", &order_path, None, [401, 200, 200, 403, 403, 403]),
        (
            "POST",
            "/api/v1/work-orders",
            Some(r#"{"equipment":"A-BLR-1","title":"x"}"#),
            [401, 201, 201, 403, 403, 403],
        ),
        // Changing the order: only the committee and admins (a no-op reschedule).
        (
            "POST",
            &transitions,
            Some(r#"{"to":"in_progress","version":0}"#),
            [401, 409, 409, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/notices",
            None,
            [401, 422, 422, 200, 200, 403],
        ),
        (
            "GET",
            "/api/v1/notices?unit=A-101",
            None,
            [401, 200, 200, 200, 404, 403],
        ),
        ("GET", &notice_path, None, [401, 200, 200, 200, 404, 403]),
        (
            "GET",
            "/api/v1/reports?unit=A-301",
            None,
            [401, 200, 200, 404, 200, 403],
        ),
        (
            "POST",
            "/api/v1/reports",
            Some(r#"{"category":"no_heat","text":"cold","unit":"A-301"}"#),
            [401, 201, 201, 404, 201, 403],
        ),
        (
            "GET",
            "/api/v1/tokens",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/tokens",
            Some(new_token),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            "DELETE",
            "/api/v1/tokens/999",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/api/v1/gateways",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            "DELETE",
            "/api/v1/gateways/nobody",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &cases {
        for ((role, token), want) in roles.iter().zip(expected) {
            let r = api.call(method, path, *token, *body);
            if r.status != *want {
                wrong.push(format!(
                    "{role} {method} {path}: {} (want {want}) {}",
                    r.status, r.body
                ));
            }
            if r.status >= 400 {
                let body = r.json();
                assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Refused changes changed nothing: the order is as it was (the version
    // conflicts above were refused too).
    let after = api
        .call(
            "GET",
            &format!("/api/v1/work-orders/{id}"),
            Some(&t.committee),
            None,
        )
        .body;
    assert_eq!(before, after);
    // Only the admin's token was created (one), the committee's was refused.
    let tokens = api
        .call("GET", "/api/v1/tokens", Some(&t.admin), None)
        .json();
    assert_eq!(tokens.as_array().unwrap().len(), 6, "{tokens}");
}

#[test]
fn unknown_or_server_owned_fields_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let id = create_order(&api, &t.committee);
    let before = api
        .call(
            "GET",
            "/api/v1/work-orders?state=all",
            Some(&t.committee),
            None,
        )
        .body;
    let bodies = [
        (
            "/api/v1/work-orders",
            r#"{"equipment":"A-BLR-1","title":"x","state":"done"}"#,
        ),
        (
            "/api/v1/work-orders",
            r#"{"equipment":"A-BLR-1","title":"x","expected_benefit":1e9}"#,
        ),
        (
            "/api/v1/work-orders",
            r#"{"equipment":"A-BLR-1","title":"x","id":5}"#,
        ),
        ("/api/v1/work-orders", r#"{"equipment":"A-BLR-1"}"#),
        (
            "/api/v1/work-orders",
            r#"{"equipment":"A-BLR-1","title":7}"#,
        ),
        (
            "/api/v1/work-orders",
            r#"{"equipment":"NOPE-1","title":"x"}"#,
        ),
        (
            &*format!("/api/v1/work-orders/{id}/transitions"),
            r#"{"to":"approved","state":"done"}"#,
        ),
        (
            &*format!("/api/v1/work-orders/{id}/transitions"),
            r#"{"to":"approved","actor":"someone else"}"#,
        ),
        (
            &*format!("/api/v1/work-orders/{id}/transitions"),
            r#"{"to":"sideways"}"#,
        ),
        (
            "/api/v1/tokens",
            r#"{"role":"admin","label":"x","token_hash":"00"}"#,
        ),
        (
            "/api/v1/reports",
            r#"{"category":"no_heat","text":"cold","unit":"A-101","ts":"2020-01-01T00:00:00Z"}"#,
        ),
    ];
    for (path, body) in bodies {
        let r = api.call("POST", path, Some(&t.admin), Some(body));
        assert_eq!(r.status, 422, "{path} {body}: {} {}", r.status, r.body);
        assert!(r.json()["error"]["message"].is_string());
    }
    let r = api.call(
        "POST",
        "/api/v1/work-orders",
        Some(&t.admin),
        Some("{not json"),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let after = api
        .call(
            "GET",
            "/api/v1/work-orders?state=all",
            Some(&t.committee),
            None,
        )
        .body;
    assert_eq!(before, after, "a refused request changed the orders");
    let reports = api
        .call("GET", "/api/v1/reports?unit=A-101", Some(&t.admin), None)
        .json();
    assert_eq!(reports.as_array().unwrap().len(), 0);
    let tokens = api
        .call("GET", "/api/v1/tokens", Some(&t.admin), None)
        .json();
    assert_eq!(tokens.as_array().unwrap().len(), 5);
}

#[test]
fn big_bodies_huge_pages_slow_clients_and_bursts_are_bounded_and_the_service_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(
        &data,
        &[
            ("CARETAKER_API__REQUEST_TIMEOUT_S", "1"),
            ("CARETAKER_API__MAX_CONCURRENT", "4"),
        ],
    );
    let committee = t.committee.as_str();

    // 3 MB body: 413.
    let big = format!(
        r#"{{"equipment":"A-BLR-1","title":"{}"}}"#,
        "x".repeat(3 << 20)
    );
    let r = api.call("POST", "/api/v1/work-orders", Some(committee), Some(&big));
    assert_eq!(r.status, 413, "{}", &r.body[..r.body.len().min(200)]);
    assert_eq!(r.json()["error"]["code"], "body_too_large");

    // A huge array of units: 422.
    let id = create_order(&api, committee);
    assert_eq!(
        transition(&api, committee, id, json!({"to": "approved"})).status,
        200
    );
    let units: Vec<String> = (0..1_500).map(|i| format!("A-{i}")).collect();
    let r = transition(
        &api,
        committee,
        id,
        json!({"to": "scheduled", "units": units,
               "window": {"start": "2026-02-01T08:00:00Z", "end": "2026-02-01T10:00:00Z"}}),
    );
    assert_eq!(r.status, 422, "{}", r.body);

    // limit=1000000: a capped page, not an error.
    for i in 0..3 {
        let r = api.call(
            "POST",
            "/api/v1/work-orders",
            Some(committee),
            Some(&format!(
                r#"{{"equipment":"A-BLR-{}","title":"t{i}"}}"#,
                1 + i % 2
            )),
        );
        assert_eq!(r.status, 201);
    }
    let page = api
        .call(
            "GET",
            "/api/v1/work-orders?limit=1000000",
            Some(committee),
            None,
        )
        .json();
    assert_eq!(page["limit"], 200);
    let page = api
        .call(
            "GET",
            "/api/v1/work-orders?limit=2&offset=1",
            Some(committee),
            None,
        )
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["rank"], 2);

    // A slow client that never finishes its body: 408 after the timeout.
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", api.port)).unwrap();
        write!(
            s,
            "POST /api/v1/work-orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {committee}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"equ"
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let began = Instant::now();
        let mut response = String::new();
        let _ = s.read_to_string(&mut response);
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(began.elapsed() < Duration::from_secs(5));
    }

    // A burst of 200 concurrent slow requests against 4 slots: some get 429, none fail otherwise.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                scope.spawn(|| {
                    http(
                        api.port,
                        "GET",
                        "/api/v1/work-orders?state=all",
                        Some(committee),
                        None,
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts = BTreeMap::new();
    for s in &statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    assert!(counts.keys().all(|s| *s == 200 || *s == 429), "{counts:?}");
    assert!(counts.contains_key(&200), "{counts:?}");
    // Still up and answering.
    let r = api.call("GET", "/health", None, None);
    assert_eq!(r.status, 200);
    let r = api.call("GET", "/api/v1/work-orders", Some(committee), None);
    assert_eq!(r.status, 200);
}

#[test]
fn the_openapi_document_lists_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _ = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let doc = api.call("GET", "/api/v1/openapi.json", None, None).json();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/work-orders",
        "/api/v1/work-orders/{id}",
        "/api/v1/work-orders/{id}/transitions",
        "/api/v1/plan",
        "/api/v1/risks",
        "/api/v1/notices",
        "/api/v1/notices/{id}",
        "/api/v1/reports",
        "/api/v1/tokens",
        "/api/v1/sensors/{id}/readings",
        "/health",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let r = http(api.port, "GET", "/api/v1/nowhere", None, None);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
}

// Nobody can flood or overload the service: report limits and their weight,
// readings queries, token revocation, failed logins, bounded plans.

/// A data directory holding half a year of simulated history and a trained model.
fn trained_coop(dir: &Path) -> std::path::PathBuf {
    let sim = dir.join("sim");
    let data = dir.join("data");
    run_ok(
        caretaker(&data)
            .args(["simulate", "history", "--years", "0.5", "--out"])
            .arg(&sim),
    );
    for (what, file) in [
        ("readings", "readings.parquet"),
        ("events", "events.parquet"),
    ] {
        run_ok(caretaker(&data).args(["import", what]).arg(sim.join(file)));
    }
    run_ok(caretaker(&data).args(["train", "--no-backtest"]));
    data
}

/// The risk board's entry for `equipment` once the board was weighed at or after
/// `since` (epoch ms), or as it stands after `patience` if it was not (a board
/// weighed on the request path was weighed before `since`).
fn board_entry(
    api: &ServeProcess,
    token: &str,
    equipment: &str,
    since: i64,
    patience: Duration,
) -> Value {
    let deadline = Instant::now() + patience;
    loop {
        let board = api.call("GET", "/api/v1/risks", Some(token), None).json();
        let as_of = board["as_of"]
            .as_str()
            .and_then(|t| caretaker_core::Timestamp::parse(t).ok());
        let weighed = as_of.is_some_and(|t| t.millis() >= since);
        if weighed || (as_of.is_some() && Instant::now() > deadline) {
            let entry = board["risks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["assessment"]["equipment"] == equipment);
            return entry
                .unwrap_or_else(|| panic!("{equipment} not on the board: {board}"))
                .clone();
        }
        assert!(
            Instant::now() < deadline + Duration::from_secs(120),
            "the API never scored: {board}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn now_ms() -> i64 {
    caretaker_core::Timestamp::now().millis()
}

#[test]
fn forty_five_reports_from_one_unit_about_one_equipment_weigh_as_much_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = trained_coop(dir.path());
    let committee = add_token(&data, "committee", None);
    let resident = add_token(&data, "resident", Some("A-101"));
    // The per-hour limit is raised here: this test is about the evidence, not the limit.
    let api = ServeProcess::start(&data, &[("CARETAKER_API__REPORTS_PER_HOUR", "100")]);
    // Distinct texts: the store keeps one event per equipment, time (ms) and text.
    let send = |i: usize| {
        let report = format!(r#"{{"category":"no_heat","text":"The radiators are cold ({i})"}}"#);
        let r = api.call("POST", "/api/v1/reports", Some(&resident), Some(&report));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["equipment"].as_str().unwrap().to_owned()
    };
    let patience = Duration::from_secs(30);
    board_entry(&api, &committee, "A-BLR-1", 0, patience);

    let equipment = send(0);
    let once = board_entry(&api, &committee, &equipment, now_ms(), patience);
    let floor = once["assessment"]["evidence_floor"].as_f64().unwrap();
    // One report stands for 5% (1 − 0.95); two would be 9.75%.
    assert!((0.05 - 1e-12..0.0975).contains(&floor), "{once}");

    for i in 1..45 {
        assert_eq!(send(i), equipment);
    }
    let burst = board_entry(&api, &committee, &equipment, now_ms(), patience);
    assert_eq!(
        burst["assessment"]["evidence_floor"].as_f64().unwrap(),
        floor,
        "{burst}"
    );
    // Every report is kept for the committee (beside the simulated history's).
    let stored = api
        .call("GET", "/api/v1/reports?unit=A-101", Some(&committee), None)
        .json();
    let burst = stored
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["text"]
                .as_str()
                .unwrap()
                .starts_with("The radiators are cold")
        })
        .count();
    assert_eq!(burst, 45);
}

#[test]
fn a_resident_token_gets_429_on_its_eleventh_report_in_an_hour() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    // Distinct texts: the store keeps one event per equipment, time (ms) and text.
    let report = |i: usize| format!(r#"{{"category":"no_heat","text":"cold ({i})"}}"#);
    for i in 0..10 {
        let began = Instant::now();
        let r = api.call(
            "POST",
            "/api/v1/reports",
            Some(&t.resident_101),
            Some(&report(i)),
        );
        assert_eq!(r.status, 201, "report {i}: {}", r.body);
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "a report waits for the ranking"
        );
    }
    let r = api.call(
        "POST",
        "/api/v1/reports",
        Some(&t.resident_101),
        Some(&report(10)),
    );
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "too_many_requests");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((3_000..=3_600).contains(&wait), "{wait}");
    // The limit is per token: another resident, and the committee, still report.
    let r = api.call(
        "POST",
        "/api/v1/reports",
        Some(&t.resident_301),
        Some(&report(11)),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api.call(
        "POST",
        "/api/v1/reports",
        Some(&t.committee),
        Some(r#"{"category":"no_heat","text":"cold","unit":"A-101"}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let stored = api
        .call(
            "GET",
            "/api/v1/reports?unit=A-101",
            Some(&t.committee),
            None,
        )
        .json();
    assert_eq!(
        stored.as_array().unwrap().len(),
        11,
        "the refused report is not stored"
    );
}

#[test]
fn readings_queries_that_overflow_or_run_backwards_are_400() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let base = "/api/v1/sensors/A-BLR-1-supply/readings";
    for query in [
        "from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&every=9223372036854775807",
        "from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:01Z&every=9223372036854775807",
        "from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z",
        "from=2024-01-02T00:00:00Z&to=2024-01-02T00:00:00Z",
        "from=-9223372036854775808&to=9223372036854775807",
    ] {
        let r = api.call("GET", &format!("{base}?{query}"), Some(&t.committee), None);
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "bad_request", "{query}");
    }
    // The largest width that does not overflow is one bucket; still answered.
    let r = api.call(
        "GET",
        &format!("{base}?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&every=9223372036854775"),
        Some(&t.committee),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["points"].as_array().unwrap().len() <= 1);
    assert_eq!(api.call("GET", "/health", None, None).status, 200);
    // The document lists the new answers.
    let doc = api.call("GET", "/api/v1/openapi.json", None, None).json();
    let responses = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    let readings = responses("/api/v1/sensors/{id}/readings", "get");
    for status in ["400", "401", "429", "503"] {
        assert!(readings[status].is_object(), "{status} missing: {readings}");
    }
    let reports = responses("/api/v1/reports", "post");
    assert!(
        reports["429"]["headers"]["Retry-After"].is_object(),
        "{reports}"
    );
}

#[test]
fn a_token_revoked_from_another_process_is_refused_on_the_very_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let out = run_ok(caretaker(&data).args(["token", "add", "--role", "committee"]));
    let mut lines = out.lines();
    let id = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let secret = lines.next().unwrap().trim().to_owned();
    let api = ServeProcess::start(&data, &[]);
    for _ in 0..3 {
        let r = api.call("GET", "/api/v1/work-orders", Some(&secret), None);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // `caretaker token revoke` writes the store directly, as from another machine's shell.
    run_ok(caretaker(&data).args(["token", "revoke", &id]));
    let r = api.call("GET", "/api/v1/work-orders", Some(&secret), None);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "unauthorized");
    // Other tokens are unaffected.
    let r = api.call("GET", "/api/v1/work-orders", Some(&t.committee), None);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn failed_logins_from_one_address_are_throttled_and_logged_without_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let log = dir.path().join("serve.log");
    let api = ServeProcess::start_logging_to(&data, &[], &log);
    // Requests without a token are not login attempts.
    for _ in 0..20 {
        assert_eq!(api.call("GET", "/api/v1/me", None, None).status, 401);
    }
    // A bad token whose User-Agent carries a tab (the one control character HTTP
    // lets through in a header value).
    let raw = |token: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", api.port)).unwrap();
        write!(
            s,
            "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             User-Agent: evil\tagent\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        response
    };
    for i in 0..10 {
        let response = raw(&format!("not-a-token-{i}"));
        assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    }
    let r = api.call("GET", "/api/v1/me", Some("not-a-token-10"), None);
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "too_many_requests");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    // The address is refused for a while, whatever token it sends.
    let r = api.call("GET", "/api/v1/me", Some(&t.committee), None);
    assert_eq!(r.status, 429, "{}", r.body);

    drop(api);
    let log = std::fs::read_to_string(&log).unwrap();
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused an unknown or revoked API token"))
        .collect();
    assert_eq!(refusals.len(), 10, "{log}");
    assert!(refusals[0].contains("127.0.0.1"), "{}", refusals[0]);
    assert!(refusals[0].contains("evil\\x09agent"), "{}", refusals[0]);
    assert!(!log.contains('\t'), "{log}");
    assert!(!log.contains("not-a-token"), "a secret was logged");
    assert!(log.contains("too many failed logins"), "{log}");
}

#[test]
fn a_plan_cut_short_by_its_node_budget_is_still_a_valid_plan() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[("CARETAKER_API__PLAN_MAX_NODES", "50")]);
    let equipment: Vec<String> = api
        .call("GET", "/api/v1/equipment", Some(&t.committee), None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    // Open orders as the ranking proposes them: 2 origins per piece of equipment,
    // costs of 2,000 to 40,000 with varied benefits. 80 orders and a budget of a
    // million are beyond dynamic programming (50 million cells): branch and bound.
    let db = data.join("caretaker.sqlite");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let count = runtime.block_on(async {
        let store = caretaker_data::Store::open(&db).await.unwrap();
        let origins = [
            caretaker_core::WorkOrderOrigin::Forecast,
            caretaker_core::WorkOrderOrigin::SensorHealth,
        ];
        let mut count = 0;
        for (i, id) in equipment.iter().take(40).enumerate() {
            for (k, origin) in origins.into_iter().enumerate() {
                let n = (i * 2 + k) as f64;
                let cost = 2_000.0 + (n * 7_919.0) % 38_000.0;
                let benefit = cost * (0.2 + (n * 0.618_033_988_7) % 1.0);
                let proposal = caretaker_data::Proposal {
                    equipment: caretaker_core::EquipmentId::parse(id).unwrap(),
                    origin,
                    title: format!("Service {id}"),
                    probability: Some(0.3),
                    horizon_days: Some(30),
                    expected_benefit: Some(benefit),
                    estimated_cost: Some(cost),
                    assessment: json!({"expected_cost_of_waiting": benefit + cost}),
                    explanation: "test".into(),
                };
                store
                    .upsert_proposal(&proposal, caretaker_core::Timestamp::now(), |_, _| false)
                    .await
                    .unwrap();
                count += 1;
            }
        }
        count
    });
    assert_eq!(count, 80);
    let r = api.call(
        "GET",
        "/api/v1/plan?budget=1000000",
        Some(&t.committee),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let plan = &r.json()["plan"];
    assert_eq!(plan["cut_short"], true, "{plan}");
    let chosen = plan["chosen"].as_array().unwrap().len();
    assert!(chosen > 0, "{plan}");
    assert_eq!(chosen + plan["deferred"].as_array().unwrap().len(), count);
    let total_cost = plan["total_cost"].as_f64().unwrap();
    assert!(total_cost <= 1_000_000.0, "{plan}");
    assert_eq!(plan["leftover"].as_f64().unwrap(), 1_000_000.0 - total_cost);
    // The document describes the field.
    let doc = api.call("GET", "/api/v1/openapi.json", None, None).json();
    assert!(
        doc["components"]["schemas"]["BudgetPlan"]["properties"]["cut_short"].is_object(),
        "{}",
        doc["components"]["schemas"]["BudgetPlan"]
    );
}

#[test]
fn gateway_credentials_are_issued_only_to_declared_gateways_and_can_be_issued_again_after_revocation()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = setup(&data);
    let api = ServeProcess::start(&data, &[]);
    let add = |name: &str| {
        api.call(
            "POST",
            "/api/v1/gateways",
            Some(&t.admin),
            Some(&format!(r#"{{"name":"{name}"}}"#)),
        )
    };
    // A gateway the registry does not declare would own no sensor.
    let r = add("gw-x");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("declares no gateway"), "{}", r.body);
    let first = add("gateway-a");
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(add("gateway-a").status, 409, "issued twice");
    let r = api.call("DELETE", "/api/v1/gateways/gateway-a", Some(&t.admin), None);
    assert_eq!(r.status, 204, "{}", r.body);
    // The name is free again, with a new password.
    let again = add("gateway-a");
    assert_eq!(again.status, 201, "{}", again.body);
    assert_ne!(first.json()["password"], again.json()["password"]);
}
