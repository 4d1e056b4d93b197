//! Pieces shared by pages.

mod form_error;
mod nav;
mod status;

pub use form_error::*;
pub use nav::*;
pub use status::*;
