//! The migrations build the whole schema from an empty database, on MariaDB, and fill in
//! what they add to records already there.

use possync_tests::TestDb;

const TABLES: [&str; 14] = [
    "applied_edits",
    "branches",
    "change_counters",
    "change_marks",
    "clients",
    "devices",
    "record_counts",
    "records",
    "refresh_tokens",
    "scope_counters",
    "server_meta",
    "sync_groups",
    "sync_queue",
    "users",
];

/// The migrations before the one whose description contains `description`.
fn migrations_before(description: &str) -> sqlx::migrate::Migrator {
    let all = &shared::storage::MIGRATOR;
    let end = all
        .migrations
        .iter()
        .position(|m| m.description.contains(description))
        .unwrap_or_else(|| panic!("a migration of {description}"));
    sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(all.migrations[..end].to_vec()),
        ..sqlx::migrate::Migrator::DEFAULT
    }
}

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
    migrations_before("time mark").run(&db.pool).await.unwrap();
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

    migrations_before("change marks")
        .run(&db.pool)
        .await
        .unwrap();

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

    // The marks then move to `change_marks`: each minute's first position.
    shared::storage::MIGRATOR.run(&db.pool).await.unwrap();
    let filed: Vec<(u64, i64, u64)> = sqlx::query_as(
        "SELECT client_id, TIMESTAMPDIFF(SECOND, '2026-01-01', marked_at), position \
         FROM change_marks ORDER BY client_id, marked_at",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(filed, [(1, 0, 1), (1, 60, 4), (2, 0, 1)]);
}

/// Sync queue rows queued before publication was kept per group become groups: the rows of
/// one group position of a client together, a row without one alone, published only when
/// every row of it was.
#[tokio::test]
async fn rows_queued_before_groups_existed_become_their_groups() {
    let db = TestDb::empty().await;
    migrations_before("publication per group")
        .run(&db.pool)
        .await
        .unwrap();
    // (id, client, scope, group position, published): client 1's group at 10 is half
    // published; row 4 is from before group positions.
    let rows = [
        (1, 1, 5, Some(10), true),
        (2, 1, 5, Some(10), false),
        (3, 2, 0, Some(10), true),
        (4, 1, 0, None, true),
        (5, 1, 5, Some(12), true),
    ];
    for (id, client, scope, group, published) in rows {
        sqlx::query(
            "INSERT INTO sync_queue (id, client_id, branch_id, branch_scope, table_name, record_id, \
             operation, sync_version, position, group_position, published_at) \
             VALUES (?, ?, 5, ?, 'invoices', ?, 'create', 1, ?, ?, IF(?, NOW(6), NULL))",
        )
        .bind(id)
        .bind(client)
        .bind(scope)
        .bind(format!("r{id}"))
        .bind(id)
        .bind(group)
        .bind(published)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    shared::storage::MIGRATOR.run(&db.pool).await.unwrap();

    let groups: Vec<(u64, u64, u64, u64, u16, bool)> = sqlx::query_as(
        "SELECT id, last_id, client_id, branch_scope, change_count, published_at IS NOT NULL \
         FROM sync_groups ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        groups,
        [
            (1, 2, 1, 5, 2, false),
            (3, 3, 2, 0, 1, true),
            (4, 4, 1, 0, 1, true),
            (5, 5, 1, 5, 1, true),
        ]
    );
}

/// Records stored before checksums existed are summed into `record_counts` by MariaDB's
/// CRC32, to the same figures a device computes with possync-wire.
#[tokio::test]
async fn existing_records_get_the_checksums_a_device_computes() {
    let db = TestDb::empty().await;
    migrations_before("record checksums")
        .run(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO clients (id, name) VALUES (1, 'a')")
        .execute(&db.pool)
        .await
        .unwrap();
    // (table, scope, id, version, deleted): a tombstone, two scopes.
    let rows = [
        ("products", 0, "coffee-1", 3, false),
        ("products", 0, "p-2", 1, true),
        ("invoices", 5, "inv-1", 2, false),
        ("invoices", 6, "inv-2", 7, false),
    ];
    for (position, (table, scope, id, version, deleted)) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, \
             data, is_deleted, sync_version, position, local_updated_at, server_updated_at, created_at) \
             VALUES (1, ?, ?, ?, 1, '{}', ?, ?, ?, NOW(), NOW(), NOW())",
        )
        .bind(table)
        .bind(id)
        .bind(scope)
        .bind(deleted)
        .bind(version)
        .bind(position as u64 + 1)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    // A live count kept before the migration stays as it was.
    sqlx::query(
        "INSERT INTO record_counts (client_id, branch_scope, table_name, live_count) \
         VALUES (1, 0, 'products', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    shared::storage::MIGRATOR.run(&db.pool).await.unwrap();

    let kept: Vec<(String, u64, i64, i64, u64)> = sqlx::query_as(
        "SELECT CAST(table_name AS CHAR), branch_scope, live_count, stored_count, checksum \
         FROM record_counts ORDER BY table_name, branch_scope",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let sum = |picked: &[usize]| {
        let mut sum = shared::wire::checksums::Sum::default();
        for &i in picked {
            let (_, _, id, version, deleted) = rows[i];
            sum.add(id, version, deleted);
        }
        u64::from(sum.checksum)
    };
    assert_eq!(
        kept,
        [
            ("invoices".to_owned(), 5, 1, 1, sum(&[2])),
            ("invoices".to_owned(), 6, 1, 1, sum(&[3])),
            ("products".to_owned(), 0, 1, 2, sum(&[0, 1])),
        ]
    );
}
