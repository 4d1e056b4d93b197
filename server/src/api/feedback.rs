//! The feedback SDK (Iterato-compatible): projects and events for members (under
//! `/api/v1/orgs/{org_id}/feedback-projects`), the public SDK endpoints the toast calls (under
//! `/sdk/v1`, CORS open, rate-limited per IP), and `POST /fetchFeedbacks` for the holder of a
//! project's secret key, exactly as the Iterato seed documents it.

use std::collections::{BTreeMap, VecDeque};

use crate::api::dto::FeedbackSecretDto;
use app::dto::{FeedbackEventDto, FeedbackPageDto, FeedbackProjectDto};
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use domain::DomainError;
use domain::feedback::intake::{MAX_CONSOLE_ENTRIES, MAX_USER_INFO_BYTES, Submission};
use domain::feedback::{FeedbackFilter, is_feedback_id, is_project_id};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Json, Path, Query};
use crate::client_ip::ClientIp;
use crate::rate_limit::{Budget, Key};
use crate::state::AppState;

/// The body limit of `POST /sdk/v1/feedback`: large enough that a runaway console log (10 MB)
/// is received and cut to its last entries rather than refused with the feedback lost.
pub const SUBMIT_BODY_LIMIT: usize = 12 * 1024 * 1024;

/// `POST …/feedback-projects` body: the project's name.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProjectBody {
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/feedback-projects",
    tag = "feedback",
    summary = "Add a feedback project",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = ProjectBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The project; its secret key is shown this once", body = crate::api::dto::FeedbackSecretDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// Creates a feedback project; its secret key is returned this once.
