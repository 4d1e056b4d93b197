//! "Forgot password?": a single-use link by mail, valid for 30 minutes. Using it sets a new
//! password, signs out every session of the account and opens a new one. Asking for a link says
//! the same whether or not the address has an account.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::accounts::{NewSession, find_user_by_email, hash_password, insert_session};
use crate::entities::{password_reset, session, user};
use crate::{DomainError, DomainResult, Services, tokens, validation};

/// How long a reset link works.
pub const RESET_TTL_MINUTES: i64 = 30;

fn link_unusable() -> DomainError {
    DomainError::invalid("token", "this reset link has expired or was already used; ask for a new one")
}

impl Services {
    /// Mails a reset link when `email` has an account, and does nothing otherwise: the answer is
    /// the same either way. A new link replaces the account's earlier unused ones.
    pub async fn request_password_reset(&self, email: &str) -> DomainResult<()> {
        let email = validation::email("email", email)?;
        let Some(user) = find_user_by_email(&self.db, &email).await? else {
            tracing::info!("password reset asked for an address without an account");
            return Ok(());
        };
        let token = tokens::random_token();
        let now = Utc::now();
        let expires_at = now + Duration::minutes(RESET_TTL_MINUTES);
        let txn = self.db.begin().await?;
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(user.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        password_reset::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user.id),
            token_hash: Set(tokens::hash_token(&token)),
            expires_at: Set(expires_at.into()),
            used_at: Set(None),
            created_at: Set(now.into()),
        }
        .insert(&txn)
        .await?;
        let mail = crate::alerts::ResetMail { email: &user.email, name: &user.name, token: &token, expires_at };
        crate::alerts::enqueue_password_reset(&txn, &self.alerts, &mail).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(user_id = %user.id, "password reset link sent");
        Ok(())
    }

    /// Sets `password` with a reset link's `token`. The link works once; every session of the
    /// account is signed out and a new one opened. A refused password leaves the link usable.
    pub async fn reset_password(&self, token: &str, password: &str) -> DomainResult<NewSession> {
        validation::new_password(password)?;
        if token.is_empty() || token.len() > 128 {
            return Err(link_unusable());
        }
        let reset = password_reset::Entity::find()
            .filter(password_reset::Column::TokenHash.eq(tokens::hash_token(token)))
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await?
            .ok_or_else(link_unusable)?;
        let password_hash = hash_password(password.to_owned()).await?;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        // Taken once, even by two racing requests.
        let taken = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(now))
            .filter(password_reset::Column::Id.eq(reset.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if taken == 0 {
            return Err(link_unusable());
        }
        let user = user::Entity::find_by_id(reset.user_id).one(&txn).await?.ok_or_else(link_unusable)?;
        let mut changed: user::ActiveModel = user.into();
        changed.password_hash = Set(password_hash);
        let user = changed.update(&txn).await?;
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::UserId.eq(user.id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        let token = insert_session(&txn, user.id).await?;
        txn.commit().await?;
        // The signed-out sessions' live sockets close too, on every instance.
        self.access_changed(user.id).await;
        self.login_failures.succeeded(&user.email);
        tracing::info!(user_id = %user.id, "password reset; other sessions signed out");
        Ok(NewSession { token, user: user.into() })
    }
}
