//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{actions, applications, credentials, errors, tenants, users, views, webhooks};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A management credential (`iam_…`) with the scopes each operation lists."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "IntelliAuth management API", description = "Tenants, users, applications, credentials, webhooks and Actions. Every error body is `{code, message, details, request_id}` with a code from `GET /v1/errors`."),
    paths(
        errors::catalogue,
        tenants::create, tenants::get, tenants::list_all, tenants::update, tenants::delete,
        users::create, users::get, users::list_all, users::update, users::delete, users::unlock,
        users::sessions, users::revoke_session, users::revoke_all_sessions,
        applications::create, applications::get, applications::list_all, applications::update, applications::delete,
        credentials::create, credentials::list_all, credentials::delete,
        webhooks::event_types, webhooks::create, webhooks::list_all, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::send_test, webhooks::messages, webhooks::message, webhooks::replay,
        webhooks::dead_letters, webhooks::replay_dead_letters,
        actions::create, actions::list_all, actions::get, actions::update, actions::delete, actions::versions,
        actions::restore, actions::test_run, actions::action_executions, actions::executions, actions::reorder,
    ),
    components(schemas(views::ErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
