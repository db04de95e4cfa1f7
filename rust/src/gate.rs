//! One pass over a text that says which of several expressions may match it, so that only
//! those run. Every match of an expression starts with one of its prefix literals (as
//! regex-syntax extracts them, the literals the regex engine's own prefilter searches
//! for); a text holding none of an expression's literals cannot match it. One automaton
//! over the literals of all expressions replaces a prefilter scan per expression: on
//! real prompts the chain-of-thought and topic expressions each scanned every piece,
//! eight scans where one now does.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::Extractor;

/// Which expressions (bit i: the i-th given) may match a text.
pub struct Gate {
    /// Finds every occurrence of every literal, overlapping ones included.
    searcher: AhoCorasick,
    /// For each literal of the searcher, the expressions it starts.
    owners: Vec<u32>,
    /// Expressions without a finite set of non-empty prefix literals: always run.
    always: u32,
    /// Every expression's bit.
    all: u32,
}

impl Gate {
    /// A gate over `patterns` (at most 32, each a valid expression under the regex
    /// crate's default syntax).
    pub fn new(patterns: &[&str]) -> Gate {
        assert!(patterns.len() <= 32, "a gate holds at most 32 expressions");
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<u32> = Vec::new();
        let mut always = 0u32;
        for (index, pattern) in patterns.iter().enumerate() {
            let bit = 1u32 << index;
            let hir = regex_syntax::Parser::new()
                .parse(pattern)
                .unwrap_or_else(|error| panic!("pattern {pattern:?} is invalid: {error}"));
            let seq = Extractor::new().extract(&hir);
            let own = match seq.literals() {
                Some(own) if !own.is_empty() && own.iter().all(|lit| !lit.is_empty()) => own,
                _ => {
                    always |= bit;
                    continue;
                }
            };
            for literal in shortest_covering(own.iter().map(|lit| lit.as_bytes())) {
                match literals.iter().position(|known| *known == literal) {
                    Some(known) => owners[known] |= bit,
                    None => {
                        literals.push(literal);
                        owners.push(bit);
                    }
                }
            }
        }
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .unwrap_or_else(|error| panic!("the gate's literals do not build: {error}"));
        Gate {
            searcher,
            owners,
            always,
            all: if patterns.len() == 32 {
                u32::MAX
            } else {
                (1u32 << patterns.len()) - 1
            },
        }
    }

    /// The expressions that may match `text` (a superset of those that do).
    pub fn candidates(&self, text: &str) -> u32 {
        let mut found = self.always;
        for hit in self.searcher.find_overlapping_iter(text) {
            found |= self.owners[hit.pattern().as_usize()];
            if found == self.all {
                break;
            }
        }
        found
    }
}

/// The literals of `own` that hold no other of them: a text holding a longer one holds
/// the shorter one inside it, so the shorter alone decides as much.
fn shortest_covering<'a>(own: impl Iterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let mut sorted: Vec<&[u8]> = own.collect();
    sorted.sort_by_key(|literal| literal.len());
    sorted.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for literal in sorted {
        if !kept.iter().any(|shorter| contains(literal, shorter)) {
            kept.push(literal.to_vec());
        }
    }
    kept
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::{compiled, COT_BIT, TOPIC_BIT};
    use proptest::prelude::*;

    /// Every expression the annotator's gate skips on `text` fails to match it.
    fn assert_gated(text: &str) -> Result<(), TestCaseError> {
        let compiled = compiled();
        let candidates = compiled.asks.candidates(text);
        if compiled.cot.is_match(text) {
            prop_assert!(candidates & COT_BIT != 0, "cot on {:?}", text);
        }
        for (index, regex) in compiled.topics.iter().enumerate() {
            if regex.is_match(text) {
                prop_assert!(
                    candidates & (TOPIC_BIT << index) != 0,
                    "topic {} on {:?}",
                    index,
                    text
                );
            }
        }
        Ok(())
    }

    #[test]
    fn every_annotation_pattern_is_gated_by_literals() {
        let gate = &compiled().asks;
        assert_eq!(gate.always, 0);
        assert_eq!(gate.all, 0xff);
        assert_eq!(gate.candidates("nothing to see here"), 0);
        assert_eq!(gate.candidates("think it through"), COT_BIT);
    }

    #[test]
    fn unliteral_patterns_always_run() {
        let gate = Gate::new(&[r"\w+", "abc", "x*"]);
        assert_eq!(gate.candidates(""), 0b101);
        assert_eq!(gate.candidates("zabcz"), 0b111);
    }

    /// Words the patterns look for, their near misses and what separates them.
    fn pattern_text() -> impl Strategy<Value = String> {
        let parts: &'static [&'static str] = &[
            "step",
            "by",
            "-",
            " ",
            "  ",
            "\n",
            "chain",
            "of",
            "thought",
            "reasoning",
            "let's",
            "lets",
            "think",
            "<think>",
            "explain",
            "show",
            "give",
            "walk",
            "me",
            "through",
            "your",
            "work",
            "steps",
            "the",
            "final",
            "answer",
            "before",
            "giving",
            "rubric",
            "grade",
            "score",
            "this",
            "from",
            "out",
            "1-10",
            "rewrite",
            "neutral",
            "censor",
            "image",
            "attached",
            "in",
            "ocr",
            "tools",
            "tool",
            "call",
            "function_call",
            "\"",
            "parameters",
            ":",
            "agent",
            "```",
            "code",
            "python",
            "c++",
            "bug",
            "class",
            "data set",
            "dataset",
            "csv",
            "column",
            "median",
            "solve",
            "prove",
            "how many",
            "integer",
            "é",
            "中",
            "x",
            "s",
            "_",
            "'",
            "\u{a0}",
            "\u{3000}",
            "<tool",
        ];
        prop::collection::vec(prop::sample::select(parts), 0..40).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn no_match_is_gated_out(text in pattern_text()) {
            assert_gated(&text)?;
        }

        #[test]
        fn no_match_is_gated_out_on_any_text(text in "\\PC{0,80}|[ -~]{0,80}") {
            assert_gated(&text)?;
        }
    }
}
