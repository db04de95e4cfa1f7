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

/// Each text's MinHash signature and its sorted, distinct shingle hashes.
type Shingled = Vec<([u64; PERMUTATIONS], Vec<u64>)>;

fn shingled(texts: &TextColumn, words: usize) -> Result<Shingled, BadBuffer> {
    (0..texts.len())
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
        .collect()
}

/// The Jaccard similarity of two sorted, distinct shingle sets (neither empty).
fn jaccard(x: &[u64], y: &[u64]) -> f64 {
    let shared = shared_count(x, y);
    shared as f64 / (x.len() + y.len() - shared) as f64
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
    let shingled = shingled(texts, words)?;
    let everyone: Vec<u32> = (0..shingled.len() as u32).collect();
    Ok(member_roots(&shingled, &everyone, min_jaccard, neighbours))
}

/// `near_duplicate_roots` over the `members` (sorted indexes into `shingled`) alone: the
/// root of each member as a position in `members`.
fn member_roots(
    shingled: &Shingled,
    members: &[u32],
    min_jaccard: f64,
    neighbours: usize,
) -> Vec<u32> {
    let set = |local: u32| &shingled[members[local as usize] as usize].1;
    let signature = |local: u32| &shingled[members[local as usize] as usize].0;
    let similar = |x: u32, y: u32| jaccard(set(x), set(y)) >= min_jaccard;
    let mut components = UnionFind::new(members.len() as u32);
    let mut keys: Vec<(u64, u32)> = Vec::with_capacity(members.len());
    for band in (0..PERMUTATIONS).step_by(BAND_ROWS) {
        keys.clear();
        keys.par_extend((0..members.len() as u32).into_par_iter().map(|local| {
            let mut bytes = [0u8; 8 * BAND_ROWS];
            for (row, hash) in signature(local)[band..band + BAND_ROWS].iter().enumerate() {
                bytes[row * 8..row * 8 + 8].copy_from_slice(&hash.to_le_bytes());
            }
            (xxh3_64_with_seed(&bytes, BAND_SEED), local)
        }));
        keys.par_sort_unstable();
        for bucket in keys.chunk_by(|x, y| x.0 == y.0) {
            if bucket.len() <= ALL_PAIRS_BUCKET {
                for (offset, &(_, x)) in bucket.iter().enumerate() {
                    for &(_, y) in &bucket[offset + 1..] {
                        components.join_if(x, y, || similar(x, y));
                    }
                }
            } else {
                let first = bucket[0].1;
                for &(_, y) in &bucket[1..] {
                    components.join_if(first, y, || similar(first, y));
                }
                if neighbours > 0 {
                    let mut locals: Vec<u32> = bucket.iter().map(|&(_, local)| local).collect();
                    locals.sort_unstable_by(|&x, &y| {
                        beyond_band(signature(x), band)
                            .cmp(beyond_band(signature(y), band))
                            .then(x.cmp(&y))
                    });
                    for (offset, &x) in locals.iter().enumerate() {
                        for &y in locals[offset + 1..].iter().take(neighbours) {
                            components.join_if(x, y, || similar(x, y));
                        }
                    }
                }
            }
        }
    }
    components.roots()
}

