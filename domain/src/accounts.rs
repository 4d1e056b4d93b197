//! Sign-up, sign-in, sessions and the signed-in person's view of their organisations.
//!
//! A session token is random, shown once (cookie or bearer), and stored only as a SHA-256 hash.
//! Passwords are hashed with argon2id on the blocking pool, never on the async executor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::{membership, organization, session, user};
use crate::organizations::{self, Organization};
use crate::{DomainError, DomainResult, Role, Services, tokens, validation};

/// How long a session lives without being revoked.
pub const SESSION_TTL_DAYS: i64 = 30;

/// The public face of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

impl From<user::Model> for UserInfo {
    fn from(u: user::Model) -> Self {
        Self { id: u.id, email: u.email, name: u.name }
    }
}

/// Who is calling: resolved from a bearer token or the dashboard cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserInfo,
    pub session_id: Uuid,
}

/// A fresh session: the token is returned exactly once.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub user: UserInfo,
}

/// What sign-up creates: the person, their first organisation (they own it) and a session.
#[derive(Clone, Debug)]
pub struct SignupOutcome {
    pub token: String,
    pub user: UserInfo,
    pub organization: Organization,
}

/// Input of [`Services::signup`].
#[derive(Clone, Debug, Default)]
pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub organization_name: String,
}

/// One organisation the person belongs to, and their role there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipInfo {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub role: Role,
}

/// Password hashes run on threads of their own, process-wide: half the cores (at least one),
/// so at most that many 19 MiB hashes exist at once and a flood of sign-ins queues here instead
/// of exhausting memory. The threads run at a lower CPU priority (nice [`HASHING_NICENESS`]): on
/// an idle machine a hash takes as long as ever, but while the cores are contended, visitors'
/// answers (embedding, retrieval) are served first, so a login flood cannot starve them.
struct Hashing {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

/// Niceness of the hashing threads (0 = normal, 19 = lowest): at 5 they get about a quarter of
/// a core that a normal thread also wants.
const HASHING_NICENESS: i32 = 5;

fn hashing() -> &'static Hashing {
    static HASHING: std::sync::OnceLock<Hashing> = std::sync::OnceLock::new();
    HASHING.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        for n in 0..(cores / 2).max(1) {
            let queue = std::sync::Arc::clone(&queue);
            let spawned = std::thread::Builder::new().name(format!("hashing-{n}")).spawn(move || {
                lower_priority(HASHING_NICENESS);
                loop {
                    // The lock is held only while waiting for the next job, not while hashing.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    job();
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %crate::error::Report(&e), "could not start a password-hashing thread");
            }
        }
        Hashing { jobs }
    })
}

/// Runs `work` on a hashing thread and waits for its result.
async fn on_hashing_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> DomainResult<T> {
    let (reply, result) = tokio::sync::oneshot::channel();
    let job: Box<dyn FnOnce() + Send> = Box::new(move || {
        let _ = reply.send(work());
    });
    hashing().jobs.send(job).map_err(|_| DomainError::internal("no password-hashing thread is running"))?;
    result.await.map_err(|_| DomainError::internal("password hashing stopped"))
}

/// Lowers the calling thread's CPU priority (Linux: niceness is per thread). Where that is not
/// possible, hashing runs at normal priority.
fn lower_priority(niceness: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority only read their arguments; the thread id is our own.
        let result = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, niceness)
        };
        if result != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "hashing thread keeps its priority");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = niceness;
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes) off the executor.
pub async fn hash_password(password: String) -> DomainResult<String> {
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::internal(format!("hashing password: {e}")))
    })
    .await?
}

