//! Typed settings, loaded once at start-up: defaults → optional TOML file → environment.
//!
//! The file is `ITEROCHAT_CONFIG` if set, else `./iterochat.toml` if it exists. Environment
//! variables (README, "Configuration") win over both. Bad values fail at boot with a message naming the
//! variable to fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::SecretString;
use serde::Deserialize;

use crate::client_ip::TrustedProxies;

/// Everything the server can be told. Secrets are `SecretString` so they never reach a log.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen address (`ITEROCHAT_ADDR`); port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// Embedded Postgres data, model cache, mail outbox (`ITEROCHAT_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Use this Postgres (with pgvector) instead of the embedded one (`DATABASE_URL`).
    pub database_url: Option<SecretString>,
    /// The relocatable Postgres 18 + pgvector install that `make` puts in `.tools/postgres`
    /// (`ITEROCHAT_POSTGRES_DIR`); only used without `DATABASE_URL`.
    pub postgres_dir: PathBuf,
    /// The in-process embedding model (`ITEROCHAT_LOCAL_MODEL`: `all-MiniLM-L6-v2`, the
    /// default, or `multilingual-e5-small`).
    pub local_model: domain::embeddings::LocalModel,
    /// Folder with that model's files (`ITEROCHAT_MODEL_DIR`); unset → `.tools/models/<name>`.
    pub model_dir: Option<PathBuf>,
    /// Key for an OpenAI-compatible server (`OPENAI_API_KEY`); unset → local AI.
    pub openai_api_key: Option<SecretString>,
    /// Base URL of that server (`OPENAI_BASE_URL`).
    pub openai_base_url: Option<String>,
    /// Chat model name on that server (`ITEROCHAT_CHAT_MODEL`).
    pub chat_model: Option<String>,
    /// Embedding model name on that server (`ITEROCHAT_EMBEDDING_MODEL`).
    pub embedding_model: Option<String>,
    /// `local` keeps in-process embeddings even with a chat server configured
    /// (`ITEROCHAT_EMBEDDINGS`); unset → the server's embeddings when one is configured.
    pub embeddings: Option<String>,
    /// Public URL of the dashboard, used in links sent by mail (`ITEROCHAT_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Mark the session cookie `Secure` (`ITEROCHAT_SECURE_COOKIES`); on behind HTTPS.
    pub secure_cookies: bool,
    /// Create the demo organisation and login at start-up (`ITEROCHAT_SEED_DEMO`); `make run` sets it.
    pub seed_demo: bool,
    /// Serve a demo customer page embedding the widget on this second address, another origin
    /// (`ITEROCHAT_DEMO_ADDR`); `make run` sets it.
    pub demo_addr: Option<SocketAddr>,
    /// `ITEROCHAT_METRICS_ADDR`: where `GET /metrics` (Prometheus) listens; `None` = off.
    pub metrics_addr: Option<SocketAddr>,
    /// Largest request body accepted by the API, in bytes (`ITEROCHAT_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// SMTP server for alert mails (`ITEROCHAT_SMTP_HOST`); unset → `.eml` files under
    /// `<data dir>/mail/`.
    pub smtp_host: Option<String>,
    /// `ITEROCHAT_SMTP_PORT`; default 587 (STARTTLS), 465 (TLS) or 25 (none).
    pub smtp_port: Option<u16>,
    /// `starttls`, `tls` or `none` (`ITEROCHAT_SMTP_TLS`).
    pub smtp_tls: String,
    /// `ITEROCHAT_SMTP_USERNAME` / `ITEROCHAT_SMTP_PASSWORD`.
    pub smtp_username: Option<String>,
    /// The SMTP password (`ITEROCHAT_SMTP_PASSWORD`), never logged.
    pub smtp_password: Option<SecretString>,
    /// Sender of alert mails (`ITEROCHAT_MAIL_FROM`).
    pub mail_from: Option<String>,
    /// Let webhooks target loopback/private addresses (`ITEROCHAT_ALLOW_PRIVATE_WEBHOOKS`).
    pub allow_private_webhooks: bool,
    /// First retry delay of a failed delivery, doubled per attempt (`ITEROCHAT_OUTBOX_RETRY_SECONDS`).
    pub outbox_retry_seconds: f64,
    /// Attempts before a delivery is dead (`ITEROCHAT_OUTBOX_MAX_ATTEMPTS`).
    pub outbox_max_attempts: i32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`ITEROCHAT_TRUSTED_PROXIES`,
    /// addresses or CIDR ranges); empty → the connection's address, and the header is ignored.
    pub trusted_proxies: TrustedProxies,
    /// Every public budget (`ITEROCHAT_RATE_*`, requests per minute; see [`crate::rate_limit`]).
    #[serde(skip)]
    pub rate_limits: crate::rate_limit::RateLimitSettings,
    /// Caps on live connections (`ITEROCHAT_STREAMS_PER_VISITOR`, `ITEROCHAT_STREAMS_PER_IP`,
    /// `ITEROCHAT_SOCKETS_PER_USER`, `ITEROCHAT_MAX_CONNECTIONS`).
    #[serde(skip)]
    pub connections: crate::rate_limit::ConnectionSettings,
    /// Knowledge one organisation may store (`ITEROCHAT_KB_MAX_DOCUMENTS`, `ITEROCHAT_KB_MAX_MB`).
    #[serde(skip)]
    pub knowledge_quota: domain::knowledge::KnowledgeQuota,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("./.data"),
            database_url: None,
            postgres_dir: PathBuf::from("./.tools/postgres"),
            local_model: domain::embeddings::LocalModel::default(),
            model_dir: None,
            openai_api_key: None,
            openai_base_url: None,
            chat_model: None,
            embedding_model: None,
            embeddings: None,
            public_url: None,
            secure_cookies: false,
            seed_demo: false,
            demo_addr: None,
            metrics_addr: None,
            max_body_bytes: 1024 * 1024,
            smtp_host: None,
            smtp_port: None,
            smtp_tls: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            mail_from: None,
            allow_private_webhooks: false,
            outbox_retry_seconds: 30.0,
            outbox_max_attempts: 10,
            trusted_proxies: TrustedProxies::default(),
            rate_limits: crate::rate_limit::RateLimitSettings::default(),
            connections: crate::rate_limit::ConnectionSettings::default(),
            knowledge_quota: domain::knowledge::KnowledgeQuota::default(),
        }
    }
}

