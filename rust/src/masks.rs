//! The first masks of `patterns::MASKS` (control characters, code fences, inline code,
//! URLs, e-mail addresses) as hand-written scanners, each replacing exactly what its
//! expression's `replace_all` replaces; the tests below check that on random text built
//! from each mask's special characters. They run one after another, and only on text
//! that holds what they look for (`Triggers`): few prompts do. The masks after them run
//! fused, in `ids` and `values`.

use std::sync::OnceLock;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2};

use crate::classes::{is_space, is_word};

/// What a lower-cased text holds that the first masks look for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Triggers {
    pub control: bool,
    pub backtick: bool,
    pub link: bool,
    pub at: bool,
}

impl Triggers {
    /// The spans a text holds (`control` is only looked for where a span is).
    pub fn of(text: &str) -> Triggers {
        let bytes = text.as_bytes();
        let mut triggers = Triggers {
            control: false,
            backtick: memchr(b'`', bytes).is_some(),
            link: link_finders()
                .iter()
                .any(|finder| finder.find(bytes).is_some()),
            at: memchr(b'@', bytes).is_some(),
        };
        triggers.control = triggers.any_span() && has_control(bytes);
        triggers
    }

    /// Whether any scanner here has work.
    pub fn any_span(&self) -> bool {
        self.backtick || self.link || self.at
    }
}

/// Searchers for what starts a URL, built once (building one per text cost more than
/// the search).
fn link_finders() -> &'static [Finder<'static>; 2] {
    static FINDERS: OnceLock<[Finder<'static>; 2]> = OnceLock::new();
    FINDERS.get_or_init(|| [Finder::new("://"), Finder::new("www.")])
}

/// Whether `bytes` hold a character of mask 0 (U+0080..U+009F start with 0xC2).
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(index, &byte)| {
        (byte < 0x20 && byte != b'\t' && byte != b'\n')
            || byte == 0x7f
            || (byte == 0xc2 && bytes.get(index + 1).is_some_and(|&next| next < 0xa0))
    })
}

/// A scanner: writes the masked form of its input into `out` and says whether anything
/// was replaced (when not, `out` holds nothing useful).
pub type Scanner = fn(&str, &mut String) -> bool;

