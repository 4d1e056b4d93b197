//! Contacts: who a visitor is, from the pre-chat form and from what they write.
//!
//! - One contact per email per organisation, case-insensitively: two browsers that give the same
//!   email share one contact (a unique index enforces it; concurrent forms cannot duplicate).
//! - A fuller name replaces a shorter one ("Ana" → "Ana García"), never the reverse.
//! - An email address or phone number in a visitor's message is added to their contact (a new
//!   contact if they had none). A phone number counts when it starts with `+`, or when the
//!   message mentions a phone ("call", "phone", "teléfono", "WhatsApp"…) — so order numbers are
//!   not taken for phone numbers. An email in a message never replaces one already given.
//! - **An unverified claim never changes or takes over a stored contact.** A visitor who gives
//!   an email that belongs to another contact (a returning customer on a new browser, or
//!   someone pretending to be them) is not linked to it: the name and email are kept on the
//!   visitor as a claim, shown to agents as unverified, and an agent merges them with one action
//!   (written to the audit log).

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::Visitor;
use crate::entities::{contact, visitor};
use crate::{DomainResult, Services, validation};

/// Words that make a digit run in the same message a phone number.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "call",
    "mobile",
    "cell",
    "tel",
    "whatsapp",
    "teléfono",
    "telefono",
    "móvil",
    "llamar",
    "telefon",
    "handy",
    "anrufen",
    "téléphone",
    "portable",
    "appeler",
    "telefone",
    "celular",
    "ligar",
    "cellulare",
    "chiamare",
    "bellen",
    "mobiel",
];

/// Email addresses in `text`, normalised, in order of appearance.
pub fn emails_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\''))
        .filter(|w| w.contains('@'))
        .filter_map(|w| validation::email("email", w.trim_end_matches(['.', '!', '?', ':'])).ok())
        .collect();
    out.dedup();
    out
}

/// Phone numbers in `text` as `+` and digits (8–15 digits); see the module rules.
pub fn phones_in(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mentioned = lower.split(|c: char| !c.is_alphanumeric()).any(|w| PHONE_WORDS.contains(&w));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '+' || chars[i] == '(' || chars[i].is_ascii_digit();
        let after_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if !(starts && after_word) {
            i += 1;
            continue;
        }
        let plus = chars[i] == '+';
        let mut digits = String::new();
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], '+' | ' ' | '-' | '.' | '(' | ')')) {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
            } else if chars[j] == '+' && j != i {
                break;
            }
            j += 1;
        }
        if (8..=15).contains(&digits.len()) && (plus || mentioned) {
            out.push(if plus { format!("+{digits}") } else { digits });
        }
        i = j.max(i + 1);
    }
    out.dedup();
    out
}

/// Whether `new` is a fuller version of the name we have: more words, or as many and longer.
pub fn is_fuller_name(old: Option<&str>, new: &str) -> bool {
    let Some(old) = old.map(str::trim).filter(|o| !o.is_empty()) else { return true };
    let (old_words, new_words) = (old.split_whitespace().count(), new.split_whitespace().count());
    new_words > old_words || (new_words == old_words && new.chars().count() > old.chars().count())
}

impl Services {
    /// Stores the visitor's name and email (the pre-chat form) on the organisation's contact for
    /// that email, creating it if needed, and links the visitor to it.
    pub async fn set_visitor_contact(&self, visitor: &Visitor, name: &str, email: &str) -> DomainResult<()> {
        let name = validation::name("name", name)?;
        let email = validation::email("email", email)?;
        self.attach_contact(visitor, Some(&name), Some(&email), None).await
    }

    /// Adds the emails and phone numbers a visitor wrote to their contact.
    pub(super) async fn absorb_contact_details(&self, visitor: &Visitor, text: &str) -> DomainResult<()> {
        let email = emails_in(text).into_iter().next();
        let phone = phones_in(text).into_iter().next();
        if email.is_none() && phone.is_none() {
            return Ok(());
        }
        // A given email is never replaced by one mentioned in passing.
        let email = email.filter(|_| visitor.email.is_none());
        self.attach_contact(visitor, None, email.as_deref(), phone.as_deref()).await
    }

    /// The visitor's contact details, if any: `(name, email)`.
    pub(super) async fn contact_of(&self, contact_id: Option<Uuid>) -> DomainResult<(Option<String>, Option<String>)> {
        let Some(id) = contact_id else { return Ok((None, None)) };
        Ok(contact::Entity::find_by_id(id).one(&self.db).await?.map(|c| (c.name, c.email)).unwrap_or_default())
    }