/// Verifies a password against a stored hash off the executor; a malformed hash is just "no".
async fn verify_password(password: String, hash: String) -> DomainResult<bool> {
    on_hashing_thread(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
}

/// Failed sign-ins per account (by email, known or not): after [`LoginFailures::FREE`] failures
/// within [`LoginFailures::WINDOW`], each further attempt waits, twice as long after every
/// failure (30 s, 1 min, 2 min… at most 15 min). A success clears the count. Another account
/// is unaffected; the per-address budget is the web layer's.
#[derive(Debug, Default)]
pub struct LoginFailures {
    accounts: std::sync::Mutex<std::collections::HashMap<[u8; 16], (u32, std::time::Instant)>>,
}

impl LoginFailures {
    pub const FREE: u32 = 10;
    pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    /// Accounts remembered at most (fixed-size keys: about 4 MB).
    const MAX_ACCOUNTS: usize = 100_000;

    fn key(email: &str) -> [u8; 16] {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(email.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash[..16]);
        out
    }

    /// How long `count` failures make the next attempt wait, from the last failure.
    fn wait(count: u32) -> std::time::Duration {
        if count < Self::FREE {
            return std::time::Duration::ZERO;
        }
        let doublings = (count - Self::FREE).min(10);
        (std::time::Duration::from_secs(30) * 2u32.pow(doublings)).min(Self::MAX_WAIT)
    }

    /// `Throttled` while the account must wait.
    pub fn check(&self, email: &str) -> DomainResult<()> {
        let Ok(accounts) = self.accounts.lock() else { return Ok(()) };
        let Some(&(count, last)) = accounts.get(&Self::key(email)) else { return Ok(()) };
        if last.elapsed() >= Self::WINDOW {
            return Ok(());
        }
        let wait = Self::wait(count).saturating_sub(last.elapsed());
        if wait.is_zero() { Ok(()) } else { Err(DomainError::Throttled { retry_after_secs: wait.as_secs().max(1) }) }
    }

    pub fn failed(&self, email: &str) {
        let Ok(mut accounts) = self.accounts.lock() else { return };
        if accounts.len() >= Self::MAX_ACCOUNTS {
            accounts.retain(|_, (_, last)| last.elapsed() < Self::WINDOW);
        }
        if accounts.len() >= Self::MAX_ACCOUNTS {
            return;
        }
        let entry = accounts.entry(Self::key(email)).or_insert((0, std::time::Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            entry.0 = 0;
        }
        *entry = (entry.0 + 1, std::time::Instant::now());
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(&Self::key(email));
        }
    }
}

/// A valid hash of a random password, verified against when the email is unknown so that
/// "no such user" and "wrong password" take the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2p7zZ5XcQ7jzLrsi3JbxY6h3yd9wBl8qUi0cQyVzr6o";

impl Services {
    /// Creates a person, their organisation (they become owner) and a session, atomically.
    pub async fn signup(&self, input: SignupInput) -> DomainResult<SignupOutcome> {
        let email = validation::email("email", &input.email)?;
        let name = validation::name("name", &input.name)?;
        let org_name = validation::name("organization_name", &input.organization_name)?;
        validation::new_password(&input.password)?;
        if find_user_by_email(&self.db, &email).await?.is_some() {
            return Err(DomainError::conflict("an account with this email already exists"));
        }
        let password_hash = hash_password(input.password).await?;

        let txn = self.db.begin().await?;
        let user = user::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(email),
            name: Set(name),
            password_hash: Set(password_hash),
            notify_escalations: Set(true),
            created_at: Set(Utc::now().into()),
        }
        .insert(&txn)
        .await
        .map_err(|e| match DomainError::from(e) {
            DomainError::Conflict(_) => DomainError::conflict("an account with this email already exists"),
            other => other,
        })?;
        let organization = organizations::insert_organization(&txn, &org_name, user.id).await?;
        let token = insert_session(&txn, user.id).await?;
        txn.commit().await?;
        tracing::info!(user_id = %user.id, organization_id = %organization.id, "signed up");
        Ok(SignupOutcome { token, user: user.into(), organization })
    }

    /// Checks credentials and opens a session. Unknown email and wrong password look the same.
    pub async fn login(&self, email: &str, password: &str) -> DomainResult<NewSession> {
        const BAD: DomainError = DomainError::Unauthorized("invalid email or password");
        let email = email.trim().to_lowercase();
        // The same unit as at sign-up (characters), so every password that signs up signs in.
        if password.chars().count() > validation::MAX_PASSWORD_LEN {
            return Err(BAD);
        }
        self.login_failures.check(&email)?;
        let found = find_user_by_email(&self.db, &email).await?;
        let hash = found.as_ref().map_or(DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
        let matches = verify_password(password.to_owned(), hash).await?;
        let Some(user) = found.filter(|_| matches) else {
            self.login_failures.failed(&email);
            return Err(BAD);
        };
        self.login_failures.succeeded(&email);
        let token = insert_session(&self.db, user.id).await?;
        Ok(NewSession { token, user: user.into() })
    }

    /// Resolves a bearer/cookie token to the person behind it; expired or revoked → 401.
    pub async fn authenticate(&self, token: &str) -> DomainResult<Actor> {
        const BAD: DomainError = DomainError::Unauthorized("invalid or expired session; sign in again");
        if token.is_empty() || token.len() > 128 {
            return Err(BAD);
        }
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(tokens::hash_token(token)))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        match found {
            Some((session, Some(user))) => Ok(Actor { user: user.into(), session_id: session.id }),
            _ => Err(BAD),
        }
    }

    /// Revokes the caller's session; the token stops working immediately.
    pub async fn logout(&self, actor: &Actor) -> DomainResult<()> {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(session::Column::Id.eq(actor.session_id))
            .exec(&self.db)
            .await?;
        self.access_changed(actor.user.id).await;
        Ok(())
    }

    /// Every organisation the person belongs to, oldest membership first.
    pub async fn memberships(&self, user_id: Uuid) -> DomainResult<Vec<MembershipInfo>> {
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id))
            .order_by_asc(membership::Column::CreatedAt)
            .find_also_related(organization::Entity)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .filter_map(|(m, org)| org.map(|o| (m, o)))
            .map(|(m, org)| Ok(MembershipInfo { organization_id: org.id, organization_name: org.name, role: m.role }))
            .collect()
    }
}

