//! Property test of counters across devices against the real stack: three tills (one live
//! on the WebSocket) sell from two stock rows offline and online in random order, push,
//! pull, and lose push answers (the same queue pushed again, as after a timeout). After
//! everyone syncs, each row equals its start plus the sum of all sales, on the server and
//! on every till, and nothing is left queued or refused. `POSSYNC_COUNTER_CASES` sets the
//! number of histories (default 24).

use possync_client::Client;
use possync_tests::{TempPath, Tenant, TestFanout, TestIngest};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::json;

use crate::client::{go_live, open_device, store_path};
use crate::client_counters::{on_server, shown, stocked};

const TILLS: usize = 3;
const ROWS: usize = 2;
const START: i64 = 1_000;

#[derive(Debug, Clone)]
enum Step {
    Sell {
        till: usize,
        row: usize,
        by: i64,
    },
    Push(usize),
    Pull(usize),
    /// The till's queue reaches the server but the answer is lost: it stays queued.
    LostAnswer(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let till = 0..TILLS;
    prop_oneof![
        5 => (till.clone(), 0..ROWS, prop_oneof![-5i64..=-1, 1i64..=3])
            .prop_map(|(till, row, by)| Step::Sell { till, row, by }),
        2 => till.clone().prop_map(Step::Push),
        2 => till.clone().prop_map(Step::Pull),
        1 => till.prop_map(Step::LostAnswer),
    ]
}

struct Shop {
    app: TestIngest,
    tenant: Tenant,
    fanout: TestFanout,
}

#[test]
fn counters_end_at_start_plus_every_sale_on_the_server_and_every_till() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let shop = runtime.block_on(async {
        let app = TestIngest::spawn().await;
        let tenant = Tenant::seed(&app, "counters").await;
        let fanout = TestFanout::spawn(&app).await;
        Shop {
            app,
            tenant,
            fanout,
        }
    });
    let mut runner = crate::fuzz_values::runner("POSSYNC_COUNTER_CASES", 24);
    let cases = runner.config().cases;
    let started = std::time::Instant::now();
    let histories = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&prop::collection::vec(step(), 1..40), |steps| {
            let n = histories.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            runtime.block_on(check_history(&shop, n, steps))
        })
        .unwrap();
    println!(
        "fuzz_counters: {cases} histories ({} runs with shrinking) in {:.1} s",
        histories.into_inner(),
        started.elapsed().as_secs_f64()
    );
}

async fn check_history(shop: &Shop, n: usize, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let (app, tenant) = (&shop.app, &shop.tenant);
    let stores: Vec<TempPath> = (0..=TILLS).map(|_| store_path()).collect();
    let office = open_device(
        app,
        None,
        tenant,
        "cashier1",
        &format!("h{n}-office"),
        &stores[0],
    )
    .await;
    let mut tills = Vec::new();
    for till in 0..TILLS {
        let fanout = (till == 0).then_some(&shop.fanout);
        let name = format!("h{n}-till{till}");
        tills.push(open_device(app, fanout, tenant, "cashier1", &name, &stores[till + 1]).await);
    }
    let rows: Vec<String> = (0..ROWS).map(|row| format!("h{n}-row{row}")).collect();
    for row in &rows {
        stocked(&office, &tills.iter().collect::<Vec<_>>(), row, START).await;
    }
    let (stop, live) = go_live(&tills[0]).await;

    let mut sold = [0i64; ROWS];
    // What each till has queued and not pushed itself, and whether the server already took
    // some of it (a lost answer): then the till cannot know, and shows it twice until it pushes.
    let mut queued = [[0i64; ROWS]; TILLS];
    let mut answer_lost = [false; TILLS];
    for step in &steps {
        match *step {
            Step::Sell { till, row, by } => {
                tills[till]
                    .increment("product_stock", &rows[row], json!({"quantity": by}))
                    .await
                    .unwrap();
                sold[row] += by;
                queued[till][row] += by;
            }
            Step::Push(till) => {
                let before = shown_rows(&tills[till], &rows).await;
                tills[till].push().await.unwrap();
                queued[till] = [0; ROWS];
                // After a lost answer the push corrects what the till shows.
                if till != 0 && !std::mem::take(&mut answer_lost[till]) {
                    let after = shown_rows(&tills[till], &rows).await;
                    prop_assert_eq!(
                        after,
                        before,
                        "a push does not change what till {} shows",
                        till
                    );
                }
            }
            Step::Pull(till) => {
                // The live till pushes on its own meanwhile: the pull sees the server's value
                // from just before it or just after.
                let before = server_rows(app, &rows).await;
                tills[till].pull().await.unwrap();
                let after = server_rows(app, &rows).await;
                if till != 0 && !answer_lost[till] {
                    for (row, id) in rows.iter().enumerate() {
                        let server_part = shown(&tills[till], id).await - queued[till][row];
                        prop_assert!(
                            server_part == before[row] || server_part == after[row],
                            "after a pull till {} shows the server's value ({} or {}) and its queue ({}): {}",
                            till, before[row], after[row], queued[till][row], server_part + queued[till][row]
                        );
                    }
                }
            }
            Step::LostAnswer(till) => {
                let name = format!("h{n}-till{till}");
                answer_lost[till] |= lose_answer(app, tenant, &tills[till], &name).await;
            }
        }
    }
    stop.cancel();
    live.await.unwrap();
    for _ in 0..2 {
        for till in &tills {
            till.sync().await.unwrap();
        }
    }

    for (row, id) in rows.iter().enumerate() {
        let expected = START + sold[row];
        prop_assert_eq!(on_server(app, id).await, expected, "server, {}", id);
        for (i, till) in tills.iter().enumerate() {
            prop_assert_eq!(shown(till, id).await, expected, "till {}, {}", i, id);
        }
    }
    for till in &tills {
        let status = *till.status().borrow();
        prop_assert_eq!((status.pending, status.rejected), (0, 0));
    }
    Ok(())
}

/// Pushes the till's queue as the till `name` would, without telling the till; whether
/// there was anything to push.
async fn lose_answer(app: &TestIngest, tenant: &Tenant, till: &Client, name: &str) -> bool {
    let queued = till.store().queued(50).await.unwrap();
    if queued.is_empty() {
        return false;
    }
    let records: Vec<_> = queued.iter().map(|q| q.record.clone()).collect();
    let token = tenant.login(app, "cashier1").await.access_token;
    app.push(&token, name, json!(records)).await;
    true
}

async fn server_rows(app: &TestIngest, rows: &[String]) -> Vec<i64> {
    let mut values = Vec::new();
    for id in rows {
        values.push(on_server(app, id).await);
    }
    values
}

async fn shown_rows(till: &Client, rows: &[String]) -> Vec<i64> {
    let mut values = Vec::new();
    for id in rows {
        values.push(shown(till, id).await);
    }
    values
}
