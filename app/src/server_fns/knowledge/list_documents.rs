use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::DocumentDto;
use crate::error::AppError;

/// The organisation's documents with status and progress (owners and admins): all of them, page
/// by page (an organisation holds at most its knowledge quota, 2,000 by default).
#[server]
pub async fn list_documents(org_id: Uuid) -> Result<Vec<DocumentDto>, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let mut page = PageRequest { limit: MAX_LIMIT, after: None };
    let mut all = Vec::new();
    loop {
        let got = ctx.services.list_documents(&actor, org_id, page).await?;
        all.extend(got.items.into_iter().map(Into::into));
        match got.next {
            Some(next) => page.after = Some(next),
            None => return Ok(all),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
    pub use domain::pagination::{MAX_LIMIT, PageRequest};
}
