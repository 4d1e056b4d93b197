//! Pieces shared by pages.

mod form_error;
mod live;
mod nav;
mod refresh;
mod signed_in;
mod status;

pub use form_error::*;
pub use live::*;
pub use nav::*;
pub use refresh::*;
pub use signed_in::*;
pub use status::*;
