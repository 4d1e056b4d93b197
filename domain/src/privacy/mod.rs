//! Data & privacy: the audit log, the contact directory, permanent erasure, the trash, exports,
//! retention and usage figures.
//!
//! Rules, in one place:
//! - Owners and admins trash, restore, erase and export; owners alone read the audit log; any
//!   member lists contacts. Everything is scoped by organisation, and another organisation's
//!   item is `NotFound`.
//! - Erasing a conversation deletes its row; messages, tags and outbox deliveries go with it
//!   (foreign keys cascade), and so does a trashed copy. Erasing a contact erases every
//!   conversation of their visitors (live or trashed), the visitors, and the contact.
//! - The audit log names what was erased by kind only ("conversation", "contact with 3
//!   conversations"), never by id or content, so nothing that identifies the data stays.

mod export;
mod trash;
mod usage;

pub use export::{ARCHIVE_FORMAT_VERSION, ExportJob, ExportStatus};
pub use trash::{TrashEntry, TrashKind};
pub(crate) use trash::{Trashing, move_to_trash};
pub use usage::{MAX_MONTHS, UsageCounters, UsageMonth};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    Set, Statement, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::Actor;
use crate::entities::{audit_entry, contact, conversation, trash_item, user};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::{DomainError, DomainResult, Role, Services};

/// What an audit line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    #[serde(rename = "export")]
    Export,
    #[serde(rename = "trash")]
    Trash,
    #[serde(rename = "restore")]
    Restore,
    #[serde(rename = "erase")]
    Erase,
    #[serde(rename = "retention")]
    Retention,
    #[serde(rename = "settings.update")]
    SettingsUpdate,
    #[serde(rename = "member.role")]
    MemberRole,
    #[serde(rename = "member.remove")]
    MemberRemove,
    #[serde(rename = "widget_key.rotate")]
    WidgetKeyRotate,
    /// An agent confirmed a visitor's unverified claim to be a stored contact.
    #[serde(rename = "contact.merge")]
    ContactMerge,
}

impl AuditAction {
    /// Wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Trash => "trash",
            Self::Restore => "restore",
            Self::Erase => "erase",
            Self::Retention => "retention",
            Self::SettingsUpdate => "settings.update",
            Self::MemberRole => "member.role",
            Self::MemberRemove => "member.remove",
            Self::WidgetKeyRotate => "widget_key.rotate",
            Self::ContactMerge => "contact.merge",
        }
    }
}

/// Writes one audit line (inside the caller's transaction, so the line exists exactly when the
/// action happened).
pub(crate) async fn audit(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    actor_id: Option<Uuid>,
    action: AuditAction,
    target: &str,
) -> DomainResult<()> {
    audit_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(org_id),
        actor_id: Set(actor_id),
        action: Set(action.as_str().to_owned()),
        target: Set(target.chars().take(300).collect()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Who did something: a member, by id and email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActorRef {
    pub id: Uuid,
    pub email: String,
}

/// One audit line as owners read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub action: String,
    pub actor: Option<ActorRef>,
    pub target: String,
    pub at: DateTime<Utc>,
}

/// One person in the contact directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct ContactSummary {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub conversation_count: i64,
}

/// Most audit lines or contacts one call returns.
pub const MAX_LIST: u64 = 500;

/// The emails of `ids`, for naming actors.
pub(crate) async fn actor_refs(db: &impl ConnectionTrait, ids: &[Uuid]) -> DomainResult<Vec<ActorRef>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let users = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(users.into_iter().map(|u| ActorRef { id: u.id, email: u.email }).collect())
}

impl Services {
    /// The organisation's audit log, newest first (owners).
    pub async fn audit_log(&self, actor: &Actor, org_id: Uuid, page: PageRequest) -> DomainResult<Page<AuditEntry>> {
        self.membership(actor, org_id).await?.require(Role::Owner, "read the audit log")?;
        let query = audit_entry::Entity::find().filter(audit_entry::Column::OrganizationId.eq(org_id));
        let rows = page.select(query, audit_entry::Column::CreatedAt, audit_entry::Column::Id).all(&self.db).await?;
        let rows = page.page(rows, |r| Cursor { at: r.created_at.into(), id: r.id });
        let ids: Vec<Uuid> = rows.items.iter().filter_map(|r| r.actor_id).collect();
        let actors = actor_refs(&self.db, &ids).await?;
        let items = rows
            .items
            .into_iter()
            .map(|r| AuditEntry {
                actor: r.actor_id.and_then(|id| actors.iter().find(|a| a.id == id).cloned()),
                action: r.action,
                target: r.target,
                at: r.created_at.into(),
            })
            .collect();
        Ok(Page { items, next: rows.next })
    }

