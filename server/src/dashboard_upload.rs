//! `POST /dashboard/knowledge/upload`: the dashboard's file upload as a plain HTML form, so it
//! works without JavaScript. Signed in by cookie; redirects back with the error in the URL.

use axum::extract::{Multipart, State};
use axum::response::Redirect;
use uuid::Uuid;

use crate::api::error::ApiError;
use crate::api::extract::Auth;
use crate::api::knowledge::UploadForm;
use crate::state::AppState;

/// Stores the uploaded file as a document of the form's organisation.
pub async fn upload(State(state): State<AppState>, Auth(actor): Auth, form: Multipart) -> Redirect {
    let result = async {
        let form = UploadForm::read(form).await?;
        let org_id = form
            .org_id
            .as_deref()
            .and_then(|v| v.parse::<Uuid>().ok())
            .ok_or_else(|| ApiError::bad_request("the form has no organization"))?;
        let input = form.into_document()?;
        state.services.create_document(&actor, org_id, input).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/dashboard/knowledge"),
        Err(e) => {
            let message = e.message();
            let query = serde_urlencoded::to_string([("upload_error", message.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/dashboard/knowledge?{query}"))
        }
    }
}
