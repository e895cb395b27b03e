//! Per-user state, and the trait through which it is stored.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::{MAX_UNANSWERED, Profile, Unanswered};

/// How many recent turns are remembered.
pub const MAX_TURNS: usize = 10;
/// How much of a message is kept in the recent turns.
pub const MAX_TURN_TEXT: usize = 200;

/// A channel-qualified user id: `cli:local`, `discord:123`, `telegram:456`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey(String);

impl UserKey {
    /// The key of `user` on `channel`.
    pub fn new(channel: &str, user: &str) -> UserKey {
        UserKey(format!("{channel}:{user}"))
    }

    /// A key as a store keeps it (`as_str`), read back.
    pub fn from_stored(text: impl Into<String>) -> UserKey {
        UserKey(text.into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A button offered with a reply, and what pressing it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The text on the button.
    pub label: String,
    /// The knowledge entry it opens, if any; otherwise the label is asked as a question.
    #[serde(default)]
    pub entry: Option<String>,
    /// The action it takes ("more"), if any.
    #[serde(default)]
    pub action: Option<String>,
}

/// A yes/no question the bot is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pending {
    /// "Forget everything about you?"
    Forget,
}

/// How far a user has gone through the career finder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinderProgress {
    /// The option chosen for each question answered so far, in order.
    pub answers: Vec<usize>,
}

/// One remembered turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// What the user said (cut to `MAX_TURN_TEXT` characters).
    pub text: String,
    /// The topic that answered it.
    pub topic: Option<String>,
    /// Whether the reply was a fallback.
    pub fallback: bool,
}

/// Everything the bot remembers about one user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserState {
    /// The knowledge entry under discussion.
    pub topic: Option<String>,
    /// Entries already shown for "tell me more" about the topic (the topic's own longer part
    /// is recorded as the topic id).
    pub shown: Vec<String>,
    /// The role under discussion (a role id).
    pub role: Option<String>,
    /// What the user said about themselves.
    pub profile: Profile,
    /// The most recent turns, oldest first.
    pub turns: Vec<Turn>,
    /// The buttons offered with the last reply.
    pub offered: Vec<Offer>,
    /// How many turns there have been.
    pub turn_count: u64,
    /// A question the bot asked and awaits an answer to ("forget everything?").
    pub pending: Option<Pending>,
    /// The career finder, while the user is going through it.
    pub finder: Option<FinderProgress>,
    /// When the state was last written, in seconds since the Unix epoch (set by the store's
    /// caller, never by the engine).
    pub updated_at: u64,
}

impl UserState {
    /// Records a turn, keeping only the most recent ones.
    pub(crate) fn remember(&mut self, text: &str, topic: Option<&str>, fallback: bool) {
        self.turn_count += 1;
        self.turns.push(Turn {
            text: text.chars().take(MAX_TURN_TEXT).collect(),
            topic: topic.map(str::to_owned),
            fallback,
        });
        let excess = self.turns.len().saturating_sub(MAX_TURNS);
        self.turns.drain(..excess);
    }
}

/// What can go wrong in a state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage failed (disk full, permissions, lock held by another process, a server
    /// that cannot be reached…).
    #[error("state storage failed: {0}")]
    Storage(String),
    /// A conditional write found that someone else (another process sharing the store) had
    /// written the user's state since it was loaded: nothing was written; load and try again.
    #[error("the user's state changed while the turn was taken (another instance wrote it)")]
    Conflict,
}

/// Which revision of a user's record a state was loaded from, for a conditional write
/// (`StateStore::write_if`): the write happens only if the record is still at that revision.
/// `Version::ABSENT` is no record at all; a store that does not check versions returns
/// `Version::ANY`, which every conditional write accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version(u64);

impl Version {
    /// No record.
    pub const ABSENT: Version = Version(0);
    /// A record that is there but unreadable (a corrupt record, or one of another schema).
    pub const UNREADABLE: Version = Version(u64::MAX - 1);
    /// Any revision: a store without versions (the write is unconditional).
    pub const ANY: Version = Version(u64::MAX);

    /// The revision `number` (1 is a record's first write).
    pub fn new(number: u64) -> Version {
        Version(number)
    }

    /// The revision number (0 for `ABSENT`).
    pub fn number(self) -> u64 {
        self.0
    }

    /// The revision a write on top of this one gets.
    pub fn next(self) -> Version {
        match self {
            Version::ABSENT | Version::UNREADABLE | Version::ANY => Version(1),
            Version(n) => Version(n + 1),
        }
    }
}

/// A point in a store's sequence of writes, returned by `StateStore::write`: once
/// `StateStore::sync` returns for it, that write (and every earlier one) is durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Commit(u64);

