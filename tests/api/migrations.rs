//! The migrations build the whole schema from an empty database, on MariaDB.

use possync_tests::TestDb;

const TABLES: [&str; 12] = [
    "applied_edits",
    "branches",
    "change_counters",
    "clients",
    "devices",
    "record_counts",
    "records",
    "refresh_tokens",
    "scope_counters",
    "server_meta",
    "sync_queue",
    "users",
];

async fn tables_of(db: &TestDb) -> Vec<String> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
         WHERE table_schema = ? AND table_name <> '_sqlx_migrations'",
    )
    .bind(&db.name)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    names.sort();
    names
}

#[tokio::test]
async fn migrations_apply_from_empty_and_again_as_a_no_op() {
    let db = TestDb::empty().await;
    assert!(tables_of(&db).await.is_empty());

    shared::storage::MIGRATOR
        .run(&db.pool)
        .await
        .expect("first run applies");
    shared::storage::MIGRATOR
        .run(&db.pool)
        .await
        .expect("second run is a no-op");

    assert_eq!(tables_of(&db).await, TABLES);
}

#[tokio::test]
async fn every_database_gets_its_own_epoch() {
    let (one, two) = (TestDb::migrated().await, TestDb::migrated().await);
    let epoch = |db: &TestDb| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT CAST(epoch AS CHAR) FROM server_meta")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };

    let (a, b) = (epoch(&one).await, epoch(&two).await);

    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(a[0].len(), 36);
    assert_ne!(a, b);
}
