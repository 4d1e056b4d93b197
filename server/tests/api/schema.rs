//! The typed model matches the database: every table has an entity with exactly its columns
//! (generated columns, such as the full-text `chunks.tsv`, are the database's own), and
//! every stored closed set (status, role, kind) is an enum whose values are the ones the
//! table's `CHECK` accepts — no more, no fewer.

use std::collections::BTreeSet;

use domain::entities as e;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic, Iterable, Statement,
};

use crate::helpers::TestApp;

/// The columns of one table (or, with no table, the names of every table), as the database has
/// them.
async fn names(db: &DatabaseConnection, sql: &str, table: &str) -> BTreeSet<String> {
    db.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [table.into()]))
        .await
        .expect("information_schema")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect()
}

/// `(table, columns)` of an entity.
fn shape<E: EntityTrait>(entity: E) -> (String, BTreeSet<String>) {
    (entity.table_name().to_owned(), E::Column::iter().map(|c| c.as_str().to_owned()).collect())
}

#[tokio::test]
async fn every_table_has_an_entity_with_exactly_its_columns() {
    let app = TestApp::spawn().await;
    let db = &app.services.db;
    let entities = [
        shape(e::alert_recipient::Entity),
        shape(e::audit_entry::Entity),
        shape(e::chunk::Entity),
        shape(e::contact::Entity),
        shape(e::conversation::Entity),
        shape(e::conversation_tag::Entity),
        shape(e::document::Entity),
        shape(e::export::Entity),
        shape(e::feedback::Entity),
        shape(e::feedback_event::Entity),
        shape(e::feedback_project::Entity),
        shape(e::invite::Entity),
        shape(e::membership::Entity),
        shape(e::message::Entity),
        shape(e::organization::Entity),
        shape(e::outbox::Entity),
        shape(e::password_reset::Entity),
        shape(e::revealed_secret::Entity),
        shape(e::saved_reply::Entity),
        shape(e::session::Entity),
        shape(e::stream_ticket::Entity),
        shape(e::trash_item::Entity),
        shape(e::trash_row::Entity),
        shape(e::usage_counter::Entity),
        shape(e::user::Entity),
        shape(e::visitor::Entity),
        shape(e::webhook::Entity),
    ];
    let tables = names(
        db,
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> $1",
        "seaql_migrations",
    )
    .await;
    let modelled: BTreeSet<String> = entities.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(modelled, tables, "tables without an entity, or entities without a table");
    for (table, columns) in &entities {
        let stored = names(
            db,
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'",
            table,
        )
        .await;
        assert_eq!(columns, &stored, "the entity of {table} and its table disagree");
    }
}

/// The quoted values of the `CHECK` on `table.column` alone (`status IN ('a', 'b')`).
async fn checked_values(db: &DatabaseConnection, table: &str, column: &str) -> BTreeSet<String> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (c.conkey) \
             WHERE c.contype = 'c' AND t.relname = $1 AND a.attname = $2 AND cardinality(c.conkey) = 1",
            [table.into(), column.into()],
        ))
        .await
        .expect("pg_constraint");
    assert_eq!(rows.len(), 1, "{table}.{column} has one CHECK");
    let def: String = rows[0].try_get("", "def").expect("def");
    def.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

fn values<T: ActiveEnum<Value = String>>() -> BTreeSet<String> {
    T::iter().map(|v| v.to_value()).collect()
}

#[tokio::test]
async fn every_stored_state_is_an_enum_with_the_values_the_database_accepts() {
    let app = TestApp::spawn().await;
    let db = &app.services.db;
    let cases = [
        ("conversations", "status", values::<domain::ConversationStatus>()),
        ("messages", "role", values::<domain::MessageRole>()),
        ("memberships", "role", values::<domain::Role>()),
        ("invites", "role", values::<domain::Role>()),
        ("outbox", "kind", values::<domain::alerts::DeliveryKind>()),
        ("outbox", "status", values::<domain::alerts::DeliveryStatus>()),
        ("documents", "status", values::<domain::knowledge::DocumentStatus>()),
        ("exports", "status", values::<domain::privacy::ExportStatus>()),
        ("trash_items", "kind", values::<domain::privacy::TrashKind>()),
        ("feedbacks", "reaction", values::<domain::feedback::Reaction>()),
    ];
    for (table, column, expected) in cases {
        assert_eq!(checked_values(db, table, column).await, expected, "{table}.{column}");
    }
}
