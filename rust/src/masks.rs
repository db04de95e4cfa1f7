//! Which masks of `patterns::MASKS` a text needs at all, and hand-written scanners for
//! the masks that the regex engine runs slowly (control characters, code fences, UUIDs,
//! numbers: each has no literal for the engine's fast prefilters; whitespace in ASCII
//! text). Each scanner replaces exactly what its expression's `replace_all` replaces;
//! the tests below check that on random text built from each mask's special characters.
//! Other masks run as expressions: scanners for hex ids and runs of values were written
//! and measured, and the engine ran them as fast or faster.

use crate::classes::{is_ascii_word_byte, is_digit};

/// What a text holds that some mask needs: a mask whose needs are absent cannot match,
/// so it is skipped (most prompts need only a few of the twelve). Replacements add only
/// spaces and `<token>`s, so what they lack stays absent as masks run, except spaces
/// and `<`, which `replaced` covers.
pub struct Needs {
    control: bool,
    backtick: bool,
    link: bool,
    at: bool,
    dashes: bool,
    ascii_digit: bool,
    non_ascii: bool,
    quote: bool,
    less_than: bool,
    whitespace: bool,
}

impl Needs {
    pub fn of(text: &str) -> Needs {
        let bytes = text.as_bytes();
        let mut needs = Needs {
            control: false,
            backtick: false,
            link: false,
            at: false,
            dashes: false,
            ascii_digit: false,
            non_ascii: false,
            quote: false,
            less_than: false,
            whitespace: false,
        };
        let mut dashes = 0;
        let mut previous_space = false;
        for &byte in bytes {
            match byte {
                b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => {
                    needs.whitespace = true;
                    needs.control |= byte != b'\t' && byte != b'\n';
                }
                0..=0x1f | 0x7f => needs.control = true,
                b'`' => needs.backtick = true,
                b'@' => needs.at = true,
                b'-' => dashes += 1,
                b'0'..=b'9' => needs.ascii_digit = true,
                b'"' => needs.quote = true,
                b'<' => needs.less_than = true,
                b' ' => needs.whitespace |= previous_space,
                0x80.. => needs.non_ascii = true,
                _ => {}
            }
            previous_space = byte == b' ';
        }
        needs.whitespace |= needs.non_ascii;
        needs.control |= needs.non_ascii;
        needs.dashes = dashes >= 4 && bytes.len() >= 36;
        needs.link = memchr::memmem::find(bytes, b"://").is_some()
            || memchr::memmem::find(bytes, b"www.").is_some();
        needs
    }

    /// Whether mask `index` can match, given that an earlier mask `replaced` something.
    pub fn may_match(&self, index: usize, replaced: bool) -> bool {
        let digit = self.ascii_digit || self.non_ascii;
        match index {
            0 => self.control,
            1 | 2 => self.backtick,
            3 => self.link,
            4 => self.at,
            5 => self.dashes,
            6 => self.ascii_digit,
            7 | 9 => digit,
            8 => self.quote || self.non_ascii,
            10 => self.less_than || replaced,
            _ => self.whitespace || replaced,
        }
    }
}

/// A scanner: writes the masked form of its input into `out` and says whether anything
/// was replaced (when not, `out` holds nothing useful).
pub type Scanner = fn(&str, &mut String) -> bool;

/// The scanner that replaces mask `index` of `patterns::MASKS`, if there is one.
pub fn scanner(index: usize) -> Option<Scanner> {
    match index {
        0 => Some(control_characters),
        1 => Some(code_fences),
        5 => Some(uuids),
        9 => Some(numbers),
        11 => Some(whitespace_runs),
        _ => None,
    }
}