/// Each text's template representative (its index; its own where it joins no template).
/// Near duplicates are clustered as `near_duplicate_roots` does, and each cluster keeps
/// the texts at `min_jaccard` or more to its representative, the text of the largest
/// `weights` (ties: the smallest text, then index). Those a cluster does not keep are
/// clustered again among themselves, for `rounds` rounds; a representative that keeps
/// none of its cluster is left out with it. Single linkage alone chains texts that
/// share little, each through what it shares with the next.
pub fn template_representatives(
    texts: &TextColumn,
    weights: &[f64],
    words: usize,
    min_jaccard: f64,
    rounds: usize,
) -> Result<Vec<u32>, BadBuffer> {
    let shingled = shingled(texts, words)?;
    let count = shingled.len() as u32;
    let mut representative: Vec<u32> = (0..count).collect();
    let mut pending: Vec<u32> = (0..count).collect();
    let text = |index: u32| texts.bytes(index as usize).map(Option::unwrap_or_default);
    let weight = |index: u32| weights.get(index as usize).copied().unwrap_or(0.0);
    for _ in 0..rounds {
        if pending.len() < 2 {
            break;
        }
        let roots = member_roots(&shingled, &pending, min_jaccard, 0);
        let mut clusters: Vec<(u32, u32)> = roots
            .iter()
            .zip(&pending)
            .map(|(&root, &index)| (root, index))
            .collect();
        clusters.sort_unstable();
        let mut left_out = Vec::new();
        for cluster in clusters.chunk_by(|x, y| x.0 == y.0) {
            if cluster.len() < 2 {
                continue;
            }
            let mut best = cluster[0].1;
            for &(_, index) in &cluster[1..] {
                let order = weight(best)
                    .total_cmp(&weight(index))
                    .then(text(index)?.cmp(text(best)?))
                    .then(index.cmp(&best));
                if order.is_lt() {
                    best = index;
                }
            }
            let near = |index: u32| {
                index == best
                    || jaccard(&shingled[index as usize].1, &shingled[best as usize].1)
                        >= min_jaccard
            };
            let kept = cluster.iter().filter(|&&(_, index)| near(index)).count();
            for &(_, index) in cluster {
                if kept >= 2 && near(index) {
                    representative[index as usize] = best;
                } else {
                    left_out.push(index);
                }
            }
        }
        left_out.sort_unstable();
        pending = left_out;
    }
    Ok(representative)
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
    fn templates_keep_near_duplicates_of_their_representative() {
        // 0 ~ 1 ~ 2 ~ 3 in a chain; 2 and 3 are far from the heaviest, 0.
        let stem = "answer in plain text with no markdown and ask a clarifying question ¶ ";
        let texts: Vec<String> = [
            "solve this problem and show your working in detail before you answer",
            "why do i get this error and show your working in detail before you answer",
            "why do i get this error here in my code when i run it",
            "why do i get this warning here in my code when i run it",
            "a text like no other",
        ]
        .iter()
        .map(|tail| format!("{stem}{tail}"))
        .collect();
        let array = StringArray::from(texts.iter().map(String::as_str).collect::<Vec<_>>());
        let column = TextColumn::new(&[array.to_data()]).unwrap();
        let weights = [50.0, 20.0, 30.0, 10.0, 5.0];
        assert_eq!(
            near_duplicate_roots(&column, 3, 0.5, 0).unwrap()[..4],
            [0, 0, 0, 0]
        );
        let one_round = template_representatives(&column, &weights, 3, 0.5, 1).unwrap();
        assert_eq!(one_round, vec![0, 0, 2, 3, 4]);
        let two_rounds = template_representatives(&column, &weights, 3, 0.5, 2).unwrap();
        assert_eq!(two_rounds, vec![0, 0, 2, 2, 4]);
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

        /// Any bytes, weights (NaN and infinities too) and rounds: no panic; every
        /// representative is its own, and every member of a template is at the bar to it.
        #[test]
        fn templates_are_stars_around_their_own_representative(
            rows in prop::collection::vec(
                prop::option::of(prop::collection::vec(prop_oneof![Just(b' '), any::<u8>(), b'a'..=b'c'], 0..60)),
                0..40,
            ),
            weights in prop::collection::vec(any::<f64>(), 40),
            words in 1usize..=64,
            min_jaccard in 0.0f64..=1.0,
            rounds in 0usize..5,
        ) {
            let array = BinaryArray::from_iter(rows.iter().map(|row| row.as_deref()));
            let column = TextColumn::new(&[array.to_data()]).unwrap();
            let weights = &weights[..rows.len()];
            let reps = template_representatives(&column, weights, words, min_jaccard, rounds).unwrap();
            prop_assert_eq!(reps.len(), rows.len());
            let sets = shingled(&column, words).unwrap();
            for (row, &rep) in reps.iter().enumerate() {
                prop_assert_eq!(reps[rep as usize], rep);
                if rep as usize != row {
                    prop_assert!(jaccard(&sets[row].1, &sets[rep as usize].1) >= min_jaccard);
                }
            }
        }
    }
}
