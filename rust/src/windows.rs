//! Candidate pairs drawn from windows over each token's sorted holders, and how many
//! tokens pairs share: counted from their token lists, or expected by chance. Apart from
//! scoring (`pairs`) because it reads the transposed table, each token's holders, to
//! find which accounts to pair, where scoring takes the pairs as given. Memory is the
//! table and its transpose and, per thread, one account's partners.

use arrow_data::ArrayData;
use rayon::prelude::*;

use crate::intersect::{intersect, TokenSet};
use crate::pairs::{ends, pair_keys, AccountTokens, PairError, PAIR_BASE};

/// Pairs of accounts that are within `window` places of each other in the sorted
/// holder lists of at least `min_hits` of the tokens they hold, with how many tokens
/// they share in all (at least `min_shared`), sorted by key. Each account's partners
/// are gathered and counted on their own (memory: one account's partner counts per
/// thread), so the pairs are never listed once per token, as windows over every token
/// at once would (hundreds of millions of keys over the item table of 10M requests).
pub fn window_pairs(
    table: &AccountTokens,
    holders: &AccountTokens,
    window: usize,
    min_hits: u32,
    min_shared: u32,
) -> Vec<(u64, u32)> {
    window_partners(table, holders, window, |set, a, b, hits| {
        if hits < min_hits {
            return None;
        }
        let mut shared = 0u32;
        set.intersect(table.of(b as usize), |_| shared += 1);
        (shared >= min_shared).then_some((pair_key(a, b), shared))
    })
}

/// The keys of every pair of accounts within `window` places of each other in the
/// sorted holder list of some token, sorted: the candidate pairs of linking.
pub fn window_pair_keys(table: &AccountTokens, holders: &AccountTokens, window: usize) -> Vec<u64> {
    window_partners(table, holders, window, |_, a, b, _| Some(pair_key(a, b)))
}

/// For each account `a` (in code order, on all cores) and each later account `b` within
/// `window` places of it in a token's holder list, `keep(set, a, b, hits)` with the
/// number of tokens that put them so and `a`'s tokens held in `set`: what it returns, in
/// order of `a`, then `b`.
fn window_partners<T: Send>(
    table: &AccountTokens,
    holders: &AccountTokens,
    window: usize,
    keep: impl Fn(&TokenSet, usize, u32, u32) -> Option<T> + Sync,
) -> Vec<T> {
    let accounts = table.offsets.len() - 1;
    let tokens = holders.offsets.len() - 1;
    let per_account: Vec<Vec<T>> = (0..accounts)
        .into_par_iter()
        .map_init(
            || TokenSet::new(tokens),
            |set, a| {
                set.hold(table.of(a));
                let code = a as u32;
                let mut partners: Vec<u32> = Vec::new();
                for &token in table.of(a) {
                    let list = holders.of(token as usize);
                    let Ok(at) = list.binary_search(&code) else {
                        continue;
                    };
                    let end = list.len().min(at + window + 1);
                    partners.extend_from_slice(&list[at + 1..end]);
                }
                partners.sort_unstable();
                let mut found = Vec::new();
                let mut start = 0;
                while start < partners.len() {
                    let b = partners[start];
                    let mut end = start;
                    while end < partners.len() && partners[end] == b {
                        end += 1;
                    }
                    found.extend(keep(set, a, b, (end - start) as u32));
                    start = end;
                }
                found
            },
        )
        .collect();
    let mut all = Vec::with_capacity(per_account.iter().map(Vec::len).sum());
    for found in per_account {
        all.extend(found);
    }
    all
}

fn pair_key(a: usize, b: u32) -> u64 {
    (a as u64) * PAIR_BASE + u64::from(b)
}

impl AccountTokens {
    /// The table (see `new`) and its transpose (see `holders`), for the window functions.
    pub fn with_holders(
        account: &[ArrayData],
        token: &[ArrayData],
        accounts: usize,
        tokens: usize,
    ) -> Result<(AccountTokens, AccountTokens), PairError> {
        let table = AccountTokens::new(account, token, accounts, tokens)?;
        let holders = table.holders(tokens);
        Ok((table, holders))
    }

