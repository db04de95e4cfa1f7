//! Masks 5 to 7 of `patterns::MASKS` (UUIDs, hex ids, letter+digit ids) in one pass.
//!
//! All three work on runs of ASCII word bytes: their `(?-u:\b)` boundaries make a UUID a
//! chain of whole runs joined by single dashes, a hex id one whole run, and a
//! letter+digit id a whole run, or a run of letters, a dash and a run that starts with
//! three digits. So each run is decided once, in mask order: part of a UUID (mask 5
//! runs first), else a hex id, else the start of a letter+digit id, which reads the run
//! after a dash as mask 7 would see it (replaced already, if masks 5 or 6 took it).
//!
//! One corner is left to the regular expressions (`normalise` falls back to them):
//! mask 7's `\d` and `\w` are Unicode classes while its boundaries are ASCII ones, so
//! an id that runs into a non-ASCII word character ("ab123é", "ab١٢٣") ends where the
//! expression's backtracking says. `Unicode` reports such text; prose rarely has it.

use crate::classes::{is_ascii_word_byte, is_digit, is_word};
use crate::masks::char_at;

/// The text has an ASCII id beside a non-ASCII word character (see the module doc).
#[derive(Debug, PartialEq, Eq)]
pub struct Unicode;

fn is_lower_hex(byte: u8) -> bool {
    byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)
}

/// The end of the run of ASCII word bytes starting at `start`.
fn run_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&byte| !is_ascii_word_byte(byte))
        .map_or(bytes.len(), |offset| start + offset)
}

/// Whether a UUID (mask 5) starts at `start`, the start of a run.
fn is_uuid_at(bytes: &[u8], start: usize) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
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
}

const UUID_BYTES: usize = 36;

/// Whether the run `bytes[start..end]` is a hex id (mask 6): hex digits only, with a
/// digit and a letter.
fn is_hex_id(run: &[u8]) -> bool {
    run.iter().all(|&byte| is_lower_hex(byte))
        && run.iter().any(u8::is_ascii_digit)
        && run.iter().any(|byte| (b'a'..=b'f').contains(byte))
}

/// Whether the character at `position` (past a run) may extend mask 7's `\d` or `\w`.
fn unicode_word_at(text: &str, position: usize) -> Result<(), Unicode> {
    match text.as_bytes().get(position) {
        Some(&byte) if byte >= 0x80 && char_at(text, position).is_some_and(is_word) => Err(Unicode),
        _ => Ok(()),
    }
}

/// Mask 7 from `digits`, where its `\d{3,}` must start, to the end of that run: the
/// match's end, if three digits are there.
fn digits_then_word(text: &str, digits: usize) -> Result<Option<usize>, Unicode> {
    let bytes = text.as_bytes();
    let end = run_end(bytes, digits);
    let count = bytes[digits..end]
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    if count < 3 && digits + count < end {
        return Ok(None);
    }
    // The run ends in its digits or its `\w*` tail; a non-ASCII word character next to
    // it would extend either.
    unicode_word_at(text, end)?;
    Ok((count >= 3).then_some(end))
}

/// What masks 5 to 7 replace at the run starting at `start` (ending at `end`): the end
/// of the replaced span and its replacement.
fn replace_run(
    text: &str,
    start: usize,
    end: usize,
) -> Result<Option<(usize, &'static str)>, Unicode> {
    let bytes = text.as_bytes();
    if end - start == 8 && is_uuid_at(bytes, start) {
        return Ok(Some((start + UUID_BYTES, " <id> ")));
    }
    let run = &bytes[start..end];
    if is_hex_id(run) {
        return Ok(Some((end, "<id>")));
    }
    // Mask 7: `[a-z]+[_-]?\d{3,}\w*`.
    let letters = run
        .iter()
        .take_while(|byte| byte.is_ascii_lowercase())
        .count();
    if letters == 0 {
        return Ok(None);
    }
    let after = start + letters;
    let id_end = if after < end {
        match bytes[after] {
            b'_' => digits_then_word(text, after + 1)?,
            byte if byte.is_ascii_digit() => digits_then_word(text, after)?,
            _ => None,
        }
    } else {
        match bytes.get(end) {
            Some(b'-') => match bytes.get(end + 1) {
                Some(&byte) if is_ascii_word_byte(byte) => {
                    let next_end = run_end(bytes, end + 1);
                    // Masks 5 and 6 ran first: a run they replaced is no digits any more.
                    if is_uuid_at(bytes, end + 1) || is_hex_id(&bytes[end + 1..next_end]) {
                        None
                    } else {
                        digits_then_word(text, end + 1)?
                    }
                }
                _ => {
                    unicode_digit_at(text, end + 1)?;
                    None
                }
            },
            _ => {
                unicode_digit_at(text, end)?;
                None
            }
        }
    };
    Ok(id_end.map(|id_end| (id_end, "<id>")))
}

/// A non-ASCII digit at `position` could start mask 7's `\d{3,}`.
fn unicode_digit_at(text: &str, position: usize) -> Result<(), Unicode> {
    match text.as_bytes().get(position) {
        Some(&byte) if byte >= 0x80 && char_at(text, position).is_some_and(is_digit) => {
            Err(Unicode)
        }
        _ => Ok(()),
    }
}

/// The first position from `position` on that may make a run of word bytes one that
/// masks 5 to 7 can replace: an ASCII digit (in the run), or a dash or non-ASCII byte
/// (after it). A run with none of these is left as it is: a UUID's first group is
/// followed by a dash, a hex id holds a digit, and a letter+digit id holds its digits or
/// reaches them past a dash; a run whose next character is non-ASCII may be left to the
/// expressions (`replace_run` decides). So the pass skips the text between them.
fn next_trigger(bytes: &[u8], position: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    let position = unsafe { sse2::quiet_blocks_end(bytes, position) };
    bytes
        .get(position..)?
        .iter()
        .position(|&byte| is_trigger(byte))
        .map(|offset| position + offset)
}

