//! A private Postgres 18 + pgvector that the server owns when no `DATABASE_URL` is given.
//!
//! Lifecycle: take an exclusive lock on the data dir (a second server on it fails with a clear
//! message), `initdb` into `<data_dir>/pg` once, recover from a crash (an orphaned postmaster is
//! stopped, a stale pid file removed), start `postgres` as our child on a private Unix socket (no
//! TCP port), wait until it accepts connections, and stop it with a fast shutdown on
//! [`EmbeddedPostgres::stop`] or drop. The child also gets `SIGINT` from the kernel if the thread
//! that started it dies (`PR_SET_PDEATHSIG`), so even a killed server leaves no postgres behind.
//!
//! Postgres refuses to run as root; when we are root it runs as `postgres` (or `nobody`). That
//! user must reach the install and the data dir; if some parent folder (say `/root`, mode 700)
//! blocks it, the install is copied and the data dir placed under `/var/tmp/iterochat/`, with
//! `<data_dir>/pg` a symlink to it.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::io::AsRawFd as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The socket file name is `.s.PGSQL.<port>`; the port only names it (no TCP listener).
const PORT: u16 = 5432;
/// Where relocated installs and data dirs go when the unprivileged user cannot reach ours.
const RELOCATION_ROOT: &str = "/var/tmp/iterochat";
/// `sun_path` is 108 bytes; keep the socket path safely below it.
const MAX_SOCKET_DIR_LEN: usize = 90;

/// A running private Postgres. Dropping it stops Postgres.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    child: Option<Child>,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    /// Held for the server's lifetime; released (closed) on drop.
    _lock: File,
}

/// The unprivileged account Postgres runs as when we are root.
#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster under `data_dir`, using the Postgres
    /// install in `install_dir` (which holds `bin/`, `lib/`, `share/`). `extra` are `-c` settings.
    pub fn start(data_dir: &Path, install_dir: &Path, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        let lock = lock_data_dir(&data_dir)?;
        let run_as = run_as_user()?;

        let install = locate_install(install_dir, run_as)?;
        let pgdata = prepare_pgdata(&data_dir, run_as)?;
        if !pgdata.join("PG_VERSION").exists() {
            initdb(&install, &pgdata, run_as, &data_dir)?;
        }
        let socket_dir = socket_dir_for(&pgdata, run_as)?;
        recover_after_crash(&pgdata, &socket_dir)?;

        let log_path = data_dir.join("postgres.log");
        let log = OpenOptions::new().create(true).append(true).open(&log_path)?;
        let mut cmd = Command::new(install.join("bin/postgres"));
        cmd.arg("-D")
            .arg(&pgdata)
            .args(["-p", &PORT.to_string(), "-c", "listen_addresses=", "-c"])
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .args(["-c", "max_connections=200", "-c", "logging_collector=off"]);
        for (key, value) in extra {
            cmd.arg("-c").arg(format!("{key}={value}"));
        }
        cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log).current_dir("/").process_group(0);
        prepare(&mut cmd, &install, run_as);
        // SAFETY: prctl is async-signal-safe; it only sets a flag on the about-to-exec child.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().with_context(|| format!("starting {}", install.join("bin/postgres").display()))?;
        let mut pg = Self { child: Some(child), pgdata, socket_dir, _lock: lock };
        pg.wait_until_ready(&log_path)?;
        tracing::info!(pgdata = %pg.pgdata.display(), socket = %pg.socket_dir.display(), "embedded postgres ready");
        Ok(pg)
    }

    /// A connection URL for database `db` as the `postgres` superuser over the private socket.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@localhost/{db}?host={}&port={PORT}", self.socket_dir.display())
    }

    /// The URL of database `db` in the cluster that a running server started under `data_dir`,
    /// if one runs: tools such as `iterochat backup` then work beside it instead of starting a
    /// second cluster on the same files.
    pub fn running_url(data_dir: &Path, db: &str) -> Option<String> {
        let link = data_dir.canonicalize().ok()?.join("pg");
        let pgdata = fs::read_link(&link).unwrap_or(link);
        let pid_file = fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
        // Line 1: the postmaster's pid; line 5: its socket directory.
        let mut lines = pid_file.lines();
        let pid: i32 = lines.next()?.trim().parse().ok()?;
        let socket_dir = lines.nth(3)?.trim();
        (is_postgres(pid) && !socket_dir.is_empty())
            .then(|| format!("postgres://postgres@localhost/{db}?host={socket_dir}&port={PORT}"))
    }

    /// Process id of the postmaster (tests check that it is gone after shutdown).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The real data directory (after any relocation).
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// Fast shutdown: active connections are closed, data is flushed, the process is reaped.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        signal(child.id(), libc::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if child.try_wait()?.is_some() {
                tracing::info!("embedded postgres stopped");
                return Ok(());
            }
            if Instant::now() > deadline {
                tracing::warn!("postgres did not stop within 30 s; sending SIGQUIT");
                signal(child.id(), libc::SIGQUIT);
                child.wait()?;
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_until_ready(&mut self, log_path: &Path) -> anyhow::Result<()> {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("postgres exited during start-up ({status}); its log:\n{}", tail(log_path, 20));
            }
            // The socket appears before recovery ends; a real handshake tells us it is accepting.
            if socket.exists() && accepts_connections(&socket) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("postgres did not become ready within 60 s; its log:\n{}", tail(log_path, 20));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "stopping embedded postgres");
        }
    }
}

