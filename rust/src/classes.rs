//! The Unicode classes `\d`, `\s` and `\w` exactly as the regex engine sees them: their
//! ranges are taken from regex-syntax, the parser the `regex` crate (and Polars) use, so
//! a scanner and an expression can never disagree on what a digit, a space or a word
//! character is.

use std::sync::OnceLock;

use regex_syntax::hir::{Class, HirKind};

struct Ranges(Vec<(char, char)>);

impl Ranges {
    fn of(class: &str) -> Ranges {
        let hir = regex_syntax::Parser::new()
            .parse(class)
            .unwrap_or_else(|error| panic!("class {class} does not parse: {error}"));
        match hir.kind() {
            HirKind::Class(Class::Unicode(unicode)) => Ranges(
                unicode
                    .ranges()
                    .iter()
                    .map(|range| (range.start(), range.end()))
                    .collect(),
            ),
            other => panic!("class {class} parsed as {other:?}"),
        }
    }

    fn contains(&self, c: char) -> bool {
        let after = self.0.partition_point(|&(start, _)| start <= c);
        after > 0 && c <= self.0[after - 1].1
    }
}

fn digit() -> &'static Ranges {
    static RANGES: OnceLock<Ranges> = OnceLock::new();
    RANGES.get_or_init(|| Ranges::of(r"\d"))
}

fn space() -> &'static Ranges {
    static RANGES: OnceLock<Ranges> = OnceLock::new();
    RANGES.get_or_init(|| Ranges::of(r"\s"))
}

/// Whether `c` is in `\d` (Unicode decimal digits).
#[inline]
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        digit().contains(c)
    }
}

/// Whether `c` is in `\s` (Unicode white space).
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
    } else {
        space().contains(c)
    }
}

/// Whether `c` is in `\w` (Unicode word characters), which is also what `\b` tests.
#[inline]
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        regex_syntax::is_word_character(c)
    }
}

/// Whether `byte` is an ASCII word byte, as `(?-u:\b)` sees bytes.
#[inline]
pub fn is_ascii_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn classes_agree_with_the_regex_engine_on_every_character() {
        let digit_re = Regex::new(r"^\d$").unwrap();
        let space_re = Regex::new(r"^\s$").unwrap();
        let word_re = Regex::new(r"^\w$").unwrap();
        let mut buffer = [0u8; 4];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let text = c.encode_utf8(&mut buffer);
            assert_eq!(is_digit(c), digit_re.is_match(text), "{c:?}");
            assert_eq!(is_space(c), space_re.is_match(text), "{c:?}");
            assert_eq!(is_word(c), word_re.is_match(text), "{c:?}");
            // Trimming (str::trim) and `\s` agree, so trimmed folded text holds no `\s`.
            assert_eq!(is_space(c), c.is_whitespace(), "{c:?}");
        }
    }
}
