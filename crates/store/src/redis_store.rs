//! Per-user state in Redis, shared by several careerbot processes.
//!
//! Every key is under a prefix (`careerbot:` unless configured otherwise):
//!
//! - `{prefix}user:{user}`: a hash with `rev` (the record's revision, raised by every write)
//!   and `data` (the same schema-versioned JSON record as sled's), expiring after the retention
//!   period, renewed by each write;
//! - `{prefix}unanswered`: a hash of unanswered questions by `Unanswered::key`, and
//!   `{prefix}unanswered:seen`, a sorted set of the same keys by when they were last asked (for
//!   the cap and the retention purge);
//! - `{prefix}delivery:{id}`: a delivery already handled (a Telegram update), for a day.
//!
//! Every write is one Lua script, so it is applied whole or not at all. A conditional write
//! (`write_if`) checks the revision inside the script: two processes taking turns for one user
//! cannot both write on the same revision. A write retried after a lost connection whose first
//! try had been applied finds its own record there and succeeds, so a turn is never applied
//! twice. Lost connections are retried with backoff (`RedisOptions::attempts`); then the
//! operation fails with a `StoreError` that names the server (never its password).
//!
//! Durability is the server's: a write has reached Redis when the script returns, and is on
//! disk according to Redis's `appendonly`/`appendfsync` (see deploy/README.md).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use engine::{
    Commit, DELIVERY_MEMORY, MAX_UNANSWERED, StateStore, StoreError, Unanswered, UserKey,
    UserState, Version,
};
use redis::{Connection, RedisError, RedisResult, Script};

use crate::{Read, decode, encode};

/// How a Redis store connects and what it keeps.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Every key begins with this (`careerbot:` by default), so that several bots (or tests)
    /// can share one database.
    pub prefix: String,
    /// A user's record expires this long after its last write (`None`: kept until deleted).
    pub retention: Option<Duration>,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for a reply, or to send a command.
    pub io_timeout: Duration,
    /// How many times an operation is tried when the connection fails (at least 1).
    pub attempts: u32,
    /// The wait before the first retry; each later one waits four times longer.
    pub backoff: Duration,
}

impl Default for RedisOptions {
    fn default() -> RedisOptions {
        RedisOptions {
            prefix: DEFAULT_PREFIX.to_owned(),
            retention: None,
            connect_timeout: Duration::from_secs(2),
            io_timeout: Duration::from_secs(2),
            attempts: 4,
            backoff: Duration::from_millis(50),
        }
    }
}

/// The key prefix unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "careerbot:";
/// Idle connections kept for reuse.
const POOL: usize = 16;
/// How many times an unanswered question is read, merged and written before giving up, when
/// other processes keep counting it at the same moment.
const MERGE_TRIES: u32 = 32;
/// Keys asked for per SCAN call.
const SCAN_BATCH: usize = 500;

/// A Redis-backed state store. Clones share the connections.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// `host:port/db`, for messages: never the password.
    address: String,
    options: RedisOptions,
    idle: Mutex<Vec<Connection>>,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.inner.address)
            .field("prefix", &self.inner.options.prefix)
            .finish_non_exhaustive()
    }
}

/// The Lua scripts, each one atomic on the server.
struct Scripts {
    write_if: Script,
    remove_if: Script,
    record_unanswered: Script,
    purge_unanswered: Script,
}

/// `KEYS[1]`: the user's hash. `ARGV`: the expected revision (`any`, `0` for none, `-1` for
/// unreadable), the record, the expiry in milliseconds (0: none), and `1` when this is a retry
/// after a lost connection. Returns the new revision, or -1 on a conflict. On a retry, a record
/// already there at the revision this write would make, with the same bytes, is this write's
/// first try, applied: it succeeds. (Only on a retry: otherwise it may be another process's
/// identical turn, which must not stand for this one.)
const WRITE_IF: &str = r"
local raw = redis.call('HGET', KEYS[1], 'rev')
local current = 0
if raw then current = tonumber(raw) or -1 end
if ARGV[1] ~= 'any' then
  local expected = tonumber(ARGV[1])
  if current ~= expected then
    local after = 1
    if expected > 0 then after = expected + 1 end
    if ARGV[4] == '1' and current == after and redis.call('HGET', KEYS[1], 'data') == ARGV[2] then
      return current
    end
    return -1
  end
