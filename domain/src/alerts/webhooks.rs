//! Webhook endpoints: owners and admins add them (URL, events, a secret shown once), rotate the
//! secret, send a test and read the delivery log.
//!
//! Only `http(s)` URLs, and never loopback, private, link-local or otherwise internal addresses
//! (checked when saved and again before every delivery) unless `allow_private_webhooks` is on.
//! The delivery client resolves a host through [`PublicOnly`]: the addresses it connects to are
//! the ones that were checked, so a name answering a public address to the check and a private
//! one to the connection (DNS rebinding) cannot reach inside.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Delivery, DeliveryKind, EVENTS, TEST_EVENT};
use crate::accounts::Actor;
use crate::entities::{outbox, webhook};
use crate::{DomainError, DomainResult, Services, tokens};

/// Test deliveries an organisation may send per minute.
pub const TESTS_PER_MINUTE: u64 = 5;

/// Most endpoints per organisation.
const MAX_WEBHOOKS: usize = 20;
/// Deliveries listed with each endpoint.
const RECENT: u64 = 20;

/// An endpoint as the dashboard shows it (never with its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<Delivery>,
}

/// A new endpoint and its secret, shown this once.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// Whether the stored event list includes `event`.
pub fn subscribed(events: &Value, event: &str) -> bool {
    events.as_array().is_some_and(|list| list.iter().any(|e| e.as_str() == Some(event)))
}

fn events_of(events: &Value) -> Vec<String> {
    events.as_array().map(|l| l.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Validates the event list: at least one, each known, no repeats.
pub fn validate_events(events: &[String]) -> DomainResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if !EVENTS.contains(&e) {
            return Err(DomainError::invalid("events", format!("unknown event '{e}'; use {}", EVENTS.join(", "))));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_owned());
        }
    }
    if out.is_empty() {
        return Err(DomainError::invalid("events", "choose at least one event"));
    }
    Ok(out)
}

/// Parses a webhook URL and refuses internal targets (unless allowed).
pub async fn check_url(raw: &str, allow_private: bool) -> DomainResult<reqwest::Url> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| DomainError::invalid("url", format!("'{}' is not a URL: {e}", raw.trim())))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(DomainError::invalid("url", "must start with http:// or https://"));
    }
    if raw.len() > 2000 {
        return Err(DomainError::invalid("url", "must be at most 2000 characters"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DomainError::invalid("url", "must not contain a user name or password"));
    }
    ensure_public(&url, allow_private).await.map_err(|e| DomainError::invalid("url", e))?;
    Ok(url)
}

/// How webhook hosts are looked up: the system's resolver, or one a test supplies.
pub type Lookup =
    Arc<dyn Fn(String) -> futures_util::future::BoxFuture<'static, std::io::Result<Vec<IpAddr>>> + Send + Sync>;

/// The system's resolver.
pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect()) })
    })
}

