//! What one distinct piece of user text, or one distinct system prompt, contributes to a
//! request's annotations.

use crate::closers::piece_closer_fp;
use crate::fingerprint;
use crate::items::{anchors, Anchors};
use crate::normalise::{head_words, normalise, tail_words, Scratch};
use crate::patterns::{compiled, COT_BIT, TOPIC_BIT, TOPIC_PATTERNS};
use regex::Regex;

/// Words of the normalised user text kept at each end of the frame.
pub const FRAME_EDGE_WORDS: usize = 6;
/// Words of the normalised system prompt shown in a template skeleton.
pub const SKELETON_SYSTEM_WORDS: usize = 24;
/// Words of the normalised system prompt compared when grouping paraphrased system prompts.
pub const SYSTEM_FAMILY_WORDS: usize = 96;

/// A piece of user text (a short prompt, or one end of a long one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The first and last FRAME_EDGE_WORDS words of the normalised piece, one after the
    /// other (one allocation), split at `first_len`: see `first` and `last`.
    ends: Box<str>,
    first_len: usize,
    /// Whether the lower-cased piece asks for chain-of-thought.
    pub cot: bool,
    /// The first of TOPIC_PATTERNS matching the lower-cased piece (its length: none).
    pub topic: u8,
    /// Whether the normalised piece holds a `<` (a masked value, mostly).
    pub masked: bool,
    /// Whether the normalised piece has words beyond its first and last ones.
    pub wordy: bool,
    /// Its item anchors, over the lower-cased text, not masked (see `items`).
    pub anchors: Anchors,
    /// The fingerprint of its closing sentence (see `closers`).
    pub closer: Option<u64>,
}

/// The index of the first topic pattern that matches `lowered` (TOPIC_PATTERNS.len()
/// when none does), running only those `candidates` (bits of `patterns::Compiled::asks`)
/// allows. A request's topic is the first matching any of its texts: the least of theirs.
pub fn first_topic(lowered: &str, candidates: u32) -> u8 {
    compiled()
        .topics
        .iter()
        .enumerate()
        .find(|&(index, regex)| {
            candidates & (TOPIC_BIT << index) != 0 && topic_matches(index, regex, lowered)
        })
        .map_or(TOPIC_PATTERNS.len(), |(index, _)| index) as u8
}

/// Whether topic `index` (its expression `regex`) matches `lowered` outside its exception's
/// spans (see `patterns::TOPIC_EXCEPTIONS`).
fn topic_matches(index: usize, regex: &Regex, lowered: &str) -> bool {
    if !regex.is_match(lowered) {
        return false;
    }
    match &compiled().topic_exceptions[index] {
        Some(exception) if exception.is_match(lowered) => {
            regex.is_match(&exception.replace_all(lowered, " "))
        }
        _ => true,
    }
}

impl Piece {
    /// The first FRAME_EDGE_WORDS words of the normalised piece.
    pub fn first(&self) -> &str {
        self.ends.get(..self.first_len).unwrap_or_default()
    }

    /// The last FRAME_EDGE_WORDS words of the normalised piece.
    pub fn last(&self) -> &str {
        self.ends.get(self.first_len..).unwrap_or_default()
    }
}

/// What `piece` contributes; `scratch` holds its working text.
pub fn annotate_piece(piece: &str, scratch: &mut Scratch) -> Piece {
    let (lowered, normalised) = scratch.normalise(piece);
    let first = head_words(normalised, FRAME_EDGE_WORDS);
    let last = tail_words(normalised, FRAME_EDGE_WORDS);
    let candidates = compiled().asks.candidates(lowered);
    let mut ends = String::with_capacity(first.len() + last.len());
    ends.push_str(first);
    ends.push_str(last);
    Piece {
        ends: ends.into_boxed_str(),
        first_len: first.len(),
        cot: candidates & COT_BIT != 0 && compiled().cot.is_match(lowered),
        topic: first_topic(lowered, candidates),
        masked: normalised.contains('<'),
        // Normalised text has single spaces, so the ends plus one space fall short of
        // the whole exactly when words are left over.
        wordy: first.len() + last.len() + 1 < normalised.len(),
        anchors: anchors(lowered),
        closer: piece_closer_fp(lowered, normalised),
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
    /// The first topic matching the skeleton words (see `Piece::topic`).
    pub topic: u8,
}

pub fn annotate_system(head: &str) -> System {
    let normalised = normalise(head);
    let skeleton = head_words(&normalised, SKELETON_SYSTEM_WORDS);
    System {
        fp: fingerprint::system_fp(&normalised),
        text: head_words(&normalised, SYSTEM_FAMILY_WORDS).into(),
        skeleton: skeleton.into(),
        topic: first_topic(skeleton, compiled().asks.candidates(skeleton)),
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
    let end = out.trim_end_matches([' ', '¶']).len();
    out.truncate(end);
    let start = out.len() - out.trim_start_matches([' ', '¶']).len();
    out.drain(..start);
}
