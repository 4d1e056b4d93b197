//! Secrets shown once on the dashboard (a new webhook's signing secret, a feedback project's
//! key). The page that creates one redirects to a page that shows it; rather than putting the
//! secret in that URL (browser history, proxy logs, Referer headers, shown again on reload), it
//! is kept here under a random id bound to the creator's session, read once, and forgotten after
//! ten minutes.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::accounts::Actor;
use crate::entities::revealed_secret;
use crate::{DomainResult, Services};

/// How long a stashed secret can be revealed.
const KEEP_MINUTES: i64 = 10;

impl Services {
    /// Keeps `secret` for the actor's session; returns the id to reveal it with.
    pub async fn stash_secret(&self, actor: &Actor, secret: &str) -> DomainResult<Uuid> {
        revealed_secret::Entity::delete_many()
            .filter(revealed_secret::Column::CreatedAt.lt(Utc::now() - Duration::minutes(KEEP_MINUTES)))
            .exec(&self.db)
            .await?;
        let id = Uuid::new_v4();
        revealed_secret::ActiveModel {
            id: Set(id),
            session_id: Set(actor.session_id),
            secret: Set(secret.to_owned()),
            created_at: Set(Utc::now().into()),
        }
        .insert(&self.db)
        .await?;
        Ok(id)
    }

    /// The secret stashed under `id` by this session, once; `None` for another session's, an
    /// expired or an already revealed one.
    pub async fn take_secret(&self, actor: &Actor, id: Uuid) -> DomainResult<Option<String>> {
        let taken = revealed_secret::Entity::delete_many()
            .filter(revealed_secret::Column::Id.eq(id))
            .filter(revealed_secret::Column::SessionId.eq(actor.session_id))
            .filter(revealed_secret::Column::CreatedAt.gte(Utc::now() - Duration::minutes(KEEP_MINUTES)))
            .exec_with_returning(&self.db)
            .await?;
        Ok(taken.into_iter().next().map(|r| r.secret))
    }
}
