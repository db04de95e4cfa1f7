//! Item anchors: numbers that name the varying task inside a request, so that the same
//! dataset item sent by different accounts under different wrappers gets the same ones.
//!
//! A request's anchors are the two smallest hashes of the SHINGLE_WORDS-word shingles of
//! its lower-cased user text (a bottom-2 min-hash). A wrapper's shingles hash the same
//! wherever the wrapper goes, so when one of them is smallest it names the wrapper, which
//! recurs across an account's requests and is told apart from an item later by that; the
//! task's own smallest shingle is among the two unless two of the wrapper's are smaller
//! still. Work is bounded by the piece (at most EDGE_CHARS characters at each end of a
//! prompt).
//!
//! The text is not masked: an item is its literal words, numbers, quotes and code
//! included. With the numbers masked, the problems one template writes with other
//! numbers were one item: the generator's grammar gave the low-and-slow campaign's pool
//! of 2,400 items (2,153 distinct texts) 562 anchors, held by every other user of the
//! grammar, and its pairs shared a median of 4 items (19 on real text). Unmasked, the
//! pool has 1,049; the rest share a template's words, whose shingles can still be the
//! smallest. Code is left in too, so a boilerplate line can be an anchor; held by many
//! accounts, it is left out as any popular item is (`link.coharvest`).

use memchr::memchr3_iter;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Words in a shingle.
pub const SHINGLE_WORDS: usize = 5;
const ITEM_SEED: u64 = 13;

/// The two smallest distinct shingle hashes of a text, smallest first.
pub type Anchors = [Option<u64>; 2];

/// Keeps `hash` in `least` if it is among the two smallest distinct values seen.
fn keep(least: &mut Anchors, hash: u64) {
    match *least {
        [Some(first), _] if hash == first => {}
        [_, Some(second)] if hash == second => {}
        [Some(first), _] if hash > first => {
            if least[1].is_none_or(|second| hash < second) {
                least[1] = Some(hash);
            }
        }
        _ => *least = [Some(hash), least[0]],
    }
}

/// The anchors of `text` (words split by spaces, newlines and tabs). The starts of the
/// last SHINGLE_WORDS words are kept in a ring, so a text costs no allocation; words are
/// found by a vectorised search for those bytes (with `str::split`, finding the words
/// took more time than hashing the shingles).
pub fn anchors(text: &str) -> Anchors {
    let bytes = text.as_bytes();
    let mut least = [None, None];
    let mut starts = [0usize; SHINGLE_WORDS];
    // Words seen, and the ring slot of the oldest start (`words % SHINGLE_WORDS`).
    let mut words = 0usize;
    let mut oldest = 0usize;
    let mut at = 0;
    for end in memchr3_iter(b' ', b'\n', b'\t', bytes).chain(std::iter::once(bytes.len())) {
        if end > at {
            starts[oldest] = at;
            words += 1;
            oldest = if oldest + 1 == SHINGLE_WORDS {
                0
            } else {
                oldest + 1
            };
            if words >= SHINGLE_WORDS {
                // A space is one byte, so `starts[oldest]..end` spans whole characters.
                keep(
                    &mut least,
                    xxh3_64_with_seed(&bytes[starts[oldest]..end], ITEM_SEED),
                );
            }
        }
        at = end + 1;
    }
    least
}

/// A request's anchors from its pieces': a prompt read whole (`short`) by its one piece,
/// a longer one by the two smallest of its head's and tail's.
pub fn request_anchors(short: bool, head: &Anchors, tail: &Anchors) -> Anchors {
    if short {
        return *head;
    }
    let mut least = *head;
    for hash in tail.iter().flatten() {
        keep(&mut least, *hash);
    }
    least
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The anchors as first written, over `str::split`: the specification of `anchors`.
    fn anchors_by_split(text: &str) -> Anchors {
        let mut least = [None, None];
        let mut starts = [0usize; SHINGLE_WORDS];
        let mut words = 0usize;
        let mut at = 0;
        for word in text.split([' ', '\n', '\t']) {
            if !word.is_empty() {
                starts[words % SHINGLE_WORDS] = at;
                words += 1;
                if words >= SHINGLE_WORDS {
                    let start = starts[words % SHINGLE_WORDS];
                    if let Some(span) = text.get(start..at + word.len()) {
                        keep(&mut least, xxh3_64_with_seed(span.as_bytes(), ITEM_SEED));
                    }
                }
            }
            at += word.len() + 1;
        }
        least
    }

    proptest! {
        #[test]
        fn the_search_for_spaces_finds_the_words_split_does(
            text in proptest::collection::vec(
                prop_oneof![Just(" "), Just("  "), Just("\n"), Just("\t"), Just("a"), Just("bc"), Just("<n>"), Just("é"), Just("中文"), Just("x1")],
                0..40,
            ).prop_map(|parts| parts.concat())
        ) {
            prop_assert_eq!(anchors(&text), anchors_by_split(&text));
        }
    }

    #[test]
    fn the_same_task_under_other_wrappers_shares_an_anchor() {
        let task = "a farmer has seventeen sheep and all but nine run away how many are left \
                    at the end of the long and very cold winter on the hill";
        let plain =
            format!("hi there could you help me {task} please show your reasoning step by step");
        let other = format!("{task} walk me through your thinking in detail");
        let bare = anchors(task);
        for wrapped in [anchors(&plain), anchors(&other)] {
            assert!(wrapped
                .iter()
                .flatten()
                .any(|hash| bare.contains(&Some(*hash))));
        }
        let different = "hi there could you help me a train leaves the station at noon going east";
        assert!(!anchors(different)
            .iter()
            .flatten()
            .any(|hash| bare.contains(&Some(*hash))));
    }

    #[test]
    fn the_two_smallest_distinct_are_kept() {
        let mut least = [None, None];
        for hash in [9, 4, 4, 7, 12, 4, 5] {
            keep(&mut least, hash);
        }
        assert_eq!(least, [Some(4), Some(5)]);
        let mut one = [None, None];
        keep(&mut one, 3);
        keep(&mut one, 3);
        assert_eq!(one, [Some(3), None]);
    }

    #[test]
    fn short_texts_have_no_anchor() {
        assert_eq!(anchors(""), [None, None]);
        assert_eq!(anchors("thanks that fixed it"), [None, None]);
        assert_eq!(anchors("one two three four five")[1], None);
        assert!(anchors("one two three four five")[0].is_some());
    }

    #[test]
    fn a_long_prompt_takes_the_least_of_its_ends() {
        assert_eq!(
            request_anchors(false, &[Some(2), Some(9)], &[Some(4), Some(2)]),
            [Some(2), Some(4)]
        );
        assert_eq!(
            request_anchors(true, &[Some(2), Some(9)], &[Some(1), None]),
            [Some(2), Some(9)]
        );
        assert_eq!(
            request_anchors(false, &[None, None], &[Some(1), None]),
            [Some(1), None]
        );
    }
}
