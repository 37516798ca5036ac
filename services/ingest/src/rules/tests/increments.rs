//! Increments: they need a record, add up, never conflict, and honour `If-Match`.

use super::*;

#[test]
fn increments_need_a_record_to_add_to() {
    let edit = [stock_edit(None, -1, 10)];
    let (outcome, applied) = decide_one(&[], push(till("till-a"), &edit));
    assert_eq!(name(&outcome), "refused");
    assert!(applied.is_empty());
}

#[test]
fn increments_add_up_and_never_conflict() {
    // Till B's data is older than till A's version: its data conflicts, its sale still counts.
    let edit = [stock_edit(Some(json!({"product_id": "p-2"})), -2, 20)];
    let server = stored(
        &edit[0],
        json!({"product_id": "p-1", "quantity": 10}),
        3,
        30,
        "till-a",
    );
    let (outcome, applied) = decide_one(&[server], push(till("till-b"), &edit));
    let Outcome::Conflict(record) = outcome else {
        panic!("expected the data to conflict, got {}", name(&outcome));
    };
    assert_eq!(record.data, json!({"product_id": "p-1", "quantity": 8}));
    assert_eq!(record.sync_version, 4);
    // The version keeps till A's data, time and authorship: only the counter moved.
    assert_eq!(applied[0].updated_by_device.as_deref(), Some("till-a"));
    assert_eq!(applied[0].local_updated_at, at(30));

    let sales = [stock_edit(None, -1, 40), stock_edit(None, -1, 41)];
    let server = stored(
        &sales[0],
        json!({"product_id": "p-1", "quantity": 10}),
        3,
        30,
        "till-a",
    );
    let (outcomes, applied) = decide(&[server], &[push(till("till-b"), &sales)]);
    assert!(outcomes[0].iter().all(|o| name(o) == "applied"));
    assert_eq!(applied[1].data["quantity"], 8);
}

#[test]
fn increments_with_if_match_apply_over_that_version_only() {
    let edit = [stock_edit(None, 5, 10)];
    let server = stored(
        &edit[0],
        json!({"product_id": "p-1", "quantity": 1}),
        3,
        0,
        "till-a",
    );
    let expect = |version| Job {
        mode: Mode::Expect(version),
        ..push(till("till-a"), &edit)
    };
    let (outcome, _) = decide_one(std::slice::from_ref(&server), expect(2));
    assert_eq!(name(&outcome), "conflict");
    let (outcome, applied) = decide_one(&[server], expect(3));
    assert_eq!(name(&outcome), "applied");
    assert_eq!(applied[0].data["quantity"], 6);
}

#[test]
fn increments_that_cannot_add_up_are_refused_and_write_nothing() {
    let edit = [stock_edit(None, 1, 10)];
    let not_a_number = json!({"product_id": "p-1", "quantity": "many"});
    let server = stored(&edit[0], not_a_number, 3, 0, "till-a");
    let (outcome, applied) = decide_one(&[server], push(till("till-a"), &edit));
    assert_eq!(name(&outcome), "refused");
    assert!(applied.is_empty());
}