/// Rewrites `text` into `out`: `candidate` picks the bytes where a match may start (each
/// must start a character), and `at` says, for a candidate position, how many bytes its
/// match covers and what replaces them (None: no match there). The bytes between
/// matches are copied whole. Says whether anything was replaced.
fn rewrite(
    text: &str,
    out: &mut String,
    candidate: impl Fn(u8) -> bool,
    mut at: impl FnMut(usize) -> Option<(usize, &'static str)>,
) -> bool {
    let bytes = text.as_bytes();
    out.clear();
    let mut copied = 0;
    let mut replaced = false;
    let mut position = 0;
    while position < bytes.len() {
        if !candidate(bytes[position]) {
            position += 1;
            continue;
        }
        match at(position) {
            Some((end, replacement)) => {
                out.push_str(&text[copied..position]);
                out.push_str(replacement);
                copied = end;
                position = end;
                replaced = true;
            }
            None => position += 1,
        }
    }
    if !replaced {
        return false;
    }
    out.push_str(&text[copied..]);
    true
}

/// The character starting at byte `position` of `text` (which must start one).
fn char_at(text: &str, position: usize) -> Option<char> {
    text.get(position..).and_then(|rest| rest.chars().next())
}

/// `[\x00-\x08\x0b-\x1f\x7f-\x9f]` → " ".
fn control_characters(text: &str, out: &mut String) -> bool {
    // U+0080..U+009F are encoded with the lead byte 0xC2.
    let candidate =
        |byte: u8| (byte < 0x20 && byte != b'\t' && byte != b'\n') || byte == 0x7f || byte == 0xc2;
    rewrite(text, out, candidate, |position| {
        let c = char_at(text, position)?;
        matches!(c, '\x00'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}')
            .then(|| (position + c.len_utf8(), " "))
    })
}

/// "```[\s\S]*?```" → " <code> ": each fence runs to the nearest closing fence. When the
/// first opening fence has no closing one, no later fence has one either.
fn code_fences(text: &str, out: &mut String) -> bool {
    const FENCE: &str = "```";
    out.clear();
    let mut copied = 0;
    let finder = memchr::memmem::Finder::new(FENCE);
    let find = |from: usize| finder.find(&text.as_bytes()[from..]).map(|at| from + at);
    while let Some(open) = find(copied) {
        let Some(close) = find(open + FENCE.len()) else {
            break;
        };
        out.push_str(&text[copied..open]);
        out.push_str(" <code> ");
        copied = close + FENCE.len();
    }
    if copied == 0 {
        return false;
    }
    out.push_str(&text[copied..]);
    true
}

/// The starts of the maximal runs of ASCII word bytes, with their ends: the only places
/// where `(?-u:\b)` can open a match that begins with a word byte.
fn ascii_words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut position = 0;
    std::iter::from_fn(move || {
        while position < bytes.len() && !is_ascii_word_byte(bytes[position]) {
            position += 1;
        }
        if position == bytes.len() {
            return None;
        }
        let start = position;
        while position < bytes.len() && is_ascii_word_byte(bytes[position]) {
            position += 1;
        }
        Some((start, position))
    })
}

fn is_lower_hex(byte: u8) -> bool {
    byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)
}

/// `\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b` (ASCII boundaries)
/// → " <id> ". A match starts at a word start and its first group is a whole word.
fn uuids(text: &str, out: &mut String) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    const LENGTH: usize = 36;
    let bytes = text.as_bytes();
    if bytes.len() < LENGTH || bytes.iter().filter(|&&byte| byte == b'-').count() < 4 {
        return false;
    }
    let is_uuid_at = |start: usize| {
        let mut position = start;
        for (index, &group) in GROUPS.iter().enumerate() {
            if index > 0 {
                if bytes.get(position) != Some(&b'-') {
                    return false;
                }
                position += 1;
            }
            match bytes.get(position..position + group) {
                Some(run) if run.iter().all(|&byte| is_lower_hex(byte)) => position += group,
                _ => return false,
            }
        }
        bytes
            .get(position)
            .is_none_or(|&byte| !is_ascii_word_byte(byte))
    };
    out.clear();
    let mut copied = 0;
    for (start, _) in ascii_words(bytes) {
        if start >= copied && is_uuid_at(start) {
            out.push_str(&text[copied..start]);
            out.push_str(" <id> ");
            copied = start + LENGTH;
        }
    }
    if copied == 0 {
        return false;
    }
    out.push_str(&text[copied..]);
    true
}

