//! Hostile and odd input, through the real binary and a real sled store: every message gets a
//! reply, every bad line an error line, and bad content, a bad data directory or a corrupt record
//! a clear error or a reset of that user only; never a panic or a hang.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use engine::{StateStore as _, UserKey, UserState};
use serde_json::{Value, json};
use store::SledStore;

fn careerbot(data: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_careerbot"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("CAREERBOT_DATA")
        .env_remove("CAREERBOT_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("careerbot runs");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    // Written from a thread of its own: a large input must not wait for the output to be read.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("careerbot finishes");
    writer.join().expect("stdin written");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `chat --jsonl` on `input` and returns the output lines, each checked to be JSON.
fn jsonl(data: &Path, input: &[u8]) -> Vec<Value> {
    let output = careerbot(data, &["chat", "--jsonl"], input);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("the output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every output line is JSON"))
        .collect()
}

fn request(user: &str, text: &str) -> String {
    format!("{}\n", json!({"user": user, "text": text}))
}

fn reply(line: &Value) -> &str {
    line["reply"].as_str().unwrap_or_default()
}

#[test]
fn empty_blank_and_control_character_messages_get_a_reply() {
    let data = tempfile::tempdir().expect("temp dir");
    let messages = [
        "",
        "   \t  ",
        "\u{0}",
        "\u{0}\u{7}\u{8}how\u{0} do I apply\tfor nhs jobs?\u{7f}\r",
        "\u{1b}[31mhow do I apply for nhs jobs?\u{1b}[0m",
        "\u{feff}\u{200b}\u{200c}\u{200d}\u{2060}",
        "\u{202e}how do I apply for nhs jobs?\u{202c}",
        "👩‍⚕️ how do i become a nurse 🙏🏽",
        "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
        "كيف يمكنني أن أصبح ممرضة؟",
        "איך להיות אחות",
        "ﬁnd nhs jobs Ⅻ ＮＨＳ",
    ];
    let input: String = messages.iter().map(|m| request("odd", m)).collect();
    let lines = jsonl(data.path(), input.as_bytes());
    assert_eq!(lines.len(), messages.len(), "{lines:#?}");
    for (line, message) in lines.iter().zip(messages) {
        assert!(line["error"].is_null(), "{message:?}: {line}");
        assert!(!reply(line).trim().is_empty(), "{message:?}: {line}");
        assert!(
            !reply(line).contains('\u{0}') && !reply(line).contains('\u{1b}'),
            "{message:?}: control characters echoed: {line}"
        );
    }
    // Control characters do not hide a question.
    assert_eq!(lines[3]["fallback"], false, "{}", lines[3]);
}

#[test]
fn a_megabyte_of_one_word_or_of_many_words_is_answered() {
    let data = tempfile::tempdir().expect("temp dir");
    let one_word = "a".repeat(1 << 20);
    let many_words = "how do i apply for nhs jobs ".repeat((1 << 20) / 28);
    let typos = "nursng qualificatons ".repeat((1 << 20) / 21);
    let input = [&one_word, &many_words, &typos]
        .map(|text| request("huge", text))
        .concat();
    let started = Instant::now();
    let lines = jsonl(data.path(), input.as_bytes());
    let elapsed = started.elapsed();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(line["error"].is_null(), "{line}");
        assert!(!reply(line).is_empty(), "{line}");
    }
    // Reported, never asserted: timing depends on the machine (see `careerbot bench`).
    #[allow(clippy::print_stderr)]
    {
        let micros: Vec<&Value> = lines.iter().map(|l| &l["micros"]).collect();
        eprintln!("1 MB messages: engine µs {micros:?}; whole run {elapsed:?}");
    }
    // What is remembered of a huge message is bounded.
    let store = SledStore::open(data.path()).expect("store");
    let state = store
        .load(&UserKey::new("cli", "huge"))
        .expect("load")
        .expect("stored");
    assert!(state.turns.iter().all(|t| t.text.chars().count() <= 200));
}

#[test]
fn invalid_utf8_and_invalid_json_lines_get_error_lines_and_the_run_goes_on() {
    let data = tempfile::tempdir().expect("temp dir");
    let nested = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let mut input: Vec<u8> = Vec::new();
    let bad: [&[u8]; 10] = [
        b"\xff\xfe\xfd",
        b"{\"user\": \"a\", \"text\": \"caf\xe9\"}",
        b"{\"user\":",
        b"{\"user\": \"a\", \"text\": 5}",
        b"{\"user\": \"a\", \"text\": \"hi\"} trailing",
        b"{\"user\": \"a\", \"text\": \"hi\", \"extra\": true}",
        b"{\"user\": \"a\", \"press\": null, \"text\": null}",
        b"{\"user\": \"   \", \"text\": \"hi\"}",
        b"{\"user\": \"a\", \"text\": \"\\ud800\"}",
        nested.as_bytes(),
    ];
    for line in bad {
        input.extend_from_slice(line);
        input.push(b'\n');
        input.extend_from_slice(request("a", "hello").as_bytes());
    }
    // A last line without a newline is still read.
    input.extend_from_slice(br#"{"user": "a", "text": "thanks"}"#);
    let lines = jsonl(data.path(), &input);
    assert_eq!(lines.len(), 2 * bad.len() + 1, "{lines:#?}");
    for (n, pair) in lines.chunks(2).enumerate() {
        if pair.len() == 2 {
            assert!(
                pair[0]["error"].is_string(),
                "line {}: {}",
                2 * n + 1,
                pair[0]
            );
        }
        let last = pair.last().expect("a line");
        assert_eq!(last["user"], "a", "the run went on: {last}");
        assert!(!reply(last).is_empty());
    }
}

/// A copy of the repository's content in a temporary folder, for breaking.
fn content_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("temp dir");
    let (knowledge, intents) = (dir.path().join("knowledge"), dir.path().join("intents"));
    common::copy_dir(&root.join("knowledge"), &knowledge);
    common::copy_dir(&root.join("intents"), &intents);
    (dir, knowledge, intents)
}

