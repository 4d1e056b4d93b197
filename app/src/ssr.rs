//! Server-side glue for server fns: the context they run in, the signed-in caller, and the
//! conversions from `domain` types to DTOs and errors.

use domain::DomainError;
use domain::accounts::{Actor, MembershipInfo, UserInfo};
use domain::organizations::Organization;
use domain::team::{InvitePreview, Member, PendingInvite};
use http::header::{HeaderValue, SET_COOKIE};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use uuid::Uuid;

use crate::dto::*;
use crate::error::AppError;
use crate::session_cookie;

/// `From<domain::…>` for a wire enum of `crate::dto`, variant by variant (an added variant on
/// either side fails to compile here, never on the wire).
macro_rules! map_enum {
    ($($from:path => $to:ident { $($variant:ident),+ $(,)? })+) => {
        $(impl From<$from> for $to {
            fn from(value: $from) -> Self {
                use $from as From;
                match value {
                    $(From::$variant => Self::$variant,)+
                }
            }
        })+
    };
}

map_enum! {
    domain::ConversationStatus => ConversationStatus { Ai, Escalated, Claimed, Resolved }
    domain::MessageRole => MessageRole { Visitor, Ai, Agent, System }
    domain::knowledge::DocumentStatus => DocumentStatus { Processing, Ready, Failed }
    domain::alerts::DeliveryKind => DeliveryKind { Email, Webhook }
    domain::alerts::DeliveryStatus => DeliveryStatus { Pending, Delivered, Dead }
    domain::feedback::TurnRole => FeedbackTurnRole { Ai, User }
    domain::privacy::ExportStatus => ExportStatus { Running, Ready, Failed }
    domain::privacy::TrashKind => TrashKind { Document, Conversation, SavedReply, FeedbackProject }
}

/// Provided to every server fn and SSR render by the server's router.
#[derive(Clone, Debug)]
pub struct ServerContext {
    /// Domain services (database pool inside).
    pub services: domain::Services,
    /// Whether cookies get the `Secure` flag.
    pub secure_cookies: bool,
    /// The client network's budget of password attempts (the server's rate limits).
    pub auth_budget: Option<AuthBudget>,
}

/// Spends one password attempt of the requesting client's network: `Err(seconds to wait)` when
/// its budget is empty.
#[derive(Clone)]
pub struct AuthBudget(pub std::sync::Arc<SpendAttempt>);

/// `Err(seconds to wait)` when the requester's budget is empty.
pub type SpendAttempt = dyn Fn(&http::request::Parts) -> Result<(), u64> + Send + Sync;

impl std::fmt::Debug for AuthBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthBudget")
    }
}

impl ServerContext {
    /// Before a server fn checks or sets a password: the same per-network budget as the REST
    /// sign-in, with the wait in the form's error.
    pub async fn spend_auth_attempt(&self) -> Result<(), AppError> {
        let Some(budget) = &self.auth_budget else { return Ok(()) };
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(|e| {
            tracing::error!(error = %e, "request parts missing in a server fn");
            AppError::Internal
        })?;
        (budget.0)(&parts).map_err(|seconds| {
            reflect_status(http::StatusCode::TOO_MANY_REQUESTS);
            AppError::TooManyRequests(format!("too many attempts from your network; try again in {seconds} seconds"))
        })
    }
}

/// The context, or an internal error if the router forgot to provide it.
pub fn context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| {
        tracing::error!("ServerContext missing from Leptos context");
        AppError::Internal
    })
}

/// Secrets revealed during this request (provided per request by the server's router). Server
/// rendering may build a page's resources more than once, and a secret that can be read only
/// once must reach every copy: the first read goes to the database, later ones to this memo.
#[derive(Clone, Debug, Default)]
pub struct RevealMemo(std::sync::Arc<tokio::sync::Mutex<std::collections::HashMap<Uuid, Option<String>>>>);