/// Sends an SSLRequest-free startup probe: Postgres answers a `StartupMessage` with an
/// authentication or error message once it accepts connections ('E' "starting up" before that).
fn accepts_connections(socket: &Path) -> bool {
    use std::os::unix::net::UnixStream;
    let Ok(mut stream) = UnixStream::connect(socket) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
    for part in ["user", "postgres", "database", "postgres"] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    if stream.write_all(&msg).is_err() {
        return false;
    }
    let mut tag = [0u8; 1];
    // 'R' = authentication request (trust → AuthenticationOk): the server is accepting.
    matches!(stream.read_exact(&mut tag), Ok(())) && tag[0] == b'R'
}

fn lock_data_dir(data_dir: &Path) -> anyhow::Result<File> {
    let path = data_dir.join("iterochat.lock");
    let mut file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path)?;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        bail!(
            "another iterochat server (pid {}) is already using the data dir {}; stop it, or give this one \
             its own ITEROCHAT_DATA_DIR",
            holder.trim(),
            data_dir.display()
        );
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// `None` when not root; otherwise the `postgres` account, else `nobody`.
fn run_as_user() -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd to find an unprivileged user")?;
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3 && fields[0] == wanted {
                let uid = fields[2].parse()?;
                let gid = fields[3].parse()?;
                return Ok(Some(RunAs { uid, gid }));
            }
        }
    }
    bail!("running as root, and neither a `postgres` nor a `nobody` user exists to run Postgres as; create one")
}

/// Runs a Postgres tool as the right user, finding the install's own shared libraries
/// (the wheel's `libpq` & co. live in `<install>/lib`).
fn prepare(cmd: &mut Command, install: &Path, run_as: Option<RunAs>) {
    let mut paths = vec![install.join("lib")];
    paths.extend(std::env::var_os("LD_LIBRARY_PATH").iter().flat_map(std::env::split_paths));
    if let Ok(joined) = std::env::join_paths(paths) {
        cmd.env("LD_LIBRARY_PATH", joined);
    }
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
}

/// Can a user who is neither owner nor in the group traverse every ancestor of `path`?
fn reachable_by_others(path: &Path) -> bool {
    path.ancestors().all(|p| fs::metadata(p).map(|m| m.mode() & 0o001 != 0).unwrap_or(false))
}

fn chown(path: &Path, user: RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).with_context(|| format!("chown {}", path.display()))
}

/// The install to run from: `install_dir` itself, or a copy the unprivileged user can read.
fn locate_install(install_dir: &Path, run_as: Option<RunAs>) -> anyhow::Result<PathBuf> {
    let install = install_dir.canonicalize().map_err(|_| {
        anyhow::anyhow!(
            "no Postgres install at {} (set DATABASE_URL to use your own Postgres with pgvector, or run \
             `make setup`, or point ITEROCHAT_POSTGRES_DIR at an install)",
            install_dir.display()
        )
    })?;
    if !install.join("bin/postgres").exists() {
        bail!("{} has no bin/postgres; run `make setup` or fix ITEROCHAT_POSTGRES_DIR", install.display());
    }
    if run_as.is_none() || reachable_by_others(&install.join("bin/postgres")) {
        return Ok(install);
    }
    let version = fs::read_to_string(install.join("VERSION")).unwrap_or_else(|_| "unknown".into());
    let copy = Path::new(RELOCATION_ROOT).join(format!("postgres-{}", version.trim()));
    if !copy.join(".complete").exists() {
        tracing::info!(to = %copy.display(), "copying the Postgres install where the postgres user can read it");
        fs::create_dir_all(RELOCATION_ROOT)?;
        fs::set_permissions(RELOCATION_ROOT, fs::Permissions::from_mode(0o755))?;
        let _ = fs::remove_dir_all(&copy);
        let status = Command::new("cp").arg("-a").arg(&install).arg(&copy).status()?;
        if !status.success() {
            bail!("copying {} to {} failed", install.display(), copy.display());
        }
        Command::new("chmod").args(["-R", "a+rX"]).arg(&copy).status()?;
        File::create(copy.join(".complete"))?;
    }
    Ok(copy)
}

