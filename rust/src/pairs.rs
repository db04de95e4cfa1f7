//! Pair scoring by intersecting each account's sorted token list: the evidence two
//! accounts share, read from their own tokens only, never by listing one account's
//! tokens for each of its pairs. Memory is the token rows (4 bytes each, plus 8 per
//! account), the per-token evidence and the pairs that link; time is, per candidate
//! pair, the smaller token list times the logarithm of the larger.

use arrow_array::{
    Array, BooleanArray, Float64Array, Int64Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow_data::ArrayData;
use arrow_schema::DataType;
use rayon::prelude::*;

/// Misses, -ln(1 - w), are integers in units of 1 / MISS_SCALE: sums of them are exact
/// in any order.
const MISS_SCALE: f64 = 1e9;
/// Kinds are bits of a u16.
pub const MAX_KINDS: usize = 16;
/// A pair of account codes (a, b) is one number: a * PAIR_BASE + b.
const PAIR_BASE: u64 = 1 << 32;

/// What one token is worth: its kind (an index into `Weights`), its miss and whether it
/// is specific evidence.
pub struct TokenEvidence {
    pub kind: Vec<u8>,
    pub miss: Vec<i64>,
    pub specific: Vec<bool>,
}

impl TokenEvidence {
    /// From three columns of equal length (UInt8 kinds, Int64 misses, Boolean specific),
    /// row k for token index k.
    pub fn new(
        kind: &[ArrayData],
        miss: &[ArrayData],
        specific: &[ArrayData],
    ) -> Result<Self, PairError> {
        let kind: Vec<UInt8Array> = values(kind, "kind", &DataType::UInt8, "UInt8")?;
        let miss: Vec<Int64Array> = values(miss, "miss", &DataType::Int64, "Int64")?;
        let specific: Vec<BooleanArray> =
            values(specific, "specific", &DataType::Boolean, "Boolean")?;
        Ok(TokenEvidence {
            kind: kind
                .iter()
                .flat_map(|a| a.values().iter().copied())
                .collect(),
            miss: miss
                .iter()
                .flat_map(|a| a.values().iter().copied())
                .collect(),
            specific: specific.iter().flat_map(|a| a.values().iter()).collect(),
        })
    }
}

/// Each kind's cap (its weight) and family (an index below `families`).
pub struct Weights {
    pub cap: Vec<f64>,
    pub family: Vec<u8>,
    pub families: usize,
}

/// Why the input could not be read.
#[derive(Debug, PartialEq)]
pub enum PairError {
    WrongType(&'static str, &'static str),
    HasNulls(&'static str),
    LengthsDiffer(&'static str, usize, usize),
    OutOfRange(&'static str, u64, usize),
    BadWeights(String),
}

impl std::fmt::Display for PairError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PairError::WrongType(column, expected) => {
                write!(f, "column {column:?} is not {expected}")
            }
            PairError::HasNulls(column) => write!(f, "column {column:?} holds nulls"),
            PairError::LengthsDiffer(what, a, b) => {
                write!(f, "{what} differ in length: {a} and {b}")
            }
            PairError::OutOfRange(column, value, bound) => {
                write!(f, "column {column:?}: {value} is not below {bound}")
            }
            PairError::BadWeights(why) => write!(f, "bad kind weights: {why}"),
        }
    }
}

/// The values of a non-null column of one primitive type, chunk by chunk.
fn values<T: From<ArrayData> + Array>(
    chunks: &[ArrayData],
    column: &'static str,
    data_type: &DataType,
    name: &'static str,
) -> Result<Vec<T>, PairError> {
    chunks
        .iter()
        .map(|chunk| {
            if chunk.data_type() != data_type {
                return Err(PairError::WrongType(column, name));
            }
            let array = T::from(chunk.clone());
            if array.null_count() > 0 {
                return Err(PairError::HasNulls(column));
            }
            Ok(array)
        })
        .collect()
}

/// The values of a non-null Float64 column, all chunks in one vector.
pub fn float_values(chunks: &[ArrayData], column: &'static str) -> Result<Vec<f64>, PairError> {
    let arrays: Vec<Float64Array> = values(chunks, column, &DataType::Float64, "Float64")?;
    Ok(arrays
        .iter()
        .flat_map(|a| a.values().iter().copied())
        .collect())
}

/// The pair keys of a non-null UInt64 column (`pair`), all chunks in one vector, each
/// checked to name two account codes below `accounts`.
pub fn pair_keys(chunks: &[ArrayData], accounts: usize) -> Result<Vec<u64>, PairError> {
    let arrays: Vec<UInt64Array> = values(chunks, "pair", &DataType::UInt64, "UInt64")?;
    let keys: Vec<u64> = arrays
        .iter()
        .flat_map(|a| a.values().iter().copied())
        .collect();
    match keys.iter().find(|&&pair| {
        let (a, b) = ends(pair);
        a >= accounts || b >= accounts
    }) {
        Some(&bad) => Err(PairError::OutOfRange("pair", bad, accounts)),
        None => Ok(keys),
    }
}

/// The two account codes of a pair key.
fn ends(pair: u64) -> (usize, usize) {
    ((pair / PAIR_BASE) as usize, (pair % PAIR_BASE) as usize)
}

/// Each account's tokens, sorted and de-duplicated: account `c`'s are
/// `tokens[offsets[c]..offsets[c + 1]]`.
pub struct AccountTokens {
    offsets: Vec<usize>,
    tokens: Vec<u32>,
}

impl AccountTokens {
    /// From (account code, token index) rows in any order; codes below `accounts`,
    /// token indexes below `tokens`.
    pub fn new(
        account: &[ArrayData],
        token: &[ArrayData],
        accounts: usize,
        token_count: usize,
    ) -> Result<Self, PairError> {
        let account: Vec<UInt32Array> = values(account, "account", &DataType::UInt32, "UInt32")?;
        let token: Vec<UInt32Array> = values(token, "token", &DataType::UInt32, "UInt32")?;
        let length = |arrays: &[UInt32Array]| arrays.iter().map(Array::len).sum::<usize>();
        if length(&account) != length(&token) {
            return Err(PairError::LengthsDiffer(
                "columns \"account\" and \"token\"",
                length(&account),
                length(&token),
            ));
        }
        let rows = || {
            account
                .iter()
                .flat_map(|array| array.values().iter().copied())
                .zip(
                    token
                        .iter()
                        .flat_map(|array| array.values().iter().copied()),
                )
        };
        // Counting sort by account: one pass to count, one to place.
        let mut offsets = vec![0usize; accounts + 1];
        for (code, index) in rows() {
            if code as usize >= accounts {
                return Err(PairError::OutOfRange("account", code.into(), accounts));
            }
            if index as usize >= token_count {
                return Err(PairError::OutOfRange("token", index.into(), token_count));
            }
            offsets[code as usize + 1] += 1;
        }
        for code in 0..accounts {
            offsets[code + 1] += offsets[code];
        }
        let mut next = offsets.clone();
        let mut tokens = vec![0u32; offsets[accounts]];
        for (code, index) in rows() {
            tokens[next[code as usize]] = index;
            next[code as usize] += 1;
        }
        let mut table = AccountTokens { offsets, tokens };
        table.sort_each();
        Ok(table)
    }

    /// Sort each account's tokens and drop repeats, compacting the table.
    fn sort_each(&mut self) {
        let accounts = self.offsets.len() - 1;
        let mut write = 0;
        let mut start = 0;
        for code in 0..accounts {
            let end = self.offsets[code + 1];
            self.tokens[start..end].sort_unstable();
            let from = write;
            for read in start..end {
                if write == from || self.tokens[write - 1] != self.tokens[read] {
                    self.tokens[write] = self.tokens[read];
                    write += 1;
                }
            }
            self.offsets[code] = from;
            start = end;
        }
        self.offsets[accounts] = write;
        self.tokens.truncate(write);
    }

    fn of(&self, code: usize) -> &[u32] {
        self.offsets
            .get(code..code + 2)
            .and_then(|ends| self.tokens.get(ends[0]..ends[1]))
            .unwrap_or_default()
    }
}

/// Calls `shared` with each value in both sorted, distinct lists, in order: a merge when
/// they are alike in length, else each of the shorter list looked up in the longer by
/// galloping.
fn intersect(x: &[u32], y: &[u32], mut shared: impl FnMut(u32)) {
    let (small, large) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    if small.len() * 8 < large.len() {
        let mut rest = large;
        for &value in small {
            let mut step = 1;
            while step < rest.len() && rest[step] < value {
                step *= 2;
            }
            let window = &rest[..rest.len().min(step + 1)];
            match window.binary_search(&value) {
                Ok(at) => {
                    shared(value);
                    rest = &rest[at + 1..];
                }
                Err(at) => rest = &rest[at..],
            }
            if rest.is_empty() {
                break;
            }
        }
        return;
    }
    let (mut i, mut j) = (0, 0);
    while i < small.len() && j < large.len() {
        match small[i].cmp(&large[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared(small[i]);
                i += 1;
                j += 1;
            }
        }
    }
}

/// A scored pair: its key, similarity and the kinds it shares (bit k: kind k).
pub type Scored = (u64, f64, u16);

/// The similarity of two accounts' shared tokens, the kinds they share and whether any
/// is specific: within a kind, misses add (a noisy-OR of its values) up to the kind's
/// cap; a family counts its strongest kind; families add in order.
fn similarity(
    first: &[u32],
    second: &[u32],
    evidence: &TokenEvidence,
    weights: &Weights,
) -> (f64, u16, bool) {
    let mut misses = [0i64; MAX_KINDS];
    let mut kinds = 0u16;
    let mut specific = false;
    intersect(first, second, |token| {
        let index = token as usize;
        let kind = evidence.kind[index] as usize;
        misses[kind] += evidence.miss[index];
        kinds |= 1 << kind;
        specific |= evidence.specific[index];
    });
    let mut strongest = [0f64; MAX_KINDS];
    for (kind, (&cap, &family)) in weights.cap.iter().zip(&weights.family).enumerate() {
        if kinds & (1 << kind) != 0 {
            let weight = cap.min(1.0 - (-(misses[kind] as f64) / MISS_SCALE).exp());
            let family = family as usize;
            strongest[family] = strongest[family].max(weight);
        }
    }
    let total = strongest[1..weights.families]
        .iter()
        .fold(strongest[0], |sum, weight| sum + weight);
    (total, kinds, specific)
}

/// Checks the per-token evidence and kind weights against each other.
pub fn check(evidence: &TokenEvidence, weights: &Weights) -> Result<(), PairError> {
    let kinds = weights.cap.len();
    if kinds > MAX_KINDS || weights.family.len() != kinds {
        return Err(PairError::BadWeights(format!(
            "{kinds} caps and {} families (at most {MAX_KINDS} kinds)",
            weights.family.len()
        )));
    }
    if weights.families == 0 || weights.families > MAX_KINDS {
        return Err(PairError::BadWeights(format!(
            "{} families",
            weights.families
        )));
    }
    if let Some(&family) = weights
        .family
        .iter()
        .find(|&&f| f as usize >= weights.families)
    {
        return Err(PairError::OutOfRange(
            "family",
            family.into(),
            weights.families,
        ));
    }
    let tokens = evidence.kind.len();
    for (column, length) in [
        ("miss", evidence.miss.len()),
        ("specific", evidence.specific.len()),
    ] {
        if length != tokens {
            return Err(PairError::LengthsDiffer(column, tokens, length));
        }
    }
    if let Some(&kind) = evidence.kind.iter().find(|&&kind| kind as usize >= kinds) {
        return Err(PairError::OutOfRange("kind", kind.into(), kinds));
    }
    if evidence.miss.iter().any(|&miss| miss < 0) {
        return Err(PairError::BadWeights("a negative miss".to_owned()));
    }
    Ok(())
}

/// The pairs of `pairs` (keys a·2³² + b) that share a specific token and reach
/// `min_similarity`, in the order given, with their similarity and kinds.
pub fn score(
    pairs: &[ArrayData],
    table: &AccountTokens,
    evidence: &TokenEvidence,
    weights: &Weights,
    min_similarity: f64,
) -> Result<Vec<Scored>, PairError> {
    check(evidence, weights)?;
    let keys = pair_keys(pairs, table.offsets.len() - 1)?;
    Ok(keys
        .par_iter()
        .filter_map(|&pair| {
            let (a, b) = ends(pair);
            let (total, kinds, specific) = similarity(table.of(a), table.of(b), evidence, weights);
            (specific && total >= min_similarity).then_some((pair, total, kinds))
        })
        .collect())
}

/// Each account's strongest partner (one per code below `accounts`): the other end of
/// its pair of highest `similarity`, ties to the smaller partner; None for an account in
/// no pair. Memory: 16 bytes an account besides the columns.
pub fn strongest_partners(
    pairs: &[ArrayData],
    similarity: &[ArrayData],
    accounts: usize,
) -> Result<Vec<Option<u32>>, PairError> {
    let keys = pair_keys(pairs, accounts)?;
    let similarity = float_values(similarity, "similarity")?;
    if keys.len() != similarity.len() {
        return Err(PairError::LengthsDiffer(
            "pairs and similarities",
            keys.len(),
            similarity.len(),
        ));
    }
    let mut best: Vec<Option<(f64, u32)>> = vec![None; accounts];
    for (&key, &value) in keys.iter().zip(&similarity) {
        let (a, b) = ends(key);
        for (node, partner) in [(a, b as u32), (b, a as u32)] {
            let better = match best[node] {
                None => true,
                Some((held, held_partner)) => {
                    value > held || (value == held && partner < held_partner)
                }
            };
            if better {
                best[node] = Some((value, partner));
            }
        }
    }
    Ok(best
        .into_iter()
        .map(|found| found.map(|(_, partner)| partner))
        .collect())
}

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
    window_partners(table, holders, window, |a, b, hits| {
        if hits < min_hits {
            return None;
        }
        let mut shared = 0u32;
        intersect(table.of(a), table.of(b as usize), |_| shared += 1);
        (shared >= min_shared).then_some((pair_key(a, b), shared))
    })
}

