//! Creating and switching organisations, and installing the widget.

mod create_organization;
mod get_install_page;
mod get_organization;
mod switch_organization;
mod widget_snippet;

pub use create_organization::*;
pub use get_install_page::*;
pub use get_organization::*;
pub use switch_organization::*;
pub use widget_snippet::*;