/// `[-+]?\d[\d,]*(?:\.\d+)?%?` → "<n>" (Unicode digits, so any non-ASCII character
/// may start one).
fn numbers(text: &str, out: &mut String) -> bool {
    let digit_at = |position: usize| char_at(text, position).filter(|&c| is_digit(c));
    let candidate =
        |byte: u8| byte.is_ascii_digit() || byte == b'-' || byte == b'+' || byte >= 0xc0;
    rewrite(text, out, candidate, |position| {
        let mut end = match text.as_bytes()[position] {
            b'-' | b'+' => position + 1 + digit_at(position + 1)?.len_utf8(),
            _ => position + digit_at(position)?.len_utf8(),
        };
        while let Some(next) = char_at(text, end).filter(|&next| next == ',' || is_digit(next)) {
            end += next.len_utf8();
        }
        if text.as_bytes().get(end) == Some(&b'.') {
            if let Some(digit) = digit_at(end + 1) {
                end += 1 + digit.len_utf8();
                while let Some(next) = digit_at(end) {
                    end += next.len_utf8();
                }
            }
        }
        if text.as_bytes().get(end) == Some(&b'%') {
            end += 1;
        }
        Some((end, "<n>"))
    })
}

/// `[^\S ]\s*| \s+` → " ": every run of whitespace but a lone space becomes one space.
/// ASCII text only, byte by byte (the common case); other text goes to the expression,
/// whose `\s` holds some twenty non-ASCII spaces.
fn whitespace_runs(text: &str, out: &mut String) -> bool {
    if !text.is_ascii() {
        let (regex, replacement) = &crate::patterns::compiled().masks[11];
        return match regex.replace_all(text, regex::NoExpand(replacement)) {
            std::borrow::Cow::Borrowed(_) => false,
            std::borrow::Cow::Owned(replaced) => {
                *out = replaced;
                true
            }
        };
    }
    let is_space = |byte: u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let bytes = text.as_bytes();
    out.clear();
    let mut replaced = false;
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        position += 1;
        if !is_space(byte) {
            out.push(char::from(byte));
            continue;
        }
        let start = position - 1;
        while position < bytes.len() && is_space(bytes[position]) {
            position += 1;
        }
        replaced |= byte != b' ' || position - start > 1;
        out.push(' ');
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::compiled;
    use proptest::prelude::*;
    use regex::NoExpand;

    /// Text from `parts`: the characters and strings a mask is sensitive to, plus a few
    /// ordinary and non-ASCII ones.
    fn text_of(parts: &'static [&'static str]) -> impl Strategy<Value = String> {
        let common: &'static [&'static str] = &[
            "a", "f", "g", "z", "0", "9", " ", "\n", "-", "_", ".", "é", "中", "١", "\u{a0}",
            "\u{85}", "<", ">",
        ];
        prop::collection::vec(
            prop_oneof![3 => prop::sample::select(parts), 2 => prop::sample::select(common)],
            0..80,
        )
        .prop_map(|pieces| pieces.concat())
    }

    fn assert_same(index: usize, text: &str) -> Result<(), TestCaseError> {
        let (regex, replacement) = &compiled().masks[index];
        let expected = regex.replace_all(text, NoExpand(replacement));
        let mut out = String::new();
        let scan = scanner(index).expect("a scanner");
        let got = if scan(text, &mut out) {
            out.as_str()
        } else {
            text
        };
        prop_assert_eq!(got, expected.as_ref(), "mask {} on {:?}", index, text);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn control_characters_match(text in text_of(&["\x00", "\x08", "\t", "\x0b", "\x1f", "\x7f", "\u{80}", "\u{9f}", "\u{a0}", "\r"])) {
            assert_same(0, &text)?;
        }

        #[test]
        fn code_fences_match(text in text_of(&["`", "``", "```", "````", "\n"])) {
            assert_same(1, &text)?;
        }

        #[test]
        fn uuids_match(text in text_of(&["12345678", "abcdef12", "1234", "abcd", "123456789abc", "-", "-", "x", "A", "_"])) {
            assert_same(5, &text)?;
        }

        #[test]
        fn numbers_match(text in text_of(&["1", "23", ",", ".", "%", "-", "+", "١", "٣", "１", "e"])) {
            assert_same(9, &text)?;
        }

        #[test]
        fn whitespace_runs_match(text in text_of(&[" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\u{a0}", "\u{2028}", "\u{3000}", "\u{85}", "\u{200b}"])) {
            assert_same(11, &text)?;
        }

        #[test]
        fn every_scanner_matches_on_any_text(text in "\\PC{0,60}|[ -~\t\n]{0,60}") {
            for index in 0..12 {
                if scanner(index).is_some() {
                    assert_same(index, &text)?;
                }
            }
        }
    }
}
