//! One module per page.

mod accept_invite;
mod alerts;
mod auth;
mod dashboard;
mod feedback;
mod home;
mod inbox;
mod knowledge;
mod not_found;
mod settings;
mod team;

pub use accept_invite::*;
pub use alerts::*;
pub use auth::*;
pub use dashboard::*;
pub use feedback::*;
pub use home::*;
pub use inbox::*;
pub use knowledge::*;
pub use not_found::*;
pub use settings::*;
pub use team::*;
