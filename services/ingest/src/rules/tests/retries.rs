//! Edits applied once: edit ids, and pushes sent again after a lost answer.

use super::*;

#[test]
fn an_edit_id_applies_once_within_a_write_and_across_writes() {
    let mut edit = stock_edit(None, -1, 10);
    edit.edit_id = Some(RecordId::parse("sale-1-line-1").unwrap());
    let twice = [edit.clone(), edit.clone()];
    let server = stored(
        &edit,
        json!({"product_id": "p-1", "quantity": 5}),
        1,
        0,
        "till-a",
    );
    let (outcomes, applied) = decide(
        std::slice::from_ref(&server),
        &[push(till("till-b"), &twice)],
    );
    let names: Vec<_> = outcomes[0].iter().map(name).collect();
    assert_eq!(names, ["applied", "unchanged"]);
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].data["quantity"], 4);

    let current = [(crate::record::key_of(&server), server)]
        .into_iter()
        .collect();
    let applied_before = HashSet::from(["sale-1-line-1".to_owned()]);
    let mut batch = Batch::new(current, applied_before, 100, at(NOW));
    let outcomes = batch.decide(&push(till("till-b"), &twice[..1]), &HashSet::new());
    assert_eq!(name(&outcomes[0]), "unchanged");
    assert!(batch.applied.is_empty() && batch.remembered.is_empty());
}

#[test]
fn a_retry_of_an_edit_made_ahead_of_time_is_recognised_from_what_its_device_made() {
    // Till A pushed at 10:00 an edit claiming 12:00; till B wrote since; A's retry arrives.
    let retry_of_a = [product_edit(json!({"name": "شاي"}), 120, None)];
    let by_b = stored(&retry_of_a[0], json!({"name": "قهوة"}), 5, 5, "till-b");
    let job = push(till("till-a"), &retry_of_a);
    let current = [(crate::record::key_of(&by_b), by_b.clone())]
        .into_iter()
        .collect();
    let candidates = retry::may_repeat(&job, &current, at(NOW));
    assert_eq!(candidates, [0]);
    assert_eq!(
        retry::records_of(job.edits, &candidates),
        [("products", "p-1")]
    );

    // Without A's earlier edit in the queue, the rules apply it (it claims to be newer) …
    let nothing_made = retry::made_again(job.edits, &candidates, &HashSet::new());
    assert!(nothing_made.is_empty());
    let (outcome, _) = decide_one(std::slice::from_ref(&by_b), job);
    assert_eq!(name(&outcome), "applied");

    // … with it, the retry changes nothing.
    let made: HashSet<MadeEdit> = HashSet::from([retry::made_edit(&retry_of_a[0])]);
    let retried = retry::made_again(job.edits, &candidates, &made);
    let mut batch = Batch::new(current, HashSet::new(), 100, at(NOW));
    let outcomes = batch.decide(&job, &retried);
    assert_eq!(name(&outcomes[0]), "unchanged");
    assert!(batch.applied.is_empty());
}

#[test]
fn only_pushes_of_a_device_have_retries() {
    let edit = [product_edit(json!({"name": "شاي"}), 120, None)];
    let by_b = stored(&edit[0], json!({"name": "قهوة"}), 5, 5, "till-b");
    let current = [(crate::record::key_of(&by_b), by_b)].into_iter().collect();
    let forced = Job {
        mode: Mode::Force,
        ..push(till("till-a"), &edit)
    };
    let anonymous = Job {
        author: Author {
            device: None,
            ..till("till-a")
        },
        ..push(till("till-a"), &edit)
    };
    for job in [forced, anonymous] {
        assert!(retry::may_repeat(&job, &current, at(NOW)).is_empty());
        let conflict = [Outcome::Conflict(stored(&edit[0], json!({}), 1, 0, "x"))];
        assert!(retry::conflicted(&job, &conflict).is_empty());
    }
}

#[test]
fn a_conflict_of_an_edit_its_device_made_before_is_answered_unchanged() {
    // Till B's edit applied at 10:29; till A wrote at 10:30; B's retry (answer lost) conflicts.
    let retry_of_b = [product_edit(json!({"name": "قهوة"}), 29, Some(2))];
    let by_a = stored(&retry_of_b[0], json!({"name": "شاي"}), 4, 30, "till-a");
    let job = push(till("till-b"), &retry_of_b);
    let (outcome, _) = decide_one(std::slice::from_ref(&by_a), job);
    let mut outcomes = vec![outcome];
    let conflicted = retry::conflicted(&job, &outcomes);
    assert_eq!(conflicted, [0]);

    retry::settle_conflicts(job.edits, &mut outcomes, &HashSet::new());
    assert_eq!(
        name(&outcomes[0]),
        "conflict",
        "an edit never made stays a conflict"
    );
    let made = HashSet::from([retry::made_edit(&retry_of_b[0])]);
    retry::settle_conflicts(job.edits, &mut outcomes, &made);
    assert_eq!(name(&outcomes[0]), "unchanged");
}

#[test]
fn a_retry_is_recognised_whatever_its_counters_say() {
    let sent = stock_edit(Some(json!({"product_id": "p-1", "quantity": 7})), 0, 10);
    let mut counted_since = sent.clone();
    counted_since.data = Some(json!({"product_id": "p-1", "quantity": 3}));
    assert_eq!(retry::made_edit(&sent), retry::made_edit(&counted_since));
    let mut deleted = sent.clone();
    deleted.is_deleted = true;
    assert_ne!(retry::made_edit(&sent), retry::made_edit(&deleted));
}

#[test]
fn a_retry_over_another_devices_increment_is_recognised_from_what_its_device_made() {
    // Till A set the stock to 100 at 10:10 (answer lost); till B sold 5 since: the record is
    // still A's version of 10:10 but holds 95. A's retry must not set it back to 100.
    let mut set = stock_edit(Some(json!({"product_id": "p-1", "quantity": 100})), 0, 10);
    set.increments.clear();
    let retry_of_a = [set];
    let counted = stored(
        &retry_of_a[0],
        json!({"product_id": "p-1", "quantity": 95}),
        2,
        10,
        "till-a",
    );
    let job = push(till("till-a"), &retry_of_a);
    let current = [(crate::record::key_of(&counted), counted.clone())]
        .into_iter()
        .collect();
    let candidates = retry::may_repeat(&job, &current, at(NOW));
    assert_eq!(candidates, [0]);

    let (outcome, applied) = decide_one(std::slice::from_ref(&counted), job);
    assert_eq!(name(&outcome), "applied", "the rules alone set it back");
    assert_eq!(applied[0].data["quantity"], 100);

    let made: HashSet<MadeEdit> = HashSet::from([retry::made_edit(&retry_of_a[0])]);
    let retried = retry::made_again(job.edits, &candidates, &made);
    let mut batch = Batch::new(current.clone(), HashSet::new(), 100, at(NOW));
    let outcomes = batch.decide(&job, &retried);
    assert_eq!(name(&outcomes[0]), "unchanged");
    assert!(batch.applied.is_empty());

    let mut later = retry_of_a[0].clone();
    later.local_updated_at = at(11);
    let later = [later];
    assert!(
        retry::may_repeat(&push(till("till-a"), &later), &current, at(NOW)).is_empty(),
        "a later edit of its own is no retry"
    );
}
