//! Integration tests: the real server on real Postgres + pgvector, one fresh database per test.

mod auth;
mod health;
mod helpers;
mod isolation;
mod lifecycle;
mod orgs;
mod team;