/// Looks a person up by normalised email.
pub(crate) async fn find_user_by_email(db: &impl ConnectionTrait, email: &str) -> DomainResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?)
}

/// Stores a new session for `user_id` and returns its token (the only time it is visible).
pub(crate) async fn insert_session(db: &impl ConnectionTrait, user_id: Uuid) -> DomainResult<String> {
    let token = tokens::random_token();
    let now = Utc::now();
    session::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        token_hash: Set(tokens::hash_token(&token)),
        created_at: Set(now.into()),
        expires_at: Set((now + Duration::days(SESSION_TTL_DAYS)).into()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn passwords_are_hashed_on_threads_that_yield_to_visitor_work() {
        // SAFETY: reads the calling thread's own niceness.
        let niceness = || unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::getpriority(libc::PRIO_PROCESS, tid)
        };
        let before = niceness();
        // At least HASHING_NICENESS (more if the whole process already runs niced).
        assert!(on_hashing_thread(niceness).await.expect("a hashing thread runs") >= HASHING_NICENESS);
        assert_eq!(niceness(), before, "the caller's own priority is untouched");
        let hash = hash_password("correct horse".to_owned()).await.expect("hashed");
        assert!(verify_password("correct horse".to_owned(), hash.clone()).await.expect("verified"));
        assert!(!verify_password("wrong horse".to_owned(), hash).await.expect("verified"));
    }

    #[test]
    fn an_account_waits_longer_after_each_failure_beyond_the_free_ones() {
        let failures = LoginFailures::default();
        for _ in 0..LoginFailures::FREE - 1 {
            failures.failed("a@example.com");
        }
        assert!(failures.check("a@example.com").is_ok(), "nine failures cost nothing");
        failures.failed("a@example.com");
        let Err(DomainError::Throttled { retry_after_secs }) = failures.check("a@example.com") else {
            panic!("the tenth failure makes the next attempt wait");
        };
        assert!((29..=30).contains(&retry_after_secs), "{retry_after_secs}");
        assert!(failures.check("b@example.com").is_ok(), "another account is unaffected");
        assert_eq!(LoginFailures::wait(11), std::time::Duration::from_secs(60));
        assert_eq!(LoginFailures::wait(40), std::time::Duration::from_secs(15 * 60));
        failures.succeeded("a@example.com");
        assert!(failures.check("a@example.com").is_ok());
    }

    #[tokio::test]
    async fn password_hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), hash.clone()).await.expect("verify"));
        assert!(!verify_password("wrong horse".into(), hash).await.expect("verify"));
    }

    #[tokio::test]
    async fn the_dummy_hash_is_well_formed_so_unknown_users_cost_a_real_verification() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything".into(), DUMMY_HASH.into()).await.expect("verify"));
    }
}
