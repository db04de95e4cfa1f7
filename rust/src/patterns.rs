//! What the annotator looks for: the masks over variable spans, the chain-of-thought ask
//! and the capability topics, as regular expressions over lower-cased text.
//!
//! These sources are the specification: `distillscan.fingerprint.patterns` re-exports
//! them to Python (the Polars reference annotator in the tests runs them as they are),
//! and `masks` replaces the costly ones with hand-written scanners that are tested to
//! give exactly what these expressions give.

use std::sync::OnceLock;

use regex::Regex;

use crate::gate::Gate;

/// Ordered masks over lower-cased text: earlier ones must run first (code before numbers,
/// ids before numbers). The last one folds whitespace; it matches only runs that are not
/// already a single space, which keeps the number of replacements (its cost) low.
/// Id masks use ASCII word boundaries (`(?-u:\b)`): with Unicode ones the regex engine
/// leaves its fast automaton on any text with a non-ASCII character (a curly quote, any
/// CJK), measured 2.6x slower on real English prompts and 20x on text with CJK characters.
pub const MASKS: [(&str, &str); 12] = [
    (r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " "),
    (r"```[\s\S]*?```", " <code> "),
    (r"`[^`\n]{1,200}`", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", " <email> "),
    (
        r"(?-u:\b)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?-u:\b)",
        " <id> ",
    ),
    (
        r"(?-u:\b)(?:[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*)(?-u:\b)",
        "<id>",
    ),
    (r"(?-u:\b)[a-z]+[_-]?\d{3,}\w*(?-u:\b)", "<id>"),
    (r#"\"[^\"\n]{0,200}\"|“[^”\n]{0,200}”"#, " <q> "),
    (r"[-+]?\d[\d,]*(?:\.\d+)?%?", "<n>"),
    (
        r"(?:<(?:n|id|q|code|url|email)>[\s,;:|/()\[\]{}-]*){2,}",
        "<v> ",
    ),
    (r"[^\S ]\s*| \s+", " "),
];

/// Asks for chain-of-thought, matched against lower-cased text (no case-insensitive flag:
/// it doubles the regex's cost and lower-casing happens once anyway). Its middle part is an
/// asking verb, a few words, then what is asked for: "explain every step of your thinking",
/// "show all of your work", "give a detailed chain of reasoning".
pub const COT_PATTERN: &str = concat!(
    r"step[- ]by[- ]step|chain[- ]of[- ](?:thought|reasoning)|let'?s think|<think>|thinking content",
    r"|\b(?:explain|show|describe|detail|give|provide|write out|lay out|spell out|walk (?:me )?through",
    r"|reconstruct|justify|outline)\b(?:\s+[\w']+){0,5}?\s+(?:reasoning|thinking|thoughts",
    r"|thought process|work|working|steps|derivation|rationale)\b",
    r"|reason(?:ing)? (?:through|carefully|step)|think (?:it |this |things )?(?:through|carefully|aloud|out loud)",
    r"|before (?:giving |stating |writing )?(?:the |your )?final answer|thought process|justify (?:each|every|your)",
);

/// Capability taxonomy over lower-cased text, most specific first: a request takes the
/// first topic that matches anywhere in its system prompt or the ends of its user text.
pub const TOPIC_PATTERNS: [(&str, &str); 7] = [
    (
        "grading",
        concat!(
            r"\brubric\b|\bgrade (?:this|the following|each)|score (?:this|the|each)[\w ]{0,30}(?:from",
            r"|on a|out of|1-10|1 to 10)|evaluate the (?:following )?(?:response|answer",
            r"|completion)s?\b|reward model|which (?:response|answer) is better",
        ),
    ),
    (
        "sensitive_rewrite",
        concat!(
            r"politically sensitive|censorship|\b(?:rewrite|rephrase|reword)\b.*\b(?:neutral|sensitive",
            r"|censor\w*|politic\w*|controversial|government|acceptable)\b",
        ),
    ),
    (
        "vision",
        concat!(
            r"\b(?:image|photo|picture|screenshot|diagram|chart|figure|scan)s? (?:attached|above|below",
            r"|provided|shows|of)\b|\battached (?:image|photo|picture|screenshot|chart)|\bin (?:this",
            r"|the) (?:image|photo|picture|screenshot)|\bocr\b",
        ),
    ),
    (
        "agentic",
        concat!(
            r"\btools?\b[\w ]{0,20}(?:available|access|call)|function[_ ]call|tool[_ ]call",
            r#"|\"?parameters\"?\s*:|json schema|\bagent\b|\bshell command|execute (?:the|this"#,
            r"|a) (?:plan|command|step)|multi-step plan|\bapi (?:call|endpoint)s?\b|<tool",
        ),
    ),
    (
        "coding",
        concat!(
            r"```|\bcode\b|\bfunction\b|\bpython\b|\bjavascript\b|\btypescript\b|\brust\b|\bjava\b",
            r"|\bc\+\+|\bsql\b|\bregex\b|\bbug\b|\bcompile|\bstack trace|\bunit tests?\b|\brefactor",
            r"|\bclass\b|\balgorithm|\bgit\b|\bdebug",
        ),
    ),
    (
        "data_analysis",
        concat!(
            r"\bdata ?set\b|\bcsv\b|\bspreadsheet|\bcolumns?\b|\bstatistic|\bregression\b|\bcorrelat",
            r"|\bmedian\b|\baverage\b|\bpandas\b|\bpivot\b|\bcohort|\bkpi\b|\bquarterly\b|\bvariance\b",
        ),
    ),
    (
        "math_reasoning",
        concat!(
            r"\bsolve\b|\bequation|\bprove\b|\bproof\b|\bprobability|\bhow many\b|\bcalculate|\bpuzzle",
            r"|\blogic\b|\btheorem|\binteger|\bderivative|\bintegral|\bremainder\b|\bsequence\b",
        ),
    ),
];

/// Spans that read like a topic's words but are not, per topic: removed before that
/// topic's expression runs on a text they occur in. "Code" names program text, but also
/// the identifiers that data carries (a pipeline that "answers with the ISO 639-1 code"
/// of a text's language, a country or postal code, a promo code) and rules of conduct:
/// those made a language-detection backend a coding harvest. "Neutral" asks a rewrite to
/// take no side, but also names a tone ("in a neutral, formal tone"): a backend restyling
/// customer messages so read as a censorship-safe rewrite, and reached high at 10M requests.
pub const TOPIC_EXCEPTIONS: [(&str, &str); 2] = [
    (
        "coding",
        concat!(
            r"\b(?:iso(?:[ -][0-9]+(?:-[0-9]+)?)?|country|language|locale|zip|postal|area|promo",
            r"|discount|coupon|voucher|gift|currency|airport|tracking|verification|confirmation",
            r"|dress|morse|qr|bar|product|sku|item) codes?\b|\bcodes? of (?:conduct|practice|ethics)\b",
        ),
    ),
    (
        "sensitive_rewrite",
        r"\bneutral(?:(?:,| and| or) [a-z]+)? (?:tone|style|voice|register)s?\b",
    ),
];

/// The topic of a request none of TOPIC_PATTERNS matches.
pub const GENERAL_TOPIC: &str = "general_chat";

/// The compiled patterns, built once per process.
pub struct Compiled {
    pub masks: Vec<(Regex, &'static str)>,
    pub cot: Regex,
    pub topics: Vec<Regex>,
    /// For each of `topics`, its exception (see TOPIC_EXCEPTIONS), if it has one.
    pub topic_exceptions: Vec<Option<Regex>>,
    /// Which of `cot` (bit 0) and `topics` (bit 1 + i) may match a text.
    pub asks: Gate,
}

/// The gate's bit for `cot`; topic i has bit `TOPIC_BIT << i`.
pub const COT_BIT: u32 = 1;
pub const TOPIC_BIT: u32 = 2;

/// The patterns compiled (once); every source above is a valid expression, which the
/// tests check, so building them cannot fail at run time.
pub fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| Compiled {
        masks: MASKS
            .iter()
            .map(|(pattern, replacement)| (build(pattern), *replacement))
            .collect(),
        cot: build(COT_PATTERN),
        topics: TOPIC_PATTERNS
            .iter()
            .map(|(_, pattern)| build(pattern))
            .collect(),
        topic_exceptions: TOPIC_PATTERNS
            .iter()
            .map(|(topic, _)| {
                TOPIC_EXCEPTIONS
                    .iter()
                    .find(|(name, _)| name == topic)
                    .map(|(_, pattern)| build(pattern))
            })
            .collect(),
        asks: Gate::new(
            &std::iter::once(COT_PATTERN)
                .chain(TOPIC_PATTERNS.iter().map(|(_, pattern)| *pattern))
                .collect::<Vec<_>>(),
        ),
    })
}

fn build(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|error| panic!("pattern {pattern:?} is invalid: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        let compiled = compiled();
        assert_eq!(compiled.masks.len(), MASKS.len());
        assert_eq!(compiled.topics.len(), TOPIC_PATTERNS.len());
        for (topic, _) in TOPIC_EXCEPTIONS {
            assert!(
                TOPIC_PATTERNS.iter().any(|(name, _)| *name == topic),
                "no topic {topic}"
            );
        }
    }
}
