//! The pages in a real headless Chromium (driven over WebDriver by chromedriver)
//! against a running `caretaker demo`: the committee signs in, sees the ranked
//! orders and charts, approves and schedules an order through the forms; a
//! resident of an affected unit sees the notice and reports a problem, which
//! reaches the committee's page; a resident of another unit sees neither.
//! axe-core checks every page (no serious or critical violations), and
//! screenshots at 360 px and 1280 px are saved under
//! `$CARGO_TARGET_DIR/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (and axe-core's `axe.min.js`, found
//! through `AXE_CORE_JS`): `.ci/run` installs them and sets
//! `REQUIRE_BROWSER_TESTS=1`, which turns a missing browser into a failure;
//! elsewhere the test says it is skipped.
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{add_token, caretaker, free_port, http};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn required() -> bool {
    std::env::var("REQUIRE_BROWSER_TESTS").is_ok_and(|v| v == "1")
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots folder");
    dir
}

/// The demo's committee and resident tokens, and the resident's unit.
struct Demo {
    _process: Killed,
    port: u16,
    dir: PathBuf,
    committee: String,
    resident: String,
    unit: String,
}

fn start_demo(root: &Path) -> Demo {
    let dir = root.join("demo");
    let port = free_port();
    let mut child = caretaker(&root.join("unused"))
        .args(["demo", "--years", "1", "--duration", "1200s", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dir")
        .arg(&dir)
        .env(
            "CARETAKER_MQTT__EMBEDDED_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("caretaker demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let process = Killed(child);
    let began = Instant::now();
    let (mut committee, mut resident, mut unit) = (None, None, None);
    let mut output = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("demo output");
        output.push_str(&line);
        output.push('\n');
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            Some(&"committee") => committee = words.get(1).map(|s| s.to_string()),
            Some(&"resident") => {
                resident = words.last().map(|s| s.to_string());
                unit = words
                    .iter()
                    .position(|w| w.trim_start_matches('(') == "unit")
                    .and_then(|i| words.get(i + 1))
                    .map(|s| s.trim_end_matches([':', ',', ')']).to_string());
            }
            _ => {}
        }
        if line.starts_with("Top of the ranking") {
            break;
        }
        assert!(began.elapsed() < Duration::from_secs(600), "{output}");
    }
    Demo {
        _process: process,
        port,
        dir,
        committee: committee.unwrap_or_else(|| panic!("no committee token in:\n{output}")),
        resident: resident.unwrap_or_else(|| panic!("no resident token in:\n{output}")),
        unit: unit.unwrap_or_else(|| panic!("no resident unit in:\n{output}")),
    }
}

fn start_chromedriver(driver: &Path) -> (Killed, u16) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Killed(child), port)
}

async fn browser(driver_port: u16, chromium: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900",
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session")
}

/// The page's text.
async fn text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .expect("a body")
        .text()
        .await
        .expect("its text")
}

/// Runs axe-core on the page; fails on serious or critical violations.
async fn check_accessibility(c: &Client, axe: Option<&str>, page: &str) {
    let Some(axe) = axe else { return };
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                        v.nodes.map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    let violations: Vec<String> = serde_json::from_value(result).expect("a list");
    assert!(
        violations.is_empty(),
        "{page}: accessibility violations:\n{}",
        violations.join("\n")
    );
    println!("axe-core: {page}: no serious or critical violations");
}

/// Saves the page at 360 px and 1280 px wide.
async fn screenshots(c: &Client, name: &str) {
    let dir = screenshots_dir();
    for width in [360u32, 1280] {
        c.set_window_size(width, 900).await.expect("resize");
        // The page's full height, so the screenshot shows all of it.
        let height = c
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        c.set_window_size(width, height).await.expect("resize");
        let png = c.screenshot().await.expect("a screenshot");
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, png).expect("screenshot saved");
    }
    c.set_window_size(1280, 900).await.expect("resize");
}

