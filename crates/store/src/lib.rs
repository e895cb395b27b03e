//! Per-user state in sled: the only crate that touches the database.
//!
//! Each user's state is one record keyed by its channel-qualified id (`telegram:456`), holding a
//! schema version and the state as JSON. `save` flushes before it returns, so a reply is never
//! sent for a turn whose state could still be lost; concurrent savers share flushes (sled writes
//! everything buffered on each flush), which groups commits across users. A record that cannot
//! be read is reported with a warning and treated as absent: that user starts afresh, everyone
//! else is untouched.
//!
//! Unanswered questions (text only, no user) live in a tree of their own, keyed by
//! `Unanswered::key`, at most `MAX_UNANSWERED` of them; they are not flushed at once.

use std::path::Path;

use engine::{MAX_UNANSWERED, StateStore, StoreError, Unanswered, UserKey, UserState};
use serde::{Deserialize, Serialize};

/// The version of the record layout written by this build.
pub const SCHEMA_VERSION: u32 = 1;

const STATES: &str = "states";
const UNANSWERED: &str = "unanswered";

/// A sled-backed state store.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    states: sled::Tree,
    unanswered: sled::Tree,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("users", &self.states.len())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    state: UserState,
}

/// How a stored record was read.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// No record.
    Missing,
    /// A record of this schema version.
    Found(Box<UserState>),
    /// A record that could not be read, and why.
    Corrupt(String),
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. Fails when another process holds it.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| storage(&e))?;
        let states = db.open_tree(STATES).map_err(|e| storage(&e))?;
        let unanswered = db.open_tree(UNANSWERED).map_err(|e| storage(&e))?;
        Ok(SledStore {
            db,
            states,
            unanswered,
        })
    }

    /// Reads a user's record, telling a missing record from a corrupt one.
    pub fn read(&self, user: &UserKey) -> Result<Read, StoreError> {
        let Some(bytes) = self.states.get(user.as_str()).map_err(|e| storage(&e))? else {
            return Ok(Read::Missing);
        };
        Ok(decode(&bytes))
    }

    /// Every user key in the store.
    pub fn users(&self) -> Result<Vec<String>, StoreError> {
        self.states
            .iter()
            .keys()
            .map(|k| {
                k.map(|k| String::from_utf8_lossy(&k).into_owned())
                    .map_err(|e| storage(&e))
            })
            .collect()
    }

    /// Writes raw bytes for a user, bypassing encoding (for tests of corrupt records).
    #[doc(hidden)]
    pub fn put_raw(&self, user: &UserKey, bytes: &[u8]) -> Result<(), StoreError> {
        self.states
            .insert(user.as_str(), bytes)
            .map_err(|e| storage(&e))?;
        self.flush()
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| storage(&e))
    }
}

