//! Exports: the organisation's data (or one contact's, for a right-of-access request) as a
//! `.tar.gz` of JSON Lines files plus `manifest.json`, written by a background task page by
//! page, so memory stays flat however large the organisation is. The format is documented in
//! the README ("Export format"); [`ARCHIVE_FORMAT_VERSION`] changes when it does.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Set,
    Statement,
};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::{AuditAction, audit};
use crate::accounts::Actor;
use crate::entities::{contact, export, organization};
use crate::{DomainError, DomainResult, Services};

/// The archive format's version, in `manifest.json`.
pub const ARCHIVE_FORMAT_VERSION: u32 = 1;
/// Rows read per query while exporting.
const PAGE: i64 = 200;
/// How long a finished archive stays downloadable.
const KEEP_ARCHIVES_DAYS: i64 = 7;

/// Where an export job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// An export job as its requester sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportJob {
    pub id: Uuid,
    pub status: ExportStatus,
    /// 0..1.
    pub progress: f32,
    /// Set for one contact's export.
    pub contact_id: Option<Uuid>,
    /// The archive's size once ready.
    pub bytes: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<export::Model> for ExportJob {
    fn from(m: export::Model) -> Self {
        Self {
            id: m.id,
            status: m.status,
            progress: m.progress.clamp(0.0, 1.0),
            contact_id: m.contact_id,
            bytes: m.bytes,
            error: m.error,
            created_at: m.created_at.into(),
        }
    }
}

/// One JSON Lines file of the archive: a query yielding `k` (the keyset key, as text) and
/// `line` (one JSON object) for `$1` = organisation and `$2` = contact (or NULL), with
/// `{keyset}` standing for the page condition on `$3` and `{tail}` for the order and limit.
struct Section {
    file: &'static str,
    query: &'static str,
    /// Also in a contact's export.
    per_contact: bool,
}

const SECTIONS: [Section; 8] = [
    Section {
        file: "conversations.jsonl",
        query: "SELECT c.id::text AS k, ((to_jsonb(c) - 'organization_id') || jsonb_build_object( \
                  'contact_id', v.contact_id, \
                  'tags', coalesce((SELECT jsonb_agg(t.tag ORDER BY t.tag) FROM conversation_tags t \
                                     WHERE t.conversation_id = c.id), '[]'::jsonb), \
                  'messages', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'organization_id' - 'conversation_id' \
                                                 ORDER BY m.created_at, m.id) \
                                        FROM messages m WHERE m.conversation_id = c.id), '[]'::jsonb)))::text AS line \
                FROM conversations c JOIN visitors v ON v.id = c.visitor_id \
                WHERE c.organization_id = $1 AND ($2::uuid IS NULL OR v.contact_id = $2::uuid) \
                  AND {keyset:c.id:uuid} {tail:c.id}",
        per_contact: true,
    },
    Section {
        file: "contacts.jsonl",
        query: "SELECT ct.id::text AS k, (to_jsonb(ct) - 'organization_id')::text AS line FROM contacts ct \
                WHERE ct.organization_id = $1 AND ($2::uuid IS NULL OR ct.id = $2::uuid) \
                  AND {keyset:ct.id:uuid} {tail:ct.id}",
        per_contact: true,
    },
    Section {
        file: "documents.jsonl",
        query: "SELECT d.id::text AS k, (to_jsonb(d) - 'organization_id' - 'deleted_at')::text AS line FROM documents d \
                WHERE d.organization_id = $1 AND $2::uuid IS NULL AND d.deleted_at IS NULL AND {keyset:d.id:uuid} {tail:d.id}",
        per_contact: false,
    },
    Section {
        file: "saved_replies.jsonl",
        query: "SELECT r.id::text AS k, (to_jsonb(r) - 'organization_id')::text AS line FROM saved_replies r \
                WHERE r.organization_id = $1 AND $2::uuid IS NULL AND {keyset:r.id:uuid} {tail:r.id}",
        per_contact: false,
    },
    Section {
        file: "feedback_projects.jsonl",
        query: "SELECT p.id::text AS k, ((to_jsonb(p) - 'organization_id' - 'secret_hash') || jsonb_build_object( \
                  'events', coalesce((SELECT jsonb_agg(to_jsonb(e) - 'organization_id' - 'project_id' \
                                               ORDER BY e.created_at) \
                                      FROM feedback_events e WHERE e.project_id = p.id), '[]'::jsonb)))::text AS line \
                FROM feedback_projects p WHERE p.organization_id = $1 AND $2::uuid IS NULL \
                  AND {keyset:p.id:uuid} {tail:p.id}",
        per_contact: false,
    },
    Section {
        file: "feedbacks.jsonl",
        query: "SELECT f.id AS k, (to_jsonb(f) - 'organization_id' - 'token_hash')::text AS line FROM feedbacks f \
                WHERE f.organization_id = $1 AND $2::uuid IS NULL AND {keyset:f.id:text} {tail:f.id}",
        per_contact: false,
    },
    Section {
        file: "members.jsonl",
        query: "SELECT m.user_id::text AS k, jsonb_build_object('user_id', m.user_id, 'email', u.email, \
                  'name', u.name, 'role', m.role, 'joined_at', m.created_at)::text AS line \
                FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE m.organization_id = $1 AND $2::uuid IS NULL AND {keyset:m.user_id:uuid} {tail:m.user_id}",
        per_contact: false,
    },
    Section {
        file: "audit.jsonl",
        query: "SELECT a.id::text AS k, jsonb_build_object('action', a.action, 'actor_id', a.actor_id, \
                  'actor_email', u.email, 'target', a.target, 'at', a.created_at)::text AS line \
                FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
                WHERE a.organization_id = $1 AND $2::uuid IS NULL AND {keyset:a.id:uuid} {tail:a.id}",
        per_contact: false,
    },
];

