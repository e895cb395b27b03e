//! `careerbot telegram` end to end: the real binary against the fake Bot API of the telegram
//! crate's tests, stopped with SIGTERM.

#[path = "../../telegram/tests/fake_api/mod.rs"]
#[allow(dead_code)]
mod fake_api;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fake_api::FakeApi;

const SECRET: &str = "AAH-binary-test-secret";

fn careerbot_telegram(data: &std::path::Path, api_url: &str, token: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_careerbot"));
    command
        .args(["--log", "debug", "--data"])
        .arg(data)
        .arg("telegram")
        .env_remove("CAREERBOT_DATA")
        .env_remove("TELEGRAM_WEBHOOK_URL")
        .env("TELEGRAM_API_URL", api_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match token {
        Some(token) => command.env("TELEGRAM_TOKEN", token),
        None => command.env_remove("TELEGRAM_TOKEN"),
    };
    command
}

#[test]
fn telegram_needs_a_token() {
    let data = tempfile::tempdir().expect("temp dir");
    let output = careerbot_telegram(data.path(), "http://127.0.0.1:9", None)
        .output()
        .expect("careerbot runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("TELEGRAM_TOKEN"));
}

#[test]
#[cfg(unix)]
fn telegram_answers_and_stops_cleanly_on_sigterm() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let output = runtime.block_on(async {
        let fake = FakeApi::start().await;
        let data = tempfile::tempdir().expect("temp dir");
        let token = format!("42:{SECRET}");
        let child = careerbot_telegram(data.path(), &fake.url, Some(&token))
            .spawn()
            .expect("careerbot starts");
        let pid = child.id().to_string();
        let mut guard = KillOnDrop(Some(pid.clone()));
        let exited = tokio::task::spawn_blocking(move || child.wait_with_output());
        fake.push(fake_api::text(7, 7, "how do I apply for NHS jobs?"));
        let sent = fake.wait_for_messages(7, 1).await;
        assert!(
            sent[0]["text"]
                .as_str()
                .unwrap_or_default()
                .contains("NHS Jobs")
        );
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.expect("kill runs").success());
        let output: Output = tokio::time::timeout(Duration::from_secs(10), exited)
            .await
            .expect("careerbot stops within 10 s of SIGTERM")
            .expect("wait task")
            .expect("wait");
        guard.0 = None;
        output
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}\n{stderr}", output.status);
    assert!(!stderr.is_empty(), "debug logs were written");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

/// Kills the bot if the test fails before it exits, so no test leaves a process behind.
struct KillOnDrop(Option<String>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = &self.0 {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
}