/// A resolver for the delivery client that refuses a host when any of its addresses is internal;
/// reqwest then connects to exactly the addresses it returned.
pub struct PublicOnly(pub Lookup);

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (lookup, host) = (self.0.clone(), name.as_str().to_owned());
        Box::pin(async move {
            let ips = lookup(host.clone()).await?;
            if let Some(ip) = ips.iter().find(|ip| is_internal(**ip)) {
                return Err(format!("{host} resolves to {ip}, a private or loopback address").into());
            }
            if ips.is_empty() {
                return Err(format!("cannot resolve {host}").into());
            }
            // The port is the URL's: the connector sets it.
            let addrs: reqwest::dns::Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The client that delivers webhooks: no redirects, and (unless private targets are allowed)
/// every connection resolved through [`PublicOnly`].
pub fn delivery_client(allow_private: bool, lookup: Lookup) -> reqwest::Client {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let builder = if allow_private { builder } else { builder.dns_resolver(Arc::new(PublicOnly(lookup))) };
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

/// Refuses URLs whose host is, or resolves to, an internal address.
pub async fn ensure_public(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    ensure_public_with(url, allow_private, &system_lookup()).await
}

/// [`ensure_public`] with the given resolver.
pub async fn ensure_public_with(url: &reqwest::Url, allow_private: bool, lookup: &Lookup) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let refuse = |ip: IpAddr| format!("{ip} is a private or loopback address; webhooks must reach the public internet");
    match url.host() {
        Some(url::Host::Ipv4(ip)) if is_internal(IpAddr::V4(ip)) => Err(refuse(IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) if is_internal(IpAddr::V6(ip)) => Err(refuse(IpAddr::V6(ip))),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => Ok(()),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal") {
                return Err(format!("{name} is a local name; webhooks must reach the public internet"));
            }
            let addrs = lookup(name.clone()).await.map_err(|e| format!("cannot resolve {name}: {e}"))?;
            match addrs.into_iter().find(|ip| is_internal(*ip)) {
                Some(ip) => Err(refuse(ip)),
                None => Ok(()),
            }
        }
        None => Err("the URL has no host".into()),
    }
}

/// Loopback, private, link-local, carrier-grade NAT, unspecified, broadcast, documentation,
/// benchmarking (198.18/15), IETF (192.0.0/24), reserved (240/4) and multicast IPv4 addresses;
/// and in IPv6 the loopback, unspecified, unique-local, link-local, site-local (fec0::/10) and
/// multicast ones, and every form that carries an IPv4 address inside: mapped, compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`), refused whatever they carry.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64)
                || (a == 198 && (b & 0xfe) == 18)
                || (a == 192 && b == 0 && c == 0)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || s[0] == 0x2002
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0])
                || s[..6] == [0, 0, 0, 0, 0, 0]
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

fn new_secret() -> String {
    format!("whsec_{}", tokens::random_token())
}

