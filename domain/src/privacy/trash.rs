//! The trash: deleting a document, conversation, saved reply or feedback project copies its rows
//! (with everything that hangs off it) into `trash_rows` and removes them from the live tables;
//! restoring inserts the same rows back, ids and all. Items stay for the organisation's
//! `trash_days`, then [`Services::purge_trash`] drops them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use super::{ActorRef, AuditAction, actor_refs, audit};
use crate::accounts::Actor;
use crate::entities::{organization, trash_item};
use crate::{DomainError, DomainResult, Services};

/// What can be in the trash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TrashKind {
    #[sea_orm(string_value = "document")]
    Document,
    #[sea_orm(string_value = "conversation")]
    Conversation,
    #[sea_orm(string_value = "saved_reply")]
    SavedReply,
    #[sea_orm(string_value = "feedback_project")]
    FeedbackProject,
}

impl TrashKind {
    pub const ALL: [Self; 4] = [Self::Document, Self::Conversation, Self::SavedReply, Self::FeedbackProject];

    /// Wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Conversation => "conversation",
            Self::SavedReply => "saved_reply",
            Self::FeedbackProject => "feedback_project",
        }
    }

    /// Parses a wire name; anything else is `NotFound` (it names a path segment).
    pub fn parse(value: &str) -> DomainResult<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value).ok_or(DomainError::NotFound("trash kind"))
    }

    /// The tables holding one item, parents first, each with the condition selecting the item's
    /// rows (`$1` is the item id). The first table's row is the item itself; deleting it
    /// cascades to the others.
    fn tables(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Document => &[("documents", "id = $1")],
            Self::Conversation => &[
                ("conversations", "id = $1"),
                ("messages", "conversation_id = $1"),
                ("conversation_tags", "conversation_id = $1"),
                ("outbox", "conversation_id = $1"),
            ],
            Self::SavedReply => &[("saved_replies", "id = $1")],
            Self::FeedbackProject => &[
                ("feedback_projects", "id = $1"),
                ("feedback_events", "project_id = $1"),
                ("feedbacks", "project_id = $1"),
            ],
        }
    }

    /// What an audit line says about an item: its kind and title, except for a conversation,
    /// whose title holds a person's details and words (the audit log outlives an erasure).
    fn audit_target(self, title: &str) -> String {
        match self {
            Self::Conversation => "conversation".into(),
            _ => format!("{}: {title}", self.noun()),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Conversation => "conversation",
            Self::SavedReply => "saved reply",
            Self::FeedbackProject => "feedback project",
        }
    }
}

/// One item in the trash as the dashboard lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrashEntry {
    pub kind: TrashKind,
    /// The item's own id (the one restore brings back).
    pub id: Uuid,
    pub title: String,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: Option<ActorRef>,
    pub purge_at: DateTime<Utc>,
}

/// What is moved to the trash.
pub(crate) struct Trashing<'a> {
    pub org_id: Uuid,
    pub kind: TrashKind,
    pub item_id: Uuid,
    pub title: &'a str,
    /// A conversation's visitor.
    pub visitor_id: Option<Uuid>,
    pub deleted_by: Option<Uuid>,
}

/// Moves an item to the trash inside the caller's transaction (the caller has checked it exists
/// in `org_id` and that the actor may delete it).
pub(crate) async fn move_to_trash(db: &impl ConnectionTrait, item: Trashing<'_>) -> DomainResult<()> {
    // Locked first: a message, tag or feedback written meanwhile waits, then fails on its foreign
    // key, instead of being deleted by the cascade without having been copied.
    let (root, condition) = item.kind.tables()[0];
    let locked = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT 1 AS one FROM {root} WHERE {condition} AND organization_id = $2 FOR UPDATE"),
            [item.item_id.into(), item.org_id.into()],
        ))
        .await?;
    if locked.is_none() {
        return Err(DomainError::NotFound(item.kind.noun()));
    }
    let org =
        organization::Entity::find_by_id(item.org_id).one(db).await?.ok_or(DomainError::NotFound("organization"))?;
    let days = crate::organizations::settings_of(&org).trash_days.max(1);
    let now = Utc::now();
    let trash_id = Uuid::new_v4();
    trash_item::ActiveModel {
        id: Set(trash_id),
        organization_id: Set(item.org_id),
        kind: Set(item.kind),
        item_id: Set(item.item_id),
        title: Set(item.title.chars().take(200).collect()),
        visitor_id: Set(item.visitor_id),
        deleted_by: Set(item.deleted_by),
        deleted_at: Set(now.into()),
        purge_at: Set((now + chrono::Duration::days(i64::from(days))).into()),
    }
    .insert(db)
    .await?;
    for (table, condition) in item.kind.tables() {
        // Table names and conditions are constants above, never input.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "INSERT INTO trash_rows (trash_id, table_name, row) \
                 SELECT $2::uuid, '{table}', to_jsonb(t) FROM {table} t WHERE {condition} AND organization_id = $3"
            ),
            [item.item_id.into(), trash_id.into(), item.org_id.into()],
        ))
        .await?;
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("DELETE FROM {root} WHERE {condition} AND organization_id = $2"),
        [item.item_id.into(), item.org_id.into()],
    ))
    .await?;
    audit(db, item.org_id, item.deleted_by, AuditAction::Trash, &item.kind.audit_target(item.title)).await
}

