//! Hand-written scanners for the masks of `patterns::MASKS`.

/// A scanner: writes the masked form of its input into `out` and says whether anything
/// was replaced (when not, `out` holds nothing useful).
pub type Scanner = fn(&str, &mut String) -> bool;

/// The scanner that replaces mask `index`, if there is one.
pub fn scanner(_index: usize) -> Option<Scanner> {
    None
}
