//! The OpenAPI document, assembled from the handlers' annotations and the
//! schemas of what they take and return: it cannot drift from the code. The
//! responses every endpoint behind a token may give (400 for a malformed path,
//! query or body, 401, 403 for a role that may not, 422 for values that do not
//! make sense, 429 to an address locked out after failed logins, and 415 where
//! a JSON body is expected) are added to each by [`AuthResponses`].
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Object, Ref, RefOr, Type};
use utoipa::{Modify, OpenApi};

use crate::routes::{admin, orders, readings, registry, residents, risks};

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Caretaker API", description = "Predictive maintenance for housing co-operatives: \
        risks, ranked work orders, budget plans, notices and problem reports."),
    paths(
        crate::routes::health, crate::routes::metrics, crate::routes::openapi,
        registry::me, registry::buildings, registry::units, registry::equipment_list,
        registry::equipment_one, registry::sensors, registry::events, readings::readings,
        risks::risks, risks::plan,
        orders::list, orders::create, orders::get_one, orders::transition,
        residents::notices, residents::notice, residents::report, residents::reports,
        admin::tokens, admin::add_token, admin::revoke_token,
        admin::gateways, admin::add_gateway, admin::revoke_gateway,
    ),
    modifiers(&BearerAuth, &AuthResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds 400, 401, 403, 422 and 429 (with `Retry-After`) to every operation
/// behind a token, and 415 to those that take a body.
struct AuthResponses;

impl Modify for AuthResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.security.is_some() {
                    add_auth_responses(operation);
                }
            }
        }
    }
}

fn add_auth_responses(operation: &mut Operation) {
    let error = || Content::new(Some(Ref::from_schema_name("ErrorBody")));
    let takes_body = operation.request_body.is_some();
    let responses = &mut operation.responses.responses;
    let mut common = vec![
        (
            "400",
            "A malformed path, query or body (not the type or shape expected)",
        ),
        ("401", "No token, or an unknown or revoked one"),
        ("403", "The token's role may not do this"),
        (
            "422",
            "Well-formed, but values that do not make sense together or are out of range",
        ),
    ];
    if takes_body {
        common.push(("415", "The body is not `application/json`"));
    }
    for (code, description) in common {
        responses.entry(code.into()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", error())
                    .build(),
            )
        });
    }
    responses.entry("429".into()).or_insert_with(|| {
        let mut retry_after = Header::new(Object::with_type(Type::Integer));
        retry_after.description = Some("Seconds to wait before retrying".into());
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "Too many requests: this address sent too many unknown or revoked tokens \
                     within a minute (`api.auth_failures_per_minute`) and is refused for \
                     `api.auth_lockout_s`, or more than `api.max_concurrent` requests run at once",
                )
                .content("application/json", error())
                .header("Retry-After", retry_after)
                .build(),
        )
    });
}
