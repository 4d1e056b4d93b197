//! One email or webhook delivery waiting, done or dead (the durable outbox).
use sea_orm::entity::prelude::*;

/// What a delivery is. Stored as checked text; mapped here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DeliveryKind {
    /// A mail through the configured mailer.
    #[sea_orm(string_value = "email")]
    Email,
    /// A signed `POST` to a webhook endpoint.
    #[sea_orm(string_value = "webhook")]
    Webhook,
}

impl DeliveryKind {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }

    /// Parses the wire name (the delivery log's `kind` filter).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "email" => Some(Self::Email),
            "webhook" => Some(Self::Webhook),
            _ => None,
        }
    }
}

/// Where a delivery is: waiting (for its first or next attempt), done, or given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Out of attempts, or refused for good (410 Gone); an admin may retry it.
    #[sea_orm(string_value = "dead")]
    Dead,
}

impl DeliveryStatus {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Also the idempotency id receivers see.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// None for a person's own mail (a password reset), in no organisation's log.
    pub organization_id: Option<Uuid>,
    pub kind: DeliveryKind,
    pub event: String,
    pub webhook_id: Option<Uuid>,
    /// Email address or webhook URL.
    pub target: String,
    pub payload: Json,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: DateTimeWithTimeZone,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    /// The conversation the delivery is about (erasing it deletes the delivery).
    pub conversation_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
