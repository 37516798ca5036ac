//! Group commit: the pushes of one client that arrive while its previous write commits are
//! written together, in one transaction, as soon as it is done.
//!
//! A client's writes serialise on its counter row (the exact cursor needs positions visible
//! in commit order), so eight tills of one shop used to queue for it one push at a time.
//! Here one task per busy client drains its queue: each round writes everything that queued
//! meanwhile (up to [`MAX_TRANSACTION_ROWS`] edits) as one group, in arrival order, with the
//! same rules as if each push had committed after the one before. A push whose device is
//! bound elsewhere is refused alone; a group that fails in the database is written again
//! push by push, so each push gets its own answer, unless the database was unavailable: then
//! the round and every push queued behind it get the 503 at once, instead of each waiting
//! the pool's 1.5 s for a connection again (8 tills' pushes went up to 13.5 s unanswered).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::stream::MAX_TRANSACTION_ROWS;
use tokio::sync::oneshot;
use tracing::Instrument;

use super::write::write_group;
use super::{Store, StoreError};
use crate::publish::Publisher;
use crate::record::{Author, Edit, Job, Mode, Outcome};
use crate::scope::CallerScope;

/// One caller's write, owned so that it can wait in a client's queue.
pub struct Submission {
    pub scope: CallerScope,
    pub device: Option<String>,
    pub edits: Arc<[Edit]>,
    pub mode: Mode,
}

struct Waiting {
    submission: Submission,
    reply: oneshot::Sender<Result<Vec<Outcome>, StoreError>>,
}

/// Writes submissions, grouping each client's concurrent ones; publishes what committed.
pub struct Committer {
    store: Store,
    publisher: Publisher,
    /// The clients with a draining task, and what waits for it.
    queues: Mutex<HashMap<u64, Vec<Waiting>>>,
}

impl Committer {
    pub fn new(store: Store, publisher: Publisher) -> Arc<Committer> {
        Arc::new(Committer {
            store,
            publisher,
            queues: Mutex::default(),
        })
    }

    /// Writes `submission` (with whatever else of its client is waiting) and returns its
    /// outcomes in edit order once committed and handed to the publisher.
    pub async fn write(
        self: &Arc<Self>,
        submission: Submission,
    ) -> Result<Vec<Outcome>, StoreError> {
        let client_id = submission.scope.client_id;
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting { submission, reply };
        let start = match self.queues.lock().expect("queues lock").entry(client_id) {
            Entry::Occupied(mut queue) => {
                queue.get_mut().push(waiting);
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(vec![waiting]);
                true
            }
        };
        if start {
            tokio::spawn(self.clone().drain(client_id));
        }
        answer
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }

    /// Writes the client's queue round by round until it is empty.
    async fn drain(self: Arc<Self>, client_id: u64) {
        let _forget = ForgetOnPanic {
            committer: &self,
            client_id,
        };
        loop {
            let round = {
                let mut queues = self.queues.lock().expect("queues lock");
                let queue = queues
                    .get_mut(&client_id)
                    .expect("a draining client's queue");
                if queue.is_empty() {
                    queues.remove(&client_id);
                    return;
                }
                take_round(queue)
            };
            self.write_round(round).await;
        }
    }

    async fn write_round(&self, round: Vec<Waiting>) {
        let jobs: Vec<Job> = round.iter().map(|w| job_of(&w.submission)).collect();
        let client_id = jobs[0].author.scope.client_id;
        let span = tracing::info_span!(
            "group_commit",
            client_id,
            jobs = jobs.len(),
            edits = jobs.iter().map(|job| job.edits.len()).sum::<usize>(),
        );
        match write_group(&self.store, &jobs).instrument(span).await {
            Ok(written) => {
                self.publisher.submit(written.events);
                for (waiting, outcomes) in round.into_iter().zip(written.outcomes) {
                    let _ = waiting.reply.send(outcomes);
                }
            }
            Err(StoreError::Database(err)) if shared::storage::unavailable(&err) => {
                let err = Arc::new(err);
                for waiting in round.into_iter().chain(self.take_queue(client_id)) {
                    let _ = waiting
                        .reply
                        .send(Err(StoreError::Unavailable(err.clone())));
                }
            }
            Err(err) if round.len() == 1 => {
                let _ = round.into_iter().next().map(|w| w.reply.send(Err(err)));
            }
            Err(err) => {
                tracing::debug!(error = %err, pushes = round.len(), "group failed; writing its pushes one by one");
                for waiting in round {
                    let result = write_group(&self.store, &[job_of(&waiting.submission)])
                        .await
                        .and_then(|mut written| {
                            self.publisher.submit(written.events);
                            written.outcomes.pop().unwrap_or(Ok(Vec::new()))
                        });
                    let _ = waiting.reply.send(result);
                }
            }
        }
    }

    /// Everything waiting in the client's queue, taken out of it.
    fn take_queue(&self, client_id: u64) -> Vec<Waiting> {
        let mut queues = self.queues.lock().expect("queues lock");
        queues
            .get_mut(&client_id)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// Should a round panic, drops the client's queue (its waiting pushes fail instead of
/// waiting for ever) so that its next push starts afresh.
struct ForgetOnPanic<'a> {
    committer: &'a Committer,
    client_id: u64,
}

impl Drop for ForgetOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Ok(mut queues) = self.committer.queues.lock() {
                queues.remove(&self.client_id);
            }
        }
    }
}

/// The first waiting submissions, in order, up to a transaction's rows (at least one).
fn take_round(queue: &mut Vec<Waiting>) -> Vec<Waiting> {
    let mut rows = 0;
    let count = queue
        .iter()
        .take_while(|waiting| {
            rows += waiting.submission.edits.len();
            rows <= MAX_TRANSACTION_ROWS
        })
        .count()
        .max(1);
    queue.drain(..count).collect()
}

fn job_of(submission: &Submission) -> Job<'_> {
    Job {
        author: Author {
            scope: submission.scope,
            device: submission.device.as_deref(),
            placed_in: None,
        },
        edits: &submission.edits,
        mode: submission.mode,
    }
}
