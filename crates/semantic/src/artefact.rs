//! The artefact's byte layout (written by scripts/semantic/build.py), read without copying.
//!
//! All numbers are little-endian:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | magic `CBSEMV01` |
//! | 4 × 7 | `u32`: dims, tokens, index of `[UNK]`, most characters in a word (longer words are `[UNK]`), most tokens read from a text, row format (0: `f32` rows; 1: an `f32` scale then `i8` values), length of the token text |
//! | 4 × (tokens + 1) | `u32` offsets of each token's text in the token text |
//! | length | the token text (UTF-8, tokens one after the other; continuations start with `##`) |
//! | tokens × row | the rows, one per token, in token order |

use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"CBSEMV01";
const HEADER: usize = 8 + 4 * 7;

/// How a token's row is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowFormat {
    /// `dims` little-endian `f32`.
    F32,
    /// One `f32` scale, then `dims` `i8`: value = scale × i8.
    I8,
}

/// Where everything lies in the artefact's bytes (validated once, then read without checks
/// beyond Rust's own bounds checks).
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub dims: usize,
    pub tokens: usize,
    pub unk: u32,
    pub max_chars: usize,
    pub max_tokens: usize,
    pub format: RowFormat,
    pub offsets: usize,
    pub text: usize,
    pub rows: usize,
    pub row_len: usize,
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

pub(crate) fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn field(bytes: &[u8], i: usize) -> usize {
    u32_at(bytes, 8 + 4 * i) as usize
}

impl Layout {
    pub(crate) fn read(bytes: &[u8]) -> Result<Layout> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(Error::Artefact("bad magic (expected CBSEMV01)"));
        }
        let (dims, tokens, unk) = (field(bytes, 0), field(bytes, 1), field(bytes, 2));
        let (max_chars, max_tokens, format, text_len) = (
            field(bytes, 3),
            field(bytes, 4),
            field(bytes, 5),
            field(bytes, 6),
        );
        let format = match format {
            0 => RowFormat::F32,
            1 => RowFormat::I8,
            _ => return Err(Error::Artefact("unknown row format")),
        };
        if dims == 0 || tokens == 0 || unk >= tokens || max_chars == 0 || max_tokens == 0 {
            return Err(Error::Artefact("empty or inconsistent header"));
        }
        let row_len = match format {
            RowFormat::F32 => 4 * dims,
            RowFormat::I8 => 4 + dims,
        };
        let offsets = HEADER;
        let text = offsets + 4 * (tokens + 1);
        let rows = text + text_len;
        let end = tokens
            .checked_mul(row_len)
            .and_then(|n| n.checked_add(rows))
            .ok_or(Error::Artefact("sizes overflow"))?;
        if bytes.len() != end {
            return Err(Error::Artefact("length does not match the header"));
        }
        let layout = Layout {
            dims,
            tokens,
            unk: unk as u32,
            max_chars,
            max_tokens,
            format,
            offsets,
            text,
            rows,
            row_len,
        };
        let token_text = std::str::from_utf8(&bytes[text..rows])
            .map_err(|_| Error::Artefact("token text is not UTF-8"))?;
        let mut last = 0;
        for i in 0..=tokens {
            let o = u32_at(bytes, offsets + 4 * i) as usize;
            if o < last || o > text_len || (i == 0 && o != 0) || !token_text.is_char_boundary(o) {
                return Err(Error::Artefact(
                    "token offsets out of order or out of bounds",
                ));
            }
            last = o;
        }
        if last != text_len {
            return Err(Error::Artefact("token offsets do not cover the token text"));
        }
        Ok(layout)
    }
}
