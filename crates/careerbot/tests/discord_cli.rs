//! `careerbot discord` start-up, run against the real binary: a missing token and an
//! unreachable Discord are clear errors that never show the token. (The bot itself is tested end
//! to end against a fake Discord in `crates/discord/tests`.)

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "MTAx.cli-test-token.secret";

fn discord(data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_careerbot"));
    command
        .arg("--data")
        .arg(data)
        .arg("--log")
        .arg("debug")
        .arg("discord")
        .args(args)
        .env_remove("CAREERBOT_DATA")
        .env_remove("DISCORD_TOKEN")
        .env_remove("DISCORD_API_URL")
        .env_remove("DISCORD_CHANNELS")
        .env_remove("DISCORD_SHARDS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().expect("careerbot runs")
}

/// Waits at most 20 s for `child` to exit (killing it otherwise).
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("careerbot discord did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_missing_token_is_a_clear_error() {
    let data = tempfile::tempdir().expect("temp dir");
    let output = finish(discord(data.path(), &[], &[]));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DISCORD_TOKEN"), "{stderr}");

    let output = finish(discord(data.path(), &["--shards", "0"], &[]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unreachable_discord_is_an_error_without_the_token() {
    let data = tempfile::tempdir().expect("temp dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let env = [("DISCORD_TOKEN", TOKEN), ("DISCORD_API_URL", url.as_str())];
    let output = finish(discord(data.path(), &["--channel", "12"], &env));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("careerbot: Discord:"), "{stderr}");
    assert!(
        !stderr.contains("cli-test-token"),
        "the token leaked: {stderr}"
    );
}
