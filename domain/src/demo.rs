//! The demo organisation `make run` shows a newcomer: one owner login, idempotent.

use crate::accounts::{SignupInput, find_user_by_email};
use crate::{DomainResult, Services};

/// Printed by the server so a newcomer can sign in straight away.
#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub organization_name: String,
    pub widget_key: String,
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
        Ok(DemoLogin {
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            organization_name: org.name,
            widget_key: org.widget_key,
        })
    }
}