impl Section {
    /// The page query (`$3` = last key or NULL, `$4` = page size).
    fn page_sql(&self) -> String {
        expand(
            self.query,
            |column, cast| format!("($3::text IS NULL OR {column} > $3::{cast})"),
            |column| format!("ORDER BY {column} LIMIT $4"),
        )
    }

    /// The row count query.
    fn count_sql(&self) -> String {
        format!("SELECT count(*) AS n FROM ({}) s", expand(self.query, |_, _| "TRUE".into(), |_| String::new()))
    }
}

/// Replaces `{keyset:COLUMN:CAST}` and `{tail:COLUMN}` in a section's query.
fn expand(query: &str, keyset: impl Fn(&str, &str) -> String, tail: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(query.len() + 64);
    let mut rest = query;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        let parts: Vec<&str> = rest[start + 1..end].split(':').collect();
        match parts.as_slice() {
            ["keyset", column, cast] => out.push_str(&keyset(column, cast)),
            ["tail", column] => out.push_str(&tail(column)),
            _ => out.push_str(&rest[start..=end.min(rest.len() - 1)]),
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[derive(FromQueryResult)]
struct Line {
    k: String,
    line: String,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// What the archive's `manifest.json` says.
#[derive(Serialize)]
struct Manifest {
    format: &'static str,
    version: u32,
    organization_id: Uuid,
    organization_name: String,
    contact_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    files: Vec<ManifestFile>,
}

#[derive(Serialize)]
struct ManifestFile {
    name: String,
    rows: u64,
}

impl Services {
    /// Starts exporting the organisation, or one contact's data (owners and admins); the job
    /// runs in the background; [`Services::export_job`] follows it. One export at a time per
    /// organisation: another while one runs is a `Conflict`.
    pub async fn start_export(&self, actor: &Actor, org_id: Uuid, contact_id: Option<Uuid>) -> DomainResult<ExportJob> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "export data")?;
        let owner = self.membership(actor, org_id).await?.role == crate::Role::Owner;
        if let Some(id) = contact_id {
            contact::Entity::find_by_id(id)
                .filter(contact::Column::OrganizationId.eq(org_id))
                .one(&self.db)
                .await?
                .ok_or(DomainError::NotFound("contact"))?;
        }
        let now = Utc::now();
        let job = export::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org_id),
            requested_by: Set(Some(actor.user.id)),
            contact_id: Set(contact_id),
            status: Set(ExportStatus::Running),
            progress: Set(0.0),
            file_name: Set(None),
            bytes: Set(None),
            error: Set(None),
            include_audit: Set(owner && contact_id.is_none()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(&self.db)
        .await
        // The unique index on running exports: one at a time, however many ask at once.
        .map_err(|e| match DomainError::from(e) {
            DomainError::Conflict(_) => DomainError::conflict("an export is already running; wait for it to finish"),
            other => other,
        })?;
        let what = if contact_id.is_some() { "one contact's data" } else { "the organisation" };
        audit(&self.db, org_id, Some(actor.user.id), AuditAction::Export, what).await?;
        let services = self.clone();
        let started = job.clone();
        tokio::spawn(async move { services.run_export(started).await });
        Ok(job.into())
    }

    /// One export job of the organisation (owners and admins).
    pub async fn export_job(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<ExportJob> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "export data")?;
        Ok(find_export(&self.db, org_id, id).await?.into())
    }

    /// The organisation's most recent export jobs, newest first (owners and admins).
    pub async fn recent_exports(&self, actor: &Actor, org_id: Uuid, limit: u64) -> DomainResult<Vec<ExportJob>> {
        use sea_orm::{QueryOrder, QuerySelect};
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "export data")?;
        Ok(export::Entity::find()
            .filter(export::Column::OrganizationId.eq(org_id))
            .order_by_desc(export::Column::CreatedAt)
            .limit(limit.clamp(1, 50))
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The finished archive's path and a file name for the download (owners and admins); a job
    /// still running or failed is a `Conflict`.
    pub async fn export_archive(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<(PathBuf, String)> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "export data")?;
        let job = find_export(&self.db, org_id, id).await?;
        let (ExportStatus::Ready, Some(file)) = (job.status, job.file_name.as_deref()) else {
            return Err(DomainError::conflict("the export is not ready"));
        };
        let path = self.exports_dir.join(file);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Err(DomainError::NotFound("export archive"));
        }
        let day = DateTime::<Utc>::from(job.created_at).format("%Y-%m-%d");
        Ok((path, format!("iterochat-export-{day}-{}.tar.gz", &job.id.simple().to_string()[..8])))
    }

    /// Removes the archives of one contact's exports (their erasure takes the jobs with it).
    pub(crate) async fn remove_contact_exports(&self, org_id: Uuid, contact_id: Uuid) -> DomainResult<()> {
        let jobs = export::Entity::find()
            .filter(export::Column::OrganizationId.eq(org_id))
            .filter(export::Column::ContactId.eq(contact_id))
            .all(&self.db)
            .await?;
        for job in jobs {
            self.remove_export_files(job.id).await;
        }
        Ok(())
    }

    /// Deletes whatever an export job wrote (its parts, a half-packed archive, the archive).
    async fn remove_export_files(&self, id: Uuid) {
        let _ = tokio::fs::remove_dir_all(self.exports_dir.join(format!("{id}.parts"))).await;
        let _ = tokio::fs::remove_file(self.exports_dir.join(format!("{id}.partial"))).await;
        let _ = tokio::fs::remove_file(self.exports_dir.join(format!("{id}.tar.gz"))).await;
    }

    /// After an erasure, finished archives of the organisation still hold the erased data: they
    /// are deleted, and their jobs say why.
    pub(crate) async fn withdraw_exports(&self, org_id: Uuid) -> DomainResult<()> {
        let ready = export::Entity::find()
            .filter(export::Column::OrganizationId.eq(org_id))
            .filter(export::Column::Status.eq(ExportStatus::Ready))
            .all(&self.db)
            .await?;
        for job in ready {
            self.remove_export_files(job.id).await;
            let mut active: export::ActiveModel = job.into();
            active.status = Set(ExportStatus::Failed);
            active.file_name = Set(None);
            active.error = Set(Some("withdrawn: data in it was erased since; start a new export".into()));
            active.updated_at = Set(Utc::now().into());
            active.update(&self.db).await?;
        }
        Ok(())
    }

    /// Removes archives older than a week, and fails jobs whose worker stopped (the server
    /// restarted mid-export: no progress for ten minutes).
    pub async fn expire_exports(&self, now: DateTime<Utc>) -> DomainResult<()> {
        let old = export::Entity::find()
            .filter(export::Column::CreatedAt.lt(now - chrono::Duration::days(KEEP_ARCHIVES_DAYS)))
            .all(&self.db)
            .await?;
        for job in old {
            if let Some(file) = &job.file_name {
                let _ = tokio::fs::remove_file(self.exports_dir.join(file)).await;
            }
            export::Entity::delete_by_id(job.id).exec(&self.db).await?;
        }
        export::Entity::update_many()
            .col_expr(export::Column::Status, sea_orm::sea_query::Expr::value(ExportStatus::Failed))
            .col_expr(export::Column::Error, sea_orm::sea_query::Expr::value("interrupted; start a new export"))
            .filter(export::Column::Status.eq(ExportStatus::Running))
            .filter(export::Column::UpdatedAt.lt(now - chrono::Duration::minutes(10)))
            .exec(&self.db)
            .await?;
        // Files no ready job owns, an hour old: failed or interrupted jobs, erased contacts'
        // exports.
        let ready: Vec<String> = export::Entity::find()
            .filter(export::Column::Status.eq(ExportStatus::Ready))
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|j| j.file_name)
            .collect();
        let running: Vec<String> = export::Entity::find()
            .filter(export::Column::Status.eq(ExportStatus::Running))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|j| j.id.to_string())
            .collect();
        if let Ok(mut dir) = tokio::fs::read_dir(self.exports_dir.as_path()).await {
            while let Ok(Some(entry)) = dir.next_entry().await {
                let name = entry.file_name().to_string_lossy().into_owned();
                let job = name.split('.').next().unwrap_or_default();
                // Old enough that no job can still be writing it (nor one that started since the
                // lists above were read).
                let stale = entry
                    .metadata()
                    .await
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > std::time::Duration::from_secs(3600));
                if !stale || ready.contains(&name) || running.iter().any(|r| r == job) {
                    continue;
                }
                let path = entry.path();
                let _ = if path.is_dir() {
                    tokio::fs::remove_dir_all(path).await
                } else {
                    tokio::fs::remove_file(path).await
                };
            }
        }
        Ok(())
    }

    async fn run_export(&self, job: export::Model) {
        let outcome = self.write_export(&job).await;
        let mut active: export::ActiveModel = job.clone().into();
        active.updated_at = Set(Utc::now().into());
        match outcome {
            Ok((file, bytes)) => {
                active.status = Set(ExportStatus::Ready);
                active.progress = Set(1.0);
                active.file_name = Set(Some(file));
                active.bytes = Set(Some(bytes as i64));
            }
            Err(e) => {
                tracing::error!(export_id = %job.id, error = %crate::error::Report(&e), "export failed");
                self.remove_export_files(job.id).await;
                active.status = Set(ExportStatus::Failed);
                active.error =
                    Set(Some("the export failed; try again, and tell your operator if it keeps failing".into()));
            }
        }
        if let Err(e) = active.update(&self.db).await {
            // The job's row went (its contact was erased meanwhile): so does what it wrote.
            tracing::warn!(export_id = %job.id, error = %crate::error::Report(&e), "recording the export's outcome failed");
            self.remove_export_files(job.id).await;
        }
    }

    /// Writes every section to its own file, then packs them; returns the archive's file name
    /// and size.
    async fn write_export(&self, job: &export::Model) -> DomainResult<(String, u64)> {
        let org = organization::Entity::find_by_id(job.organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("organization"))?;
        let parts = self.exports_dir.join(format!("{}.parts", job.id));
        tokio::fs::create_dir_all(&parts).await.map_err(io_error)?;
        let sections: Vec<&Section> = SECTIONS
            .iter()
            .filter(|s| job.contact_id.is_none() || s.per_contact)
            .filter(|s| job.include_audit || s.file != "audit.jsonl")
            .collect();
        let scope = [job.organization_id.into(), job.contact_id.into()];
        let mut total = 0u64;
        for section in &sections {
            let count = Count::find_by_statement(Statement::from_sql_and_values(
                DbBackend::Postgres,
                section.count_sql(),
                scope.clone(),
            ))
            .one(&self.db)
            .await?
            .map_or(0, |c| c.n);
            total += count.max(0) as u64;
        }
        let mut done = 0u64;
        let mut files = Vec::new();
        for section in &sections {
            let mut out =
                tokio::io::BufWriter::new(tokio::fs::File::create(parts.join(section.file)).await.map_err(io_error)?);
            let sql = section.page_sql();
            let mut after: Option<String> = None;
            let mut rows = 0u64;
            loop {
                let page = Line::find_by_statement(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql.as_str(),
                    [scope[0].clone(), scope[1].clone(), after.clone().into(), PAGE.into()],
                ))
                .all(&self.db)
                .await?;
                for line in &page {
                    out.write_all(line.line.as_bytes()).await.map_err(io_error)?;
                    out.write_all(b"\n").await.map_err(io_error)?;
                }
                rows += page.len() as u64;
                done += page.len() as u64;
                let Some(last) = page.last() else { break };
                after = Some(last.k.clone());
                self.export_progress(job.id, done, total).await?;
                if (page.len() as i64) < PAGE {
                    break;
                }
            }
            out.flush().await.map_err(io_error)?;
            files.push(ManifestFile { name: section.file.into(), rows });
        }
        if job.contact_id.is_none() {
            let settings = serde_json::json!({
                "id": org.id, "name": org.name, "widget_key": org.widget_key,
                "settings": org.settings, "created_at": org.created_at,
            });
            write_json(&parts.join("organization.json"), &settings).await?;
        }
        let manifest = Manifest {
            format: "iterochat-export",
            version: ARCHIVE_FORMAT_VERSION,
            organization_id: org.id,
            organization_name: org.name.clone(),
            contact_id: job.contact_id,
            created_at: Utc::now(),
            files,
        };
        write_json(&parts.join("manifest.json"), &manifest).await?;
        self.export_progress(job.id, done, total).await?;
        let file_name = format!("{}.tar.gz", job.id);
        let archive = self.exports_dir.join(&file_name);
        let bytes = tokio::task::spawn_blocking(move || pack(&parts, &archive))
            .await
            .map_err(|e| DomainError::internal_from("packing the export", e))??;
        Ok((file_name, bytes))
    }

    async fn export_progress(&self, id: Uuid, done: u64, total: u64) -> DomainResult<()> {
        let progress = if total == 0 { 1.0 } else { (done as f32 / total as f32).min(0.99) };
        export::ActiveModel {
            id: Set(id),
            progress: Set(progress),
            updated_at: Set(Utc::now().into()),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        Ok(())
    }
}

