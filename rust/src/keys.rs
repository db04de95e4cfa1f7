//! Request keys for de-duplication: one 64-bit hash per row over the columns that say
//! which request a row is (`read/dedupe.py`'s IDENTITY_COLUMNS, request id first), null
//! where the row has no request id (null, or only whitespace), as such rows are never
//! repeats.
//!
//! The key is XXH3 (seeded) over the row's values laid out unambiguously: per column a
//! null tag, or a present tag, the value's length and its bytes. So values moved between
//! columns, or split differently, give other keys; two distinct requests share a key with
//! probability about 2⁻⁶⁴.

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3;

use crate::text::{BadBuffer, TextColumn};

const KEY_SEED: u64 = 0x6A09_E667_F3BC_C908;

/// The key of each row of `columns` (all of one length; the first is the request id).
pub fn request_keys(columns: &[TextColumn]) -> Result<Vec<Option<u64>>, BadBuffer> {
    let rows = columns.first().map_or(0, TextColumn::len);
    (0..rows)
        .into_par_iter()
        .map(|row| {
            let mut hasher = Xxh3::with_seed(KEY_SEED);
            for (index, column) in columns.iter().enumerate() {
                match column.bytes(row)? {
                    None if index == 0 => return Ok(None),
                    None => hasher.update(&[0]),
                    Some(bytes) => {
                        if index == 0 && String::from_utf8_lossy(bytes).trim().is_empty() {
                            return Ok(None);
                        }
                        hasher.update(&[1]);
                        hasher.update(&(bytes.len() as u64).to_le_bytes());
                        hasher.update(bytes);
                    }
                }
            }
            Ok(Some(hasher.digest()))
        })
        .collect()
}
