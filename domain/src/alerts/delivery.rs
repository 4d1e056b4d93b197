//! The outbox workers: claim due deliveries, send them, record what happened.
//!
//! Two lanes, so one kind never waits for the other: mail (escalation alerts, invites, password
//! resets) and webhooks. In the webhook lane every delivery runs on its own (a slow receiver
//! holds one slot, not a round), at most [`WEBHOOKS_IN_FLIGHT`] at once in this instance and at
//! most [`PER_ORGANISATION`] of one organisation, so one tenant's tar pit cannot stall another
//! tenant's alerts.
//!
//! A claim bumps `attempts` and leases the row for [`LEASE`]; if the process dies mid-send, the
//! row is due again when the lease ends (at-least-once). Each outcome is written back:
//! delivered, retried after `retry_base × 2^(attempts−1)` (at most six hours), or dead after
//! `max_attempts`.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use sha2::Sha256;
use uuid::Uuid;

use super::{DeliveryKind, DeliveryStatus};
use crate::entities::webhook;
use crate::{DomainResult, Services};

/// How long a claimed delivery is reserved for the worker sending it: longer than any send may
/// take (webhook and SMTP timeouts are 10 s), so two workers never send one item at once.
const LEASE: Duration = Duration::from_secs(20);
/// Deliveries claimed per round.
const CLAIM: i64 = 16;
/// Webhook deliveries in flight at once, in this instance.
pub const WEBHOOKS_IN_FLIGHT: usize = 32;
/// Webhook deliveries of one organisation in flight at once, in this instance.
pub const PER_ORGANISATION: usize = 4;
/// Longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// Seconds a webhook receiver has to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the worker looks for due retries when nothing wakes it.
const POLL: Duration = Duration::from_millis(500);

/// `sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` with the webhook's secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before the next attempt after `attempts` failed ones.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 30) as u32;
    base.saturating_mul(2u32.saturating_pow(exp)).min(MAX_BACKOFF)
}

/// The claimed rows, read.
fn claimed(rows: &[sea_orm::QueryResult]) -> DomainResult<Vec<Claimed>> {
    Ok(rows
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                organization_id: r.try_get("", "organization_id")?,
                kind: r.try_get("", "kind")?,
                event: r.try_get("", "event")?,
                webhook_id: r.try_get("", "webhook_id")?,
                target: r.try_get("", "target")?,
                payload: r.try_get("", "payload")?,
                attempts: r.try_get("", "attempts")?,
                max_attempts: r.try_get("", "max_attempts")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()?)
}

/// A claimed delivery.
struct Claimed {
    id: Uuid,
    /// `None` for a person's own mail (a password reset), which belongs to no organisation.
    organization_id: Option<Uuid>,
    kind: DeliveryKind,
    event: String,
    webhook_id: Option<Uuid>,
    target: String,
    payload: serde_json::Value,
    attempts: i32,
    max_attempts: i32,
}

/// What one attempt came to.
struct Outcome {
    status: Option<i32>,
    /// `None` = delivered.
    error: Option<String>,
    /// Retrying cannot help (the endpoint is gone, or now resolves to a private address).
    permanent: bool,
}

