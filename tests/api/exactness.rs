//! Paging with cursors while many devices write never skips or loses a change.
//!
//! Writers push batches of 1 to 50 records (creates, updates, deletes, some conflicting)
//! while a "slow transaction" task holds row locks on records for tens of milliseconds, so
//! pushes stall inside their transactions and commit late. Two readers (a super admin and a
//! branch cashier) page with small random limits all the while. Afterwards each reader's
//! view must equal the database for its scope, record by record, for several seeds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use possync_tests::{Tenant, TestIngest};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::token::Role;

const WRITERS: u64 = 6;
const BATCHES_PER_WRITER: usize = 12;
const IDS_PER_TABLE: u32 = 150;

/// (table, record_id) → (sync_version, data, is_deleted)
type View = HashMap<(String, String), (u64, Value, bool)>;

fn batch(rng: &mut StdRng, branch: u64, writer: u64, n: usize) -> Value {
    let records: Vec<Value> = (0..rng.gen_range(1..=50))
        .map(|i| {
            let shared = rng.gen_bool(0.5);
            let id = rng.gen_range(0..IDS_PER_TABLE);
            let (table, record_id, data) = if shared {
                (
                    "products",
                    format!("p-{id}"),
                    json!({"name": format!("w{writer} b{n} r{i}"), "price": id}),
                )
            } else {
                (
                    "invoices",
                    format!("i-{branch}-{id}"),
                    json!({"total": id, "note": format!("w{writer} b{n} r{i}")}),
                )
            };
            // Some edits claim an older time and lose against newer ones: conflicts.
            let age = if rng.gen_bool(0.2) {
                chrono::Duration::hours(1)
            } else {
                chrono::Duration::zero()
            };
            let at = (Utc::now() - age).to_rfc3339_opts(SecondsFormat::Micros, true);
            json!({"table_name": table, "record_id": record_id, "data": data,
                   "local_updated_at": at, "is_deleted": rng.gen_bool(0.1)})
        })
        .collect();
    Value::Array(records)
}

async fn write(app: Arc<TestIngest>, token: String, branch: u64, writer: u64, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed * 1000 + writer);
    for n in 0..BATCHES_PER_WRITER {
        let records = batch(&mut rng, branch, writer, n);
        let answer = app.push(&token, &format!("till-{writer}"), records).await;
        assert_eq!(answer["errors"], json!([]), "{answer}");
    }
}

/// Holds row locks on random records for 20–100 ms at a time, stalling pushes mid-transaction.
async fn stall(app: Arc<TestIngest>, client_id: u64, seed: u64, done: Arc<AtomicBool>) {
    let mut rng = StdRng::seed_from_u64(seed);
    while !done.load(Ordering::Relaxed) {
        let ids: Vec<String> = (0..3)
            .map(|_| format!("p-{}", rng.gen_range(0..IDS_PER_TABLE)))
            .collect();
        let hold = Duration::from_millis(rng.gen_range(20..100));
        let mut tx = app.db.pool.begin().await.unwrap();
        let locked = sqlx::query("SELECT record_id FROM records WHERE client_id = ? AND table_name = 'products' AND record_id IN (?, ?, ?) FOR UPDATE")
            .bind(client_id)
            .bind(&ids[0])
            .bind(&ids[1])
            .bind(&ids[2])
            .fetch_all(&mut *tx)
            .await;
        match locked {
            Ok(_) => {
                tokio::time::sleep(hold).await;
                tx.commit().await.unwrap();
            }
            // MariaDB may pick this stalling transaction as a deadlock's victim (the pushes
            // retry theirs): that round stalls nothing, the next one tries again.
            Err(err) if shared::storage::error_number(&err) == Some(1213) => {
                tx.rollback().await.unwrap();
            }
            Err(err) => panic!("stalling transaction failed: {err}"),
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..30))).await;
    }
}

fn apply(view: &mut View, changes: &[Value]) {
    for change in changes {
        let key = (
            change["table_name"].as_str().unwrap().to_owned(),
            change["record_id"].as_str().unwrap().to_owned(),
        );
        let version = change["sync_version"].as_u64().unwrap();
        if let Some((seen, _, _)) = view.get(&key) {
            assert!(
                version > *seen,
                "{key:?}: version {version} after {seen}: a change came back older"
            );
        }
        view.insert(
            key,
            (
                version,
                change["data"].clone(),
                change["is_deleted"].as_bool().unwrap(),
            ),
        );
    }
}

