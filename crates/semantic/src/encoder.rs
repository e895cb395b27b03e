//! [`Encoder`]: a text to a unit vector, by averaging static token vectors.

use std::borrow::Cow;

use crate::artefact::{Layout, RowFormat, f32_at, u32_at};
use crate::tokenizer::{Vocab, tokenize};
use crate::{Error, Result};

/// Turns texts into unit-length vectors (static embeddings distilled from all-MiniLM-L6-v2).
///
/// Building one reads the artefact's header and vocabulary (well under a millisecond); the
/// token vectors are read in place from the bytes it was given, never copied. Encoding reads
/// at most the artefact's `max_tokens` tokens of a text, so its time is bounded whatever the
/// text's length.
#[derive(Clone, Debug)]
pub struct Encoder {
    bytes: Cow<'static, [u8]>,
    layout: Layout,
    vocab: Vocab,
}

/// The vendored artefact (`semantic/model.bin` at the repository root).
#[cfg(feature = "embedded")]
static EMBEDDED: &[u8] = include_bytes!("../../../semantic/model.bin");

impl Encoder {
    /// An encoder reading the artefact `bytes` (borrowed for `'static`, or owned).
    pub fn new(bytes: impl Into<Cow<'static, [u8]>>) -> Result<Encoder> {
        let bytes = bytes.into();
        let layout = Layout::read(&bytes)?;
        let offsets = (0..=layout.tokens)
            .map(|i| u32_at(&bytes, layout.offsets + 4 * i))
            .collect();
        let text = std::str::from_utf8(&bytes[layout.text..layout.rows])
            .map_err(|_| Error::Artefact("token text is not UTF-8"))?;
        let vocab = Vocab::new(text, offsets);
        Ok(Encoder {
            bytes,
            layout,
            vocab,
        })
    }

    /// The encoder of the artefact compiled into the binary.
    #[cfg(feature = "embedded")]
    pub fn embedded() -> Result<Encoder> {
        Encoder::new(EMBEDDED)
    }

    /// The number of dimensions of every vector it makes.
    pub fn dims(&self) -> usize {
        self.layout.dims
    }

    /// The number of tokens in its vocabulary.
    pub fn vocab_len(&self) -> usize {
        self.layout.tokens
    }

    /// The tokens `text` is read as (at most the artefact's `max_tokens`), for tests and
    /// explanations.
    pub fn tokens(&self, text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.each_token(text, |id| out.push(self.vocab.token(id)));
        out
    }

    fn each_token(&self, text: &str, mut f: impl FnMut(u32)) -> usize {
        let max = self.layout.max_tokens;
        let mut n = 0;
        tokenize(
            &self.vocab,
            self.layout.unk,
            self.layout.max_chars,
            text,
            |id| {
                f(id);
                n += 1;
                n < max
            },
        );
        n
    }

    /// The unit vector of `text` (all zeros when it has no tokens, as an empty text).
    pub fn encode(&self, text: &str) -> Vec<f32> {
        let mut out = vec![0.0; self.dims()];
        self.encode_into(text, &mut out);
        out
    }

    /// Writes the unit vector of `text` into `out` (all zeros when it has no tokens) and
    /// returns how many tokens were read.
    ///
    /// # Panics
    ///
    /// If `out.len()` is not [`Encoder::dims`].
    pub fn encode_into(&self, text: &str, out: &mut [f32]) -> usize {
        assert_eq!(
            out.len(),
            self.dims(),
            "output length must be the encoder's dims"
        );
        out.fill(0.0);
        let (bytes, layout) = (&*self.bytes, &self.layout);
        let n = self.each_token(text, |id| {
            let at = layout.rows + id as usize * layout.row_len;
            match layout.format {
                RowFormat::I8 => {
                    let scale = f32_at(bytes, at);
                    let row = &bytes[at + 4..at + 4 + layout.dims];
                    for (o, &q) in out.iter_mut().zip(row) {
                        *o += scale * f32::from(q as i8);
                    }
                }
                RowFormat::F32 => {
                    let row = &bytes[at..at + 4 * layout.dims];
                    for (o, v) in out.iter_mut().zip(row.chunks_exact(4)) {
                        *o += f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
                    }
                }
            }
        });
        normalise(out);
        n
    }
}

/// Scales `v` to unit length (leaves an all-zero vector as it is).
pub(crate) fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn encoder() -> Encoder {
        Encoder::embedded().expect("the vendored artefact reads")
    }

    #[test]
    fn vectors_are_unit_length_or_zero() {
        let e = encoder();
        let v = e.encode("how do I become a nurse?");
        assert_eq!(v.len(), e.dims());
        assert!((dot(&v, &v) - 1.0).abs() < 1e-4);
        for empty in ["", "   ", "\u{0}\u{200b}"] {
            assert!(e.encode(empty).iter().all(|&x| x == 0.0), "{empty:?}");
        }
    }

    #[test]
    fn a_paraphrase_is_nearer_than_an_unrelated_sentence() {
        let e = encoder();
        for (text, paraphrase, unrelated) in [
            (
                "how much are nhs staff paid",
                "wats the salary like in the nhs",
                "where do i apply for nhs jobs",
            ),
            (
                "how do i become a midwife",
                "id love to deliver babies for a living, how do i start",
                "how much holiday do nhs staff get",
            ),
            (
                "my dad has collapsed and is not breathing",
                "my grandad just fell and hes not breathing",
                "what does a paramedic do",
            ),
            (
                "i want to kill myself",
                "i dont want to be here anymore",
                "i want to work in mental health",
            ),
        ] {
            let (a, b, c) = (e.encode(text), e.encode(paraphrase), e.encode(unrelated));
            assert!(
                dot(&a, &b) > dot(&a, &c),
                "{text:?}: {paraphrase:?} should be nearer than {unrelated:?}"
            );
        }
    }

    #[test]
    fn long_input_reads_a_bounded_number_of_tokens() {
        let e = encoder();
        let huge = "nurse ".repeat(200_000);
        let mut out = vec![0.0; e.dims()];
        assert_eq!(e.encode_into(&huge, &mut out), e.layout.max_tokens);
        let one_word = "a".repeat(1_000_000);
        assert_eq!(e.tokens(&one_word), ["[UNK]"]);
    }

    #[test]
    fn bad_artefacts_are_errors() {
        assert!(matches!(
            Encoder::new(&b"nope"[..]),
            Err(Error::Artefact(_))
        ));
        let mut bytes = EMBEDDED.to_vec();
        bytes.pop();
        assert!(matches!(Encoder::new(bytes), Err(Error::Artefact(_))));
        let mut bytes = EMBEDDED.to_vec();
        bytes[8] = 0; // dims = 0 (or a different number of dimensions: a length mismatch)
        bytes[9] = 0;
        assert!(matches!(Encoder::new(bytes), Err(Error::Artefact(_))));
    }
}
