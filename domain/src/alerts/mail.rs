//! Alert mails: composed at enqueue time, sent over SMTP (lettre) or, with no SMTP configured
//! (the default), written as `.eml` files the dashboard lists.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{AlertSettings, EscalationAlert, InviteMail, ResetMail};

/// Sender when none is configured (`.invalid` can never be a real domain).
pub const DEFAULT_FROM: &str = "Iterochat <alerts@iterochat.invalid>";

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (local relays, tests).
    None,
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// An SMTP server.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Where alert mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
        host: String,
    },
    /// `<dir>/<delivery id>.eml`: a re-delivery overwrites the same file.
    Files {
        dir: PathBuf,
        from: String,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { host, from, .. } => f.debug_struct("Smtp").field("host", host).field("from", from).finish(),
            Self::Files { dir, from } => f.debug_struct("Files").field("dir", dir).field("from", from).finish(),
        }
    }
}

impl Mailer {
    /// An SMTP mailer; nothing is sent until the first mail.
    pub fn smtp(config: &SmtpConfig, from: &str) -> Result<Self, String> {
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(|e| e.to_string())?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(config.port).timeout(Some(Duration::from_secs(10)));
        if let Some(user) = &config.username {
            builder = builder.credentials(Credentials::new(user.clone(), config.password.clone().unwrap_or_default()));
        }
        from.parse::<lettre::message::Mailbox>().map_err(|e| format!("sender {from:?}: {e}"))?;
        Ok(Self::Smtp { transport: builder.build(), from: from.to_owned(), host: config.host.clone() })
    }

    /// The folder of `.eml` files, when mails are written to files.
    pub fn outbox_dir(&self) -> Option<&std::path::Path> {
        match self {
            Self::Files { dir, .. } => Some(dir),
            Self::Smtp { .. } => None,
        }
    }

    /// Sends one mail; `id` is the delivery's idempotency id (Message-ID and file name).
    pub async fn send(&self, id: Uuid, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from,
        };
        let message = Message::builder()
            .from(from.parse().map_err(|e| format!("sender {from:?}: {e}"))?)
            .to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?)
            .subject(subject)
            .message_id(Some(format!("<{id}@iterochat>")))
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|e| e.to_string())?;
        match self {
            Self::Smtp { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Self::Files { dir, .. } => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| format!("creating {}: {e}", dir.display()))?;
                let path = dir.join(format!("{id}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| format!("writing {}: {e}", path.display()))
            }
        }
    }
}

/// The escalation mail: organisation, the visitor's latest question, when, why, the summary and
/// a deep link to the conversation.
pub fn escalation_mail(settings: &AlertSettings, alert: &EscalationAlert<'_>) -> Value {
    let org = &alert.organization.name;
    let link =
        format!("{}/dashboard/conversations/{}", settings.public_url.trim_end_matches('/'), alert.conversation_id);
    let when = alert.escalated_at.format("%Y-%m-%d %H:%M UTC");
    let reason = match alert.reason.as_str() {
        "refund" => "refund request",
        "complaint" => "complaint",
        "account" => "account problem",
        "low_confidence" => "the AI could not answer confidently",
        _ => "the visitor asked for a person",
    };
    let subject = format!("[{org}] A conversation needs a person: {reason}");
    let text = format!(
        "A conversation on {org} was handed to your team.\n\n\
         Latest question: {question}\n\
         Escalated at:    {when}\n\
         Reason:          {reason}\n\n\
         Summary:\n{summary}\n\n\
         Open the conversation: {link}\n\n\
         --\nYou get this because you are an owner of {org} or on its alert list. \
         Turn escalation mails off under Alerts in the dashboard.\n",
        question = alert.last_message,
        summary = alert.summary,
    );
    json!({"subject": subject, "text": text})
}

/// The password-reset mail: the single-use link, how long it works, and what to do if the
/// person did not ask.
pub fn password_reset_mail(settings: &AlertSettings, reset: &ResetMail<'_>) -> Value {
    let link = format!("{}/reset-password/{}", settings.public_url.trim_end_matches('/'), reset.token);
    let expires = reset.expires_at.format("%Y-%m-%d %H:%M UTC");
    let text = format!(
        "Hello {name},\n\n\
         Someone, hopefully you, asked to reset the password of your Iterochat account.\n\n\
         Choose a new password: {link}\n\n\
         The link works once, until {expires}. Setting a new password signs you out everywhere else.\n\
         If you did not ask, ignore this mail: your password stays as it is.\n",
        name = reset.name,
    );
    json!({"subject": "Reset your Iterochat password", "text": text})
}

/// The link an outside address opens before it gets an organisation's escalation alerts.
pub fn recipient_confirmation_mail(settings: &AlertSettings, org_name: &str, token: &str) -> Value {
    let link = format!("{}/alerts/confirm/{token}", settings.public_url.trim_end_matches('/'));
    let subject = format!("Confirm escalation alerts from {org_name}");
    let text = format!(
        "{org_name} wants to send this address a mail each time a visitor's chat is handed to a person \
         on Iterochat.\n\nTo receive them, confirm: {link}\n\nIf you did not expect this, ignore the mail: \
         nothing is sent to you without the link.\n"
    );
    json!({"subject": subject, "text": text})
}

/// The one mail an address gets when escalation mails stop for the hour (the cap).
pub fn alerts_paused_mail(settings: &AlertSettings, org: &crate::organizations::Organization) -> Value {
    let inbox = format!("{}/dashboard/conversations", settings.public_url.trim_end_matches('/'));
    let subject = format!("[{}] Escalation mails paused for the hour", org.name);
    let text = format!(
        "{org} has had more escalations this hour than alert mails go out for (at most {per_org} \
         escalations, {per_recipient} mails to one address). Further escalations this hour are in the \
         inbox only; mails resume on their own.\n\nOpen the inbox: {inbox}\n",
        org = org.name,
        per_org = super::ESCALATION_MAILS_PER_HOUR,
        per_recipient = super::MAILS_PER_RECIPIENT_PER_HOUR,
    );
    json!({"subject": subject, "text": text})
}

/// The invite mail: who invited whom to which organisation, as what, and the absolute link.
pub fn invite_mail(settings: &AlertSettings, invite: &InviteMail<'_>) -> Value {
    let org = invite.organization_name;
    let link = format!("{}/invite/{}", settings.public_url.trim_end_matches('/'), invite.token);
    let expires = invite.expires_at.format("%Y-%m-%d %H:%M UTC");
    let subject = format!("{} invited you to {org} on Iterochat", invite.inviter);
    let text = format!(
        "{inviter} invited you to join {org} as {role} on Iterochat, the team's support inbox.\n\n\
         Accept the invite: {link}\n\n\
         The link works once and expires at {expires}. If you did not expect this mail, ignore it: \
         nothing happens without the link.\n",
        inviter = invite.inviter,
        role = invite.role,
    );
    json!({"subject": subject, "text": text})
}
