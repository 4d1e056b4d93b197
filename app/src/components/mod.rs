//! Pieces shared by pages.

mod form_error;
mod live;
mod nav;
mod refresh;
mod status;

pub use form_error::*;
pub use live::*;
pub use nav::*;
pub use refresh::*;
pub use status::*;
