//! Closers: the last line or sentence of a prompt, when a wrapper ends it.
//!
//! A campaign wraps every task in its own words, and the words after the task ("Reason
//! carefully step by step, and only then answer.") are the same whatever the task is. A
//! frame's last words (`FRAME_EDGE_WORDS`) miss them when the closing sentence is shorter
//! than that: "…in September? Give the final result only." ends every frame with a word
//! of the task. The closer is the last sentence of the normalised text: the words after
//! the last word before them that ends a sentence (`.`, `?`, `!` or `:`), where a line
//! break before the prompt's last line also ends one. Normalising folds line breaks, and
//! a task that ends without a mark (a list, code, a table) left nothing to find: on a
//! replayed gateway log, a campaign that put its reasoning ask on a line of its own after
//! public tasks had a closer in 41-62% of its requests. It exists only when the text has
//! words before it and it has at most CLOSER_MAX_WORDS words: a text of one sentence is
//! all task, and a long last sentence is the task's own. (Taking the whole last line
//! instead moved one paraphraser out of its campaign on the generator's 200k log: its
//! closing lines were its own, their last sentences the campaign's.)
//!
//! Work is bounded by the piece: one backward search for a line break and a count of at
//! most CLOSER_MAX_WORDS + 1 words, then one backward search for spaces over as many.

use memchr::{memrchr, memrchr_iter};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::normalise::normalise_lowered;

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

/// The last line of `lowered` (lower-cased, not normalised), when a line with text
/// comes before it and it has one to CLOSER_MAX_WORDS words.
pub fn closing_line(lowered: &str) -> Option<&str> {
    let trimmed = lowered.trim_end();
    let newline = memrchr(b'\n', trimmed.as_bytes())?;
    // A line break is one byte, so both slices fall on character boundaries.
    let (before, line) = (&trimmed[..newline], &trimmed[newline + 1..]);
    let words = line.split_whitespace().take(CLOSER_MAX_WORDS + 1).count();
    (!before.trim().is_empty() && (1..=CLOSER_MAX_WORDS).contains(&words)).then_some(line)
}

/// The fingerprint of a piece's closer: the last sentence of its closing line
/// (`closing_line`, normalised; the whole line when it is one sentence), or else its
/// normalised text's closing sentence (`closer_fp`). Where the task ends with a mark,
/// both give what the sentence rule alone gave.
pub fn piece_closer_fp(lowered: &str, normalised: &str) -> Option<u64> {
    match closing_line(lowered) {
        Some(line) => {
            let text = normalise_lowered(line);
            let closer = closer_text(&text).unwrap_or(&text);
            (!closer.is_empty()).then(|| xxh3_64_with_seed(closer.as_bytes(), CLOSER_SEED))
        }
        None => closer_fp(normalised),
    }
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

    #[test]
    fn a_closing_line_after_a_task_without_a_mark() {
        let ask = "let's reason through this carefully, step by step.";
        let after_list = format!("list the steps:\n- mix\n- bake\n\n{ask}");
        let after_code = format!("fix this:\nfn main() {{}}\n{ask}\n");
        assert_eq!(closing_line(&after_list), Some(ask));
        assert_eq!(closing_line(&after_code), Some(ask));
        let expected = closer_fp(&format!("intro. {ask}"));
        assert!(expected.is_some());
        assert_eq!(piece_closer_fp(&after_list, "unused"), expected);
        assert_eq!(piece_closer_fp(&after_code, "unused"), expected);
    }

    #[test]
    fn a_closing_line_of_two_sentences_closes_with_its_last() {
        let two = "sort these:\n- a\n- b\nthink twice. answer once.";
        assert_eq!(piece_closer_fp(two, "unused"), closer_fp("x. answer once."));
    }

    #[test]
    fn no_closing_line_alone_or_too_long() {
        assert_eq!(closing_line("one line only"), None);
        assert_eq!(closing_line("\n\n  \nonly a last line"), None);
        let long = format!("task\n{}", vec!["word"; CLOSER_MAX_WORDS + 1].join(" "));
        assert_eq!(closing_line(&long), None);
        // Then the sentence rule applies, to the normalised text.
        assert_eq!(
            piece_closer_fp("how many? keep it brief.", "how many? keep it brief."),
            closer_fp("how many? keep it brief.")
        );
    }

    proptest! {
        #[test]
        fn a_closing_line_is_a_short_last_line(text in "[a-z. \n\u{e9}\u{4e2d}]{0,80}") {
            if let Some(line) = closing_line(&text) {
                prop_assert!(text.trim_end().ends_with(line));
                prop_assert!(!line.contains('\n'));
                prop_assert!(line.split_whitespace().count() <= CLOSER_MAX_WORDS);
            }
        }

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
