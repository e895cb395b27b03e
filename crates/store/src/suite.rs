//! The test suite every `StateStore` passes (`MemoryStore`, `SledStore`, `RedisStore`): each
//! check takes an empty store and panics, with a message, where the store falls short. Run by
//! `crates/store/tests/suite.rs`; a new store should pass it too.

use std::sync::atomic::{AtomicUsize, Ordering};

use engine::{
    MAX_UNANSWERED, Reason, StateStore, StoreError, Turn, Unanswered, UserKey, UserState, Version,
};

fn state(topic: &str, turn_count: u64) -> UserState {
    UserState {
        topic: Some(topic.to_owned()),
        turn_count,
        ..UserState::default()
    }
}

/// Load, save, delete (the building blocks of `export` and `forget`), and users kept apart.
pub fn round_trip<S: StateStore>(store: &S) {
    let (alice, bob) = (UserKey::new("cli", "alice"), UserKey::new("telegram", "42"));
    assert_eq!(store.load(&alice).expect("load"), None);
    store
        .save(&alice, &state("apply.nhs-jobs", 3))
        .expect("save");
    store.save(&bob, &state("roles.nursing", 1)).expect("save");
    assert_eq!(
        store.load(&alice).expect("load"),
        Some(state("apply.nhs-jobs", 3))
    );
    let commit = store
        .write(&alice, &state("apply.interviews", 4))
        .expect("write");
    store.sync(commit).expect("sync");
    assert_eq!(
        store.load(&alice).expect("load"),
        Some(state("apply.interviews", 4))
    );
    assert_eq!(store.user_count().expect("count"), 2);
    assert!(store.delete(&alice).expect("delete"));
    assert!(!store.delete(&alice).expect("delete again"));
    assert_eq!(store.load(&alice).expect("load"), None);
    assert_eq!(
        store.load(&bob).expect("load"),
        Some(state("roles.nursing", 1)),
        "deleting one user leaves the others"
    );
    let (removed, commit) = store.remove(&bob).expect("remove");
    store.sync(commit).expect("sync");
    assert!(removed);
    assert_eq!(store.user_count().expect("count"), 0);
}

/// Conditional writes: a write on a revision that is no longer current is refused and changes
/// nothing; unconditional writes raise the revision too.
pub fn versions<S: StateStore>(store: &S) {
    let alice = UserKey::new("cli", "alice");
    let (none, absent) = store.load_versioned(&alice).expect("load");
    assert_eq!((none, absent), (None, Version::ABSENT));
    store
        .write_if(&alice, &state("first", 1), Version::ABSENT)
        .expect("the first write on no record");
    assert!(matches!(
        store.write_if(&alice, &state("rival", 1), Version::ABSENT),
        Err(StoreError::Conflict)
    ));
    let (loaded, first) = store.load_versioned(&alice).expect("load");
    assert_eq!(
        loaded,
        Some(state("first", 1)),
        "the refused write changed nothing"
    );
    assert_ne!(first, Version::ABSENT);
    store
        .write_if(&alice, &state("second", 2), first)
        .expect("a write on the current revision");
    assert!(matches!(
        store.write_if(&alice, &state("stale", 2), first),
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.remove_if(&alice, first),
        Err(StoreError::Conflict)
    ));
    let (loaded, second) = store.load_versioned(&alice).expect("load");
    assert_eq!(loaded, Some(state("second", 2)));
    assert_ne!(second, first);
    // An unconditional write makes the revision read before it stale (no ABA).
    store.save(&alice, &state("third", 3)).expect("save");
    assert!(matches!(
        store.write_if(&alice, &state("stale", 3), second),
        Err(StoreError::Conflict)
    ));
    let (_, third) = store.load_versioned(&alice).expect("load");
    let (removed, commit) = store
        .remove_if(&alice, third)
        .expect("remove on the current revision");
    store.sync(commit).expect("sync");
    assert!(removed);
    let (removed, _) = store
        .remove_if(&alice, Version::ABSENT)
        .expect("removing nothing, as expected");
    assert!(!removed);
    assert_eq!(
        store.load_versioned(&alice).expect("load"),
        (None, Version::ABSENT)
    );
}

