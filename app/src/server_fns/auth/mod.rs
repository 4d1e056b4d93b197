//! Signing up, in and out, and who is signed in.

mod get_session;
mod sign_in;
mod sign_out;
mod sign_up;

pub use get_session::*;
pub use sign_in::*;
pub use sign_out::*;
pub use sign_up::*;
