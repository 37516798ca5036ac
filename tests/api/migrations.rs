//! The migrations build the whole schema from an empty database, on MariaDB, and fill in
//! what they add to records already there.

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

/// Records written before the time marks existed get the latest time up to their position in
/// their client's order, client by client.
#[tokio::test]
async fn existing_records_get_time_marks_that_never_decrease_along_each_clients_order() {
    let db = TestDb::empty().await;
    let all = &shared::storage::MIGRATOR;
    let before_marks = all
        .migrations
        .iter()
        .position(|m| m.description.contains("time mark"))
        .expect("the time mark migration");
    let earlier = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(all.migrations[..before_marks].to_vec()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    earlier.run(&db.pool).await.unwrap();
    sqlx::query("INSERT INTO clients (id, name) VALUES (1, 'a'), (2, 'b')")
        .execute(&db.pool)
        .await
        .unwrap();
    // (client, position, seconds): client 1's position 2 was stamped late.
    let rows = [
        (1, 1, 10),
        (1, 2, 50),
        (1, 3, 20),
        (1, 4, 60),
        (2, 1, 5),
        (2, 2, 1),
    ];
    for (client, position, seconds) in rows {
        sqlx::query(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, \
             data, sync_version, position, local_updated_at, server_updated_at, created_at) \
             VALUES (?, 'products', ?, 0, 1, '{}', 1, ?, NOW(), \
             '2026-01-01' + INTERVAL ? SECOND, NOW())",
        )
        .bind(client)
        .bind(format!("r{position}"))
        .bind(position)
        .bind(seconds)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    all.run(&db.pool).await.unwrap();

    let marks: Vec<(u64, u64, i64)> = sqlx::query_as(
        "SELECT client_id, position, TIMESTAMPDIFF(SECOND, '2026-01-01', time_mark) FROM records \
         ORDER BY client_id, position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        marks,
        [
            (1, 1, 10),
            (1, 2, 50),
            (1, 3, 50),
            (1, 4, 60),
            (2, 1, 5),
            (2, 2, 5)
        ]
    );
}
