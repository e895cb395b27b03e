//! `careerbot discord`: the Discord bot (the `discord` crate does the work).

use crate::setup::Config;

/// Runs the Discord bot until Ctrl-C or SIGTERM, with the token and the other Discord settings
/// from the environment and `channels` and `shards` from the flags.
pub fn run(config: &Config, channels: &[u64], shards: Option<u32>) -> anyhow::Result<()> {
    let settings = discord::Config::from_env(channels, shards)?;
    let conversations = config.conversations()?;
    tracing::info!(
        data = %config.data.display(),
        channels = settings.channels.len(),
        shards = ?settings.shards,
        "starting the Discord bot"
    );
    discord::run(settings, conversations)?;
    Ok(())
}
