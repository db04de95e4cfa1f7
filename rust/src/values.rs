//! Masks 8 to 11 of `patterns::MASKS` (quoted spans, numbers, runs of masked values,
//! white space) and the final trim, in one pass over the text masks 0 to 7 left.
//!
//! Each mask runs on what the one before it left, and the pass keeps that order at
//! every position: a quote is decided first (its length is counted in the text as mask
//! 8 sees it, which is this pass's input), then a number, then the value-run state, then
//! the white space. Control characters (mask 0) read as spaces, which is what mask 0
//! would have made of them: masks 5 to 8 decide the same either way.

use memchr::{memchr, memchr2, memmem};

use crate::classes::{is_digit, is_space};
use crate::masks::{char_at, char_count};

/// The masked values mask 10 joins into runs: `<(?:n|id|q|code|url|email)>`.
const VALUE_NAMES: [&[u8]; 6] = [b"n>", b"id>", b"q>", b"code>", b"url>", b"email>"];
/// Most characters a quoted span may hold.
const QUOTE_CHARS: usize = 200;
const OPEN_QUOTE: &str = "“";
const CLOSE_QUOTE: &str = "”";

/// What a byte can start, for the pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Text that no mask touches here (copied through).
    Plain,
    Space,
    /// A separator that may sit between masked values (mask 10), not a space.
    Separator,
    Digit,
    /// `-` (also a separator) and `+`: may start a number.
    Sign,
    Quote,
    Less,
    /// The first byte of a non-ASCII character, classified by decoding it.
    NonAscii,
}

const fn class_table() -> [Class; 256] {
    let mut table = [Class::Plain; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => Class::Space,
            0x00..=0x1f | 0x7f => Class::Space,
            b',' | b';' | b':' | b'|' | b'/' | b'(' | b')' | b'[' | b']' | b'{' | b'}' => {
                Class::Separator
            }
            b'0'..=b'9' => Class::Digit,
            b'-' | b'+' => Class::Sign,
            b'"' => Class::Quote,
            b'<' => Class::Less,
            0x80..=0xff => Class::NonAscii,
            _ => Class::Plain,
        };
        byte += 1;
    }
    table
}

static CLASSES: [Class; 256] = class_table();

/// The output, with white space folded and trimmed as mask 11 and the trim leave it:
/// a run of white space becomes one space when text follows it.
struct Folded<'o> {
    out: &'o mut String,
    space: bool,
}

impl Folded<'_> {
    fn push_str(&mut self, text: &str) {
        if self.space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.space = false;
        self.out.push_str(text);
    }
}

/// Mask 10's state: the run of masked values and separators being read, from where it
/// starts in the output (with the folding state there) and how many values it holds.
struct ValueRun {
    start: usize,
    space: bool,
    values: usize,
}

struct Pass<'o> {
    folded: Folded<'o>,
    run: Option<ValueRun>,
}

impl Pass<'_> {
    /// A masked value: starts a run or adds to one.
    fn value(&mut self, text: &str) {
        match &mut self.run {
            Some(run) => run.values += 1,
            None => {
                self.run = Some(ValueRun {
                    start: self.folded.out.len(),
                    space: self.folded.space,
                    values: 1,
                })
            }
        }
        self.folded.push_str(text);
    }

    /// Text that ends a run of values (and is no space or separator).
    fn text(&mut self, text: &str) {
        self.end_run();
        self.folded.push_str(text);
    }

    fn space(&mut self) {
        self.folded.space = true;
    }

    fn separator(&mut self, text: &str) {
        self.folded.push_str(text);
    }

    /// A run of two or more values, with the separators after each, becomes "<v> ".
    fn end_run(&mut self) {
        if let Some(run) = self.run.take() {
            if run.values >= 2 {
                self.folded.out.truncate(run.start);
                self.folded.space = run.space;
                self.folded.push_str("<v>");
                self.folded.space = true;
            }
        }
    }
}

/// Where the quote opened at `open` (by `"` or "“") closes, if it is a quoted span.
fn quote_end(text: &str, open: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let content = open + if close == "\"" { 1 } else { OPEN_QUOTE.len() };
    let end = if close == "\"" {
        let found = content + memchr2(b'"', b'\n', &bytes[content..])?;
        (bytes[found] == b'"').then_some(found)?
    } else {
        let found = content + memmem::find(&bytes[content..], CLOSE_QUOTE.as_bytes())?;
        memchr(b'\n', &bytes[content..found])
            .is_none()
            .then_some(found)?
    };
    let fits = end - content <= QUOTE_CHARS || char_count(&text[content..end]) <= QUOTE_CHARS;
    fits.then_some(end + close.len())
}

