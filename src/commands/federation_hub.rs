//! `caretaker federation serve | member | sync`: a hub keeps the member co-ops'
//! packs and serves them over HTTP, each member with its own token; a co-op
//! pushes its pack, pulls the others' and can withdraw its own.
//!
//! The hub's API (every request with `Authorization: Bearer TOKEN`):
//! `PUT /v1/pack` (the body is the pack), `DELETE /v1/pack` (withdraw it),
//! `GET /v1/packs` (`{"packs": [names]}`, the other members' packs) and
//! `GET /v1/packs/{name}` (one of them). Errors are JSON `{"error": "..."}`.
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use caretaker_federation::{Hub, Library, TrustedKeys};
use http_body_util::{BodyExt as _, Full};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::config::Config;

/// Largest pack a hub takes.
const MAX_PACK_BYTES: usize = 64 << 20;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

/// The member whose token the request carries, or the status and message to answer.
fn member(hub: &Hub, headers: &HeaderMap) -> Result<String, (StatusCode, String)> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            (
                StatusCode::UNAUTHORIZED,
                "a member token is needed: Authorization: Bearer TOKEN".to_owned(),
            )
        })?;
    match hub.member(token.trim()) {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err((
            StatusCode::UNAUTHORIZED,
            "this token is not a member's".to_owned(),
        )),
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

async fn push(State(hub): State<Arc<Hub>>, headers: HeaderMap, body: Bytes) -> Response {
    let name = match member(&hub, &headers) {
        Ok(n) => n,
        Err((status, message)) => return error(status, message),
    };
    match hub.push(&name, &body) {
        Ok(()) => {
            tracing::info!(member = %name, bytes = body.len(), "pack pushed");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn withdraw(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Response {
    let name = match member(&hub, &headers) {
        Ok(n) => n,
        Err((status, message)) => return error(status, message),
    };
    match hub.withdraw(&name) {
        Ok(true) => {
            tracing::info!(member = %name, "pack withdrawn");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(StatusCode::NOT_FOUND, "you have no pack on this hub"),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn list(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Response {
    let name = match member(&hub, &headers) {
        Ok(n) => n,
        Err((status, message)) => return error(status, message),
    };
    match hub.others(&name) {
        Ok(names) => axum::Json(serde_json::json!({ "packs": names })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn one(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(other): Path<String>,
) -> Response {
    if let Err((status, message)) = member(&hub, &headers) {
        return error(status, message);
    }
    match hub.pack(&other) {
        Ok(Some(bytes)) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("no pack from {other:?} on this hub"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The hub's routes.
fn router(hub: Hub) -> Router {
    Router::new()
        .route("/v1/pack", put(push).delete(withdraw))
        .route("/v1/packs", get(list))
        .route("/v1/packs/{name}", get(one))
        .route("/health", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_PACK_BYTES))
        .with_state(Arc::new(hub))
}

/// `caretaker federation serve --hub-dir DIR --listen ADDR [--tls]`.
pub async fn serve(
    dir: PathBuf,
    listen: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!(
        "federation hub on {}://{} keeping packs in {}",
        if tls.is_some() { "https" } else { "http" },
        listener.local_addr()?,
        dir.display()
    );
    let app = router(Hub::new(dir));
    match tls {
        Some(tls) => {
            caretaker_api::https::serve(listener, tls, app, super::ingest::wait_for_stop()).await?
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(super::ingest::wait_for_stop())
                .await?
        }
    }
    Ok(())
}

/// `caretaker federation member NAME --hub-dir DIR`: prints the new member's token.
pub fn add_member(dir: PathBuf, name: &str) -> anyhow::Result<()> {
    let token = Hub::new(&dir).add_member(name)?;
    println!("member {name} added to the hub in {}", dir.display());
    println!("token: {token}");
    println!(
        "(shown once: give it to {name} for `caretaker federation sync --hub URL --token TOKEN`)"
    );
    Ok(())
}

/// An HTTP(S) client for the hub (one per `sync`: its connection is reused).
type HubClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// The client: HTTPS trusting `ca` alone when given, else the system's authorities;
/// plain HTTP for `http://` addresses.
fn hub_client(ca: Option<&std::path::Path>) -> anyhow::Result<HubClient> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(ca) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<_, _>>())
                .with_context(|| {
                    format!("cannot read the certificate authority {}", ca.display())
                })?;
            anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", ca.display());
            for cert in certs {
                roots
                    .add(cert)
                    .with_context(|| format!("a certificate of {}", ca.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, "system certificate authorities");
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector),
    )
}

/// One request to the hub: its status and body.
async fn call(
    client: &HubClient,
    hub: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Vec<u8>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let url = format!("{}{path}", hub.trim_end_matches('/'));
    let request = axum::http::Request::builder()
        .method(method)
        .uri(&url)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))?;
    let response = client
        .request(request)
        .await
        .with_context(|| format!("cannot reach the hub at {url}"))?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn refused(what: &str, status: StatusCode, body: &[u8]) -> anyhow::Error {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    anyhow::anyhow!("the hub refused to {what} ({status}): {message}")
}

/// `caretaker federation sync --hub URL --token TOKEN [--withdraw]`: pushes the
/// co-op's pack (with `federation.share = true`), then pulls the other members'
/// and imports those signed by trusted keys; or withdraws the co-op's pack.
pub async fn sync(
    config: &Config,
    hub: &str,
    hub_ca: Option<&std::path::Path>,
    token: &str,
    withdraw: bool,
    own_pack: Option<Vec<u8>>,
) -> anyhow::Result<()> {
    let client = hub_client(hub_ca)?;
    if withdraw {
        let (status, body) = call(&client, hub, "DELETE", "/v1/pack", token, Vec::new()).await?;
        if !status.is_success() {
            return Err(refused("withdraw the pack", status, &body));
        }
        println!("withdrawn: the hub deleted this co-op's pack; later downloads do not hold it");
        return Ok(());
    }
    match own_pack {
        Some(bytes) => {
            let size = bytes.len();
            let (status, body) = call(&client, hub, "PUT", "/v1/pack", token, bytes).await?;
            if !status.is_success() {
                return Err(refused("take this co-op's pack", status, &body));
            }
            println!("pushed this co-op's pack ({size} bytes)");
        }
        None => println!("pushed nothing: federation.share is false"),
    }
    let (status, body) = call(&client, hub, "GET", "/v1/packs", token, Vec::new()).await?;
    if !status.is_success() {
        return Err(refused("list the packs", status, &body));
    }
    let names: Vec<String> = serde_json::from_slice::<serde_json::Value>(&body)?["packs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "the hub holds {} pack(s) from other co-ops: {}",
        names.len(),
        names.join(", ")
    );
    let trusted = TrustedKeys::load(&config.trusted_keys_file())?;
    let library = Library::new(config.federation_dir().join("packs"));
    let downloads = config.federation_dir().join("downloads");
    std::fs::create_dir_all(&downloads)
        .with_context(|| format!("cannot make {}", downloads.display()))?;
    for name in names {
        let (status, body) = call(
            &client,
            hub,
            "GET",
            &format!("/v1/packs/{name}"),
            token,
            Vec::new(),
        )
        .await?;
        if !status.is_success() {
            println!(
                "{name}: not downloaded ({})",
                refused("give the pack", status, &body)
            );
            continue;
        }
        let file = downloads.join(format!("{name}.pack"));
        std::fs::write(&file, &body)?;
        // One pack at a time: a pack from a co-op this one does not trust is
        // refused without keeping the others out.
        let imported = library.import(std::slice::from_ref(&file), &trusted);
        let _ = std::fs::remove_file(&file);
        match imported {
            Ok(kept) => {
                for p in kept {
                    println!("{name}: accepted as {} ({} rows)", p.name, p.manifest.rows);
                }
            }
            Err(e) => println!("{name}: refused: {e}"),
        }
    }
    Ok(())
}
