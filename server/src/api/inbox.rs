//! The agent inbox (tag `inbox` of the OpenAPI description): list and search, detail, claim, reply, resolve, reopen,
//! transcript and list CSV, stats. Any member of the organisation.

use crate::api::dto::ConversationDetailDto;
use app::dto::{AgentMessageDto, ConversationSummaryDto, SavedReplyDto, StatsDto};
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::inbox::StatusFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path, Query};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `unresolved`, `escalated`, `claimed`, `resolved` or `all` (the default).
    status: Option<String>,
    /// Words in any message, or the contact's name or email.
    q: Option<String>,
    /// Only conversations with this tag.
    tag: Option<String>,
    /// Conversations per page: 1–200, default 100.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Where the page starts: the `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<StatusFilter> {
        Ok(StatusFilter::parse(self.status.as_deref().unwrap_or("all"))?)
    }
}

/// The list export's filter: the list's, without paging (the export holds every match).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// `unresolved`, `escalated`, `claimed`, `resolved` or `all` (the default).
    status: Option<String>,
    /// Words in any message, or the contact's name or email.
    q: Option<String>,
    /// Only conversations with this tag.
    tag: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/conversations",
    tag = "inbox",
    summary = "List conversations",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ListQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "One page of conversations, newest activity first", body = Vec<app::dto::ConversationSummaryDto>, headers(("Link" = String, description = "`<…&after=CURSOR>; rel=\"next\"` when another page follows"), ("X-Next-Cursor" = String, description = "The next page's `after`, when another page follows"))), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    OriginalUri(uri): OriginalUri,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<(HeaderMap, axum::Json<Vec<ConversationSummaryDto>>)> {
    let page = super::page::request(query.limit.as_deref(), query.after.as_deref())?;
    let list = state
        .services
        .list_conversations(&actor, org_id, query.filter()?, query.q.as_deref(), query.tag.as_deref(), page)
        .await?;
    Ok(super::page::respond(&uri, list))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/conversations.csv",
    tag = "inbox",
    summary = "Export conversations as CSV",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), CsvQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 413, description = "More than 10,000 conversations match; narrow the filter", body = super::error::ErrorBody), (status = 200, description = "Every matching conversation as CSV", body = String, content_type = "text/csv"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn list_csv(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<CsvQuery>,
) -> ApiResult<impl IntoResponse> {
    let filter = StatusFilter::parse(query.status.as_deref().unwrap_or("all"))?;
    let csv =
        state.services.conversations_csv(&actor, org_id, filter, query.q.as_deref(), query.tag.as_deref()).await?;
    Ok(csv_response(csv, "conversations.csv"))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}",
    tag = "inbox",
    summary = "Read a conversation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The conversation with its messages", body = crate::api::dto::ConversationDetailDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationDetailDto>> {
    Ok(axum::Json(state.services.get_conversation(&actor, org_id, id).await?.into()))
}

/// `POST …/conversations/{id}/merge-contact` → 204: the visitor's unverified details are the
/// stored contact they name (logged); nothing to merge → 409.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/merge-contact",
    tag = "inbox",
    summary = "Merge the visitor's unverified details into the contact",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "The visitor's claimed details merged into the contact"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn merge_contact(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::http::StatusCode> {
    state.services.merge_claimed_contact(&actor, org_id, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/claim",
    tag = "inbox",
    summary = "Claim a conversation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Claimed by the caller", body = app::dto::ConversationSummaryDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn claim(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.claim_conversation(&actor, org_id, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReplyBody {
    #[schema(min_length = 1, max_length = 4000)]
    text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/messages",
    tag = "inbox",
    summary = "Reply to the visitor",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    request_body = ReplyBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The reply, delivered live to the visitor", body = app::dto::AgentMessageDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<ReplyBody>,
) -> ApiResult<impl IntoResponse> {
    let message = state.services.agent_reply(&actor, org_id, id, &body.text).await?;
    Ok((StatusCode::CREATED, axum::Json(AgentMessageDto::from(message))))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/resolve",
    tag = "inbox",
    summary = "Resolve",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Resolved", body = app::dto::ConversationSummaryDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn resolve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.resolve_conversation(&actor, org_id, id).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/reopen",
    tag = "inbox",
    summary = "Reopen",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Back in the queue", body = app::dto::ConversationSummaryDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn reopen(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.reopen_conversation(&actor, org_id, id).await?.into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/transcript.csv",
    tag = "inbox",
    summary = "Download a transcript",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The transcript as CSV", body = String, content_type = "text/csv"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn transcript(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let csv = state.services.transcript_csv(&actor, org_id, id).await?;
    Ok(csv_response(csv, &format!("transcript-{id}.csv")))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    days: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/stats",
    tag = "inbox",
    summary = "Inbox statistics",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), StatsQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Counts and times over the last days", body = app::dto::StatsDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn stats(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<StatsQuery>,
) -> ApiResult<axum::Json<StatsDto>> {
    let days = match query.days.as_deref() {
        None | Some("") => 30,
        Some(d) => {
            d.parse().map_err(|_| domain::DomainError::invalid("days", format!("'{d}' is not a number of days")))?
        }
    };
    Ok(axum::Json(state.services.stats(&actor, org_id, days).await?.into()))
}

pub(super) fn csv_response(csv: String, file_name: &str) -> impl IntoResponse + use<> {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        csv,
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TagBody {
    #[schema(min_length = 1, max_length = 32)]
    tag: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/tags",
    tag = "inbox",
    summary = "Tag a conversation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    request_body = TagBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The conversation's tags, alphabetically", body = crate::api::dto::TagsDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn add_tag(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<TagBody>,
) -> ApiResult<axum::Json<crate::api::dto::TagsDto>> {
    let tags = state.services.add_tag(&actor, org_id, id, &body.tag).await?;
    Ok(axum::Json(crate::api::dto::TagsDto { tags }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/tags/{tag}",
    tag = "inbox",
    summary = "Remove a tag",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation"), ("tag" = String, Path, description = "The tag")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The conversation's tags, alphabetically", body = crate::api::dto::TagsDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn remove_tag(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id, tag)): Path<(Uuid, Uuid, String)>,
) -> ApiResult<axum::Json<crate::api::dto::TagsDto>> {
    let tags = state.services.remove_tag(&actor, org_id, id, &tag).await?;
    Ok(axum::Json(crate::api::dto::TagsDto { tags }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SavedReplyBody {
    title: String,
    body: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/saved-replies",
    tag = "inbox",
    summary = "List saved replies",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved replies", body = Vec<app::dto::SavedReplyDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn list_saved_replies(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<SavedReplyDto>>> {
    let list = state.services.list_saved_replies(&actor, org_id).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/saved-replies",
    tag = "inbox",
    summary = "Add a saved reply",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = SavedReplyBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The saved reply", body = app::dto::SavedReplyDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn create_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<SavedReplyBody>,
) -> ApiResult<impl IntoResponse> {
    let saved = state.services.create_saved_reply(&actor, org_id, &body.title, &body.body).await?;
    Ok((StatusCode::CREATED, axum::Json(SavedReplyDto::from(saved))))
}

#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/saved-replies/{saved_reply_id}",
    tag = "inbox",
    summary = "Change a saved reply",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("saved_reply_id" = uuid::Uuid, Path, description = "The saved reply")),
    request_body = SavedReplyBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The saved reply", body = app::dto::SavedReplyDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn update_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<SavedReplyBody>,
) -> ApiResult<axum::Json<SavedReplyDto>> {
    Ok(axum::Json(state.services.update_saved_reply(&actor, org_id, id, &body.title, &body.body).await?.into()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/saved-replies/{saved_reply_id}",
    tag = "inbox",
    summary = "Delete a saved reply",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("saved_reply_id" = uuid::Uuid, Path, description = "The saved reply")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn delete_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.delete_saved_reply(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    list_csv,
    show,
    claim,
    merge_contact,
    reply,
    resolve,
    reopen,
    transcript,
    stats,
    add_tag,
    remove_tag,
    list_saved_replies,
    create_saved_reply,
    update_saved_reply,
    delete_saved_reply
))]
pub(super) struct Doc;
