//! `iterochat backup FILE` and `iterochat restore FILE`: a consistent copy of the whole database
//! with the Postgres tools bundled beside the server (`pg_dump`, `pg_restore` from
//! `ITEROCHAT_POSTGRES_DIR`), for the embedded cluster or the one at `DATABASE_URL` alike.
//!
//! The archive is `pg_dump`'s custom format: one snapshot, so it is consistent while the server
//! keeps serving; compressed; restorable into any Postgres 18 with pgvector (the way from the
//! embedded Postgres to a managed one). Ownership and grants are left out, so it restores under
//! whichever role the target gives.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Statement};

/// Writes a custom-format archive of the database at `url` to `file`. It is written beside
/// `file` first and renamed when complete: a failed backup never leaves a truncated archive
/// under the name a restore would read.
pub fn backup(url: &str, install_dir: &Path, file: &Path) -> anyhow::Result<u64> {
    let partial = file.with_extension("partial");
    let status = tool(install_dir, "pg_dump")?
        .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(&partial)
        .arg(format!("--dbname={url}"))
        .status()
        .context("running pg_dump")?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!("pg_dump failed ({status}); nothing was written to {}", file.display());
    }
    std::fs::rename(&partial, file).with_context(|| format!("moving the archive to {}", file.display()))?;
    Ok(std::fs::metadata(file)?.len())
}

/// Restores `file` into the database at `url`, which must be empty (a restore never mixes with
/// or overwrites data). One transaction: a restore that fails leaves the database as it was.
/// The next start runs any migrations the archive is behind.
pub async fn restore(url: &str, install_dir: &Path, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("no backup at {}", file.display());
    }
    let db = crate::startup::connect(url).await?;
    let tables = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    db.close().await.ok();
    if tables > 0 {
        bail!(
            "the target database already has {tables} tables; restore into an empty database (a new \
             ITEROCHAT_DATA_DIR, or a freshly created database at DATABASE_URL)"
        );
    }
    let status = tool(install_dir, "pg_restore")?
        .args(["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"])
        .arg(format!("--dbname={url}"))
        .arg(file)
        .status()
        .context("running pg_restore")?;
    if !status.success() {
        bail!("pg_restore failed ({status}); the database was left as it was");
    }
    Ok(())
}

/// A bundled Postgres client program, able to find its libraries.
fn tool(install_dir: &Path, name: &str) -> anyhow::Result<Command> {
    let program = install_dir.join("bin").join(name);
    if !program.is_file() {
        bail!(
            "{} is missing; run `make setup` or point ITEROCHAT_POSTGRES_DIR at a Postgres 18 install",
            program.display()
        );
    }
    let mut command = Command::new(program);
    let mut paths = vec![install_dir.join("lib")];
    paths.extend(std::env::var_os("LD_LIBRARY_PATH").iter().flat_map(std::env::split_paths));
    command.env("LD_LIBRARY_PATH", std::env::join_paths(paths)?).stdin(Stdio::null());
    Ok(command)
}