impl Services {
    /// Adds an endpoint; the secret is returned this once.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        org_id: Uuid,
        url: &str,
        events: &[String],
    ) -> DomainResult<NewWebhook> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let url = check_url(url, self.alerts.allow_private_webhooks).await?;
        let events = validate_events(events)?;
        let existing =
            webhook::Entity::find().filter(webhook::Column::OrganizationId.eq(org_id)).count(&self.db).await?;
        if existing as usize >= MAX_WEBHOOKS {
            return Err(DomainError::invalid(
                "url",
                format!("an organisation can have at most {MAX_WEBHOOKS} webhooks"),
            ));
        }
        let secret = new_secret();
        let model = webhook::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org_id),
            url: Set(url.to_string()),
            events: Set(json!(events)),
            secret: Set(secret.clone()),
            created_at: Set(Utc::now().into()),
        }
        .insert(&self.db)
        .await?;
        Ok(NewWebhook {
            webhook: Webhook {
                id: model.id,
                url: model.url,
                events,
                created_at: model.created_at.into(),
                deliveries: Vec::new(),
            },
            secret,
        })
    }

    /// The organisation's endpoints with their recent deliveries.
    pub async fn list_webhooks(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<Webhook>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let hooks = webhook::Entity::find()
            .filter(webhook::Column::OrganizationId.eq(org_id))
            .order_by_asc(webhook::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(hooks.len());
        for h in hooks {
            let deliveries = outbox::Entity::find()
                .filter(outbox::Column::WebhookId.eq(h.id))
                .order_by_desc(outbox::Column::CreatedAt)
                .limit(RECENT)
                .all(&self.db)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            out.push(Webhook {
                id: h.id,
                url: h.url,
                events: events_of(&h.events),
                created_at: h.created_at.into(),
                deliveries,
            });
        }
        Ok(out)
    }

    /// Removes an endpoint and its pending deliveries.
    pub async fn delete_webhook(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let gone = webhook::Entity::delete_many()
            .filter(webhook::Column::Id.eq(id))
            .filter(webhook::Column::OrganizationId.eq(org_id))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(DomainError::NotFound("webhook"));
        }
        Ok(())
    }

    /// Replaces an endpoint's secret; the new one is returned this once and signs every
    /// delivery from now on (retries included).
    pub async fn rotate_webhook_secret(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<String> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let hook = self.find_webhook(org_id, id).await?;
        let secret = new_secret();
        let mut active: webhook::ActiveModel = hook.into();
        active.secret = Set(secret.clone());
        active.update(&self.db).await?;
        Ok(secret)
    }

    /// Queues a `webhook.test` delivery to one endpoint ("Send test").
    pub async fn test_webhook(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<Delivery> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let hook = self.find_webhook(org_id, id).await?;
        // A test is for trying an endpoint, not for filling the outbox: a few a minute.
        let recent = outbox::Entity::find()
            .filter(outbox::Column::OrganizationId.eq(org_id))
            .filter(outbox::Column::Event.eq(TEST_EVENT))
            .filter(outbox::Column::CreatedAt.gt(Utc::now() - chrono::Duration::seconds(60)))
            .count(&self.db)
            .await?;
        if recent >= TESTS_PER_MINUTE {
            return Err(DomainError::Throttled { retry_after_secs: 60 });
        }
        let body = json!({"event": TEST_EVENT, "data": {"organization_id": org_id, "webhook_id": hook.id,
            "sent_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}});
        let delivery = super::NewDelivery {
            organization_id: Some(org_id),
            kind: DeliveryKind::Webhook,
            event: TEST_EVENT,
            webhook_id: Some(hook.id),
            target: &hook.url,
            payload: body,
            conversation_id: None,
        };
        let delivery_id = super::insert(&self.db, &self.alerts, delivery).await?;
        self.wake_outbox();
        Ok(outbox::Entity::find_by_id(delivery_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("delivery"))?
            .into())
    }

    async fn find_webhook(&self, org_id: Uuid, id: Uuid) -> DomainResult<webhook::Model> {
        webhook::Entity::find_by_id(id)
            .filter(webhook::Column::OrganizationId.eq(org_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("webhook"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
            "2002:7f00:1::1",
            "fec0::1",
            "198.18.0.1",
            "198.19.255.1",
            "192.0.0.8",
            "240.0.0.1",
            "224.0.0.1",
            "ff02::1",
        ] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }

    /// A name that answers a public address to the check, then a private one: the connection is
    /// refused, and the private service never sees it.
    #[tokio::test]
    async fn a_rebinding_name_cannot_reach_a_private_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let reached = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = reached.clone();
        tokio::spawn(async move {
            if listener.accept().await.is_ok() {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let answers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lookup: Lookup = Arc::new(move |_host: String| {
            let n = answers.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let ip: IpAddr =
                if n == 0 { "93.184.216.34".parse().expect("ip") } else { "127.0.0.1".parse().expect("ip") };
            Box::pin(async move { Ok(vec![ip]) })
        });
        let url = reqwest::Url::parse(&format!("http://rebind.example:{port}/hook")).expect("url");
        ensure_public_with(&url, false, &lookup).await.expect("the first answer is public");
        let sent = delivery_client(false, lookup).post(url).body("{}").send().await;
        let error = format!("{:?}", sent.expect_err("refused at connect"));
        assert!(error.contains("private or loopback"), "{error}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!reached.load(std::sync::atomic::Ordering::SeqCst), "the private address was never connected to");
    }

    #[tokio::test]
    async fn only_public_http_urls_are_accepted() {
        for bad in [
            "ftp://example.com/x",
            "not a url",
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "https://user:pw@example.com/",
        ] {
            assert!(check_url(bad, false).await.is_err(), "{bad}");
        }
        assert!(check_url("http://93.184.216.34/hook", false).await.is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", true).await.is_ok(), "allowed when configured");
    }

    #[test]
    fn events_must_be_known_and_are_deduplicated() {
        let events = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            validate_events(&events(&["conversation.escalated", "conversation.escalated"])).expect("valid"),
            vec!["conversation.escalated"]
        );
        assert!(validate_events(&events(&[])).is_err());
        assert!(validate_events(&events(&["conversation.exploded"])).is_err());
    }
}