impl Services {
    /// Wakes the outbox worker (something was queued).
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }

    /// Delivers outbox items, mail and webhooks in their own lanes, until `shutdown` completes.
    pub async fn run_outbox(self, shutdown: impl std::future::Future<Output = ()>) {
        let mail = self.clone();
        tokio::select! {
            () = shutdown => {}
            () = mail.run_mail_lane() => {}
            () = self.run_webhook_lane() => {}
        }
    }

    /// Waits for a wake-up (something was queued) or the next poll.
    async fn idle(&self) {
        tokio::select! {
            () = self.outbox_wakeup.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }

    async fn run_mail_lane(&self) {
        loop {
            match self.deliver_due_mail().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %crate::error::Report(&e), "mail round failed"),
            }
            self.idle().await;
        }
    }

    /// Each webhook delivery runs on its own; new ones are claimed as slots free up, skipping
    /// organisations that already have [`PER_ORGANISATION`] in flight here.
    async fn run_webhook_lane(&self) {
        let busy: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>> = Default::default();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            let free = WEBHOOKS_IN_FLIGHT.saturating_sub(running.len());
            let full: Vec<Uuid> = {
                let busy = busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                busy.iter().filter(|(_, n)| **n >= PER_ORGANISATION).map(|(org, _)| *org).collect()
            };
            let claimed = if free == 0 { Ok(Vec::new()) } else { self.claim_webhooks(free, &full).await };
            let claimed = claimed.unwrap_or_else(|e| {
                tracing::error!(error = %crate::error::Report(&e), "webhook round failed");
                Vec::new()
            });
            if claimed.is_empty() {
                tokio::select! {
                    () = self.idle() => {}
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                }
                continue;
            }
            for item in claimed {
                let org = item.organization_id.unwrap_or_default();
                *busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(org).or_default() += 1;
                let (services, busy) = (self.clone(), busy.clone());
                running.spawn(async move {
                    let outcome = services.send_webhook(&item).await;
                    if let Err(e) = services.record(&item, outcome).await {
                        tracing::error!(delivery_id = %item.id, error = %crate::error::Report(&e), "recording a delivery outcome failed");
                    }
                    let mut busy = busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if let Some(n) = busy.get_mut(&org) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            busy.remove(&org);
                        }
                    }
                });
            }
        }
    }

    /// Claims up to `limit` due webhook deliveries, at most [`PER_ORGANISATION`] per organisation
    /// and none of the organisations in `full`.
    async fn claim_webhooks(&self, limit: usize, full: &[Uuid]) -> DomainResult<Vec<Claimed>> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1) \
                 WHERE id IN ( \
                   SELECT id FROM ( \
                     SELECT id, next_attempt_at, row_number() OVER (PARTITION BY organization_id \
                                                                    ORDER BY next_attempt_at) AS nth \
                     FROM (SELECT id, organization_id, next_attempt_at FROM outbox \
                           WHERE status = $5 AND kind = $6 AND next_attempt_at <= now() \
                             AND organization_id <> ALL($4::uuid[]) \
                           ORDER BY next_attempt_at LIMIT 2000 FOR UPDATE SKIP LOCKED) due \
                   ) ranked WHERE nth <= $3 ORDER BY next_attempt_at LIMIT $2) \
                 RETURNING id, organization_id, kind, event, webhook_id, target, payload, attempts, max_attempts",
                [
                    LEASE.as_secs_f64().into(),
                    (limit as i64).into(),
                    (PER_ORGANISATION as i64).into(),
                    format!("{{{}}}", full.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")).into(),
                    DeliveryStatus::Pending.into(),
                    DeliveryKind::Webhook.into(),
                ],
            ))
            .await?;
        claimed(&rows)
    }

    /// Claims due mail, sends it concurrently and records the outcomes; returns how many were
    /// attempted.
    pub async fn deliver_due_mail(&self) -> DomainResult<usize> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1) \
                 WHERE id IN (SELECT id FROM outbox WHERE status = $3 AND kind = $4 \
                              AND next_attempt_at <= now() \
                              ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, organization_id, kind, event, webhook_id, target, payload, attempts, max_attempts",
                [LEASE.as_secs_f64().into(), CLAIM.into(), DeliveryStatus::Pending.into(), DeliveryKind::Email.into()],
            ))
            .await?;
        let claimed = claimed(&rows)?;
        let count = claimed.len();
        let sends = claimed.into_iter().map(|item| async move {
            let outcome = self.send_mail(&item).await;
            if let Err(e) = self.record(&item, outcome).await {
                tracing::error!(delivery_id = %item.id, error = %crate::error::Report(&e), "recording a delivery outcome failed");
            }
        });
        futures_util::future::join_all(sends).await;
        Ok(count)
    }

    async fn send_mail(&self, item: &Claimed) -> Outcome {
        let subject = item.payload["subject"].as_str().unwrap_or("Iterochat alert");
        let text = item.payload["text"].as_str().unwrap_or_default();
        match self.alerts.mailer.send(item.id, &item.target, subject, text).await {
            Ok(()) => Outcome { status: None, error: None, permanent: false },
            Err(e) => Outcome { status: None, error: Some(e), permanent: false },
        }
    }

    async fn send_webhook(&self, item: &Claimed) -> Outcome {
        let failed = |error: String, permanent| Outcome { status: None, error: Some(error), permanent };
        let hook = match item.webhook_id {
            Some(id) => webhook::Entity::find_by_id(id).one(&self.db).await,
            None => Ok(None),
        };
        let hook = match hook {
            Ok(Some(h)) => h,
            Ok(None) => return failed("the webhook was deleted".into(), true),
            Err(e) => return failed(e.to_string(), false),
        };
        let url = match reqwest::Url::parse(&hook.url) {
            Ok(u) => u,
            Err(e) => return failed(e.to_string(), true),
        };
        if let Err(e) = super::webhooks::ensure_public(&url, self.alerts.allow_private_webhooks).await {
            return failed(e, true);
        }
        let body = item.payload.to_string();
        let timestamp = Utc::now().timestamp();
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Iterochat-Webhooks/1")
            .header("x-iterochat-event", &item.event)
            .header("x-iterochat-delivery", item.id.to_string())
            .header("x-iterochat-timestamp", timestamp.to_string())
            .header("x-iterochat-signature", signature(&hook.secret, timestamp, &body))
            .body(body)
            .timeout(WEBHOOK_TIMEOUT)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => {
                Outcome { status: Some(i32::from(r.status().as_u16())), error: None, permanent: false }
            }
            // The status and its standard reason only: the target's body is never stored or
            // shown back (it would read an internal service's answer to the tenant).
            Ok(r) => {
                let status = r.status();
                Outcome {
                    status: Some(i32::from(status.as_u16())),
                    error: Some(format!("HTTP {status}")),
                    permanent: status == reqwest::StatusCode::GONE,
                }
            }
            // With its causes: "… resolves to 10.0.0.5, a private or loopback address" is the
            // useful part, two sources down.
            Err(e) => failed(with_causes(&e.without_url()), false),
        }
    }

    async fn record(&self, item: &Claimed, outcome: Outcome) -> DomainResult<()> {
        let (sql, values): (&str, Vec<sea_orm::Value>) = match outcome.error {
            None => {
                tracing::info!(delivery_id = %item.id, organization_id = ?item.organization_id, kind = item.kind.as_str(), "delivered");
                (
                    "UPDATE outbox SET status = $3, delivered_at = now(), last_status = $2, last_error = NULL \
                     WHERE id = $1",
                    vec![item.id.into(), outcome.status.into(), DeliveryStatus::Delivered.into()],
                )
            }
            Some(error) if outcome.permanent || item.attempts >= item.max_attempts => {
                tracing::warn!(delivery_id = %item.id, organization_id = ?item.organization_id, kind = item.kind.as_str(), %error, attempts = item.attempts, "delivery dead");
                (
                    "UPDATE outbox SET status = $4, last_status = $2, last_error = $3 WHERE id = $1",
                    vec![item.id.into(), outcome.status.into(), error.into(), DeliveryStatus::Dead.into()],
                )
            }
            Some(error) => {
                let wait = backoff(self.alerts.retry_base, item.attempts);
                tracing::info!(delivery_id = %item.id, organization_id = ?item.organization_id, kind = item.kind.as_str(), %error, retry_in = ?wait, "delivery failed; will retry");
                (
                    "UPDATE outbox SET last_status = $2, last_error = $3, \
                     next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
                    vec![item.id.into(), outcome.status.into(), error.into(), wait.as_secs_f64().into()],
                )
            }
        };
        self.db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
        Ok(())
    }
}

/// An error and its chain of causes, "top: cause: root".
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_dot_body() {
        // Reference value computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, "{\"a\":1}"),
            "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