async fn find_export(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> DomainResult<export::Model> {
    export::Entity::find_by_id(id)
        .filter(export::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("export"))
}

async fn write_json(path: &Path, value: &impl Serialize) -> DomainResult<()> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| DomainError::internal_from("writing the export", e))?;
    tokio::fs::write(path, text).await.map_err(io_error)
}

fn io_error(e: std::io::Error) -> DomainError {
    DomainError::internal_from("writing the export", e)
}

/// Packs the part files into `archive` (`manifest.json` first) and removes them.
fn pack(parts: &Path, archive: &Path) -> DomainResult<u64> {
    let tmp = archive.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(io_error)?;
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    let mut names: Vec<String> = std::fs::read_dir(parts)
        .map_err(io_error)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort_by_key(|n| (n != "manifest.json", n.clone()));
    for name in &names {
        tar.append_path_with_name(parts.join(name), name).map_err(io_error)?;
    }
    tar.into_inner().map_err(io_error)?.finish().map_err(io_error)?;
    std::fs::rename(&tmp, archive).map_err(io_error)?;
    std::fs::remove_dir_all(parts).map_err(io_error)?;
    Ok(std::fs::metadata(archive).map_err(io_error)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_expand_to_a_page_query_and_a_count() {
        let s = &SECTIONS[5];
        let page = s.page_sql();
        assert!(page.contains("($3::text IS NULL OR f.id > $3::text)"), "{page}");
        assert!(page.ends_with("ORDER BY f.id LIMIT $4"), "{page}");
        let count = s.count_sql();
        assert!(count.contains("AND TRUE"), "{count}");
        assert!(!count.contains("$3") && !count.contains("LIMIT"), "{count}");
        for section in &SECTIONS {
            let sql = section.page_sql() + &section.count_sql();
            assert!(!sql.contains("{keyset") && !sql.contains("{tail"), "{}", section.file);
        }
    }
}