/// The end of the number at `start` (`[-+]?\d[\d,]*(?:\.\d+)?%?`, Unicode digits), if
/// one starts there.
fn number_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let digit_at = |position: usize| match bytes.get(position) {
        Some(byte) if byte.is_ascii_digit() => Some(1),
        Some(&byte) if byte >= 0x80 => char_at(text, position)
            .filter(|&c| is_digit(c))
            .map(char::len_utf8),
        _ => None,
    };
    let first = if matches!(bytes[start], b'-' | b'+') {
        start + 1
    } else {
        start
    };
    let mut end = first + digit_at(first)?;
    loop {
        if bytes.get(end) == Some(&b',') {
            end += 1;
        } else if let Some(width) = digit_at(end) {
            end += width;
        } else {
            break;
        }
    }
    if bytes.get(end) == Some(&b'.') {
        if let Some(width) = digit_at(end + 1) {
            end += 1 + width;
            while let Some(width) = digit_at(end) {
                end += width;
            }
        }
    }
    if bytes.get(end) == Some(&b'%') {
        end += 1;
    }
    Some(end)
}

/// The end of the text from `position` that the pass copies as it is when plain text
/// comes just before it: plain bytes, separators (plain text ends any run of values, and
/// a separator starts none) and single spaces between them (folding keeps those as they
/// are). Most prose is one such span up to its first digit, quote or line break, and
/// this loop was a tenth of a batch's annotation: on x86_64 it reads 16 bytes at a time.
fn copied_end(bytes: &[u8], position: usize) -> usize {
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    #[cfg(target_arch = "x86_64")]
    let position = unsafe { sse2::copied_blocks_end(bytes, position) };
    copied_end_bytewise(bytes, position)
}

/// Whether the pass copies `byte` as it is (see `copied_end`).
#[inline]
fn copied(byte: u8) -> bool {
    matches!(CLASSES[byte as usize], Class::Plain | Class::Separator)
}

/// `copied_end`, a byte at a time: what the vectorised loop is held to.
fn copied_end_bytewise(bytes: &[u8], mut position: usize) -> usize {
    while let Some(&byte) = bytes.get(position) {
        if copied(byte) {
            position += 1;
        } else if byte == b' ' && bytes.get(position + 1).is_some_and(|&next| copied(next)) {
            position += 2;
        } else {
            break;
        }
    }
    position
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    //! `copied_end` 16 bytes at a time. A position is passed when its byte is copied, or
    //! is a space with a copied byte after it: the byte loop's rule, which skips the
    //! byte after such a space only because that byte passes too.

    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };

    /// One bit per byte of `block`: set where the pass copies it (`super::copied`).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn copied_bits(block: __m128i) -> u32 {
        let is = |byte: u8| _mm_cmpeq_epi8(block, _mm_set1_epi8(byte as i8));
        // Signed: bytes of 0x80 and above are negative, so one comparison finds the
        // control characters, the space and every non-ASCII byte.
        let below_bang = _mm_cmplt_epi8(block, _mm_set1_epi8(0x21));
        // 0x30..=0x39 shifted to -128..=-119: no other byte lands below -118.
        let digit = _mm_cmplt_epi8(
            _mm_add_epi8(block, _mm_set1_epi8(0x50)),
            _mm_set1_epi8(-118),
        );
        let stops = [is(0x7f), is(b'+'), is(b'-'), is(b'"'), is(b'<'), digit]
            .into_iter()
            .fold(below_bang, |stop, more| _mm_or_si128(stop, more));
        !(_mm_movemask_epi8(stops) as u32) & 0xffff
    }

    /// Where the first block of 16 bytes from `position` that holds a byte the pass stops
    /// at starts, or the last position from which 17 bytes remain: from there the byte
    /// loop finishes.
    #[target_feature(enable = "sse2")]
    pub(super) fn copied_blocks_end(bytes: &[u8], mut position: usize) -> usize {
        while position + 17 <= bytes.len() {
            // SAFETY: both unaligned loads read 16 bytes, from `position` and from
            // `position + 1`: `position + 17 <= bytes.len()` keeps them inside `bytes`.
            let (block, after) = unsafe {
                let at = bytes.as_ptr().add(position);
                (
                    _mm_loadu_si128(at.cast()),
                    _mm_loadu_si128(at.add(1).cast()),
                )
            };
            let space = _mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(b' ' as i8))) as u32;
            let (now, next) = (copied_bits(block), copied_bits(after));
            if now | (space & next) != 0xffff {
                break;
            }
            position += 16;
        }
        position
    }
}

