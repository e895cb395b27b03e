//! Per-user state in sled: the only crate that touches the database.
//!
//! Each user's state is one record keyed by its channel-qualified id (`telegram:456`), holding a
//! schema version and the state as JSON. A write is durable once a flush that started after it
//! has finished; `save` waits for that before it returns, so a reply is never sent for a turn
//! whose state could still be lost. Flushes are shared (group commit): while one flush runs,
//! the writers that come meanwhile wait, and the next flush, started by one of them, makes all
//! their writes durable at once. A record that cannot be read is reported with a warning and
//! treated as absent: that user starts afresh, everyone else is untouched.
//!
//! Unanswered questions (text only, no user) live in a tree of their own, keyed by
//! `Unanswered::key`, at most `MAX_UNANSWERED` of them; they are not flushed at once.
//!
//! Each record carries a revision (`rev`), raised by every write, so that a conditional write
//! (`StateStore::write_if`) can refuse to apply a turn taken on a state that has changed since
//! (a compare-and-swap on the record). sled is one process's database; `RedisStore` is the
//! same trait on Redis, shared by several processes, and `AnyStore` is either, as configured.
//! `suite` is the test suite every store passes.

mod any;
mod redis_store;
pub mod suite;

pub use any::{AnyStore, StoreUrl};
pub use redis_store::{DEFAULT_PREFIX, RedisOptions, RedisStore};

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use engine::{
    Commit, DELIVERY_MEMORY, MAX_UNANSWERED, StateStore, StoreError, Unanswered, UserKey,
    UserState, Version,
};
use serde::{Deserialize, Serialize};

/// The version of the record layout written by this build.
pub const SCHEMA_VERSION: u32 = 1;

const STATES: &str = "states";
const UNANSWERED: &str = "unanswered";
const DELIVERIES: &str = "deliveries";
/// Deliveries are swept of those older than `DELIVERY_MEMORY` when there are more than this.
const DELIVERIES_SWEEP_AT: usize = 10_000;
/// How much of the database sled keeps in memory, in bytes (sled's default is 1 GiB). The
/// operating system's page cache holds the rest: 16 MiB was no faster in `careerbot bench`,
/// and serving 10,000 users took 7 MB more.
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// How long opening waits for the lock on the database file that a store just closed in this
/// process may still hold: sled's flusher thread lets go of it a moment after the last handle is
/// dropped. Another process holding it is reported once this has passed.
const LOCK_WAIT: Duration = Duration::from_secs(2);
const LOCK_RETRY: Duration = Duration::from_millis(20);

/// How long a flush may run before the store's watchdog flushes beside it. sled 0.34 can miss
/// waking a flush whose write failed (a full disk: the write that fails may be one a background
/// thread started, which records the error without waking anyone), and then the flush waits for
/// ever; a second flush sees the recorded error and wakes the first, which returns it.
const NUDGE_AFTER: Duration = Duration::from_millis(500);

/// Opens sled's database in `dir`, waiting up to `LOCK_WAIT` for its file lock.
fn open_db(dir: &Path) -> sled::Result<sled::Db> {
    let started = Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open();
        match opened {
            // sled words it "could not acquire lock" (its kind is lost).
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(LOCK_RETRY);
            }
            other => return other,
        }
    }
}

/// A sled-backed state store. Clones share the database.
#[derive(Clone)]
pub struct SledStore {
    db: Arc<sled::Db>,
    states: sled::Tree,
    unanswered: sled::Tree,
    deliveries: sled::Tree,
    flushes: Arc<Flushes>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("users", &self.states.len())
            .finish()
    }
}

/// The group commit: which flushes have started and finished.
#[derive(Debug, Default)]
struct Flushes {
    progress: Mutex<Progress>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct Progress {
    /// The number of the latest flush started (flushes are numbered from 1).
    started: u64,
    /// The latest flush that finished, and the latest that succeeded.
    finished: u64,
    durable: u64,
    /// When the flush under way began, if one is.
    running: Option<Instant>,
    /// Why the latest failed flush failed.
    error: Option<String>,
    /// Writes so far (for statistics).
    writes: u64,
}

/// Counts of writes and flushes since the store was opened: many writes per flush means commits
/// were grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Records written or removed.
    pub writes: u64,
    /// Flushes to disk.
    pub flushes: u64,
}

/// A stored record: the schema version, the revision (sled's records carry it; Redis keeps it
/// beside the record) and the state.
#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rev: Option<u64>,
    state: UserState,
}

