//! [`VectorIndex`]: labelled unit vectors, searched by cosine similarity.

use crate::encoder::normalise;
use crate::{Error, Result};

/// Labelled vectors in one contiguous block of `f32` rows; [`VectorIndex::top_k`] scores every
/// row against a query with no allocation per row.
///
/// Vectors are stored normalised, so a dot product is a cosine similarity. Several rows may
/// share a label (an entry's title and each of its questions, say):
/// [`VectorIndex::top_k_labels`] keeps the best row of each label.
#[derive(Clone, Debug)]
pub struct VectorIndex<L> {
    dims: usize,
    data: Vec<f32>,
    labels: Vec<L>,
}

/// One result of a search: the row's label and its cosine similarity to the query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit<'a, L> {
    /// The label of the row.
    pub label: &'a L,
    /// The row's position in the index (the order of `push`).
    pub row: usize,
    /// The cosine similarity, in -1..=1.
    pub score: f32,
}

impl<L> VectorIndex<L> {
    /// An empty index of `dims`-dimensional vectors.
    pub fn new(dims: usize) -> VectorIndex<L> {
        VectorIndex {
            dims,
            data: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// The number of dimensions of its vectors.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The label of row `row`.
    pub fn label(&self, row: usize) -> &L {
        &self.labels[row]
    }

    /// The (unit) vector of row `row`.
    pub fn vector(&self, row: usize) -> &[f32] {
        &self.data[row * self.dims..(row + 1) * self.dims]
    }

    /// Adds a row: `vector`, normalised (an all-zero vector stays zero and matches nothing).
    pub fn push(&mut self, label: L, vector: &[f32]) -> Result<()> {
        if vector.len() != self.dims {
            return Err(Error::Dimensions {
                expected: self.dims,
                found: vector.len(),
            });
        }
        let start = self.data.len();
        self.data.extend_from_slice(vector);
        normalise(&mut self.data[start..]);
        self.labels.push(label);
        Ok(())
    }

    /// The cosine similarity of `query` (expected to be unit length, as `Encoder` makes
    /// them) to every row, in row order, into `scores`.
    pub fn scores_into(&self, query: &[f32], scores: &mut Vec<f32>) -> Result<()> {
        self.check(query)?;
        scores.clear();
        scores.reserve(self.len());
        if self.dims == 0 {
            scores.resize(self.len(), 0.0);
            return Ok(());
        }
        // Four rows at a time: four independent sums keep the processor busy while each
        // addition waits for the one before it; each row's sum is computed exactly as `dot`
        // computes it, so the scores are the same to the bit.
        let mut blocks = self.data.chunks_exact(self.dims * 4);
        for block in &mut blocks {
            let (a, rest) = block.split_at(self.dims);
            let (b, rest) = rest.split_at(self.dims);
            let (c, d) = rest.split_at(self.dims);
            scores.extend_from_slice(&dot4([a, b, c, d], query));
        }
        let rest = blocks.remainder().chunks_exact(self.dims);
        scores.extend(rest.map(|row| dot(row, query)));
        Ok(())
    }

    /// The `k` rows most similar to `query`, best first (ties: the earlier row first).
    ///
    /// # Panics
    ///
    /// If `query.len()` is not [`VectorIndex::dims`].
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<Hit<'_, L>> {
        self.search(query, k, |_, _| None)
    }

    /// The `k` labels most similar to `query`, each with its best row, best first.
    ///
    /// # Panics
    ///
    /// If `query.len()` is not [`VectorIndex::dims`].
    pub fn top_k_labels(&self, query: &[f32], k: usize) -> Vec<Hit<'_, L>>
    where
        L: PartialEq,
    {
        self.search(query, k, |hits: &[(usize, f32)], row| {
            hits.iter()
                .position(|&(r, _)| self.labels[r] == self.labels[row])
        })
    }

    fn check(&self, query: &[f32]) -> Result<()> {
        if query.len() == self.dims {
            Ok(())
        } else {
            Err(Error::Dimensions {
                expected: self.dims,
                found: query.len(),
            })
        }
    }

    /// Keeps the `k` best rows in `best` (sorted, best first); `same(best, row)` finds a kept
    /// row that `row` would replace rather than join (the same label).
    fn search(
        &self,
        query: &[f32],
        k: usize,
        same: impl Fn(&[(usize, f32)], usize) -> Option<usize>,
    ) -> Vec<Hit<'_, L>> {
        assert_eq!(
            query.len(),
            self.dims,
            "query length must be the index's dims"
        );
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return Vec::new();
        }
        for (row, vector) in self.data.chunks_exact(self.dims).enumerate() {
            let score = dot(vector, query);
            if best.len() == k && score <= best[k - 1].1 {
                continue;
            }
            match same(&best, row) {
                Some(i) if best[i].1 >= score => continue,
                Some(i) => {
                    best.remove(i);
                }
                None => {}
            }
            let at = best.partition_point(|&(_, s)| s >= score);
            best.insert(at, (row, score));
            best.truncate(k);
        }
        best.into_iter()
            .map(|(row, score)| Hit {
                label: &self.labels[row],
                row,
                score,
            })
            .collect()
    }
}

