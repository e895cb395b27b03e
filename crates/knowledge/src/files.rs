//! Content files, from a folder or embedded in a binary.

use std::path::Path;

use crate::Error;

/// One content file: its path (for messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path, relative to the content folder's parent (e.g. `knowledge/apply/nhs-jobs.md`).
    pub path: String,
    /// The whole text.
    pub text: String,
}

/// Reads every file under `dir`, sorted by path, with paths written as `prefix/relative/path`.
pub fn read_dir(dir: &Path, prefix: &str) -> Result<Vec<SourceFile>, Error> {
    let mut files = Vec::new();
    collect(dir, dir, prefix, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect(root: &Path, dir: &Path, prefix: &str, out: &mut Vec<SourceFile>) -> Result<(), Error> {
    let read_error = |path: &Path, source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| read_error(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| read_error(dir, e))?.path();
        if path.is_dir() {
            collect(root, &path, prefix, out)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let relative = relative.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&path).map_err(|e| read_error(&path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| Error::Invalid {
            file: format!("{prefix}/{relative}"),
            line: 1,
            message: "the file is not UTF-8 text".to_owned(),
        })?;
        out.push(SourceFile {
            path: format!("{prefix}/{relative}"),
            text,
        });
    }
    Ok(())
}
