//! Sorted runs of keys (`distillscan.read.dedupe`): membership of sorted keys in a run,
//! by one forward walk over the run with galloping steps, so a batch of q sorted keys
//! costs about q·log₂(m/q) comparisons against a run of m, where a binary search per
//! key costs q·log₂(m) and jumps all over the run; and two runs merged into one.

use std::borrow::Cow;

use arrow_array::UInt64Array;
use arrow_data::ArrayData;
use arrow_schema::DataType;

use crate::pairs::{values, PairError};

/// The chunks of a non-null UInt64 column.
fn chunks(chunks: &[ArrayData], name: &'static str) -> Result<Vec<UInt64Array>, PairError> {
    values(chunks, name, &DataType::UInt64, "UInt64")
}

/// A column's values as one slice: its only chunk's buffer in place, or, for a column in
/// several chunks, their values copied together.
fn contiguous(arrays: &[UInt64Array]) -> Cow<'_, [u64]> {
    match arrays {
        [one] => Cow::Borrowed(one.values().as_ref()),
        several => Cow::Owned(
            several
                .iter()
                .flat_map(|a| a.values().iter().copied())
                .collect(),
        ),
    }
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

/// Two ascending runs merged into one (keys in both kept twice).
pub fn merged(older: &[u64], newer: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(older.len() + newer.len());
    let (mut i, mut j) = (0, 0);
    while i < older.len() && j < newer.len() {
        if older[i] <= newer[j] {
            out.push(older[i]);
            i += 1;
        } else {
            out.push(newer[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&older[i..]);
    out.extend_from_slice(&newer[j..]);
    out
}

/// `merged` over two Arrow columns read in place (a column in one chunk is not copied:
/// a merge holds its inputs and its result, no more), each checked to be ascending (a
/// run is merged once per doubling, so the check costs what the merge does).
pub fn merged_columns(older: &[ArrayData], newer: &[ArrayData]) -> Result<Vec<u64>, PairError> {
    let (older, newer) = (chunks(older, "older")?, chunks(newer, "newer")?);
    let (older, newer) = (contiguous(&older), contiguous(&newer));
    for (name, run) in [("older", &older), ("newer", &newer)] {
        if run.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err(PairError::Unsorted(name));
        }
    }
    Ok(merged(&older, &newer))
}

/// What `first_sightings` finds in a batch: which rows to keep, and the keys first seen
/// in it (ascending, each once: a new run).
#[derive(Debug, PartialEq)]
pub struct Sightings {
    pub kept: Vec<bool>,
    pub fresh: Vec<u64>,
}

/// For a batch's request keys (None: a row without an id, always kept), the rows whose
/// key neither an earlier row of the batch nor any of `runs` (each ascending) holds;
/// their keys, sorted, are the new run. One sort of (key, row) pairs finds each key's
/// first row and walks every run once (`contained`). It runs on the calling thread:
/// the scan calls it from the thread that reads ahead, which must not wait for the
/// worker threads while they annotate the batch before.
pub fn first_sightings(keys: &[Option<u64>], runs: &[&[u64]]) -> Sightings {
    let mut rows: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .filter_map(|(row, key)| key.map(|key| (key, row as u32)))
        .collect();
    rows.sort_unstable();
    let mut firsts: Vec<(u64, u32)> = Vec::with_capacity(rows.len());
    for run in rows.chunk_by(|a, b| a.0 == b.0) {
        firsts.push(run[0]);
    }
    drop(rows);
    let distinct: Vec<u64> = firsts.iter().map(|first| first.0).collect();
    let mut known = vec![false; distinct.len()];
    for run in runs {
        for (seen, found) in known.iter_mut().zip(contained(run, &distinct)) {
            *seen |= found;
        }
    }
    let mut kept: Vec<bool> = keys.iter().map(Option::is_none).collect();
    let mut fresh = Vec::with_capacity(distinct.len());
    for (&(key, row), &seen) in firsts.iter().zip(&known) {
        if !seen {
            kept[row as usize] = true;
            fresh.push(key);
        }
    }
    Sightings { kept, fresh }
}

/// `first_sightings` over Arrow columns: `keys` a UInt64 column (nulls allowed), each run
/// a non-null one, read in place (the run's order is its holder's promise).
pub fn first_sightings_columns(
    keys: &[ArrayData],
    runs: &[Vec<ArrayData>],
) -> Result<Sightings, PairError> {
    let keys: Vec<Option<u64>> = keys
        .iter()
        .map(|chunk| {
            if chunk.data_type() != &DataType::UInt64 {
                return Err(PairError::WrongType("keys", "UInt64"));
            }
            Ok(UInt64Array::from(chunk.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .flat_map(|array| array.iter())
        .collect();
    let runs: Vec<Vec<UInt64Array>> = runs
        .iter()
        .map(|run| chunks(run, "run"))
        .collect::<Result<_, _>>()?;
    let slices: Vec<Cow<'_, [u64]>> = runs.iter().map(|run| contiguous(run)).collect();
    let slices: Vec<&[u64]> = slices.iter().map(AsRef::as_ref).collect();
    Ok(first_sightings(&keys, &slices))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::arrays::u64s;
    use arrow_array::Array;
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
    fn first_sightings_keep_each_new_key_once_in_its_first_row() {
        let keys = [
            Some(5),
            None,
            Some(3),
            Some(5),
            Some(7),
            Some(3),
            None,
            Some(1),
        ];
        let found = first_sightings(&keys, &[&[1, 2], &[6, 7]]);
        assert_eq!(
            found.kept,
            vec![true, true, true, false, false, false, true, false]
        );
        assert_eq!(found.fresh, vec![3, 5]);
        let runs = [u64s(&[1, 2]), u64s(&[6]), u64s(&[7])];
        let chunked = first_sightings_columns(
            &[UInt64Array::from(keys.to_vec()).into_data()],
            &[runs[0].clone(), [runs[1].clone(), runs[2].clone()].concat()],
        );
        assert_eq!(chunked, Ok(found));
    }

    #[test]
    fn runs_merge_in_order_and_unsorted_ones_are_an_error() {
        assert_eq!(
            merged(&[1, 4, 9], &[2, 4, 10, 11]),
            vec![1, 2, 4, 4, 9, 10, 11]
        );
        assert_eq!(merged(&[], &[3]), vec![3]);
        assert_eq!(
            merged_columns(&u64s(&[2, 1]), &u64s(&[3])),
            Err(PairError::Unsorted("older"))
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