end
local rev = 1
if current > 0 then rev = current + 1 end
redis.call('HSET', KEYS[1], 'rev', rev, 'data', ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
return rev
";

/// `KEYS[1]`: the user's hash. `ARGV`: the expected revision (as for `WRITE_IF`), and `1` when
/// this is a retry (then a record already gone is this removal, applied). Returns 1 when a
/// record was deleted, 0 when there was none, -1 on a conflict.
const REMOVE_IF: &str = r"
local raw = redis.call('HGET', KEYS[1], 'rev')
local current = 0
if raw then current = tonumber(raw) or -1 end
if ARGV[1] ~= 'any' and tonumber(ARGV[1]) ~= current then
  if current == 0 and ARGV[2] == '1' then return 0 end
  return -1
end
return redis.call('DEL', KEYS[1])
";

/// `KEYS`: the questions' hash, the sorted set of when each was last asked. `ARGV`: the
/// question's key, the record read before (empty: none), the merged record, when it was last
/// asked, the cap, and `1` on a retry after a lost connection (then the merged record already
/// there is this write's first try). Returns 0 when the record changed since it was read (read
/// and merge again).
const RECORD_UNANSWERED: &str = r"
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[6] == '1' and current == ARGV[3] then return 1 end
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
if not current then
  local over = redis.call('HLEN', KEYS[1]) - tonumber(ARGV[5])
  if over > 0 then
    for _, oldest in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
      redis.call('HDEL', KEYS[1], oldest)
      redis.call('ZREM', KEYS[2], oldest)
    end
  end
end
return 1
";

/// `KEYS`: as for `RECORD_UNANSWERED`. `ARGV`: the cut-off. Deletes the questions last asked
/// before it; returns how many.
const PURGE_UNANSWERED: &str = r"
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, key in ipairs(old) do
  redis.call('HDEL', KEYS[1], key)
  redis.call('ZREM', KEYS[2], key)
end
return #old
";

impl RedisStore {
    /// Connects to the Redis server at `url` (`redis://[:PASSWORD@]HOST:PORT/DB`) and checks
    /// that it answers (PING), so that a wrong address stops start-up with a clear error.
    pub fn open(url: &str, options: RedisOptions) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(|e| {
            StoreError::Storage(format!(
                "the Redis URL {} is not valid: {}",
                redact(url),
                e.category()
            ))
        })?;
        let info = client.get_connection_info();
        let address = format!("{}/{}", info.addr(), info.redis_settings().db());
        let store = RedisStore {
            inner: Arc::new(Inner {
                client,
                address,
                options: RedisOptions {
                    attempts: options.attempts.max(1),
                    ..options
                },
                idle: Mutex::default(),
                scripts: Scripts {
                    write_if: Script::new(WRITE_IF),
                    remove_if: Script::new(REMOVE_IF),
                    record_unanswered: Script::new(RECORD_UNANSWERED),
                    purge_unanswered: Script::new(PURGE_UNANSWERED),
                },
            }),
        };
        store.run("connecting", |con| {
            redis::cmd("PING").query::<String>(con).map(drop)
        })?;
        Ok(store)
    }

    /// The server, as `host:port/db`.
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.options.prefix
    }

    /// Reads a user's record, telling a missing record from a corrupt one.
    pub fn read(&self, user: &UserKey) -> Result<Read, StoreError> {
        let (_, data) = self.fetch(user)?;
        Ok(match data {
            None => Read::Missing,
            Some(bytes) => decode(&bytes),
        })
    }

    /// Every user key in the store (under the prefix).
    pub fn users(&self) -> Result<Vec<String>, StoreError> {
        let start = self.user_key_prefix();
        Ok(self
            .scan(&format!("{}*", glob_escape(&start)))?
            .into_iter()
            .filter_map(|key| key.strip_prefix(&start).map(str::to_owned))
            .collect())
    }

    /// Writes raw bytes as a user's record, bypassing encoding (for tests of corrupt records).
    #[doc(hidden)]
    pub fn put_raw(&self, user: &UserKey, bytes: &[u8]) -> Result<(), StoreError> {
        let key = self.user_key(user);
        self.run("writing", |con| {
            redis::cmd("HSET")
                .arg(&key)
                .arg("rev")
                .arg(1)
                .arg("data")
                .arg(bytes)
                .query::<i64>(con)
                .map(drop)
        })
    }

    /// Deletes every key under the prefix; returns how many (for tests and the bench).
    pub fn clear(&self) -> Result<usize, StoreError> {
        let keys = self.scan(&format!("{}*", glob_escape(self.prefix())))?;
        let mut deleted = 0;
        for batch in keys.chunks(SCAN_BATCH) {
            deleted += self.run("deleting", |con| {
                redis::cmd("DEL").arg(batch).query::<usize>(con)
            })?;
        }
        Ok(deleted)
    }

    /// The time to live of a user's record, if it has one (for tests of retention).
    pub fn expires_in(&self, user: &UserKey) -> Result<Option<Duration>, StoreError> {
        let key = self.user_key(user);
        let millis = self.run("reading", |con| {
            redis::cmd("PTTL").arg(&key).query::<i64>(con)
        })?;
        Ok(u64::try_from(millis).ok().map(Duration::from_millis))
    }

    fn user_key_prefix(&self) -> String {
        format!("{}user:", self.prefix())
    }

    fn user_key(&self, user: &UserKey) -> String {
        format!("{}user:{}", self.prefix(), user.as_str())
    }

    fn unanswered_keys(&self) -> [String; 2] {
        [
            format!("{}unanswered", self.prefix()),
            format!("{}unanswered:seen", self.prefix()),
        ]
    }

    /// A user's revision field and record, as stored.
    fn fetch(&self, user: &UserKey) -> Result<(Option<String>, Option<Vec<u8>>), StoreError> {
        let key = self.user_key(user);
        self.run("reading", |con| {
            redis::cmd("HMGET")
                .arg(&key)
                .arg("rev")
                .arg("data")
                .query(con)
        })
    }

    /// Every key matching `pattern`, by SCAN in bounded batches (never KEYS).
    fn scan(&self, pattern: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = self.run("listing keys", |con| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH)
                    .query(con)
            })?;
            keys.extend(batch);
            if next == 0 {
                keys.sort_unstable();
                keys.dedup();
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// Runs `operation` on a pooled connection. A failed connection is dropped and the
    /// operation tried again on a new one, with backoff, up to `attempts` times; `operation`
    /// is told which attempt it is (from 0), so that a write can recognise its own earlier try.
    fn run_attempts<T>(
        &self,
        doing: &str,
        mut operation: impl FnMut(&mut Connection, u32) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        let options = &self.inner.options;
        let mut wait = options.backoff;
        let mut attempt = 0;
        loop {
            let result = self.connection().and_then(|mut con| {
                let result = operation(&mut con, attempt);
                if result.is_ok() {
                    self.give_back(con);
                }
                result
            });
            match result {
                Ok(value) => return Ok(value),
                Err(error) if retryable(&error) && attempt + 1 < options.attempts => {
                    tracing::warn!(
                        server = %self.inner.address,
                        attempt = attempt + 1,
                        "Redis {doing}: {}; retrying in {wait:?}",
                        describe(&error)
                    );
                    std::thread::sleep(wait);
                    wait *= 4;
                    attempt += 1;
                }
                Err(error) => {
                    return Err(StoreError::Storage(format!(
                        "Redis at {}, {doing}: {}",
                        self.inner.address,
                        describe(&error)
                    )));
                }
            }
        }
    }

    fn run<T>(
        &self,
        doing: &str,
        mut operation: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        self.run_attempts(doing, |con, _| operation(con))
    }

    /// An idle connection, or a new one with the configured timeouts.
    fn connection(&self) -> RedisResult<Connection> {
        if let Some(con) = self.idle().pop() {
            return Ok(con);
        }
        let options = &self.inner.options;
        let con = self
            .inner
            .client
            .get_connection_with_timeout(options.connect_timeout)?;
        con.set_read_timeout(Some(options.io_timeout))?;
        con.set_write_timeout(Some(options.io_timeout))?;
        let mut con = con;
        // Named after the prefix, so that CLIENT LIST shows whose connection it is.
        redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(self.client_name())
            .query::<()>(&mut con)?;
        Ok(con)
    }

    /// The name its connections give themselves: `careerbot-` and the prefix, anything but
    /// letters, digits, `:`, `_` and `-` replaced by `_`.
    pub fn client_name(&self) -> String {
        let prefix: String = self
            .prefix()
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | ':' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        format!("careerbot-{prefix}")
    }

    fn give_back(&self, con: Connection) {
        let mut idle = self.idle();
        if idle.len() < POOL {
            idle.push(con);
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The expiry of a user's record, in milliseconds (0: none).
    fn retention_millis(&self) -> u64 {
        self.inner.options.retention.map_or(0, |d| {
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
        })
    }
}

/// Whether an error may go away on a new connection: the connection failed or timed out, or
/// the server is still loading its data.
fn retryable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        || error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
}

/// A short random wait before the `n`th try again, up to 100 µs × 2ⁿ (at most 6.4 ms).
fn jitter(n: u32) -> Duration {
    use std::hash::BuildHasher as _;
    let ceiling = 100u64 << n.min(6);
    let random = std::hash::RandomState::new().hash_one((n, std::time::Instant::now()));
    Duration::from_micros(random % ceiling)
}

/// An error for a message: what failed, without anything from the URL.
fn describe(error: &RedisError) -> String {
    error.to_string()
}

/// A Redis URL with its password, if any, replaced by `***` (for messages and `config`).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparsable)".to_owned(),
    }
}

