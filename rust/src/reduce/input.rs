//! The batch reduction's input: the columns read from Arrow (numbers and flags in place,
//! text keys as a code per row), and the rows ordered account by account.

use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, ArrowPrimitiveType, BooleanArray, PrimitiveArray};
use arrow_data::ArrayData;
use arrow_schema::DataType;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::text::TextColumn;

/// The input columns, in the order `reduce_batch` takes them.
pub const INPUTS: [&str; 28] = [
    // Text keys.
    "account_id",
    "topic",
    "model",
    "skeleton",
    "system_text",
    "ip",
    "user_agent",
    "payment_fingerprint",
    "org_id",
    // 64-bit unsigned keys (nullable).
    "frame_fp",
    "system_fp",
    "item",
    "item_2",
    "closer_fp",
    // 64-bit signed, nullable: timestamps as microseconds, the 10-minute slot, counts.
    "timestamp",
    "account_created_at",
    "input_tokens",
    "output_tokens",
    "bucket",
    "max_tokens",
    // Float key.
    "temperature",
    // Flags (null reads as false).
    "multi_turn",
    "depth_known",
    "follow_up",
    "slotted",
    "is_cot",
    "has_images",
    "has_tool_results",
];

/// How many of INPUTS, from the first, are text.
pub const TEXT_KEYS: usize = 9;
/// Where the other kinds of INPUTS start.
pub(super) const FRAME_FP: usize = TEXT_KEYS;
pub(super) const TIMESTAMP: usize = FRAME_FP + 5;
pub(super) const TEMPERATURE: usize = TIMESTAMP + 6;
pub(super) const FLAGS: usize = TEMPERATURE + 1;
/// Text keys not coded up front: each is read beside the fingerprint it goes with
/// (`frames`, `systems`), and hashing their long bytes for codes took a fifth of the
/// reduction's time.
pub(super) const TOPIC: usize = 1;
pub(super) const MODEL: usize = 2;
pub(super) const SKELETON: usize = 3;
pub(super) const SYSTEM_TEXT: usize = 4;
/// The text columns whose values are kept per account (`account_values`), by kind.
pub const VALUE_KINDS: [(&str, usize); 4] =
    [("ip", 5), ("user_agent", 6), ("payment", 7), ("org", 8)];

/// Why a batch cannot be reduced.
#[derive(Debug, PartialEq)]
pub enum ReduceError {
    WrongType(&'static str, &'static str),
    Length(&'static str, usize, usize),
    BadBuffer(&'static str),
    Columns(usize),
}

impl std::fmt::Display for ReduceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReduceError::WrongType(column, expected) => {
                write!(f, "column {column:?} is not {expected}")
            }
            ReduceError::Length(column, got, rows) => {
                write!(f, "column {column:?} holds {got} rows, not {rows}")
            }
            ReduceError::BadBuffer(column) => {
                write!(f, "column {column:?} points outside its buffers")
            }
            ReduceError::Columns(got) => {
                write!(f, "expected {} columns, got {got}", INPUTS.len())
            }
        }
    }
}

/// A code per row for a text column: equal bytes, equal codes (numbered by first
/// appearance, or, `in_order`, by the order of their bytes); null is `NULL_CODE`.
const NULL_CODE: u32 = u32::MAX;

fn text_codes(
    chunks: &[ArrayData],
    name: &'static str,
    rows: usize,
    in_order: bool,
) -> Result<Vec<u32>, ReduceError> {
    let column = text_column(chunks, name, rows)?;
    let mut seen: HashMap<&[u8], u32> = HashMap::new();
    let codes = (0..rows)
        .map(|row| {
            let bytes = column
                .bytes(row)
                .map_err(|_| ReduceError::BadBuffer(name))?;
            Ok(match bytes {
                None => NULL_CODE,
                Some(bytes) => {
                    // Fewer distinct values than rows, and a batch's rows fit in u32.
                    let next = seen.len() as u32;
                    *seen.entry(bytes).or_insert(next)
                }
            })
        })
        .collect::<Result<Vec<u32>, _>>()?;
    if !in_order {
        return Ok(codes);
    }
    Ok(renumbered_in_order(codes, seen))
}

/// `codes` renumbered so that codes follow the order of the bytes they stand for (`seen`
/// maps each value to its code); null stays `NULL_CODE`.
fn renumbered_in_order(mut codes: Vec<u32>, seen: HashMap<&[u8], u32>) -> Vec<u32> {
    let mut values: Vec<(&[u8], u32)> = seen.into_iter().collect();
    values.sort_unstable();
    let mut rank = vec![0u32; values.len()];
    for (position, &(_, code)) in values.iter().enumerate() {
        rank[code as usize] = position as u32;
    }
    for code in codes.iter_mut().filter(|code| **code != NULL_CODE) {
        *code = rank[*code as usize];
    }
    codes
}

