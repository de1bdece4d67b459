//! Fault injection for the reliability tests, off unless `CARETAKER_FAULT` is set.
//!
//! `CARETAKER_FAULT` holds comma-separated faults:
//! - `crash-before-rename`: abort the process after a Parquet file is written
//!   and fsynced under its temporary name, before the rename;
//! - `fsync-delay-ms=N`: every log fsync takes N ms longer (a slow disk);
//! - `disk-full-flag=PATH`: while PATH exists, writes to the log fail with
//!   "no space left on device".
use std::sync::OnceLock;
use std::time::Duration;

#[derive(Debug, Default)]
struct Faults {
    crash_before_rename: bool,
    fsync_delay: Option<Duration>,
    disk_full_flag: Option<std::path::PathBuf>,
}

fn faults() -> &'static Faults {
    static FAULTS: OnceLock<Faults> = OnceLock::new();
    FAULTS.get_or_init(|| {
        let mut f = Faults::default();
        let Ok(spec) = std::env::var("CARETAKER_FAULT") else {
            return f;
        };
        for item in spec.split(',').map(str::trim) {
            if item == "crash-before-rename" {
                f.crash_before_rename = true;
            } else if let Some(ms) = item.strip_prefix("fsync-delay-ms=") {
                f.fsync_delay = ms.parse().ok().map(Duration::from_millis);
            } else if let Some(path) = item.strip_prefix("disk-full-flag=") {
                f.disk_full_flag = Some(path.into());
            }
        }
        tracing::warn!(?f, "fault injection is on");
        f
    })
}

/// Called after a file is fsynced under its temporary name.
pub(crate) fn before_rename() {
    if faults().crash_before_rename {
        tracing::error!("injected crash before rename");
        std::process::abort();
    }
}

/// Called before each log fsync.
pub(crate) fn before_fsync() {
    if let Some(delay) = faults().fsync_delay {
        std::thread::sleep(delay);
    }
}

/// Called before each log write: an injected "disk full", if on.
pub(crate) fn before_write() -> std::io::Result<()> {
    match &faults().disk_full_flag {
        Some(flag) if flag.exists() => Err(std::io::Error::from_raw_os_error(28)),
        _ => Ok(()),
    }
}
