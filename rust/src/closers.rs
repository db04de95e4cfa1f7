//! Closers: the last sentence of a prompt, when a wrapper ends it.
//!
//! A campaign wraps every task in its own words, and the words after the task ("Reason
//! carefully step by step, and only then answer.") are the same whatever the task is. A
//! frame's last words (`FRAME_EDGE_WORDS`) miss them when the closing sentence is shorter
//! than that: "…in September? Give the final result only." ends every frame with a word
//! of the task. The closer is the last sentence of the normalised text: the words after
//! the last word before them that ends a sentence (`.`, `?`, `!` or `:`). It exists only
//! when the text has words before it and it has at most CLOSER_MAX_WORDS words: a text
//! of one sentence is all task, and a long last sentence is the task's own.
//!
//! Work is bounded by the piece: one backward search for spaces over at most
//! CLOSER_MAX_WORDS + 1 words.

use memchr::{memrchr, memrchr_iter};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Words a closing sentence may have.
pub const CLOSER_MAX_WORDS: usize = 16;
const CLOSER_SEED: u64 = 17;

/// Whether a normalised word ends a sentence.
fn ends_sentence(word: &[u8]) -> bool {
    matches!(word.last(), Some(b'.' | b'?' | b'!' | b':'))
}

/// The closing sentence of `normalised` (words split by single spaces), if it has one.
pub fn closer_text(normalised: &str) -> Option<&str> {
    let bytes = normalised.as_bytes();
    // The k-th space from the end starts a candidate of k + 1 words; the word before
    // that space decides whether a sentence ends there.
    for (words_before, space) in memrchr_iter(b' ', bytes).enumerate() {
        if words_before >= CLOSER_MAX_WORDS {
            return None;
        }
        let word_start = memrchr(b' ', &bytes[..space]).map_or(0, |before| before + 1);
        if ends_sentence(&bytes[word_start..space]) {
            // A space is one byte, so `space + 1` begins a character.
            let closer = &normalised[space + 1..];
            return (!closer.is_empty()).then_some(closer);
        }
    }
    None
}

/// The fingerprint of `normalised`'s closing sentence (see `closer_text`).
pub fn closer_fp(normalised: &str) -> Option<u64> {
    closer_text(normalised).map(|text| xxh3_64_with_seed(text.as_bytes(), CLOSER_SEED))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_last_sentence_after_a_task() {
        assert_eq!(
            closer_text("problem: a hay farmer harvested <n> bales in september? give the final result only."),
            Some("give the final result only.")
        );
        assert_eq!(
            closer_text("problem: twenty gallons of tea. reason carefully step by step, making each inference explicit, and only then answer."),
            Some("reason carefully step by step, making each inference explicit, and only then answer.")
        );
        assert_eq!(closer_text("summarise this: <code>"), Some("<code>"));
    }

    #[test]
    fn none_for_one_sentence_or_a_long_last_one() {
        assert_eq!(
            closer_text("how many pints of tea did geraldo drink?"),
            None
        );
        assert_eq!(closer_text(""), None);
        assert_eq!(closer_text("done."), None);
        let long = format!("intro. {}", vec!["word"; CLOSER_MAX_WORDS + 1].join(" "));
        assert_eq!(closer_text(&long), None);
        let fits = format!("intro. {}", vec!["word"; CLOSER_MAX_WORDS].join(" "));
        assert_eq!(closer_text(&fits), Some(&fits[7..]));
    }

    #[test]
    fn a_final_mark_is_not_a_boundary_of_its_own() {
        // The text's own last word ends a sentence; the boundary is the one before it.
        assert_eq!(
            closer_text("first part. second part."),
            Some("second part.")
        );
        assert_eq!(closer_text("first part second part."), None);
    }

    #[test]
    fn fingerprints_are_pinned() {
        assert_eq!(closer_fp("a. b"), closer_fp("x? b"));
        assert_ne!(closer_fp("a. b"), closer_fp("a. c"));
        assert_eq!(
            closer_fp("a. b"),
            Some(xxh3_64_with_seed(b"b", CLOSER_SEED))
        );
    }

    proptest! {
        #[test]
        fn a_closer_is_a_proper_suffix_of_whole_words(text in "[a-z.?!: <>]{0,80}") {
            let normalised = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(closer) = closer_text(&normalised) {
                prop_assert!(normalised.len() > closer.len());
                prop_assert!(normalised.ends_with(closer));
                prop_assert!(normalised[..normalised.len() - closer.len()].ends_with(' '));
                prop_assert!(closer.split(' ').count() <= CLOSER_MAX_WORDS);
            }
        }
    }
}