/// The scanners of masks 0 to 4 that `triggers` says may match, in mask order. Control
/// characters are masked first when a span is (a URL's `\S+` stops at them); without
/// spans they are left to `values`, which reads them as spaces, as every mask after
/// these would.
pub fn scanners(triggers: Triggers) -> impl Iterator<Item = Scanner> {
    let wanted: [(bool, Scanner); 5] = [
        (triggers.control, control_characters),
        (triggers.backtick, code_fences),
        (triggers.backtick, inline_code),
        (triggers.link, urls),
        (triggers.at, emails),
    ];
    wanted
        .into_iter()
        .filter_map(|(wanted, scan)| wanted.then_some(scan))
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
pub fn char_at(text: &str, position: usize) -> Option<char> {
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

/// Characters in `text` (which holds whole characters).
pub fn char_count(text: &str) -> usize {
    text.bytes().filter(|&byte| byte & 0xc0 != 0x80).count()
}

/// "`[^`\n]{1,200}`" → " <code> ": a backtick opens a match when the next backtick
/// comes before any line break, 1 to 200 characters on.
fn inline_code(text: &str, out: &mut String) -> bool {
    let bytes = text.as_bytes();
    rewrite(
        text,
        out,
        |byte| byte == b'`',
        |open| {
            let close = open + 1 + memchr2(b'`', b'\n', &bytes[open + 1..])?;
            let content = char_count(&text[open + 1..close]);
            (bytes[close] == b'`' && (1..=200).contains(&content))
                .then_some((close + 1, " <code> "))
        },
    )
}

/// `https?://\S+|www\.\S+` → " <url> ": a scheme or "www." and every character up to
/// the next white space (at least one).
fn urls(text: &str, out: &mut String) -> bool {
    rewrite(
        text,
        out,
        |byte| byte == b'h' || byte == b'w',
        |start| {
            let rest = &text[start..];
            let body = ["https://", "http://", "www."]
                .iter()
                .find(|prefix| rest.starts_with(*prefix))
                .map(|prefix| start + prefix.len())?;
            let end = text[body..]
                .char_indices()
                .find(|&(_, c)| is_space(c))
                .map_or(text.len(), |(offset, _)| body + offset);
            (end > body).then_some((end, " <url> "))
        },
    )
}

/// `[\w.+-]+@[\w-]+\.[\w.-]+` → " <email> ". Each match holds one "@"; the one at `at`
/// matches from the start of the run of local-part characters before it (not reaching
/// back before `from`, where the search resumed) when a domain follows it.
fn email_at(text: &str, from: usize, at: usize) -> Option<(usize, usize)> {
    let local = |c: char| is_word(c) || matches!(c, '.' | '+' | '-');
    let start = text[from..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| local(c))
        .last()
        .map(|(offset, _)| from + offset)?;
    let run_end = |from: usize, part: &dyn Fn(char) -> bool| {
        text[from..]
            .char_indices()
            .find(|&(_, c)| !part(c))
            .map_or(text.len(), |(offset, _)| from + offset)
    };
    let label_end = run_end(at + 1, &|c| is_word(c) || c == '-');
    if label_end == at + 1 || text.as_bytes().get(label_end) != Some(&b'.') {
        return None;
    }
    let end = run_end(label_end + 1, &|c| is_word(c) || c == '.' || c == '-');
    (end > label_end + 1).then_some((start, end))
}

fn emails(text: &str, out: &mut String) -> bool {
    out.clear();
    let mut copied = 0;
    let mut search = 0;
    while let Some(at) = memchr(b'@', &text.as_bytes()[search..]).map(|offset| search + offset) {
        search = at + 1;
        if let Some((start, end)) = email_at(text, copied, at) {
            out.push_str(&text[copied..start]);
            out.push_str(" <email> ");
            copied = end;
            search = end;
        }
    }
    if copied == 0 {
        return false;
    }
    out.push_str(&text[copied..]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::compiled;
    use proptest::prelude::*;
    use regex::NoExpand;

    /// Text from `parts`: the characters and strings a mask is sensitive to, plus a few
    /// ordinary and non-ASCII ones.
    pub fn text_of(parts: &'static [&'static str]) -> impl Strategy<Value = String> {
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

    fn assert_same(index: usize, scan: Scanner, text: &str) -> Result<(), TestCaseError> {
        let (regex, replacement) = &compiled().masks[index];
        let expected = regex.replace_all(text, NoExpand(replacement));
        let mut out = String::new();
        let got = if scan(text, &mut out) {
            out.as_str()
        } else {
            text
        };
        prop_assert_eq!(got, expected.as_ref(), "mask {} on {:?}", index, text);
        Ok(())
    }

    const SCANNERS: [Scanner; 5] = [control_characters, code_fences, inline_code, urls, emails];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn control_characters_match(text in text_of(&["\x00", "\x08", "\t", "\x0b", "\x1f", "\x7f", "\u{80}", "\u{9f}", "\u{a0}", "\r"])) {
            assert_same(0, control_characters, &text)?;
        }

        #[test]
        fn code_fences_match(text in text_of(&["`", "``", "```", "````", "\n"])) {
            assert_same(1, code_fences, &text)?;
        }

        #[test]
        fn inline_code_matches(text in text_of(&["`", "``", "`x`", "\n", "ééééééééééééééééééééééééé", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])) {
            assert_same(2, inline_code, &text)?;
        }

        #[test]
        fn urls_match(text in text_of(&["http://", "https://", "www.", "http:/", "hhttp", "w", "h", "x\u{3000}", "\t", "\u{200b}"])) {
            assert_same(3, urls, &text)?;
        }

        #[test]
        fn emails_match(text in text_of(&["@", "@", ".", "+", "-", "ab", "é", "\u{301}", "x.y", "@@", "!"])) {
            assert_same(4, emails, &text)?;
        }

        #[test]
        fn every_scanner_matches_on_any_text(text in "\\PC{0,60}|[ -~\t\n]{0,60}") {
            for (index, scan) in SCANNERS.into_iter().enumerate() {
                assert_same(index, scan, &text)?;
            }
        }
    }

    #[test]
    fn triggers_see_what_the_scanners_need() {
        let none = Triggers::of("plain text, 42 words \r");
        assert!(!none.any_span() && !none.control);
        let all = Triggers::of("a `b` www.x a@b \r");
        assert!(all.backtick && all.link && all.at && all.control);
        assert!(Triggers::of("`\u{85}").control && !Triggers::of("`\u{a0}").control);
    }
}
