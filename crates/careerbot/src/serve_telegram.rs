//! `careerbot telegram`: the Telegram bot (configuration from the environment and flags).

use std::net::SocketAddr;

use crate::setup::Config;

/// Runs the Telegram bot until Ctrl-C or SIGTERM: long polling, or a webhook when `webhook_url`
/// is given.
pub fn run(config: &Config, webhook_url: Option<String>, listen: SocketAddr) -> anyhow::Result<()> {
    let mut telegram = telegram::Config::from_env()?;
    if let Some(url) = webhook_url {
        telegram.mode = telegram::Mode::Webhook { url, listen };
    }
    let conversations = config.conversations()?.with_flood_control();
    tracing::info!(data = %config.data.display(), "telegram bot starting");
    Ok(telegram::serve(telegram, conversations)?)
}
