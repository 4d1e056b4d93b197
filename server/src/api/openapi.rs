//! The OpenAPI 3.1 description of the HTTP API, generated from the code: each handler's
//! `#[utoipa::path]` (method, path, parameters, body, every status it answers) and the request
//! and response types' schemas. Served at `GET /api/v1/openapi.json`, browsable at `/api/docs`
//! (Swagger UI, from the binary). A test checks it against the router both ways.

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Iterochat API",
        description = "Self-hostable, AI-first customer support: the REST API of the dashboard, the public \
                       widget API, the feedback SDK and the operational endpoints. Every error is JSON \
                       `{\"error\": message}` (with `field` for an invalid field).",
        license(name = "MIT"),
    ),
    paths(crate::startup::healthz, crate::startup::readyz),
    components(schemas(super::error::ErrorBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "organisations", description = "Organisations and their settings"),
        (name = "team", description = "Members, roles and invites"),
        (name = "knowledge", description = "The knowledge base the AI answers from"),
        (name = "widget", description = "The public widget API (visitors; open CORS)"),
        (name = "inbox", description = "Conversations, replies and saved replies (agents)"),
        (name = "alerts", description = "Escalation mails, webhooks and their delivery log"),
        (name = "privacy", description = "Exports, trash, erasure, contacts, audit log and usage"),
        (name = "feedback", description = "Feedback projects and their feedback (dashboard)"),
        (name = "sdk", description = "The feedback SDK's public endpoints and `POST /fetchFeedbacks`"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

/// How callers prove who they are.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description)).build(),
            )
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            bearer("A dashboard session token, from `POST /api/v1/auth/signup` or `/login`."),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "iterochat_session",
                "The dashboard's session cookie; changes need a same-origin `Origin` or `Sec-Fetch-Site`.",
            ))),
        );
        components.add_security_scheme(
            "visitor_token",
            bearer("A widget visitor's token, from `POST /api/v1/widget/session`."),
        );
        components.add_security_scheme("feedback_token", bearer("One feedback's token, from `POST /sdk/v1/feedback`."));
        components.add_security_scheme("sdk_secret", bearer("A feedback project's secret key."));
    }
}

/// The whole description, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        for part in [
            super::auth::Doc::openapi(),
            super::orgs::Doc::openapi(),
            super::team::Doc::openapi(),
            super::knowledge::Doc::openapi(),
            super::widget::Doc::openapi(),
            super::inbox::Doc::openapi(),
            super::privacy::Doc::openapi(),
            super::alerts::Doc::openapi(),
            super::feedback::Doc::openapi(),
            super::live::Doc::openapi(),
        ] {
            doc.merge(part);
        }
        doc
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn json() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(spec())
}

/// `/api/docs`: Swagger UI over the description, its files served from the binary.
pub fn docs_router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json"))
        .into()
}
