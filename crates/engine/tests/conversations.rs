//! `Conversations` on the real content with stores that watch, stall or fail: turns of
//! different users run in parallel, one user's turns never race, nothing is purged during a
//! turn, and a store that fails gives an error, not a panic, with nothing stored lost.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use engine::{
    Commit, Content, Conversations, Engine, Input, MemoryStore, StateStore, StoreError, Unanswered,
    UserKey, UserState,
};

fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    Arc::clone(ENGINE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let content = Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
            .expect("content is readable");
        Arc::new(Engine::new(&content).expect("content is valid"))
    }))
}

/// A memory store that can hold one user's load until another user's turn has started, count
/// purges, and fail writes on demand.
#[derive(Default)]
struct Watched {
    inner: MemoryStore,
    /// While set, a load for this user waits until a load for another user has started.
    hold: Mutex<Option<UserKey>>,
    others: Mutex<usize>,
    other_started: Condvar,
    purges: AtomicUsize,
    fail_writes: AtomicBool,
}

impl StateStore for Watched {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        let held = self.hold.lock().expect("lock").clone();
        match held {
            Some(held) if held == *user => {
                let others = self.others.lock().expect("lock");
                let (others, waited) = self
                    .other_started
                    .wait_timeout_while(others, Duration::from_secs(20), |n| *n == 0)
                    .expect("lock");
                assert!(
                    !waited.timed_out(),
                    "another user's turn never started while {user} was in a turn"
                );
                drop(others);
            }
            Some(_) => {
                *self.others.lock().expect("lock") += 1;
                self.other_started.notify_all();
            }
            None => {}
        }
        self.inner.load(user)
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Storage(
                "writing: No space left on device".into(),
            ));
        }
        self.inner.save(user, state)
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        self.inner.delete(user)
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        self.purges.fetch_add(1, Ordering::SeqCst);
        self.inner.purge(before)
    }

    fn write(&self, user: &UserKey, state: &UserState) -> Result<Commit, StoreError> {
        self.save(user, state).map(|()| Commit::new(1))
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        self.inner.user_count()
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        self.inner.record_unanswered(question)
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        self.inner.unanswered()
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        self.inner.purge_unanswered(before)
    }
}

#[test]
fn turns_of_different_users_run_at_the_same_time() {
    let conversations = Conversations::new(engine(), Watched::default());
    let (alice, bob) = (UserKey::new("cli", "alice"), UserKey::new("cli", "bob"));
    *conversations.store().hold.lock().expect("lock") = Some(alice.clone());
    std::thread::scope(|scope| {
        // Alice's turn stalls in the store until Bob's has started: one lock for everyone
        // would make this wait for ever (the store gives up after 20 s and fails the test).
        let first = scope.spawn(|| conversations.handle(&alice, &Input::text("hello"), 1));
        std::thread::sleep(Duration::from_millis(50));
        let second = conversations.handle(&bob, &Input::text("what is a band 5 nurse?"), 1);
        assert!(second.is_ok());
        assert!(first.join().expect("no panic").is_ok());
    });
}

#[test]
fn one_users_turns_never_race_and_other_users_are_untouched() {
    let conversations = Conversations::new(engine(), MemoryStore::default());
    let messages = [
        "hi",
        "what apprenticeships are there?",
        "tell me more",
        "thanks",
    ];
    let (threads, turns) = (4, 25);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let conversations = &conversations;
            scope.spawn(move || {
                for n in 0..turns {
                    let input = Input::text(messages[n % messages.len()]);
                    for user in ["shared", &format!("own-{thread}")] {
                        let key = UserKey::new("cli", user);
                        conversations.handle(&key, &input, 1).expect("turn");
                    }
                }
            });
        }
    });
    let count = |user: &str| {
        let state = conversations.export(&UserKey::new("cli", user));
        state.expect("load").expect("stored").turn_count
    };
    // Every turn of the shared user counted once: none was lost to a race on its state.
    assert_eq!(count("shared"), (threads * turns) as u64);
    for thread in 0..threads {
        assert_eq!(count(&format!("own-{thread}")), turns as u64);
    }
}

#[test]
fn taking_a_turn_and_settling_it_are_two_steps() {
    let conversations = Conversations::new(engine(), MemoryStore::default());
    let key = UserKey::new("cli", "sam");
    let written = conversations
        .take_turn(&key, &Input::text("what apprenticeships are there?"), 5)
        .expect("turn");
    // Stored at once, so the user's next turn can start before this one is settled.
    let stored = conversations.export(&key).expect("load").expect("stored");
    assert_eq!((stored.turn_count, stored.updated_at), (1, 5));
    let reply = conversations.settle(written).expect("durable");
    assert!(!reply.fallback, "{reply:?}");
}

