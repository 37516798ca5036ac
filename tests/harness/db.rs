//! One database per test: created empty, migrated, dropped when the test ends.

use secrecy::SecretString;
use shared::config::DatabaseConfig;
use sqlx::mysql::MySqlPoolOptions;
use sqlx::MySqlPool;

use crate::{mysql_server_url, unique_name};

pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: MySqlPool,
}

impl TestDb {
    /// A new, empty database (no migrations applied).
    pub async fn empty() -> TestDb {
        let name = unique_name("possync_t_");
        let server = mysql_server_url();
        let admin = MySqlPoolOptions::new()
            .max_connections(1)
            .connect(&server)
            .await
            .unwrap_or_else(|err| {
                panic!("cannot reach the test MySQL at {server}: {err}; run scripts/run-tests.sh")
            });
        sqlx::query(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))
        .execute(&admin)
        .await
        .expect("create test database");
        admin.close().await;
        let url = format!("{server}/{name}");
        let pool = shared::storage::connect(&config(&url, false), shared::storage::Traffic::Busy)
            .await
            .expect("connect to test database");
        TestDb { name, url, pool }
    }

    /// A new database with every migration applied.
    pub async fn migrated() -> TestDb {
        let db = TestDb::empty().await;
        shared::storage::MIGRATOR
            .run(&db.pool)
            .await
            .expect("migrations apply");
        db
    }

    /// Database settings that point a service at this database.
    pub fn config(&self) -> DatabaseConfig {
        config(&self.url, true)
    }
}

fn config(url: &str, migrate: bool) -> DatabaseConfig {
    DatabaseConfig {
        database_url: SecretString::from(url.to_owned()),
        database_max_connections: 10,
        database_migrate: migrate,
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server = mysql_server_url();
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = MySqlPoolOptions::new()
                    .max_connections(1)
                    .connect(&server)
                    .await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                anyhow::Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