/// The secret stashed under `reveal` (a `domain::reveal` id from the URL) for this session,
/// once per page view; `None` for anything else.
pub async fn take_revealed(actor: &Actor, reveal: &str) -> Result<Option<String>, AppError> {
    let Ok(id) = reveal.parse::<Uuid>() else { return Ok(None) };
    let ctx = context()?;
    let Some(memo) = use_context::<RevealMemo>() else {
        return Ok(ctx.services.take_secret(actor, id).await?);
    };
    // Held across the read, so a concurrent copy waits for it and then finds the memo.
    let mut seen = memo.0.lock().await;
    if let Some(secret) = seen.get(&id) {
        return Ok(secret.clone());
    }
    let secret = ctx.services.take_secret(actor, id).await?;
    seen.insert(id, secret.clone());
    Ok(secret)
}

/// The signed-in caller from the session cookie; `None` when signed out or expired.
pub async fn current_actor() -> Result<Option<Actor>, AppError> {
    let ctx = context()?;
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    let Some(token) = session_cookie::read(&headers) else { return Ok(None) };
    match ctx.services.authenticate(&token).await {
        Ok(actor) => Ok(Some(actor)),
        Err(DomainError::Unauthorized(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Like [`current_actor`], but signed-out callers get `Unauthorized`.
pub async fn require_actor() -> Result<Actor, AppError> {
    current_actor().await?.ok_or_else(|| DomainError::Unauthorized("please sign in").into())
}

/// The organisation the dashboard shows: the cookie's choice if still a member, else the first.
pub async fn selected_membership(
    ctx: &ServerContext,
    actor: &Actor,
) -> Result<(Vec<MembershipInfo>, Option<MembershipInfo>), AppError> {
    let memberships = ctx.services.memberships(actor.user.id).await?;
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    let wanted = session_cookie::read_named(&headers, session_cookie::CURRENT_ORG).and_then(|v| v.parse::<Uuid>().ok());
    let current = wanted
        .and_then(|id| memberships.iter().find(|m| m.organization_id == id))
        .or_else(|| memberships.first())
        .cloned();
    Ok((memberships, current))
}

/// Adds a `Set-Cookie` header to the response.
pub fn set_cookie(value: String) {
    if let (Some(resp), Ok(v)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&value)) {
        resp.append_header(SET_COOKIE, v);
    }
}

/// A path on this site to go to after signing in; anything else → `/dashboard`. One leading
/// slash and no second one or backslash after it, and no whitespace or control character
/// anywhere: browsers drop tabs and newlines from a URL, so `/\t/evil.example` would become
/// `//evil.example`, another site.
pub fn safe_next(next: Option<String>) -> String {
    let local = |n: &str| {
        n.starts_with('/')
            && !n[1..].starts_with('/')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    next.filter(|n| local(n)).unwrap_or_else(|| "/dashboard".into())
}

/// Gives a failed server-fn call its real status (401, 403, 422…) instead of the default 500,
/// except for HTML form posts: those must stay redirects back to the form (no-JS mode).
fn reflect_status(status: http::StatusCode) {
    let form_post = use_context::<http::request::Parts>().is_none_or(|parts| {
        parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
    });
    if !form_post {
        crate::components::set_response_status(status);
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        let error = Self::from_domain(e);
        reflect_status(error.status_code());
        error
    }
}

impl AppError {
    fn from_domain(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(what) => AppError::NotFound(format!("{what} not found")),
            DomainError::Unauthorized(m) => AppError::Unauthorized(m.into()),
            DomainError::Forbidden(m) => AppError::Forbidden(m),
            DomainError::Conflict(m) => AppError::Conflict(m),
            DomainError::TooLarge(m) => AppError::TooLarge(m),
            e @ DomainError::Throttled { .. } => AppError::TooManyRequests(e.to_string()),
            DomainError::Invalid { field, message } => AppError::Invalid { field: field.into(), message },
            e @ DomainError::Internal { .. } => {
                tracing::error!(error = %e.chain(), "internal error in a server fn");
                AppError::Internal
            }
        }
    }
}

impl From<UserInfo> for UserDto {
    fn from(u: UserInfo) -> Self {
        Self { id: u.id, email: u.email, name: u.name }
    }
}

impl From<MembershipInfo> for MembershipDto {
    fn from(m: MembershipInfo) -> Self {
        Self {
            organization: OrgRefDto { id: m.organization_id, name: m.organization_name },
            role: m.role.as_str().into(),
        }
    }
}

impl From<Organization> for OrganizationDto {
    fn from(o: Organization) -> Self {
        let settings = serde_json::to_value(&o.settings).unwrap_or_default();
        Self { id: o.id, name: o.name, widget_key: o.widget_key, settings }
    }
}

impl From<PendingInvite> for InviteDto {
    fn from(i: PendingInvite) -> Self {
        Self { id: i.id, email: i.email, role: i.role.as_str().into(), expires_at: i.expires_at, expired: i.expired }
    }
}

impl From<InvitePreview> for InvitePreviewDto {
    fn from(p: InvitePreview) -> Self {
        Self {
            organization: OrgRefDto { id: p.organization_id, name: p.organization_name },
            email: p.email,
            role: p.role.as_str().into(),
            expired: p.expired,
            accepted: p.accepted,
        }
    }
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        Self { user_id: m.user_id, email: m.email, name: m.name, role: m.role.as_str().into(), joined_at: m.joined_at }
    }
}

impl From<domain::knowledge::Document> for DocumentDto {
    fn from(d: domain::knowledge::Document) -> Self {
        Self {
            id: d.id,
            title: d.title,
            status: d.status.into(),
            chunk_count: d.chunk_count,
            chunks_done: d.chunks_done,
            error: d.error,
            source_url: d.source_url,
            created_at: d.created_at,
            updated_at: d.updated_at,
            content: d.content,
        }
    }
}

impl From<domain::knowledge::retrieval::Passage> for SearchHitDto {
    fn from(p: domain::knowledge::retrieval::Passage) -> Self {
        Self {
            document_id: p.document_id,
            title: p.title,
            heading: p.heading,
            text: p.text,
            score: p.score,
            source_url: p.source_url,
        }
    }
}

impl From<domain::conversation::Message> for MessageDto {
    fn from(m: domain::conversation::Message) -> Self {
        Self {
            id: m.id,
            role: m.role.into(),
            text: m.text,
            created_at: m.created_at,
            citations: m.citations.map(|c| {
                c.into_iter()
                    .map(|c| CitationDto { document_id: c.document_id, title: c.title, source_url: c.source_url })
                    .collect()
            }),
            language: m.language,
            author: m.author,
        }
    }
}

impl From<domain::alerts::Delivery> for DeliveryDto {
    fn from(d: domain::alerts::Delivery) -> Self {
        Self {
            id: d.id,
            kind: d.kind.into(),
            event: d.event,
            webhook_id: d.webhook_id,
            target: d.target,
            payload: d.payload,
            status: d.status.into(),
            attempts: d.attempts,
            max_attempts: d.max_attempts,
            next_attempt_at: d.next_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

impl From<domain::alerts::webhooks::Webhook> for WebhookDto {
    fn from(w: domain::alerts::webhooks::Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            created_at: w.created_at,
            deliveries: w.deliveries.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<domain::inbox::ConversationSummary> for ConversationSummaryDto {
    fn from(c: domain::inbox::ConversationSummary) -> Self {
        Self {
            id: c.id,
            status: c.status.into(),
            escalation_reason: c.escalation_reason,
            handoff_summary: c.handoff_summary,
            escalated_at: c.escalated_at,
            claimed_by: c.claimed_by,
            claimed_by_name: c.claimed_by_name,
            resolved_at: c.resolved_at,
            language: c.language,
            last_message: c.last_message,
            message_count: c.message_count,
            contact: c.contact.map(|k| ContactDto { name: k.name, email: k.email, phone: k.phone }),
            claimed: c.claimed.map(|k| ContactDto { name: k.name, email: k.email, phone: k.phone }),
            visitor_label: c.visitor_label,
            tags: c.tags,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<domain::inbox::AgentMessage> for AgentMessageDto {
    fn from(m: domain::inbox::AgentMessage) -> Self {
        Self { message: m.message.into(), author_name: m.author_name }
    }
}

impl From<domain::inbox::Stats> for StatsDto {
    fn from(s: domain::inbox::Stats) -> Self {
        Self {
            days: s.days,
            total_conversations: s.total_conversations,
            total_escalations: s.total_escalations,
            unresolved: s.unresolved,
            resolution_rate: s.resolution_rate,
            escalation_rate: s.escalation_rate,
            avg_hours_to_resolve: s.avg_hours_to_resolve,
            per_day: s.per_day.into_iter().map(|(date, escalations)| DayCountDto { date, escalations }).collect(),
        }
    }
}

impl From<domain::inbox::SavedReply> for SavedReplyDto {
    fn from(s: domain::inbox::SavedReply) -> Self {
        Self { id: s.id, title: s.title, body: s.body, updated_at: s.updated_at }
    }
}

impl From<domain::feedback::Event> for FeedbackEventDto {
    fn from(e: domain::feedback::Event) -> Self {
        Self {
            event_id: e.event_id,
            name: e.name,
            question: e.question,
            positive: e.positive,
            negative: e.negative,
            created_at: e.created_at,
        }
    }
}

impl From<domain::feedback::Project> for FeedbackProjectDto {
    fn from(p: domain::feedback::Project) -> Self {
        Self {
            project_id: p.project_id,
            name: p.name,
            secret_hint: p.secret_hint,
            created_at: p.created_at,
            events: p.events.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<domain::feedback::Feedback> for FeedbackDto {
    fn from(f: domain::feedback::Feedback) -> Self {
        Self {
            id: f.id,
            event_id: f.event_id,
            event_name: f.event_name,
            tags: f.tags,
            reaction: f.reaction.as_str().to_owned(),
            user_info: f.user_info,
            console_log: f.console_log,
            browser: f.browser,
            connectivity: f.connectivity,
            ip_details: f.ip_details,
            language: f.language,
            conversation: f
                .conversation
                .into_iter()
                .map(|t| FeedbackTurnDto { role: t.role.into(), text: t.text, at: t.at })
                .collect(),
            conversation_summary: f.summary,
            created_at: f.created_at,
        }
    }
}

impl From<domain::feedback::FeedbackPage> for FeedbackPageDto {
    fn from(p: domain::feedback::FeedbackPage) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

/// Sets this page's Content-Security-Policy: scripts only from this server or inline with this
/// response's nonce (Leptos puts it on its hydration and data scripts), WebAssembly compiled
/// from this server's bundle, images, frames and connections to this server only, never framed
/// by another site (clickjacking), no plugins, forms posting only here.
pub fn content_security_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; \
         form-action 'self'; object-src 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

impl From<domain::privacy::ContactSummary> for ContactRowDto {
    fn from(c: domain::privacy::ContactSummary) -> Self {
        Self { id: c.id, name: c.name, email: c.email, phone: c.phone, conversation_count: c.conversation_count }
    }
}

impl From<domain::privacy::UsageMonth> for UsageMonthDto {
    fn from(m: domain::privacy::UsageMonth) -> Self {
        Self {
            month: m.month,
            conversations: m.conversations,
            visitor_messages: m.visitor_messages,
            ai_answers: m.ai_answers,
            escalations: m.escalations,
            ai_resolved: m.ai_resolved,
            helpful: m.helpful,
            not_helpful: m.not_helpful,
            llm_calls: m.llm_calls,
            embedding_calls: m.embedding_calls,
            embedding_inputs: m.embedding_inputs,
        }
    }
}

impl From<domain::privacy::ExportJob> for ExportJobDto {
    fn from(j: domain::privacy::ExportJob) -> Self {
        Self {
            id: j.id,
            status: j.status.into(),
            progress: j.progress,
            contact_id: j.contact_id,
            bytes: j.bytes,
            error: j.error,
            created_at: j.created_at,
        }
    }
}

#[cfg(test)]
mod next_tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_on_this_site_or_the_dashboard() {
        for ok in ["/dashboard/knowledge", "/dashboard/conversations?status=all", "/", "/invite/abc"] {
            assert_eq!(safe_next(Some(ok.into())), ok);
        }
        // Browsers drop tabs and newlines from URLs ("/\t/evil.example" becomes "//evil.example"),
        // and read a backslash as a slash.
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "https://evil.example",
            " /x",
            "/ /evil",
        ] {
            assert_eq!(safe_next(Some(bad.into())), "/dashboard", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