fn text_column(
    chunks: &[ArrayData],
    name: &'static str,
    rows: usize,
) -> Result<TextColumn, ReduceError> {
    let column = TextColumn::new(chunks).map_err(|_| ReduceError::WrongType(name, "text"))?;
    if column.len() != rows {
        return Err(ReduceError::Length(name, column.len(), rows));
    }
    Ok(column)
}

/// A column's chunks as one array: the chunk itself when there is one (read in place;
/// the caller rechunks these small columns), else a copy of them all.
fn one_array<A, I>(
    chunks: &[ArrayData],
    name: &'static str,
    data_type: &DataType,
    expected: &'static str,
    rows: usize,
) -> Result<A, ReduceError>
where
    A: From<ArrayData> + Array + FromIterator<I>,
    for<'a> &'a A: IntoIterator<Item = I>,
{
    if chunks.iter().any(|chunk| chunk.data_type() != data_type) {
        return Err(ReduceError::WrongType(name, expected));
    }
    let array = match chunks {
        [one] => A::from(one.clone()),
        _ => {
            let arrays: Vec<A> = chunks.iter().map(|chunk| A::from(chunk.clone())).collect();
            arrays.iter().flatten().collect()
        }
    };
    if array.len() != rows {
        return Err(ReduceError::Length(name, array.len(), rows));
    }
    Ok(array)
}

/// A nullable primitive column.
pub(super) struct Values<T: ArrowPrimitiveType>(PrimitiveArray<T>);

impl<T: ArrowPrimitiveType> Values<T> {
    pub(super) fn read(
        chunks: &[ArrayData],
        name: &'static str,
        expected: &'static str,
        rows: usize,
    ) -> Result<Self, ReduceError> {
        one_array(chunks, name, &T::DATA_TYPE, expected, rows).map(Values)
    }

    pub(super) fn at(&self, row: usize) -> Option<T::Native> {
        self.0.is_valid(row).then(|| self.0.value(row))
    }
}

/// A flag column (null reads as false).
pub(super) struct Flags(BooleanArray);

impl Flags {
    pub(super) fn read(
        chunks: &[ArrayData],
        name: &'static str,
        rows: usize,
    ) -> Result<Self, ReduceError> {
        one_array(chunks, name, &DataType::Boolean, "Boolean", rows).map(Flags)
    }

    pub(super) fn at(&self, row: usize) -> bool {
        self.0.is_valid(row) && self.0.value(row)
    }
}

/// The batch's columns, read.
pub(super) struct Batch {
    pub(super) rows: usize,
    /// Codes per row of the text keys (empty for SKELETON and SYSTEM_TEXT).
    pub(super) text: Vec<Vec<u32>>,
    pub(super) skeleton: TextColumn,
    pub(super) system_text: TextColumn,
    pub(super) by_account: AccountRows,
    pub(super) frame_fp: Values<UInt64Type>,
    pub(super) system_fp: Values<UInt64Type>,
    pub(super) items: [Values<UInt64Type>; 2],
    pub(super) closer: Values<UInt64Type>,
    pub(super) ts: Values<Int64Type>,
    pub(super) created: Values<Int64Type>,
    pub(super) input_tokens: Values<Int64Type>,
    pub(super) output_tokens: Values<Int64Type>,
    pub(super) bucket: Values<Int64Type>,
    pub(super) max_tokens: Values<Int64Type>,
    pub(super) temperature: Values<Float64Type>,
    pub(super) flags: Vec<Flags>,
}

pub(super) const MULTI_TURN: usize = 0;
pub(super) const DEPTH_KNOWN: usize = 1;
pub(super) const FOLLOW_UP: usize = 2;
pub(super) const SLOTTED: usize = 3;
pub(super) const COT: usize = 4;
pub(super) const IMAGES: usize = 5;
pub(super) const TOOL_RESULTS: usize = 6;

