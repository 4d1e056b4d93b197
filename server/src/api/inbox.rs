//! The agent inbox (CONTRACTS.md): list and search, detail, claim, reply, resolve, reopen,
//! transcript and list CSV, stats. Any member of the organisation.

use app::dto::{AgentMessageDto, ConversationDetailDto, ConversationSummaryDto, SavedReplyDto, StatsDto};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::inbox::StatusFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    tag: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<StatusFilter> {
        Ok(StatusFilter::parse(self.status.as_deref().unwrap_or("all"))?)
    }
}

pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<ConversationSummaryDto>>> {
    let list = state
        .services
        .list_conversations(&actor, org_id, query.filter()?, query.q.as_deref(), query.tag.as_deref())
        .await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

pub async fn list_csv(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<impl IntoResponse> {
    let csv = state
        .services
        .conversations_csv(&actor, org_id, query.filter()?, query.q.as_deref(), query.tag.as_deref())
        .await?;
    Ok(csv_response(csv, "conversations.csv"))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationDetailDto>> {
    Ok(axum::Json(state.services.get_conversation(&actor, org_id, id).await?.into()))
}

/// `POST …/conversations/{id}/merge-contact` → 204: the visitor's unverified details are the
/// stored contact they name (logged); nothing to merge → 409.
pub async fn merge_contact(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::http::StatusCode> {
    state.services.merge_claimed_contact(&actor, org_id, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub async fn claim(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.claim_conversation(&actor, org_id, id).await?.into()))
}

#[derive(Deserialize)]
pub struct ReplyBody {
    text: String,
}

pub async fn reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<ReplyBody>,
) -> ApiResult<impl IntoResponse> {
    let message = state.services.agent_reply(&actor, org_id, id, &body.text).await?;
    Ok((StatusCode::CREATED, axum::Json(AgentMessageDto::from(message))))
}

pub async fn resolve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.resolve_conversation(&actor, org_id, id).await?.into()))
}

pub async fn reopen(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ConversationSummaryDto>> {
    Ok(axum::Json(state.services.reopen_conversation(&actor, org_id, id).await?.into()))
}

pub async fn transcript(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let csv = state.services.transcript_csv(&actor, org_id, id).await?;
    Ok(csv_response(csv, &format!("transcript-{id}.csv")))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    days: Option<String>,
}

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

#[derive(Deserialize)]
pub struct TagBody {
    tag: String,
}

pub async fn add_tag(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<TagBody>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let tags = state.services.add_tag(&actor, org_id, id, &body.tag).await?;
    Ok(axum::Json(serde_json::json!({ "tags": tags })))
}

pub async fn remove_tag(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id, tag)): Path<(Uuid, Uuid, String)>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let tags = state.services.remove_tag(&actor, org_id, id, &tag).await?;
    Ok(axum::Json(serde_json::json!({ "tags": tags })))
}

#[derive(Deserialize)]
pub struct SavedReplyBody {
    title: String,
    body: String,
}

pub async fn list_saved_replies(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<SavedReplyDto>>> {
    let list = state.services.list_saved_replies(&actor, org_id).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

pub async fn create_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<SavedReplyBody>,
) -> ApiResult<impl IntoResponse> {
    let saved = state.services.create_saved_reply(&actor, org_id, &body.title, &body.body).await?;
    Ok((StatusCode::CREATED, axum::Json(SavedReplyDto::from(saved))))
}

pub async fn update_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<SavedReplyBody>,
) -> ApiResult<axum::Json<SavedReplyDto>> {
    Ok(axum::Json(state.services.update_saved_reply(&actor, org_id, id, &body.title, &body.body).await?.into()))
}

pub async fn delete_saved_reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.delete_saved_reply(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