#[test]
fn the_retention_purge_never_runs_inside_a_turn() {
    let conversations = Conversations::new(engine(), Watched::default()).with_retention(30);
    let old = UserKey::new("cli", "old");
    conversations
        .store()
        .inner
        .save(&old, &UserState::default())
        .expect("save");
    let day = 86_400;
    for n in 0..10 {
        let key = UserKey::new("cli", "active");
        conversations
            .handle(&key, &Input::text("hi"), 100 * day + n * 3600)
            .expect("turn");
    }
    assert_eq!(conversations.store().purges.load(Ordering::SeqCst), 0);
    assert!(conversations.export(&old).expect("load").is_some());
    assert_eq!(conversations.purge_inactive(100 * day).expect("purge"), 1);
    assert!(conversations.export(&old).expect("load").is_none());
}

#[test]
fn a_store_that_cannot_write_is_an_error_and_loses_nothing_stored() {
    let conversations = Conversations::new(engine(), Watched::default());
    let key = UserKey::new("telegram", "7");
    conversations
        .handle(&key, &Input::text("what apprenticeships are there?"), 1)
        .expect("turn");
    let before = conversations.export(&key).expect("load");
    conversations
        .store()
        .fail_writes
        .store(true, Ordering::SeqCst);
    let error = conversations
        .handle(&key, &Input::text("tell me more"), 2)
        .expect_err("the write fails");
    assert!(error.to_string().contains("No space left"), "{error}");
    assert_eq!(conversations.export(&key).expect("load"), before);
    // The user's line is free again: once the store recovers, the next turn is taken.
    conversations
        .store()
        .fail_writes
        .store(false, Ordering::SeqCst);
    conversations
        .handle(&key, &Input::text("tell me more"), 3)
        .expect("turn after recovery");
    let after = conversations.export(&key).expect("load").expect("stored");
    assert_eq!(after.turn_count, 2);
}

/// A memory store shared with a rival process: after a load of the watched user, the rival
/// writes that user's state (as another careerbot process would), `rival_turns` times.
struct Rivalled {
    inner: MemoryStore,
    rival_turns: AtomicUsize,
}

impl StateStore for Rivalled {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        self.inner.load(user)
    }

    fn load_versioned(
        &self,
        user: &UserKey,
    ) -> Result<(Option<UserState>, engine::Version), StoreError> {
        let loaded = self.inner.load_versioned(user)?;
        let rival = self
            .rival_turns
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if rival.is_ok() {
            let mut state = self.inner.load(user)?.unwrap_or_default();
            state.turn_count += 1;
            state.topic = Some("written.by.the.rival".to_owned());
            self.inner.save(user, &state)?;
        }
        Ok(loaded)
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        self.inner.save(user, state)
    }

    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: engine::Version,
    ) -> Result<Commit, StoreError> {
        self.inner.write_if(user, state, expected)
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        self.inner.delete(user)
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        self.inner.purge(before)
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        self.inner.user_count()
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        self.inner.record_unanswered(question)
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        self.inner.unanswered()
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        self.inner.purge_unanswered(before)
    }
}

#[test]
fn a_turn_on_a_state_another_process_changed_meanwhile_is_taken_again_on_the_new_state() {
    let conversations = Conversations::new(
        engine(),
        Rivalled {
            inner: MemoryStore::default(),
            rival_turns: AtomicUsize::new(3),
        },
    );
    let alice = UserKey::new("cli", "alice");
    let reply = conversations
        .handle(&alice, &Input::text("what apprenticeships are there?"), 1)
        .expect("the turn is retaken until it writes on the current state");
    assert!(!reply.fallback);
    let state = conversations.export(&alice).expect("load").expect("stored");
    assert_eq!(
        state.turn_count, 4,
        "the rival's three turns and ours, none lost"
    );
    assert_eq!(state.turns.len(), 1, "ours was remembered once");

    // A rival that never stops: the turn fails with a conflict rather than looping for ever.
    let stubborn = Conversations::new(
        engine(),
        Rivalled {
            inner: MemoryStore::default(),
            rival_turns: AtomicUsize::new(usize::MAX),
        },
    );
    let error = stubborn
        .handle(&alice, &Input::text("hi"), 1)
        .expect_err("bounded retries");
    assert!(matches!(error, StoreError::Conflict), "{error}");
}
