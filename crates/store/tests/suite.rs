//! The same store suite (`store::suite`) against `MemoryStore`, `SledStore` and `RedisStore`.
//!
//! The Redis tests need a server: `CAREERBOT_TEST_REDIS=redis://127.0.0.1:6390/0` (`.ci/run`
//! starts one and sets it). Without it they print a notice and pass, so that `cargo test` on a
//! machine without Redis still passes; CI always runs them. Each test works under a prefix of
//! its own and deletes its keys when done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use engine::{MemoryStore, StateStore, UserKey, UserState};
use store::{RedisOptions, RedisStore, SledStore, suite};

/// The Redis server for tests, if one is configured.
fn redis_url() -> Option<String> {
    let url = std::env::var("CAREERBOT_TEST_REDIS")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("CAREERBOT_TEST_REDIS is not set: skipping a Redis test (.ci/run sets it)");
        }
    }
    url
}

/// A Redis store under a prefix no other test uses, emptied when dropped.
struct Fresh(RedisStore);

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = self.0.clear();
    }
}

impl std::ops::Deref for Fresh {
    type Target = RedisStore;
    fn deref(&self) -> &RedisStore {
        &self.0
    }
}

fn redis_with(options: RedisOptions) -> Option<Fresh> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let url = redis_url()?;
    let prefix = format!(
        "test:{}:{}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let store = RedisStore::open(&url, RedisOptions { prefix, ..options }).expect("Redis answers");
    store.clear().expect("a fresh prefix");
    Some(Fresh(store))
}

fn redis() -> Option<Fresh> {
    redis_with(RedisOptions::default())
}

/// One test per suite check and store.
macro_rules! suite_for {
    ($store:ident, $make:expr) => {
        mod $store {
            use super::*;

            #[test]
            fn round_trip() {
                if let Some(store) = $make {
                    suite::round_trip(&*store);
                }
            }

            #[test]
            fn versions() {
                if let Some(store) = $make {
                    suite::versions(&*store);
                }
            }

            #[test]
            fn concurrent_writers() {
                if let Some(store) = $make {
                    suite::concurrent_writers(&*store);
                }
            }

            #[test]
            fn purge() {
                if let Some(store) = $make {
                    suite::purge(&*store);
                }
            }

            #[test]
            fn unanswered() {
                if let Some(store) = $make {
                    suite::unanswered(&*store);
                }
            }

            #[test]
            fn unanswered_counted_concurrently() {
                if let Some(store) = $make {
                    suite::unanswered_counted_concurrently(&*store);
                }
            }

            #[test]
            fn deliveries() {
                if let Some(store) = $make {
                    suite::deliveries(&*store);
                }
            }
        }
    };
}