/// Pages with random small limits until told to stop, then drains to the end.
async fn read(app: Arc<TestIngest>, token: String, seed: u64, done: Arc<AtomicBool>) -> View {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut view, mut cursor, mut pages) = (View::new(), None::<String>, 0);
    loop {
        let finished = done.load(Ordering::SeqCst);
        let limit = rng.gen_range(1..=40);
        let mut path = format!("/api/sync/pull-changes?limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get_as(&token, &path).await;
        assert_eq!(status, 200, "{page}");
        let changes = page["changes"].as_array().unwrap();
        let mut in_page = std::collections::HashSet::new();
        assert!(
            changes
                .iter()
                .all(|c| in_page.insert((c["table_name"].clone(), c["record_id"].clone()))),
            "a record twice in one page"
        );
        apply(&mut view, changes);
        cursor = page["next_cursor"].as_str().map(str::to_owned).or(cursor);
        pages += 1;
        if page["has_more"] == false {
            if finished {
                assert!(
                    pages > 10,
                    "the reader paged while writers wrote ({pages} pages)"
                );
                return view;
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..10))).await;
        }
    }
}

async fn database_view(app: &TestIngest, client_id: u64, branch_scopes: Option<[u64; 2]>) -> View {
    let mut sql = "SELECT CAST(table_name AS CHAR), CAST(record_id AS CHAR), sync_version, CAST(data AS CHAR), is_deleted \
                   FROM records WHERE client_id = ?".to_owned();
    if let Some([a, b]) = branch_scopes {
        sql.push_str(&format!(" AND branch_scope IN ({a}, {b})"));
    }
    let rows: Vec<(String, String, u64, String, bool)> = sqlx::query_as(&sql)
        .bind(client_id)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(table, id, version, data, deleted)| {
            (
                (table, id),
                (version, serde_json::from_str(&data).unwrap(), deleted),
            )
        })
        .collect()
}

async fn readers_converge_with_the_database(seed: u64) {
    let app = Arc::new(TestIngest::spawn().await);
    let tenant = Tenant::seed(&app, "shop").await;
    let done = Arc::new(AtomicBool::new(false));
    let stall_done = Arc::new(AtomicBool::new(false));
    let super_reader = tokio::spawn(read(
        app.clone(),
        tenant.token(&app, 0, Role::SuperAdmin),
        seed,
        done.clone(),
    ));
    let branch_reader = tokio::spawn(read(
        app.clone(),
        tenant.token(&app, 0, Role::Cashier),
        seed + 1,
        done.clone(),
    ));
    let staller = tokio::spawn(stall(
        app.clone(),
        tenant.client_id,
        seed,
        stall_done.clone(),
    ));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let branch = (w % 2) as usize;
            let token = tenant.token(&app, branch, Role::Cashier);
            tokio::spawn(write(app.clone(), token, tenant.branches[branch], w, seed))
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    stall_done.store(true, Ordering::SeqCst);
    staller.await.unwrap();
    done.store(true, Ordering::SeqCst);

    let whole = super_reader.await.unwrap();
    let branch = branch_reader.await.unwrap();
    let expected_whole = database_view(&app, tenant.client_id, None).await;
    let expected_branch =
        database_view(&app, tenant.client_id, Some([tenant.branches[0], 0])).await;
    assert!(
        expected_whole.len() > 300,
        "the run wrote enough records ({})",
        expected_whole.len()
    );
    assert_eq!(whole.len(), expected_whole.len());
    assert!(
        whole == expected_whole,
        "the super admin's view differs from the database"
    );
    assert!(
        branch == expected_branch,
        "the branch cashier's view differs from the database"
    );
    assert!(branch.len() < whole.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_a_paging_reader_agree_seed_1() {
    readers_converge_with_the_database(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_a_paging_reader_agree_seed_2() {
    readers_converge_with_the_database(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_a_paging_reader_agree_seed_3() {
    readers_converge_with_the_database(3).await;
}
