//! The public keys a co-op trusts: one `NAME KEY` line each.
//!
//! ```text
//! # co-ops whose packs we accept
//! maple-grove   3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
//! ```
//!
//! The name is how the co-op's pack is known here (`caretaker federation remove
//! NAME`); it may use letters, digits, `-` and `_`.
use std::path::{Path, PathBuf};

use crate::error::FederationError;
use crate::keys::PublicKey;

/// The trusted keys, by name.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    path: PathBuf,
    keys: Vec<(String, PublicKey)>,
}

impl TrustedKeys {
    /// Reads the file; a missing file trusts no one.
    pub fn load(path: &Path) -> Result<Self, FederationError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(FederationError::io(path)(e)),
        };
        Self::parse(&text, path)
    }

    /// Parses the file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, FederationError> {
        let mut keys: Vec<(String, PublicKey)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: String| FederationError::Trusted {
                path: path.to_owned(),
                line: i + 1,
                why,
            };
            let mut words = line.split_whitespace();
            let (Some(name), Some(key), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad(
                    "write `NAME KEY` (a name, then the 64-hex-digit public key)".into(),
                ));
            };
            if !valid_name(name) {
                return Err(bad(format!(
                    "name {name:?}: use 1 to 40 letters, digits, '-' or '_'"
                )));
            }
            let key = PublicKey::parse(key).map_err(|why| bad(format!("key: {why}")))?;
            if keys.iter().any(|(n, _)| n == name) {
                return Err(bad(format!("name {name:?} is used twice")));
            }
            if let Some((other, _)) = keys.iter().find(|(_, k)| *k == key) {
                return Err(bad(format!("this key is already trusted as {other:?}")));
            }
            keys.push((name.to_owned(), key));
        }
        Ok(Self {
            path: path.to_owned(),
            keys,
        })
    }

    /// The file they were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name under which `key` is trusted.
    pub fn name_of(&self, key: &PublicKey) -> Option<&str> {
        self.keys
            .iter()
            .find(|(_, k)| k == key)
            .map(|(n, _)| n.as_str())
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A pack name: 1 to 40 letters, digits, `-` or `_`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
