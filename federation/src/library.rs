//! The packs a co-op has accepted, kept in its data directory (`federation/packs/NAME.pack`).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::FederationError;
use crate::keys::{PublicKey, write_file};
use crate::manifest::Manifest;
use crate::pack::{Pack, VerifiedPack};
use crate::trusted::{TrustedKeys, valid_name};

/// The folder of accepted packs.
#[derive(Debug, Clone)]
pub struct Library {
    dir: PathBuf,
}

/// A pack kept in the library.
#[derive(Debug, Clone)]
pub struct StoredPack {
    /// The name its signer is trusted under (and the file's name).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
    /// Whether it replaced an earlier pack of the same co-op.
    pub replaced: bool,
}

impl Library {
    /// The library in `dir` (created when a pack is first accepted).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pack"))
    }

    /// Checks every file, then keeps them all, or none if any is refused. A pack
    /// replaces the one its co-op sent before.
    pub fn import(
        &self,
        files: &[PathBuf],
        trusted: &TrustedKeys,
    ) -> Result<Vec<StoredPack>, FederationError> {
        let mut verified: BTreeMap<String, (PathBuf, VerifiedPack)> = BTreeMap::new();
        for file in files {
            let bytes = std::fs::read(file).map_err(FederationError::io(file))?;
            let pack = Pack::open(&bytes, file, trusted)?;
            if let Some((other, _)) = verified.get(&pack.name) {
                return Err(FederationError::NotAPack {
                    path: file.clone(),
                    why: format!(
                        "{} is also from {:?}: import one pack per co-op",
                        other.display(),
                        pack.name
                    ),
                });
            }
            verified.insert(pack.name.clone(), (file.clone(), pack));
        }
        std::fs::create_dir_all(&self.dir).map_err(FederationError::io(&self.dir))?;
        let mut out = Vec::new();
        for (name, (_, pack)) in verified {
            let path = self.path_of(&name);
            let replaced = path.exists();
            write_file(&path, &pack.bytes, false)?;
            out.push(StoredPack {
                name,
                path,
                manifest: pack.pack.manifest,
                replaced,
            });
        }
        Ok(out)
    }

    /// The packs kept, by name.
    pub fn list(&self) -> Result<Vec<StoredPack>, FederationError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(FederationError::io(&self.dir)(e)),
        };
        for entry in entries {
            let path = entry.map_err(FederationError::io(&self.dir))?.path();
            let Some(name) = pack_name(&path) else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(FederationError::io(&path))?;
            let (_, pack) = Pack::read_accepted(&bytes, &path)?;
            out.push(StoredPack {
                name,
                path,
                manifest: pack.manifest,
                replaced: false,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Every pack kept, by name, with its signer and contents.
    pub fn packs(&self) -> Result<Vec<(String, PublicKey, Pack)>, FederationError> {
        let mut out = Vec::new();
        for stored in self.list()? {
            let bytes = std::fs::read(&stored.path).map_err(FederationError::io(&stored.path))?;
            let (signer, pack) = Pack::read_accepted(&bytes, &stored.path)?;
            out.push((stored.name, signer, pack));
        }
        Ok(out)
    }

    /// Drops the pack kept under `name`.
    pub fn remove(&self, name: &str) -> Result<PathBuf, FederationError> {
        let path = self.path_of(name);
        if !valid_name(name) || !path.exists() {
            return Err(FederationError::NoSuchPack {
                name: name.to_owned(),
                known: self.list()?.into_iter().map(|p| p.name).collect(),
            });
        }
        std::fs::remove_file(&path).map_err(FederationError::io(&path))?;
        Ok(path)
    }
}

fn pack_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.strip_suffix(".pack")?;
    valid_name(name).then(|| name.to_owned())
}
