//! A small fixed-window rate limiter for the public widget API, per visitor token and per IP.
//! In-process: each server instance counts its own traffic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts requests per key in one-minute windows.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl RateLimiter {
    /// Allows `per_minute` requests per key and minute.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Records a request for `key`; `false` when the key is over its budget.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else { return true };
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// The public widget API's budgets.
#[derive(Clone, Debug)]
pub struct WidgetLimits {
    /// Requests per client IP and minute.
    pub per_ip: RateLimiter,
    /// Requests per visitor token (sessions: per widget key) and minute.
    pub per_visitor: RateLimiter,
    /// New feedback per client IP and minute (the feedback SDK; each may carry a console log).
    pub feedback_per_ip: RateLimiter,
}

impl Default for WidgetLimits {
    fn default() -> Self {
        Self { per_ip: RateLimiter::new(600), per_visitor: RateLimiter::new(60), feedback_per_ip: RateLimiter::new(30) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_budget_is_refused_and_others_are_not() {
        let limiter = RateLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow("a")));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }
}