#[inline]
fn is_trigger(byte: u8) -> bool {
    byte.is_ascii_digit() || byte == b'-' || byte >= 0x80
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    //! `next_trigger` 16 bytes at a time.

    use std::arch::x86_64::{
        _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };

    /// The start of the first block of 16 bytes from `position` holding a trigger byte,
    /// or the last position from which fewer than 16 bytes remain.
    #[target_feature(enable = "sse2")]
    pub(super) fn quiet_blocks_end(bytes: &[u8], mut position: usize) -> usize {
        while position + 16 <= bytes.len() {
            // SAFETY: the unaligned load reads the 16 bytes from `position`, inside
            // `bytes` by the loop's condition.
            let block = unsafe { _mm_loadu_si128(bytes.as_ptr().add(position).cast()) };
            // 0x30..=0x39 shifted to -128..=-119: no other byte lands below -118.
            let digit = _mm_cmplt_epi8(
                _mm_add_epi8(block, _mm_set1_epi8(0x50)),
                _mm_set1_epi8(-118),
            );
            let dash = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'-' as i8));
            // Non-ASCII bytes have their top bit set, which is what movemask reads.
            if _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, dash), block)) != 0 {
                break;
            }
            position += 16;
        }
        position
    }
}

/// The start of the run of ASCII word bytes that ends at or holds `last`, not before
/// `floor`.
fn run_start(bytes: &[u8], floor: usize, last: usize) -> usize {
    bytes[floor..last]
        .iter()
        .rposition(|&byte| !is_ascii_word_byte(byte))
        .map_or(floor, |offset| floor + offset + 1)
}

/// Masks 5 to 7 over `text` into `out`; says whether anything was replaced (when not,
/// `out` holds nothing useful).
pub fn mask_ids(text: &str, out: &mut String) -> Result<bool, Unicode> {
    let bytes = text.as_bytes();
    out.clear();
    let mut copied = 0;
    let mut position = 0;
    // Runs are decided in order, each from where the last decision left off: the end of
    // a run, or of what a replacement took (a UUID, or an id past a dash), which is never
    // inside a run.
    while let Some(found) = next_trigger(bytes, position) {
        let (start, end) = if bytes[found].is_ascii_digit() {
            (run_start(bytes, position, found), run_end(bytes, found))
        } else if found > position && is_ascii_word_byte(bytes[found - 1]) {
            (run_start(bytes, position, found - 1), found)
        } else {
            position = found + 1;
            continue;
        };
        match replace_run(text, start, end)? {
            Some((replaced_end, replacement)) => {
                out.push_str(&text[copied..start]);
                out.push_str(replacement);
                copied = replaced_end;
                position = replaced_end;
            }
            None => position = end,
        }
    }
    if copied == 0 {
        return Ok(false);
    }
    out.push_str(&text[copied..]);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::compiled;
    use proptest::prelude::*;
    use regex::NoExpand;

    fn by_regex(text: &str) -> String {
        let mut text = text.to_owned();
        for (regex, replacement) in &compiled().masks[5..8] {
            text = regex.replace_all(&text, NoExpand(replacement)).into_owned();
        }
        text
    }

    fn ids(text: &str) -> Result<String, Unicode> {
        let mut out = String::new();
        Ok(if mask_ids(text, &mut out)? {
            out
        } else {
            text.to_owned()
        })
    }

    #[test]
    fn masks_each_kind_of_id() {
        assert_eq!(
            ids("id 123e4567-e89b-12d3-a456-426614174000 ok").unwrap(),
            "id  <id>  ok"
        );
        assert_eq!(
            ids("user_20931 order-12345 abc1234def_5 ab_12 x99 9f8e7d6c5b").unwrap(),
            "<id> <id> <id> ab_12 x99 <id>"
        );
        // Mask 6 takes the run after the dash first; mask 7 then finds no digits there.
        assert_eq!(ids("order-123abc").unwrap(), "order-<id>");
        assert_eq!(ids("ab123é").unwrap(), "<id>é");
        assert_eq!(ids("xy123é"), Err(Unicode));
        assert_eq!(ids("xy١٢٣x"), Err(Unicode));
        assert_eq!(ids("éab123 x"), Ok("é<id> x".to_owned()));
    }

    fn id_text() -> impl Strategy<Value = String> {
        let parts: &'static [&'static str] = &[
            "a",
            "b",
            "f",
            "g",
            "x",
            "z",
            "0",
            "1",
            "9",
            "123",
            "12345678",
            "abcdef12",
            "abcdefgh",
            "deadbeef",
            "12345678-1234-1234-1234-123456789abc",
            "1234",
            "abcd",
            "123456789abc",
            "-",
            "-",
            "_",
            "user",
            " ",
            "é",
            "١",
            "\u{301}",
            "中",
            "A",
            ".",
            "<id>",
        ];
        prop::collection::vec(prop::sample::select(parts), 0..40).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6_000))]

        #[test]
        fn ids_are_masked_as_the_expressions_do(text in id_text()) {
            if let Ok(got) = ids(&text) {
                prop_assert_eq!(got, by_regex(&text), "on {:?}", text);
            }
        }

        #[test]
        fn ids_on_any_text(text in "\\PC{0,60}|[ -~]{0,60}") {
            if let Ok(got) = ids(&text) {
                prop_assert_eq!(got, by_regex(&text), "on {:?}", text);
            }
        }
    }
}
