use leptos::prelude::*;

use crate::error::AppError;

/// Renders the editor's Markdown to sanitised HTML for the preview pane (signed-in only).
#[server]
pub async fn preview_markdown(content: String) -> Result<String, AppError> {
    use ssr::*;
    require_actor().await?;
    if content.len() > domain::knowledge::MAX_DOCUMENT_BYTES {
        return Err(AppError::TooLarge("too large to preview".into()));
    }
    Ok(domain::markdown::to_safe_html(&content))
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::require_actor;
}
