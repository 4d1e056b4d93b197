//! Tickets for the visitor's live stream.
//!
//! `EventSource` cannot send an `Authorization` header, so the stream is opened with a ticket in
//! its URL instead of the long-lived visitor token: the widget asks for one (with its token in the
//! header) just before connecting, and the stream spends it. A ticket opens one connection, lives
//! [`TICKET_LIFETIME`], and only its hash is stored; a URL that ends up in a proxy's log is then
//! worth nothing. Tickets live in Postgres, so any instance can redeem what another issued.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Visitor;
use crate::entities::{stream_ticket, visitor};
use crate::{DomainError, DomainResult, Services, tokens};

/// How long a ticket may wait before it is used.
pub const TICKET_LIFETIME: Duration = Duration::seconds(60);

impl Services {
    /// A fresh single-use ticket for `visitor`'s live stream.
    pub async fn issue_stream_ticket(&self, visitor: &Visitor) -> DomainResult<String> {
        let now = Utc::now();
        let ticket = tokens::random_token();
        stream_ticket::Entity::insert(stream_ticket::ActiveModel {
            ticket_hash: Set(tokens::hash_token(&ticket)),
            visitor_id: Set(visitor.id),
            expires_at: Set((now + TICKET_LIFETIME).into()),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(ticket)
    }

    /// Removes tickets that expired unused (a redeemed one is deleted as it is spent); the
    /// privacy worker calls it every hour, off the visitors' path.
    pub async fn sweep_stream_tickets(&self, now: chrono::DateTime<Utc>) -> DomainResult<u64> {
        let swept = stream_ticket::Entity::delete_many()
            .filter(stream_ticket::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        Ok(swept.rows_affected)
    }

    /// Spends a ticket: the visitor it was issued to, if it exists, has not expired and was not
    /// used before, and the page is on a site the organisation allows.
    pub async fn redeem_stream_ticket(&self, ticket: &str, origin: Option<&str>) -> DomainResult<Visitor> {
        const REFUSED: DomainError = DomainError::Unauthorized(
            "unknown or used stream ticket; ask for a new one with POST /widget/stream-ticket",
        );
        if ticket.is_empty() || ticket.len() > 128 {
            return Err(REFUSED);
        }
        // One DELETE decides: two connections racing with the same ticket cannot both win.
        let spent = stream_ticket::Entity::delete_many()
            .filter(stream_ticket::Column::TicketHash.eq(tokens::hash_token(ticket)))
            .filter(stream_ticket::Column::ExpiresAt.gt(Utc::now()))
            .exec_with_returning(&self.db)
            .await?;
        let visitor_id = spent.first().map(|t| t.visitor_id).ok_or(REFUSED)?;
        let row = visitor::Entity::find_by_id(visitor_id).one(&self.db).await?.ok_or(REFUSED)?;
        let visitor = self.visitor_from_row(row).await?;
        self.check_widget_origin(visitor.organization_id, origin).await?;
        Ok(visitor)
    }
}