impl StateStore for SledStore {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        match self.read(user)? {
            Read::Missing => Ok(None),
            Read::Found(state) => Ok(Some(*state)),
            Read::Corrupt(reason) => {
                tracing::warn!(user = %user, %reason, "unreadable state record; starting this user afresh");
                Ok(None)
            }
        }
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        let record = Record {
            version: SCHEMA_VERSION,
            state: state.clone(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Storage(e.to_string()))?;
        self.states
            .insert(user.as_str(), bytes)
            .map_err(|e| storage(&e))?;
        self.flush()
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        let removed = self.states.remove(user.as_str()).map_err(|e| storage(&e))?;
        self.flush()?;
        Ok(removed.is_some())
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        let mut purged = 0;
        for item in self.states.iter() {
            let (key, bytes) = item.map_err(|e| storage(&e))?;
            // Unreadable records are left alone: they reset when their user next writes.
            if let Read::Found(state) = decode(&bytes)
                && state.updated_at < before
            {
                // Only if unchanged since it was read, so a turn taken meanwhile is kept.
                let swapped = self
                    .states
                    .compare_and_swap(&key, Some(bytes), None::<&[u8]>)
                    .map_err(|e| storage(&e))?;
                purged += usize::from(swapped.is_ok());
            }
        }
        if purged > 0 {
            self.flush()?;
        }
        Ok(purged)
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        Ok(self.states.len())
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        let key = question.key();
        let mut added = false;
        // Atomic per key, so two turns asking the same question at once both count.
        self.unanswered
            .update_and_fetch(key.as_bytes(), |old| {
                let mut merged =
                    match old.and_then(|b| serde_json::from_slice::<Unanswered>(b).ok()) {
                        Some(known) => known,
                        None => {
                            added = true;
                            return serde_json::to_vec(question).ok();
                        }
                    };
                added = false;
                merged.merge(question);
                serde_json::to_vec(&merged).ok()
            })
            .map_err(|e| storage(&e))?;
        if added && self.unanswered.len() > MAX_UNANSWERED {
            self.evict_oldest_unanswered()?;
        }
        Ok(())
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        let mut questions = Vec::new();
        for item in self.unanswered.iter() {
            let (_, bytes) = item.map_err(|e| storage(&e))?;
            match serde_json::from_slice(&bytes) {
                Ok(question) => questions.push(question),
                Err(error) => tracing::warn!("unreadable unanswered question skipped: {error}"),
            }
        }
        Ok(questions)
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        let mut purged = 0;
        for item in self.unanswered.iter() {
            let (key, bytes) = item.map_err(|e| storage(&e))?;
            let expired = serde_json::from_slice::<Unanswered>(&bytes)
                .map_or(true, |question| question.last_seen < before);
            if expired {
                let swapped = self
                    .unanswered
                    .compare_and_swap(&key, Some(bytes), None::<&[u8]>)
                    .map_err(|e| storage(&e))?;
                purged += usize::from(swapped.is_ok());
            }
        }
        if purged > 0 {
            self.flush()?;
        }
        Ok(purged)
    }
}

impl SledStore {
    /// Removes the least recently asked unanswered question.
    fn evict_oldest_unanswered(&self) -> Result<(), StoreError> {
        let mut oldest: Option<(sled::IVec, u64)> = None;
        for item in self.unanswered.iter() {
            let (key, bytes) = item.map_err(|e| storage(&e))?;
            let seen = serde_json::from_slice::<Unanswered>(&bytes).map_or(0, |q| q.last_seen);
            if oldest.as_ref().is_none_or(|(_, at)| seen < *at) {
                oldest = Some((key, seen));
            }
        }
        if let Some((key, _)) = oldest {
            self.unanswered.remove(key).map_err(|e| storage(&e))?;
        }
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Read {
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    match serde_json::from_slice::<Version>(bytes) {
        Ok(Version {
            version: SCHEMA_VERSION,
        }) => {}
        Ok(Version { version }) => {
            return Read::Corrupt(format!(
                "schema version {version}, expected {SCHEMA_VERSION}"
            ));
        }
        Err(e) => return Read::Corrupt(e.to_string()),
    }
    match serde_json::from_slice::<Record>(bytes) {
        Ok(record) => Read::Found(Box::new(record.state)),
        Err(e) => Read::Corrupt(e.to_string()),
    }
}

fn storage(error: &sled::Error) -> StoreError {
    StoreError::Storage(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> UserState {
        UserState {
            topic: Some("apply.nhs-jobs".to_owned()),
            turn_count: 3,
            ..UserState::default()
        }
    }

    #[test]
    fn round_trip_survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let alice = UserKey::new("cli", "alice");
        {
            let store = SledStore::open(dir.path()).expect("open");
            assert_eq!(store.load(&alice).expect("load"), None);
            store.save(&alice, &state()).expect("save");
        }
        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.load(&alice).expect("load"), Some(state()));
        assert_eq!(store.users().expect("users"), ["cli:alice"]);
        assert!(store.delete(&alice).expect("delete"));
        assert_eq!(store.load(&alice).expect("load"), None);
    }

    #[test]
    fn records_carry_the_schema_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(dir.path()).expect("open");
        let bob = UserKey::new("telegram", "42");
        store.save(&bob, &state()).expect("save");
        let raw = store
            .states
            .get("telegram:42")
            .expect("get")
            .expect("present");
        let json: serde_json::Value = serde_json::from_slice(&raw).expect("json");
        assert_eq!(json["version"], SCHEMA_VERSION);
        let future = serde_json::json!({"version": SCHEMA_VERSION + 1, "state": {}});
        store
            .put_raw(&bob, future.to_string().as_bytes())
            .expect("put");
        assert!(
            matches!(store.read(&bob).expect("read"), Read::Corrupt(r) if r.contains("schema version"))
        );
    }