impl Commit {
    /// A write that was durable before it returned: there is nothing to wait for.
    pub const DURABLE: Commit = Commit(0);

    /// The commit with this sequence number (a store's own numbering; 0 is `DURABLE`).
    pub fn new(sequence: u64) -> Commit {
        Commit(sequence)
    }

    /// The sequence number.
    pub fn sequence(self) -> u64 {
        self.0
    }
}

/// Where user state is kept. A saved state must be durable before `save` returns, and a record
/// a store cannot read is treated as absent (with a warning), never as a failure.
///
/// Writing and waiting for durability can be two steps, so that a store can make many writes
/// durable at once (group commit): `write` makes the state visible to `load` at once and returns
/// a `Commit`; `sync` waits until that commit is durable. The default methods suit a store whose
/// every write is durable when it returns.
pub trait StateStore: Send + Sync {
    /// The state of `user`, or `None` when there is none (or it was unreadable).
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError>;
    /// Stores the state of `user` durably.
    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError>;
    /// Deletes everything stored about `user` durably; true when there was something.
    fn delete(&self, user: &UserKey) -> Result<bool, StoreError>;
    /// Deletes the state of every user last active before `before` (seconds since the Unix
    /// epoch); returns how many were deleted.
    fn purge(&self, before: u64) -> Result<usize, StoreError>;

    /// Stores the state of `user`, visible to `load` at once and durable once `sync` returns
    /// for the commit returned.
    fn write(&self, user: &UserKey, state: &UserState) -> Result<Commit, StoreError> {
        self.save(user, state).map(|()| Commit::DURABLE)
    }
    /// Deletes everything stored about `user`, durable once `sync` returns for the commit
    /// returned; true when there was something.
    fn remove(&self, user: &UserKey) -> Result<(bool, Commit), StoreError> {
        self.delete(user).map(|removed| (removed, Commit::DURABLE))
    }
    /// Waits until `commit` (and every write before it) is durable.
    fn sync(&self, commit: Commit) -> Result<(), StoreError> {
        let _ = commit;
        Ok(())
    }

    /// The state of `user` (as `load`) and the revision of the record it came from, for
    /// `write_if`. A store shared by several processes must implement it with `write_if`; the
    /// default (for a store used by one process, whose `Conversations` orders each user's
    /// turns) gives `Version::ANY`.
    fn load_versioned(&self, user: &UserKey) -> Result<(Option<UserState>, Version), StoreError> {
        Ok((self.load(user)?, Version::ANY))
    }
    /// Stores the state of `user` as `write` does, but only if the record is still at revision
    /// `expected` (from `load_versioned`); otherwise writes nothing and fails with
    /// `StoreError::Conflict`. Retried after a lost connection, a write that had in fact been
    /// applied succeeds. The default ignores the version.
    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: Version,
    ) -> Result<Commit, StoreError> {
        let _ = expected;
        self.write(user, state)
    }
    /// Deletes the state of `user` as `remove` does, but only if the record is still at
    /// revision `expected`; otherwise deletes nothing and fails with `StoreError::Conflict`.
    /// The default ignores the version.
    fn remove_if(&self, user: &UserKey, expected: Version) -> Result<(bool, Commit), StoreError> {
        let _ = expected;
        self.remove(user)
    }
    /// Records that the delivery `id` (a chat platform's update id, e.g. `telegram:123`) is
    /// being handled, at `now` (seconds since the Unix epoch): true the first time, false when
    /// it was recorded before, by this process or another sharing the store, so that a
    /// delivery repeated (a webhook retried through another instance) is handled once.
    /// Deliveries are remembered for at least a day. The default remembers nothing (every
    /// delivery is a first).
    fn first_delivery(&self, id: &str, now: u64) -> Result<bool, StoreError> {
        let _ = (id, now);
        Ok(true)
    }
    /// How many users have state stored (for monitoring; may scan the store).
    fn user_count(&self) -> Result<usize, StoreError>;
    /// Records a question the bot could not answer well (text only, never who asked). The same
    /// question (`Unanswered::key`) is counted into one record (`Unanswered::merge`); at most
    /// `MAX_UNANSWERED` records are kept, the least recently asked making room. Need not be
    /// durable at once: losing the last few on a crash is acceptable.
    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError>;
    /// Every recorded unanswered question, in no particular order.
    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError>;
    /// Deletes the unanswered questions last asked before `before` (seconds since the Unix
    /// epoch), as the retention period requires; returns how many were deleted.
    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError>;
}

