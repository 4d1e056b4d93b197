//! Integration tests: the real server on real Postgres + pgvector, one fresh database per test.

mod alerts;
mod answers;
mod auth;
mod chat_model;
mod conversation;
mod corpus;
mod feedback;
mod health;
mod helpers;
mod inbox;
mod isolation;
mod knowledge;
mod knowledge_providers;
mod lifecycle;
mod limits;
mod live;
mod openapi;
mod orgs;
mod privacy;
mod scale;
mod schema;
mod security;
mod team;
