//! Members and invites of one organisation, under the rules in [`crate::roles`].
//!
//! Every function first resolves the caller's role in the organisation (non-members get
//! `NotFound`), then checks the role rule, then acts. The last owner can never be removed or
//! demoted: owner changes lock the owner rows so two concurrent demotions cannot both pass.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use uuid::Uuid;

use crate::accounts::{Actor, find_user_by_email};
use crate::entities::{invite, membership, organization, user};
use crate::{DomainError, DomainResult, Role, Services, tokens, validation};

/// How long an invite stays valid.
pub const INVITE_TTL_DAYS: i64 = 7;

/// A member as the team page shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// A pending (not yet accepted) invite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingInvite {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
}

/// A newly created invite; `token` is visible only here (it goes into the invite link).
#[derive(Clone, Debug)]
pub struct CreatedInvite {
    pub invite: PendingInvite,
    pub token: String,
}

/// What the accept page shows before the invitee accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitePreview {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub expired: bool,
    pub accepted: bool,
}

/// The team page for one viewer: members with what the viewer may do to each, pending invites,
/// and the roles the viewer may invite as. Derived from the same rules the actions enforce.
#[derive(Clone, Debug)]
pub struct TeamView {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub my_role: Role,
    /// Each member with the roles the viewer may assign (empty: none) and whether they may remove them.
    pub members: Vec<(Member, Vec<Role>, bool)>,
    pub invites: Vec<PendingInvite>,
    pub invitable_roles: Vec<Role>,
}

impl TryFrom<invite::Model> for PendingInvite {
    type Error = DomainError;
    fn try_from(m: invite::Model) -> DomainResult<Self> {
        let expires_at: DateTime<Utc> = m.expires_at.into();
        Ok(Self { id: m.id, email: m.email, role: m.role, expires_at, expired: expires_at <= Utc::now() })
    }
}

