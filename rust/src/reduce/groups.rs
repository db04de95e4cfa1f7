//! Grouping rows by key: keys of up to three 64-bit parts, groups found account by
//! account, and the per-group measures grown as groups appear.

use std::sync::Arc;

use arrow_array::{ArrayRef, UInt32Array};
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

/// A nullable 64-bit key part: the value's bits and whether it is null.
pub(super) fn part<T: Copy + Into<u64>>(value: Option<T>) -> (u64, bool) {
    value.map_or((0, true), |v| (v.into(), false))
}

pub(super) fn signed(value: Option<i64>) -> (u64, bool) {
    value.map_or((0, true), |v| (v as u64, false))
}

/// A float as Polars groups it: every NaN alike, −0.0 as 0.0.
pub(super) fn float(value: Option<f64>) -> (u64, bool) {
    value.map_or((0, true), |v| {
        let bits = if v.is_nan() {
            f64::NAN.to_bits()
        } else if v == 0.0 {
            0
        } else {
            v.to_bits()
        };
        (bits, false)
    })
}

/// A key of up to three 64-bit parts and their null flags.
pub(super) type Key = (u64, u64, u64, u8);

pub(super) fn key(parts: [(u64, bool); 3]) -> Key {
    let nulls = parts
        .iter()
        .enumerate()
        .fold(0u8, |bits, (index, (_, null))| {
            bits | (u8::from(*null) << index)
        });
    (parts[0].0, parts[1].0, parts[2].0, nulls)
}

pub(super) const NONE: (u64, bool) = (0, false);

/// An account's groups kept in a list before a map is used: most accounts send a few
/// requests a batch.
pub(super) const SMALL_GROUPS: usize = 16;

/// The groups of one table keyed by account (and more), found account by account: a
/// key holds its account, so each account's groups are looked up among its own only,
/// in a short list (then a map) that stays in cache. One map the size of the batch's
/// groups per table missed the cache on most rows, a third of the reduction's time.
/// Groups are numbered in the order they are met; `first` holds each one's first row.
pub(super) struct Groups {
    small: Vec<(Key, u32)>,
    large: HashMap<Key, u32>,
    first: Vec<u32>,
}

impl Groups {
    pub(super) fn new() -> Self {
        Groups {
            small: Vec::with_capacity(SMALL_GROUPS),
            large: HashMap::new(),
            first: Vec::new(),
        }
    }

    /// Forget the last account's keys: the next rows are another account's.
    pub(super) fn next_account(&mut self) {
        self.small.clear();
        if !self.large.is_empty() {
            self.large.clear();
        }
    }

    /// The group of `key`, met at `row`; a new group is numbered next.
    pub(super) fn of(&mut self, key: Key, row: usize) -> usize {
        if let Some(&(_, group)) = self.small.iter().find(|(held, _)| *held == key) {
            return group as usize;
        }
        // A batch holds far fewer than 2^32 rows (the caller's batches are 200k).
        let next = self.first.len() as u32;
        if self.small.len() < SMALL_GROUPS {
            self.small.push((key, next));
        } else {
            match self.large.entry(key) {
                Entry::Occupied(entry) => return *entry.get() as usize,
                Entry::Vacant(entry) => {
                    entry.insert(next);
                }
            }
        }
        self.first.push(row as u32);
        next as usize
    }

    /// Each group's first row, as a column cut to its length (see `mod.rs`).
    pub(super) fn rows(self) -> ArrayRef {
        let mut first = self.first;
        first.shrink_to_fit();
        Arc::new(UInt32Array::from(first))
    }
}

/// A measure per group: grown as groups appear.
pub(super) fn add(counts: &mut Vec<u32>, group: usize, by: bool) {
    if group == counts.len() {
        counts.push(0);
    }
    counts[group] += u32::from(by);
}

pub(super) fn add_sum(sums: &mut Vec<i64>, group: usize, value: Option<i64>) {
    if group == sums.len() {
        sums.push(0);
    }
    sums[group] = sums[group].wrapping_add(value.unwrap_or(0));
}

pub(super) fn add_extreme(
    extremes: &mut Vec<Option<i64>>,
    group: usize,
    value: Option<i64>,
    keep: fn(i64, i64) -> i64,
) {
    if group == extremes.len() {
        extremes.push(None);
    }
    if let Some(value) = value {
        extremes[group] = Some(extremes[group].map_or(value, |held| keep(held, value)));
    }
}
