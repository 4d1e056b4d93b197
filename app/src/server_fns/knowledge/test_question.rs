use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::TestQuestionDto;
use crate::error::AppError;

/// The "Test a question" box: what the AI would do with the question as a new conversation's
/// first message (answer, hand off, or decline in AI-only mode), and the passages it reads.
#[server]
pub async fn test_question(org_id: Uuid, query: String) -> Result<TestQuestionDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let trial = match ctx.services.try_question(&actor, org_id, &query).await? {
        TrialTurn::Answers { reply, source } => TrialDto::Answers { reply, source },
        TrialTurn::HandsOff { reason, reply } => TrialDto::HandsOff { reason: reason.as_str().to_owned(), reply },
        TrialTurn::DeclinesAlone { reason, reply } => {
            TrialDto::DeclinesAlone { reason: reason.as_str().to_owned(), reply }
        }
    };
    let hits = ctx.services.search_knowledge(&actor, org_id, &query, 5).await?.into_iter().map(Into::into).collect();
    Ok(TestQuestionDto { trial, hits })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::TrialDto;
    pub use crate::ssr::{context, require_actor};
    pub use domain::conversation::TrialTurn;
}