/// The record as written, borrowing the state.
#[derive(Serialize)]
struct RecordRef<'a> {
    version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rev: Option<u64>,
    state: &'a UserState,
}

/// A record's bytes: the state of this schema with the revision `rev`, if any.
fn encode(state: &UserState, rev: Option<u64>) -> Result<Vec<u8>, StoreError> {
    let record = RecordRef {
        version: SCHEMA_VERSION,
        rev,
        state,
    };
    serde_json::to_vec(&record).map_err(|e| StoreError::Storage(e.to_string()))
}

/// The revision of a sled record: `ABSENT` for none, `UNREADABLE` when it cannot be read as
/// this schema's record (a record written before revisions were kept is revision 1).
fn revision(bytes: Option<&[u8]>) -> Version {
    #[derive(Deserialize)]
    struct Head {
        version: u32,
        #[serde(default)]
        rev: Option<u64>,
    }
    let Some(bytes) = bytes else {
        return Version::ABSENT;
    };
    // The usual case without parsing the state: the record as `encode` writes it begins with
    // the schema version and the revision.
    if let Some(rev) = leading_revision(bytes) {
        return Version::new(rev);
    }
    match serde_json::from_slice::<Head>(bytes) {
        Ok(Head {
            version: SCHEMA_VERSION,
            rev,
        }) => Version::new(rev.unwrap_or(1).clamp(1, Version::UNREADABLE.number() - 1)),
        _ => Version::UNREADABLE,
    }
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
    /// Opens (or creates) the store in `dir`. Fails when another process holds it, or when the
    /// directory cannot be created or written.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let db = open_db(dir).map_err(|e| storage("opening the database", &e))?;
        let states = db
            .open_tree(STATES)
            .map_err(|e| storage("opening the database", &e))?;
        let unanswered = db
            .open_tree(UNANSWERED)
            .map_err(|e| storage("opening the database", &e))?;
        let deliveries = db
            .open_tree(DELIVERIES)
            .map_err(|e| storage("opening the database", &e))?;
        let db = Arc::new(db);
        let flushes = Arc::<Flushes>::default();
        spawn_watchdog(Arc::downgrade(&db), Arc::clone(&flushes))
            .map_err(|e| StoreError::Storage(format!("starting the flush watchdog: {e}")))?;
        Ok(SledStore {
            db,
            states,
            unanswered,
            deliveries,
            flushes,
        })
    }

    /// Reads a user's record, telling a missing record from a corrupt one.
    pub fn read(&self, user: &UserKey) -> Result<Read, StoreError> {
        let Some(bytes) = self
            .states
            .get(user.as_str())
            .map_err(|e| storage("reading", &e))?
        else {
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
                    .map_err(|e| storage("reading", &e))
            })
            .collect()
    }

    /// Writes raw bytes for a user, bypassing encoding (for tests of corrupt records).
    #[doc(hidden)]
    pub fn put_raw(&self, user: &UserKey, bytes: &[u8]) -> Result<(), StoreError> {
        self.states
            .insert(user.as_str(), bytes)
            .map_err(|e| storage("writing", &e))?;
        self.flush()
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        let commit = self.commit_point(false);
        self.sync(commit)
    }

    /// Writes and flushes since the store was opened (shared by clones).
    pub fn stats(&self) -> Stats {
        let progress = self.progress();
        Stats {
            writes: progress.writes,
            flushes: progress.started,
        }
    }

    /// The commit that covers every write made so far: any flush started after this call.
    fn commit_point(&self, wrote: bool) -> Commit {
        let mut progress = self.progress();
        progress.writes += u64::from(wrote);
        Commit::new(progress.started + 1)
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.flushes
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Watches the store's flushes until the store is closed (`db` gone): a flush that has run for
/// `NUDGE_AFTER` gets a second flush beside it (see `NUDGE_AFTER`). Holding `db` only weakly, it
/// never keeps a closed store's files open.
fn spawn_watchdog(db: Weak<sled::Db>, flushes: Arc<Flushes>) -> std::io::Result<()> {
    let watch = move || {
        while db.strong_count() > 0 {
            std::thread::sleep(NUDGE_AFTER);
            let stuck = flushes
                .progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .running
                .is_some_and(|began| began.elapsed() >= NUDGE_AFTER);
            if let (true, Some(db)) = (stuck, db.upgrade())
                && let Err(error) = db.flush()
            {
                tracing::warn!(%error, "a flush has failed");
            }
        }
    };
    std::thread::Builder::new()
        .name("store-watchdog".to_owned())
        .spawn(watch)
        .map(drop)
}

/// Marks the flush under way as finished, even if flushing panicked, so that no writer waits
/// for ever.
struct Flushing<'a> {
    store: &'a SledStore,
    number: u64,
    result: Option<Result<(), String>>,
}

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        let mut progress = self.store.progress();
        progress.running = None;
        progress.finished = progress.finished.max(self.number);
        match self.result.take() {
            Some(Ok(())) => progress.durable = progress.durable.max(self.number),
            Some(Err(error)) => progress.error = Some(error),
            None => progress.error = Some("flushing failed unexpectedly".to_owned()),
        }
        drop(progress);
        self.store.flushes.finished.notify_all();
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
        let commit = self.write(user, state)?;
        self.sync(commit)
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        let (removed, commit) = self.remove(user)?;
        self.sync(commit)?;
        Ok(removed)
    }

    fn write(&self, user: &UserKey, state: &UserState) -> Result<Commit, StoreError> {
        self.write_if(user, state, Version::ANY)
    }

    fn remove(&self, user: &UserKey) -> Result<(bool, Commit), StoreError> {
        self.remove_if(user, Version::ANY)
    }

    fn load_versioned(&self, user: &UserKey) -> Result<(Option<UserState>, Version), StoreError> {
        let bytes = self
            .states
            .get(user.as_str())
            .map_err(|e| storage("reading", &e))?;
        let Some(bytes) = bytes else {
            return Ok((None, Version::ABSENT));
        };
        match decode_record(&bytes) {
            Ok(record) => Ok((Some(record.state), Version::new(record.rev.unwrap_or(1)))),
            Err(reason) => {
                tracing::warn!(user = %user, %reason, "unreadable state record; starting this user afresh");
                Ok((None, revision(Some(&bytes))))
            }
        }
    }

    /// A compare-and-swap on the record: read it, check its revision, swap it for the new one
    /// if it is still the record read (or read again if it changed in between).
    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: Version,
    ) -> Result<Commit, StoreError> {
        let key = user.as_str();
        let mut current = self.states.get(key).map_err(|e| storage("reading", &e))?;
        loop {
            let at = revision(current.as_deref());
            if expected != Version::ANY && at != expected {
                return Err(StoreError::Conflict);
            }
            let bytes = encode(state, Some(at.next().number()))?;
            match self
                .states
                .compare_and_swap(key, current, Some(bytes))
                .map_err(|e| storage("writing", &e))?
            {
                Ok(()) => return Ok(self.commit_point(true)),
                Err(changed) => current = changed.current,
            }
        }
    }

    fn remove_if(&self, user: &UserKey, expected: Version) -> Result<(bool, Commit), StoreError> {
        let key = user.as_str();
        let mut current = self.states.get(key).map_err(|e| storage("reading", &e))?;
        loop {
            let at = revision(current.as_deref());
            if expected != Version::ANY && at != expected {
                return Err(StoreError::Conflict);
            }
            let Some(present) = current else {
                return Ok((false, self.commit_point(false)));
            };
            match self
                .states
                .compare_and_swap(key, Some(present), None::<&[u8]>)
                .map_err(|e| storage("deleting", &e))?
            {
                Ok(()) => return Ok((true, self.commit_point(true))),
                Err(changed) => current = changed.current,
            }
        }
    }

    fn first_delivery(&self, id: &str, now: u64) -> Result<bool, StoreError> {
        let stamp = now.to_be_bytes();
        let mut current = None;
        loop {
            // A delivery older than `DELIVERY_MEMORY` is forgotten: its id counts as new.
            let fresh = current
                .as_deref()
                .is_some_and(|at: &[u8]| now < seconds(at).saturating_add(DELIVERY_MEMORY));
            if fresh {
                return Ok(false);
            }
            match self
                .deliveries
                .compare_and_swap(id, current, Some(&stamp[..]))
                .map_err(|e| storage("writing", &e))?
            {
                Ok(()) => break,
                Err(changed) => current = changed.current,
            }
        }
        if self.deliveries.len() > DELIVERIES_SWEEP_AT {
            for item in self.deliveries.iter() {
                let (key, at) = item.map_err(|e| storage("reading", &e))?;
                if seconds(&at).saturating_add(DELIVERY_MEMORY) <= now {
                    self.deliveries
                        .compare_and_swap(key, Some(at), None::<&[u8]>)
                        .map_err(|e| storage("deleting", &e))?
                        .ok();
                }
            }
        }
        Ok(true)
    }

    /// Waits until a flush that started after `commit` was made has finished. When no flush is
    /// under way, the caller flushes, for itself and for every writer that came meanwhile.
    fn sync(&self, commit: Commit) -> Result<(), StoreError> {
        let wanted = commit.sequence();
        let mut progress = self.progress();
        loop {
            if progress.durable >= wanted {
                return Ok(());
            }
            if progress.finished >= wanted {
                let error = progress.error.clone().unwrap_or_default();
                return Err(StoreError::Storage(format!("flushing to disk: {error}")));
            }
            if progress.running.is_some() {
                progress = self
                    .flushes
                    .finished
                    .wait(progress)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            progress.running = Some(Instant::now());
            progress.started += 1;
            let mut flushing = Flushing {
                store: self,
                number: progress.started,
                result: None,
            };
            drop(progress);
            let flushed = self.db.flush().map(drop).map_err(|e| e.to_string());
            flushing.result = Some(flushed);
            drop(flushing);
            progress = self.progress();
        }
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        let mut purged = 0;
        for item in self.states.iter() {
            let (key, bytes) = item.map_err(|e| storage("reading", &e))?;
            // Unreadable records are left alone: they reset when their user next writes.
            if let Read::Found(state) = decode(&bytes)
                && state.updated_at < before
            {
                // Only if unchanged since it was read, so a turn taken meanwhile is kept.
                let swapped = self
                    .states
                    .compare_and_swap(&key, Some(bytes), None::<&[u8]>)
                    .map_err(|e| storage("deleting", &e))?;
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
            .map_err(|e| storage("writing", &e))?;
        if added && self.unanswered.len() > MAX_UNANSWERED {
            self.evict_oldest_unanswered()?;
        }
        Ok(())
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        let mut questions = Vec::new();
        for item in self.unanswered.iter() {
            let (_, bytes) = item.map_err(|e| storage("reading", &e))?;
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
            let (key, bytes) = item.map_err(|e| storage("reading", &e))?;
            let expired = serde_json::from_slice::<Unanswered>(&bytes)
                .map_or(true, |question| question.last_seen < before);
            if expired {
                let swapped = self
                    .unanswered
                    .compare_and_swap(&key, Some(bytes), None::<&[u8]>)
                    .map_err(|e| storage("deleting", &e))?;
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
            let (key, bytes) = item.map_err(|e| storage("reading", &e))?;
            let seen = serde_json::from_slice::<Unanswered>(&bytes).map_or(0, |q| q.last_seen);
            if oldest.as_ref().is_none_or(|(_, at)| seen < *at) {
                oldest = Some((key, seen));
            }
        }
        if let Some((key, _)) = oldest {
            self.unanswered
                .remove(key)
                .map_err(|e| storage("deleting", &e))?;
        }
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Read {
    match decode_record(bytes) {
        Ok(record) => Read::Found(Box::new(record.state)),
        Err(reason) => Read::Corrupt(reason),
    }
}

/// A record of this schema, or why the bytes are not one.
fn decode_record(bytes: &[u8]) -> Result<Record, String> {
    #[derive(Deserialize)]
    struct Schema {
        version: u32,
    }
    let error = match serde_json::from_slice::<Record>(bytes) {
        Ok(record) if record.version == SCHEMA_VERSION => return Ok(record),
        Ok(record) => {
            return Err(format!(
                "schema version {}, expected {SCHEMA_VERSION}",
                record.version
            ));
        }
        Err(error) => error,
    };
    // A record of another schema may not parse as this one's: say which version it is.
    match serde_json::from_slice::<Schema>(bytes) {
        Ok(Schema { version }) if version != SCHEMA_VERSION => Err(format!(
            "schema version {version}, expected {SCHEMA_VERSION}"
        )),
        _ => Err(error.to_string()),
    }
}

/// The revision of a record that begins as `encode` writes it, `{"version":1,"rev":N,`, read
/// from its first bytes; `None` for anything else (then the record is parsed).
fn leading_revision(bytes: &[u8]) -> Option<u64> {
    let head = format!("{{\"version\":{SCHEMA_VERSION},\"rev\":");
    let rest = bytes.strip_prefix(head.as_bytes())?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 18 || rest.get(digits) != Some(&b',') {
        return None;
    }
    let rev: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    (rev > 0).then_some(rev)
}

/// Seconds since the epoch from 8 big-endian bytes (0 when malformed).
fn seconds(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_be_bytes)
}

fn storage(doing: &str, error: &sled::Error) -> StoreError {
    StoreError::Storage(format!("{doing}: {error}"))
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
    fn the_revision_is_read_from_the_head_of_a_record_or_parsed() {
        let state = state();
        let bytes = encode(&state, Some(42)).expect("encode");
        assert_eq!(leading_revision(&bytes), Some(42));
        assert_eq!(revision(Some(&bytes)), Version::new(42));
        let spaced = br#"{ "version": 1, "rev": 7, "state": {} }"#;
        assert_eq!(leading_revision(spaced), None);
        assert_eq!(revision(Some(spaced)), Version::new(7));
        let old = br#"{"version":1,"state":{}}"#;
        assert_eq!(revision(Some(old)), Version::new(1), "before revisions: 1");
        assert_eq!(
            revision(Some(br#"{"version":2,"rev":3,"state":{}}"#)),
            Version::UNREADABLE
        );
        assert_eq!(revision(Some(b"junk")), Version::UNREADABLE);
        assert_eq!(revision(None), Version::ABSENT);
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
    fn unanswered_questions_survive_a_reopen_and_are_kept_apart_from_users() {
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
        // Capping and purging: `suite::unanswered`, run on sled in tests/suite.rs.
    }

    #[test]
    fn one_flush_makes_every_write_before_it_durable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let users: Vec<UserKey> = (0..100)
            .map(|n| UserKey::new("cli", &n.to_string()))
            .collect();
        {
            let store = SledStore::open(dir.path()).expect("open");
            let commits: Vec<Commit> = users
                .iter()
                .map(|user| store.write(user, &state()).expect("write"))
                .collect();
            assert!(commits.windows(2).all(|w| w[0] <= w[1]));
            let last = commits.last().copied().expect("commits");
            store.sync(last).expect("sync");
            for commit in commits {
                store.sync(commit).expect("already durable");
            }
            assert_eq!(
                store.stats(),
                Stats {
                    writes: 100,
                    flushes: 1
                }
            );
            store.sync(Commit::DURABLE).expect("nothing to wait for");
            assert_eq!(store.stats().flushes, 1);
        }
        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.users().expect("users").len(), users.len());
    }

    #[test]
    fn concurrent_savers_share_flushes_and_every_save_is_durable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (threads, saves) = (8, 40);
        {
            let store = SledStore::open(dir.path()).expect("open");
            std::thread::scope(|scope| {
                for thread in 0..threads {
                    let store = store.clone();
                    scope.spawn(move || {
                        for n in 0..saves {
                            let user = UserKey::new("cli", &format!("{thread}-{n}"));
                            let state = UserState {
                                turn_count: n,
                                ..state()
                            };
                            store.save(&user, &state).expect("save");
                        }
                    });
                }
            });
            let stats = store.stats();
            assert_eq!(stats.writes, threads * saves);
            assert!(stats.flushes <= stats.writes, "{stats:?}");
        }
        let store = SledStore::open(dir.path()).expect("reopen");
        for thread in 0..threads {
            for n in 0..saves {
                let user = UserKey::new("cli", &format!("{thread}-{n}"));
                let loaded = store.load(&user).expect("load").expect("saved");
                assert_eq!(loaded.turn_count, n);
            }
        }
    }

    #[test]
    fn a_data_path_that_is_not_a_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("data");
        std::fs::write(&file, "not a directory").expect("write");
        let error = SledStore::open(&file).expect_err("a file is not a store");
        assert!(
            error.to_string().contains("opening the database"),
            "{error}"
        );
        let inside = file.join("inside");
        let error = SledStore::open(&inside).expect_err("cannot create a directory in a file");
        assert!(
            error.to_string().contains("state storage failed"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_directory_is_a_clear_error() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        // A privileged user (root in a container) writes anyway: nothing to test there.
        if std::fs::write(data.join("probe"), "x").is_ok() {
            return;
        }
        let error = SledStore::open(&data).expect_err("read-only");
        assert!(error.to_string().contains("ermission denied"), "{error}");
    }

    /// A full disk: sled's file is `/dev/full`, where every write fails with ENOSPC.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_fails_the_save_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink("/dev/full", dir.path().join("db")).expect("symlink");
        // Opening may already write (and fail); then the error says why.
        let store = match SledStore::open(dir.path()) {
            Ok(store) => store,
            Err(error) => {
                assert!(
                    error.to_string().contains("No space left on device"),
                    "{error}"
                );
                return;
            }
        };
        let alice = UserKey::new("cli", "alice");
        let error = store.save(&alice, &state()).expect_err("the disk is full");
        assert!(
            error.to_string().contains("No space left on device"),
            "{error}"
        );
        let error = store.flush().expect_err("still full");
        assert!(error.to_string().contains("flushing to disk"), "{error}");
    }
}
