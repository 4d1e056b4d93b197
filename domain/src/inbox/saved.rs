//! Saved replies (canned responses: owners and admins manage them, every member uses them) and
//! conversation tags (any member adds or removes them; the inbox filters by them).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::accounts::Actor;
use crate::entities::{conversation_tag, saved_reply};
use crate::{DomainError, DomainResult, Services};

/// Most saved replies per organisation.
const MAX_SAVED_REPLIES: i64 = 200;
/// Most tags on one conversation.
const MAX_TAGS: i64 = 20;

/// A canned response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedReply {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

impl From<saved_reply::Model> for SavedReply {
    fn from(m: saved_reply::Model) -> Self {
        Self { id: m.id, title: m.title, body: m.body, updated_at: m.updated_at.into() }
    }
}

/// Validates a saved reply: a title of 1–80 characters and a body of 1–4000, no control
/// characters but line breaks.
fn validate_saved(title: &str, body: &str) -> DomainResult<(String, String)> {
    let title = title.trim();
    let body = body.trim();
    if title.is_empty() || title.chars().count() > 80 {
        return Err(DomainError::invalid("title", "must be 1 to 80 characters"));
    }
    if body.is_empty() || body.chars().count() > super::MAX_REPLY_CHARS {
        return Err(DomainError::invalid("body", format!("must be 1 to {} characters", super::MAX_REPLY_CHARS)));
    }
    if title.chars().any(char::is_control) || body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::invalid("body", "must not contain control characters"));
    }
    Ok((title.to_owned(), body.to_owned()))
}

/// Normalises a tag: trimmed, lower-case, inner spaces collapsed; 1–32 of letters, digits, `-`,
/// `_` and spaces.
pub fn normalise_tag(raw: &str) -> DomainResult<String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if tag.is_empty() || tag.chars().count() > 32 {
        return Err(DomainError::invalid("tag", "must be 1 to 32 characters"));
    }
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ') {
        return Err(DomainError::invalid("tag", "may contain letters, digits, spaces, '-' and '_' only"));
    }
    Ok(tag)
}

