//! Normalisation: mask the variable spans of lower-cased text and fold its white space,
//! exactly as the regular expressions of `patterns::MASKS` applied one after another
//! (then trimmed) would, by hand-written scanners: the first masks (`masks`, which few
//! texts need) one by one, then masks 5 to 7 in one pass (`ids`), then masks 8 to 11 and
//! the trim in one more (`values`). Text with an id beside a non-ASCII word character
//! (see `ids`) is masked by the expressions themselves.

use std::borrow::Cow;

use regex::NoExpand;

use crate::classes::is_digit;
use crate::ids::{mask_ids, Unicode};
use crate::masks::{self, Triggers};
use crate::patterns::compiled;
use crate::values::mask_values;

/// Lower-case `text` as Polars' `str.to_lowercase` does (Rust's full Unicode mapping,
/// final sigma included), with an ASCII fast path.
pub fn lowercase(text: &str) -> Cow<'_, str> {
    // One read, without an early exit, so on vector registers.
    let (mut upper, mut non_ascii) = (false, false);
    for &byte in text.as_bytes() {
        upper |= byte.is_ascii_uppercase();
        non_ascii |= byte >= 0x80;
    }
    if non_ascii {
        Cow::Owned(text.to_lowercase())
    } else if upper {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` lower-cased, masked and whitespace-folded; idempotent on its output.
pub fn normalise(text: &str) -> String {
    normalise_lowered(&lowercase(text))
}

/// Masks and folds already lower-cased text: each mask of `patterns::MASKS` in order,
/// then leading and trailing white space trimmed.
pub fn normalise_lowered(lowered: &str) -> String {
    scanned(lowered).unwrap_or_else(|Unicode| normalise_by_regex(lowered))
}

/// Whether masks 5 to 7 may find anything: a UUID needs its dashes, a hex id an ASCII
/// digit, a letter+digit id three digits (Unicode ones too). Text with none of these
/// is left as it is by the three expressions, so `ids` need not read it.
fn may_hold_ids(text: &str) -> bool {
    let bytes = text.as_bytes();
    // No early exit: the loop runs on vector registers.
    let (mut digit, mut non_ascii, mut dashes) = (false, false, 0usize);
    for &byte in bytes {
        digit |= byte.is_ascii_digit();
        non_ascii |= byte >= 0x80;
        dashes += usize::from(byte == b'-');
    }
    digit
        || (bytes.len() >= 36 && dashes >= 4)
        || (non_ascii && text.chars().any(|c| !c.is_ascii() && is_digit(c)))
}

/// The scanners' normalisation, or `Unicode` for text they leave to the expressions.
fn scanned(lowered: &str) -> Result<String, Unicode> {
    let mut text = Cow::Borrowed(lowered);
    let triggers = Triggers::of(lowered);
    if triggers.any_span() {
        let mut spare = String::new();
        for scan in masks::scanners(triggers) {
            if scan(&text, &mut spare) {
                text = Cow::Owned(std::mem::take(&mut spare));
            }
        }
    }
    let mut ids = String::new();
    let text = if may_hold_ids(&text) && mask_ids(&text, &mut ids)? {
        ids.as_str()
    } else {
        &text
    };
    let mut out = String::with_capacity(text.len());
    mask_values(text, &mut out);
    Ok(out)
}

/// Masks and folds with the regular expressions alone: the specification the scanners
/// are tested against, and what masks the text they leave to it.
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

    /// Text made of what the masks look for, in any order and next to each other.
    fn mixed_text() -> impl Strategy<Value = String> {
        let parts: &'static [&'static str] = &[
            "a",
            "f",
            "x",
            "z",
            "0",
            "7",
            "123",
            "1,5",
            ".",
            "%",
            "-",
            "+",
            "_",
            " ",
            "  ",
            "\n",
            "\t",
            "\r",
            "\x00",
            "\u{85}",
            "\u{a0}",
            "\u{3000}",
            "\"",
            "“",
            "”",
            "`",
            "```",
            "<",
            ">",
            "<n>",
            "<id>",
            "<q>",
            "<code>",
            "<v>",
            ",",
            ";",
            ":",
            "|",
            "/",
            "(",
            "]",
            "{",
            "http://",
            "www.",
            "@",
            "a@b.c",
            "é",
            "中",
            "١",
            "\u{301}",
            "deadbeef",
            "1a2b",
            "user_2093",
            "order-",
            "12345678-1234-abcd-1234-123456789abc",
            "aaaa",
        ];
        prop::collection::vec(prop::sample::select(parts), 0..60).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

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
            if let Ok(scanned) = scanned(&lowered) {
                prop_assert_eq!(scanned, normalise_by_regex(&lowered));
            }
        }

        #[test]
        fn scanners_normalise_mixed_spans_as_the_expressions_do(text in mixed_text()) {
            if let Ok(scanned) = scanned(&text) {
                prop_assert_eq!(scanned, normalise_by_regex(&text), "on {:?}", text);
            }
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