/// Several threads take turns for one user at once, each loading and writing conditionally and
/// retrying on a conflict, as `Conversations` does: no turn is lost or applied twice. Returns
/// how many conflicts there were.
pub fn concurrent_writers<S: StateStore + Sync>(store: &S) -> usize {
    let user = UserKey::new("cli", "shared");
    let (threads, turns) = (4u64, 40u64);
    let conflicts = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (conflicts, user) = (&conflicts, &user);
            scope.spawn(move || {
                for n in 0..turns {
                    loop {
                        let (state, version) = store.load_versioned(user).expect("load");
                        let mut state = state.unwrap_or_default();
                        state.turn_count += 1;
                        state.turns.push(Turn {
                            text: format!("{thread}-{n}"),
                            topic: None,
                            fallback: false,
                        });
                        match store.write_if(user, &state, version) {
                            Ok(commit) => {
                                store.sync(commit).expect("sync");
                                break;
                            }
                            Err(StoreError::Conflict) => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(error) => panic!("write failed: {error}"),
                        }
                    }
                }
            });
        }
    });
    let state = store.load(&user).expect("load").expect("stored");
    assert_eq!(state.turn_count, threads * turns, "every turn counted once");
    let mut texts: Vec<&str> = state.turns.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts.len() as u64, threads * turns);
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(
        texts.len() as u64,
        threads * turns,
        "no turn recorded twice"
    );
    conflicts.into_inner()
}

/// A record that cannot be read resets that user only; the user can be written again, also
/// conditionally on the revision the unreadable record was loaded at. `put_raw` stores bytes
/// as a user's record.
pub fn corrupt_record<S: StateStore>(store: &S, put_raw: impl Fn(&UserKey, &[u8])) {
    let (good, bad) = (UserKey::new("discord", "1"), UserKey::new("discord", "2"));
    store
        .save(&good, &state("apply.nhs-jobs", 3))
        .expect("save");
    for garbage in [
        &b"\xff\x00binary"[..],
        b"{\"version\":1,\"state\":{\"turn_count\":\"x\"}}",
        b"{\"version\":99,\"state\":{}}",
        b"",
    ] {
        put_raw(&bad, garbage);
        assert_eq!(store.load(&bad).expect("load"), None);
        let (loaded, version) = store.load_versioned(&bad).expect("load");
        assert_eq!(loaded, None);
        assert_ne!(
            version,
            Version::ABSENT,
            "an unreadable record is still there"
        );
        assert_eq!(
            store.load(&good).expect("load"),
            Some(state("apply.nhs-jobs", 3))
        );
    }
    let (_, version) = store.load_versioned(&bad).expect("load");
    store
        .write_if(&bad, &state("fresh", 1), version)
        .expect("the reset user is written again");
    assert_eq!(store.load(&bad).expect("load"), Some(state("fresh", 1)));
}

/// The retention purge deletes users last active before the cut-off and no one else.
pub fn purge<S: StateStore>(store: &S) {
    let (old, recent) = (UserKey::new("cli", "old"), UserKey::new("cli", "recent"));
    let at = |updated_at| UserState {
        updated_at,
        ..state("apply.nhs-jobs", 1)
    };
    store.save(&old, &at(100)).expect("save");
    store.save(&recent, &at(900)).expect("save");
    assert_eq!(store.purge(500).expect("purge"), 1);
    assert_eq!(store.purge(500).expect("purge again"), 0);
    assert_eq!(store.load(&old).expect("load"), None);
    assert_eq!(store.load(&recent).expect("load"), Some(at(900)));
    assert_eq!(store.user_count().expect("count"), 1);
}

/// Unanswered questions: the same question counted into one record, at most `MAX_UNANSWERED`
/// kept (the least recently asked making room), purged by age, and never counted as users.
pub fn unanswered<S: StateStore>(store: &S) {
    let asked = |text: &str, at| Unanswered::new(text, Reason::Fallback, None, at);
    store
        .record_unanswered(&asked("Whats the weather", 10))
        .expect("record");
    store
        .record_unanswered(&asked("whats  the weather", 20))
        .expect("record");
    store
        .record_unanswered(&asked("can u book me a haircut", 30))
        .expect("record");
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

/// Two threads counting the same unanswered question at once both count.
pub fn unanswered_counted_concurrently<S: StateStore + Sync>(store: &S) {
    let (threads, times) = (4u64, 25u64);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            scope.spawn(move || {
                for n in 0..times {
                    let question =
                        Unanswered::new("is there a bus", Reason::Fallback, None, thread * 100 + n);
                    store.record_unanswered(&question).expect("record");
                }
            });
        }
    });
    let all = store.unanswered().expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].count, threads * times);
}

/// A delivery is first once: repeated (by this process or another), it is not.
pub fn deliveries<S: StateStore>(store: &S) {
    let now = 1_000_000;
    assert!(store.first_delivery("telegram:1", now).expect("first"));
    assert!(!store.first_delivery("telegram:1", now + 5).expect("again"));
    assert!(
        store
            .first_delivery("telegram:2", now + 5)
            .expect("another")
    );
}