const INDEX_MAGIC: &[u8; 8] = b"CBVIDX01";

impl VectorIndex<String> {
    /// The index as bytes, so that vectors computed when the data is built can be loaded
    /// without encoding anything at start-up: magic `CBVIDX01`, then little-endian `u32`
    /// dims and rows, each label as a `u32` length and UTF-8, then the rows as `f32`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let labels: usize = self.labels.iter().map(|l| 4 + l.len()).sum();
        let mut out = Vec::with_capacity(16 + labels + 4 * self.data.len());
        out.extend_from_slice(INDEX_MAGIC);
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        for label in &self.labels {
            out.extend_from_slice(&(label.len() as u32).to_le_bytes());
            out.extend_from_slice(label.as_bytes());
        }
        for x in &self.data {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    /// Reads an index written by [`VectorIndex::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<VectorIndex<String>> {
        let bad = || Error::Artefact("not a vector index (CBVIDX01), or cut short");
        if bytes.get(..8) != Some(&INDEX_MAGIC[..]) {
            return Err(bad());
        }
        let mut at = 8;
        let mut next = |n: usize| -> Result<&[u8]> {
            let part = bytes.get(at..at + n).ok_or_else(bad)?;
            at += n;
            Ok(part)
        };
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let dims = word(next(4)?);
        let rows = word(next(4)?);
        let mut labels = Vec::with_capacity(rows.min(bytes.len()));
        for _ in 0..rows {
            let len = word(next(4)?);
            let label = std::str::from_utf8(next(len)?).map_err(|_| bad())?;
            labels.push(label.to_owned());
        }
        let floats = rows
            .checked_mul(dims)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(bad)?;
        let data = next(floats)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if next(1).is_ok() {
            return Err(Error::Artefact("bytes after the end of the vector index"));
        }
        Ok(VectorIndex { dims, data, labels })
    }
}