impl Services {
    /// The organisation's trash, most recently deleted first (owners and admins).
    pub async fn trash(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<TrashEntry>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "see the trash")?;
        let rows = trash_item::Entity::find()
            .filter(trash_item::Column::OrganizationId.eq(org_id))
            .order_by_desc(trash_item::Column::DeletedAt)
            .all(&self.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.deleted_by).collect();
        let actors = actor_refs(&self.db, &ids).await?;
        rows.into_iter()
            .map(|r| {
                Ok(TrashEntry {
                    kind: r.kind,
                    id: r.item_id,
                    title: r.title,
                    deleted_at: r.deleted_at.into(),
                    deleted_by: r.deleted_by.and_then(|id| actors.iter().find(|a| a.id == id).cloned()),
                    purge_at: r.purge_at.into(),
                })
            })
            .collect()
    }

    /// Brings an item back whole (owners and admins): same id, same rows. A restored document is
    /// embedded again, so the AI and search find it; a saved reply whose title is taken again
    /// meanwhile is a `Conflict`.
    pub async fn restore_from_trash(&self, actor: &Actor, org_id: Uuid, kind: TrashKind, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "restore deleted items")?;
        let txn = self.db.begin().await?;
        let item = trash_item::Entity::find()
            .filter(trash_item::Column::OrganizationId.eq(org_id))
            .filter(trash_item::Column::Kind.eq(kind))
            .filter(trash_item::Column::ItemId.eq(id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("item in the trash"))?;
        if kind == TrashKind::Document {
            self.check_quota(org_id, None, trashed_document_bytes(&txn, item.id).await?).await?;
        }
        // References that went away meanwhile: a deleted agent or webhook.
        clear_stale_references(&txn, item.id).await?;
        for (table, _) in kind.tables() {
            let inserted = txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!(
                        "INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, row)).* \
                         FROM trash_rows WHERE trash_id = $1 AND table_name = '{table}' ORDER BY ordinal"
                    ),
                    [item.id.into()],
                ))
                .await;
            if let Err(e) = inserted {
                return Err(restore_conflict(kind, e));
            }
        }
        if kind == TrashKind::Document {
            // Its passages were dropped with it: embed it again as a new version.
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE documents SET status = 'processing', error = NULL, chunks_done = 0, embedding_model = NULL, \
                   version = version + 1, deleted_at = NULL, updated_at = now() WHERE id = $1 AND organization_id = $2",
                [id.into(), org_id.into()],
            ))
            .await?;
        }
        // Exactly this item leaves the trash; an erasure that took it meanwhile wins.
        if trash_item::Entity::delete_by_id(item.id).exec(&txn).await?.rows_affected != 1 {
            return Err(DomainError::NotFound("item in the trash"));
        }
        audit(&txn, org_id, Some(actor.user.id), AuditAction::Restore, &kind.audit_target(&item.title)).await?;
        txn.commit().await?;
        if kind == TrashKind::Document {
            self.wake_ingestion();
        }
        Ok(())
    }

    /// Moves a conversation to the trash (owners and admins): it leaves the inbox, search, CSVs
    /// and stats at once; the visitor's next message starts a new conversation.
    pub async fn trash_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "delete conversations")?;
        let txn = self.db.begin().await?;
        let conv = crate::conversation::find_conversation(&txn, org_id, id).await?;
        let title = conversation_title(&txn, &conv).await?;
        move_to_trash(
            &txn,
            Trashing {
                org_id,
                kind: TrashKind::Conversation,
                item_id: id,
                title: &title,
                visitor_id: Some(conv.visitor_id),
                deleted_by: Some(actor.user.id),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Drops every trashed item whose time is up as of `now`; returns how many.
    pub async fn purge_trash(&self, now: DateTime<Utc>) -> DomainResult<u64> {
        let done =
            trash_item::Entity::delete_many().filter(trash_item::Column::PurgeAt.lte(now)).exec(&self.db).await?;
        if done.rows_affected > 0 {
            tracing::info!(items = done.rows_affected, "purged expired trash");
        }
        Ok(done.rows_affected)
    }
}

/// Why a restore's insert failed, in words: a saved reply's title taken again, or the item (or a
/// message of it) already back.
fn restore_conflict(kind: TrashKind, e: sea_orm::DbErr) -> DomainError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) if detail.contains("saved_replies_org_title_key") => {
            DomainError::conflict(format!(
                "another {} now has the same name; rename it, then restore this one",
                kind.noun()
            ))
        }
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::conflict(format!("this {} (or part of it) is already back; reload the trash", kind.noun()))
        }
        _ => DomainError::from(e),
    }
}

