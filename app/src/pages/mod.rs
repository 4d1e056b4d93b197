//! One module per page.

mod accept_invite;
mod alerts;
mod auth;
mod dashboard;
mod feedback;
mod home;
mod inbox;
mod install;
mod knowledge;
mod not_found;
mod privacy;
mod settings;
mod team;
mod usage;

pub use accept_invite::*;
pub use alerts::*;
pub use auth::*;
pub use dashboard::*;
pub use feedback::*;
pub use home::*;
pub use inbox::*;
pub use install::*;
pub use knowledge::*;
pub use not_found::*;
pub use privacy::*;
pub use settings::*;
pub use team::*;
pub use usage::*;
