//! `caretaker report` with the real binary on a simulated co-op: a
//! self-contained HTML file for the general meeting (no address outside the
//! file, charts inline with a caption and a table of their numbers, print CSS,
//! room for the sign-off), and a PDF where Chromium is installed.
mod common;

use std::path::Path;

use common::{caretaker, run, run_ok, trained_coop};

fn has_chromium() -> bool {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// A year of simulated history, a model trained with its backtest, and the
/// work orders its forecasts propose.
fn coop_with_orders(dir: &Path) -> std::path::PathBuf {
    let data = trained_coop(dir, "1", &[]);
    // Scores every piece of equipment and proposes the work orders.
    run_ok(caretaker(&data).args(["plan", "--at", "2024-12-20", "--budget", "5000"]));
    data
}

#[test]
fn the_monthly_report_is_one_self_contained_printable_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = coop_with_orders(dir.path());
    let out = dir.path().join("report");

    let bad = run(caretaker(&data)
        .args(["report", "--month", "December 2024", "--out"])
        .arg(&out));
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    let mut cmd = caretaker(&data);
    cmd.args(["report", "--month", "2024-12", "--budget", "5000", "--out"])
        .arg(&out);
    let pdf = has_chromium();
    if pdf {
        cmd.arg("--pdf");
    } else {
        eprintln!("chromium is not installed: the PDF is not checked");
    }
    run_ok(&mut cmd);
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    for heading in [
        "maintenance report, December 2024",
        "Work most worth doing now",
        "What was done in December 2024",
        "The plan",
        "Spending and open work by month",
        "How good are the forecasts?",
        "Sign-off",
    ] {
        assert!(html.contains(heading), "no {heading:?} in the report");
    }
    // Charts inline, each with a caption and the table of its numbers.
    let charts = html.matches("<svg").count();
    assert!(charts >= 3, "{charts} charts");
    assert_eq!(html.matches("<figcaption>").count(), charts);
    assert!(html.matches("The numbers in the chart above").count() >= 3);
    assert!(html.contains("@media print"), "no print styles");
    assert!(
        html.contains("break-inside: avoid"),
        "charts may be cut across pages"
    );
    // Nothing outside the file: no links, scripts, styles or fonts from elsewhere.
    for outside in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(
            !html.contains(outside),
            "the report refers outside itself: {outside}"
        );
    }
    // Every ranked order says why, in words.
    assert!(
        html.contains("class=\"reason\""),
        "no reasons in the ranking"
    );

    if pdf {
        let bytes = std::fs::read(out.join("report.pdf")).expect("report.pdf");
        assert!(bytes.starts_with(b"%PDF"), "not a PDF");
        let pages = bytes.windows(10).filter(|w| w == b"/Type /Pag").count();
        assert!(pages >= 3, "{pages} PDF page objects");
    }
}
