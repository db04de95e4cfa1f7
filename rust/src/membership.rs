//! Membership of sorted keys in a sorted run (`distillscan.read.dedupe`): one forward
//! walk over the run with galloping steps, so a batch of q sorted keys costs about
//! q·log₂(m/q) comparisons against a run of m, where a binary search per key costs
//! q·log₂(m) and jumps all over the run.

use arrow_array::UInt64Array;
use arrow_data::ArrayData;
use arrow_schema::DataType;

use crate::pairs::{values, PairError};

/// The chunks of a non-null UInt64 column.
fn chunks(chunks: &[ArrayData], name: &'static str) -> Result<Vec<UInt64Array>, PairError> {
    values(chunks, name, &DataType::UInt64, "UInt64")
}

/// Whether each of `keys` (ascending) is in `run` (ascending), in the order of `keys`.
pub fn contained(run: &[u64], keys: &[u64]) -> Vec<bool> {
    let mut found = Vec::with_capacity(keys.len());
    let mut at = 0usize;
    for &key in keys {
        // Gallop: double the step until the run's value there is not below the key.
        let mut step = 1usize;
        let mut low = at;
        while low + step < run.len() && run[low + step] < key {
            low += step;
            step *= 2;
        }
        let high = (low + step + 1).min(run.len());
        at = low + run[low..high].partition_point(|&value| value < key);
        found.push(at < run.len() && run[at] == key);
    }
    found
}

/// `contained` over two Arrow columns, read in place: the run (up to one key per request
/// of the log) is not copied. The keys (a batch's) are checked to be sorted; the run's
/// order is its holder's promise (`SeenRequests` builds runs by sorting and merging).
pub fn contained_columns(run: &[ArrayData], keys: &[ArrayData]) -> Result<Vec<bool>, PairError> {
    let keys: Vec<u64> = chunks(keys, "keys")?
        .iter()
        .flat_map(|a| a.values().iter().copied())
        .collect();
    if keys.windows(2).any(|pair| pair[0] > pair[1]) {
        return Err(PairError::Unsorted("keys"));
    }
    let run = chunks(run, "run")?;
    Ok(match run.as_slice() {
        [] => vec![false; keys.len()],
        [one] => contained(one.values(), &keys),
        several => {
            let whole: Vec<u64> = several
                .iter()
                .flat_map(|a| a.values().iter().copied())
                .collect();
            contained(&whole, &keys)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::arrays::u64s;
    use proptest::prelude::*;

    #[test]
    fn keys_are_found_in_the_run_and_only_those() {
        let run = [2, 4, 4, 9, 30];
        assert_eq!(
            contained(&run, &[1, 2, 3, 4, 9, 10, 30, 31]),
            vec![false, true, false, true, true, false, true, false]
        );
        assert_eq!(contained(&[], &[1, 2]), vec![false, false]);
        assert_eq!(contained(&run, &[]), Vec::<bool>::new());
    }

    #[test]
    fn unsorted_keys_are_an_error_and_runs_in_chunks_are_read_whole() {
        assert_eq!(
            contained_columns(&u64s(&[1, 3]), &u64s(&[4, 2])),
            Err(PairError::Unsorted("keys"))
        );
        let run = [u64s(&[1, 3]), u64s(&[5, 8])].concat();
        assert_eq!(
            contained_columns(&run, &u64s(&[3, 4, 8])),
            Ok(vec![true, false, true])
        );
    }

    proptest! {
        #[test]
        fn the_walk_agrees_with_a_search_per_key(
            mut run in prop::collection::vec(0u64..200, 0..300),
            mut keys in prop::collection::vec(0u64..200, 0..300),
        ) {
            run.sort_unstable();
            keys.sort_unstable();
            let want: Vec<bool> = keys.iter().map(|key| run.binary_search(key).is_ok()).collect();
            prop_assert_eq!(contained(&run, &keys), want);
        }
    }
}