    /// The transpose: each token's holders, sorted (token `t`'s are `of(t)`).
    pub fn holders(&self, tokens: usize) -> AccountTokens {
        let mut offsets = vec![0usize; tokens + 1];
        for &token in &self.tokens {
            offsets[token as usize + 1] += 1;
        }
        for token in 0..tokens {
            offsets[token + 1] += offsets[token];
        }
        let mut next = offsets.clone();
        let mut accounts = vec![0u32; self.tokens.len()];
        for code in 0..self.offsets.len() - 1 {
            for &token in self.of(code) {
                accounts[next[token as usize]] = code as u32;
                next[token as usize] += 1;
            }
        }
        // Accounts were visited in order, so each token's holders are sorted already.
        AccountTokens {
            offsets,
            tokens: accounts,
        }
    }
}

/// For each pair (keys a·2³² + b), the larger of Σ_t mass[a][t]·size[b][t]/rows[t] and
/// the same with a and b swapped: how many of one account's items the other is
/// expected to hold by chance, topic by topic (see the co-harvest null model). `mass`
/// and `size` hold `rows.len()` values per account, account after account.
pub fn expected_shared(
    pairs: &[ArrayData],
    mass: &[f64],
    size: &[f64],
    rows: &[f64],
) -> Result<Vec<f64>, PairError> {
    let topics = rows.len();
    if mass.len() != size.len() || topics == 0 || !mass.len().is_multiple_of(topics) {
        return Err(PairError::LengthsDiffer(
            "mass and size",
            mass.len(),
            size.len(),
        ));
    }
    let keys = pair_keys(pairs, mass.len() / topics)?;
    let one_way = |from: usize, to: usize| {
        (0..topics).fold(0.0, |sum, t| {
            let by = rows[t];
            if by > 0.0 {
                sum + mass[from * topics + t] * size[to * topics + t] / by
            } else {
                sum
            }
        })
    };
    Ok(keys
        .par_iter()
        .map(|&pair| {
            let (a, b) = ends(pair);
            one_way(a, b).max(one_way(b, a))
        })
        .collect())
}

/// How many tokens each pair of `pairs` (keys a·2³² + b) shares, in the order given.
pub fn count_shared(pairs: &[ArrayData], table: &AccountTokens) -> Result<Vec<u32>, PairError> {
    let keys = pair_keys(pairs, table.offsets.len() - 1)?;
    Ok(keys
        .par_iter()
        .map(|&pair| {
            let (a, b) = ends(pair);
            let mut shared = 0u32;
            intersect(table.of(a), table.of(b), |_| shared += 1);
            shared
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::arrays::{u32s, u64s};

    #[test]
    fn window_pair_keys_pair_each_holder_with_the_next_window_holders() {
        // Token 0 held by accounts 0..6, token 1 by 1 and 5, token 2 by 3 alone.
        let rows: Vec<(u32, u32)> = (0..6)
            .map(|a| (a, 0))
            .chain([(1, 1), (5, 1), (3, 2)])
            .collect();
        let account: Vec<u32> = rows.iter().map(|r| r.0).collect();
        let token: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let table = AccountTokens::new(&u32s(&account), &u32s(&token), 6, 3).unwrap();
        let holders = table.holders(3);
        let mut expected: Vec<u64> = Vec::new();
        for a in 0..6u64 {
            for b in a + 1..(a + 3).min(6) {
                expected.push(a * PAIR_BASE + b);
            }
        }
        expected.push(PAIR_BASE + 5);
        expected.sort_unstable();
        assert_eq!(window_pair_keys(&table, &holders, 2), expected);
    }

    #[test]
    fn shared_tokens_are_counted_and_expected_and_bad_pairs_are_errors() {
        let table = AccountTokens::new(&u32s(&[0, 1]), &u32s(&[0, 0]), 2, 1)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(count_shared(&u64s(&[1]), &table), Ok(vec![1]));
        let holders = table.holders(1);
        assert_eq!(holders.of(0), &[0, 1]);
        assert_eq!(window_pairs(&table, &holders, 4, 1, 1), vec![(1, 1)]);
        assert!(window_pairs(&table, &holders, 4, 2, 1).is_empty());
        // Two accounts, two topics: a sends 6 items' worth of popularity in topic 0, b
        // holds 2 items there, among 12 rows: a→b 1.0; b→a 0.5 · 4 / 8 in topic 1.
        let expected = expected_shared(
            &u64s(&[1]),
            &[6.0, 0.0, 0.0, 0.5],
            &[1.0, 4.0, 2.0, 1.0],
            &[12.0, 8.0],
        );
        assert_eq!(expected, Ok(vec![1.0]));
        assert!(expected_shared(&u64s(&[PAIR_BASE * 5]), &[1.0], &[1.0], &[1.0]).is_err());
        assert!(count_shared(&u64s(&[PAIR_BASE * 9]), &table).is_err());
    }
}
