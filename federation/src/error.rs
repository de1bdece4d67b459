//! Why a federation step failed, in words a member can act on.
use std::path::PathBuf;

/// Everything that can go wrong with keys and packs.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The co-op has no key pair yet.
    #[error("no key pair in {0}: run `caretaker federation key` first")]
    NoKey(PathBuf),
    /// A key file holds something else than a key.
    #[error("{path}: not an ed25519 key ({why})")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A line of the trusted-keys file is wrong.
    #[error("{path}:{line}: {why}")]
    Trusted {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// The file is not a knowledge pack.
    #[error("{path}: refused, not a knowledge pack ({why})")]
    NotAPack {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The pack's bytes are not those its signer signed.
    #[error(
        "{path}: refused, the pack has been changed since it was signed (its signature does not match its contents)"
    )]
    Tampered {
        /// The file.
        path: PathBuf,
    },
    /// The pack is signed by a key not in the trusted keys.
    #[error(
        "{path}: refused, signed by key {key}, which is not in the trusted keys ({trusted}); \
         add a line `NAME {key}` there only if that co-op gave you this key"
    )]
    Untrusted {
        /// The file.
        path: PathBuf,
        /// The signer's public key.
        key: String,
        /// The trusted-keys file.
        trusted: PathBuf,
    },
    /// No accepted pack has that name.
    #[error("no pack named {name:?}; packs kept: {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    NoSuchPack {
        /// The name asked for.
        name: String,
        /// The packs kept.
        known: Vec<String>,
    },
    /// The samples given to a pack are not what a pack may hold.
    #[error("cannot build a pack: {0}")]
    Build(String),
}

impl FederationError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
