//! The co-op's ed25519 key pair: the secret signs its packs, the public key is
//! what another co-op trusts.
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::OsRng;

use crate::error::FederationError;

/// File of the secret key (64 hex digits, readable by the owner only).
const SECRET_FILE: &str = "key.secret";
/// File of the public key (64 hex digits), to give to other co-ops.
const PUBLIC_FILE: &str = "key.pub";

/// A co-op's key pair.
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyPair {{ public: {}, secret: [redacted] }}",
            self.public()
        )
    }
}

/// A public key, written as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes: [u8; 32] = strict_hex(text)?
            .try_into()
            .map_err(|_| "a public key is 64 hex digits".to_owned())?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| "not a valid ed25519 public key".to_owned())
    }

    /// Whether `signature` is this key's signature of `message` (strict
    /// verification: no malleable or weak-key signatures).
    pub(crate) fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, signature).is_ok()
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0.as_bytes()))
    }
}

/// Decodes lowercase hex only, so that a text has one spelling of its bytes.
pub(crate) fn strict_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("only lowercase hex digits 0-9 and a-f".into());
    }
    hex::decode(text).map_err(|e| e.to_string())
}

impl KeyPair {
    /// A new key pair from the operating system's random numbers.
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::generate(&mut OsRng),
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// Whether `dir` holds a key pair.
    pub fn exists(dir: &Path) -> bool {
        dir.join(SECRET_FILE).exists()
    }

    /// Where the public key is written.
    pub fn public_path(dir: &Path) -> PathBuf {
        dir.join(PUBLIC_FILE)
    }

    /// Writes the pair into `dir` (created if needed): the secret readable by the
    /// owner only, then the public key.
    pub fn save(&self, dir: &Path) -> Result<(), FederationError> {
        std::fs::create_dir_all(dir).map_err(FederationError::io(dir))?;
        let secret = hex::encode(self.signing.to_bytes()) + "\n";
        write_file(&dir.join(SECRET_FILE), secret.as_bytes(), true)?;
        let public = format!("{}\n", self.public());
        write_file(&dir.join(PUBLIC_FILE), public.as_bytes(), false)
    }

    /// Reads the pair from `dir`.
    pub fn load(dir: &Path) -> Result<Self, FederationError> {
        let path = dir.join(SECRET_FILE);
        if !path.exists() {
            return Err(FederationError::NoKey(dir.to_owned()));
        }
        let text = std::fs::read_to_string(&path).map_err(FederationError::io(&path))?;
        let bad = |why: String| FederationError::BadKey {
            path: path.clone(),
            why,
        };
        let bytes: [u8; 32] = strict_hex(text.trim())
            .map_err(bad)?
            .try_into()
            .map_err(|_| FederationError::BadKey {
                path: path.clone(),
                why: "a secret key is 64 hex digits".into(),
            })?;
        Ok(Self {
            signing: SigningKey::from_bytes(&bytes),
        })
    }
}

/// Writes a file whole or not at all; `private` makes it readable by the owner only.
pub(crate) fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), FederationError> {
    let write = || -> std::io::Result<()> {
        let mut file = atomic_write_file::AtomicWriteFile::open(path)?;
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt as _;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        #[cfg(not(unix))]
        let _ = private;
        std::io::Write::write_all(&mut file, bytes)?;
        file.commit()
    };
    write().map_err(FederationError::io(path))
}