/// `text` with the characters SCAN's MATCH treats as a pattern escaped.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A version as the scripts take it.
fn version_arg(version: Version) -> String {
    match version {
        Version::ANY => "any".to_owned(),
        Version::UNREADABLE => "-1".to_owned(),
        other => other.number().to_string(),
    }
}

/// A stored revision field as a version.
fn version_of(rev: Option<&str>) -> Version {
    match rev.map(str::parse::<u64>) {
        None => Version::ABSENT,
        Some(Ok(n)) if n > 0 && n < Version::UNREADABLE.number() => Version::new(n),
        Some(_) => Version::UNREADABLE,
    }
}

impl StateStore for RedisStore {
    fn load(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        self.load_versioned(user).map(|(state, _)| state)
    }

    fn save(&self, user: &UserKey, state: &UserState) -> Result<(), StoreError> {
        self.write(user, state).map(drop)
    }

    fn delete(&self, user: &UserKey) -> Result<bool, StoreError> {
        self.remove(user).map(|(removed, _)| removed)
    }

    fn write(&self, user: &UserKey, state: &UserState) -> Result<Commit, StoreError> {
        self.write_if(user, state, Version::ANY)
    }

    fn remove(&self, user: &UserKey) -> Result<(bool, Commit), StoreError> {
        self.remove_if(user, Version::ANY)
    }