/// The size of a trashed document's text, for the knowledge base's quota.
async fn trashed_document_bytes(db: &impl ConnectionTrait, trash_id: Uuid) -> DomainResult<usize> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT coalesce(octet_length(row ->> 'content'), 0)::bigint AS bytes FROM trash_rows \
             WHERE trash_id = $1 AND table_name = 'documents'",
            [trash_id.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "bytes")).transpose()?.unwrap_or(0).max(0) as usize)
}

/// Clears references in a trashed item's rows to things deleted since (an agent who left, a
/// webhook removed), the way the live rows' foreign keys would have.
async fn clear_stale_references(db: &impl ConnectionTrait, trash_id: Uuid) -> DomainResult<()> {
    {
        const FIXUPS: [&str; 3] = [
            "UPDATE trash_rows SET row = row || '{\"claimed_by\": null}' WHERE trash_id = $1 \
               AND table_name = 'conversations' AND row ->> 'claimed_by' IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = (row ->> 'claimed_by')::uuid)",
            "UPDATE trash_rows SET row = row || '{\"author_id\": null}' WHERE trash_id = $1 \
               AND table_name = 'messages' AND row ->> 'author_id' IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = (row ->> 'author_id')::uuid)",
            "DELETE FROM trash_rows WHERE trash_id = $1 AND table_name = 'outbox' AND row ->> 'webhook_id' IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = (row ->> 'webhook_id')::uuid)",
        ];
        for sql in FIXUPS {
            db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [trash_id.into()])).await?;
        }
        Ok(())
    }
}

/// How the trash names a conversation: its contact, and the visitor's first words.
async fn conversation_title(
    db: &impl ConnectionTrait,
    conv: &crate::entities::conversation::Model,
) -> DomainResult<String> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        who: Option<String>,
        first: Option<String>,
    }
    let row = Row::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT (SELECT coalesce(ct.name, ct.email) FROM visitors v JOIN contacts ct ON ct.id = v.contact_id \
                  WHERE v.id = $2) AS who, \
                (SELECT m.text FROM messages m WHERE m.conversation_id = $1 AND m.role = $3 \
                  ORDER BY m.created_at LIMIT 1) AS first",
        [conv.id.into(), conv.visitor_id.into(), crate::MessageRole::Visitor.into()],
    ))
    .one(db)
    .await?;
    let (who, first) = row.map_or((None, None), |r| (r.who, r.first));
    let first: Option<String> = first.map(|t| {
        let short: String = t.chars().take(60).collect();
        if short.len() < t.len() { format!("“{short}…”") } else { format!("“{short}”") }
    });
    Ok(match (who, first) {
        (Some(who), Some(first)) => format!("{who}: {first}"),
        (Some(who), None) => who,
        (None, Some(first)) => first,
        (None, None) => format!("Conversation of {}", conv.created_at.format("%Y-%m-%d")),
    })
}
