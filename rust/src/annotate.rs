//! What one distinct piece of user text, or one distinct system prompt, contributes to a
//! request's annotations.

use crate::fingerprint;
use crate::normalise::{head_words, lowercase, normalise, normalise_lowered, tail_words};
use crate::patterns::compiled;

/// Words of the normalised user text kept at each end of the frame.
pub const FRAME_EDGE_WORDS: usize = 6;
/// Words of the normalised system prompt shown in a template skeleton.
pub const SKELETON_SYSTEM_WORDS: usize = 24;
/// Words of the normalised system prompt compared when grouping paraphrased system prompts.
pub const SYSTEM_FAMILY_WORDS: usize = 96;

/// A piece of user text (a short prompt, or one end of a long one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The first and last FRAME_EDGE_WORDS words of the normalised piece.
    pub first: Box<str>,
    pub last: Box<str>,
    /// Whether the lower-cased piece asks for chain-of-thought.
    pub cot: bool,
    /// One bit per topic pattern matching the lower-cased piece (bit i: TOPIC_PATTERNS[i]).
    pub bits: u8,
    /// Whether the normalised piece holds a `<` (a masked value, mostly).
    pub masked: bool,
    /// Whether the normalised piece has words beyond its first and last ones.
    pub wordy: bool,
}

/// One bit per topic pattern that matches `lowered`.
pub fn topic_bits(lowered: &str) -> u8 {
    compiled()
        .topics
        .iter()
        .enumerate()
        .filter(|(_, regex)| regex.is_match(lowered))
        .fold(0, |bits, (index, _)| bits | (1 << index))
}

pub fn annotate_piece(piece: &str) -> Piece {
    let lowered = lowercase(piece);
    let normalised = normalise_lowered(&lowered);
    let first = head_words(&normalised, FRAME_EDGE_WORDS);
    let last = tail_words(&normalised, FRAME_EDGE_WORDS);
    Piece {
        first: first.into(),
        last: last.into(),
        cot: compiled().cot.is_match(&lowered),
        bits: topic_bits(&lowered),
        masked: normalised.contains('<'),
        // Normalised text has single spaces, so the ends plus one space fall short of
        // the whole exactly when words are left over.
        wordy: first.len() + last.len() + 1 < normalised.len(),
    }
}

/// A system prompt (its first SYSTEM_CHARS characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    /// Fingerprint of the normalised text; None when that is empty.
    pub fp: Option<u64>,
    /// The first SYSTEM_FAMILY_WORDS and SKELETON_SYSTEM_WORDS normalised words.
    pub text: Box<str>,
    pub skeleton: Box<str>,
    /// Topic bits of the skeleton words.
    pub bits: u8,
}

pub fn annotate_system(head: &str) -> System {
    let normalised = normalise(head);
    let skeleton = head_words(&normalised, SKELETON_SYSTEM_WORDS);
    System {
        fp: fingerprint::system_fp(&normalised),
        text: head_words(&normalised, SYSTEM_FAMILY_WORDS).into(),
        skeleton: skeleton.into(),
        bits: topic_bits(skeleton),
    }
}

/// The skeleton of a frame: system head, first words, last words, with the separators
/// that an empty part leaves at either end trimmed (as `strip_chars(" ¶")` does).
pub fn skeleton(system: &str, first: &str, last: &str, out: &mut String) {
    out.clear();
    out.push_str(system);
    out.push_str(" ¶ ");
    out.push_str(first);
    out.push_str(" … ");
    out.push_str(last);
    let trimmed = out.trim_matches([' ', '¶']);
    if trimmed.len() != out.len() {
        *out = trimmed.to_owned();
    }
}
