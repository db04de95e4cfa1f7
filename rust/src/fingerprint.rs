//! Fingerprints: XXH3 (64-bit) with fixed seeds, over the normalised text of a system
//! prompt and over a frame's parts. XXH3 is specified byte for byte, so a fingerprint is
//! the same on every run, platform and thread count; it is no cryptographic hash.

use xxhash_rust::xxh3::xxh3_64_with_seed;

const SYSTEM_SEED: u64 = 11;
const FRAME_SEED: u64 = 7;

/// The fingerprint of a normalised system prompt; None when it is empty.
pub fn system_fp(normalised: &str) -> Option<u64> {
    (!normalised.is_empty()).then(|| xxh3_64_with_seed(normalised.as_bytes(), SYSTEM_SEED))
}

/// The fingerprint of a frame: its system prompt's fingerprint (or none) and the first
/// and last words of its user text. The parts are laid out unambiguously (a tag for the
/// missing system prompt, the first words' length) so distinct frames hash distinct input.
pub fn frame_fp(system_fp: Option<u64>, first: &str, last: &str, scratch: &mut Vec<u8>) -> u64 {
    scratch.clear();
    match system_fp {
        Some(fp) => {
            scratch.push(1);
            scratch.extend_from_slice(&fp.to_le_bytes());
        }
        None => scratch.push(0),
    }
    scratch.extend_from_slice(&(first.len() as u64).to_le_bytes());
    scratch.extend_from_slice(first.as_bytes());
    scratch.extend_from_slice(last.as_bytes());
    xxh3_64_with_seed(scratch, FRAME_SEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_pinned() {
        // Pinned values: a change to the hash or the layout would regroup nothing but
        // would change every stored fingerprint, so it must be deliberate.
        let mut scratch = Vec::new();
        assert_eq!(system_fp(""), None);
        assert_eq!(
            system_fp("you are a helpful assistant"),
            Some(0x00c8_dcfc_a3d9_cad5)
        );
        assert_eq!(
            frame_fp(None, "a b", "c", &mut scratch),
            0x4ad8_2c23_7f41_396c
        );
        assert_ne!(
            frame_fp(None, "a", "b c", &mut scratch),
            frame_fp(None, "a b", "c", &mut scratch)
        );
        assert_ne!(
            frame_fp(Some(1), "a", "b", &mut scratch),
            frame_fp(None, "a", "b", &mut scratch)
        );
    }
}