/// Masks 8 to 11 and the trim over `text` (what masks 0 to 7 left, control characters
/// aside), written to `out`.
pub fn mask_values(text: &str, out: &mut String) {
    out.clear();
    let mut pass = Pass {
        folded: Folded { out, space: false },
        run: None,
    };
    let mut position = 0;
    while position < text.len() {
        position = pass.step(text, position);
    }
    pass.end_run();
}

impl Pass<'_> {
    /// Reads what starts at `position` and says where the next step starts.
    fn step(&mut self, text: &str, position: usize) -> usize {
        let bytes = text.as_bytes();
        let byte = bytes[position];
        match CLASSES[byte as usize] {
            Class::Plain => {
                let end = copied_end(bytes, position + 1);
                self.text(&text[position..end]);
                end
            }
            Class::Space => {
                self.space();
                position + 1
            }
            Class::Separator => {
                self.separator(&text[position..position + 1]);
                position + 1
            }
            Class::Digit | Class::Sign => match number_end(text, position) {
                Some(end) => {
                    self.value("<n>");
                    end
                }
                None if byte == b'-' => {
                    self.separator("-");
                    position + 1
                }
                None => {
                    self.text("+");
                    position + 1
                }
            },
            Class::Quote => self.quote(text, position, "\""),
            Class::Less => {
                let rest = &bytes[position + 1..];
                match VALUE_NAMES.iter().find(|name| rest.starts_with(name)) {
                    Some(name) => {
                        let end = position + 1 + name.len();
                        self.value(&text[position..end]);
                        end
                    }
                    None => {
                        self.text("<");
                        position + 1
                    }
                }
            }
            Class::NonAscii => {
                let Some(c) = char_at(text, position) else {
                    return text.len();
                };
                let end = position + c.len_utf8();
                if is_space(c) || ('\u{80}'..='\u{9f}').contains(&c) {
                    self.space();
                    end
                } else if c == '“' {
                    self.quote(text, position, CLOSE_QUOTE)
                } else if let Some(number) =
                    is_digit(c).then(|| number_end(text, position)).flatten()
                {
                    self.value("<n>");
                    number
                } else {
                    self.text(&text[position..end]);
                    end
                }
            }
        }
    }

    /// A quote mark at `position`: the quoted span it opens becomes " <q> " (mask 8), or
    /// the mark is text.
    fn quote(&mut self, text: &str, position: usize, close: &str) -> usize {
        match quote_end(text, position, close) {
            Some(end) => {
                self.space();
                self.value("<q>");
                self.space();
                end
            }
            None => {
                let open = if close == "\"" { "\"" } else { OPEN_QUOTE };
                self.text(open);
                position + open.len()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn blocks_end_where_bytes_do(
            text in proptest::collection::vec(
                prop_oneof![
                    Just(" "), Just("  "), Just("ab"), Just("word"), Just(","), Just("."), Just("-"),
                    Just("+"), Just("7"), Just("\""), Just("<"), Just("\n"), Just("\u{7f}"),
                    Just("é"), Just("/"), Just("~"), Just("0"), Just("9"), Just(":"), Just("@"),
                ],
                0..60,
            ).prop_map(|parts| parts.concat()),
            start in 0usize..8,
        ) {
            let bytes = text.as_bytes();
            let start = start.min(bytes.len());
            prop_assert_eq!(copied_end(bytes, start), copied_end_bytewise(bytes, start));
        }
    }

    #[test]
    fn every_byte_is_classed_alike_in_blocks() {
        for byte in 0..=255u8 {
            for next in [b'a', b' ', byte] {
                let mut text = vec![b'a'; 40];
                text[20] = byte;
                text[21] = next;
                assert_eq!(
                    copied_end(&text, 0),
                    copied_end_bytewise(&text, 0),
                    "{byte:#x} then {next:#x}"
                );
            }
        }
    }
}
