//! The team page and invite links.

mod accept_invite;
mod change_member_role;
mod get_invite;
mod get_team;
mod invite_member;
mod join_with_invite;
mod remove_member;
mod revoke_invite;

pub use accept_invite::*;
pub use change_member_role::*;
pub use get_invite::*;
pub use get_team::*;
pub use invite_member::*;
pub use join_with_invite::*;
pub use remove_member::*;
pub use revoke_invite::*;