impl Settings {
    /// Loads settings from the file (if any) and the process environment.
    pub fn load() -> anyhow::Result<Self> {
        let path = std::env::var_os("ITEROCHAT_CONFIG").map(PathBuf::from);
        let file = match &path {
            Some(p) => {
                Some(std::fs::read_to_string(p).with_context(|| format!("reading ITEROCHAT_CONFIG={}", p.display()))?)
            }
            None => std::fs::read_to_string("iterochat.toml").ok(),
        };
        let base = match file {
            Some(text) => {
                toml::from_str(&text).context("parsing the settings file (iterochat.toml / ITEROCHAT_CONFIG)")?
            }
            None => Settings::default(),
        };
        base.with_env(|key| std::env::var(key).ok())
    }

    /// Applies environment overrides from `lookup` (the process env in production, a map in tests).
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("ITEROCHAT_ADDR") {
            self.addr =
                v.parse().with_context(|| format!("ITEROCHAT_ADDR={v:?} is not an address like 127.0.0.1:3000"))?;
        }
        if let Some(v) = get("ITEROCHAT_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("DATABASE_URL") {
            if !(v.starts_with("postgres://") || v.starts_with("postgresql://")) {
                bail!("DATABASE_URL must be a postgres:// URL (Iterochat needs Postgres with pgvector)");
            }
            self.database_url = Some(v.into());
        }
        if let Some(v) = get("ITEROCHAT_POSTGRES_DIR") {
            self.postgres_dir = v.into();
        }
        if let Some(v) = get("ITEROCHAT_LOCAL_MODEL") {
            self.local_model = domain::embeddings::LocalModel::from_name(&v).ok_or_else(|| {
                let names: Vec<&str> = domain::embeddings::LocalModel::ALL.iter().map(|m| m.name()).collect();
                anyhow::anyhow!("ITEROCHAT_LOCAL_MODEL={v:?} must be one of {}", names.join(", "))
            })?;
        }
        if let Some(v) = get("ITEROCHAT_MODEL_DIR") {
            self.model_dir = Some(v.into());
        }
        if let Some(v) = get("OPENAI_API_KEY") {
            self.openai_api_key = Some(v.into());
        }
        if let Some(v) = get("OPENAI_BASE_URL") {
            self.openai_base_url = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_CHAT_MODEL") {
            self.chat_model = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_EMBEDDING_MODEL") {
            self.embedding_model = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_EMBEDDINGS") {
            let v = v.trim().to_ascii_lowercase();
            if v != "local" && v != "openai" {
                bail!("ITEROCHAT_EMBEDDINGS={v:?} must be local or openai");
            }
            self.embeddings = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_PUBLIC_URL") {
            self.public_url = Some(v.trim_end_matches('/').to_owned());
            // Served over HTTPS: the session cookie never travels in clear (unless turned off below).
            self.secure_cookies |= v.trim().to_ascii_lowercase().starts_with("https://");
        }
        if let Some(v) = get("ITEROCHAT_SECURE_COOKIES") {
            self.secure_cookies = parse_bool("ITEROCHAT_SECURE_COOKIES", &v)?;
        }
        if let Some(v) = get("ITEROCHAT_SEED_DEMO") {
            self.seed_demo = parse_bool("ITEROCHAT_SEED_DEMO", &v)?;
        }
        if let Some(v) = get("ITEROCHAT_DEMO_ADDR") {
            self.demo_addr = Some(
                v.parse()
                    .with_context(|| format!("ITEROCHAT_DEMO_ADDR={v:?} is not an address like 127.0.0.1:3001"))?,
            );
        }
        if let Some(v) = get("ITEROCHAT_METRICS_ADDR").filter(|v| !v.trim().is_empty()) {
            self.metrics_addr = Some(
                v.parse()
                    .with_context(|| format!("ITEROCHAT_METRICS_ADDR={v:?} is not an address like 127.0.0.1:9464"))?,
            );
        }
        set_count(&get, "ITEROCHAT_MAX_BODY_BYTES", 0, &mut self.max_body_bytes)?;
        if let Some(v) = get("ITEROCHAT_SMTP_HOST") {
            self.smtp_host = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_SMTP_PORT") {
            self.smtp_port = Some(v.parse().with_context(|| format!("ITEROCHAT_SMTP_PORT={v:?} is not a port"))?);
        }
        if let Some(v) = get("ITEROCHAT_SMTP_TLS") {
            self.smtp_tls = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = get("ITEROCHAT_SMTP_USERNAME") {
            self.smtp_username = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_SMTP_PASSWORD") {
            self.smtp_password = Some(v.into());
        }
        if let Some(v) = get("ITEROCHAT_MAIL_FROM") {
            self.mail_from = Some(v);
        }
        if let Some(v) = get("ITEROCHAT_ALLOW_PRIVATE_WEBHOOKS") {
            self.allow_private_webhooks = parse_bool("ITEROCHAT_ALLOW_PRIVATE_WEBHOOKS", &v)?;
        }
        if let Some(v) = get("ITEROCHAT_OUTBOX_RETRY_SECONDS") {
            self.outbox_retry_seconds = v
                .parse()
                .ok()
                .filter(|s: &f64| *s > 0.0 && s.is_finite())
                .with_context(|| format!("ITEROCHAT_OUTBOX_RETRY_SECONDS={v:?} is not a positive number"))?;
        }
        set_count(&get, "ITEROCHAT_OUTBOX_MAX_ATTEMPTS", 1, &mut self.outbox_max_attempts)?;
        if let Some(v) = get("ITEROCHAT_TRUSTED_PROXIES") {
            self.trusted_proxies =
                TrustedProxies::parse(&v).map_err(|e| anyhow::anyhow!("ITEROCHAT_TRUSTED_PROXIES: {e}"))?;
        }
        let rates = &mut self.rate_limits;
        for (key, field) in [
            ("ITEROCHAT_RATE_PER_IP", &mut rates.per_ip),
            ("ITEROCHAT_RATE_NEW_SESSIONS_PER_IP", &mut rates.new_sessions_per_ip),
            ("ITEROCHAT_RATE_SESSIONS_PER_VISITOR", &mut rates.sessions_per_visitor),
            ("ITEROCHAT_RATE_PER_VISITOR", &mut rates.per_visitor),
            ("ITEROCHAT_RATE_FEEDBACK_PER_IP", &mut rates.feedback_per_ip),
            ("ITEROCHAT_RATE_FETCH_PER_IP", &mut rates.fetch_per_ip),
            ("ITEROCHAT_RATE_FETCH_PER_PROJECT", &mut rates.fetch_per_project),
            ("ITEROCHAT_RATE_AUTH_PER_IP", &mut rates.auth_per_ip),
            ("ITEROCHAT_STREAMS_PER_VISITOR", &mut self.connections.streams_per_visitor),
            ("ITEROCHAT_STREAMS_PER_IP", &mut self.connections.streams_per_ip),
            ("ITEROCHAT_SOCKETS_PER_USER", &mut self.connections.sockets_per_user),
        ] {
            set_count(&get, key, 1, field)?;
        }
        set_count(&get, "ITEROCHAT_MAX_CONNECTIONS", 1, &mut self.connections.max_connections)?;
        set_count(&get, "ITEROCHAT_RATE_MAX_KEYS", 1000, &mut rates.max_keys)?;
        set_count(&get, "ITEROCHAT_KB_MAX_DOCUMENTS", 1, &mut self.knowledge_quota.max_documents)?;
        let mut mb = self.knowledge_quota.max_bytes / (1024 * 1024);
        set_count(&get, "ITEROCHAT_KB_MAX_MB", 1, &mut mb)?;
        self.knowledge_quota.max_bytes = mb * 1024 * 1024;
        if !["starttls", "tls", "none"].contains(&self.smtp_tls.as_str()) {
            bail!("ITEROCHAT_SMTP_TLS={:?} must be starttls, tls or none", self.smtp_tls);
        }
        Ok(self)
    }

