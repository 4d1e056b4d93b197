//! Set-up several benches share.

use domain::Services;
use domain::accounts::{Actor, SignupInput, SignupOutcome};

/// Signs up `email` as the owner of a new organisation called `organization`: the outcome (token,
/// organisation and its widget key) and the owner as an actor.
pub async fn owner(services: &Services, email: &str, organization: &str) -> anyhow::Result<(SignupOutcome, Actor)> {
    let outcome = services
        .signup(SignupInput {
            email: email.into(),
            password: "correct horse battery".into(),
            name: "Bench Owner".into(),
            organization_name: organization.into(),
        })
        .await?;
    let actor = services.authenticate(&outcome.token).await?;
    Ok((outcome, actor))
}