impl Batch {
    pub(super) fn read(columns: &[Vec<ArrayData>]) -> Result<Self, ReduceError> {
        if columns.len() != INPUTS.len() {
            return Err(ReduceError::Columns(columns.len()));
        }
        let rows = columns[0].iter().map(ArrayData::len).sum();
        let text = (0..TEXT_KEYS)
            .into_par_iter()
            .map(|index| match index {
                SKELETON | SYSTEM_TEXT => Ok(Vec::new()),
                // Accounts are coded in id order, so the tables keyed by account,
                // walked account by account (`AccountRows`), come sorted by it.
                _ => text_codes(&columns[index], INPUTS[index], rows, index == 0),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let u64s = |index: usize| Values::read(&columns[index], INPUTS[index], "UInt64", rows);
        let i64s = |index: usize| Values::read(&columns[index], INPUTS[index], "Int64", rows);
        let by_account = AccountRows::of(&text[0]);
        Ok(Batch {
            rows,
            text,
            by_account,
            skeleton: text_column(&columns[SKELETON], INPUTS[SKELETON], rows)?,
            system_text: text_column(&columns[SYSTEM_TEXT], INPUTS[SYSTEM_TEXT], rows)?,
            frame_fp: u64s(FRAME_FP)?,
            system_fp: u64s(FRAME_FP + 1)?,
            items: [u64s(FRAME_FP + 2)?, u64s(FRAME_FP + 3)?],
            closer: u64s(FRAME_FP + 4)?,
            ts: i64s(TIMESTAMP)?,
            created: i64s(TIMESTAMP + 1)?,
            input_tokens: i64s(TIMESTAMP + 2)?,
            output_tokens: i64s(TIMESTAMP + 3)?,
            bucket: i64s(TIMESTAMP + 4)?,
            max_tokens: i64s(TIMESTAMP + 5)?,
            temperature: Values::read(&columns[TEMPERATURE], INPUTS[TEMPERATURE], "Float64", rows)?,
            flags: (FLAGS..INPUTS.len())
                .map(|index| Flags::read(&columns[index], INPUTS[index], rows))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The account of `row` as a key part (a null account is a code of its own).
    pub(super) fn account(&self, row: usize) -> (u64, bool) {
        (u64::from(self.text[0][row]), false)
    }

    /// A coded text key of `row` as a key part: its code, and whether it is null.
    pub(super) fn text_key(&self, column: usize, row: usize) -> (u64, bool) {
        let code = self.text[column][row];
        (u64::from(code), code == NULL_CODE)
    }

    pub(super) fn flag(&self, which: usize, row: usize) -> bool {
        self.flags[which].at(row)
    }
}

/// The batch's rows account by account (accounts in the order of their codes, which is
/// id order, each account's rows in order): `rows` and where each account's start.
pub(super) struct AccountRows {
    rows: Vec<u32>,
    starts: Vec<usize>,
}

impl AccountRows {
    /// A counting sort of the rows by account code (codes number the distinct accounts;
    /// a null account is a code of its own, last).
    pub(super) fn of(codes: &[u32]) -> Self {
        // Codes are below the number of rows; null goes last.
        let null = codes.len();
        let slot = |code: u32| {
            if code == NULL_CODE {
                null
            } else {
                code as usize
            }
        };
        let mut starts = vec![0usize; null + 2];
        for &code in codes {
            starts[slot(code) + 1] += 1;
        }
        for index in 1..starts.len() {
            starts[index] += starts[index - 1];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; codes.len()];
        for (row, &code) in codes.iter().enumerate() {
            let at = &mut next[slot(code)];
            rows[*at] = row as u32;
            *at += 1;
        }
        AccountRows { rows, starts }
    }

    /// Each account's rows, in turn.
    pub(super) fn accounts(&self) -> impl Iterator<Item = &[u32]> {
        self.starts
            .windows(2)
            .map(|bounds| &self.rows[bounds[0]..bounds[1]])
            .filter(|rows| !rows.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_order_follow_the_bytes_and_accounts_come_in_that_order() {
        let values = [Some("b"), Some("a"), None, Some("é"), Some("a"), Some("ab")];
        let array = arrow_array::StringArray::from(values.to_vec()).into_data();
        let codes = text_codes(
            std::slice::from_ref(&array),
            "account_id",
            values.len(),
            true,
        )
        .unwrap();
        assert_eq!(codes, vec![2, 0, NULL_CODE, 3, 0, 1]);
        let appearance = text_codes(&[array], "account_id", values.len(), false).unwrap();
        assert_eq!(appearance, vec![0, 1, NULL_CODE, 2, 1, 3]);
        let rows = AccountRows::of(&codes);
        let by_account: Vec<&[u32]> = rows.accounts().collect();
        assert_eq!(by_account, vec![&[1, 4][..], &[5], &[0], &[3], &[2]]);
    }
}
