use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::SearchHitDto;
use crate::error::AppError;

/// What the AI would retrieve for a question, with scores (the "test a question" box).
#[server]
pub async fn search_knowledge(org_id: Uuid, query: String) -> Result<Vec<SearchHitDto>, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    Ok(ctx.services.search_knowledge(&actor, org_id, &query, 5).await?.into_iter().map(Into::into).collect())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
