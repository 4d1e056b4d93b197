//! Extra escalation-alert recipients who are not members confirm their address first.
//!
//! Saving the list mails each new outside address a one-time link
//! (`<public URL>/alerts/confirm/<token>`); until it is opened the address gets no alert, and the
//! settings show it as waiting for confirmation. Members' addresses need no confirmation (they
//! signed in to be members). Removing an address from the list forgets its confirmation.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement};
use uuid::Uuid;

use super::{AlertSettings, NewDelivery, insert, mail};
use crate::entities::alert_recipient;
use crate::organizations::Organization;
use crate::{DomainError, DomainResult, Services, tokens};

/// The mail with the confirmation link.
pub const CONFIRM: &str = "alerts.confirm";

/// Addresses of `list` that belong to members of the organisation (lower case).
async fn member_addresses(db: &impl ConnectionTrait, org_id: Uuid, list: &[String]) -> DomainResult<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT lower(u.email) AS email FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.organization_id = $1 AND lower(u.email) IN (SELECT lower(value) FROM jsonb_array_elements_text($2))",
            [org_id.into(), serde_json::json!(list).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get::<String>("", "email")?)).collect()
}

/// After the list is saved (inside the caller's transaction): each new outside address gets a
/// confirmation mail; addresses no longer listed are forgotten.
pub(crate) async fn request_confirmations(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    org: &Organization,
) -> DomainResult<()> {
    let list: Vec<String> = org.settings.escalation_recipients.iter().map(|e| e.to_lowercase()).collect();
    alert_recipient::Entity::delete_many()
        .filter(alert_recipient::Column::OrganizationId.eq(org.id))
        .filter(alert_recipient::Column::Email.is_not_in(list.clone()))
        .exec(db)
        .await?;
    let members = member_addresses(db, org.id, &list).await?;
    let known: Vec<String> = alert_recipient::Entity::find()
        .filter(alert_recipient::Column::OrganizationId.eq(org.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.email)
        .collect();
    for email in list.iter().filter(|e| !members.contains(e) && !known.contains(e)) {
        let token = tokens::random_token();
        alert_recipient::ActiveModel {
            organization_id: Set(org.id),
            email: Set(email.clone()),
            token_hash: Set(tokens::hash_token(&token)),
            confirmed_at: Set(None),
            created_at: Set(Utc::now().into()),
        }
        .insert(db)
        .await?;
        let payload = mail::recipient_confirmation_mail(settings, &org.name, &token);
        insert(db, settings, NewDelivery::mail(Some(org.id), CONFIRM, email, payload)).await?;
    }
    Ok(())
}

/// The listed outside addresses that have confirmed (lower case).
pub(crate) async fn confirmed(db: &impl ConnectionTrait, org_id: Uuid) -> DomainResult<Vec<String>> {
    Ok(alert_recipient::Entity::find()
        .filter(alert_recipient::Column::OrganizationId.eq(org_id))
        .filter(alert_recipient::Column::ConfirmedAt.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.email)
        .collect())
}

impl Services {
    /// Opens a confirmation link: the address receives the organisation's escalation alerts
    /// from now on. Returns the organisation's name. Unknown link → `NotFound`.
    pub async fn confirm_alert_recipient(&self, token: &str) -> DomainResult<String> {
        if token.is_empty() || token.len() > 128 {
            return Err(DomainError::NotFound("confirmation link"));
        }
        let found = alert_recipient::Entity::find()
            .filter(alert_recipient::Column::TokenHash.eq(tokens::hash_token(token)))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("confirmation link"))?;
        if found.confirmed_at.is_none() {
            alert_recipient::Entity::update_many()
                .col_expr(alert_recipient::Column::ConfirmedAt, sea_orm::sea_query::Expr::value(Utc::now()))
                .filter(alert_recipient::Column::OrganizationId.eq(found.organization_id))
                .filter(alert_recipient::Column::Email.eq(found.email.clone()))
                .exec(&self.db)
                .await?;
        }
        let org = crate::entities::organization::Entity::find_by_id(found.organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("confirmation link"))?;
        Ok(org.name)
    }

    /// The listed addresses still waiting for their confirmation (lower case).
    pub async fn pending_alert_recipients(&self, org_id: Uuid) -> DomainResult<Vec<String>> {
        Ok(alert_recipient::Entity::find()
            .filter(alert_recipient::Column::OrganizationId.eq(org_id))
            .filter(alert_recipient::Column::ConfirmedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.email)
            .collect())
    }
}
