//! Normalisation: mask the variable spans of lower-cased text and fold its whitespace,
//! exactly as the regular expressions of `patterns::MASKS` applied one after another
//! (then trimmed) would, but with hand-written scanners for the masks that cost most.

use std::borrow::Cow;

use regex::NoExpand;

use crate::masks;
use crate::patterns::compiled;

/// Lower-case `text` as Polars' `str.to_lowercase` does (Rust's full Unicode mapping,
/// final sigma included), with an ASCII fast path.
pub fn lowercase(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|byte| byte.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// `text` lower-cased, masked and whitespace-folded; idempotent on its output.
pub fn normalise(text: &str) -> String {
    normalise_lowered(&lowercase(text))
}

/// Masks and folds already lower-cased text: each mask of `patterns::MASKS` in order,
/// then leading and trailing whitespace trimmed.
pub fn normalise_lowered(lowered: &str) -> String {
    let mut text = lowered.to_owned();
    let mut spare = String::with_capacity(text.len() + 16);
    let needs = masks::Needs::of(lowered);
    let mut any_replaced = false;
    for (index, (regex, replacement)) in compiled().masks.iter().enumerate() {
        if !needs.may_match(index, any_replaced) {
            continue;
        }
        let replaced = match masks::scanner(index) {
            Some(scan) => scan(&text, &mut spare),
            None => match regex.replace_all(&text, NoExpand(replacement)) {
                Cow::Borrowed(_) => false,
                Cow::Owned(out) => {
                    spare = out;
                    true
                }
            },
        };
        if replaced {
            std::mem::swap(&mut text, &mut spare);
            any_replaced = true;
        }
    }
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    }
}

/// Masks and folds with the regular expressions alone: the specification the scanners
/// are tested against.
#[cfg(test)]
pub fn normalise_by_regex(lowered: &str) -> String {
    let mut text = Cow::Borrowed(lowered);
    for (regex, replacement) in &compiled().masks {
        if let Cow::Owned(out) = regex.replace_all(&text, NoExpand(replacement)) {
            text = Cow::Owned(out);
        }
    }
    text.trim().to_owned()
}

/// The first `count` words of normalised text (single spaces between words, none at
/// either end), as `^\S+(?:\s\S+){0,count-1}` finds them.
pub fn head_words(normalised: &str, count: usize) -> &str {
    match normalised.match_indices(' ').nth(count.saturating_sub(1)) {
        Some((end, _)) => &normalised[..end],
        None => normalised,
    }
}

/// The last `count` words of normalised text, as `\S+(?:\s\S+){0,count-1}$` finds them.
pub fn tail_words(normalised: &str, count: usize) -> &str {
    match normalised.rmatch_indices(' ').nth(count.saturating_sub(1)) {
        Some((start, _)) => &normalised[start + 1..],
        None => normalised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    #[test]
    fn masks_variable_spans() {
        let text = "Price 3.50 at https://x.io/a?b=1 id 9f8e7d6c5b and \"quoted bit\" mail a@b.com or ```py\nx=1\n```";
        assert_eq!(
            normalise(text),
            "price <n> at <url> id <id> and <q> mail <email> or <code>"
        );
    }

    #[test]
    fn masks_ids_beside_non_ascii_text() {
        assert_eq!(
            normalise("订单 a1b2c3d4 已发货 user_20931 “ok”"),
            "订单 <id> 已发货 <v>"
        );
    }

    fn words_by_regex(pattern: &str, text: &str) -> String {
        Regex::new(pattern)
            .unwrap()
            .find(text)
            .map(|found| found.as_str().to_owned())
            .unwrap_or_default()
    }

    proptest! {
        #[test]
        fn words_equal_the_expressions(text in "[a-c<> ]{0,40}") {
            let normalised = normalise(&text);
            prop_assert_eq!(head_words(&normalised, 6), words_by_regex(r"^\S+(?:\s\S+){0,5}", &normalised));
            prop_assert_eq!(tail_words(&normalised, 6), words_by_regex(r"\S+(?:\s\S+){0,5}$", &normalised));
            prop_assert_eq!(head_words(&normalised, 1), words_by_regex(r"^\S+(?:\s\S+){0,0}", &normalised));
        }

        #[test]
        fn scanners_normalise_as_the_expressions_do(text in "\\PC{0,300}|[ -~\t\n\r\u{85}\u{a0}\u{3000}“”é١]{0,300}") {
            let lowered = lowercase(&text);
            prop_assert_eq!(normalise_lowered(&lowered), normalise_by_regex(&lowered));
        }

        // Backticks are left out: the masks are not idempotent on nested inline code
        // ("``0``" gives "` <code> `", which gives "<code>"), in Polars as here.
        #[test]
        fn normalising_is_idempotent(text in "[^`\\p{C}]{0,200}") {
            let once = normalise(&text);
            prop_assert_eq!(normalise(&once), once);
        }
    }
}
