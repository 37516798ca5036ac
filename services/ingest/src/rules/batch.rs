//! The edits of one write, decided in order, job after job, as if each job committed after
//! the one before: a record edited twice chains, an edit id applies once, and each version
//! written takes the next change position.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::decide::Decision;
use super::plan::{plan, Plan};
use super::version::next_version;
use crate::record::{Applied, Edit, Job, Key, Outcome, StoredRecord};

/// What a write has decided so far.
pub struct Batch<'a> {
    /// The records as they stand after the edits decided so far.
    pub current: HashMap<Key, StoredRecord>,
    /// The versions to write, in the order they were decided.
    pub applied: Vec<Applied<'a>>,
    /// The ids of the edits that wrote a version, to remember.
    pub remembered: Vec<&'a str>,
    /// Edit ids applied by earlier writes.
    applied_before: HashSet<String>,
    /// Edit ids met in this write.
    ids_seen: HashSet<&'a str>,
    next_position: u64,
    now: DateTime<Utc>,
}

impl<'a> Batch<'a> {
    /// A write over `current` (the records its edits touch), whose versions take positions
    /// from `first_position` on.
    pub fn new(
        current: HashMap<Key, StoredRecord>,
        applied_before: HashSet<String>,
        first_position: u64,
        now: DateTime<Utc>,
    ) -> Batch<'a> {
        Batch {
            current,
            applied: Vec::new(),
            remembered: Vec::new(),
            applied_before,
            ids_seen: HashSet::new(),
            next_position: first_position,
            now,
        }
    }

    /// Decides the job's edits in order; those at `retried` are known retries.
    pub fn decide(&mut self, job: &Job<'a>, retried: &HashSet<usize>) -> Vec<Outcome> {
        job.edits
            .iter()
            .enumerate()
            .map(|(index, edit)| self.decide_edit(job, edit, retried.contains(&index)))
            .collect()
    }

    fn decide_edit(&mut self, job: &Job<'a>, edit: &'a Edit, retried: bool) -> Outcome {
        let key = edit.key();
        let existing = self.current.get(&key);
        if existing.is_some_and(|record| !job.author.scope.sees(record.branch_scope)) {
            return Outcome::OtherBranch;
        }
        let edit_id = edit.edit_id.as_ref().map(|id| id.as_str());
        let repeated = retried
            || edit_id
                .is_some_and(|id| self.applied_before.contains(id) || !self.ids_seen.insert(id));
        if let (true, Some(record)) = (repeated, existing) {
            return Outcome::Unchanged(record.clone());
        }
        match plan(edit, existing, &job.author, job.mode, self.now) {
            Plan::Write {
                version,
                reported_as,
            } => {
                let written = next_version(
                    existing,
                    edit,
                    version,
                    &job.author,
                    self.now,
                    self.next_position,
                );
                let (record, operation) = match written {
                    Ok(written) => written,
                    Err(message) => return Outcome::Refused(message),
                };
                self.next_position += 1;
                self.current.insert(key, record.clone());
                self.applied.push(Applied {
                    record: record.clone(),
                    operation,
                    author: job.author,
                });
                self.remembered.extend(edit_id);
                match reported_as {
                    Decision::Conflict => Outcome::Conflict(record),
                    _ => Outcome::Applied { record, operation },
                }
            }
            Plan::Keep(Decision::Unchanged) => {
                existing.map_or(Outcome::Missing, |r| Outcome::Unchanged(r.clone()))
            }
            Plan::Keep(_) => existing.map_or(Outcome::Missing, |r| Outcome::Conflict(r.clone())),
            Plan::Refuse(message) => Outcome::Refused(message),
        }
    }
}
