//! A hub's store: the member co-ops (a name and the hash of the token each was
//! given) and the one pack each has pushed. The HTTP side is the binary's
//! `caretaker federation serve`; here is only what is kept and checked.
//!
//! ```text
//! HUB/members           one "NAME SHA256-OF-TOKEN" a line
//! HUB/packs/NAME.pack   the pack NAME pushed last (a withdrawn pack is deleted)
//! ```
use std::path::{Path, PathBuf};

use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::error::FederationError;
use crate::keys::write_file;
use crate::pack::Pack;

/// A hub's folder.
#[derive(Debug, Clone)]
pub struct Hub {
    dir: PathBuf,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `name` may name a member: 1 to 64 of `[A-Za-z0-9._-]`, not starting with a dot.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Hub {
    /// The hub kept in `dir` (made when the first member is added).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn members_path(&self) -> PathBuf {
        self.dir.join("members")
    }

    fn pack_path(&self, member: &str) -> PathBuf {
        self.dir.join("packs").join(format!("{member}.pack"))
    }

    fn members(&self) -> Result<Vec<(String, String)>, FederationError> {
        let path = self.members_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(n, h)| (n.to_owned(), h.to_owned()))
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(FederationError::io(&path)(e)),
        }
    }

    /// Adds a member co-op; returns the token to give it (shown once, kept hashed).
    pub fn add_member(&self, name: &str) -> Result<String, FederationError> {
        let bad = |why: String| FederationError::NotAPack {
            path: self.members_path(),
            why,
        };
        if !valid_name(name) {
            return Err(bad(format!(
                "{name:?} cannot name a member: 1 to 64 letters, digits, '.', '_' or '-'"
            )));
        }
        let mut members = self.members()?;
        if members.iter().any(|(n, _)| n == name) {
            return Err(bad(format!("{name:?} is already a member")));
        }
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = hex::encode(secret);
        members.push((name.to_owned(), token_hash(&token)));
        std::fs::create_dir_all(&self.dir).map_err(FederationError::io(&self.dir))?;
        let text: String = members.iter().map(|(n, h)| format!("{n} {h}\n")).collect();
        write_file(&self.members_path(), text.as_bytes(), true)?;
        Ok(token)
    }

    /// The member a token belongs to, if any.
    pub fn member(&self, token: &str) -> Result<Option<String>, FederationError> {
        let hash = token_hash(token);
        Ok(self
            .members()?
            .into_iter()
            .find(|(_, h)| *h == hash)
            .map(|(n, _)| n))
    }

    /// Keeps `bytes` as `member`'s pack, replacing the one it pushed before; a
    /// pack whose bytes are not as its signer signed them is refused.
    pub fn push(&self, member: &str, bytes: &[u8]) -> Result<(), FederationError> {
        let path = self.pack_path(member);
        Pack::check_signed(bytes, Path::new("pushed pack"))?;
        let dir = self.dir.join("packs");
        std::fs::create_dir_all(&dir).map_err(FederationError::io(&dir))?;
        write_file(&path, bytes, false)
    }

    /// Deletes `member`'s pack at once; whether there was one.
    pub fn withdraw(&self, member: &str) -> Result<bool, FederationError> {
        let path = self.pack_path(member);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(FederationError::io(&path)(e)),
        }
    }

    /// The members with a pack on the hub, other than `member`, sorted.
    pub fn others(&self, member: &str) -> Result<Vec<String>, FederationError> {
        let mut names: Vec<String> = self
            .members()?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n != member && self.pack_path(n).exists())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The pack `name` pushed, if it is there.
    pub fn pack(&self, name: &str) -> Result<Option<Vec<u8>>, FederationError> {
        if !valid_name(name) {
            return Ok(None);
        }
        let path = self.pack_path(name);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FederationError::io(&path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_member_and_names_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::new(dir.path());
        let a = hub.add_member("maple").unwrap();
        let b = hub.add_member("birch").unwrap();
        assert_ne!(a, b);
        assert_eq!(hub.member(&a).unwrap().as_deref(), Some("maple"));
        assert_eq!(hub.member(&b).unwrap().as_deref(), Some("birch"));
        assert_eq!(hub.member("guess").unwrap(), None);
        assert!(hub.add_member("maple").is_err());
        assert!(hub.add_member("../etc").is_err());
        assert!(hub.pack("../members").unwrap().is_none());
        let kept = std::fs::read_to_string(dir.path().join("members")).unwrap();
        assert!(!kept.contains(&a), "tokens are kept hashed");
    }

    #[test]
    fn a_pack_that_is_not_signed_as_it_is_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::new(dir.path());
        hub.add_member("maple").unwrap();
        assert!(hub.push("maple", b"not a pack").is_err());
        assert!(hub.others("birch").unwrap().is_empty());
    }
}