impl Services {
    /// Invites `email` as `role`. Re-inviting the same address replaces its pending invite, if
    /// the inviter could have sent that one: an admin cannot cancel an owner's pending admin or
    /// owner invite by re-inviting the address as an agent (403).
    pub async fn invite(&self, actor: &Actor, org_id: Uuid, email: &str, role: Role) -> DomainResult<CreatedInvite> {
        let (org, my_role) = self.organization_for_member(actor.user.id, org_id).await?;
        my_role.ensure_can_invite(role)?;
        let email = validation::email("email", email)?;
        if let Some(existing) = find_user_by_email(&self.db, &email).await?
            && membership::Entity::find_by_id((org_id, existing.id)).one(&self.db).await?.is_some()
        {
            return Err(DomainError::conflict(format!("{email} is already a member of this organization")));
        }
        let pending = invite::Entity::find()
            .filter(invite::Column::OrganizationId.eq(org_id))
            .filter(invite::Column::Email.eq(email.clone()))
            .filter(invite::Column::AcceptedAt.is_null())
            .all(&self.db)
            .await?;
        for earlier in &pending {
            my_role.ensure_can_invite(earlier.role).map_err(|_| {
                DomainError::forbidden(format!(
                    "{email} has a pending {} invite that only an owner can replace",
                    earlier.role
                ))
            })?;
        }
        let token = tokens::random_token();
        let txn = self.db.begin().await?;
        invite::Entity::delete_many()
            .filter(invite::Column::OrganizationId.eq(org_id))
            .filter(invite::Column::Email.eq(email.clone()))
            .filter(invite::Column::AcceptedAt.is_null())
            .exec(&txn)
            .await?;
        let now = Utc::now();
        let created = invite::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org_id),
            email: Set(email),
            role: Set(role),
            token_hash: Set(tokens::hash_token(&token)),
            invited_by: Set(Some(actor.user.id)),
            expires_at: Set((now + Duration::days(INVITE_TTL_DAYS)).into()),
            accepted_at: Set(None),
            accepted_by: Set(None),
            created_at: Set(now.into()),
        }
        .insert(&txn)
        .await?;
        // The invitee gets the link by mail, through the same outbox as alerts.
        let mail = crate::alerts::InviteMail {
            organization_id: org_id,
            organization_name: &org.name,
            inviter: &actor.user.name,
            email: &created.email,
            role: role.as_str(),
            token: &token,
            expires_at: created.expires_at.into(),
        };
        crate::alerts::enqueue_invite(&txn, &self.alerts, &mail).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(CreatedInvite { invite: created.try_into()?, token })
    }

    /// Invites not yet accepted (expired ones included, flagged), newest first. Owners and admins.
    pub async fn pending_invites(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<PendingInvite>> {
        self.membership(actor, org_id).await?.role.ensure_can_view_team()?;
        invite::Entity::find()
            .filter(invite::Column::OrganizationId.eq(org_id))
            .filter(invite::Column::AcceptedAt.is_null())
            .order_by_desc(invite::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(PendingInvite::try_from)
            .collect()
    }

    /// Withdraws a pending invite; admins only withdraw agent invites.
    pub async fn revoke_invite(&self, actor: &Actor, org_id: Uuid, invite_id: Uuid) -> DomainResult<()> {
        let my_role = self.membership(actor, org_id).await?.role;
        my_role.ensure_can_view_team()?;
        let found = invite::Entity::find_by_id(invite_id)
            .filter(invite::Column::OrganizationId.eq(org_id))
            .filter(invite::Column::AcceptedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("invite"))?;
        my_role.ensure_can_invite(found.role)?;
        invite::Entity::delete_by_id(found.id).exec(&self.db).await?;
        Ok(())
    }

    /// Public details of an invite, for the accept page. Unknown token → `NotFound`.
    pub async fn invite_preview(&self, token: &str) -> DomainResult<InvitePreview> {
        let (inv, org) = find_invite(&self.db, token).await?;
        let expires_at: DateTime<Utc> = inv.expires_at.into();
        Ok(InvitePreview {
            organization_id: org.id,
            organization_name: org.name,
            email: inv.email,
            role: inv.role,
            expired: expires_at <= Utc::now(),
            accepted: inv.accepted_at.is_some(),
        })
    }

    /// Accepts an invite as the signed-in invitee: adds the membership, marks the invite used.
    pub async fn accept_invite(&self, actor: &Actor, token: &str) -> DomainResult<crate::accounts::MembershipInfo> {
        let (inv, org) = find_invite(&self.db, token).await?;
        ensure_usable(&inv)?;
        if inv.email != actor.user.email {
            return Err(DomainError::forbidden(format!(
                "this invite was sent to {}; sign in with that address to accept it",
                inv.email
            )));
        }
        if membership::Entity::find_by_id((org.id, actor.user.id)).one(&self.db).await?.is_some() {
            return Err(DomainError::conflict("you are already a member of this organization"));
        }
        let role = inv.role;
        let txn = self.db.begin().await?;
        claim_invite(&txn, &inv, actor.user.id).await?;
        txn.commit().await?;
        Ok(crate::accounts::MembershipInfo { organization_id: org.id, organization_name: org.name, role })
    }

    /// Creates the invitee's account from an invite link and accepts the invite, atomically:
    /// the email is the invite's, so no separate organisation is created.
    pub async fn signup_with_invite(
        &self,
        token: &str,
        name: &str,
        password: &str,
    ) -> DomainResult<crate::accounts::NewSession> {
        let (inv, _org) = find_invite(&self.db, token).await?;
        let name = validation::name("name", name)?;
        validation::new_password(password)?;
        ensure_usable(&inv)?;
        if find_user_by_email(&self.db, &inv.email).await?.is_some() {
            return Err(DomainError::conflict(
                "an account with this email already exists; sign in to accept the invite",
            ));
        }
        let password_hash = crate::accounts::hash_password(password.to_owned()).await?;
        let txn = self.db.begin().await?;
        let person = user::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(inv.email.clone()),
            name: Set(name),
            password_hash: Set(password_hash),
            notify_escalations: Set(true),
            created_at: Set(Utc::now().into()),
        }
        .insert(&txn)
        .await?;
        claim_invite(&txn, &inv, person.id).await?;
        let token = crate::accounts::insert_session(&txn, person.id).await?;
        txn.commit().await?;
        Ok(crate::accounts::NewSession { token, user: person.into() })
    }

    /// Everything the team page shows, for owners and admins (agents → `Forbidden`).
    pub async fn team_view(&self, actor: &Actor, org_id: Uuid) -> DomainResult<TeamView> {
        let (org, my_role) = self.organization_for_member(actor.user.id, org_id).await?;
        my_role.ensure_can_view_team()?;
        let members = self
            .members(actor, org_id)
            .await?
            .into_iter()
            .map(|m| {
                // One's own row offers nothing: a person does not demote or remove themselves
                // from the team page by a slip (the REST routes keep their own rules).
                if m.user_id == actor.user.id {
                    return (m, Vec::new(), false);
                }
                let assignable = my_role.assignable_roles(m.role);
                let removable = my_role.ensure_can_remove(m.role).is_ok();
                (m, assignable, removable)
            })
            .collect();
        Ok(TeamView {
            organization_id: org.id,
            organization_name: org.name,
            my_role,
            members,
            invites: self.pending_invites(actor, org_id).await?,
            invitable_roles: my_role.invitable_roles(),
        })
    }

    /// Everyone in the organisation, owners first. Owners and admins only.
    pub async fn members(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<Member>> {
        self.membership(actor, org_id).await?.role.ensure_can_view_team()?;
        let rows = membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(org_id))
            .order_by_asc(membership::Column::CreatedAt)
            .find_also_related(user::Entity)
            .all(&self.db)
            .await?;
        let mut members = rows
            .into_iter()
            .filter_map(|(m, u)| u.map(|u| (m, u)))
            .map(|(m, u)| {
                Ok(Member { user_id: u.id, email: u.email, name: u.name, role: m.role, joined_at: m.created_at.into() })
            })
            .collect::<DomainResult<Vec<_>>>()?;
        members.sort_by(|a, b| b.role.cmp(&a.role).then(a.joined_at.cmp(&b.joined_at)));
        Ok(members)
    }

    /// Changes a member's role. Demoting the last owner → `Conflict`.
    pub async fn change_role(&self, actor: &Actor, org_id: Uuid, target: Uuid, new_role: Role) -> DomainResult<Member> {
        let my_role = self.membership(actor, org_id).await?.role;
        my_role.ensure_can_view_team()?;
        let txn = self.db.begin().await?;
        let current = target_membership(&txn, org_id, target).await?;
        let current_role = current.role;
        my_role.ensure_can_change_role(current_role, new_role)?;
        if current_role == Role::Owner && new_role != Role::Owner {
            ensure_another_owner(&txn, org_id, "demote").await?;
        }
        let mut active =
            membership::ActiveModel { organization_id: Set(org_id), user_id: Set(target), ..Default::default() };
        active.role = Set(new_role);
        let updated = active.update(&txn).await?;
        let person = user::Entity::find_by_id(target).one(&txn).await?.ok_or(DomainError::NotFound("member"))?;
        if current_role != new_role {
            let target = format!("{}: {current_role} → {new_role}", person.email);
            crate::privacy::audit(&txn, org_id, Some(actor.user.id), crate::privacy::AuditAction::MemberRole, &target)
                .await?;
        }
        txn.commit().await?;
        Ok(Member {
            user_id: person.id,
            email: person.email,
            name: person.name,
            role: new_role,
            joined_at: updated.created_at.into(),
        })
    }

    /// Removes a member from the organisation. Removing the last owner → `Conflict`.
    pub async fn remove_member(&self, actor: &Actor, org_id: Uuid, target: Uuid) -> DomainResult<()> {
        let my_role = self.membership(actor, org_id).await?.role;
        my_role.ensure_can_view_team()?;
        let txn = self.db.begin().await?;
        let current = target_membership(&txn, org_id, target).await?;
        let current_role = current.role;
        my_role.ensure_can_remove(current_role)?;
        if current_role == Role::Owner {
            ensure_another_owner(&txn, org_id, "remove").await?;
        }
        membership::Entity::delete_by_id((org_id, target)).exec(&txn).await?;
        let email = user::Entity::find_by_id(target).one(&txn).await?.map(|u| u.email).unwrap_or_default();
        let what = format!("{email} ({current_role})");
        crate::privacy::audit(&txn, org_id, Some(actor.user.id), crate::privacy::AuditAction::MemberRemove, &what)
            .await?;
        txn.commit().await?;
        self.access_changed(target).await;
        Ok(())
    }
}

