//! The Rust client crate catching up in a large client: a fresh till's first sync stores
//! exactly its scope and reports its progress (the first sync is remembered across a
//! restart), a till of a subset of tables gets only those and starts again when the set
//! changes, an unknown table is refused, and a till back from an offline spell catches up
//! exactly what changed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use possync_client::{BadPullOptions, Client, Config, PullOptions, Retry, SyncProgress};
use possync_tests::tenant::PASSWORD;
use possync_tests::{history, TempPath, Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;
use tokio_util::sync::CancellationToken;

/// `(table, id)` → `(sync_version, is_deleted, data)`.
type Copy = BTreeMap<(String, String), (u64, bool, Value)>;

fn config(app: &TestIngest, tenant: &Tenant, user: &str, store: &TempPath) -> Config {
    Config {
        api_url: format!("http://{}", app.addr),
        ws_url: "ws://127.0.0.1:9".into(),
        username: tenant.username(user),
        password: PASSWORD.into(),
        device_id: format!("{user}-till"),
        store_path: store.0.clone(),
        retry: Retry {
            attempts: 3,
            base: Duration::from_millis(10),
            max: Duration::from_millis(50),
        },
        reconnect: Retry::reconnect(),
        durable_writes: true,
    }
}

fn pages_of(catch_up_page: u32, tables: Option<&[&str]>) -> PullOptions {
    PullOptions {
        tables: tables.map(|t| t.iter().map(|name| name.to_string()).collect()),
        catch_up_page,
        ..PullOptions::default()
    }
}

/// What the server holds for branch `branch` (with the shared tables) after `position`, in
/// `tables` when given.
async fn server_scope(
    app: &TestIngest,
    tenant: &Tenant,
    branch: u64,
    position: u64,
    tables: Option<&[&str]>,
) -> Copy {
    let records = history::changed_after(&app.db.pool, tenant.client_id, position)
        .await
        .unwrap();
    records
        .into_iter()
        .filter(|r| [branch, 0].contains(&r.branch_scope))
        .filter(|r| tables.is_none_or(|tables| tables.contains(&r.table_name.as_str())))
        .map(|r| {
            (
                (r.table_name, r.record_id),
                (r.sync_version, r.is_deleted, r.data),
            )
        })
        .collect()
}

async fn local_copy(till: &Client) -> Copy {
    let records = till.store().all().await.unwrap();
    records
        .into_iter()
        .map(|r| {
            (
                (r.table_name, r.record_id),
                (r.sync_version, r.is_deleted, r.data),
            )
        })
        .collect()
}

async fn last_position(app: &TestIngest, tenant: &Tenant) -> u64 {
    sqlx::query_scalar("SELECT last_position FROM change_counters WHERE client_id = ?")
        .bind(tenant.client_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Pulls once, returning every progress the till reported meanwhile, ending with its state
/// after the pull.
async fn pull_watching(till: &Client) -> Vec<SyncProgress> {
    let mut progress = till.progress();
    let stop = CancellationToken::new();
    let watcher = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut seen = Vec::new();
            loop {
                tokio::select! {
                    biased;
                    changed = progress.changed() => match changed {
                        Ok(()) => seen.push(*progress.borrow_and_update()),
                        Err(_) => return seen,
                    },
                    _ = stop.cancelled() => return seen,
                }
            }
        }
    });
    till.pull().await.unwrap();
    stop.cancel();
    let mut seen = watcher.await.unwrap();
    seen.push(*till.progress().borrow());
    seen
}

#[tokio::test]
async fn a_fresh_till_stores_exactly_its_scope_of_a_large_client_and_remembers_its_first_sync() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "big").await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "h", 30_000)
        .await
        .unwrap();
    let store = TempPath::new("possync-first-sync-");
    let options = pages_of(4_000, None);
    let till = Client::open_with(config(&app, &shop, "cashier1", &store), options.clone())
        .await
        .unwrap();
    assert!(!till.progress().borrow().first_sync_done);

    let started = Instant::now();
    let seen = pull_watching(&till).await;
    let seconds = started.elapsed().as_secs_f64();

    let expected = server_scope(&app, &shop, shop.branches[0], 0, None).await;
    let local = local_copy(&till).await;
    eprintln!(
        "first sync through the client crate (debug build): {} records in {seconds:.2} s ({:.0} records/s)",
        local.len(),
        local.len() as f64 / seconds
    );
    assert_eq!(local.len(), expected.len());
    let stored: u64 = till.store().record_counts().await.unwrap().values().sum();
    assert_eq!(stored, expected.len() as u64);
    for (key, state) in expected.iter().step_by(997) {
        assert_eq!(local.get(key), Some(state), "{key:?}");
    }
    assert_eq!(local, expected);
    let last = *seen.last().unwrap();
    assert_eq!(
        (last.pulled, last.first_sync_done, last.catching_up),
        (local.len() as u64, true, false)
    );
    assert!(seen
        .iter()
        .any(|p| p.catching_up && p.pulled > 0 && !p.first_sync_done));
    assert!(
        seen.windows(2).all(|w| w[0].pulled <= w[1].pulled),
        "{seen:?}"
    );
    drop(till);

    let reopened = Client::open_with(config(&app, &shop, "cashier1", &store), options)
        .await
        .unwrap();
    assert!(
        reopened.progress().borrow().first_sync_done,
        "kept in the store"
    );
    assert_eq!(reopened.pull().await.unwrap(), 0, "the cursor was kept too");
    assert_eq!(reopened.progress().borrow().pulled, 0);
}

