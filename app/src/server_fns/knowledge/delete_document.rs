use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Deletes a document; the AI stops using its passages at once.
#[server]
pub async fn delete_document(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.delete_document(&actor, org_id, id).await?;
    leptos_axum::redirect("/dashboard/knowledge");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
