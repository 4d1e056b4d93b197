//! Every public budget, in one place: handlers ask [`Limits::check`] by [`Budget`] name.
//!
//! Each budget is a keyed GCRA limiter (`governor`): a steady rate per minute with a burst of the
//! same size, so a client that was quiet may spend a minute's budget at once. Keys have a fixed
//! size whatever a client sends ([`Key`]): an IPv4 address, an IPv6 /64 (one subscriber's
//! network, which can hold billions of addresses), or the first 16 bytes of a SHA-256 of a token
//! or id. Memory is bounded: idle keys are dropped, and a budget holding more than
//! [`RateLimitSettings::max_keys`] keys drops them at most every few seconds; one whose flood of
//! distinct keys survives that refuses new requests until it has drained.
//!
//! In-process: each server instance counts its own traffic.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};

/// A limiter key of fixed size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// An IPv4 address, whole.
    Ipv4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    Ipv6Network([u8; 8]),
    /// A token, key or id, hashed.
    Digest([u8; 16]),
    /// The connection's address is unknown (not over TCP): one shared bucket.
    Unknown,
}

impl Key {
    /// The client's address; IPv6 clients by their /64, IPv4-mapped IPv6 as IPv4.
    pub fn ip(ip: Option<IpAddr>) -> Self {
        match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => Self::Ipv4(v4.octets()),
            Some(IpAddr::V6(v6)) => {
                let mut net = [0u8; 8];
                net.copy_from_slice(&v6.octets()[..8]);
                Self::Ipv6Network(net)
            }
            None => Self::Unknown,
        }
    }

    /// A secret or identifier of any length, as a fixed-size digest (`kind` keeps a visitor
    /// token and a project id with the same text apart).
    pub fn digest(kind: &str, value: &str) -> Self {
        let hash = Sha256::new().chain_update(kind).chain_update([0]).chain_update(value).finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash[..16]);
        Self::Digest(out)
    }
}

/// The named budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Every public request (widget API, feedback SDK) per client network.
    ClientIp,
    /// Widget sessions opened without a visitor token (a first page view), per client network.
    NewSessionPerIp,
    /// Widget sessions resumed with a visitor token, per token.
    ReturningSession,
    /// Widget API requests per visitor token.
    Visitor,
    /// New feedback per client network (each may carry a console log).
    FeedbackPerIp,
    /// `POST /fetchFeedbacks` per client network, whatever the key.
    FetchPerIp,
    /// `POST /fetchFeedbacks` per project, counted only once its secret key is verified.
    FetchPerProject,
    /// Sign-in, sign-up and invite-join attempts (REST and the dashboard's server fns) per
    /// client network; each costs a password hash.
    AuthPerIp,
}

impl Budget {
    const ALL: [Self; 8] = [
        Self::ClientIp,
        Self::NewSessionPerIp,
        Self::ReturningSession,
        Self::Visitor,
        Self::FeedbackPerIp,
        Self::FetchPerIp,
        Self::FetchPerProject,
        Self::AuthPerIp,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|b| *b == self).unwrap_or(0)
    }

    /// The budget's name in metrics (`iterochat_rate_limited_total{budget=…}`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ClientIp => "client_ip",
            Self::NewSessionPerIp => "new_session_per_ip",
            Self::ReturningSession => "returning_session",
            Self::Visitor => "visitor",
            Self::FeedbackPerIp => "feedback_per_ip",
            Self::FetchPerIp => "fetch_per_ip",
            Self::FetchPerProject => "fetch_per_project",
            Self::AuthPerIp => "auth_per_ip",
        }
    }
}

/// Requests per minute of each budget, and the bound on remembered keys (`Settings`; every value
/// can be raised by an operator, see the README).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// Every public request per client network, per minute.
    pub per_ip: u32,
    /// Widget sessions opened without a visitor token, per network, per minute.
    pub new_sessions_per_ip: u32,
    /// Widget sessions resumed with a visitor token, per token, per minute.
    pub sessions_per_visitor: u32,
    /// Widget API requests per visitor token, per minute.
    pub per_visitor: u32,
    /// New feedback per client network, per minute.
    pub feedback_per_ip: u32,
    /// `POST /fetchFeedbacks` per client network, per minute.
    pub fetch_per_ip: u32,
    /// `POST /fetchFeedbacks` per project (after its key is verified), per minute.
    pub fetch_per_project: u32,
    /// Sign-in and password-reset attempts per client network, per minute.
    pub auth_per_ip: u32,
    /// Keys one budget remembers before it drops idle ones early.
    pub max_keys: usize,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_ip: 600,
            new_sessions_per_ip: 60,
            sessions_per_visitor: 60,
            per_visitor: 60,
            feedback_per_ip: 30,
            fetch_per_ip: 60,
            fetch_per_project: 60,
            auth_per_ip: 20,
            max_keys: 100_000,
        }
    }
}

