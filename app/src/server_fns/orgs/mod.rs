//! Creating and switching organisations.

mod create_organization;
mod get_organization;
mod switch_organization;
mod widget_snippet;

pub use create_organization::*;
pub use get_organization::*;
pub use switch_organization::*;
pub use widget_snippet::*;
