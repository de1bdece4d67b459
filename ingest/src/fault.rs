//! Fault injection for the reliability tests: hooks the log and the Parquet
//! writer call at the moments a disk or a process can fail.
//!
//! Compiled in only with the `fault-injection` cargo feature of this crate. The
//! root package enables it through its dev-dependency on `caretaker-ingest`, so
//! the binary `cargo test` builds for `tests/` has it, and the one `cargo build`
//! or `cargo install` makes does not: there every hook is an empty inline
//! function and the environment is never read.
//!
//! With the feature, `CARETAKER_FAULT` holds comma-separated faults, read once:
//! - `crash-before-rename`: abort the process after a Parquet file is written
//!   and fsynced under its temporary name, before the rename;
//! - `fsync-delay-ms=N`: every log fsync takes N ms longer (a slow disk);
//! - `disk-full-flag=PATH`: while PATH exists, writes to the log fail with
//!   "no space left on device".

#[cfg(feature = "fault-injection")]
pub(crate) use injected::{before_fsync, before_rename, before_write};

#[cfg(feature = "fault-injection")]
mod injected {
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::time::Duration;

    /// The faults asked for.
    #[derive(Debug, Default, PartialEq)]
    pub(super) struct Faults {
        pub crash_before_rename: bool,
        pub fsync_delay: Option<Duration>,
        pub disk_full_flag: Option<PathBuf>,
    }

    impl Faults {
        /// Reads a `CARETAKER_FAULT` value; unknown items are ignored.
        pub fn parse(spec: &str) -> Self {
            let mut f = Self::default();
            for item in spec.split(',').map(str::trim) {
                if item == "crash-before-rename" {
                    f.crash_before_rename = true;
                } else if let Some(ms) = item.strip_prefix("fsync-delay-ms=") {
                    f.fsync_delay = ms.parse().ok().map(Duration::from_millis);
                } else if let Some(path) = item.strip_prefix("disk-full-flag=") {
                    f.disk_full_flag = Some(path.into());
                }
            }
            f
        }
    }

    fn faults() -> &'static Faults {
        static FAULTS: OnceLock<Faults> = OnceLock::new();
        FAULTS.get_or_init(|| {
            let Ok(spec) = std::env::var("CARETAKER_FAULT") else {
                return Faults::default();
            };
            let f = Faults::parse(&spec);
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
}

/// Called after a file is fsynced under its temporary name: nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn before_rename() {}

/// Called before each log fsync: nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn before_fsync() {}

/// Called before each log write: never fails.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn before_write() -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "fault-injection")]
    #[test]
    fn faults_are_read_from_a_comma_separated_list() {
        use super::injected::Faults;
        use std::time::Duration;
        assert_eq!(Faults::parse(""), Faults::default());
        assert_eq!(
            Faults::parse("crash-before-rename, fsync-delay-ms=20,disk-full-flag=/tmp/full,other"),
            Faults {
                crash_before_rename: true,
                fsync_delay: Some(Duration::from_millis(20)),
                disk_full_flag: Some("/tmp/full".into()),
            }
        );
    }

    /// Without the feature the hooks do nothing and cannot fail.
    #[cfg(not(feature = "fault-injection"))]
    #[test]
    fn without_the_feature_the_hooks_do_nothing() {
        super::before_rename();
        super::before_fsync();
        assert!(super::before_write().is_ok());
    }
}