    /// Contacts whose name, email or phone contains `q` (all when empty), most recently active
    /// first, with how many conversations each has (any member).
    pub async fn contacts(
        &self,
        actor: &Actor,
        org_id: Uuid,
        q: &str,
        limit: u64,
    ) -> DomainResult<Vec<ContactSummary>> {
        self.membership(actor, org_id).await?;
        let q = q.trim();
        if q.chars().count() > 200 {
            return Err(DomainError::invalid("q", "must be at most 200 characters"));
        }
        let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        Ok(ContactSummary::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT ct.id, ct.name, ct.email, ct.phone, \
                    (SELECT count(*) FROM conversations c JOIN visitors v ON v.id = c.visitor_id \
                      WHERE v.contact_id = ct.id) AS conversation_count \
             FROM contacts ct \
             WHERE ct.organization_id = $1 \
               AND ($2 = '' OR ct.name ILIKE $3 OR ct.email ILIKE $3 OR ct.phone ILIKE $3) \
             ORDER BY ct.updated_at DESC, ct.id \
             LIMIT $4",
            [org_id.into(), q.into(), pattern.into(), (limit.clamp(1, MAX_LIST) as i64).into()],
        ))
        .all(&self.db)
        .await?)
    }

    /// Erases a conversation for good (owners and admins): live or in the trash, nothing of it
    /// stays. Another organisation's conversation is `NotFound`.
    pub async fn erase_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(Role::Admin, "erase conversations")?;
        let txn = self.db.begin().await?;
        // The trashed copy first: a restore running meanwhile then finds nothing to bring back.
        let trashed = trash_item::Entity::delete_many()
            .filter(trash_item::Column::OrganizationId.eq(org_id))
            .filter(trash_item::Column::Kind.eq(TrashKind::Conversation))
            .filter(trash_item::Column::ItemId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected;
        let live = conversation::Entity::delete_many()
            .filter(conversation::Column::Id.eq(id))
            .filter(conversation::Column::OrganizationId.eq(org_id))
            .exec(&txn)
            .await?
            .rows_affected;
        if live + trashed == 0 {
            return Err(DomainError::NotFound("conversation"));
        }
        audit(&txn, org_id, Some(actor.user.id), AuditAction::Erase, "conversation").await?;
        txn.commit().await?;
        self.withdraw_exports(org_id).await?;
        tracing::info!(organization_id = %org_id, user_id = %actor.user.id, "conversation erased");
        Ok(())
    }

    /// Erases a contact and everything of theirs (owners and admins): every conversation of
    /// their visitors, live or trashed, the visitors (their widget starts afresh) and the
    /// contact itself.
    pub async fn erase_contact(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(Role::Admin, "erase contacts")?;
        let txn = self.db.begin().await?;
        // Locked: a visitor linking to this contact meanwhile waits, and is erased with it.
        contact::Entity::find_by_id(id)
            .filter(contact::Column::OrganizationId.eq(org_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("contact"))?;
        // Their exports' rows go with the contact (foreign key); their archives go now.
        self.remove_contact_exports(org_id, id).await?;
        // Conversations and trashed conversations cascade from their visitor.
        let erased = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM conversations WHERE organization_id = $1 \
                   AND visitor_id IN (SELECT id FROM visitors WHERE contact_id = $2 AND organization_id = $1)",
                [org_id.into(), id.into()],
            ))
            .await?
            .rows_affected();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM visitors WHERE contact_id = $2 AND organization_id = $1",
            [org_id.into(), id.into()],
        ))
        .await?;
        contact::Entity::delete_by_id(id).exec(&txn).await?;
        let what = format!("contact with {erased} conversation{}", if erased == 1 { "" } else { "s" });
        audit(&txn, org_id, Some(actor.user.id), AuditAction::Erase, &what).await?;
        txn.commit().await?;
        self.withdraw_exports(org_id).await?;
        tracing::info!(organization_id = %org_id, user_id = %actor.user.id, "contact erased");
        Ok(())
    }

    /// Erases conversations of organisations with a retention period whose last activity is
    /// older than that period, as of `now`; returns how many. Run hourly by the privacy worker.
    pub async fn apply_retention(&self, now: DateTime<Utc>) -> DomainResult<u64> {
        // Only organisations that set a period (most keep everything).
        let orgs = crate::entities::organization::Entity::find()
            .filter(sea_orm::sea_query::Expr::cust("coalesce((settings ->> 'retention_days')::int, 0) > 0"))
            .all(&self.db)
            .await?;
        let mut total = 0;
        for org in orgs {
            let days = crate::organizations::settings_of(&org).retention_days;
            if days == 0 {
                continue;
            }
            let cutoff = now - chrono::Duration::days(i64::from(days));
            let txn = self.db.begin().await?;
            let erased = txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "DELETE FROM conversations c WHERE c.organization_id = $1 AND c.updated_at < $2 \
                       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.created_at >= $2)",
                    [org.id.into(), cutoff.into()],
                ))
                .await?
                .rows_affected();
            let trashed = trash_item::Entity::delete_many()
                .filter(trash_item::Column::OrganizationId.eq(org.id))
                .filter(trash_item::Column::Kind.eq(TrashKind::Conversation))
                .filter(trash_item::Column::DeletedAt.lt(cutoff))
                .exec(&txn)
                .await?
                .rows_affected;
            if erased + trashed > 0 {
                let what = format!("{} conversations older than {days} days", erased + trashed);
                audit(&txn, org.id, None, AuditAction::Retention, &what).await?;
            }
            txn.commit().await?;
            if erased + trashed > 0 {
                self.withdraw_exports(org.id).await?;
            }
            total += erased + trashed;
        }
        Ok(total)
    }

    /// Starts the privacy worker: every hour it purges expired trash, applies retention periods,
    /// removes export archives older than a week and unused stream tickets; every half minute it records model usage.
    pub fn spawn_privacy_worker(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            let mut flush = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = flush.tick() => {
                        if let Err(e) = services.flush_usage().await {
                            tracing::warn!(error = %crate::error::Report(&e), "recording model usage failed");
                        }
                        continue;
                    }
                    _ = tick.tick() => {}
                }
                let now = Utc::now();
                if let Err(e) = services.purge_trash(now).await {
                    tracing::warn!(error = %crate::error::Report(&e), "purging the trash failed");
                }
                if let Err(e) = services.apply_retention(now).await {
                    tracing::warn!(error = %crate::error::Report(&e), "applying retention failed");
                }
                if let Err(e) = services.expire_exports(now).await {
                    tracing::warn!(error = %crate::error::Report(&e), "removing old exports failed");
                }
                if let Err(e) = services.sweep_stream_tickets(now).await {
                    tracing::warn!(error = %crate::error::Report(&e), "removing expired stream tickets failed");
                }
            }
        })
    }
}
