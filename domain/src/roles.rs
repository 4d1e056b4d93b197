//! Roles inside one organisation and the team rules between them.
//!
//! Owners do anything. Admins manage the knowledge base and the team, but only over agent-level
//! people and invites. Agents work conversations only. These checks are the single source of
//! truth; the UI merely hides what they would refuse.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use crate::{DomainError, DomainResult};

/// A member's role in one organisation. Ordered by power: `Agent < Admin < Owner`. Stored as
/// checked text in `memberships.role` and `invites.role`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[sea_orm(string_value = "agent")]
    Agent,
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "owner")]
    Owner,
}

impl Role {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Parses a wire/database name; anything else is an invalid `role` field.
    pub fn parse(value: &str) -> DomainResult<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "agent" => Ok(Role::Agent),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(DomainError::invalid("role", "role must be owner, admin or agent")),
        }
    }

    /// Whether this role may see and manage the team page at all.
    pub fn can_manage_team(self) -> bool {
        self >= Role::Admin
    }

    /// Whether this role may edit the knowledge base and organisation settings.
    pub fn can_manage_knowledge(self) -> bool {
        self >= Role::Admin
    }

    /// May `self` invite someone as `role`? Owners: any role. Admins: agents only.
    pub fn ensure_can_invite(self, role: Role) -> DomainResult<()> {
        match self {
            Role::Owner => Ok(()),
            Role::Admin if role == Role::Agent => Ok(()),
            Role::Admin => Err(DomainError::forbidden("admins can only invite agents")),
            Role::Agent => Err(DomainError::forbidden("agents cannot manage the team")),
        }
    }

    /// May `self` change a member from `current` to `new`? Admins only touch agents, and only
    /// keep them agents; anything involving an admin or owner needs an owner.
    pub fn ensure_can_change_role(self, current: Role, new: Role) -> DomainResult<()> {
        match self {
            Role::Owner => Ok(()),
            Role::Admin if current == Role::Agent && new == Role::Agent => Ok(()),
            Role::Admin => Err(DomainError::forbidden("admins can only manage agents")),
            Role::Agent => Err(DomainError::forbidden("agents cannot manage the team")),
        }
    }

    /// May `self` remove a member whose role is `target`?
    pub fn ensure_can_remove(self, target: Role) -> DomainResult<()> {
        match self {
            Role::Owner => Ok(()),
            Role::Admin if target == Role::Agent => Ok(()),
            Role::Admin => Err(DomainError::forbidden("admins can only remove agents")),
            Role::Agent => Err(DomainError::forbidden("agents cannot manage the team")),
        }
    }

    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Agent];

    /// Roles `self` may invite as (for forms; the `ensure_*` checks still decide).
    pub fn invitable_roles(self) -> Vec<Role> {
        Self::ALL.into_iter().filter(|r| self.ensure_can_invite(*r).is_ok()).collect()
    }

    /// Roles `self` may move a `current` member to; empty when nothing would change.
    pub fn assignable_roles(self, current: Role) -> Vec<Role> {
        let roles: Vec<Role> =
            Self::ALL.into_iter().filter(|r| self.ensure_can_change_role(current, *r).is_ok()).collect();
        if roles.iter().all(|r| *r == current) { Vec::new() } else { roles }
    }

    /// Team-page access (member list, pending invites).
    pub fn ensure_can_view_team(self) -> DomainResult<()> {
        if self.can_manage_team() { Ok(()) } else { Err(DomainError::forbidden("agents cannot manage the team")) }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::Role::{self, *};

    #[rstest]
    #[case(Owner, Owner, true)]
    #[case(Owner, Admin, true)]
    #[case(Owner, Agent, true)]
    #[case(Admin, Owner, false)]
    #[case(Admin, Admin, false)]
    #[case(Admin, Agent, true)]
    #[case(Agent, Agent, false)]
    fn invites_follow_the_role_ladder(#[case] actor: Role, #[case] role: Role, #[case] allowed: bool) {
        assert_eq!(actor.ensure_can_invite(role).is_ok(), allowed);
    }

    #[rstest]
    #[case(Owner, Admin, Agent, true)]
    #[case(Owner, Agent, Owner, true)]
    #[case(Admin, Agent, Agent, true)]
    #[case(Admin, Agent, Admin, false)]
    #[case(Admin, Admin, Agent, false)]
    #[case(Admin, Owner, Agent, false)]
    #[case(Agent, Agent, Agent, false)]
    fn admins_only_touch_agents(#[case] actor: Role, #[case] current: Role, #[case] new: Role, #[case] allowed: bool) {
        assert_eq!(actor.ensure_can_change_role(current, new).is_ok(), allowed);
    }

    #[rstest]
    #[case(Owner, Owner, true)]
    #[case(Admin, Agent, true)]
    #[case(Admin, Admin, false)]
    #[case(Agent, Agent, false)]
    fn removal_follows_the_role_ladder(#[case] actor: Role, #[case] target: Role, #[case] allowed: bool) {
        assert_eq!(actor.ensure_can_remove(target).is_ok(), allowed);
    }

    #[test]
    fn forms_offer_only_what_the_rules_allow() {
        assert_eq!(Admin.invitable_roles(), vec![Agent]);
        assert_eq!(Owner.invitable_roles(), vec![Owner, Admin, Agent]);
        assert!(Admin.assignable_roles(Agent).is_empty());
        assert_eq!(Owner.assignable_roles(Agent), vec![Owner, Admin, Agent]);
        assert!(Agent.invitable_roles().is_empty());
    }

    #[test]
    fn parses_wire_names_and_rejects_others() {
        assert_eq!(Role::parse(" Admin ").ok(), Some(Admin));
        assert!(Role::parse("superuser").is_err());
    }
}
