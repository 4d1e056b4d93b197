//! Schema migrations, applied by the server at start-up before it answers `/healthz`.
//!
//! Migrations are plain SQL so the schema reads exactly as Postgres sees it (check constraints,
//! partial indexes, pgvector types); they never import entities, so old migrations keep compiling
//! when entities change.

pub use sea_orm_migration::prelude::*;

mod m20261121_080000_enable_vector;
mod m20261121_080100_create_users;
mod m20261121_080200_create_organizations;
mod m20261121_080300_create_memberships;
mod m20261121_080400_create_invites;
mod m20261121_080500_create_sessions;
mod m20261121_090000_create_documents;
mod m20261121_090100_create_chunks;
mod m20261121_100000_create_conversations;
mod m20261121_110000_create_contacts;
mod m20261121_110100_add_sentence_vectors;
mod m20261121_120000_create_alerts;
mod m20261121_120100_index_message_search;
mod m20261121_130000_create_saved_replies_and_tags;
mod m20261121_130100_add_message_client_id;
mod m20261121_150000_create_feedback;
mod m20261121_150100_create_revealed_secrets;
mod m20261206_100000_create_privacy;
mod m20261207_100000_create_password_resets;
mod m20261207_100100_add_visitor_device;
mod m20261207_120000_add_visitor_claims;
mod m20261207_130000_create_alert_recipients;
mod m20261208_090000_create_stream_tickets;

/// Every migration, in the order they run.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_080000_enable_vector::Migration),
            Box::new(m20261121_080100_create_users::Migration),
            Box::new(m20261121_080200_create_organizations::Migration),
            Box::new(m20261121_080300_create_memberships::Migration),
            Box::new(m20261121_080400_create_invites::Migration),
            Box::new(m20261121_080500_create_sessions::Migration),
            Box::new(m20261121_090000_create_documents::Migration),
            Box::new(m20261121_090100_create_chunks::Migration),
            Box::new(m20261121_100000_create_conversations::Migration),
            Box::new(m20261121_110000_create_contacts::Migration),
            Box::new(m20261121_110100_add_sentence_vectors::Migration),
            Box::new(m20261121_120000_create_alerts::Migration),
            Box::new(m20261121_120100_index_message_search::Migration),
            Box::new(m20261121_130000_create_saved_replies_and_tags::Migration),
            Box::new(m20261121_130100_add_message_client_id::Migration),
            Box::new(m20261121_150000_create_feedback::Migration),
            Box::new(m20261121_150100_create_revealed_secrets::Migration),
            Box::new(m20261206_100000_create_privacy::Migration),
            Box::new(m20261207_100000_create_password_resets::Migration),
            Box::new(m20261207_100100_add_visitor_device::Migration),
            Box::new(m20261207_120000_add_visitor_claims::Migration),
            Box::new(m20261207_130000_create_alert_recipients::Migration),
            Box::new(m20261208_090000_create_stream_tickets::Migration),
        ]
    }
}

/// Runs a block of SQL statements; the helper every migration here uses.
pub(crate) async fn run_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await.map(|_| ())
}