#[test]
fn a_malformed_knowledge_or_intent_file_stops_start_up_with_its_file_and_line() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "intents/smalltalk.toml",
            "\n[[intent]\n",
            "intents/smalltalk.toml:",
        ),
        (
            "intents/lexicon.toml",
            "\n[synonyms]\nx = 5\n",
            "intents/lexicon.toml:",
        ),
        (
            "intents/messages.toml",
            "\nnot toml at all\n",
            "intents/messages.toml:",
        ),
        (
            "intents/messages.toml",
            "\n[[aspect]]\nentry = \"apply.nowhere\"\nask = \"Nowhere?\"\nphrases = [\"x\"]\n",
            "intents/messages.toml:",
        ),
        (
            "knowledge/roles/broken.toml",
            "id = \"roles.broken\"\nname = [\n",
            "knowledge/roles/broken.toml:",
        ),
    ];
    for (file, appended, expect) in cases {
        let (dir, knowledge, intents) = content_copy();
        let path = dir.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(appended);
        std::fs::write(&path, &text).expect("write");
        let data = tempfile::tempdir().expect("temp dir");
        let args = [
            "--knowledge",
            knowledge.to_str().expect("UTF-8"),
            "--intents",
            intents.to_str().expect("UTF-8"),
            "ask",
            "hi",
        ];
        let output = careerbot(data.path(), &args, b"");
        assert_eq!(output.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let at = stderr
            .find(expect)
            .unwrap_or_else(|| panic!("{file}: {stderr}"));
        let line = stderr[at + expect.len()..]
            .split(':')
            .next()
            .and_then(|n| n.parse::<usize>().ok());
        // At most one past the last line: an error at the end of the file.
        assert!(
            line.is_some_and(|n| n > 1 && n <= text.lines().count() + 1),
            "{file}: no line number: {stderr}"
        );
    }
}

#[test]
fn a_data_path_that_cannot_hold_a_store_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("data");
    std::fs::write(&file, "a file, not a folder").expect("write");
    let output = careerbot(&file, &["chat", "--jsonl"], request("a", "hi").as_bytes());
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "no reply without a store");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open the state store"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "a file, not a folder",
        "nothing overwritten"
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_data_directory_is_a_clear_error_and_loses_nothing() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let first = careerbot(
        &data,
        &["ask", "--user", "kept", "what apprenticeships are there?"],
        b"",
    );
    assert!(first.status.success());
    let set_mode = |mode: u32| {
        let paths = std::fs::read_dir(&data).expect("read_dir");
        for path in paths.map(|e| e.expect("entry").path()) {
            let mode = if path.is_dir() { mode | 0o111 } else { mode };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(mode | 0o111))
            .expect("chmod");
    };
    set_mode(0o444);
    // A privileged user (root in a container) writes anyway: then there is nothing to test.
    let writable = std::fs::write(data.join("probe"), "x").is_ok();
    if !writable {
        let output = careerbot(
            &data,
            &["chat", "--jsonl"],
            request("kept", "tell me more").as_bytes(),
        );
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("cannot open the state store"), "{stderr}");
    }
    set_mode(0o644);
    let _ = std::fs::remove_file(data.join("probe"));
    let store = SledStore::open(&data).expect("store");
    let kept = store.load(&UserKey::new("cli", "kept")).expect("load");
    assert_eq!(
        kept.map(|s| s.turn_count),
        Some(1),
        "nothing stored was lost"
    );
}

/// A full disk: the store's file is `/dev/full`, where every write fails with "no space".
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_clear_error_and_no_reply_is_given_for_a_turn_not_stored() {
    let data = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink("/dev/full", data.path().join("db")).expect("symlink");
    let output = careerbot(
        data.path(),
        &["chat", "--jsonl"],
        request("a", "how do i apply for nhs jobs?").as_bytes(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "a reply was given for a turn whose state could not be stored: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn a_corrupt_record_resets_that_user_only() {
    let data = tempfile::tempdir().expect("temp dir");
    let ask = |user: &str, text: &str| {
        let output = careerbot(data.path(), &["ask", "--json", "--user", user, text], b"");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let reply: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        (reply, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    ask("good", "what apprenticeships are there?");
    ask("bad", "what apprenticeships are there?");
    let good_before = {
        let store = SledStore::open(data.path()).expect("store");
        store
            .put_raw(&UserKey::new("cli", "bad"), b"\x00\xffnot json{")
            .expect("corrupt");
        store.load(&UserKey::new("cli", "good")).expect("load")
    };
    let (reply, stderr) = ask("bad", "hello");
    assert!(!reply["reply"].as_str().unwrap_or_default().is_empty());
    assert!(stderr.contains("unreadable state record"), "{stderr}");
    let store = SledStore::open(data.path()).expect("store");
    let bad = store.load(&UserKey::new("cli", "bad")).expect("load");
    assert_eq!(bad.map(|s| s.turn_count), Some(1), "started afresh");
    let good = store.load(&UserKey::new("cli", "good")).expect("load");
    assert_eq!(good, good_before, "others untouched");
    assert!(good.is_some_and(|s: UserState| s.turn_count == 1));
}