/// A store in memory, for tests and for running without a disk.
#[derive(Debug, Default)]
pub struct MemoryStore {
    states: Mutex<HashMap<UserKey, (UserState, Version)>>,
    unanswered: Mutex<HashMap<String, Unanswered>>,
    deliveries: Mutex<HashMap<String, u64>>,
}

/// How long a delivery id is remembered, in seconds.
pub const DELIVERY_MEMORY: u64 = 86_400;

impl MemoryStore {
    fn states(&self) -> std::sync::MutexGuard<'_, HashMap<UserKey, (UserState, Version)>> {
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn questions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Unanswered>> {
        self.unanswered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl StateStore for MemoryStore {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        Ok(self.states().get(user).map(|(state, _)| state.clone()))
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        let mut states = self.states();
        let version = states.get(user).map_or(Version::ABSENT, |(_, v)| *v);
        states.insert(user.clone(), (state.clone(), version.next()));
        Ok(())
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        Ok(self.states().remove(user).is_some())
    }

    fn load_versioned(&self, user: &UserKey) -> Result<(Option<UserState>, Version), StoreError> {
        Ok(match self.states().get(user) {
            Some((state, version)) => (Some(state.clone()), *version),
            None => (None, Version::ABSENT),
        })
    }

    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: Version,
    ) -> Result<Commit, StoreError> {
        let mut states = self.states();
        let current = states.get(user).map_or(Version::ABSENT, |(_, v)| *v);
        if expected != Version::ANY && current != expected {
            return Err(StoreError::Conflict);
        }
        states.insert(user.clone(), (state.clone(), current.next()));
        Ok(Commit::DURABLE)
    }

    fn remove_if(&self, user: &UserKey, expected: Version) -> Result<(bool, Commit), StoreError> {
        let mut states = self.states();
        let current = states.get(user).map_or(Version::ABSENT, |(_, v)| *v);
        if expected != Version::ANY && current != expected {
            return Err(StoreError::Conflict);
        }
        Ok((states.remove(user).is_some(), Commit::DURABLE))
    }

    fn first_delivery(&self, id: &str, now: u64) -> Result<bool, StoreError> {
        let mut deliveries = self
            .deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        deliveries.retain(|_, at| now < *at + DELIVERY_MEMORY);
        Ok(deliveries.insert(id.to_owned(), now).is_none())
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        let mut states = self.states();
        let count = states.len();
        states.retain(|_, (state, _)| state.updated_at >= before);
        Ok(count - states.len())
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        Ok(self.states().len())
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        let mut questions = self.questions();
        let key = question.key();
        if let Some(known) = questions.get_mut(&key) {
            known.merge(question);
            return Ok(());
        }
        if questions.len() >= MAX_UNANSWERED {
            let oldest = questions
                .iter()
                .min_by_key(|(_, q)| q.last_seen)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                questions.remove(&oldest);
            }
        }
        questions.insert(key, question.clone());
        Ok(())
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        Ok(self.questions().values().cloned().collect())
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        let mut questions = self.questions();
        let count = questions.len();
        questions.retain(|_, question| question.last_seen >= before);
        Ok(count - questions.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_a_bounded_number_of_turns() {
        let mut state = UserState::default();
        for i in 0..25 {
            state.remember(&format!("message {i} {}", "x".repeat(500)), None, false);
        }
        assert_eq!(state.turns.len(), MAX_TURNS);
        assert!(state.turns[0].text.starts_with("message 15 "));
        assert_eq!(state.turns[0].text.chars().count(), MAX_TURN_TEXT);
        assert_eq!(state.turn_count, 25);
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        let key = UserKey::new("cli", "alice");
        assert_eq!(store.load(&key).expect("load"), None);
        let state = UserState {
            topic: Some("apply.nhs-jobs".into()),
            ..UserState::default()
        };
        store.save(&key, &state).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(state));
        assert!(store.delete(&key).expect("delete"));
        assert!(!store.delete(&key).expect("delete again"));
    }

    #[test]
    fn purge_forgets_only_users_inactive_before_the_cutoff() {
        let store = MemoryStore::default();
        let at = |updated_at| UserState {
            updated_at,
            ..UserState::default()
        };
        let (old, recent) = (UserKey::new("cli", "old"), UserKey::new("cli", "recent"));
        store.save(&old, &at(1_000)).expect("save");
        store.save(&recent, &at(5_000)).expect("save");
        assert_eq!(store.purge(2_000).expect("purge"), 1);
        assert_eq!(store.load(&old).expect("load"), None);
        assert!(store.load(&recent).expect("load").is_some());
    }
    // Counting, capping and expiring unanswered questions: `store::suite::unanswered`, run on
    // MemoryStore in crates/store/tests/suite.rs.
}
