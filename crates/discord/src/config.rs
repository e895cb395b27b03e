//! The adapter's settings: the bot token, an optional API base URL, the channels where every
//! message is answered, and sharding.

use adapter::{Secret, Status};

use crate::Error;

/// The environment variable holding the bot token.
pub const TOKEN_VAR: &str = "DISCORD_TOKEN";
/// The environment variable holding an API base URL replacing `https://discord.com`.
pub const API_URL_VAR: &str = "DISCORD_API_URL";
/// The environment variable listing channel ids (comma-separated) where every message is
/// answered.
pub const CHANNELS_VAR: &str = "DISCORD_CHANNELS";

/// How the adapter connects to Discord.
#[derive(Debug, Clone)]
pub struct Config {
    /// The bot token.
    pub token: Secret,
    /// A base URL replacing `https://discord.com` (a test fake or a rate-limiting proxy). With
    /// one, serenity's own rate limiter is off: the proxy is expected to limit.
    pub api_url: Option<String>,
    /// Channels where every message is answered, not only mentions.
    pub channels: Vec<u64>,
    /// The number of shards, or `None` for the number Discord recommends (autosharding).
    pub shards: Option<u32>,
    /// The shards this process runs, when several processes split the gateway (requires
    /// `shards`); `None`: all of them.
    pub shard_ids: Option<ShardIds>,
    /// Where the bot reports whether every shard is connected (READY received).
    pub status: Status,
}

impl Config {
    /// A configuration for the real Discord with `token`, autosharded, answering mentions only.
    pub fn new(token: Secret) -> Config {
        Config {
            token,
            api_url: None,
            channels: Vec::new(),
            shards: None,
            shard_ids: None,
            status: Status::default(),
        }
    }

    /// Reads `DISCORD_TOKEN` (required), `DISCORD_API_URL` and `DISCORD_CHANNELS` from the
    /// environment; `channels` (from flags) are added to those listed there.
    pub fn from_env(channels: &[u64], shards: Option<u32>) -> Result<Config, Error> {
        let token = Secret::from_env(TOKEN_VAR)?;
        let api_url = match std::env::var(API_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Some(api_url(&url)?),
            _ => None,
        };
        let mut all = parse_channels(&std::env::var(CHANNELS_VAR).unwrap_or_default())?;
        all.extend_from_slice(channels);
        all.sort_unstable();
        all.dedup();
        if shards == Some(0) {
            return Err(Error::Config("the shard count must be at least 1".into()));
        }
        Ok(Config {
            token,
            api_url,
            channels: all,
            shards,
            shard_ids: None,
            status: Status::default(),
        })
    }
}

/// A range of shard ids run by one process, first to last inclusive: several processes, each
/// with its own range, split one bot's gateway connections between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardIds {
    /// The first shard id.
    pub first: u32,
    /// The last shard id (included).
    pub last: u32,
}

impl ShardIds {
    /// Reads `A..B` (A up to B, B excluded, as in Rust), `A..=B` (B included) or `A` (one
    /// shard).
    pub fn parse(text: &str) -> Result<ShardIds, Error> {
        let bad = || {
            Error::Config(format!(
                "shard ids {text:?}: give a range such as 0..2 (shards 0 and 1), 0..=1 or 3"
            ))
        };
        let number = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        let (first, last) = match text.split_once("..") {
            None => (number(text)?, number(text)?),
            Some((a, b)) => match b.strip_prefix('=') {
                Some(b) => (number(a)?, number(b)?),
                None => (number(a)?, number(b)?.checked_sub(1).ok_or_else(bad)?),
            },
        };
        if first > last {
            return Err(bad());
        }
        Ok(ShardIds { first, last })
    }

    /// Checks the range against the total number of shards.
    pub fn check(self, total: Option<u32>) -> Result<ShardIds, Error> {
        match total {
            None => Err(Error::Config(
                "shard ids need the total number of shards too (--shards N)".into(),
            )),
            Some(total) if self.last >= total => Err(Error::Config(format!(
                "shard ids {}..={} are beyond the {total} shards (ids 0 to {})",
                self.first,
                self.last,
                total.saturating_sub(1)
            ))),
            Some(_) => Ok(self),
        }
    }

    /// Whether `shard` is in the range.
    pub fn contains(self, shard: u32) -> bool {
        (self.first..=self.last).contains(&shard)
    }
}

impl std::fmt::Display for ShardIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..={}", self.first, self.last)
    }
}

/// Checks an API base URL (`http://` or `https://`, no trailing slash kept).
pub fn api_url(url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_owned())
    } else {
        Err(Error::Config(format!(
            "{API_URL_VAR} must start with http:// or https://"
        )))
    }
}

/// Parses a comma-separated list of channel ids (spaces and empty items allowed).
pub fn parse_channels(list: &str) -> Result<Vec<u64>, Error> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.parse::<u64>() {
            Ok(id) if id > 0 => Ok(id),
            _ => Err(Error::Config(format!(
                "{CHANNELS_VAR}: {item:?} is not a channel id (a number)"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lists_parse() {
        assert_eq!(
            parse_channels(" 1, 22 ,,333 ").expect("valid"),
            [1, 22, 333]
        );
        assert!(parse_channels("").expect("valid").is_empty());
        assert!(parse_channels("12,general").is_err());
        assert!(parse_channels("0").is_err());
    }

    #[test]
    fn api_urls_lose_their_trailing_slash() {
        assert_eq!(
            api_url("http://127.0.0.1:8080/").expect("valid"),
            "http://127.0.0.1:8080"
        );
        assert!(api_url("127.0.0.1:8080").is_err());
    }

    #[test]
    fn shard_ranges() {
        let range = |first, last| ShardIds { first, last };
        assert_eq!(ShardIds::parse("0..2").expect("valid"), range(0, 1));
        assert_eq!(ShardIds::parse("2..=3").expect("valid"), range(2, 3));
        assert_eq!(ShardIds::parse(" 5 ").expect("valid"), range(5, 5));
        for bad in ["", "a..b", "3..3", "4..2", "1..=0", "-1..2"] {
            assert!(ShardIds::parse(bad).is_err(), "{bad}");
        }
        assert!(range(2, 3).check(Some(4)).is_ok());
        assert!(range(2, 4).check(Some(4)).is_err());
        assert!(range(0, 0).check(None).is_err(), "the total is needed");
        assert!(range(2, 3).contains(3) && !range(2, 3).contains(1));
    }

    #[test]
    fn the_token_is_never_shown() {
        let config = Config::new(Secret::new("MTIz.secret.token"));
        assert!(!format!("{config:?}").contains("secret"));
    }
}
