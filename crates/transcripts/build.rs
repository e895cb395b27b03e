//! Writes one `#[test]` per transcript in `tests/transcripts/`, so that a failure names its file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../../tests/transcripts");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let mut code = String::new();
    for file in files {
        let relative = file.strip_prefix(&dir).expect("under the folder");
        let name: String = relative
            .with_extension("")
            .to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let path = file.canonicalize().expect("canonical path");
        writeln!(
            code,
            "#[test]\nfn {name}() {{\n    check_file({:?});\n}}\n",
            path.display().to_string()
        )
        .expect("write");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("transcript_tests.rs");
    std::fs::write(out, code).expect("write transcript_tests.rs");
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "convo") {
            files.push(path);
        }
    }
}
