//! Property test of `batch-push` against the real MariaDB: batches generated from the table
//! registry, valid and invalid values mixed. For every batch: no 5xx; each record is either
//! synced or has exactly one error with its index; what was synced pulls back identical;
//! the bad records leave the others untouched; the same batch again (a retry), also after
//! another till edited some of its records, changes nothing and reports no conflict.
//! `PROPTEST_CASES` sets the number of batches (default 1000).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use possync_tests::{Tenant, TestIngest};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};
use shared::token::Role;

use crate::fuzz_values::{batch, Expect, Generated};

struct Target {
    app: TestIngest,
    token: String,
    cursor: Mutex<Option<String>>,
    batches: AtomicU64,
}

#[test]
fn generated_pushes_never_fail_a_batch_and_pull_back_what_was_synced() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = runtime.block_on(async {
        let app = TestIngest::spawn().await;
        let tenant = Tenant::seed(&app, "fuzz").await;
        let token = tenant.token(&app, 0, Role::Admin);
        Target {
            app,
            token,
            cursor: Mutex::new(None),
            batches: AtomicU64::new(0),
        }
    });
    let mut runner = crate::fuzz_values::runner("PROPTEST_CASES", 1000);
    let cases = runner.config().cases;
    let started = std::time::Instant::now();
    runner
        .run(&batch(), |records| {
            runtime.block_on(check_batch(&target, records))
        })
        .unwrap();
    println!(
        "fuzz_push: {cases} batches ({} runs with shrinking) in {:.1} s",
        target.batches.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

async fn check_batch(target: &Target, records: Vec<Generated>) -> Result<(), TestCaseError> {
    let batch_no = target.batches.fetch_add(1, Ordering::Relaxed);
    let texts: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(i, record)| record.text(&format!("b{batch_no}-{i}")))
        .collect();
    let body = format!(
        r#"{{"device_id":"fuzz-till","records":[{}]}}"#,
        texts.join(",")
    );
    let first = push(target, &body).await?;
    check_answer(&records, &first)?;
    let changes = pull(target).await;
    check_pulled(&records, &texts, &changes)?;
    // Another till edits some of them before the retry: the retry is still no conflict.
    let edited = edit_from_another_till(target, &changes).await?;
    prop_assert_eq!(pull(target).await.len(), edited);

    let retry = push(target, &body).await?;
    let refused = |answer: &Value| -> Vec<Value> {
        let errors = answer["errors"].as_array().unwrap();
        errors
            .iter()
            .map(|e| json!([e["index"], e["record_id"]]))
            .collect()
    };
    prop_assert_eq!(
        refused(&retry),
        refused(&first),
        "a retry answers as the push did"
    );
    prop_assert_eq!(&retry["synced_count"], &first["synced_count"]);
    prop_assert_eq!(&retry["conflicts"], &json!([]));
    let again = pull(target).await;
    prop_assert!(again.is_empty(), "a retry wrote {again:?}");
    Ok(())
}

/// Another device edits up to three of `changes` (live ones, on the version it saw), as if
/// between a push and its retry; returns how many it edited.
async fn edit_from_another_till(
    target: &Target,
    changes: &[Value],
) -> Result<usize, TestCaseError> {
    let edits: Vec<Value> = changes
        .iter()
        .filter(|change| change["is_deleted"] == false)
        .take(3)
        .map(|change| {
            let mut data = change["data"].clone();
            data["edited_by"] = json!("another till");
            json!({"table_name": change["table_name"], "record_id": change["record_id"],
                   "data": data, "base_version": change["sync_version"],
                   "local_updated_at": chrono::Utc::now().to_rfc3339()})
        })
        .collect();
    if edits.is_empty() {
        return Ok(0);
    }
    let body = json!({"device_id": "fuzz-other-till", "records": edits}).to_string();
    let answer = push(target, &body).await?;
    prop_assert_eq!(
        answer["synced_count"].as_u64(),
        Some(edits.len() as u64),
        "{}",
        answer
    );
    Ok(edits.len())
}

/// The changes since the previous pull.
async fn pull(target: &Target) -> Vec<Value> {
    let since = target.cursor.lock().unwrap().clone();
    let (changes, cursor) = target.app.pull_all(&target.token, since, 1000).await;
    *target.cursor.lock().unwrap() = cursor;
    changes
}

async fn push(target: &Target, body: &str) -> Result<Value, TestCaseError> {
    let response = target
        .app
        .post("/api/sync/batch-push")
        .bearer_auth(&target.token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    prop_assert_eq!(status, 200, "{}", answer);
    Ok(answer)
}

fn check_answer(records: &[Generated], answer: &Value) -> Result<(), TestCaseError> {
    let errors = answer["errors"].as_array().unwrap();
    let indices: Vec<u64> = errors
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (0..records.len() as u64)
        .filter(|&i| records[i as usize].expect == Expect::Refused)
        .collect();
    prop_assert_eq!(&indices, &expected, "one error per bad record: {}", answer);
    let synced = records.len() - expected.len();
    prop_assert_eq!(answer["synced_count"].as_u64(), Some(synced as u64));
    prop_assert_eq!(&answer["conflicts"], &json!([]));
    Ok(())
}

fn check_pulled(
    records: &[Generated],
    texts: &[String],
    changes: &[Value],
) -> Result<(), TestCaseError> {
    let synced: Vec<(&Generated, &String)> = records
        .iter()
        .zip(texts)
        .filter(|(record, _)| record.expect == Expect::Synced)
        .collect();
    prop_assert_eq!(
        changes.len(),
        synced.len(),
        "exactly the synced records changed"
    );
    for (record, text) in synced {
        let sent: Value = serde_json::from_str(text).unwrap();
        let pulled = changes
            .iter()
            .find(|c| c["record_id"] == sent["record_id"] && c["table_name"] == sent["table_name"]);
        let pulled = pulled.ok_or_else(|| TestCaseError::fail(format!("{text} not pulled")))?;
        let data = if record.is_deleted {
            json!({})
        } else {
            sent["data"].clone()
        };
        prop_assert_eq!(&pulled["data"], &data);
        prop_assert_eq!(&pulled["is_deleted"], &json!(record.is_deleted));
        prop_assert_eq!(&pulled["sync_version"], &json!(1));
    }
    Ok(())
}
