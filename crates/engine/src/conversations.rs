//! Conversations: the engine with a state store, taking turns of different users in parallel.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::{Commit, Engine, Input, Reply, StateStore, StoreError, Unanswered, UserKey, UserState};

/// At most this many messages from one user are answered within `FLOOD_WINDOW` seconds.
const FLOOD_LIMIT: usize = 8;
/// The window of the flood control, in seconds.
const FLOOD_WINDOW: u64 = 10;
/// Seconds in a day.
const DAY: u64 = 86_400;
/// Users are spread over this many shards, each with its own lock, held only for moments: to
/// take a place in a user's line and for flood control, never during a turn.
const SHARDS: usize = 64;
/// A turn is retaken at most this many times when another process sharing the store wrote the
/// user's state meanwhile (`StoreError::Conflict`); after that the conflict is the turn's error.
const MAX_CONFLICTS: u32 = 16;
/// A shard sweeps its flood-control times when it remembers more users than this (or than
/// twice as many as after its last sweep).
const SWEEP_AT: usize = 256;

/// The engine and the store together: load a user's state, take the turn, store the new state
/// durably, then return the reply. Safe to share between threads: turns of different users run
/// in parallel, while the turns of one user are taken one at a time, in the order they arrived,
/// so two messages from one user never race on that user's state. The engine can be replaced
/// while turns are taken (a reload): each turn uses the engine current when it started.
///
/// `handle` does it all. `take_turn` and `settle` split it in two, so that a caller can take
/// other turns while a reply waits for its state to be durable (the store shares one flush
/// between many turns): `take_turn` stores the new state, and `settle` waits until it is
/// durable and gives the reply.
pub struct Conversations<S> {
    engine: RwLock<Arc<Engine>>,
    store: S,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    flood_control: bool,
    /// Users inactive for this many days are forgotten (`None`: kept for ever).
    retention_days: Option<u64>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Conversations<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("engine", &self.engine)
            .field("store", &self.store)
            .field("flood_control", &self.flood_control)
            .field("retention_days", &self.retention_days)
            .finish_non_exhaustive()
    }
}

/// A turn taken whose reply must wait until the new state is durable: give it to
/// `Conversations::settle`.
#[derive(Debug)]
#[must_use = "the reply is only ready once `Conversations::settle` has made the state durable"]
pub struct Written {
    reply: Reply,
    commit: Commit,
}

/// The users of one shard: who is taking a turn, and recent message times.
#[derive(Debug, Default)]
struct Shard {
    /// Users with a turn under way or waiting, and their line.
    lines: HashMap<UserKey, Arc<Line>>,
    /// Recent message times per user, for flood control.
    recent: HashMap<UserKey, Vec<u64>>,
    /// How many users `recent` held after its last sweep.
    swept: usize,
}

/// One user's line: turns are served in the order their tickets were taken.
#[derive(Debug, Default)]
struct Line {
    tickets: Mutex<Tickets>,
    served: Condvar,
}

#[derive(Debug, Default)]
struct Tickets {
    /// The next ticket to hand out.
    next: u64,
    /// The ticket whose turn it is.
    serving: u64,
}

impl Shard {
    /// Records a message from `user` at `now` and decides whether it is answered.
    fn admit(&mut self, user: &UserKey, now: u64) -> Admission {
        if self.recent.len() > SWEEP_AT.max(2 * self.swept) {
            self.recent
                .retain(|_, times| times.last().is_some_and(|t| now < t + FLOOD_WINDOW));
            self.swept = self.recent.len();
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

    /// Takes a place in `user`'s line.
    fn enter(&mut self, user: &UserKey) -> (Arc<Line>, u64) {
        let line = Arc::clone(self.lines.entry(user.clone()).or_default());
        let ticket = {
            let mut tickets = lock(&line.tickets);
            tickets.next += 1;
            tickets.next - 1
        };
        (line, ticket)
    }
}

/// What flood control decides about one message.
enum Admission {
    Answer,
    Warn,
    Ignore,
}

/// A user's turn while it is being taken: when dropped (even by a panic), the user's next turn
/// may start, and an empty line is removed.
struct Turn<'a> {
    shard: &'a Mutex<Shard>,
    user: &'a UserKey,
    line: Arc<Line>,
}

impl<'a> Turn<'a> {
    /// Waits in `user`'s line until it is this ticket's turn.
    fn wait(shard: &'a Mutex<Shard>, user: &'a UserKey, line: Arc<Line>, ticket: u64) -> Self {
        let mut tickets = lock(&line.tickets);
        while tickets.serving != ticket {
            tickets = line
                .served
                .wait(tickets)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(tickets);
        Turn { shard, user, line }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut shard = lock(self.shard);
        let idle = {
            let mut tickets = lock(&self.line.tickets);
            tickets.serving += 1;
            tickets.serving == tickets.next
        };
        // Tickets are only taken under the shard's lock, held here: nobody else is in line.
        if idle {
            shard.lines.remove(self.user);
        }
        drop(shard);
        self.line.served.notify_all();
    }
}

impl<S: StateStore> Conversations<S> {
    /// Wraps an engine (which may be shared with other conversations) and a store.
    pub fn new(engine: impl Into<Arc<Engine>>, store: S) -> Conversations<S> {
        Conversations {
            engine: RwLock::new(engine.into()),
            store,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            flood_control: false,
            retention_days: None,
        }
    }

    /// Forgets users inactive for `days` days, each time `purge_inactive` is called: the
    /// program calls it in the background (see `adapter::Purger`), never during a turn.
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
        let written = self.take_turn(user, input, now)?;
        self.settle(written)
    }

