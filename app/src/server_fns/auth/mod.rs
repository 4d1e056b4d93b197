//! Signing up, in and out, resetting a forgotten password, and who is signed in.

mod get_session;
mod reset_password;
mod sign_in;
mod sign_out;
mod sign_up;

pub use get_session::*;
pub use reset_password::*;
pub use sign_in::*;
pub use sign_out::*;
pub use sign_up::*;
