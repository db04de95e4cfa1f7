//! Finding the distinct values of a list, in parallel: values are spread over shards by
//! a hash, and each shard keeps its own table, so threads never share one.

use std::hash::Hash;

use hashbrown::HashTable;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

/// A list's distinct values, and for each item the index of its value among them.
pub struct Interned<T> {
    pub distinct: Vec<T>,
    pub ids: Vec<u32>,
}

/// Values that can be interned: hashed by a fast, well-mixed 64-bit hash.
pub trait Key: Copy + Eq + Hash + Send + Sync {
    fn key_hash(&self) -> u64;

    /// Whether two values are equal (as `==` says; a key may know a quicker way).
    fn same(&self, other: &Self) -> bool {
        self == other
    }
}

impl Key for &str {
    fn key_hash(&self) -> u64 {
        xxh3_64(self.as_bytes())
    }

    /// Slices of the same bytes are equal without comparing them: a column read from a
    /// dictionary-encoded file points every row that repeats a value (a system prompt,
    /// mostly) at the same bytes, and comparing them was 4% of a batch's annotation.
    fn same(&self, other: &Self) -> bool {
        std::ptr::eq(*self, *other) || self == other
    }
}

impl Key for (u32, u32, u32) {
    fn key_hash(&self) -> u64 {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&self.0.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.1.to_le_bytes());
        bytes[8..].copy_from_slice(&self.2.to_le_bytes());
        xxh3_64(&bytes)
    }
}

const SHARD_BITS: u32 = 6;

/// The distinct values of `items` (shard by shard, in order of first appearance within
/// each) and each item's index among them. Panics past u32::MAX items.
pub fn intern<T: Key>(items: &[T]) -> Interned<T> {
    let shards = 1usize << SHARD_BITS;
    let hashes: Vec<u64> = items.par_iter().map(Key::key_hash).collect();
    let shard_of = |hash: u64| (hash >> (64 - SHARD_BITS)) as usize;
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); shards];
    for (index, &hash) in hashes.iter().enumerate() {
        members[shard_of(hash)].push(u32::try_from(index).expect("a batch holds under 2^32 items"));
    }
    // Per shard: its distinct values and each member's local index.
    let locals: Vec<(Vec<T>, Vec<u32>)> = members
        .par_iter()
        .map(|member_items| {
            let mut table: HashTable<u32> = HashTable::with_capacity(member_items.len());
            let mut distinct: Vec<T> = Vec::new();
            let mut distinct_hashes: Vec<u64> = Vec::new();
            let local_ids = member_items
                .iter()
                .map(|&item| {
                    let (value, hash) = (items[item as usize], hashes[item as usize]);
                    match table.find(hash, |&id| distinct[id as usize].same(&value)) {
                        Some(&id) => id,
                        None => {
                            let id = distinct.len() as u32;
                            distinct.push(value);
                            distinct_hashes.push(hash);
                            table.insert_unique(hash, id, |&id| distinct_hashes[id as usize]);
                            id
                        }
                    }
                })
                .collect();
            (distinct, local_ids)
        })
        .collect();
    let mut ids = vec![0u32; items.len()];
    let mut distinct = Vec::new();
    for (member_items, (shard_distinct, local_ids)) in members.iter().zip(locals) {
        let base = distinct.len() as u32;
        for (&item, &local) in member_items.iter().zip(&local_ids) {
            ids[item as usize] = base + local;
        }
        distinct.extend(shard_distinct);
    }
    Interned { distinct, ids }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_at_other_addresses_shares_an_id() {
        let owned: Vec<String> = (0..100).map(|i| format!("piece {}", i % 3)).collect();
        let items: Vec<&str> = owned.iter().map(String::as_str).collect();
        let interned = intern(&items);
        assert_eq!(interned.distinct.len(), 3);
        assert_eq!(interned.ids[0], interned.ids[3]);
        assert_ne!(interned.ids[0], interned.ids[1]);
        // A slice of the same bytes, and a shorter one at the same address.
        let text = "shared bytes";
        let interned = intern(&[text, &text[..6], text]);
        assert_eq!(interned.distinct.len(), 2);
        assert_eq!(interned.ids[0], interned.ids[2]);
    }

    #[test]
    fn equal_values_share_an_id_and_distinct_ones_do_not() {
        let items: Vec<&str> = (0..5_000)
            .map(|i| ["a", "b", "", "a longer piece of text"][i % 4])
            .collect();
        let interned = intern(&items);
        assert_eq!(interned.distinct.len(), 4);
        for (item, &id) in items.iter().zip(&interned.ids) {
            assert_eq!(interned.distinct[id as usize], *item);
        }
    }
}
