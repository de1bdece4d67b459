//! CSV import: arbitrary bytes as a `.csv` file, checked as a readings file
//! and as an events file exactly as `caretaker import` checks them; never a
//! panic, and the report's counts add up.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use caretaker_core::Timestamp;
use caretaker_fuzz::registry;
use caretaker_ingest::import::{
    EventsFile, ImportSettings, ReadingsFile, check_readings, read_events,
};
use libfuzzer_sys::fuzz_target;

/// The file each input is written to (one per process).
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("caretaker-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        dir.join("input.csv")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).expect("the input written");
    let settings = ImportSettings {
        now: Timestamp::parse("2024-01-31T12:00:00Z").expect("a time"),
        ..ImportSettings::default()
    };
    if let Ok(file) = ReadingsFile::open(path) {
        if let Ok(report) = check_readings(&file, registry(), &settings) {
            assert!(report.valid + report.rejected_total() <= report.rows);
        }
    }
    if let Ok(file) = EventsFile::open(path) {
        if let Ok((events, report)) = read_events(&file, registry(), &settings, &mut |_| {}) {
            assert!(events.len() as u64 <= report.rows);
        }
    }
});
