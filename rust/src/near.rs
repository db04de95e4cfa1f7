//! Near-duplicate clustering of texts (paraphrased templates, system prompt families):
//! MinHash signatures over word shingles, locality-sensitive hashing in bands, each
//! candidate pair checked on the true Jaccard similarity of its shingle sets and joined
//! by union-find. An estimate from the signatures lets pairs well below the bar through,
//! and single linkage chains them. Only the clusters are wanted, so no pair is kept:
//! memory holds each text's signature (PERMUTATIONS hashes) and shingle hashes, one
//! band's keys at a time and the union-find, all growing with the texts, never with the
//! pairs.
//!
//! Deterministic whatever the thread count: signatures depend on a text alone, and the
//! components of the verified pairs do not depend on the order they are found in.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::components::UnionFind;
use crate::text::{BadBuffer, TextColumn};

/// Hashes in a signature.
pub const PERMUTATIONS: usize = 32;
/// Signature hashes per band: two texts are candidates when all of one band agree.
pub const BAND_ROWS: usize = 2;
/// A bucket of at most this many texts has every pair checked; a larger one pairs each
/// text with the bucket's first (a star), so candidates stay linear when thousands collide.
pub const ALL_PAIRS_BUCKET: usize = 32;
const SHINGLE_SEED: u64 = 3;
const BAND_SEED: u64 = 5;

/// The xor mask of each permutation: a splitmix64 sequence from a fixed start.
const MASKS: [u64; PERMUTATIONS] = masks();

const fn masks() -> [u64; PERMUTATIONS] {
    let mut out = [0u64; PERMUTATIONS];
    let mut state: u64 = 0x5eed_d157_111a_5ca1;
    let mut index = 0;
    while index < PERMUTATIONS {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out[index] = mix(state);
        index += 1;
    }
    out
}

/// A 64-bit finaliser (MurmurHash3's): a bijection that spreads every input bit.
const fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The hashes of the `words`-word shingles of `text` (words split at each space, as
/// `str.split(" ")` does) into `out`; a text of fewer words is its own only shingle.
fn shingle_hashes(text: &[u8], words: usize, out: &mut Vec<u64>) {
    out.clear();
    let words = words.max(1);
    // Starts of the last `words` words, in a ring (at most 64 words a shingle).
    let mut starts = [0usize; 64];
    let ring = words.min(starts.len());
    let mut seen = 0usize;
    let mut at = 0usize;
    for word in text.split(|&byte| byte == b' ') {
        starts[seen % ring] = at;
        seen += 1;
        let end = at + word.len();
        if seen >= ring {
            let start = starts[seen % ring];
            out.push(xxh3_64_with_seed(&text[start..end], SHINGLE_SEED));
        }
        at = end + 1;
    }
    if out.is_empty() {
        out.push(xxh3_64_with_seed(text, SHINGLE_SEED));
    }
}

/// A text's MinHash signature from its shingle hashes.
fn signature(shingles: &[u64]) -> [u64; PERMUTATIONS] {
    let mut least = [u64::MAX; PERMUTATIONS];
    for &hash in shingles {
        for (slot, mask) in least.iter_mut().zip(MASKS) {
            *slot = (*slot).min(mix(hash ^ mask));
        }
    }
    least
}

/// How many values two sorted, distinct lists share.
fn shared_count(x: &[u64], y: &[u64]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        let (a, b) = (x[i], y[j]);
        shared += usize::from(a == b);
        i += usize::from(a <= b);
        j += usize::from(b <= a);
    }
    shared
}

/// The signature's hashes from the band after `band` on, wrapping round: the order a
/// large bucket's texts are sorted in, so that texts agreeing beyond the band that
/// brought them together sit side by side.
fn beyond_band(signature: &[u64; PERMUTATIONS], band: usize) -> impl Iterator<Item = &u64> {
    signature[band + BAND_ROWS..]
        .iter()
        .chain(&signature[..band + BAND_ROWS])
}