impl RateLimitSettings {
    fn per_minute(&self, budget: Budget) -> u32 {
        match budget {
            Budget::ClientIp => self.per_ip,
            Budget::NewSessionPerIp => self.new_sessions_per_ip,
            Budget::ReturningSession => self.sessions_per_visitor,
            Budget::Visitor => self.per_visitor,
            Budget::FeedbackPerIp => self.feedback_per_ip,
            Budget::FetchPerIp => self.fetch_per_ip,
            Budget::FetchPerProject => self.fetch_per_project,
            Budget::AuthPerIp => self.auth_per_ip,
        }
    }
}

/// A refused request: when the budget has room again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget {
    /// How long until the budget allows one more.
    pub retry_after: Duration,
}

/// How long a budget waits between two early sweeps of its keys.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

struct Limiter {
    limiter: DefaultKeyedRateLimiter<Key>,
    /// Milliseconds since `Limits::started` of the last sweep.
    last_sweep: AtomicU64,
}

/// The budgets of one server instance; cheap to clone.
#[derive(Clone)]
pub struct Limits {
    limiters: Arc<[Limiter]>,
    max_keys: usize,
    started: Instant,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").field("max_keys", &self.max_keys).finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(&RateLimitSettings::default())
    }
}

impl Limits {
    /// The budgets, as configured.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let limiters = Budget::ALL
            .iter()
            .map(|b| {
                let n = std::num::NonZeroU32::new(settings.per_minute(*b)).unwrap_or(std::num::NonZeroU32::MIN);
                Limiter {
                    limiter: DefaultKeyedRateLimiter::dashmap(Quota::per_minute(n)),
                    last_sweep: AtomicU64::new(0),
                }
            })
            .collect();
        Self { limiters, max_keys: settings.max_keys.max(1), started: Instant::now() }
    }

    /// Counts one request against `budget` for `key`.
    pub fn check(&self, budget: Budget, key: Key) -> Result<(), OverBudget> {
        self.check_key(budget, key).inspect_err(|_| {
            metrics::counter!("iterochat_rate_limited_total", "budget" => budget.name()).increment(1);
        })
    }

    fn check_key(&self, budget: Budget, key: Key) -> Result<(), OverBudget> {
        let entry = &self.limiters[budget.index()];
        if entry.limiter.len() >= self.max_keys {
            self.sweep(entry);
            if entry.limiter.len() >= self.max_keys {
                return Err(OverBudget { retry_after: SWEEP_EVERY });
            }
        }
        entry.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            OverBudget { retry_after: wait.max(Duration::from_secs(1)) }
        })
    }

    /// Keys `budget` currently remembers.
    pub fn keys(&self, budget: Budget) -> usize {
        self.limiters[budget.index()].limiter.len()
    }

    /// Drops keys whose budget is full again, at most every [`SWEEP_EVERY`].
    fn sweep(&self, entry: &Limiter) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = entry.last_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) < SWEEP_EVERY.as_millis() as u64 && last != 0 {
            return;
        }
        if entry.last_sweep.compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            entry.limiter.retain_recent();
            entry.limiter.shrink_to_fit();
        }
    }
}

/// Caps on live connections held open at once (SSE streams, dashboard WebSockets).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ConnectionSettings {
    /// Widget streams per visitor token (tabs of one visitor).
    pub streams_per_visitor: u32,
    /// Widget streams per client network.
    pub streams_per_ip: u32,
    /// Dashboard sockets per signed-in person.
    pub sockets_per_user: u32,
    /// Live connections of every kind in this process; beyond it, 503 with `Retry-After`.
    pub max_connections: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self { streams_per_visitor: 5, streams_per_ip: 200, sockets_per_user: 20, max_connections: 20_000 }
    }
}

/// Why a live connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// This visitor, network or person holds its share: 429.
    OverShare,
    /// The server holds as many as it will: 503.
    Full,
}

/// Live connections held, by owner and in all; a [`Held`] gives its place back when dropped.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    inner: Arc<ConnectionCounts>,
}

#[derive(Debug, Default)]
struct ConnectionCounts {
    /// Only owners with a connection open: bounded by `max_connections`.
    by_owner: std::sync::Mutex<std::collections::HashMap<Key, u32>>,
    total: std::sync::atomic::AtomicUsize,
    settings: ConnectionSettings,
}