/// Clicks and waits until the browser has loaded the next page.
async fn click_and_wait(c: &Client, element: fantoccini::elements::Element) {
    c.execute("window.__caretakerOldPage = true;", vec![])
        .await
        .expect("page marked");
    element.click().await.expect("clicked");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let loaded = c
            .execute(
                "return window.__caretakerOldPage === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(Instant::now() < deadline, "the next page did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.delete_all_cookies().await.expect("cookies cleared");
    c.goto(&format!("{base}/login")).await.expect("login page");
    let field = c.find(Locator::Id("token")).await.expect("token field");
    // The browser may have filled in the last token it saw.
    field.clear().await.expect("token field cleared");
    field.send_keys(token).await.expect("token typed");
    let button = c
        .find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .expect("sign-in button");
    click_and_wait(c, button).await;
}

async fn submit(c: &Client, form: &str, button: &str) {
    let element = c
        .find(Locator::Css(&format!("{form} {button}")))
        .await
        .unwrap_or_else(|e| panic!("no {button} in {form}: {e}"));
    click_and_wait(c, element).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_and_residents_use_the_pages_in_a_real_browser() {
    let (Some(chromium), Some(driver)) = (
        which(&["chromium", "chromium-browser", "google-chrome"]),
        which(&["chromedriver"]),
    ) else {
        assert!(
            !required(),
            "REQUIRE_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: chromium and chromedriver are not installed (`.ci/run` installs them)");
        return;
    };
    let axe = std::env::var("AXE_CORE_JS")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok());
    assert!(
        axe.is_some() || !required(),
        "REQUIRE_BROWSER_TESTS=1 but AXE_CORE_JS does not name axe-core's axe.min.js"
    );
    if axe.is_none() {
        eprintln!("axe-core not found (set AXE_CORE_JS): accessibility is not checked");
    }
    let axe = axe.as_deref();

    let root = tempfile::tempdir().expect("temp dir");
    let demo = tokio::task::spawn_blocking({
        let root = root.path().to_owned();
        move || start_demo(&root)
    })
    .await
    .expect("the demo starts");
    let base = format!("http://127.0.0.1:{}", demo.port);

    // An order on equipment that serves the resident's unit, to decide on.
    let equipment = http(demo.port, "GET", "/api/v1/me", Some(&demo.resident), None).json();
    let serving = equipment["equipment"][0]["id"]
        .as_str()
        .expect("equipment serving the resident's unit")
        .to_owned();
    let created = http(
        demo.port,
        "POST",
        "/api/v1/work-orders",
        Some(&demo.committee),
        Some(&json!({"equipment": serving, "title": "Inspect and service before winter", "estimated_cost": 450.0}).to_string()),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let order = created.json()["order"]["id"].as_i64().expect("an id");
    // A resident of another unit.
    let units = http(
        demo.port,
        "GET",
        "/api/v1/units",
        Some(&demo.committee),
        None,
    )
    .json();
    // In another building, so the scheduled work does not affect it.
    let units = units.as_array().expect("units");
    let building_of = |id: &str| {
        units
            .iter()
            .find(|u| u["id"] == id)
            .map(|u| u["building"].clone())
    };
    let other_unit = units
        .iter()
        .find(|u| building_of(&demo.unit).is_some_and(|b| u["building"] != b))
        .and_then(|u| u["id"].as_str())
        .expect("a unit in another building")
        .to_owned();
    let other = add_token(&demo.dir, "resident", Some(&other_unit));

    let (_driver, driver_port) = start_chromedriver(&driver);
    let profile = tempfile::tempdir().expect("browser profile");
    let c = browser(driver_port, &chromium, profile.path()).await;

    // The committee: the ranked list and its charts.
    sign_in(&c, &base, &demo.committee).await;
    assert_eq!(c.current_url().await.expect("url").path(), "/");
    let home = text(&c).await;
    assert!(home.contains("What needs doing"), "{home}");
    assert!(home.contains("Budget plan"), "{home}");
    let orders = c
        .find_all(Locator::Css("ol.orders > li"))
        .await
        .expect("orders");
    assert!(
        !orders.is_empty(),
        "no ranked orders on the first screen:\n{home}"
    );
    let charts = c
        .find_all(Locator::Css("figure.chart svg"))
        .await
        .expect("charts");
    assert!(!charts.is_empty(), "no chart on the first screen");
    check_accessibility(&c, axe, "/").await;
    screenshots(&c, "committee-home").await;

    // Approve, then schedule through the forms, looking at the notices first.
    c.goto(&format!("{base}/work-orders/{order}"))
        .await
        .expect("order page");
    check_accessibility(&c, axe, "/work-orders/{id}").await;
    screenshots(&c, "work-order").await;
    submit(
        &c,
        "form:has(input[name=action][value=approve])",
        "button[type=submit]",
    )
    .await;
    let page = text(&c).await;
    assert!(page.contains("Approved."), "{page}");
    c.execute(
        "document.getElementById('start').value = arguments[0];
         document.getElementById('end').value = arguments[1];",
        vec![json!("2030-01-15T09:00"), json!("2030-01-15T13:00")],
    )
    .await
    .expect("window typed");
    c.find(Locator::Id("work"))
        .await
        .expect("work field")
        .clear()
        .await
        .expect("cleared");
    c.find(Locator::Id("work"))
        .await
        .expect("work field")
        .send_keys("servicing")
        .await
        .expect("work typed");
    submit(
        &c,
        "form:has(input[name=action][value=schedule])",
        "button[name=preview]",
    )
    .await;
    let page = text(&c).await;
    assert!(page.contains("The notices residents will get"), "{page}");
    assert!(page.contains(&demo.unit), "{page}");
    screenshots(&c, "schedule-preview").await;
    submit(
        &c,
        "form:has(input[name=action][value=schedule])",
        "button:not([name=preview])",
    )
    .await;
    let page = text(&c).await;
    assert!(page.contains("Scheduled."), "{page}");
    assert!(page.contains("Notices sent"), "{page}");
    c.goto(&format!("{base}/work-orders/{order}/notice"))
        .await
        .expect("printable notice");
    let notice = text(&c).await;
    assert!(notice.contains(&demo.unit), "{notice}");
    check_accessibility(&c, axe, "/work-orders/{id}/notice").await;
    screenshots(&c, "printable-notice").await;
    c.goto(&format!("{base}/model")).await.expect("model page");
    check_accessibility(&c, axe, "/model").await;
    screenshots(&c, "model").await;
    c.goto(&format!("{base}/equipment/{serving}"))
        .await
        .expect("equipment page");
    check_accessibility(&c, axe, "/equipment/{id}").await;
    screenshots(&c, "equipment").await;

    // The resident of an affected unit: the notice, and a problem report.
    sign_in(&c, &base, &demo.resident).await;
    let at = c.current_url().await.expect("url");
    assert_eq!(at.path(), "/unit", "{}", text(&c).await);
    let unit_page = text(&c).await;
    assert!(
        unit_page.contains("2030"),
        "no notice of the scheduled work:\n{unit_page}"
    );
    let report = "The radiator in the bedroom is cold since this morning";
    c.find(Locator::Id("text"))
        .await
        .expect("report field")
        .send_keys(report)
        .await
        .expect("report typed");
    submit(&c, "form[action='/unit/reports']", "button[type=submit]").await;
    let unit_page = text(&c).await;
    assert!(
        unit_page.contains("The committee has your report"),
        "{unit_page}"
    );
    assert!(unit_page.contains(report), "{unit_page}");
    check_accessibility(&c, axe, "/unit").await;
    screenshots(&c, "resident-unit").await;

    // The committee sees the report arrive.
    sign_in(&c, &base, &demo.committee).await;
    let home = text(&c).await;
    assert!(
        home.contains(report),
        "the report is not on the committee's page:\n{home}"
    );

    // A resident of another unit sees neither the notice nor the report,
    // whatever URL they type.
    sign_in(&c, &base, &other).await;
    let their_page = text(&c).await;
    assert!(
        their_page.contains(&format!("Unit {other_unit}")),
        "{their_page}"
    );
    assert!(!their_page.contains("2030"), "{their_page}");
    assert!(!their_page.contains(report), "{their_page}");
    for path in [
        "/".to_owned(),
        format!("/work-orders/{order}"),
        format!("/work-orders/{order}/notice"),
        format!("/equipment/{serving}"),
        "/model".to_owned(),
    ] {
        c.goto(&format!("{base}{path}")).await.expect("page");
        let page = text(&c).await;
        assert!(!page.contains(report), "{path}: {page}");
        assert!(!page.contains("2030"), "{path}: {page}");
        assert!(
            !page.contains("Inspect and service before winter"),
            "{path} shows the order to another unit: {page}"
        );
    }
    c.close().await.expect("browser closed");
}
