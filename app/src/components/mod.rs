//! Pieces shared by pages.

mod form_error;
mod live;
mod local_time;
mod nav;
mod refresh;
mod shortcuts;
mod signed_in;
mod status;

pub use form_error::*;
pub use live::*;
pub use local_time::*;
pub use nav::*;
pub use refresh::*;
pub use shortcuts::*;
pub use signed_in::*;
pub use status::*;
