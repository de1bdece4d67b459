//! The TLS files in the data directory and the server configuration built
//! from them (rustls with the ring provider), for HTTPS and MQTT over TLS.
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The co-op's CA certificate: what gateways and browsers trust.
pub const CA_CERT: &str = "ca.pem";
/// The CA's private key (owner-only).
pub const CA_KEY: &str = "ca-key.pem";
/// The server certificate, then the CA's.
pub const SERVER_CERT: &str = "server.pem";
/// The server certificate's private key (owner-only).
pub const SERVER_KEY: &str = "server-key.pem";

/// The crypto provider every TLS configuration uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from a certificate chain and key in PEM files;
/// `alpn` lists the application protocols offered (empty: none).
pub fn server_config(
    cert: &Path,
    key: &Path,
    alpn: &[&[u8]],
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let hint = "run `caretaker tls init` to create them, or set tls.cert_file and tls.key_file";
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .with_context(|| format!("cannot read the certificate {} ({hint})", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read the private key {} ({hint})", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| format!("the certificate {} and its key", cert.display()))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}
