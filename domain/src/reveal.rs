//! Secrets shown once on the dashboard (a new webhook's signing secret, a feedback project's
//! key). The page that creates one redirects to a page that shows it; rather than putting the
//! secret in that URL (browser history, proxy logs, Referer headers, shown again on reload), it
//! is kept here under a random id bound to the creator's session, read once, and forgotten after
//! ten minutes.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::accounts::Actor;
use crate::{DomainResult, Services};

impl Services {
    /// Keeps `secret` for the actor's session; returns the id to reveal it with.
    pub async fn stash_secret(&self, actor: &Actor, secret: &str) -> DomainResult<Uuid> {
        let id = Uuid::new_v4();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH expired AS (DELETE FROM revealed_secrets WHERE created_at < now() - interval '10 minutes') \
                 INSERT INTO revealed_secrets (id, session_id, secret) VALUES ($1, $2, $3)",
                [id.into(), actor.session_id.into(), secret.into()],
            ))
            .await?;
        Ok(id)
    }

    /// The secret stashed under `id` by this session, once; `None` for another session's, an
    /// expired or an already revealed one.
    pub async fn take_secret(&self, actor: &Actor, id: Uuid) -> DomainResult<Option<String>> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM revealed_secrets WHERE id = $1 AND session_id = $2 \
                 AND created_at >= now() - interval '10 minutes' RETURNING secret",
                [id.into(), actor.session_id.into()],
            ))
            .await?;
        Ok(row.map(|r| r.try_get::<String>("", "secret")).transpose()?)
    }
}
