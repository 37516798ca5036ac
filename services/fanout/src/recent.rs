//! The message ids a room relayed lately, so that a message published twice reaches its
//! devices once. Core NATS subscribers receive every publish, and JetStream's de-duplication
//! only keeps the stream clean: a publish retried after a lost acknowledgement (a stream
//! leader election) or re-published by the relay arrives here again under the same
//! `Nats-Msg-Id`.

use std::collections::{HashSet, VecDeque};

use async_nats::header::NATS_MESSAGE_ID;
use async_nats::Message;

/// Ids remembered per room: ingest retries for ~14 s and the relay waits 10 s before it
/// re-publishes, so a room keeps a busy shop's last minutes of groups.
const REMEMBERED: usize = 2048;

/// The last [`REMEMBERED`] message ids of one room, oldest first out. The ids are sync
/// queue row ids (numbers), kept as such: no allocation per message.
#[derive(Default)]
pub struct RecentIds {
    ids: HashSet<u64>,
    order: VecDeque<u64>,
}

impl RecentIds {
    /// True the first time `message`'s id is seen (or when it has no numeric id).
    pub fn first_time(&mut self, message: &Message) -> bool {
        let id = message
            .headers
            .as_ref()
            .and_then(|headers| headers.get(NATS_MESSAGE_ID))
            .and_then(|id| id.as_str().parse().ok());
        id.is_none_or(|id| self.remember(id))
    }

    fn remember(&mut self, id: u64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        if self.order.len() == REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
        self.order.push_back(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_new_once_until_it_is_forgotten() {
        let mut recent = RecentIds::default();

        assert!(recent.remember(1));
        assert!(!recent.remember(1));
        for id in 2..=REMEMBERED as u64 + 1 {
            assert!(recent.remember(id));
        }

        assert!(recent.remember(1), "the oldest id is forgotten first");
        assert!(!recent.remember(REMEMBERED as u64 + 1));
        assert_eq!(recent.order.len(), REMEMBERED);
        assert_eq!(recent.ids.len(), REMEMBERED);
    }
}