    /// How alerts are delivered: SMTP when `ITEROCHAT_SMTP_HOST` is set, else `.eml` files under
    /// `<data dir>/mail/`; links point at `public_url`.
    pub fn alert_settings(&self, public_url: String) -> anyhow::Result<domain::alerts::AlertSettings> {
        use domain::alerts::{Mailer, SmtpConfig, SmtpTls};
        use secrecy::ExposeSecret as _;
        let from = self.mail_from.clone().unwrap_or_else(|| domain::alerts::mail::DEFAULT_FROM.to_owned());
        let mailer = match &self.smtp_host {
            None => Mailer::Files { dir: self.data_dir.join("mail"), from },
            Some(host) => {
                let tls = match self.smtp_tls.as_str() {
                    "tls" => SmtpTls::Tls,
                    "none" => SmtpTls::None,
                    _ => SmtpTls::StartTls,
                };
                let default_port = match tls {
                    SmtpTls::Tls => 465,
                    SmtpTls::StartTls => 587,
                    SmtpTls::None => 25,
                };
                let config = SmtpConfig {
                    host: host.clone(),
                    port: self.smtp_port.unwrap_or(default_port),
                    tls,
                    username: self.smtp_username.clone(),
                    password: self.smtp_password.as_ref().map(|p| p.expose_secret().to_owned()),
                };
                Mailer::smtp(&config, &from).map_err(|e| {
                    anyhow::anyhow!("configuring SMTP (check ITEROCHAT_SMTP_* and ITEROCHAT_MAIL_FROM): {e}")
                })?
            }
        };
        Ok(domain::alerts::AlertSettings {
            public_url,
            mailer,
            allow_private_webhooks: self.allow_private_webhooks,
            retry_base: std::time::Duration::from_secs_f64(self.outbox_retry_seconds),
            max_attempts: self.outbox_max_attempts,
        })
    }

