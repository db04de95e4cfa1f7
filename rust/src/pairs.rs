//! Pair scoring by intersecting each account's sorted token list: the evidence two
//! accounts share, read from their own tokens only, never by listing one account's
//! tokens for each of its pairs. Memory is the token rows (4 bytes each, plus 8 per
//! account), the per-token evidence, the pairs that link and, per thread, one bit per
//! token number; time is, per candidate pair, the second account's token list, tested
//! against the first's held as bits (`intersect::TokenSet`), or, where the second's is
//! far longer, the first's times the logarithm of the second's.

use arrow_array::{
    Array, BooleanArray, Float64Array, Int64Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow_data::ArrayData;
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::intersect::TokenSet;

/// Misses, -ln(1 - w), are integers in units of 1 / MISS_SCALE: sums of them are exact
/// in any order.
const MISS_SCALE: f64 = 1e9;
/// Kinds are bits of a u16.
pub const MAX_KINDS: usize = 16;
/// A pair of account codes (a, b) is one number: a * PAIR_BASE + b.
pub(crate) const PAIR_BASE: u64 = 1 << 32;

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
    Unsorted(&'static str),
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
            PairError::Unsorted(column) => write!(f, "column {column:?} is not sorted"),
        }
    }
}

/// The values of a non-null column of one primitive type, chunk by chunk.
pub(crate) fn values<T: From<ArrayData> + Array>(
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
pub(crate) fn ends(pair: u64) -> (usize, usize) {
    ((pair / PAIR_BASE) as usize, (pair % PAIR_BASE) as usize)
}

/// Each account's tokens, sorted and de-duplicated: account `c`'s are
/// `tokens[offsets[c]..offsets[c + 1]]`.
pub struct AccountTokens {
    pub(crate) offsets: Vec<usize>,
    pub(crate) tokens: Vec<u32>,
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

    pub(crate) fn of(&self, code: usize) -> &[u32] {
        self.offsets
            .get(code..code + 2)
            .and_then(|ends| self.tokens.get(ends[0]..ends[1]))
            .unwrap_or_default()
    }
}

/// A scored pair: its key, similarity and the kinds it shares (bit k: kind k).
pub type Scored = (u64, f64, u16);

/// The similarity of two accounts' shared tokens, the kinds they share and whether any
/// is specific: within a kind, misses add (a noisy-OR of its values) up to the kind's
/// cap; a family counts its strongest kind; families add in order.
fn similarity(
    first: &TokenSet,
    second: &[u32],
    evidence: &TokenEvidence,
    weights: &Weights,
) -> (f64, u16, bool) {
    let mut misses = [0i64; MAX_KINDS];
    let mut kinds = 0u16;
    let mut specific = false;
    first.intersect(second, |token| {
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
    let tokens = evidence.kind.len();
    // Pairs come in runs of one first account (sorted keys make one run per account):
    // its tokens are held as bits once for the run (see `TokenSet`).
    Ok(runs_of_first(&keys)
        .into_par_iter()
        .map_init(
            || TokenSet::new(tokens),
            |set, run| {
                set.hold(table.of(ends(run[0]).0));
                run.iter()
                    .filter_map(|&pair| {
                        let (_, b) = ends(pair);
                        let (total, kinds, specific) =
                            similarity(set, table.of(b), evidence, weights);
                        (specific && total >= min_similarity).then_some((pair, total, kinds))
                    })
                    .collect::<Vec<_>>()
            },
        )
        .flatten_iter()
        .collect())
}

/// `keys` cut into runs of consecutive pairs with the same first account, in order.
fn runs_of_first(keys: &[u64]) -> Vec<&[u64]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for at in 1..=keys.len() {
        if at == keys.len() || keys[at] / PAIR_BASE != keys[start] / PAIR_BASE {
            runs.push(&keys[start..at]);
            start = at;
        }
    }
    runs
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

/// Arrow columns built from slices, for the unit tests of this module and `windows`.
#[cfg(test)]
pub(crate) mod arrays {
    use super::*;

    pub(crate) fn u32s(values: &[u32]) -> Vec<ArrayData> {
        vec![UInt32Array::from(values.to_vec()).into_data()]
    }

    pub(crate) fn u64s(values: &[u64]) -> Vec<ArrayData> {
        vec![UInt64Array::from(values.to_vec()).into_data()]
    }
}

#[cfg(test)]
mod tests {
    use super::arrays::{u32s, u64s};
    use super::*;

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

    fn miss(weight: f64) -> i64 {
        (-(1.0 - weight).ln() * MISS_SCALE).round() as i64
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
        assert_eq!(
            score(&u64s(&[1]), &table, &evidence, &weights, 0.0).map(|s| s.len()),
            Ok(1)
        );
    }
}
