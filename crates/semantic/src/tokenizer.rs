//! BERT's tokenisation (uncased), as Hugging Face's `BertNormalizer`, `BertPreTokenizer` and
//! `WordPiece` do it for all-MiniLM-L6-v2, written out so that it runs in a streaming pass with
//! no allocation per word.
//!
//! 1. Clean: drop NUL, U+FFFD and characters of category C* (but not tab, newline, return);
//!    whitespace becomes a space. Put spaces around CJK ideographs.
//! 2. Strip accents (canonical decomposition, then drop non-spacing marks), then lowercase.
//! 3. Split on whitespace, and split every punctuation character (ASCII punctuation or
//!    category P*) off as its own word.
//! 4. WordPiece: each word is read greedily as the longest token of the vocabulary that starts
//!    it, then the longest continuation token (`##…`) that follows, and so on; a word that
//!    cannot be read this way, or longer than `max_chars` characters, is `[UNK]`.
//!
//! One difference, on purpose: the decomposition is done a character at a time, so combining
//! marks that are not stripped are not put back in canonical order. No English text has them.

use unicode_normalization::char::decompose_canonical;

use crate::tables::{NONSPACING_MARK, OTHER, PUNCTUATION};

/// The vocabulary: token texts and an open-addressing hash table over them.
#[derive(Clone, Debug)]
pub(crate) struct Vocab {
    text: Box<str>,
    offsets: Box<[u32]>,
    slots: Box<[u32]>,
    /// The length in bytes of the longest token: no longer piece of a word is looked up.
    longest: usize,
}

const CONTINUATION: &[u8] = b"##";

fn hash(prefix: &[u8], rest: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in prefix.iter().chain(rest) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

impl Vocab {
    /// The vocabulary of `offsets.len() - 1` tokens whose texts lie one after the other in `text`.
    pub(crate) fn new(text: &str, offsets: Vec<u32>) -> Vocab {
        let tokens = offsets.len() - 1;
        let size = (tokens * 2).next_power_of_two().max(2);
        let longest = offsets
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0);
        let mut vocab = Vocab {
            text: text.into(),
            offsets: offsets.into(),
            slots: vec![0; size].into(),
            longest,
        };
        let mask = size - 1;
        for id in 0..tokens {
            // Linear probing: of two equal tokens, the first is found first.
            let token = vocab.token(id as u32).as_bytes();
            let mut slot = hash(&[], token) as usize & mask;
            while vocab.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            vocab.slots[slot] = id as u32 + 1;
        }
        vocab
    }

    pub(crate) fn token(&self, id: u32) -> &str {
        let id = id as usize;
        &self.text[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    /// The id of the token spelt `prefix` then `rest`.
    fn find(&self, prefix: &[u8], rest: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut slot = hash(prefix, rest) as usize & mask;
        loop {
            let id = self.slots[slot].checked_sub(1)?;
            let token = self.token(id).as_bytes();
            if token.len() == prefix.len() + rest.len()
                && token.starts_with(prefix)
                && token.ends_with(rest)
            {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }
}

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && in_table(OTHER, c)
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && in_table(PUNCTUATION, c))
}

fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B920..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Splits normalised characters into words, and words into tokens.
struct Pieces<'v, F> {
    vocab: &'v Vocab,
    unk: u32,
    max_chars: usize,
    /// The word being read: its first `max_chars + 1` characters at most, so that a huge word
    /// costs no memory.
    word: String,
    /// The number of characters in the word, kept or not.
    chars: usize,
    /// Set once `emit` has asked to stop.
    done: bool,
    emit: F,
}

impl<F: FnMut(u32) -> bool> Pieces<'_, F> {
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.flush();
        } else if is_punctuation(c) {
            self.flush();
            self.word.push(c);
            self.chars = 1;
            self.flush();
        } else {
            if self.chars <= self.max_chars {
                self.word.push(c);
            }
            self.chars += 1;
        }
    }

    fn emit(&mut self, id: u32) {
        if !self.done && !(self.emit)(id) {
            self.done = true;
        }
    }

    fn flush(&mut self) {
        let chars = std::mem::replace(&mut self.chars, 0);
        if self.word.is_empty() || self.done {
            self.word.clear();
            return;
        }
        if chars > self.max_chars {
            self.word.clear();
            return self.emit(self.unk);
        }
        let word = std::mem::take(&mut self.word);
        self.wordpiece(&word);
        self.word = word;
        self.word.clear();
    }

    fn wordpiece(&mut self, word: &str) {
        // A word of known tokens is read first, then emitted, as a word with an unknown
        // part is one [UNK]; 16 tokens cover any word of ordinary text.
        let mut found = [0u32; 16];
        let mut count = 0;
        let mut overflow = Vec::new();
        let mut start = 0;
        while start < word.len() {
            let prefix = if start == 0 { &[][..] } else { CONTINUATION };
            let rest = &word[start..];
            // Start from the longest piece that could be a token (at a character boundary).
            let mut end = rest.len().min(self.vocab.longest);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let id = loop {
                if let Some(id) = self.vocab.find(prefix, &rest.as_bytes()[..end]) {
                    break Some(id);
                }
                end = match rest[..end].char_indices().next_back() {
                    Some((i, _)) if i > 0 => i,
                    _ => break None,
                };
            };
            let Some(id) = id else {
                return self.emit(self.unk);
            };
            if count < found.len() {
                found[count] = id;
            } else {
                overflow.push(id);
            }
            count += 1;
            start += end;
        }
        for &id in found.iter().take(count.min(found.len())).chain(&overflow) {
            self.emit(id);
        }
    }
}

/// Tokenises `text`, calling `emit` with each token id in order until it returns false.
pub(crate) fn tokenize(
    vocab: &Vocab,
    unk: u32,
    max_chars: usize,
    text: &str,
    emit: impl FnMut(u32) -> bool,
) {
    let mut pieces = Pieces {
        vocab,
        unk,
        max_chars,
        word: String::with_capacity(32),
        chars: 0,
        done: false,
        emit,
    };
    for c in text.chars() {
        if pieces.done {
            return;
        }
        if c.is_ascii() {
            match c {
                '\t' | '\n' | '\r' | ' ' => pieces.push(' '),
                c if c.is_ascii_control() => {}
                c => pieces.push(c.to_ascii_lowercase()),
            }
            continue;
        }
        if c == '\u{FFFD}' || is_control(c) {
            continue;
        }
        if c.is_whitespace() {
            pieces.push(' ');
            continue;
        }
        let chinese = is_chinese(c);
        if chinese {
            pieces.push(' ');
        }
        decompose_canonical(c, |d| {
            if !in_table(NONSPACING_MARK, d) {
                for l in d.to_lowercase() {
                    pieces.push(l);
                }
            }
        });
        if chinese {
            pieces.push(' ');
        }
    }
    pieces.flush();
}
