//! `caretaker tls init`: a certificate authority for the co-op and a server
//! certificate signed by it, for HTTPS and MQTT over TLS on the co-op's LAN.
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use anyhow::Context as _;
use atomic_write_file::AtomicWriteFile;
use chrono::{Datelike as _, Days, Months, NaiveDate, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::cli::TlsCommand;
use crate::config::Config;
use crate::tls::{CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY};

/// How long the CA is valid.
const CA_YEARS: u32 = 10;
/// How long a server certificate is valid (the most some browsers accept).
const SERVER_DAYS: u64 = 825;

pub fn run(config: &Config, cmd: TlsCommand) -> anyhow::Result<()> {
    match cmd {
        TlsCommand::Init { host, force } => init(config, host, force),
    }
}

fn init(config: &Config, hosts: Vec<String>, force: bool) -> anyhow::Result<()> {
    let dir = config.tls_dir();
    let ca_path = dir.join(CA_CERT);
    anyhow::ensure!(
        force || !ca_path.exists(),
        "{} already exists: gateways and browsers may trust it. Pass --force to replace it \
         (then give every gateway and browser the new {CA_CERT})",
        ca_path.display()
    );
    let hosts = if hosts.is_empty() {
        default_hosts()
    } else {
        hosts
    };
    let today = Utc::now().date_naive();
    let since = today - Days::new(1);
    let date =
        |day: NaiveDate| rcgen::date_time_ymd(day.year(), day.month() as u8, day.day() as u8);

    let ca_key = KeyPair::generate().context("generating the CA's key")?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = name(&format!("Caretaker co-op CA ({})", hosts_label(&hosts)));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = date(since);
    ca.not_after = date(today + Months::new(12 * CA_YEARS));
    let ca_cert = ca.self_signed(&ca_key).context("signing the CA")?;

    let server_key = KeyPair::generate().context("generating the server's key")?;
    let mut server = CertificateParams::new(hosts.clone())
        .context("a --host is neither a host name nor an IP address")?;
    server.distinguished_name = name(&hosts[0]);
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = date(since);
    server.not_after = date(today + Days::new(SERVER_DAYS));
    let server_cert = server
        .signed_by(&server_key, &ca_cert, &ca_key)
        .context("signing the server certificate")?;

    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write(&dir.join(CA_KEY), &ca_key.serialize_pem(), 0o600)?;
    write(&dir.join(SERVER_KEY), &server_key.serialize_pem(), 0o600)?;
    let chain = format!("{}{}", server_cert.pem(), ca_cert.pem());
    write(&dir.join(SERVER_CERT), &chain, 0o644)?;
    write(&ca_path, &ca_cert.pem(), 0o644)?;

    let shown = dir.display();
    println!("Wrote a certificate authority for the co-op and a server certificate to {shown}/:");
    println!("  {CA_CERT:<15} the co-op's CA certificate (valid {CA_YEARS} years)");
    println!("  {CA_KEY:<15} the CA's private key, readable by this user only");
    println!(
        "  {SERVER_CERT:<15} the server certificate (valid {SERVER_DAYS} days) for: {}",
        hosts.join(", ")
    );
    println!("  {SERVER_KEY:<15} its private key, readable by this user only");
    println!();
    println!(
        "Gateways and browsers must trust {}: copy that file (and only that one) to each \
         gateway as its CA certificate, and import it into each browser or computer that opens \
         the API. Keep {CA_KEY} on this machine.",
        ca_path.display()
    );
    println!(
        "Then turn TLS on: api.tls = true (HTTPS) and mqtt.embedded_tls_listen = \"0.0.0.0:8883\" \
         (MQTT over TLS), and restart Caretaker."
    );
    println!(
        "Gateways must connect by one of the names above; for another, run again with \
         --host NAME (repeatable) --force."
    );
    Ok(())
}

/// localhost, the loopback addresses and this machine's host name.
fn default_hosts() -> Vec<String> {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !name.is_empty() && !hosts.contains(&name) {
        hosts.push(name);
    }
    hosts
}

/// The name a CA is known by: the machine's host name when there is one.
fn hosts_label(hosts: &[String]) -> &str {
    hosts
        .iter()
        .find(|h| *h != "localhost" && h.parse::<std::net::IpAddr>().is_err())
        .unwrap_or(&hosts[0])
}

fn name(common: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Caretaker");
    name.push(DnType::CommonName, common);
    name
}

/// Writes `text` to `path` atomically with permissions `mode`.
fn write(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    let context = || format!("writing {}", path.display());
    let mut file = AtomicWriteFile::open(path).with_context(context)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(context)?;
    file.write_all(text.as_bytes()).with_context(context)?;
    file.commit().with_context(context)
}
