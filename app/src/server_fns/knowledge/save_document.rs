use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Creates (no `id`) or updates a document, then returns to the knowledge-base list where its
/// progress shows.
#[server]
pub async fn save_document(
    org_id: Uuid,
    id: Option<Uuid>,
    title: String,
    content: String,
    source_url: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let input = domain::knowledge::DocumentInput { title, content, source_url };
    match id {
        Some(id) => ctx.services.update_document(&actor, org_id, id, input).await?,
        None => ctx.services.create_document(&actor, org_id, input).await?,
    };
    leptos_axum::redirect("/dashboard/knowledge");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
