//! [`VectorIndex`]: labelled unit vectors, searched by cosine similarity.

use crate::encoder::normalise;
use crate::{Error, Result};

/// Labelled vectors, searched by cosine similarity with no allocation per row.
///
/// Vectors are stored normalised and quantised: each row is one block of 16-bit codes and a
/// scale (a component is its code times the row's scale). A query is quantised the same way,
/// so a row's score is an integer dot product, exact and the same on every processor, times
/// the two scales: half the memory of `f32` rows to read, and the processor multiplies and
/// adds eight pairs of codes in one instruction. Quantising moves a cosine similarity by
/// about a ten-thousandth.
///
/// Several rows may share a label (an entry's title and each of its questions, say):
/// [`VectorIndex::top_k_labels`] keeps the best row of each label.
#[derive(Clone, Debug)]
pub struct VectorIndex<L> {
    dims: usize,
    codes: Vec<i16>,
    scales: Vec<f32>,
    labels: Vec<L>,
}

/// One result of a search: the row's label and its cosine similarity to the query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit<'a, L> {
    /// The label of the row.
    pub label: &'a L,
    /// The row's position in the index (the order of `push`).
    pub row: usize,
    /// The cosine similarity, in about -1..=1.
    pub score: f32,
}

/// A vector quantised as the rows are: `codes[i] * scale` is its component `i`, and no code
/// is larger than `code_limit` of its length.
struct Quantised {
    codes: Vec<i16>,
    scale: f32,
}

impl Quantised {
    /// `vector`'s codes, its largest component taking the largest code.
    fn new(vector: &[f32]) -> Quantised {
        let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        if largest == 0.0 || !largest.is_finite() {
            return Quantised {
                codes: vec![0; vector.len()],
                scale: 0.0,
            };
        }
        let scale = largest / code_limit(vector.len());
        let codes = vector
            .iter()
            // Within the limit by the choice of scale; `as` saturates in any case.
            .map(|x| (x / scale).round() as i16)
            .collect();
        Quantised { codes, scale }
    }
}