/// The root of each text of `texts` (a null reads as empty): the smallest index of its
/// cluster, where texts are joined when a band of their signatures agrees and their
/// `words`-word shingle sets have a Jaccard similarity of at least `min_jaccard`. A text
/// joined to nothing is its own root.
///
/// A bucket larger than ALL_PAIRS_BUCKET pairs each text with its first (a star) and,
/// with `neighbours` > 0, with the next `neighbours` texts in the order of their other
/// signature hashes (`beyond_band`): a star checks each text against one that may be
/// the bucket's least like it, and misses pairs above the bar that a few shared common
/// words put in one large bucket.
pub fn near_duplicate_roots(
    texts: &TextColumn,
    words: usize,
    min_jaccard: f64,
    neighbours: usize,
) -> Result<Vec<u32>, BadBuffer> {
    let count = texts.len();
    let shingled: Vec<([u64; PERMUTATIONS], Vec<u64>)> = (0..count)
        .into_par_iter()
        .map_init(Vec::new, |scratch, row| {
            let text = texts.bytes(row)?.unwrap_or_default();
            shingle_hashes(text, words, scratch);
            let sig = signature(scratch);
            let mut set = scratch.clone();
            set.sort_unstable();
            set.dedup();
            Ok((sig, set))
        })
        .collect::<Result<_, BadBuffer>>()?;
    let similar = |x: usize, y: usize| -> bool {
        let (a, b) = (&shingled[x].1, &shingled[y].1);
        let shared = shared_count(a, b);
        shared as f64 >= min_jaccard * (a.len() + b.len() - shared) as f64
    };
    let mut components = UnionFind::new(count as u32);
    let mut keys: Vec<(u64, u32)> = Vec::with_capacity(count);
    for band in (0..PERMUTATIONS).step_by(BAND_ROWS) {
        keys.clear();
        keys.par_extend(shingled.par_iter().enumerate().map(|(index, (sig, _))| {
            let mut bytes = [0u8; 8 * BAND_ROWS];
            for (row, hash) in sig[band..band + BAND_ROWS].iter().enumerate() {
                bytes[row * 8..row * 8 + 8].copy_from_slice(&hash.to_le_bytes());
            }
            (xxh3_64_with_seed(&bytes, BAND_SEED), index as u32)
        }));
        keys.par_sort_unstable();
        for bucket in keys.chunk_by(|x, y| x.0 == y.0) {
            if bucket.len() <= ALL_PAIRS_BUCKET {
                for (offset, &(_, x)) in bucket.iter().enumerate() {
                    for &(_, y) in &bucket[offset + 1..] {
                        components.join_if(x, y, || similar(x as usize, y as usize));
                    }
                }
            } else {
                let first = bucket[0].1;
                for &(_, y) in &bucket[1..] {
                    components.join_if(first, y, || similar(first as usize, y as usize));
                }
                if neighbours > 0 {
                    let mut members: Vec<u32> = bucket.iter().map(|&(_, index)| index).collect();
                    members.sort_unstable_by(|&x, &y| {
                        beyond_band(&shingled[x as usize].0, band)
                            .cmp(beyond_band(&shingled[y as usize].0, band))
                            .then(x.cmp(&y))
                    });
                    for (offset, &x) in members.iter().enumerate() {
                        for &y in members[offset + 1..].iter().take(neighbours) {
                            components.join_if(x, y, || similar(x as usize, y as usize));
                        }
                    }
                }
            }
        }
    }
    Ok(components.roots())
}

