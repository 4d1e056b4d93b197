//! SeaORM entities, one module per table. Columns mirror `migrations/` exactly.

pub mod alert_recipient;
pub mod audit_entry;
pub mod chunk;
pub mod contact;
pub mod conversation;
pub mod document;
pub mod export;
pub mod invite;
pub mod membership;
pub mod message;
pub mod organization;
pub mod outbox;
pub mod password_reset;
pub mod session;
pub mod stream_ticket;
pub mod trash_item;
pub mod usage_counter;
pub mod user;
pub mod visitor;
pub mod webhook;
