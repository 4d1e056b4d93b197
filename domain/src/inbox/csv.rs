//! The transcript and conversation-list CSV downloads.

use super::*;

/// The most conversations one list export holds; a larger one is refused, never cut.
const MAX_CSV_ROWS: usize = 10_000;

impl Services {
    /// The transcript as CSV: `time,role,author,text,sources`.
    pub async fn transcript_csv(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<String> {
        let detail = self.get_conversation(actor, org_id, id).await?;
        let mut out = String::from("time,role,author,text,sources\r\n");
        for m in &detail.messages {
            let sources: Vec<String> = m.message.citations.iter().flatten().map(|c| c.title.clone()).collect();
            let row = [
                m.message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                m.message.role.to_string(),
                m.author_name.clone().unwrap_or_default(),
                m.message.text.clone(),
                sources.join("; "),
            ];
            out.push_str(&csv_row(&row));
        }
        Ok(out)
    }

    /// The filtered inbox as CSV: every matching conversation (at most [`MAX_CSV_ROWS`]).
    pub async fn conversations_csv(
        &self,
        actor: &Actor,
        org_id: Uuid,
        filter: StatusFilter,
        q: Option<&str>,
        tag: Option<&str>,
    ) -> DomainResult<String> {
        let too_many = || {
            DomainError::TooLarge(format!(
                "more than {MAX_CSV_ROWS} conversations match; narrow the filter or the search"
            ))
        };
        let list = crate::pagination::read_all(MAX_CSV_ROWS, too_many, |page| {
            self.list_conversations(actor, org_id, filter, q, tag, page)
        })
        .await?;
        let mut out = String::from(
            "id,status,escalation_reason,escalated_at,claimed_by,contact_name,contact_email,message_count,tags,last_message,handoff_summary\r\n",
        );
        for c in &list {
            let contact = c.contact.clone();
            let row = [
                c.id.to_string(),
                c.status.to_string(),
                c.escalation_reason.clone().unwrap_or_default(),
                c.escalated_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
                c.claimed_by_name.clone().unwrap_or_default(),
                contact.as_ref().and_then(|c| c.name.clone()).unwrap_or_default(),
                contact.as_ref().and_then(|c| c.email.clone()).unwrap_or_default(),
                c.message_count.to_string(),
                c.tags.join("; "),
                c.last_message.clone().unwrap_or_default(),
                c.handoff_summary.clone().unwrap_or_default(),
            ];
            out.push_str(&csv_row(&row));
        }
        Ok(out)
    }
}

/// One CSV line (RFC 4180: every cell quoted, quotes doubled, CRLF). Cells a spreadsheet would
/// run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`.
pub fn csv_row(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|cell| {
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let cell = if risky { format!("'{cell}") } else { cell.clone() };
            format!("\"{}\"", cell.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}
