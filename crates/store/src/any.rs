//! The store chosen by configuration: sled in a directory (the default), or Redis.

use std::path::Path;

use engine::{Commit, StateStore, StoreError, Unanswered, UserKey, UserState, Version};

use crate::redis_store::redact;
use crate::{Read, RedisOptions, RedisStore, SledStore};

/// Where state is kept, as configured (`--store`): sled in the data directory, or a Redis
/// server shared by several processes.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// sled in the data directory (`sled`, or no setting).
    Sled,
    /// A Redis server: `redis://[:PASSWORD@]HOST:PORT/DB`.
    Redis(String),
}

impl StoreUrl {
    /// Reads a `--store` value: `sled`, or a `redis://` URL.
    pub fn parse(text: &str) -> Result<StoreUrl, StoreError> {
        let text = text.trim();
        if text.is_empty() || text == "sled" {
            return Ok(StoreUrl::Sled);
        }
        if text.starts_with("redis://") && url::Url::parse(text).is_ok() {
            return Ok(StoreUrl::Redis(text.to_owned()));
        }
        Err(StoreError::Storage(format!(
            "the store {} is neither `sled` nor a redis://HOST:PORT/DB URL",
            redact_any(text)
        )))
    }

    /// The setting as given, any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sled => "sled".to_owned(),
            StoreUrl::Redis(url) => redact(url),
        }
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whatever the text, nothing that may be a password is shown.
fn redact_any(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(_) => redact(text),
        Err(_) if text.contains('@') => "(a URL that does not parse)".to_owned(),
        Err(_) => format!("{text:?}"),
    }
}

/// sled or Redis, as configured. Clones share the database or the connections.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// sled in a directory: one process.
    Sled(SledStore),
    /// Redis: any number of processes.
    Redis(RedisStore),
}

impl AnyStore {
    /// Opens the store `url` names: sled in `data`, or the Redis server with `options`.
    pub fn open(
        url: &StoreUrl,
        data: &Path,
        options: RedisOptions,
    ) -> Result<AnyStore, StoreError> {
        match url {
            StoreUrl::Sled => SledStore::open(data).map(AnyStore::Sled),
            StoreUrl::Redis(url) => RedisStore::open(url, options).map(AnyStore::Redis),
        }
    }

    /// `sled` or `redis`.
    pub fn name(&self) -> &'static str {
        match self {
            AnyStore::Sled(_) => "sled",
            AnyStore::Redis(_) => "redis",
        }
    }

    /// Makes every write so far durable (sled flushes; Redis's writes are the server's).
    pub fn flush(&self) -> Result<(), StoreError> {
        match self {
            AnyStore::Sled(store) => store.flush(),
            AnyStore::Redis(_) => Ok(()),
        }
    }

    /// Reads a user's record, telling a missing record from a corrupt one.
    pub fn read(&self, user: &UserKey) -> Result<Read, StoreError> {
        match self {
            AnyStore::Sled(store) => store.read(user),
            AnyStore::Redis(store) => store.read(user),
        }
    }

    /// Every user key in the store.
    pub fn users(&self) -> Result<Vec<String>, StoreError> {
        match self {
            AnyStore::Sled(store) => store.users(),
            AnyStore::Redis(store) => store.users(),
        }
    }
}

/// Calls the same method on whichever store this is.
macro_rules! either {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sled($store) => $call,
            AnyStore::Redis($store) => $call,
        }
    };
}

impl StateStore for AnyStore {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        either!(self, s => s.load(user))
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        either!(self, s => s.save(user, state))
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        either!(self, s => s.delete(user))
    }

    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        either!(self, s => s.purge(before))
    }

    fn write(&self, user: &UserKey, state: &UserState) -> Result<Commit, StoreError> {
        either!(self, s => s.write(user, state))
    }

    fn remove(&self, user: &UserKey) -> Result<(bool, Commit), StoreError> {
        either!(self, s => s.remove(user))
    }

    fn sync(&self, commit: Commit) -> Result<(), StoreError> {
        either!(self, s => s.sync(commit))
    }

    fn load_versioned(&self, user: &UserKey) -> Result<(Option<UserState>, Version), StoreError> {
        either!(self, s => s.load_versioned(user))
    }

    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: Version,
    ) -> Result<Commit, StoreError> {
        either!(self, s => s.write_if(user, state, expected))
    }

    fn remove_if(&self, user: &UserKey, expected: Version) -> Result<(bool, Commit), StoreError> {
        either!(self, s => s.remove_if(user, expected))
    }

    fn first_delivery(&self, id: &str, now: u64) -> Result<bool, StoreError> {
        either!(self, s => s.first_delivery(id, now))
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        either!(self, s => s.user_count())
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        either!(self, s => s.record_unanswered(question))
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        either!(self, s => s.unanswered())
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        either!(self, s => s.purge_unanswered(before))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_settings() {
        assert_eq!(StoreUrl::parse("").expect("default"), StoreUrl::Sled);
        assert_eq!(StoreUrl::parse("sled").expect("sled"), StoreUrl::Sled);
        assert_eq!(
            StoreUrl::parse("redis://127.0.0.1:6390/2").expect("redis"),
            StoreUrl::Redis("redis://127.0.0.1:6390/2".to_owned())
        );
        let secret = StoreUrl::parse("redis://:pw@host:1/0").expect("redis");
        assert!(!format!("{secret:?}").contains("pw"));
        for bad in ["postgres://x", "redis:/nope", "./data"] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad}");
        }
        let error = StoreUrl::parse("mysql://root:pw@host/db").expect_err("not redis");
        assert!(!error.to_string().contains("pw"), "{error}");
    }
}