async fn find_invite(db: &impl ConnectionTrait, token: &str) -> DomainResult<(invite::Model, organization::Model)> {
    if token.is_empty() || token.len() > 128 {
        return Err(DomainError::NotFound("invite"));
    }
    let inv = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(tokens::hash_token(token)))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("invite"))?;
    let org =
        organization::Entity::find_by_id(inv.organization_id).one(db).await?.ok_or(DomainError::NotFound("invite"))?;
    Ok((inv, org))
}

/// Expired or already-used invites are refused with a message saying which.
fn ensure_usable(inv: &invite::Model) -> DomainResult<()> {
    if inv.accepted_at.is_some() {
        return Err(DomainError::conflict("this invite has already been used"));
    }
    if DateTime::<Utc>::from(inv.expires_at) <= Utc::now() {
        return Err(DomainError::conflict("this invite has expired; ask for a new one"));
    }
    Ok(())
}

/// Marks the invite used by `user_id` and adds the membership. The conditional update makes
/// exactly one of two concurrent accepts win; run it inside the caller's transaction.
async fn claim_invite(db: &impl ConnectionTrait, inv: &invite::Model, user_id: Uuid) -> DomainResult<()> {
    let claimed = invite::Entity::update_many()
        .col_expr(invite::Column::AcceptedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .col_expr(invite::Column::AcceptedBy, sea_orm::sea_query::Expr::value(user_id))
        .filter(invite::Column::Id.eq(inv.id))
        .filter(invite::Column::AcceptedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(DomainError::conflict("this invite has already been used"));
    }
    membership::ActiveModel {
        organization_id: Set(inv.organization_id),
        user_id: Set(user_id),
        role: Set(inv.role),
        created_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn target_membership(db: &impl ConnectionTrait, org_id: Uuid, target: Uuid) -> DomainResult<membership::Model> {
    membership::Entity::find_by_id((org_id, target)).one(db).await?.ok_or(DomainError::NotFound("member"))
}

/// Locks the organisation's owner rows and fails unless more than one owner exists.
async fn ensure_another_owner(db: &impl ConnectionTrait, org_id: Uuid, verb: &str) -> DomainResult<()> {
    let owners = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::Role.eq(Role::Owner))
        .lock_exclusive()
        .all(db)
        .await?
        .len();
    if owners <= 1 {
        return Err(DomainError::conflict(format!("cannot {verb} the last owner; make someone else an owner first")));
    }
    Ok(())
}

/// Number of members, for dashboards and tests.
pub async fn member_count(db: &impl ConnectionTrait, org_id: Uuid) -> DomainResult<u64> {
    Ok(membership::Entity::find().filter(membership::Column::OrganizationId.eq(org_id)).count(db).await?)
}
