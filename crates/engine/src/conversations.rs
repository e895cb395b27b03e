//! Conversations: the engine with a state store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use crate::{Engine, Input, Reply, StateStore, StoreError, Unanswered, UserKey, UserState};

/// At most this many messages from one user are answered within `FLOOD_WINDOW` seconds.
const FLOOD_LIMIT: usize = 8;
/// The window of the flood control, in seconds.
const FLOOD_WINDOW: u64 = 10;
/// How often inactive users are purged, at most, in seconds.
const PURGE_EVERY: u64 = 3600;
/// Seconds in a day.
const DAY: u64 = 86_400;

/// The engine and the store together: load a user's state, take the turn, store the new state
/// durably, then return the reply. Safe to share between threads: turns are taken one at a time,
/// so two messages from one user never race on that user's state. The engine can be replaced
/// while turns are taken (a reload): each turn uses the engine current when it started.
#[derive(Debug)]
pub struct Conversations<S> {
    engine: RwLock<Arc<Engine>>,
    store: S,
    turns: Mutex<Flood>,
    flood_control: bool,
    /// Users inactive for this many days are forgotten (`None`: kept for ever).
    retention_days: Option<u64>,
}

/// Recent message times per user, for flood control. Held while a turn is taken, so that it
/// also serialises turns.
#[derive(Debug, Default)]
struct Flood {
    recent: HashMap<UserKey, Vec<u64>>,
    /// When inactive users were last purged.
    last_purge: u64,
}

impl Flood {
    /// Records a message from `user` at `now` and decides whether it is answered.
    fn admit(&mut self, user: &UserKey, now: u64) -> Admission {
        if self.recent.len() > 10_000 {
            self.recent
                .retain(|_, times| times.last().is_some_and(|t| now < t + FLOOD_WINDOW));
        }
        let times = self.recent.entry(user.clone()).or_default();
        times.retain(|t| now < t + FLOOD_WINDOW);
        times.push(now);
        match times.len() {
            n if n <= FLOOD_LIMIT => Admission::Answer,
            n if n == FLOOD_LIMIT + 1 => Admission::Warn,
            _ => Admission::Ignore,
        }
    }
}

/// What flood control decides about one message.
enum Admission {
    Answer,
    Warn,
    Ignore,
}

impl<S: StateStore> Conversations<S> {
    /// Wraps an engine (which may be shared with other conversations) and a store.
    pub fn new(engine: impl Into<Arc<Engine>>, store: S) -> Conversations<S> {
        Conversations {
            engine: RwLock::new(engine.into()),
            store,
            turns: Mutex::new(Flood::default()),
            flood_control: false,
            retention_days: None,
        }
    }

    /// Forgets users inactive for `days` days: checked at most hourly, as turns are taken.
    pub fn with_retention(mut self, days: u64) -> Conversations<S> {
        self.retention_days = Some(days);
        self
    }

    /// Deletes the state of users inactive for the retention period; returns how many.
    pub fn purge_inactive(&self, now: u64) -> Result<usize, StoreError> {
        let Some(days) = self.retention_days else {
            return Ok(0);
        };
        let before = now.saturating_sub(days * DAY);
        let purged = self.store.purge(before)?;
        let questions = self.store.purge_unanswered(before)?;
        if questions > 0 {
            tracing::info!(
                questions,
                days,
                "forgot unanswered questions older than the retention period"
            );
        }
        if purged > 0 {
            tracing::info!(
                purged,
                days,
                "forgot users inactive for the retention period"
            );
        }
        Ok(purged)
    }

    /// Turns on per-user flood control, for chat platforms (off by default: the command line
    /// and the test runners send many messages a second on purpose).
    pub fn with_flood_control(mut self) -> Conversations<S> {
        self.flood_control = true;
        self
    }

    /// The engine in use now.
    pub fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.engine.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the engine (e.g. rebuilt from edited content): turns under way finish with
    /// the old one, later turns use the new one. Returns the old engine.
    pub fn replace_engine(&self, engine: impl Into<Arc<Engine>>) -> Arc<Engine> {
        let mut current = self.engine.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, engine.into())
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Handles one message from `user` at time `now` (seconds since the Unix epoch). The new
    /// state is stored durably before the reply is returned. With flood control on, a user
    /// sending more than `FLOOD_LIMIT` messages in `FLOOD_WINDOW` seconds is asked to slow down
    /// once, then gets silent replies (`Reply::is_silent`) until the window passes.
    pub fn handle(&self, user: &UserKey, input: &Input, now: u64) -> Result<Reply, StoreError> {
        let mut flood = self.lock();
        if self.retention_days.is_some() && now >= flood.last_purge + PURGE_EVERY {
            flood.last_purge = now;
            self.purge_inactive(now)?;
        }
        if self.flood_control {
            match flood.admit(user, now) {
                Admission::Answer => {}
                Admission::Warn => return Ok(self.engine().flood_reply()),
                Admission::Ignore => return Ok(Reply::default()),
            }
        }
        let started = Instant::now();
        let engine = self.engine();
        let state = self.store.load(user)?.unwrap_or_default();
        let (mut reply, mut next) = engine.turn(&state, input);
        next.updated_at = now;
        reply.micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if reply.forget {
            self.store.delete(user)?;
        } else {
            self.store.save(user, &next)?;
        }
        if let Some(reason) = engine.unanswered(input, &reply) {
            let question = Unanswered::new(&input.text, reason, reply.topic.clone(), now);
            // Only a maintainer's report suffers when this fails: the user still gets the reply.
            if let Err(error) = self.store.record_unanswered(&question) {
                tracing::warn!("cannot record an unanswered question: {error}");
            }
        }
        Ok(reply)
    }

    /// Everything stored about `user`, if anything.
    pub fn export(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        self.store.load(user)
    }

    /// Deletes everything stored about `user`; true when there was something.
    pub fn forget(&self, user: &UserKey) -> Result<bool, StoreError> {
        let _turns = self.lock();
        self.store.delete(user)
    }

    fn lock(&self) -> MutexGuard<'_, Flood> {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_control_warns_once_then_ignores_until_the_window_passes() {
        let mut flood = Flood::default();
        let alice = UserKey::new("telegram", "1");
        let bob = UserKey::new("telegram", "2");
        for _ in 0..FLOOD_LIMIT {
            assert!(matches!(flood.admit(&alice, 100), Admission::Answer));
        }
        assert!(matches!(flood.admit(&alice, 101), Admission::Warn));
        assert!(matches!(flood.admit(&alice, 102), Admission::Ignore));
        assert!(matches!(flood.admit(&bob, 102), Admission::Answer));
        assert!(matches!(
            flood.admit(&alice, 102 + FLOOD_WINDOW),
            Admission::Answer
        ));
    }
}