    /// Which embedding provider to use: an OpenAI-compatible server when `OPENAI_API_KEY` or
    /// `OPENAI_BASE_URL` is set (unless `ITEROCHAT_EMBEDDINGS=local`), else the local model.
    pub fn embedding_config(&self) -> domain::embeddings::EmbeddingConfig {
        let model_dir =
            self.model_dir.clone().unwrap_or_else(|| Path::new("./.tools/models").join(self.local_model.name()));
        let local = domain::embeddings::EmbeddingConfig::Local { model: self.local_model, model_dir };
        let Some((base_url, api_key)) = self.openai_server() else { return local };
        if self.embeddings.as_deref() == Some("local") {
            return local;
        }
        domain::embeddings::EmbeddingConfig::OpenAi {
            base_url,
            api_key,
            model: self.embedding_model.clone().unwrap_or_else(|| "text-embedding-3-small".into()),
        }
    }

    /// The chat model, when an OpenAI-compatible server is configured; `None` → extractive answers.
    pub fn chat_config(&self) -> Option<domain::llm::ChatConfig> {
        let (base_url, api_key) = self.openai_server()?;
        Some(domain::llm::ChatConfig {
            base_url,
            api_key,
            model: self.chat_model.clone().unwrap_or_else(|| "gpt-4o-mini".into()),
        })
    }

    /// Base URL and key of the OpenAI-compatible server, if one is configured.
    fn openai_server(&self) -> Option<(String, String)> {
        use secrecy::ExposeSecret as _;
        if self.openai_api_key.is_none() && self.openai_base_url.is_none() {
            return None;
        }
        Some((
            self.openai_base_url.clone().unwrap_or_else(|| "https://api.openai.com/v1".into()),
            self.openai_api_key.as_ref().map(|k| k.expose_secret().to_owned()).unwrap_or_default(),
        ))
    }

