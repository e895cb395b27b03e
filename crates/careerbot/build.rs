//! Embeds `knowledge/` and `intents/` in the binary, so that it runs from any directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let mut code = String::new();
    for (name, folder) in [("KNOWLEDGE", "knowledge"), ("INTENTS", "intents")] {
        let dir = root.join(folder);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        files.sort();
        writeln!(code, "/// Files of `{folder}/`, as (path, text).").expect("write");
        writeln!(code, "pub static {name}: &[(&str, &str)] = &[").expect("write");
        for file in files {
            let relative = file
                .strip_prefix(&root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            let absolute = file.canonicalize().expect("canonical path");
            writeln!(
                code,
                "    ({relative:?}, include_str!({:?})),",
                absolute.display().to_string()
            )
            .expect("write");
        }
        writeln!(code, "];").expect("write");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path
            .extension()
            .is_some_and(|e| e == "md" || e == "toml" || e == "txt")
        {
            files.push(path);
        }
    }
}