pub async fn create_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<ProjectBody>,
) -> ApiResult<impl IntoResponse> {
    let created = state.services.create_feedback_project(&actor, org_id, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(FeedbackSecretDto::from(created))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/feedback-projects",
    tag = "feedback",
    summary = "List feedback projects",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Feedback projects", body = Vec<app::dto::FeedbackProjectDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// The organisation's feedback projects.
pub async fn list_projects(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<FeedbackProjectDto>>> {
    let projects = state.services.list_feedback_projects(&actor, org_id).await?;
    Ok(axum::Json(projects.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/feedback-projects/{project_id}",
    tag = "feedback",
    summary = "Read a feedback project",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("project_id" = String, Path, description = "The feedback project's public id")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The project with its events", body = app::dto::FeedbackProjectDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// One feedback project with its events.
pub async fn show_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<axum::Json<FeedbackProjectDto>> {
    Ok(axum::Json(state.services.feedback_project(&actor, org_id, &project_id).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/feedback-projects/{project_id}/rotate-secret",
    tag = "feedback",
    summary = "Rotate a project's secret key",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("project_id" = String, Path, description = "The feedback project's public id")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The new secret key, shown this once", body = crate::api::dto::FeedbackSecretDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// Replaces a project's secret key.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<axum::Json<FeedbackSecretDto>> {
    Ok(axum::Json(state.services.rotate_feedback_secret(&actor, org_id, &project_id).await?.into()))
}

/// `POST …/events` body: the event's id, name and question.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EventBody {
    event_id: String,
    name: String,
    #[serde(default)]
    question: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/feedback-projects/{project_id}/events",
    tag = "feedback",
    summary = "Add a feedback event",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("project_id" = String, Path, description = "The feedback project's public id")),
    request_body = EventBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The event", body = app::dto::FeedbackEventDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// Adds an event to a project.
pub async fn create_event(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
    Json(body): Json<EventBody>,
) -> ApiResult<impl IntoResponse> {
    let event = state
        .services
        .create_feedback_event(&actor, org_id, &project_id, &body.event_id, &body.name, body.question.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(FeedbackEventDto::from(event))))
}

/// Filters of the feedback list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    reaction: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/feedback-projects/{project_id}/feedback",
    tag = "feedback",
    summary = "List feedback",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("project_id" = String, Path, description = "The feedback project's public id"), ListQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Feedback, newest first", body = app::dto::FeedbackPageDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// A project's feedback, newest first.
pub async fn list_feedback(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<FeedbackPageDto>> {
    let filter = FeedbackFilter::from_query(q.event_id, q.tag, q.reaction)?;
    let page = state.services.list_feedback(&actor, org_id, &project_id, &filter, q.page.unwrap_or(1)).await?;
    Ok(axum::Json(page.into()))
}

/// `?lang=`: the visitor's language, for the toast's texts.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// Refuses a request over the client IP's budget for the public SDK endpoints.
fn ip_budget(state: &AppState, ip: &ClientIp) -> ApiResult<()> {
    Ok(state.limits.check(Budget::ClientIp, ip.key())?)
}

/// `GET /sdk/v1/projects/{project_id}`: what `IteratoService.init` needs (404 for an unknown
/// project, which `init` turns into `false`). Rate-limited per IP only: every page load of every
/// site calls it.
#[utoipa::path(
    get,
    path = "/sdk/v1/projects/{project_id}",
    tag = "sdk",
    summary = "A feedback project for the SDK",
    params(("project_id" = String, Path, description = "The feedback project's public id"), LangQuery),
    responses((status = 200, description = "What `IteratoService.init` needs: the project's events and texts", body = Object), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn sdk_project(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(project_id): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<axum::Json<Value>> {
    ip_budget(&state, &ip)?;
    if !is_project_id(&project_id) {
        return Err(DomainError::NotFound("project").into());
    }
    let project = state.services.sdk_project(&project_id, q.lang.as_deref().unwrap_or("en")).await?;
    let t = &project.texts;
    Ok(axum::Json(json!({
        "project_id": project.project_id,
        "events": project.events.iter().map(|(event_id, question)| json!({
            "event_id": event_id, "question": question,
        })).collect::<Vec<_>>(),
        "texts": {
            "question": t.question, "positive": t.positive, "negative": t.negative, "thanks": t.thanks,
            "placeholder": t.placeholder, "send": t.send, "close": t.close,
        },
    })))
}

/// The budget of new feedback, checked from the headers alone, before the (up to 12 MB) body is
/// read: 30 per client IP and minute, within the IP's general budget.
pub struct SubmitBudget;

impl<S> FromRequestParts<S> for SubmitBudget
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let ip = ClientIp::of(parts, &state).key();
        state.limits.check(Budget::ClientIp, ip)?;
        state.limits.check(Budget::FeedbackPerIp, ip)?;
        Ok(Self)
    }
}

/// New feedback as the SDK posts it. Read so that a large body stays cheap: the console log
/// keeps only its last entries while it is read, and the small fields are kept as raw JSON and
/// parsed only when they are small.
#[derive(Deserialize)]
pub struct SubmitBody {
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    tags: Option<Box<RawValue>>,
    #[serde(default)]
    reaction: String,
    #[serde(default)]
    user_info: Option<Box<RawValue>>,
    #[serde(default)]
    console_log: ConsoleLog,
    #[serde(default)]
    browser: String,
    #[serde(default)]
    connectivity: Option<Box<RawValue>>,
    #[serde(default)]
    language: String,
}

/// A small JSON field: parsed when at most `max` bytes, refused with a 413 naming it otherwise.
fn small_json(raw: Option<Box<RawValue>>, max: usize, field: &str) -> ApiResult<Value> {
    match raw {
        None => Ok(Value::Null),
        Some(raw) if raw.get().len() > max => Err(ApiError::TooLarge(format!("{field} is larger than {max} bytes"))),
        Some(raw) => serde_json::from_str(raw.get()).map_err(|e| ApiError::bad_request(format!("{field}: {e}"))),
    }
}

/// `POST /sdk/v1/feedback`: a 👍 or 👎 from the toast. The IP stored is the connection's.
#[utoipa::path(
    post,
    path = "/sdk/v1/feedback",
    tag = "sdk",
    summary = "Send a 👍 or 👎 from the toast",
    request_body = Object,
    responses((status = 201, description = "The feedback, with its token for follow-up answers", body = app::dto::FeedbackTurnDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 413, description = "The body is too large", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn sdk_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    _budget: SubmitBudget,
    Json(body): Json<SubmitBody>,
) -> ApiResult<impl IntoResponse> {
    let submission = Submission {
        project_id: body.project_id,
        event_id: body.event_id,
        tags: small_json(body.tags, 16 * 1024, "tags")?,
        reaction: body.reaction,
        user_info: small_json(body.user_info, MAX_USER_INFO_BYTES, "user_info")?,
        console_log: Value::Array(body.console_log.0.into()),
        browser: body.browser,
        // Browsers send four small fields; anything larger is not connectivity.
        connectivity: small_json(body.connectivity, 1024, "connectivity").unwrap_or(Value::Null),
        language: body.language.chars().take(35).collect(),
    };
    let started = state.services.submit_feedback(submission, ip.0).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "feedback_id": started.feedback_id,
            "token": started.token,
            "reply": started.reply,
            "done": started.done,
        })),
    ))
}

/// The console log's last [`MAX_CONSOLE_ENTRIES`] entries, each `{level?, message?, at?}` (or a
/// bare string): everything else in an entry is skipped unread, and older entries are dropped as
/// the array is read, so a huge log costs no more memory than its last entries.
#[derive(Default)]
pub struct ConsoleLog(VecDeque<Value>);

impl<'de> Deserialize<'de> for ConsoleLog {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = ConsoleLog;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of console entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ConsoleLog, A::Error> {
                let mut last = VecDeque::with_capacity(MAX_CONSOLE_ENTRIES + 1);
                while let Some(Entry(entry)) = seq.next_element::<Entry>()? {
                    last.push_back(entry);
                    if last.len() > MAX_CONSOLE_ENTRIES {
                        last.pop_front();
                    }
                }
                Ok(ConsoleLog(last))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConsoleLog, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ConsoleLog::default())
            }
            fn visit_unit<E>(self) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<ConsoleLog, E> {
                Ok(ConsoleLog::default())
            }
        }
        d.deserialize_any(Entries)
    }
}