/// One open connection's place; dropping it (the stream or socket ends) frees it.
#[derive(Debug)]
pub struct Held {
    inner: Arc<ConnectionCounts>,
    owners: Vec<Key>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.inner.total.fetch_sub(1, Ordering::AcqRel);
        if let Ok(mut by_owner) = self.inner.by_owner.lock() {
            for owner in &self.owners {
                if let Some(n) = by_owner.get_mut(owner) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        by_owner.remove(owner);
                    }
                }
            }
        }
    }
}

impl Connections {
    /// A cap on open live connections, as configured.
    pub fn new(settings: ConnectionSettings) -> Self {
        Self { inner: Arc::new(ConnectionCounts { settings, ..ConnectionCounts::default() }) }
    }

    /// The configured caps.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// Takes a place for a connection owned by each of `owners` (with that owner's cap).
    pub fn open(&self, owners: &[(Key, u32)]) -> Result<Held, Refused> {
        let inner = &self.inner;
        let mut by_owner = inner.by_owner.lock().map_err(|_| Refused::Full)?;
        if inner.total.load(Ordering::Acquire) >= inner.settings.max_connections {
            return Err(Refused::Full);
        }
        if owners.iter().any(|(key, cap)| by_owner.get(key).copied().unwrap_or(0) >= *cap) {
            return Err(Refused::OverShare);
        }
        for (key, _) in owners {
            *by_owner.entry(*key).or_insert(0) += 1;
        }
        inner.total.fetch_add(1, Ordering::AcqRel);
        Ok(Held { inner: Arc::clone(inner), owners: owners.iter().map(|(k, _)| *k).collect() })
    }

    /// Connections open now.
    pub fn open_now(&self) -> usize {
        self.inner.total.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Key {
        Key::ip(Some(s.parse().expect("address")))
    }

    #[test]
    fn a_key_over_budget_is_refused_with_its_wait_and_others_are_not() {
        let limits = Limits::new(&RateLimitSettings { per_ip: 3, ..RateLimitSettings::default() });
        assert!((0..3).all(|_| limits.check(Budget::ClientIp, ip("192.0.2.1")).is_ok()));
        let refused = limits.check(Budget::ClientIp, ip("192.0.2.1")).expect_err("over budget");
        assert!(refused.retry_after >= Duration::from_secs(1) && refused.retry_after <= Duration::from_secs(20));
        assert!(limits.check(Budget::ClientIp, ip("192.0.2.2")).is_ok());
        // Budgets are separate.
        assert!(limits.check(Budget::FetchPerIp, ip("192.0.2.1")).is_ok());
    }

    #[test]
    fn connections_are_capped_per_owner_and_in_all_and_given_back_when_closed() {
        let c = Connections::new(ConnectionSettings { max_connections: 3, ..ConnectionSettings::default() });
        let (a, b) = (Key::digest("visitor", "a"), Key::digest("visitor", "b"));
        let first = c.open(&[(a, 2)]).expect("first");
        let _second = c.open(&[(a, 2)]).expect("second");
        assert_eq!(c.open(&[(a, 2)]).err(), Some(Refused::OverShare));
        let _third = c.open(&[(b, 2)]).expect("another owner");
        assert_eq!(c.open(&[(Key::digest("visitor", "c"), 2)]).err(), Some(Refused::Full));
        drop(first);
        assert_eq!(c.open_now(), 2);
        assert!(c.open(&[(a, 2)]).is_ok(), "a closed stream frees its place");
    }

    #[test]
    fn an_ipv6_network_shares_one_budget() {
        assert_eq!(ip("2001:db8:1:2::1"), ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(ip("2001:db8:1:2::1"), ip("2001:db8:1:3::1"));
        assert_eq!(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
    }

    #[test]
    fn keys_have_a_fixed_size_and_the_key_count_is_bounded() {
        let huge = "k".repeat(300 << 10);
        assert_eq!(Key::digest("visitor", &huge), Key::digest("visitor", &huge));
        assert_ne!(Key::digest("visitor", "a"), Key::digest("project", "a"));
        assert_eq!(std::mem::size_of::<Key>(), 17);

        let limits = Limits::new(&RateLimitSettings { max_keys: 50, ..RateLimitSettings::default() });
        for i in 0..500 {
            let _ = limits.check(Budget::Visitor, Key::digest("visitor", &format!("token-{i}")));
        }
        assert!(limits.keys(Budget::Visitor) <= 50, "{} keys remembered", limits.keys(Budget::Visitor));
    }
}