    fn load_versioned(&self, user: &UserKey) -> Result<(Option<UserState>, Version), StoreError> {
        let (rev, data) = self.fetch(user)?;
        let version = match (&rev, &data) {
            (None, None) => Version::ABSENT,
            _ => version_of(rev.as_deref()),
        };
        let state = match data.as_deref().map(decode) {
            None | Some(Read::Missing) => None,
            Some(Read::Found(state)) => Some(*state),
            Some(Read::Corrupt(reason)) => {
                tracing::warn!(user = %user, %reason, "unreadable state record; starting this user afresh");
                None
            }
        };
        Ok((state, version))
    }

    fn write_if(
        &self,
        user: &UserKey,
        state: &UserState,
        expected: Version,
    ) -> Result<Commit, StoreError> {
        let key = self.user_key(user);
        let record = encode(state, None)?;
        let (expected, ttl) = (version_arg(expected), self.retention_millis());
        let rev: i64 = self.run_attempts("writing", |con, attempt| {
            self.inner
                .scripts
                .write_if
                .key(&key)
                .arg(&expected)
                .arg(&record)
                .arg(ttl)
                .arg(u8::from(attempt > 0))
                .invoke(con)
        })?;
        if rev < 0 {
            return Err(StoreError::Conflict);
        }
        Ok(Commit::DURABLE)
    }

    fn remove_if(&self, user: &UserKey, expected: Version) -> Result<(bool, Commit), StoreError> {
        let key = self.user_key(user);
        let expected = version_arg(expected);
        let removed: i64 = self.run_attempts("deleting", |con, attempt| {
            self.inner
                .scripts
                .remove_if
                .key(&key)
                .arg(&expected)
                .arg(u8::from(attempt > 0))
                .invoke(con)
        })?;
        if removed < 0 {
            return Err(StoreError::Conflict);
        }
        Ok((removed > 0, Commit::DURABLE))
    }

    fn first_delivery(&self, id: &str, now: u64) -> Result<bool, StoreError> {
        use std::hash::BuildHasher as _;
        let key = format!("{}delivery:{id}", self.prefix());
        // Unique to this call, so that a retry can tell its own first try from another's.
        let stamp = format!(
            "{now}:{:x}",
            std::hash::RandomState::new().hash_one((id, std::time::Instant::now()))
        );
        let set: Option<String> = self.run_attempts("recording a delivery", |con, attempt| {
            if attempt > 0 {
                // The first try may have set it and lost the reply: a key holding our own
                // stamp is ours.
                let held: Option<String> = redis::cmd("GET").arg(&key).query(con)?;
                if held.as_deref() == Some(stamp.as_str()) {
                    return Ok(Some("OK".to_owned()));
                }
            }
            redis::cmd("SET")
                .arg(&key)
                .arg(&stamp)
                .arg("NX")
                .arg("EX")
                .arg(DELIVERY_MEMORY)
                .query(con)
        })?;
        Ok(set.is_some())
    }