/// One console entry, reduced to its `level`, `message` and `at` strings.
struct Entry(Value);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Entry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a console entry")
            }
            fn visit_str<E>(self, s: &str) -> Result<Entry, E> {
                Ok(Entry(json!({ "message": s })))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
                let mut entry = serde_json::Map::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "level" | "message" | "at" => {
                            if let Text(Some(text)) = map.next_value::<Text>()? {
                                entry.insert(key.into_owned(), Value::String(text));
                            }
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Entry(Value::Object(entry)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry(json!({})))
            }
            fn visit_unit<E>(self) -> Result<Entry, E> {
                Ok(Entry(json!({})))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Entry, E> {
                Ok(Entry(json!({})))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Entry, E> {
                Ok(Entry(json!({})))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Entry, E> {
                Ok(Entry(json!({})))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Entry, E> {
                Ok(Entry(json!({})))
            }
        }
        d.deserialize_any(Fields)
    }
}

/// A string, or `None` for anything else (which is skipped unread).
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only;
        impl<'de> Visitor<'de> for Only {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text, E> {
                Ok(Text(Some(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
        }
        d.deserialize_any(Only)
    }
}

/// `POST /sdk/v1/feedback/{id}/answer` body: the person's answer.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    #[schema(min_length = 1, max_length = 2000)]
    text: String,
}

/// `POST /sdk/v1/feedback/{feedback_id}/messages` with the feedback's token as bearer.
#[utoipa::path(
    post,
    path = "/sdk/v1/feedback/{feedback_id}/messages",
    tag = "sdk",
    summary = "Answer the follow-up questions",
    params(("feedback_id" = String, Path, description = "The feedback")),
    request_body = AnswerBody,
    security(("feedback_token" = [])),
    responses((status = 200, description = "The next question, or the end", body = Object), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn sdk_answer(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Path(feedback_id): Path<String>,
    Json(body): Json<AnswerBody>,
) -> ApiResult<axum::Json<Value>> {
    if !is_feedback_id(&feedback_id) {
        return Err(DomainError::Unauthorized("invalid feedback id or token").into());
    }
    ip_budget(&state, &ip)?;
    state.limits.check(Budget::Visitor, Key::digest("feedback", &feedback_id))?;
    let token = bearer(&headers).ok_or(DomainError::Unauthorized(
        "send Authorization: Bearer <token> (the token the feedback was created with)",
    ))?;
    let reply = state.services.answer_feedback(&feedback_id, &token, &body.text).await?;
    Ok(axum::Json(json!({ "reply": reply.reply, "done": reply.done })))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    super::extract::bearer_of(headers).filter(|t| !t.is_empty())
}

/// `POST /fetchFeedbacks`, as the Iterato seed documents it: `Authorization: Bearer
/// <secret_key>`, body `{project_id, tag?, event_id?}` (and, beyond the seed, `reaction?`,
/// `limit?` and `before?`, a feedback id to page back from); 200 with an object keyed by feedback id (oldest first), 400 without a
/// `project_id`, 401 for a wrong key or another project's key.
#[utoipa::path(
    post,
    path = "/fetchFeedbacks",
    tag = "sdk",
    summary = "Fetch feedback (Iterato-compatible)",
    request_body = Object,
    security(("sdk_secret" = [])),
    responses((status = 200, description = "Feedback keyed by id, oldest first", body = Object), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn fetch_feedbacks(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<BTreeMap<String, Value>>> {
    ip_budget(&state, &ip)?;
    state.limits.check(Budget::FetchPerIp, ip.key())?;
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?
    };
    let text = |key: &str| -> ApiResult<Option<String>> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
        }
    };
    let project_id = text("project_id")?
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("project_id is required"))?;
    let filter = FeedbackFilter::from_query(text("event_id")?, text("tag")?, text("reaction")?)
        .map_err(|e| ApiError::bad_request(ApiError::from(e).message()))?;
    let limit = match body.get("limit") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| ApiError::bad_request("limit must be a positive integer"))?),
    };
    let before = text("before")?;
    let key = bearer(&headers).ok_or(DomainError::Unauthorized("send Authorization: Bearer <secret_key>"))?;
    if !is_project_id(&project_id) {
        return Err(DomainError::Unauthorized("invalid secret key for this project").into());
    }
    // The key first: only its holder spends the project's budget, so requests with a wrong key
    // (counted per client network) cannot lock the real integration out.
    let grant = state.services.authenticate_fetch(&key, &project_id).await?;
    state.limits.check(Budget::FetchPerProject, Key::digest("project", &project_id))?;
    let feedbacks = state.services.fetch_feedbacks(&grant, &filter, limit, before.as_deref()).await?;
    Ok(axum::Json(feedbacks.into_iter().map(|f| (f.id.clone(), f.to_json())).collect()))
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_project,
    list_projects,
    show_project,
    rotate_secret,
    create_event,
    list_feedback,
    sdk_project,
    sdk_submit,
    sdk_answer,
    fetch_feedbacks
))]
pub(super) struct Doc;
