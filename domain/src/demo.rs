//! The demo organisation `make run` shows a newcomer: one owner login, idempotent.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::accounts::{SignupInput, find_user_by_email};
use crate::entities::document;
use crate::knowledge::DocumentInput;
use crate::{DomainResult, Services};

/// The demo help centre, so the widget on the demo page answers from day one.
const DEMO_DOCUMENTS: &[(&str, &str)] = &[
    (
        "Shipping and delivery",
        "# Shipping and delivery\n\nWe ship to every country in the European Union. Orders placed before 2 pm are \
         dispatched the same working day.\n\n## Delivery times\nStandard delivery takes 3 to 5 working days and \
         is free above 50 euros. Express delivery arrives the next working day and costs 9 euros.",
    ),
    (
        "Returns and refunds",
        "# Returns and refunds\n\nYou can send back any product within 30 days of delivery for a full refund, in \
         its original packaging.\n\n## How refunds are paid\nRefunds go back to the original payment method within \
         5 business days after the return arrives at our warehouse.",
    ),
    (
        "Opening hours and contact",
        "# Opening hours\n\nOur support team answers from 9 to 17, Monday to Friday. Outside those hours the \
         assistant answers from this help centre and a person follows up the next working day.",
    ),
];

/// Printed by the server so a newcomer can sign in straight away.
#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub organization_name: String,
    pub widget_key: String,
    /// The demo feedback project (Iterato SDK) with its event `checkout-success`.
    pub feedback_project_id: String,
    /// Its secret key, on the run that created it only (it is stored hashed).
    pub feedback_secret: Option<String>,
}

/// The demo owner's address (a reserved `.test` domain: it can never receive real mail).
pub const DEMO_EMAIL: &str = "demo@iterochat.test";
/// The demo owner's password; the demo is for a local machine only.
pub const DEMO_PASSWORD: &str = "iterochat-demo";
/// The demo organisation's name.
pub const DEMO_ORG: &str = "Demo Company";

impl Services {
    /// Creates the demo owner and organisation unless they exist; returns how to sign in.
    pub async fn seed_demo(&self) -> DomainResult<DemoLogin> {
        if find_user_by_email(&self.db, DEMO_EMAIL).await?.is_none() {
            self.signup(SignupInput {
                email: DEMO_EMAIL.into(),
                password: DEMO_PASSWORD.into(),
                name: "Demo Owner".into(),
                organization_name: DEMO_ORG.into(),
            })
            .await?;
        }
        let user = find_user_by_email(&self.db, DEMO_EMAIL).await?.ok_or(crate::DomainError::NotFound("demo user"))?;
        let first = self
            .memberships(user.id)
            .await?
            .into_iter()
            .next()
            .ok_or(crate::DomainError::NotFound("demo organization"))?;
        let (org, _) = self.organization_for_member(user.id, first.organization_id).await?;
        self.seed_demo_documents(org.id).await?;
        let (feedback_project_id, feedback_secret) = self.seed_demo_feedback(org.id).await?;
        Ok(DemoLogin {
            feedback_project_id,
            feedback_secret,
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            organization_name: org.name,
            widget_key: org.widget_key,
        })
    }
}

impl Services {
    /// Creates the demo feedback project and its `checkout-success` event unless the
    /// organisation has a project; returns its id and, when just created, its secret key.
    async fn seed_demo_feedback(&self, org_id: Uuid) -> DomainResult<(String, Option<String>)> {
        let existing = self
            .db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT public_id FROM feedback_projects WHERE organization_id = $1 ORDER BY created_at LIMIT 1",
                [org_id.into()],
            ))
            .await?;
        if let Some(row) = existing {
            return Ok((row.try_get("", "public_id")?, None));
        }
        let created = self.insert_feedback_project(org_id, "Demo shop").await?;
        let project_id = created.project.project_id;
        self.insert_feedback_event(org_id, &project_id, "checkout-success", "Checkout", Some("How was your checkout?"))
            .await?;
        Ok((project_id, Some(created.secret_key)))
    }

    /// Adds the demo help centre to an organisation that has no documents yet (queued for
    /// ingestion like any other document).
    async fn seed_demo_documents(&self, org_id: Uuid) -> DomainResult<()> {
        let existing =
            document::Entity::find().filter(document::Column::OrganizationId.eq(org_id)).count(&self.db).await?;
        if existing > 0 {
            return Ok(());
        }
        for (title, content) in DEMO_DOCUMENTS {
            let input = DocumentInput { title: (*title).to_owned(), content: (*content).to_owned(), source_url: None };
            self.insert_document(org_id, input).await?;
        }
        Ok(())
    }
}
