use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::DocumentDto;
use crate::error::AppError;

/// One document with its content, for the editor.
#[server]
pub async fn get_document(org_id: Uuid, id: Uuid) -> Result<DocumentDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    Ok(ctx.services.get_document(&actor, org_id, id).await?.into())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
