use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::DocumentDto;
use crate::error::AppError;

/// The organisation's documents with status and progress (owners and admins): all of them (an
/// organisation holds at most its knowledge quota, 2,000 by default).
#[server]
pub async fn list_documents(org_id: Uuid) -> Result<Vec<DocumentDto>, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    Ok(ctx.services.all_documents(&actor, org_id).await?.into_iter().map(Into::into).collect())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