    /// Links the visitor of conversation `id` to the contact their unverified claim names and
    /// clears the claim (any member; written to the audit log). Nothing to merge → `Conflict`.
    pub async fn merge_claimed_contact(
        &self,
        actor: &crate::accounts::Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<()> {
        self.membership(actor, org_id).await?;
        let conv = super::find_conversation(&self.db, org_id, id).await?;
        let txn = self.db.begin().await?;
        let found = visitor::Entity::find_by_id(conv.visitor_id)
            .filter(visitor::Column::OrganizationId.eq(org_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(crate::DomainError::NotFound("conversation"))?;
        let Some(email) = found.claimed_email.clone() else {
            return Err(crate::DomainError::conflict("this visitor has no unverified details to merge"));
        };
        let contact = by_email(&txn, org_id, &email)
            .await?
            .ok_or_else(|| crate::DomainError::conflict(format!("no contact has the email {email} any more")))?;
        visitor::Entity::update_many()
            .col_expr(visitor::Column::ContactId, Expr::value(contact.id))
            .col_expr(visitor::Column::ClaimedName, Expr::value(Option::<String>::None))
            .col_expr(visitor::Column::ClaimedEmail, Expr::value(Option::<String>::None))
            .filter(visitor::Column::Id.eq(found.id))
            .exec(&txn)
            .await?;
        crate::privacy::audit(
            &txn,
            org_id,
            Some(actor.user.id),
            crate::privacy::AuditAction::ContactMerge,
            // An opaque id only: the audit log outlives an erasure and keeps no personal data.
            &format!("a visitor's claim into contact {}", contact.id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Merges details into the contact for `email` (or the visitor's current one) in one
    /// transaction and links the visitor to it.
    async fn attach_contact(
        &self,
        visitor: &Visitor,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> DomainResult<()> {
        let txn = self.db.begin().await?;
        let current = match visitor_contact_id(&txn, visitor.id).await? {
            Some(id) => contact::Entity::find_by_id(id).lock_exclusive().one(&txn).await?,
            None => None,
        };
        let target = match email {
            // The email's contact when it is the visitor's own; another contact's email is only
            // a claim. Else the email is added to the visitor's contact if it has none yet.
            Some(email) => match by_email(&txn, visitor.organization_id, email).await? {
                Some(found) if Some(found.id) != current.as_ref().map(|c| c.id) => {
                    visitor::Entity::update_many()
                        .col_expr(visitor::Column::ClaimedName, Expr::value(name.map(str::to_owned)))
                        .col_expr(visitor::Column::ClaimedEmail, Expr::value(email.to_owned()))
                        .col_expr(visitor::Column::LastSeenAt, Expr::value(Utc::now()))
                        .filter(visitor::Column::Id.eq(visitor.id))
                        .exec(&txn)
                        .await?;
                    txn.commit().await?;
                    return Ok(());
                }
                Some(found) => Some(found),
                None => match current.clone().filter(|c| c.email.is_none()) {
                    Some(mine) => Some(mine),
                    None => Some(insert_contact(&txn, visitor.organization_id, email).await?),
                },
            },
            None => current.clone(),
        };
        let now = Utc::now();
        let contact = match target {
            Some(c) => c,
            None => {
                contact::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    organization_id: Set(visitor.organization_id),
                    name: Set(None),
                    email: Set(None),
                    phone: Set(None),
                    created_at: Set(now.into()),
                    updated_at: Set(now.into()),
                }
                .insert(&txn)
                .await?
            }
        };
        let mut active: contact::ActiveModel = contact.clone().into();
        if let Some(name) = name.filter(|n| is_fuller_name(contact.name.as_deref(), n)) {
            active.name = Set(Some(name.to_owned()));
        }
        if contact.email.is_none()
            && let Some(email) = email
        {
            active.email = Set(Some(email.to_owned()));
        }
        // A phone number from the visitor's earlier (phone-only) contact moves along.
        let phone = phone.map(str::to_owned).or_else(|| current.as_ref().and_then(|c| c.phone.clone()));
        if let Some(phone) = phone.filter(|p| contact.phone.as_deref() != Some(p.as_str())) {
            active.phone = Set(Some(phone));
        }
        if active.is_changed() {
            active.updated_at = Set(now.into());
            active.update(&txn).await?;
        }
        visitor::Entity::update_many()
            .col_expr(visitor::Column::ContactId, Expr::value(contact.id))
            .col_expr(visitor::Column::LastSeenAt, Expr::value(now))
            .filter(visitor::Column::Id.eq(visitor.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn visitor_contact_id(db: &impl ConnectionTrait, visitor_id: Uuid) -> DomainResult<Option<Uuid>> {
    Ok(visitor::Entity::find_by_id(visitor_id).one(db).await?.and_then(|v| v.contact_id))
}

async fn by_email(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    email: &str,
) -> DomainResult<Option<contact::Model>> {
    Ok(contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(organization_id))
        .filter(ExprTrait::eq(Expr::expr(Func::lower(Expr::col(contact::Column::Email))), email.to_lowercase()))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// Inserts the contact for `email`, or finds the one a concurrent request just inserted.
async fn insert_contact(db: &impl ConnectionTrait, organization_id: Uuid, email: &str) -> DomainResult<contact::Model> {
    let now = Utc::now();
    let id = Uuid::new_v4();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO contacts (id, organization_id, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (organization_id, lower(email)) WHERE email IS NOT NULL DO NOTHING",
        [id.into(), organization_id.into(), email.into(), now.into()],
    ))
    .await?;
    by_email(db, organization_id, email).await?.ok_or(crate::DomainError::internal("contact vanished"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_are_found_in_messages() {
        assert_eq!(emails_in("write to Ana.G@Example.org, thanks!"), vec!["ana.g@example.org"]);
        assert_eq!(emails_in("my email is <bob@shop.io>."), vec!["bob@shop.io"]);
        assert!(emails_in("I'm @bob on twitter, or a@b").is_empty());
        assert_eq!(phones_in("Reach me on +34 612 345 678 after 5"), vec!["+34612345678"]);
        assert_eq!(phones_in("call me: (030) 1234-5678"), vec!["03012345678"]);
        assert_eq!(phones_in("Mi teléfono es 612 345 678."), vec!["612345678"]);
        // Order numbers are not phone numbers.
        assert!(phones_in("Order 123456789 has not arrived").is_empty());
        assert!(phones_in("call about order 12345").is_empty());
    }

    #[test]
    fn fuller_names_replace_shorter_ones_only() {
        assert!(is_fuller_name(None, "Ana"));
        assert!(is_fuller_name(Some("Ana"), "Ana García"));
        assert!(!is_fuller_name(Some("Ana García"), "Ana"));
        assert!(is_fuller_name(Some("Bob"), "Bobby"));
        assert!(!is_fuller_name(Some("Ana García"), "Ana Gómez"));
    }
}