    /// Users are also forgotten by Redis itself when their record expires (the retention
    /// period); this deletes those last active before `before`, each only if unchanged since
    /// it was read, so a turn taken meanwhile is kept.
    fn purge(&self, before: u64) -> Result<usize, StoreError> {
        let mut purged = 0;
        for user in self.users()? {
            let user = UserKey::from_stored(user);
            let (rev, data) = self.fetch(&user)?;
            let Some(data) = data else { continue };
            // Unreadable records are left alone: they reset when their user next writes.
            if let Read::Found(state) = decode(&data)
                && state.updated_at < before
            {
                match self.remove_if(&user, version_of(rev.as_deref())) {
                    Ok((removed, _)) => purged += usize::from(removed),
                    Err(StoreError::Conflict) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(purged)
    }

    fn user_count(&self) -> Result<usize, StoreError> {
        Ok(self.users()?.len())
    }

    fn record_unanswered(&self, question: &Unanswered) -> Result<(), StoreError> {
        let [questions, seen] = self.unanswered_keys();
        let field = question.key();
        // Read, merge, write if unchanged: two processes counting the same question both count.
        for tries in 0..MERGE_TRIES {
            if tries > 0 {
                std::thread::sleep(jitter(tries));
            }
            let before: Option<String> = self.run("reading", |con| {
                redis::cmd("HGET").arg(&questions).arg(&field).query(con)
            })?;
            let merged = match before
                .as_deref()
                .and_then(|text| serde_json::from_str::<Unanswered>(text).ok())
            {
                Some(mut known) => {
                    known.merge(question);
                    known
                }
                None => question.clone(),
            };
            let text =
                serde_json::to_string(&merged).map_err(|e| StoreError::Storage(e.to_string()))?;
            let done: i64 = self.run_attempts("writing", |con, attempt| {
                self.inner
                    .scripts
                    .record_unanswered
                    .key(&questions)
                    .key(&seen)
                    .arg(&field)
                    .arg(before.as_deref().unwrap_or(""))
                    .arg(&text)
                    .arg(merged.last_seen)
                    .arg(MAX_UNANSWERED)
                    .arg(u8::from(attempt > 0))
                    .invoke(con)
            })?;
            if done == 1 {
                return Ok(());
            }
        }
        Err(StoreError::Conflict)
    }

    fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        let [questions, _] = self.unanswered_keys();
        let texts: Vec<String> = self.run("reading", |con| {
            redis::cmd("HVALS").arg(&questions).query(con)
        })?;
        Ok(texts
            .iter()
            .filter_map(|text| match serde_json::from_str(text) {
                Ok(question) => Some(question),
                Err(error) => {
                    tracing::warn!("unreadable unanswered question skipped: {error}");
                    None
                }
            })
            .collect())
    }

    fn purge_unanswered(&self, before: u64) -> Result<usize, StoreError> {
        let [questions, seen] = self.unanswered_keys();
        self.run("deleting", |con| {
            self.inner
                .scripts
                .purge_unanswered
                .key(&questions)
                .key(&seen)
                .arg(before)
                .invoke(con)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("redis://:hunter2@db.example:6379/3"),
            "redis://:***@db.example:6379/3"
        );
        assert_eq!(
            redact("redis://127.0.0.1:6390/0"),
            "redis://127.0.0.1:6390/0"
        );
        let error = RedisStore::open(
            "redis://:hunter2@127.0.0.1:1/0",
            RedisOptions {
                attempts: 1,
                connect_timeout: Duration::from_millis(200),
                ..RedisOptions::default()
            },
        )
        .expect_err("nothing listens on port 1");
        let text = error.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("127.0.0.1:1/0"), "{text}");
    }

    #[test]
    fn versions_as_the_scripts_take_them() {
        assert_eq!(version_arg(Version::ANY), "any");
        assert_eq!(version_arg(Version::ABSENT), "0");
        assert_eq!(version_arg(Version::UNREADABLE), "-1");
        assert_eq!(version_arg(Version::new(7)), "7");
        assert_eq!(version_of(None), Version::ABSENT);
        assert_eq!(version_of(Some("3")), Version::new(3));
        assert_eq!(version_of(Some("x")), Version::UNREADABLE);
        assert_eq!(glob_escape("a*b[c]"), "a\\*b\\[c\\]");
    }
}
