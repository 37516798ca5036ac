//! The six rules of a push, chaining, the clock clamp, the other write modes and branches.

use super::*;

#[test]
fn rule_1_an_edit_of_no_record_creates_it_at_the_next_position() {
    let edit = [product_edit(json!({"name": "شاي"}), 10, None)];
    let (outcome, applied) = decide_one(&[], push(till("till-a"), &edit));
    assert_eq!(name(&outcome), "applied");
    assert_eq!((applied[0].sync_version, applied[0].position), (1, 100));
    assert_eq!(applied[0].data, json!({"name": "شاي"}));
}

#[test]
fn rule_2_the_same_edit_from_the_same_device_again_writes_nothing() {
    let edit = [product_edit(json!({"name": "شاي"}), 30, Some(2))];
    let server = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-a");
    let (outcome, applied) = decide_one(&[server], push(till("till-a"), &edit));
    assert_eq!(name(&outcome), "unchanged");
    assert!(applied.is_empty());
}

#[test]
fn rule_3_an_edit_over_the_current_version_applies_however_old() {
    let edit = [product_edit(json!({"name": "قهوة"}), 0, Some(3))];
    let server = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-a");
    let (outcome, applied) = decide_one(&[server], push(till("till-b"), &edit));
    assert_eq!(name(&outcome), "applied");
    assert_eq!(applied[0].sync_version, 4);
}

#[test]
fn rule_4_an_own_edit_applies_when_not_older_and_is_never_a_conflict() {
    let server = |edit: &Edit| stored(edit, json!({"name": "شاي"}), 3, 30, "till-a");
    let later = [product_edit(json!({"name": "قهوة"}), 45, Some(2))];
    let (outcome, _) = decide_one(&[server(&later[0])], push(till("till-a"), &later));
    assert_eq!(name(&outcome), "applied");
    let older = [product_edit(json!({"name": "قهوة"}), 10, Some(2))];
    let (outcome, applied) = decide_one(&[server(&older[0])], push(till("till-a"), &older));
    assert_eq!(name(&outcome), "unchanged");
    assert!(applied.is_empty());
}

#[test]
fn rule_5_a_newer_edit_wins_over_another_devices_version() {
    let edit = [product_edit(json!({"name": "قهوة"}), 31, Some(2))];
    let server = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-a");
    let (outcome, applied) = decide_one(&[server], push(till("till-b"), &edit));
    assert_eq!(name(&outcome), "applied");
    assert_eq!(applied[0].data, json!({"name": "قهوة"}));
    assert_eq!(applied[0].updated_by_device.as_deref(), Some("till-b"));
}

#[test]
fn rule_6_an_older_edit_of_another_device_conflicts_and_the_server_keeps_its_version() {
    let edit = [product_edit(json!({"name": "قهوة"}), 29, Some(2))];
    let server = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-a");
    let (outcome, applied) = decide_one(&[server], push(till("till-b"), &edit));
    let Outcome::Conflict(kept) = outcome else {
        panic!("expected a conflict, got {}", name(&outcome));
    };
    assert_eq!((kept.sync_version, kept.data), (3, json!({"name": "شاي"})));
    assert!(applied.is_empty());
}

#[test]
fn edits_of_one_record_chain_across_the_jobs_of_a_write() {
    let first = [product_edit(json!({"name": "شاي"}), 10, None)];
    let second = [product_edit(json!({"name": "قهوة"}), 11, Some(1))];
    let (outcomes, applied) = decide(
        &[],
        &[push(till("till-a"), &first), push(till("till-b"), &second)],
    );
    assert_eq!(name(&outcomes[0][0]), "applied");
    assert_eq!(name(&outcomes[1][0]), "applied");
    let versions: Vec<_> = applied
        .iter()
        .map(|r| (r.sync_version, r.position))
        .collect();
    assert_eq!(versions, [(1, 100), (2, 101)]);
}

#[test]
fn a_device_clock_two_hours_ahead_cannot_beat_an_edit_made_after_its_push() {
    // Till A claims 12:00 at 10:00 (its version counts as made at 10:00, when it arrived);
    // till B edits at 10:05.
    let edit = [product_edit(json!({"name": "قهوة"}), 5, None)];
    let mut ahead = stored(&edit[0], json!({"name": "شاي"}), 4, 120, "till-a");
    ahead.server_updated_at = at(0);
    let (outcome, _) = decide_one(&[ahead], push(till("till-b"), &edit));
    assert_eq!(name(&outcome), "applied");
}

#[test]
fn the_other_modes_force_expect_a_version_or_create_only() {
    let edit = [product_edit(json!({"name": "قهوة"}), 0, None)];
    let server = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-a");
    let with = |mode| Job {
        mode,
        ..push(till("till-b"), &edit)
    };
    let cases = [
        (Mode::Force, "applied"),
        (Mode::Expect(3), "applied"),
        (Mode::Expect(2), "conflict"),
        (Mode::CreateOnly, "conflict"),
    ];
    for (mode, expected) in cases {
        let (outcome, _) = decide_one(std::slice::from_ref(&server), with(mode));
        assert_eq!(name(&outcome), expected, "{mode:?}");
    }
    let (outcome, _) = decide_one(&[], with(Mode::Expect(1)));
    assert_eq!(name(&outcome), "missing");
    let (outcome, _) = decide_one(&[], with(Mode::CreateOnly));
    assert_eq!(name(&outcome), "applied");
}

#[test]
fn a_record_of_another_branch_is_not_written() {
    let edit = [product_edit(json!({"name": "قهوة"}), 50, None)];
    let mut elsewhere = stored(&edit[0], json!({"name": "شاي"}), 3, 30, "till-x");
    elsewhere.branch_scope = 2;
    let (outcome, applied) = decide_one(&[elsewhere], push(till("till-a"), &edit));
    assert_eq!(name(&outcome), "other branch");
    assert!(applied.is_empty());
}