/// The real data directory: `<data_dir>/pg`, or a relocated one it links to.
fn prepare_pgdata(data_dir: &Path, run_as: Option<RunAs>) -> anyhow::Result<PathBuf> {
    let link = data_dir.join("pg");
    if let Ok(target) = fs::read_link(&link) {
        fs::create_dir_all(&target)?;
        return finish_pgdata(target, run_as);
    }
    let Some(user) = run_as else { return finish_pgdata(link, None) };
    if reachable_by_others(data_dir) {
        return finish_pgdata(link, Some(user));
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&data_dir, &mut hasher);
    let target = Path::new(RELOCATION_ROOT).join(format!("data-{:016x}", std::hash::Hasher::finish(&hasher)));
    tracing::info!(data = %target.display(), "the postgres user cannot reach the data dir; placing the cluster elsewhere");
    fs::create_dir_all(RELOCATION_ROOT)?;
    fs::set_permissions(RELOCATION_ROOT, fs::Permissions::from_mode(0o755))?;
    if link.exists() {
        bail!(
            "{} exists but the postgres user cannot reach it; move it away or choose another ITEROCHAT_DATA_DIR",
            link.display()
        );
    }
    fs::create_dir_all(&target)?;
    std::os::unix::fs::symlink(&target, &link)?;
    finish_pgdata(target, Some(user))
}

fn finish_pgdata(pgdata: PathBuf, run_as: Option<RunAs>) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(&pgdata)?;
    fs::set_permissions(&pgdata, fs::Permissions::from_mode(0o700))?;
    if let Some(user) = run_as {
        chown(&pgdata, user)?;
    }
    Ok(pgdata)
}

fn initdb(install: &Path, pgdata: &Path, run_as: Option<RunAs>, data_dir: &Path) -> anyhow::Result<()> {
    tracing::info!(pgdata = %pgdata.display(), "initialising the embedded database cluster (once)");
    let mut cmd = Command::new(install.join("bin/initdb"));
    cmd.arg("-D").arg(pgdata).args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-instructions",
    ]);
    cmd.stdin(Stdio::null()).current_dir("/");
    prepare(&mut cmd, install, run_as);
    let out = cmd.output().with_context(|| format!("running {}", install.join("bin/initdb").display()))?;
    if !out.status.success() {
        // Leave nothing half-made: the next start retries from scratch.
        if let Ok(entries) = fs::read_dir(pgdata) {
            for entry in entries.flatten() {
                let _ = fs::remove_dir_all(entry.path()).or_else(|_| fs::remove_file(entry.path()));
            }
        }
        let log = data_dir.join("initdb.log");
        let _ = fs::write(&log, [&out.stdout[..], &out.stderr[..]].concat());
        bail!("initdb failed ({}); see {}:\n{}", out.status, log.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// After a crash: stop an orphaned postmaster still serving this data dir, or drop the stale
/// pid and socket lock files. We hold the data-dir lock, so no live server owns either. (Postgres
/// checks those files with `kill(pid, 0)`, which a not-yet-reaped zombie passes; we look at
/// `/proc` instead.)
fn recover_after_crash(pgdata: &Path, socket_dir: &Path) -> anyhow::Result<()> {
    let pid_file = pgdata.join("postmaster.pid");
    if let Some(pid) = lock_file_pid(&pid_file) {
        if is_postgres(pid) {
            tracing::warn!(pid, "stopping an orphaned postgres left by a crashed server");
            signal(pid as u32, libc::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(30);
            while is_postgres(pid) {
                if Instant::now() > deadline {
                    signal(pid as u32, libc::SIGQUIT);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            tracing::warn!(pid, "removing a stale postmaster.pid left by a crash");
            let _ = fs::remove_file(&pid_file);
        }
    }
    let socket_lock = socket_dir.join(format!(".s.PGSQL.{PORT}.lock"));
    if lock_file_pid(&socket_lock).is_some_and(|pid| !is_postgres(pid)) {
        tracing::warn!("removing a stale socket lock left by a crash");
        let _ = fs::remove_file(&socket_lock);
        let _ = fs::remove_file(socket_dir.join(format!(".s.PGSQL.{PORT}")));
    }
    Ok(())
}

/// The pid on the first line of a Postgres lock file.
fn lock_file_pid(path: &Path) -> Option<i32> {
    let text = fs::read_to_string(path).ok()?;
    text.lines().next()?.trim().parse().ok().filter(|pid| *pid > 0)
}

/// A live (not zombie) postgres process?
fn is_postgres(pid: i32) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("postgres"))
}

fn socket_dir_for(pgdata: &Path, run_as: Option<RunAs>) -> anyhow::Result<PathBuf> {
    if pgdata.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        return Ok(pgdata.to_path_buf());
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(pgdata, &mut hasher);
    let dir = std::env::temp_dir().join(format!("iterochat-{:08x}", std::hash::Hasher::finish(&hasher) as u32));
    fs::create_dir_all(&dir)?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    if let Some(user) = run_as {
        chown(&dir, user)?;
    }
    Ok(dir)
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill has no memory effects; a vanished pid just returns ESRCH.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