/// The dot product, in eight lanes so that the compiler vectorises it.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `dot` of four rows with the same query, each summed in `dot`'s order.
fn dot4(rows: [&[f32]; 4], query: &[f32]) -> [f32; 4] {
    let [a, b, c, d] = rows;
    let (mut la, mut lb, mut lc, mut ld) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
    let whole = query.len() / 8 * 8;
    let chunks = query[..whole]
        .chunks_exact(8)
        .zip(a[..whole].chunks_exact(8))
        .zip(b[..whole].chunks_exact(8))
        .zip(c[..whole].chunks_exact(8).zip(d[..whole].chunks_exact(8)));
    for (((y, xa), xb), (xc, xd)) in chunks {
        for i in 0..8 {
            la[i] += xa[i] * y[i];
            lb[i] += xb[i] * y[i];
            lc[i] += xc[i] * y[i];
            ld[i] += xd[i] * y[i];
        }
    }
    let score = |row: &[f32], lanes: &[f32; 8]| {
        let tail: f32 = row[whole..]
            .iter()
            .zip(&query[whole..])
            .map(|(x, y)| x * y)
            .sum();
        lanes.iter().sum::<f32>() + tail
    };
    [score(a, &la), score(b, &lb), score(c, &lc), score(d, &ld)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> VectorIndex<&'static str> {
        let mut index = VectorIndex::new(3);
        for (label, v) in [
            ("a", [1.0, 0.0, 0.0]),
            ("b", [0.0, 1.0, 0.0]),
            ("a", [0.7, 0.7, 0.0]),
            ("c", [0.0, 0.0, 2.0]),
        ] {
            index.push(label, &v).expect("3 dims");
        }
        index
    }

    #[test]
    fn top_k_is_sorted_and_cut_at_k() {
        let index = index();
        let hits = index.top_k(&[0.6, 0.8, 0.0], 3);
        let rows: Vec<usize> = hits.iter().map(|h| h.row).collect();
        assert_eq!(rows, [2, 1, 0]);
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!((hits[1].score - 0.8).abs() < 1e-6);
        assert!(index.top_k(&[0.6, 0.8, 0.0], 0).is_empty());
        assert_eq!(index.top_k(&[0.6, 0.8, 0.0], 10).len(), 4);
    }

    #[test]
    fn top_k_labels_keeps_the_best_row_of_each_label() {
        let index = index();
        let hits = index.top_k_labels(&[0.6, 0.8, 0.0], 3);
        let got: Vec<(&str, usize)> = hits.iter().map(|h| (*h.label, h.row)).collect();
        assert_eq!(got, [("a", 2), ("b", 1), ("c", 3)]);
    }

    #[test]
    fn vectors_are_stored_normalised_and_dimensions_checked() {
        let index = index();
        assert!((index.vector(3)[2] - 1.0).abs() < 1e-6);
        assert!(matches!(
            VectorIndex::<u8>::new(3).push(0, &[1.0, 2.0]),
            Err(Error::Dimensions {
                expected: 3,
                found: 2
            })
        ));
        let mut scores = Vec::new();
        assert!(index.scores_into(&[1.0], &mut scores).is_err());
        index
            .scores_into(&[0.0, 0.0, 1.0], &mut scores)
            .expect("3 dims");
        assert_eq!(scores, [0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn bytes_round_trip_and_bad_bytes_are_errors() {
        let mut index = VectorIndex::new(3);
        for (label, v) in [
            ("apply.nhs-jobs", [1.0, 2.0, 3.0]),
            ("role.nurse", [0.0, -1.0, 0.5]),
            ("", [0.0; 3]),
        ] {
            index.push(label.to_owned(), &v).expect("3 dims");
        }
        let bytes = index.to_bytes();
        let back = VectorIndex::from_bytes(&bytes).expect("round trip");
        assert_eq!((back.dims(), back.len()), (3, 3));
        assert_eq!(back.labels, index.labels);
        assert_eq!(back.data, index.data);
        for cut in [0, 7, 8, 12, bytes.len() - 1] {
            assert!(
                VectorIndex::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(VectorIndex::from_bytes(&longer).is_err());
    }

    #[test]
    fn scores_four_rows_at_a_time_are_dot_to_the_bit() {
        for dims in [1, 7, 8, 13, 128] {
            for rows in 0..11 {
                let mut index = VectorIndex::new(dims);
                let mut seed = 0x2545_f491_u32.wrapping_add((dims * 31 + rows) as u32);
                let mut next = || {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed as f32 / u32::MAX as f32) - 0.5
                };
                for row in 0..rows {
                    let vector: Vec<f32> = (0..dims).map(|_| next()).collect();
                    index.push(row, &vector).expect("dims");
                }
                let query: Vec<f32> = (0..dims).map(|_| next()).collect();
                let mut scores = Vec::new();
                index.scores_into(&query, &mut scores).expect("dims");
                let expected: Vec<u32> = (0..rows)
                    .map(|row| dot(index.vector(row), &query).to_bits())
                    .collect();
                let got: Vec<u32> = scores.iter().map(|s| s.to_bits()).collect();
                assert_eq!(got, expected, "{dims} dims, {rows} rows");
            }
        }
    }

    #[test]
    fn dot_handles_every_length() {
        for n in 0..20 {
            let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let expected: f32 = a.iter().map(|x| x * x).sum();
            assert_eq!(dot(&a, &a), expected);
        }
    }
}