impl Services {
    /// The organisation's saved replies, by title (any member).
    pub async fn list_saved_replies(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<SavedReply>> {
        self.membership(actor, org_id).await?;
        let rows = saved_reply::Entity::find()
            .filter(saved_reply::Column::OrganizationId.eq(org_id))
            .order_by(Func::lower(Expr::col(saved_reply::Column::Title)), Order::Asc)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Adds a saved reply (owners and admins); titles are unique per organisation, ignoring case.
    pub async fn create_saved_reply(
        &self,
        actor: &Actor,
        org_id: Uuid,
        title: &str,
        body: &str,
    ) -> DomainResult<SavedReply> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage saved replies")?;
        let (title, body) = validate_saved(title, body)?;
        // One statement, so the limit and the unique title hold under concurrent adds.
        let row = saved_reply::Model::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO saved_replies (id, organization_id, title, body) \
             SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM saved_replies WHERE organization_id = $2) < $5 \
             ON CONFLICT (organization_id, lower(title)) DO NOTHING \
             RETURNING *",
            [Uuid::new_v4().into(), org_id.into(), title.clone().into(), body.into(), MAX_SAVED_REPLIES.into()],
        ))
        .one(&self.db)
        .await?;
        match row {
            Some(r) => Ok(r.into()),
            None => Err(DomainError::Conflict(format!(
                "a saved reply called '{title}' exists already (or the organisation has {MAX_SAVED_REPLIES})"
            ))),
        }
    }

    /// Changes a saved reply (owners and admins).
    pub async fn update_saved_reply(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        title: &str,
        body: &str,
    ) -> DomainResult<SavedReply> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage saved replies")?;
        let (title, body) = validate_saved(title, body)?;
        let row = saved_reply::Entity::update_many()
            .col_expr(saved_reply::Column::Title, Expr::value(title))
            .col_expr(saved_reply::Column::Body, Expr::value(body))
            .col_expr(saved_reply::Column::UpdatedAt, Expr::current_timestamp())
            .filter(saved_reply::Column::Id.eq(id))
            .filter(saved_reply::Column::OrganizationId.eq(org_id))
            .exec_with_returning(&self.db)
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    DomainError::Conflict("another saved reply has that title".into())
                }
                _ => e.into(),
            })?
            .pop()
            .ok_or(DomainError::NotFound("saved reply"))?;
        Ok(row.into())
    }

    /// Moves a saved reply to the trash (owners and admins).
    pub async fn delete_saved_reply(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage saved replies")?;
        let txn = self.db.begin().await?;
        let title = saved_reply::Entity::find_by_id(id)
            .filter(saved_reply::Column::OrganizationId.eq(org_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("saved reply"))?
            .title;
        crate::privacy::move_to_trash(
            &txn,
            crate::privacy::Trashing {
                org_id,
                kind: crate::privacy::TrashKind::SavedReply,
                item_id: id,
                title: &title,
                visitor_id: None,
                deleted_by: Some(actor.user.id),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Tags a conversation (any member); tagging twice changes nothing. Returns its tags.
    pub async fn add_tag(&self, actor: &Actor, org_id: Uuid, id: Uuid, tag: &str) -> DomainResult<Vec<String>> {
        self.membership(actor, org_id).await?;
        let tag = normalise_tag(tag)?;
        crate::conversation::find_conversation(&self.db, org_id, id).await?;
        let added = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO conversation_tags (conversation_id, organization_id, tag) \
                 SELECT $1, $2, $3 WHERE (SELECT count(*) FROM conversation_tags WHERE conversation_id = $1) < $4 \
                 ON CONFLICT DO NOTHING",
                [id.into(), org_id.into(), tag.clone().into(), MAX_TAGS.into()],
            ))
            .await?;
        let tags = self.tags_of(id).await?;
        if added.rows_affected() == 0 && !tags.contains(&tag) {
            return Err(DomainError::invalid("tag", format!("a conversation can have at most {MAX_TAGS} tags")));
        }
        Ok(tags)
    }

    /// Removes a tag from a conversation (any member). Returns its tags.
    pub async fn remove_tag(&self, actor: &Actor, org_id: Uuid, id: Uuid, tag: &str) -> DomainResult<Vec<String>> {
        self.membership(actor, org_id).await?;
        crate::conversation::find_conversation(&self.db, org_id, id).await?;
        let tag = normalise_tag(tag)?;
        conversation_tag::Entity::delete_many()
            .filter(conversation_tag::Column::ConversationId.eq(id))
            .filter(conversation_tag::Column::OrganizationId.eq(org_id))
            .filter(conversation_tag::Column::Tag.eq(tag))
            .exec(&self.db)
            .await?;
        self.tags_of(id).await
    }

    pub(super) async fn tags_of(&self, id: Uuid) -> DomainResult<Vec<String>> {
        Ok(conversation_tag::Entity::find()
            .select_only()
            .column(conversation_tag::Column::Tag)
            .filter(conversation_tag::Column::ConversationId.eq(id))
            .order_by_asc(conversation_tag::Column::Tag)
            .into_tuple()
            .all(&self.db)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_checked() {
        assert_eq!(normalise_tag("  Billing   Issue ").expect("ok"), "billing issue");
        assert_eq!(normalise_tag("vip-2026_q4").expect("ok"), "vip-2026_q4");
        assert!(normalise_tag("").is_err());
        assert!(normalise_tag("<script>").is_err());
        assert!(normalise_tag(&"x".repeat(33)).is_err());
    }

    #[test]
    fn saved_replies_need_a_title_and_a_body() {
        assert!(validate_saved("Greeting", "Hi!\nHow can I help?").is_ok());
        assert!(validate_saved(" ", "Hi").is_err());
        assert!(validate_saved("Greeting", "").is_err());
        assert!(validate_saved(&"t".repeat(81), "Hi").is_err());
    }
}