/// A sled store in a temporary directory removed with it.
struct Sled(SledStore, #[allow(dead_code)] tempfile::TempDir);

impl std::ops::Deref for Sled {
    type Target = SledStore;
    fn deref(&self) -> &SledStore {
        &self.0
    }
}

fn sled() -> Option<Sled> {
    let dir = tempfile::tempdir().expect("temp dir");
    Some(Sled(SledStore::open(dir.path()).expect("open"), dir))
}

suite_for!(memory, Some(Box::new(MemoryStore::default())));
suite_for!(sled_store, sled());
suite_for!(redis_store, redis());

#[test]
fn sled_corrupt_record_resets_only_that_user() {
    let store = sled().expect("sled");
    suite::corrupt_record(&*store, |user, bytes| {
        store.put_raw(user, bytes).expect("put");
    });
}

#[test]
fn redis_corrupt_record_resets_only_that_user() {
    let Some(store) = redis() else { return };
    suite::corrupt_record(&*store, |user, bytes| {
        store.put_raw(user, bytes).expect("put");
    });
}

#[test]
fn redis_records_expire_after_the_retention_period_renewed_by_each_write() {
    let Some(store) = redis_with(RedisOptions {
        retention: Some(Duration::from_millis(600)),
        ..RedisOptions::default()
    }) else {
        return;
    };
    let (kept, left) = (UserKey::new("cli", "kept"), UserKey::new("cli", "left"));
    store.save(&kept, &UserState::default()).expect("save");
    store.save(&left, &UserState::default()).expect("save");
    let ttl = store.expires_in(&left).expect("ttl").expect("expires");
    assert!(ttl <= Duration::from_millis(600), "{ttl:?}");
    std::thread::sleep(Duration::from_millis(400));
    store
        .save(&kept, &UserState::default())
        .expect("a write renews the expiry");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(store.load(&left).expect("load"), None, "expired");
    assert!(store.load(&kept).expect("load").is_some(), "renewed");
    assert_eq!(store.users().expect("users"), ["cli:kept"]);
}

#[test]
fn redis_keys_stay_under_the_prefix_and_stores_with_other_prefixes_are_apart() {
    let (Some(one), Some(two)) = (redis(), redis()) else {
        return;
    };
    let alice = UserKey::new("cli", "alice");
    one.save(&alice, &UserState::default()).expect("save");
    assert!(one.first_delivery("telegram:7", 1).expect("first"));
    assert_eq!(two.load(&alice).expect("load"), None);
    assert_eq!(two.user_count().expect("count"), 0);
    assert!(
        two.first_delivery("telegram:7", 1)
            .expect("first under another prefix")
    );
    assert!(one.clear().expect("clear") >= 2);
    assert_eq!(one.user_count().expect("count"), 0);
}

#[test]
fn an_identical_write_on_a_stale_revision_is_a_conflict_not_a_success() {
    // Two processes taking the same message for one user in the same second write identical
    // records: the second must retake its turn, not take the first's write for its own.
    let Some(store) = redis() else { return };
    let alice = UserKey::new("cli", "alice");
    let (_, absent) = store.load_versioned(&alice).expect("load");
    let first = UserState {
        turn_count: 1,
        ..UserState::default()
    };
    store.write_if(&alice, &first, absent).expect("write");
    assert!(matches!(
        store.write_if(&alice, &first, absent),
        Err(engine::StoreError::Conflict)
    ));
    let (state, version) = store.load_versioned(&alice).expect("load");
    assert_eq!(state, Some(first));
    assert_eq!(version.number(), 1, "applied once");
}

#[test]
fn an_unreachable_redis_is_a_clear_error_after_retries_not_a_panic() {
    let started = std::time::Instant::now();
    let error = RedisStore::open(
        "redis://127.0.0.1:1/0",
        RedisOptions {
            attempts: 3,
            backoff: Duration::from_millis(10),
            connect_timeout: Duration::from_millis(200),
            ..RedisOptions::default()
        },
    )
    .expect_err("nothing listens on port 1");
    let text = error.to_string();
    assert!(
        text.contains("Redis at 127.0.0.1:1/0, connecting"),
        "{text}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "retried with backoff"
    );
}

#[test]
fn a_lost_redis_connection_is_retried_on_a_new_one() {
    let Some(store) = redis() else { return };
    let alice = UserKey::new("cli", "alice");
    store.save(&alice, &UserState::default()).expect("save");
    // Kill this store's connections (found by their name): the pooled connection is dead,
    // and the next operation reconnects.
    let url = std::env::var("CAREERBOT_TEST_REDIS").expect("set");
    let client = redis::Client::open(url).expect("url");
    let mut admin = client.get_connection().expect("connect");
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut admin)
        .expect("list");
    let name = format!("name={}", store.client_name());
    let mut killed = 0;
    for line in list
        .lines()
        .filter(|line| line.split(' ').any(|f| f == name))
    {
        let id = line
            .split(' ')
            .find_map(|field| field.strip_prefix("id="))
            .expect("an id");
        let _: () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query(&mut admin)
            .expect("kill");
        killed += 1;
    }
    assert!(killed >= 1, "the store's connection is listed: {list}");
    assert!(store.load(&alice).expect("reconnected").is_some());
    store
        .save(&alice, &UserState::default())
        .expect("and writes");
}