    /// Takes one turn as `handle` does, but returns as soon as the new state is written, before
    /// it is durable: the user's next turn may start at once. The reply must not be sent before
    /// `settle` returns it.
    pub fn take_turn(
        &self,
        user: &UserKey,
        input: &Input,
        now: u64,
    ) -> Result<Written, StoreError> {
        let shard = &self.shards[self.shard_of(user)];
        let (line, ticket) = {
            let mut users = lock(shard);
            if self.flood_control {
                match users.admit(user, now) {
                    Admission::Answer => {}
                    Admission::Warn => return Ok(Written::durable(self.engine().flood_reply())),
                    Admission::Ignore => return Ok(Written::durable(Reply::default())),
                }
            }
            users.enter(user)
        };
        let _turn = Turn::wait(shard, user, line, ticket);
        let engine = self.engine();
        let mut conflicts = 0;
        let (reply, commit) = loop {
            let started = Instant::now();
            let (state, version) = self.store.load_versioned(user)?;
            let (mut reply, mut next) = engine.turn(&state.unwrap_or_default(), input);
            next.updated_at = now;
            reply.micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let written = if reply.forget {
                self.store
                    .remove_if(user, version)
                    .map(|(_, commit)| commit)
            } else {
                self.store.write_if(user, &next, version)
            };
            match written {
                Ok(commit) => break (reply, commit),
                // Another process sharing the store wrote this user's state since it was
                // loaded: the engine is pure, so the whole turn is taken again on the new state.
                Err(StoreError::Conflict) if conflicts < MAX_CONFLICTS => {
                    conflicts += 1;
                    tracing::debug!(user = %user, conflicts, "state changed meanwhile; retaking the turn");
                    std::thread::sleep(self.backoff(conflicts));
                }
                Err(error) => return Err(error),
            }
        };
        if let Some(reason) = engine.unanswered(input, &reply) {
            let question = Unanswered::new(&input.text, reason, reply.topic.clone(), now);
            // Only a maintainer's report suffers when this fails: the user still gets the reply.
            if let Err(error) = self.store.record_unanswered(&question) {
                tracing::warn!("cannot record an unanswered question: {error}");
            }
        }
        Ok(Written { reply, commit })
    }

    /// Waits until the state written by a turn is durable, then gives its reply. Many turns
    /// waiting at once share the store's flushes.
    pub fn settle(&self, written: Written) -> Result<Reply, StoreError> {
        self.store.sync(written.commit)?;
        Ok(written.reply)
    }

    /// Everything stored about `user`, if anything.
    pub fn export(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        self.store.load(user)
    }

    /// Deletes everything stored about `user`, after any turn of theirs under way; true when
    /// there was something.
    pub fn forget(&self, user: &UserKey) -> Result<bool, StoreError> {
        let shard = &self.shards[self.shard_of(user)];
        let (line, ticket) = lock(shard).enter(user);
        let turn = Turn::wait(shard, user, line, ticket);
        let (removed, commit) = self.store.remove(user)?;
        drop(turn);
        self.store.sync(commit)?;
        Ok(removed)
    }

    /// A short, random wait before retaking a turn after the `n`th conflict, so that two
    /// processes racing on one user drift apart.
    fn backoff(&self, n: u32) -> Duration {
        let ceiling = 200u64 << n.min(6);
        Duration::from_micros(self.hasher.hash_one((n, Instant::now())) % ceiling)
    }

    fn shard_of(&self, user: &UserKey) -> usize {
        // The remainder is below `SHARDS`, so it fits in a usize.
        (self.hasher.hash_one(user) % SHARDS as u64) as usize
    }
}

impl Written {
    /// A reply with nothing to wait for.
    fn durable(reply: Reply) -> Written {
        Written {
            reply,
            commit: Commit::DURABLE,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_control_warns_once_then_ignores_until_the_window_passes() {
        let mut shard = Shard::default();
        let alice = UserKey::new("telegram", "1");
        let bob = UserKey::new("telegram", "2");
        for _ in 0..FLOOD_LIMIT {
            assert!(matches!(shard.admit(&alice, 100), Admission::Answer));
        }
        assert!(matches!(shard.admit(&alice, 101), Admission::Warn));
        assert!(matches!(shard.admit(&alice, 102), Admission::Ignore));
        assert!(matches!(shard.admit(&bob, 102), Admission::Answer));
        assert!(matches!(
            shard.admit(&alice, 102 + FLOOD_WINDOW),
            Admission::Answer
        ));
    }

    #[test]
    fn flood_control_forgets_quiet_users() {
        let mut shard = Shard::default();
        for n in 0..10 * SWEEP_AT {
            shard.admit(&UserKey::new("telegram", &n.to_string()), n as u64);
        }
        assert!(shard.recent.len() <= 2 * SWEEP_AT, "{}", shard.recent.len());
    }

    #[test]
    fn a_users_line_serves_tickets_in_order_and_is_removed_when_empty() {
        let shard = Mutex::new(Shard::default());
        let alice = UserKey::new("cli", "alice");
        let (line, first) = lock(&shard).enter(&alice);
        let (second_line, second) = lock(&shard).enter(&alice);
        assert_eq!((first, second), (0, 1));
        let order = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _turn = Turn::wait(&shard, &alice, second_line, second);
                lock(&order).push(second);
            });
            std::thread::sleep(Duration::from_millis(20));
            let turn = Turn::wait(&shard, &alice, line, first);
            lock(&order).push(first);
            drop(turn);
        });
        assert_eq!(*lock(&order), [0, 1]);
        assert!(lock(&shard).lines.is_empty());
    }
}