    #[test]
    fn corrupt_record_resets_only_that_user() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(dir.path()).expect("open");
        let (good, bad) = (UserKey::new("discord", "1"), UserKey::new("discord", "2"));
        store.save(&good, &state()).expect("save");
        for garbage in [
            &b"\xff\x00binary"[..],
            b"{\"version\":1,\"state\":{\"turn_count\":\"x\"}}",
            b"",
        ] {
            store.put_raw(&bad, garbage).expect("put");
            assert!(matches!(store.read(&bad).expect("read"), Read::Corrupt(_)));
            assert_eq!(store.load(&bad).expect("load"), None);
            assert_eq!(store.load(&good).expect("load"), Some(state()));
        }
        store
            .save(&bad, &state())
            .expect("the reset user can be saved again");
        assert_eq!(store.load(&bad).expect("load"), Some(state()));
    }

    #[test]
    fn purge_deletes_inactive_users_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (old, recent, corrupt) = (
            UserKey::new("cli", "old"),
            UserKey::new("cli", "recent"),
            UserKey::new("cli", "corrupt"),
        );
        {
            let store = SledStore::open(dir.path()).expect("open");
            let at = |updated_at| UserState {
                updated_at,
                ..state()
            };
            store.save(&old, &at(100)).expect("save");
            store.save(&recent, &at(900)).expect("save");
            store.put_raw(&corrupt, b"not json").expect("put");
            assert_eq!(store.purge(500).expect("purge"), 1);
            assert_eq!(store.purge(500).expect("purge again"), 0);
        }
        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.users().expect("users"), ["cli:corrupt", "cli:recent"]);
        assert_eq!(store.load(&old).expect("load"), None);
        assert_eq!(store.user_count().expect("count"), 2);
    }

    #[test]
    fn unanswered_questions_are_counted_capped_expired_and_kept_apart_from_users() {
        let dir = tempfile::tempdir().expect("temp dir");
        let asked = |text: &str, at| Unanswered::new(text, engine::Reason::Fallback, None, at);
        {
            let store = SledStore::open(dir.path()).expect("open");
            store
                .record_unanswered(&asked("Whats the weather", 10))
                .expect("record");
            store
                .record_unanswered(&asked("whats  the weather", 20))
                .expect("record");
            store
                .record_unanswered(&asked("can u book me a haircut", 30))
                .expect("record");
            store.flush().expect("flush");
        }
        let store = SledStore::open(dir.path()).expect("reopen");
        let mut all = store.unanswered().expect("list");
        all.sort_by_key(|q| q.first_seen);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].count, all[0].first_seen, all[0].last_seen),
            (2, 10, 20)
        );
        assert_eq!(
            store.user_count().expect("count"),
            0,
            "questions are not users"
        );
        assert!(store.users().expect("users").is_empty());
        for n in 0..MAX_UNANSWERED as u64 {
            store
                .record_unanswered(&asked(&format!("question {n}"), 100 + n))
                .expect("record");
        }
        let all = store.unanswered().expect("list");
        assert_eq!(all.len(), MAX_UNANSWERED);
        assert!(
            all.iter().all(|q| q.first_seen >= 100),
            "the oldest made room"
        );
        assert_eq!(store.purge_unanswered(105).expect("purge"), 5);
        assert_eq!(store.unanswered().expect("list").len(), MAX_UNANSWERED - 5);
    }
}
