//! The feedback SDK (Iterato-compatible): projects and events for members (under
//! `/api/v1/orgs/{org_id}/feedback-projects`), the public SDK endpoints the toast calls (under
//! `/sdk/v1`, CORS open, rate-limited per IP), and `POST /fetchFeedbacks` for the holder of a
//! project's secret key, exactly as the Iterato seed documents it.

use std::collections::BTreeMap;

use app::dto::{FeedbackEventDto, FeedbackPageDto, FeedbackProjectDto, FeedbackSecretDto};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use domain::DomainError;
use domain::feedback::intake::Submission;
use domain::feedback::{FeedbackFilter, Reaction};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Json, Path};
use super::widget::{ClientIp, limit};
use crate::state::AppState;

/// The body limit of `POST /sdk/v1/feedback`: large enough that a runaway console log (10 MB)
/// is received and cut to its last entries rather than refused with the feedback lost.
pub const SUBMIT_BODY_LIMIT: usize = 12 * 1024 * 1024;

#[derive(Deserialize)]
pub struct ProjectBody {
    name: String,
}

pub async fn create_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<ProjectBody>,
) -> ApiResult<impl IntoResponse> {
    let created = state.services.create_feedback_project(&actor, org_id, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(FeedbackSecretDto::from(created))))
}

pub async fn list_projects(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<FeedbackProjectDto>>> {
    let projects = state.services.list_feedback_projects(&actor, org_id).await?;
    Ok(axum::Json(projects.into_iter().map(Into::into).collect()))
}

pub async fn show_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<axum::Json<FeedbackProjectDto>> {
    Ok(axum::Json(state.services.feedback_project(&actor, org_id, &project_id).await?.into()))
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<axum::Json<FeedbackSecretDto>> {
    Ok(axum::Json(state.services.rotate_feedback_secret(&actor, org_id, &project_id).await?.into()))
}

#[derive(Deserialize)]
pub struct EventBody {
    event_id: String,
    name: String,
    #[serde(default)]
    question: Option<String>,
}

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

#[derive(Deserialize)]
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

/// A filter from optional query values; blanks mean "any".
pub fn filter_of(event_id: Option<String>, tag: Option<String>, reaction: Option<String>) -> ApiResult<FeedbackFilter> {
    let blank_to_none = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let reaction = match blank_to_none(reaction) {
        None => None,
        Some(r) => Some(
            Reaction::parse(&r)
                .ok_or_else(|| DomainError::invalid("reaction", "must be \"positive\" or \"negative\""))?,
        ),
    };
    Ok(FeedbackFilter { event_id: blank_to_none(event_id), tag: blank_to_none(tag), reaction })
}

pub async fn list_feedback(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<FeedbackPageDto>> {
    let filter = filter_of(q.event_id, q.tag, q.reaction)?;
    let page = state.services.list_feedback(&actor, org_id, &project_id, &filter, q.page.unwrap_or(1)).await?;
    Ok(axum::Json(page.into()))
}

#[derive(Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /sdk/v1/projects/{project_id}`: what `IteratoService.init` needs (404 for an unknown
/// project, which `init` turns into `false`).
pub async fn sdk_project(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(project_id): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<axum::Json<Value>> {
    limit(&state, ip, "sdk:init")?;
    let project = state.services.sdk_project(&project_id, q.lang.as_deref().unwrap_or("en")).await?;
    let t = &project.texts;
    Ok(axum::Json(json!({
        "project_id": project.project_id,
        "events": project.events.iter().map(|(event_id, name, question)| json!({
            "event_id": event_id, "name": name, "question": question,
        })).collect::<Vec<_>>(),
        "texts": {
            "question": t.question, "positive": t.positive, "negative": t.negative, "thanks": t.thanks,
            "placeholder": t.placeholder, "send": t.send, "close": t.close,
        },
    })))
}

#[derive(Deserialize)]
pub struct SubmitBody {
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    tags: Value,
    #[serde(default)]
    reaction: String,
    #[serde(default)]
    user_info: Value,
    #[serde(default)]
    console_log: Value,
    #[serde(default)]
    browser: String,
    #[serde(default)]
    connectivity: Value,
    #[serde(default)]
    language: String,
}

/// `POST /sdk/v1/feedback`: a 👍 or 👎 from the toast. The IP stored is the connection's.
pub async fn sdk_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<SubmitBody>,
) -> ApiResult<impl IntoResponse> {
    let address = ip.0;
    if !state.limits.feedback_per_ip.allow(&address.map(|a| a.to_string()).unwrap_or_default()) {
        return Err(ApiError::RateLimited);
    }
    limit(&state, ip, &format!("sdk:{}", body.project_id))?;
    if body.project_id.trim().is_empty() {
        return Err(DomainError::invalid("project_id", "is required").into());
    }
    if body.event_id.trim().is_empty() {
        return Err(DomainError::invalid("event_id", "is required").into());
    }
    let submission = Submission {
        project_id: body.project_id,
        event_id: body.event_id,
        tags: body.tags,
        reaction: body.reaction,
        user_info: body.user_info,
        console_log: body.console_log,
        browser: body.browser,
        connectivity: body.connectivity,
        language: body.language,
    };
    let started = state.services.submit_feedback(submission, address).await?;
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

#[derive(Deserialize)]
pub struct AnswerBody {
    text: String,
}

/// `POST /sdk/v1/feedback/{feedback_id}/messages` with the feedback's token as bearer.
pub async fn sdk_answer(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Path(feedback_id): Path<String>,
    Json(body): Json<AnswerBody>,
) -> ApiResult<axum::Json<Value>> {
    limit(&state, ip, &format!("feedback:{feedback_id}"))?;
    let token = bearer(&headers).ok_or(DomainError::Unauthorized(
        "send Authorization: Bearer <token> (the token the feedback was created with)",
    ))?;
    let reply = state.services.answer_feedback(&feedback_id, &token, &body.text).await?;
    Ok(axum::Json(json!({ "reply": reply.reply, "done": reply.done })))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `POST /fetchFeedbacks`, as the Iterato seed documents it: `Authorization: Bearer
/// <secret_key>`, body `{project_id, tag?, event_id?}` (and, beyond the seed, `reaction?` and
/// `limit?`); 200 with an object keyed by feedback id (oldest first), 400 without a
/// `project_id`, 401 for a wrong key or another project's key.
pub async fn fetch_feedbacks(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<BTreeMap<String, Value>>> {
    limit(&state, ip, "fetchFeedbacks")?;
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
    let filter = filter_of(text("event_id")?, text("tag")?, text("reaction")?)
        .map_err(|e| ApiError::bad_request(e.message()))?;
    let limit = match body.get("limit") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| ApiError::bad_request("limit must be a positive integer"))?),
    };
    let key = bearer(&headers).ok_or(DomainError::Unauthorized("send Authorization: Bearer <secret_key>"))?;
    let feedbacks = state.services.fetch_feedbacks(&key, &project_id, &filter, limit).await?;
    Ok(axum::Json(feedbacks.into_iter().map(|f| (f.id.clone(), f.fetch_entry())).collect()))
}