impl<L> VectorIndex<L> {
    /// An empty index of `dims`-dimensional vectors.
    pub fn new(dims: usize) -> VectorIndex<L> {
        VectorIndex {
            dims,
            codes: Vec::new(),
            scales: Vec::new(),
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

    /// The (unit, as stored: quantised) vector of row `row`.
    pub fn vector(&self, row: usize) -> Vec<f32> {
        let scale = self.scales[row];
        self.row_codes(row)
            .iter()
            .map(|&c| f32::from(c) * scale)
            .collect()
    }

    /// Adds a row: `vector`, normalised (an all-zero vector stays zero and matches nothing).
    pub fn push(&mut self, label: L, vector: &[f32]) -> Result<()> {
        self.check(vector)?;
        let mut unit = vector.to_vec();
        normalise(&mut unit);
        let row = Quantised::new(&unit);
        self.codes.extend_from_slice(&row.codes);
        self.scales.push(row.scale);
        self.labels.push(label);
        Ok(())
    }

    /// The cosine similarity of `query` (expected to be unit length, as `Encoder` makes
    /// them) to every row, in row order, into `scores`.
    pub fn scores_into(&self, query: &[f32], scores: &mut Vec<f32>) -> Result<()> {
        self.check(query)?;
        scores.clear();
        scores.extend(self.scores(query));
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

    fn check(&self, vector: &[f32]) -> Result<()> {
        if vector.len() == self.dims {
            Ok(())
        } else {
            Err(Error::Dimensions {
                expected: self.dims,
                found: vector.len(),
            })
        }
    }

    fn row_codes(&self, row: usize) -> &[i16] {
        &self.codes[row * self.dims..(row + 1) * self.dims]
    }

    /// Every row's score against `query`, in row order.
    fn scores(&self, query: &[f32]) -> impl Iterator<Item = f32> + '_ {
        let query = Quantised::new(query);
        (0..self.len()).map(move |row| {
            let sum = dot(self.row_codes(row), &query.codes);
            sum as f32 * self.scales[row] * query.scale
        })
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
        if k == 0 {
            return Vec::new();
        }
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        for (row, score) in self.scores(query).enumerate() {
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

/// The largest code of a vector of `dims` components: small enough that no dot product of two
/// vectors of codes, nor any partial sum of one, leaves `i32` (each is at most `dims` times
/// the limit squared), and no larger than `i16` holds. 4,095 for 128 dimensions.
fn code_limit(dims: usize) -> f32 {
    let limit = (f64::from(i32::MAX) / dims.max(1) as f64).sqrt().floor();
    limit.min(f64::from(i16::MAX)) as f32
}

/// The dot product of two blocks of codes, exact (see `code_limit`). Written in sixteen
/// lanes so that the compiler vectorises it: it multiplies pairs of 16-bit codes and adds
/// them into 32-bit sums, eight at a time.
fn dot(a: &[i16], b: &[i16]) -> i32 {
    let mut lanes = [0i32; 16];
    let (a16, b16) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = (a16.remainder().iter())
        .zip(b16.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    for (x, y) in a16.zip(b16) {
        for i in 0..16 {
            lanes[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    lanes.iter().sum::<i32>() + tail
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
        assert!((hits[1].score - 0.8).abs() < 1e-2);
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
        index
            .scores_into(&[0.0, 0.0, 0.0], &mut scores)
            .expect("3 dims");
        assert_eq!(scores, [0.0; 4], "a zero query matches nothing");
    }

    /// Pseudo-random unit-ish vectors, the same on every run.
    fn vectors(dims: usize, count: usize, seed: u32) -> Vec<Vec<f32>> {
        let mut seed = 0x2545_f491_u32.wrapping_add(seed);
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32) - 0.5
        };
        (0..count)
            .map(|_| (0..dims).map(|_| next()).collect())
            .collect()
    }

    #[test]
    fn quantised_scores_are_cosine_similarities_within_a_thousandth() {
        for dims in [1, 7, 16, 128] {
            let rows = vectors(dims, 40, dims as u32);
            let mut index = VectorIndex::new(dims);
            for (label, row) in rows.iter().enumerate() {
                index.push(label, row).expect("dims");
            }
            for query in vectors(dims, 5, 7 + dims as u32) {
                let mut unit = query.clone();
                normalise(&mut unit);
                let mut scores = Vec::new();
                index.scores_into(&unit, &mut scores).expect("dims");
                for (row, got) in rows.iter().zip(&scores) {
                    let mut row = row.clone();
                    normalise(&mut row);
                    let cosine: f32 = row.iter().zip(&unit).map(|(a, b)| a * b).sum();
                    assert!(
                        (got - cosine).abs() < 1e-3,
                        "{dims} dims: {got} vs {cosine}"
                    );
                }
                let best = index.top_k(&unit, 3);
                let mut sorted = scores.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                let top: Vec<f32> = best.iter().map(|h| h.score).collect();
                assert_eq!(
                    top,
                    sorted[..3.min(sorted.len())],
                    "top_k scores as scores_into"
                );
            }
        }
    }

    #[test]
    fn dot_is_exact_at_the_code_limit() {
        for n in [1, 15, 16, 17, 128, 384, 1000] {
            let limit = code_limit(n) as i16;
            let a = vec![limit; n];
            let b = vec![-limit; n];
            let square = i64::from(limit) * i64::from(limit) * n as i64;
            assert!(square <= i64::from(i32::MAX), "{n}: {square}");
            assert_eq!(i64::from(dot(&a, &a)), square);
            assert_eq!(i64::from(dot(&a, &b)), -square);
        }
        assert_eq!(code_limit(128), 4095.0);
        assert_eq!(code_limit(1), f32::from(i16::MAX));
        assert_eq!(dot(&[], &[]), 0);
    }
}
