use leptos::prelude::*;

use crate::dto::{InvitePreviewDto, UserDto};
use crate::error::AppError;

/// What an invite link shows, and who (if anyone) is signed in to accept it.
#[server]
pub async fn get_invite(token: String) -> Result<(InvitePreviewDto, Option<UserDto>), AppError> {
    use ssr::*;
    let ctx = context()?;
    let preview = ctx.services.invite_preview(&token).await?;
    let signed_in = current_actor().await?.map(|a| a.user.into());
    Ok((preview.into(), signed_in))
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, current_actor};
}
