//! Server fns, one per file, grouped by area. Each is thin: authenticate, call one `domain`
//! service, map the error. On success, form-backed ones redirect so no-JS posts land well.

pub mod alerts;
pub mod auth;
pub mod feedback;
pub mod inbox;
pub mod knowledge;
pub mod orgs;
pub mod privacy;
pub mod settings;
pub mod team;
