//! Logical backups of the database with MariaDB's own tools: `mariadb-dump` in one
//! consistent snapshot (`--single-transaction`, no table locks) and the `mariadb` client to
//! load it back, followed by a new epoch ([`crate::epoch`]) so that every device reconciles.
//! Large databases use `mariadb-backup` (physical) and `possync-admin new-epoch` after it
//! (`docs/operations.md`, "Restore and failover").

use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context};
use secrecy::ExposeSecret;
use shared::config::DatabaseConfig;
use sqlx::MySqlPool;
use tokio::process::Command;

/// The first of `names` found on `PATH` (MariaDB's names, then MySQL's).
fn tool(names: &[&'static str]) -> anyhow::Result<&'static str> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .find(|name| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .copied()
        .with_context(|| {
            format!("none of {names:?} is installed (Debian: apt install mariadb-client)")
        })
}

/// `tool` connected to the database of `DATABASE_URL`; the password goes in the
/// environment (`MYSQL_PWD`), never on the command line where `ps` shows it.
fn connected(tool: &str, database: &DatabaseConfig) -> anyhow::Result<(Command, String)> {
    let url = url::Url::parse(database.database_url.expose_secret())
        .context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        bail!("DATABASE_URL names no database");
    }
    let decode = |text: &str| {
        percent_decode(text).context("DATABASE_URL has a badly escaped user or password")
    };
    let mut command = Command::new(tool);
    command
        .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", decode(url.username())?))
        .env("MYSQL_PWD", decode(url.password().unwrap_or(""))?)
        .kill_on_drop(true);
    Ok((command, name))
}

fn percent_decode(text: &str) -> anyhow::Result<String> {
    Ok(percent_encoding::percent_decode_str(text)
        .decode_utf8()?
        .into_owned())
}

/// Writes the whole database to `out` as SQL, read in one snapshot while writes go on.
pub async fn dump(database: &DatabaseConfig, out: &Path) -> anyhow::Result<()> {
    let (mut command, name) = connected(tool(&["mariadb-dump", "mysqldump"])?, database)?;
    let output = command
        .args([
            "--single-transaction",
            "--quick",
            "--skip-lock-tables",
            "--hex-blob",
        ])
        .arg(format!("--result-file={}", out.display()))
        .arg(name)
        .stdin(Stdio::null())
        .output()
        .await?;
    if !output.status.success() {
        bail!(
            "the dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Loads a dump of [`dump`] into the database (its tables are dropped and made again), then
/// gives the database a new epoch. Returns the epoch. Stop ingest and the janitor first:
/// writes during the load would be lost with the tables they went to.
pub async fn restore(
    database: &DatabaseConfig,
    pool: &MySqlPool,
    from: &Path,
) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let (mut command, name) = connected(tool(&["mariadb", "mysql"])?, database)?;
    let output = command.arg(name).stdin(Stdio::from(file)).output().await?;
    if !output.status.success() {
        bail!(
            "the restore failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(crate::epoch::renew(pool).await?)
}
