//! Iterochat's server-only core: entities, services and the rules they enforce.
//!
//! Web layers (REST handlers in `server`, server fns in `app`) parse input, authenticate, call one
//! service here and map [`DomainError`] to a response. Every rule — who may do what, which
//! organisation a row belongs to — lives here once, so both layers behave the same.

pub mod accounts;
pub mod demo;
pub mod entities;
pub mod error;
pub mod organizations;
pub mod roles;
pub mod team;
pub mod tokens;
pub mod validation;

pub use error::{DomainError, DomainResult};
pub use roles::Role;

use sea_orm::DatabaseConnection;

/// Handle to everything the services need; cheap to clone (the pool is reference-counted).
#[derive(Clone, Debug)]
pub struct Services {
    /// The connection pool; every query goes through it.
    pub db: DatabaseConnection,
}

impl Services {
    /// Wraps an open pool. Migrations must already have run.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}
