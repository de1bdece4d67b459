//! The pages over real HTTP against `caretaker serve`: signing in with a token
//! or a one-time link, the session cookie, CSRF on every form, the same role
//! rules as the API (a resident sees their own unit only), the printable notice
//! and the revocable calendar feed.
mod common;

use common::{ServeProcess, add_token, caretaker, http_with, run_ok};
use serde_json::json;

/// A browser stand-in: keeps the session cookie.
struct Visitor<'a> {
    server: &'a ServeProcess,
    cookie: Option<String>,
}

/// The value of a form field in a page (`name="csrf_token" value="..."`).
fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} field in:\n{page}"));
    let rest = &page[at..];
    let value = rest.split("value=\"").nth(1).expect("a value");
    value[..value.find('"').expect("closing quote")].to_owned()
}

fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .map(|l| l.split_once(':').expect("a header").1.trim())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().expect("a pair").to_owned())
}

impl<'a> Visitor<'a> {
    fn new(server: &'a ServeProcess) -> Self {
        Self {
            server,
            cookie: None,
        }
    }

    fn get(&self, path: &str) -> common::HttpResponse {
        let mut headers = Vec::new();
        if let Some(c) = &self.cookie {
            headers.push(("Cookie", c.as_str()));
        }
        http_with(self.server.port, "GET", path, &headers, None)
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> common::HttpResponse {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(c) = &self.cookie {
            headers.push(("Cookie", c.as_str()));
        }
        http_with(self.server.port, "POST", path, &headers, Some(&body))
    }

    /// Signs in through the form; returns the page's CSRF token.
    fn sign_in(&mut self, token: &str) -> String {
        let form = self.get("/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let login_cookie = set_cookie(&form.head, "caretaker_login").expect("login cookie");
        self.cookie = Some(login_cookie);
        let csrf = hidden(&form.body, "csrf_token");
        let done = self.post("/login", &[("csrf_token", &csrf), ("token", token)]);
        assert_eq!(done.status, 303, "{}", done.body);
        self.cookie = Some(set_cookie(&done.head, "caretaker_session").expect("session cookie"));
        let cookie = done.header("set-cookie").expect("a cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let home = done.header("location").expect("a redirect");
        hidden(&self.get(&home).body, "csrf_token")
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn pages_keep_the_api_s_rules_sessions_and_forms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let server = ServeProcess::start(&data, &[]);
    let committee = add_token(&data, "committee", None);
    let resident = add_token(&data, "resident", Some("A-101"));
    let neighbour = add_token(&data, "resident", Some("B-101"));

    // No session: the pages send people to sign in.
    let anonymous = Visitor::new(&server);
    let home = anonymous.get("/");
    assert_eq!(home.status, 303, "{}", home.body);
    assert_eq!(home.header("location").as_deref(), Some("/login"));

    // A wrong token is refused in words, and a sign-in needs the form's CSRF token.
    let mut stranger = Visitor::new(&server);
    let form = stranger.get("/login");
    stranger.cookie = set_cookie(&form.head, "caretaker_login");
    let csrf = hidden(&form.body, "csrf_token");
    let wrong = stranger.post("/login", &[("csrf_token", &csrf), ("token", "not-a-token")]);
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("not known"), "{}", wrong.body);
    let forged = stranger.post("/login", &[("csrf_token", "forged"), ("token", &committee)]);
    assert_eq!(forged.status, 403, "{}", forged.body);

    // The committee: an order opened by hand, approved and scheduled through the forms.
    let mut member = Visitor::new(&server);
    let csrf = member.sign_in(&committee);
    let created = common::http(
        server.port,
        "POST",
        "/api/v1/work-orders",
        Some(&committee),
        Some(&json!({"equipment": "A-BLR-1", "title": "Service the burner", "estimated_cost": 300.0}).to_string()),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let order = created.json()["order"]["id"].as_i64().expect("an id");
    let page = member.get(&format!("/work-orders/{order}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Service the burner"), "{}", page.body);
    let version = hidden(&page.body, "version");

    let no_csrf = member.post(
        &format!("/work-orders/{order}/decide"),
        &[("action", "approve"), ("version", &version)],
    );
    assert_eq!(
        no_csrf.status, 403,
        "a form without its CSRF token must be refused"
    );
    let approved = member.post(
        &format!("/work-orders/{order}/decide"),
        &[
            ("csrf_token", &csrf),
            ("action", "approve"),
            ("version", &version),
        ],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    let stale = member.post(
        &format!("/work-orders/{order}/decide"),
        &[
            ("csrf_token", &csrf),
            ("action", "defer"),
            ("version", &version),
        ],
    );
    assert_eq!(stale.status, 409, "a decision on stale numbers is refused");
    assert!(
        stale.body.contains("Someone changed this order"),
        "{}",
        stale.body
    );
    let version = hidden(
        &member.get(&format!("/work-orders/{order}")).body,
        "version",
    );
    let schedule = [
        ("csrf_token", csrf.as_str()),
        ("action", "schedule"),
        ("version", version.as_str()),
        ("start", "2030-03-10T01:30"),
        ("end", "2030-03-10T04:30"),
        ("work", "burner service"),
        ("units", "A-101"),
    ];
    let mut preview = schedule.to_vec();
    preview.push(("preview", "1"));
    let preview = member.post(&format!("/work-orders/{order}/decide"), &preview);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("The notices residents will get"),
        "{}",
        preview.body
    );
    let before = member.get(&format!("/work-orders/{order}"));
    assert!(
        !before.body.contains("Notices sent"),
        "a preview saves nothing"
    );
    let scheduled = member.post(&format!("/work-orders/{order}/decide"), &schedule);
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    let after = member.get(&format!("/work-orders/{order}?done=schedule"));
    assert!(after.body.contains("Notices sent"), "{}", after.body);
    let printable = member.get(&format!("/work-orders/{order}/notice"));
    assert_eq!(printable.status, 200);
    assert!(printable.body.contains("A-101"), "{}", printable.body);
    // Each line of the notice is a paragraph of its own: "When" stands out.
    assert!(printable.body.contains("<p>When: "), "{}", printable.body);
    assert!(
        !printable.body.contains("To the residents of unit"),
        "{}",
        printable.body
    );

    // A calendar feed: readable under its address until revoked.
    let made = member.post(
        "/calendar",
        &[("csrf_token", &csrf), ("label", "lobby screen")],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let address = made
        .body
        .split("/calendar/")
        .nth(1)
        .and_then(|rest| rest.split(".ics").next())
        .map(|secret| format!("/calendar/{secret}.ics"))
        .expect("the feed's address");
    let feed = anonymous.get(&address);
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(
        feed.body.starts_with("BEGIN:VCALENDAR\r\n"),
        "{}",
        feed.body
    );
    assert!(
        feed.body.contains("SUMMARY:Service the burner"),
        "{}",
        feed.body
    );
    // Local times with the zone's rules: the window spans the spring change.
    for line in [
        "DTSTART;TZID=America/Toronto:20300310T013000",
        "DTEND;TZID=America/Toronto:20300310T043000",
        "BEGIN:VTIMEZONE\r\nTZID:America/Toronto",
        "BEGIN:DAYLIGHT\r\nDTSTART:20300310T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400",
    ] {
        assert!(feed.body.contains(line), "no {line:?} in:\n{}", feed.body);
    }
    assert_eq!(anonymous.get("/calendar/guessed.ics").status, 404);
    let home = member.get("/");
    let feed_id = home
        .body
        .split("action=\"/calendar/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the feed's revoke form")
        .to_owned();
    let revoked = member.post(
        &format!("/calendar/{feed_id}/revoke"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(anonymous.get(&address).status, 404);

    // The affected resident sees the notice and reports a problem.
    let mut tenant = Visitor::new(&server);
    let tenant_csrf = tenant.sign_in(&resident);
    let unit = tenant.get("/unit");
    assert!(unit.body.contains("Unit A-101"), "{}", unit.body);
    assert!(unit.body.contains("2030"), "no notice:\n{}", unit.body);
    let sent = tenant.post(
        "/unit/reports",
        &[
            ("csrf_token", &tenant_csrf),
            ("equipment", "A-BLR-1"),
            ("text", "Radiators cold on the first floor"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert!(tenant.get("/unit?sent=1").body.contains("Radiators cold"));
    assert!(
        member
            .get("/")
            .body
            .contains("Radiators cold on the first floor")
    );
    // Each equipment chart is also a picture to save (PNG), for the committee only.
    let equipment = member.get("/equipment/A-BLR-1");
    assert_eq!(equipment.status, 200, "{}", equipment.body);
    let picture = equipment
        .body
        .split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("closing quote")].replace("&amp;", "&"))
        .find(|href| href.starts_with("/equipment/A-BLR-1/charts/sensor-") && href.contains(".png"))
        .unwrap_or_else(|| panic!("no PNG link on:\n{}", equipment.body));
    let png = member.get(&picture);
    assert_eq!(png.status, 200, "{picture}: {}", png.body);
    assert_eq!(png.header("content-type").as_deref(), Some("image/png"));
    assert!(
        png.body.contains("PNG") && png.body.contains("IHDR"),
        "{picture} is not a PNG"
    );
    let missing = member.get("/equipment/A-BLR-1/charts/sensor-nothing.png");
    assert_eq!(missing.status, 404, "{}", missing.body);

    // A resident sees nothing of the committee's pages.
    for path in [
        "/model".to_owned(),
        format!("/work-orders/{order}"),
        "/equipment/A-BLR-1".to_owned(),
        picture.clone(),
    ] {
        let page = tenant.get(&path);
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(!page.body.contains("Service the burner"), "{path}");
    }

    // Another unit's resident sees neither the notice nor the report.
    let mut next_door = Visitor::new(&server);
    next_door.sign_in(&neighbour);
    let theirs = next_door.get("/unit");
    assert!(theirs.body.contains("Unit B-101"), "{}", theirs.body);
    assert!(!theirs.body.contains("2030"), "{}", theirs.body);
    assert!(!theirs.body.contains("Radiators cold"), "{}", theirs.body);

    // A one-time sign-in link works once.
    let out = run_ok(caretaker(&data).args(["token", "link", "2"]));
    let link = out
        .split_whitespace()
        .find(|w| w.starts_with("/login?code="))
        .unwrap_or_else(|| panic!("no sign-in link in {out}"))
        .to_owned();
    let first = anonymous.get(&link);
    assert_eq!(first.status, 303, "{}", first.body);
    assert!(set_cookie(&first.head, "caretaker_session").is_some());
    assert_eq!(anonymous.get(&link).status, 401);

    // Revoking the token ends its session at once; signing out ends it too.
    run_ok(caretaker(&data).args(["token", "revoke", "3"]));
    assert_eq!(
        next_door.get("/unit").status,
        303,
        "a revoked token's session must end"
    );
    let out = member.post("/logout", &[("csrf_token", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(member.get("/").status, 303);
}

#[test]
fn the_first_screen_names_a_gateway_whose_messages_are_being_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let password = common::add_gateway(&data, "gateway-a");
    let mqtt = common::free_port();
    let server = ServeProcess::start(
        &data,
        &[(
            "CARETAKER_MQTT__EMBEDDED_LISTEN",
            &format!("127.0.0.1:{mqtt}"),
        )],
    );
    let committee = add_token(&data, "committee", None);
    let mut member = Visitor::new(&server);
    member.sign_in(&committee);
    let calm = member.get("/");
    assert_eq!(calm.status, 200, "{}", calm.body);
    assert!(
        !calm.body.contains("refused in the last hour"),
        "{}",
        calm.body
    );

    // A gateway whose firmware went wrong: thirty payloads that are not JSON.
    let garbage: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| {
            (
                "caretaker/gateway-a/readings".to_owned(),
                format!("oops {i}").into_bytes(),
            )
        })
        .collect();
    common::publish_all(mqtt, Some(("gateway-a", &password)), &garbage).expect("published");

    // The first screen says so within its refresh time, in words.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let page = member.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains("Sensor gateway gateway-a") {
            assert!(
                page.body
                    .contains("30 of its messages or readings were refused in the last hour"),
                "{}",
                page.body
            );
            assert!(
                page.body
                    .contains("mostly messages that are not valid JSON"),
                "{}",
                page.body
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no gateway line on:\n{}",
            page.body
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}