    /// The URL mails and printed messages link to.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}"))
    }
}

/// Sets `field` from the variable `key` when it is set: a whole number of at least `min`.
fn set_count<T>(get: &impl Fn(&str) -> Option<String>, key: &str, min: T, field: &mut T) -> anyhow::Result<()>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    if let Some(v) = get(key) {
        *field = v
            .trim()
            .parse()
            .ok()
            .filter(|n: &T| *n >= min)
            .with_context(|| format!("{key}={v:?} is not a whole number of at least {min}"))?;
    }
    Ok(())
}

fn parse_bool(key: &str, value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{key}={value:?} must be true or false"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret as _;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn an_https_public_url_makes_the_session_cookie_secure_unless_turned_off() {
        let https = Settings::default().with_env(env(&[("ITEROCHAT_PUBLIC_URL", "https://chat.example")])).expect("ok");
        assert!(https.secure_cookies);
        let http = Settings::default().with_env(env(&[("ITEROCHAT_PUBLIC_URL", "http://localhost:3000")])).expect("ok");
        assert!(!http.secure_cookies);
        let off = Settings::default()
            .with_env(env(&[("ITEROCHAT_PUBLIC_URL", "https://chat.example"), ("ITEROCHAT_SECURE_COOKIES", "false")]))
            .expect("ok");
        assert!(!off.secure_cookies);
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = Settings::default()
            .with_env(env(&[("ITEROCHAT_ADDR", "0.0.0.0:8080"), ("DATABASE_URL", "postgres://u@h/db")]))
            .expect("valid");
        assert_eq!(s.addr.port(), 8080);
        assert_eq!(s.database_url.as_ref().map(|u| u.expose_secret().to_owned()).as_deref(), Some("postgres://u@h/db"));
    }

    #[test]
    fn bad_values_name_the_variable_to_fix() {
        let err = Settings::default().with_env(env(&[("ITEROCHAT_ADDR", "nonsense")])).expect_err("invalid");
        assert!(err.to_string().contains("ITEROCHAT_ADDR"));
        let err = Settings::default().with_env(env(&[("DATABASE_URL", "mysql://x")])).expect_err("invalid");
        assert!(err.to_string().contains("DATABASE_URL"));
        let err = Settings::default()
            .with_env(env(&[("ITEROCHAT_TRUSTED_PROXIES", "10.0.0.0/8,proxy")]))
            .expect_err("invalid");
        assert!(err.to_string().contains("ITEROCHAT_TRUSTED_PROXIES") && err.to_string().contains("proxy"), "{err}");
    }

    #[test]
    fn limits_and_the_local_model_come_from_the_environment() {
        let s = Settings::default()
            .with_env(env(&[
                ("ITEROCHAT_RATE_NEW_SESSIONS_PER_IP", "500"),
                ("ITEROCHAT_KB_MAX_MB", "20"),
                ("ITEROCHAT_LOCAL_MODEL", "multilingual-e5-small"),
            ]))
            .expect("ok");
        assert_eq!(s.rate_limits.new_sessions_per_ip, 500);
        assert_eq!(s.knowledge_quota.max_bytes, 20 * 1024 * 1024);
        assert_eq!(s.local_model, domain::embeddings::LocalModel::MultilingualE5Small);
        for (key, value) in
            [("ITEROCHAT_RATE_PER_IP", "0"), ("ITEROCHAT_RATE_MAX_KEYS", "10"), ("ITEROCHAT_LOCAL_MODEL", "gpt")]
        {
            let err = Settings::default().with_env(env(&[(key, value)])).expect_err("refused");
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn trusted_proxies_come_from_the_environment_or_the_file() {
        let s =
            Settings::default().with_env(env(&[("ITEROCHAT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")])).expect("ok");
        assert!(s.trusted_proxies.contains("10.9.8.7".parse().expect("ip")));
        assert!(!s.trusted_proxies.contains("192.168.0.1".parse().expect("ip")));
        let file: Settings = toml::from_str(r#"trusted_proxies = ["172.16.0.0/12"]"#).expect("toml");
        assert!(file.trusted_proxies.contains("172.20.0.1".parse().expect("ip")));
        assert!(toml::from_str::<Settings>(r#"trusted_proxies = ["nope"]"#).is_err());
    }
}
