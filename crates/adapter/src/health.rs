//! Readiness: whether every started bot is connected to its platform, for `/readyz`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use render::Channel;

/// Whether one bot is connected. Cloned into the adapter, which reports its connection; the
/// default status is watched by no one.
#[derive(Debug, Clone, Default)]
pub struct Status {
    channel: Option<Channel>,
    connected: Arc<AtomicBool>,
}

impl Status {
    /// Reports whether the bot is connected (logged when it changes).
    pub fn set(&self, connected: bool) {
        let was = self.connected.swap(connected, Ordering::SeqCst);
        let Some(channel) = self.channel else {
            return;
        };
        metrics::gauge!(crate::metrics::CONNECTED, "channel" => channel.name()).set(if connected {
            1.0
        } else {
            0.0
        });
        match (was, connected) {
            (false, true) => tracing::info!(channel = channel.name(), "connected"),
            (true, false) => tracing::warn!(channel = channel.name(), "connection lost"),
            _ => {}
        }
    }

    /// True while the bot is connected.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
}

/// The health of a service running several bots: ready once every bot it started has
/// connected, and not while one is down or the service is stopping.
#[derive(Debug, Clone, Default)]
pub struct Health {
    bots: Arc<Mutex<Vec<(Channel, Status)>>>,
    stopping: Arc<AtomicBool>,
}

impl Health {
    /// Starts watching a bot on `channel`: the service is not ready until it connects.
    pub fn watch(&self, channel: Channel) -> Status {
        let status = Status {
            channel: Some(channel),
            connected: Arc::default(),
        };
        status.set(false);
        let mut bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        bots.push((channel, status.clone()));
        status
    }

    /// Marks the service as stopping: no longer ready.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Each watched bot's channel and whether it is connected.
    pub fn bots(&self) -> Vec<(Channel, bool)> {
        let bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        bots.iter()
            .map(|(channel, status)| (*channel, status.is_connected()))
            .collect()
    }

    /// True when at least one bot is watched, every one is connected and the service is not
    /// stopping.
    pub fn is_ready(&self) -> bool {
        let bots = self.bots();
        !self.stopping.load(Ordering::SeqCst) && !bots.is_empty() && bots.iter().all(|(_, up)| *up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_every_bot_is_connected_and_not_while_one_is_down() {
        let health = Health::default();
        assert!(!health.is_ready(), "no bot started");
        let telegram = health.watch(Channel::Telegram);
        let discord = health.watch(Channel::Discord);
        assert!(!health.is_ready());
        telegram.set(true);
        assert!(!health.is_ready(), "Discord is not connected yet");
        discord.set(true);
        assert!(health.is_ready());
        discord.set(false);
        assert!(!health.is_ready(), "Discord is down");
        assert_eq!(
            health.bots(),
            [(Channel::Telegram, true), (Channel::Discord, false)]
        );
        discord.set(true);
        assert!(health.is_ready());
        health.stopping();
        assert!(!health.is_ready(), "stopping");
        Status::default().set(true); // watched by no one: harmless
    }
}