/// The keys of every pair of accounts within `window` places of each other in the
/// sorted holder list of some token, sorted: the candidate pairs of linking.
pub fn window_pair_keys(table: &AccountTokens, holders: &AccountTokens, window: usize) -> Vec<u64> {
    window_partners(table, holders, window, |a, b, _| Some(pair_key(a, b)))
}

/// For each account `a` (in code order, on all cores) and each later account `b` within
/// `window` places of it in a token's holder list, `keep(a, b, hits)` with the number of
/// tokens that put them so: what it returns, in order of `a`, then `b`.
fn window_partners<T: Send>(
    table: &AccountTokens,
    holders: &AccountTokens,
    window: usize,
    keep: impl Fn(usize, u32, u32) -> Option<T> + Sync,
) -> Vec<T> {
    let accounts = table.offsets.len() - 1;
    let per_account: Vec<Vec<T>> = (0..accounts)
        .into_par_iter()
        .map(|a| {
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
                found.extend(keep(a, b, (end - start) as u32));
                start = end;
            }
            found
        })
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

    fn u32s(values: &[u32]) -> Vec<ArrayData> {
        vec![UInt32Array::from(values.to_vec()).into_data()]
    }

    fn u64s(values: &[u64]) -> Vec<ArrayData> {
        vec![UInt64Array::from(values.to_vec()).into_data()]
    }

    #[test]
    fn strongest_partners_take_the_highest_similarity_then_the_smaller_partner() {
        let pairs = u64s(&[1, 2, PAIR_BASE + 2, PAIR_BASE * 2 + 3]);
        let similarity = vec![Float64Array::from(vec![0.7, 0.9, 0.9, 0.65]).into_data()];
        assert_eq!(
            strongest_partners(&pairs, &similarity, 5),
            Ok(vec![Some(2), Some(2), Some(0), Some(2), None])
        );
        let short = vec![Float64Array::from(vec![0.7]).into_data()];
        assert!(strongest_partners(&pairs, &short, 5).is_err());
        assert!(strongest_partners(&pairs, &similarity, 3).is_err());
    }

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

    fn miss(weight: f64) -> i64 {
        (-(1.0 - weight).ln() * MISS_SCALE).round() as i64
    }

    #[test]
    fn intersection_by_merge_and_by_galloping_agree() {
        let large: Vec<u32> = (0..1000).map(|value| value * 3).collect();
        for small in [
            vec![0, 3, 4, 2997, 5000],
            vec![1, 2],
            vec![],
            (0..400).collect(),
        ] {
            let mut found = Vec::new();
            intersect(&small, &large, |value| found.push(value));
            let expected: Vec<u32> = small
                .iter()
                .copied()
                .filter(|value| large.binary_search(value).is_ok())
                .collect();
            assert_eq!(found, expected);
            let mut swapped = Vec::new();
            intersect(&large, &small, |value| swapped.push(value));
            assert_eq!(swapped, expected);
        }
    }

    #[test]
    fn a_pair_scores_its_shared_tokens_per_family() {
        // Kinds: 0 template (content), 1 ip (network), 2 subnet (network).
        let weights = Weights {
            cap: vec![0.65, 0.3, 0.15],
            family: vec![0, 1, 1],
            families: 2,
        };
        let evidence = TokenEvidence {
            kind: vec![0, 1, 2, 1],
            miss: vec![miss(0.65), miss(0.3), miss(0.15), miss(0.3)],
            specific: vec![true, true, false, false],
        };
        // Account 0 holds tokens 0, 1, 2; account 1 holds 0, 1, 2, 3; account 2 holds 2, 3.
        let table = AccountTokens::new(
            &u32s(&[1, 0, 0, 1, 2, 0, 1, 1, 2]),
            &u32s(&[3, 2, 0, 0, 2, 1, 1, 2, 3]),
            3,
            4,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let pairs = u64s(&[1, 2, PAIR_BASE + 2]);
        let scored = score(&pairs, &table, &evidence, &weights, 0.0).unwrap_or_default();
        // (0, 1): template 0.65 + the network family's strongest, the IP (0.3).
        assert_eq!(scored.len(), 1, "{scored:?}");
        assert_eq!(scored[0].0, 1);
        assert!((scored[0].1 - 0.95).abs() < 1e-9);
        assert_eq!(scored[0].2, 0b111);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let weights = Weights {
            cap: vec![0.5],
            family: vec![0],
            families: 1,
        };
        let evidence = TokenEvidence {
            kind: vec![0],
            miss: vec![1],
            specific: vec![true],
        };
        assert_eq!(
            AccountTokens::new(&u32s(&[0, 5]), &u32s(&[0, 0]), 2, 1).err(),
            Some(PairError::OutOfRange("account", 5, 2))
        );
        assert_eq!(
            AccountTokens::new(&u32s(&[0]), &u32s(&[3]), 2, 1).err(),
            Some(PairError::OutOfRange("token", 3, 1))
        );
        let table = AccountTokens::new(&u32s(&[0, 1]), &u32s(&[0, 0]), 2, 1)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            score(
                &u64s(&[PAIR_BASE * 7 + 1]),
                &table,
                &evidence,
                &weights,
                0.0
            )
            .err(),
            Some(PairError::OutOfRange("pair", PAIR_BASE * 7 + 1, 2))
        );
        let bad_kind = TokenEvidence {
            kind: vec![4],
            miss: vec![1],
            specific: vec![true],
        };
        assert!(score(&u64s(&[1]), &table, &bad_kind, &weights, 0.0).is_err());
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
        assert_eq!(
            score(&u64s(&[1]), &table, &evidence, &weights, 0.0).map(|s| s.len()),
            Ok(1)
        );
    }
}
