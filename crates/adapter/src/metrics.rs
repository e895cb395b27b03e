//! The service's metrics, through the `metrics` facade: adapters and the binary record them
//! here; the binary installs a Prometheus recorder (`careerbot serve`). With no recorder
//! installed (the other commands, tests) recording does nothing.

use std::time::Duration;

use engine::Reply;
use render::Channel;

/// Turns taken, by `channel` and `fallback` (`true`/`false`).
pub const TURNS: &str = "careerbot_turns_total";
/// How long a whole turn took, the durable save included, by `channel` (seconds).
pub const TURN_DURATION: &str = "careerbot_turn_duration_seconds";
/// Messages left unanswered by flood control, by `channel`.
pub const IGNORED: &str = "careerbot_flood_ignored_total";
/// Users with state in the store.
pub const STORED_USERS: &str = "careerbot_stored_users";
/// Errors talking to a chat platform (a send or a request refused, a turn that failed), by
/// `channel`.
pub const ADAPTER_ERRORS: &str = "careerbot_adapter_errors_total";
/// Waits imposed by a platform's rate limits, by `channel`.
pub const RATE_LIMIT_WAITS: &str = "careerbot_rate_limit_waits_total";
/// How long those waits were, by `channel` (seconds).
pub const RATE_LIMIT_WAIT: &str = "careerbot_rate_limit_wait_seconds";
/// Whether each started bot is connected (1) or not (0), by `channel`.
pub const CONNECTED: &str = "careerbot_connected";
/// Reloads of the content, by `result` (`ok`, `error`).
pub const RELOADS: &str = "careerbot_reloads_total";

/// Upper bounds of the turn-duration histogram's buckets, in seconds: a turn is tens of
/// microseconds of engine time plus a disk flush.
pub const TURN_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Upper bounds of the rate-limit wait histogram's buckets, in seconds.
pub const WAIT_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

/// Gives every metric its help text (call once, after installing a recorder).
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        TURNS,
        "Turns taken, by channel and whether the reply was a fallback."
    );
    describe_histogram!(
        TURN_DURATION,
        Unit::Seconds,
        "Time to take a turn, the durable save of the user's state included."
    );
    describe_counter!(IGNORED, "Messages left unanswered by flood control.");
    describe_gauge!(STORED_USERS, "Users with state in the store.");
    describe_counter!(ADAPTER_ERRORS, "Errors talking to a chat platform.");
    describe_counter!(
        RATE_LIMIT_WAITS,
        "Waits imposed by a platform's rate limits."
    );
    describe_histogram!(
        RATE_LIMIT_WAIT,
        Unit::Seconds,
        "How long each wait for a platform's rate limits was."
    );
    describe_gauge!(
        CONNECTED,
        "1 while the bot for a channel is connected, else 0."
    );
    describe_counter!(RELOADS, "Reloads of knowledge and intents, by result.");
}

/// Records one turn on `channel` that took `took`: a silent reply (flood control) is counted
/// as ignored, not as a turn.
pub fn turn(channel: Channel, reply: &Reply, took: Duration) {
    let channel = channel.name();
    if reply.is_silent() {
        metrics::counter!(IGNORED, "channel" => channel).increment(1);
        return;
    }
    let fallback = if reply.fallback { "true" } else { "false" };
    metrics::counter!(TURNS, "channel" => channel, "fallback" => fallback).increment(1);
    metrics::histogram!(TURN_DURATION, "channel" => channel).record(took.as_secs_f64());
}

/// Records an error talking to the platform of `channel`.
pub fn adapter_error(channel: Channel) {
    metrics::counter!(ADAPTER_ERRORS, "channel" => channel.name()).increment(1);
}

/// Records a wait of `wait` imposed by the rate limits of `channel`'s platform.
pub fn rate_limit_wait(channel: Channel, wait: Duration) {
    let channel = channel.name();
    metrics::counter!(RATE_LIMIT_WAITS, "channel" => channel).increment(1);
    metrics::histogram!(RATE_LIMIT_WAIT, "channel" => channel).record(wait.as_secs_f64());
}

/// Records a reload of the content: `ok` or `error`.
pub fn reload(ok: bool) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(RELOADS, "result" => result).increment(1);
}

/// Records how many users have state stored.
pub fn stored_users(count: usize) {
    metrics::gauge!(STORED_USERS).set(u32::try_from(count).map_or(f64::MAX, f64::from));
}