#[tokio::test]
async fn a_till_of_a_subset_gets_only_those_tables_and_a_new_set_is_pulled_from_scratch() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "subset").await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "h", 20_000)
        .await
        .unwrap();
    let store = TempPath::new("possync-subset-");
    let branch = shop.branches[0];
    let invoices: &[&str] = &["invoices"];
    let till = Client::open_with(
        config(&app, &shop, "cashier1", &store),
        pages_of(3_000, Some(invoices)),
    )
    .await
    .unwrap();

    till.pull().await.unwrap();

    let only_invoices = server_scope(&app, &shop, branch, 0, Some(invoices)).await;
    assert_eq!(local_copy(&till).await, only_invoices);
    assert!(till.progress().borrow().first_sync_done);
    drop(till);

    let more: &[&str] = &["products", "invoices"];
    let widened = Client::open_with(
        config(&app, &shop, "cashier1", &store),
        pages_of(3_000, Some(more)),
    )
    .await
    .unwrap();
    assert!(
        !widened.progress().borrow().first_sync_done,
        "the new set has not been pulled"
    );
    let seen = pull_watching(&widened).await;

    let both = server_scope(&app, &shop, branch, 0, Some(more)).await;
    assert!(both.len() > only_invoices.len() + 1_000, "{}", both.len());
    assert_eq!(local_copy(&widened).await, both);
    let last = *seen.last().unwrap();
    assert_eq!(
        (last.pulled, last.first_sync_done),
        (both.len() as u64, true),
        "products and invoices pulled from scratch"
    );
}

#[tokio::test]
async fn a_till_configured_with_an_unknown_table_is_refused_with_its_name() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "typo").await;
    let store = TempPath::new("possync-typo-");

    let refused = Client::open_with(
        config(&app, &shop, "cashier1", &store),
        pages_of(1_000, Some(&["invoices", "sales"])),
    )
    .await;

    let err = refused.err().expect("an unknown table is refused");
    assert_eq!(
        err.downcast_ref::<BadPullOptions>(),
        Some(&BadPullOptions::UnknownTable("sales".into()))
    );
    assert!(err.to_string().contains("\"sales\""), "{err}");
    assert!(!store.0.exists(), "nothing was opened");
}

#[tokio::test]
async fn a_till_back_from_an_offline_spell_catches_up_exactly_what_changed() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "away").await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "h", 20_000)
        .await
        .unwrap();
    let store = TempPath::new("possync-away-");
    let options = PullOptions {
        catch_up_page: 2_500,
        page: 100,
        ..PullOptions::default()
    };
    let till = Client::open_with(config(&app, &shop, "cashier1", &store), options)
        .await
        .unwrap();
    till.pull().await.unwrap();
    let went_offline_at = last_position(&app, &shop).await;
    // Offline: the till edits an invoice the back office changes too (its queued edit keeps
    // the local copy until its push decides), and the shop keeps selling.
    till.edit("invoices", "h-6", json!({"total": 1, "note": "till"}))
        .await
        .unwrap();
    let admin = shop.token(&app, 0, Role::SuperAdmin);
    let now = chrono::Utc::now().to_rfc3339();
    let edits: Vec<Value> = ["h-6", "h-16", "h-26"]
        .iter()
        .map(|id| json!({"table_name": "invoices", "record_id": id, "data": {"total": 9},
                         "local_updated_at": now}))
        .chain((0..30).map(|i| json!({"table_name": "customers", "record_id": format!("c-{i}"),
                                       "data": {"name": format!("new {i}")}, "local_updated_at": now})))
        .collect();
    app.push(&admin, "back-office", json!(edits)).await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "later", 8_000)
        .await
        .unwrap();
    let changed = server_scope(&app, &shop, shop.branches[0], went_offline_at, None).await;

    let seen = pull_watching(&till).await;

    let last = *seen.last().unwrap();
    assert_eq!(last.pulled, changed.len() as u64, "each change once");
    assert!(
        seen.iter().any(|p| p.catching_up),
        "full pages: catching up"
    );
    let mut expected = server_scope(&app, &shop, shop.branches[0], 0, None).await;
    let local = local_copy(&till).await;
    let queued = ("invoices".to_owned(), "h-6".to_owned());
    assert_eq!(
        local[&queued].2,
        json!({"total": 1, "note": "till"}),
        "queued edit kept"
    );
    assert_eq!(expected.remove(&queued).unwrap().0, 2);
    let mut others = local.clone();
    others.remove(&queued);
    assert_eq!(others, expected);
    assert_eq!(
        local[&("invoices".into(), "h-16".into())].2,
        json!({"total": 9})
    );
}