/// The Jaccard similarity of the `words`-word shingle sets of each pair of texts, row
/// by row (a null reads as empty; two texts of fewer words are each their own shingle).
/// Templates check each member of a cluster against its representative with it: single
/// linkage alone chains texts that share little.
pub fn shingle_jaccard(
    left: &TextColumn,
    right: &TextColumn,
    words: usize,
) -> Result<Vec<f64>, BadBuffer> {
    (0..left.len().min(right.len()))
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(x, y), row| {
                shingle_hashes(left.bytes(row)?.unwrap_or_default(), words, x);
                shingle_hashes(right.bytes(row)?.unwrap_or_default(), words, y);
                for set in [&mut *x, &mut *y] {
                    set.sort_unstable();
                    set.dedup();
                }
                let shared = shared_count(x, y);
                Ok(shared as f64 / (x.len() + y.len() - shared) as f64)
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, BinaryArray, StringArray};
    use proptest::prelude::*;

    fn roots(texts: &[&str], words: usize, min_jaccard: f64) -> Vec<u32> {
        let array = StringArray::from(texts.to_vec());
        let column = TextColumn::new(&[array.to_data()]).unwrap();
        near_duplicate_roots(&column, words, min_jaccard, 0).unwrap()
    }

    #[test]
    fn jaccard_is_shared_shingles_over_all_of_both() {
        let left = StringArray::from(vec![Some("a b c d"), Some("a b c d"), None, Some("x")]);
        let right = StringArray::from(vec![Some("a b c e"), Some("a b c d"), None, Some("y")]);
        let (left, right) = (
            TextColumn::new(&[left.to_data()]).unwrap(),
            TextColumn::new(&[right.to_data()]).unwrap(),
        );
        // {abc, bcd} against {abc, bce}: one shared of three.
        assert_eq!(
            shingle_jaccard(&left, &right, 3).unwrap(),
            vec![1.0 / 3.0, 1.0, 1.0, 0.0]
        );
    }

    #[test]
    fn shingles_are_the_spans_of_consecutive_words() {
        let mut out = Vec::new();
        shingle_hashes(b"a b c d", 3, &mut out);
        let expected: Vec<u64> = ["a b c", "b c d"]
            .iter()
            .map(|span| xxh3_64_with_seed(span.as_bytes(), SHINGLE_SEED))
            .collect();
        assert_eq!(out, expected);
        shingle_hashes(b"too short", 3, &mut out);
        assert_eq!(out, vec![xxh3_64_with_seed(b"too short", SHINGLE_SEED)]);
        shingle_hashes(b"", 1, &mut out);
        assert_eq!(out, vec![xxh3_64_with_seed(b"", SHINGLE_SEED)]);
    }

    #[test]
    fn paraphrases_join_and_strangers_stay_apart() {
        let texts = [
            "you are a careful analyst who explains every step ¶ summarise the report and list every risk … show your reasoning",
            "write a limerick about cats … about cats",
            "you are a careful analyst who explains every step ¶ summarise the report and list each risk … show your reasoning",
            "hi",
            "hello",
        ];
        assert_eq!(roots(&texts, 3, 0.5), vec![0, 1, 0, 3, 4]);
    }

    #[test]
    fn pairs_are_checked_on_the_true_jaccard() {
        // Items 0-1 share 4 of 8 distinct words (0.5); 0-2 share 2 of 10 (0.2).
        let texts = [
            "alpha beta gamma delta epsilon zeta",
            "alpha beta gamma delta eta theta",
            "alpha beta iota kappa lambda mu",
        ];
        let at_half = roots(&texts, 1, 0.5);
        assert_eq!(at_half[1], 0);
        assert_eq!(at_half[2], 2);
    }

    #[test]
    fn a_crowd_in_one_bucket_joins_through_its_first() {
        let texts: Vec<String> = (0..100)
            .map(|_| "the very same words each time".to_owned())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(roots(&refs, 3, 0.5).iter().all(|&root| root == 0));
    }

    #[test]
    fn masks_differ() {
        let mut sorted = MASKS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), PERMUTATIONS);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any bytes (spaces, invalid UTF-8, nulls), any shingle width: no panic, and every
        /// root is the smallest row of its cluster.
        #[test]
        fn any_bytes_give_roots_of_smaller_rows(
            rows in prop::collection::vec(
                prop::option::of(prop::collection::vec(prop_oneof![Just(b' '), any::<u8>(), b'a'..=b'c'], 0..60)),
                0..40,
            ),
            words in 1usize..=64,
            min_jaccard in 0.0f64..=1.0,
        ) {
            let array = BinaryArray::from_iter(rows.iter().map(|row| row.as_deref()));
            let column = TextColumn::new(&[array.to_data()]).unwrap();
            let roots = near_duplicate_roots(&column, words, min_jaccard, 0).unwrap();
            prop_assert_eq!(roots.len(), rows.len());
            for (row, &root) in roots.iter().enumerate() {
                prop_assert!(root as usize <= row);
                prop_assert_eq!(roots[root as usize], root);
            }
        }
    }
}
