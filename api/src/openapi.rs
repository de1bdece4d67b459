//! The OpenAPI document, assembled from the handlers' annotations and the
//! schemas of what they take and return: it cannot drift from the code.
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    modifiers(&BearerAuth)
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
