//! One batch of annotated requests reduced to its partial aggregate tables in hash maps:
//! what nine Polars group-bys over the batch did (`aggregate/partial.py` says what each
//! table holds). Key columns are not copied out: each table gives the first row of each
//! of its groups (`row`), and the caller gathers the key values from the batch, so only
//! numbers cross back. Groups come in order of first appearance, so the output is the
//! same on every run and thread count.
//!
//! Keys compare as Polars' group-by compares them: nulls form their own group, text by
//! bytes, floats by value with every NaN alike and −0.0 equal to 0.0. Sums skip nulls
//! (0 when all are null) and wrap on overflow; minimums and maximums skip nulls (null
//! when all are).
//!
//! Memory: the batch's columns as read, a code per row for each text key column, and the
//! groups of each table (at most one per row).

use std::sync::Arc;

use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, BooleanArray, PrimitiveArray};
use arrow_array::{Int64Array, UInt32Array, UInt64Array};
use arrow_data::ArrayData;
use arrow_schema::DataType;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::text::TextColumn;

/// The input columns, in the order `reduce_batch` takes them.
pub const INPUTS: [&str; 27] = [
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

const TEXT_KEYS: usize = 9;
/// Text keys not coded up front: each is read beside the fingerprint it goes with
/// (`frames`, `systems`), and hashing their long bytes for codes took a fifth of the
/// reduction's time.
const SKELETON: usize = 3;
const SYSTEM_TEXT: usize = 4;
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

/// One reduced table: column names and their arrays (the first is `row`).
pub struct Table {
    pub name: String,
    pub columns: Vec<(&'static str, ArrayRef)>,
}

/// A code per row for a text column: equal bytes, equal codes (numbered by first
/// appearance); null is `NULL_CODE`.
const NULL_CODE: u32 = u32::MAX;

fn text_codes(
    chunks: &[ArrayData],
    name: &'static str,
    rows: usize,
) -> Result<Vec<u32>, ReduceError> {
    let column = text_column(chunks, name, rows)?;
    let mut seen: HashMap<&[u8], u32> = HashMap::new();
    (0..rows)
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
        .collect()
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

/// A nullable primitive column, read in place when it comes in one chunk (the caller
/// rechunks these small columns), else copied into one.
struct Values<T: ArrowPrimitiveType>(PrimitiveArray<T>);

impl<T: ArrowPrimitiveType> Values<T> {
    fn read(
        chunks: &[ArrayData],
        name: &'static str,
        expected: &'static str,
        rows: usize,
    ) -> Result<Self, ReduceError> {
        if chunks
            .iter()
            .any(|chunk| chunk.data_type() != &T::DATA_TYPE)
        {
            return Err(ReduceError::WrongType(name, expected));
        }
        let array = match chunks {
            [one] => PrimitiveArray::<T>::from(one.clone()),
            _ => chunks
                .iter()
                .map(|chunk| PrimitiveArray::<T>::from(chunk.clone()))
                .collect::<Vec<_>>()
                .iter()
                .flat_map(|array| array.iter())
                .collect(),
        };
        if array.len() != rows {
            return Err(ReduceError::Length(name, array.len(), rows));
        }
        Ok(Values(array))
    }

    fn at(&self, row: usize) -> Option<T::Native> {
        self.0.is_valid(row).then(|| self.0.value(row))
    }
}

/// A flag column (null reads as false), read like `Values`.
struct Flags(BooleanArray);

impl Flags {
    fn read(chunks: &[ArrayData], name: &'static str, rows: usize) -> Result<Self, ReduceError> {
        if chunks
            .iter()
            .any(|chunk| chunk.data_type() != &DataType::Boolean)
        {
            return Err(ReduceError::WrongType(name, "Boolean"));
        }
        let array = match chunks {
            [one] => BooleanArray::from(one.clone()),
            _ => chunks
                .iter()
                .map(|chunk| BooleanArray::from(chunk.clone()))
                .collect::<Vec<_>>()
                .iter()
                .flat_map(|array| array.iter())
                .collect(),
        };
        if array.len() != rows {
            return Err(ReduceError::Length(name, array.len(), rows));
        }
        Ok(Flags(array))
    }

    fn at(&self, row: usize) -> bool {
        self.0.is_valid(row) && self.0.value(row)
    }
}

/// The batch's columns, read.
struct Batch {
    rows: usize,
    /// Codes per row of the text keys (empty for SKELETON and SYSTEM_TEXT).
    text: Vec<Vec<u32>>,
    skeleton: TextColumn,
    system_text: TextColumn,
    by_account: AccountRows,
    frame_fp: Values<UInt64Type>,
    system_fp: Values<UInt64Type>,
    items: [Values<UInt64Type>; 2],
    ts: Values<Int64Type>,
    created: Values<Int64Type>,
    input_tokens: Values<Int64Type>,
    output_tokens: Values<Int64Type>,
    bucket: Values<Int64Type>,
    max_tokens: Values<Int64Type>,
    temperature: Values<Float64Type>,
    flags: Vec<Flags>,
}

const MULTI_TURN: usize = 0;
const DEPTH_KNOWN: usize = 1;
const FOLLOW_UP: usize = 2;
const SLOTTED: usize = 3;
const COT: usize = 4;
const IMAGES: usize = 5;
const TOOL_RESULTS: usize = 6;

impl Batch {
    fn read(columns: &[Vec<ArrayData>]) -> Result<Self, ReduceError> {
        if columns.len() != INPUTS.len() {
            return Err(ReduceError::Columns(columns.len()));
        }
        let rows = columns[0].iter().map(ArrayData::len).sum();
        let text = (0..TEXT_KEYS)
            .into_par_iter()
            .map(|index| match index {
                SKELETON | SYSTEM_TEXT => Ok(Vec::new()),
                _ => text_codes(&columns[index], INPUTS[index], rows),
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
            frame_fp: u64s(9)?,
            system_fp: u64s(10)?,
            items: [u64s(11)?, u64s(12)?],
            ts: i64s(13)?,
            created: i64s(14)?,
            input_tokens: i64s(15)?,
            output_tokens: i64s(16)?,
            bucket: i64s(17)?,
            max_tokens: i64s(18)?,
            temperature: Values::read(&columns[19], INPUTS[19], "Float64", rows)?,
            flags: (20..INPUTS.len())
                .map(|index| Flags::read(&columns[index], INPUTS[index], rows))
                .collect::<Result<_, _>>()?,
        })
    }

    fn account(&self, row: usize) -> u64 {
        u64::from(self.text[0][row])
    }

    fn flag(&self, which: usize, row: usize) -> bool {
        self.flags[which].at(row)
    }
}

/// A nullable 64-bit key part: the value's bits and whether it is null.
fn part<T: Copy + Into<u64>>(value: Option<T>) -> (u64, bool) {
    value.map_or((0, true), |v| (v.into(), false))
}

fn signed(value: Option<i64>) -> (u64, bool) {
    value.map_or((0, true), |v| (v as u64, false))
}

/// A float as Polars groups it: every NaN alike, −0.0 as 0.0.
fn float(value: Option<f64>) -> (u64, bool) {
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
type Key = (u64, u64, u64, u8);

fn key(parts: [(u64, bool); 3]) -> Key {
    let nulls = parts
        .iter()
        .enumerate()
        .fold(0u8, |bits, (index, (_, null))| {
            bits | (u8::from(*null) << index)
        });
    (parts[0].0, parts[1].0, parts[2].0, nulls)
}

const NONE: (u64, bool) = (0, false);

/// An account's groups kept in a list before a map is used: most accounts send a few
/// requests a batch.
const SMALL_GROUPS: usize = 16;

/// The groups of one table keyed by account (and more), found account by account: a
/// key holds its account, so each account's groups are looked up among its own only,
/// in a short list (then a map) that stays in cache. One map the size of the batch's
/// groups per table missed the cache on most rows, a third of the reduction's time.
/// Groups are numbered in the order they are met; `first` holds each one's first row.
struct Groups {
    small: Vec<(Key, u32)>,
    large: HashMap<Key, u32>,
    first: Vec<u32>,
}

impl Groups {
    fn new() -> Self {
        Groups {
            small: Vec::with_capacity(SMALL_GROUPS),
            large: HashMap::new(),
            first: Vec::new(),
        }
    }

    /// Forget the last account's keys: the next rows are another account's.
    fn next_account(&mut self) {
        self.small.clear();
        if !self.large.is_empty() {
            self.large.clear();
        }
    }

    /// The group of `key`, met at `row`; a new group is numbered next.
    fn of(&mut self, key: Key, row: usize) -> usize {
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

    fn rows(&self) -> ArrayRef {
        Arc::new(UInt32Array::from(self.first.clone()))
    }
}

/// The batch's rows account by account (accounts in order of first appearance, each
/// account's rows in order): `rows` and where each account's start.
struct AccountRows {
    rows: Vec<u32>,
    starts: Vec<usize>,
}

impl AccountRows {
    /// A counting sort of the rows by account code (codes number the distinct accounts
    /// by first appearance; a null account is a code of its own).
    fn of(codes: &[u32]) -> Self {
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
    fn accounts(&self) -> impl Iterator<Item = &[u32]> {
        self.starts
            .windows(2)
            .map(|bounds| &self.rows[bounds[0]..bounds[1]])
            .filter(|rows| !rows.is_empty())
    }
}

/// A measure per group: grown as groups appear.
fn add(counts: &mut Vec<u32>, group: usize, by: bool) {
    if group == counts.len() {
        counts.push(0);
    }
    counts[group] += u32::from(by);
}

fn add_sum(sums: &mut Vec<i64>, group: usize, value: Option<i64>) {
    if group == sums.len() {
        sums.push(0);
    }
    sums[group] = sums[group].wrapping_add(value.unwrap_or(0));
}

fn add_extreme(
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

// The tables are held (a few batches' worth) until they are spilled, so each column is
// cut to its length: grown by pushing, a vector holds up to twice that.

fn u32s(mut values: Vec<u32>) -> ArrayRef {
    values.shrink_to_fit();
    Arc::new(UInt32Array::from(values))
}

fn i64s(mut values: Vec<i64>) -> ArrayRef {
    values.shrink_to_fit();
    Arc::new(Int64Array::from(values))
}

fn optional_i64s(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

fn table(name: &str, columns: Vec<(&'static str, ArrayRef)>) -> Table {
    Table {
        name: name.to_owned(),
        columns,
    }
}

/// A table keyed by account that only counts rows per key (`n`), over the rows `keys`
/// gives a key for.
fn counted(name: &str, batch: &Batch, keys: impl Fn(usize) -> Option<Key>) -> Table {
    let mut groups = Groups::new();
    let mut n = Vec::new();
    for rows in batch.by_account.accounts() {
        groups.next_account();
        for &row in rows {
            let row = row as usize;
            if let Some(key) = keys(row) {
                let group = groups.of(key, row);
                add(&mut n, group, true);
            }
        }
    }
    table(name, vec![("row", groups.rows()), ("n", u32s(n))])
}

/// A table counting rows per (fingerprint, text), the text read beside the fingerprint
/// it goes with: rows group by fingerprint, and a row whose text differs from its
/// group's first row's (two texts under one fingerprint) is keyed by its bytes as well.
/// `fp` gives a row's fingerprint (None: the row is left out).
fn counted_with_text(
    name: &str,
    rows: usize,
    text: &TextColumn,
    column: &'static str,
    fp: impl Fn(usize) -> Option<Option<u64>>,
) -> Result<Table, ReduceError> {
    let bad = |_| ReduceError::BadBuffer(column);
    type Fp = (u64, bool);
    let mut by_fp: HashMap<Fp, u32> = HashMap::with_capacity(rows / 2);
    let mut by_text: HashMap<(Fp, Option<&[u8]>), u32> = HashMap::new();
    let (mut first, mut n): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    for row in 0..rows {
        let Some(fp) = fp(row) else { continue };
        let fp = part(fp);
        let bytes = text.bytes(row).map_err(bad)?;
        let known = match by_fp.get(&fp) {
            None => None,
            Some(&group) if text.bytes(first[group as usize] as usize).map_err(bad)? == bytes => {
                Some(group)
            }
            Some(_) => by_text.get(&(fp, bytes)).copied(),
        };
        let group = match known {
            Some(group) => group as usize,
            None => {
                let group = first.len();
                if by_fp.contains_key(&fp) {
                    by_text.insert((fp, bytes), group as u32);
                } else {
                    by_fp.insert(fp, group as u32);
                }
                first.push(row as u32);
                group
            }
        };
        add(&mut n, group, true);
    }
    Ok(table(name, vec![("row", u32s(first)), ("n", u32s(n))]))
}

/// `visit(groups, row)` for every row, account by account, `groups` told when the
/// account changes.
fn each_row(batch: &Batch, groups: &mut Groups, mut visit: impl FnMut(&mut Groups, usize)) {
    for rows in batch.by_account.accounts() {
        groups.next_account();
        for &row in rows {
            visit(groups, row as usize);
        }
    }
}

fn accounts(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut counts: [Vec<u32>; 6] = Default::default();
    let (mut input, mut output) = (Vec::new(), Vec::new());
    let (mut first, mut last, mut created) = (Vec::new(), Vec::new(), Vec::new());
    each_row(batch, &mut groups, |groups, row| {
        let group = groups.of(key([(batch.account(row), false), NONE, NONE]), row);
        add(&mut counts[0], group, true);
        for (slot, which) in [MULTI_TURN, DEPTH_KNOWN, COT, IMAGES, TOOL_RESULTS]
            .into_iter()
            .enumerate()
        {
            add(&mut counts[slot + 1], group, batch.flag(which, row));
        }
        add_sum(&mut input, group, batch.input_tokens.at(row));
        add_sum(&mut output, group, batch.output_tokens.at(row));
        add_extreme(&mut first, group, batch.ts.at(row), i64::min);
        add_extreme(&mut last, group, batch.ts.at(row), i64::max);
        add_extreme(&mut created, group, batch.created.at(row), i64::min);
    });
    let [n, multi, depth, cot, images, tools] = counts;
    table(
        "accounts",
        vec![
            ("row", groups.rows()),
            ("n", u32s(n)),
            ("n_multi_turn", u32s(multi)),
            ("n_depth_known", u32s(depth)),
            ("n_cot", u32s(cot)),
            ("n_with_images", u32s(images)),
            ("n_with_tool_results", u32s(tools)),
            ("input_tokens", i64s(input)),
            ("output_tokens", i64s(output)),
            ("first_ts", optional_i64s(first)),
            ("last_ts", optional_i64s(last)),
            ("created_at", optional_i64s(created)),
        ],
    )
}

fn account_frames(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut counts: [Vec<u32>; 4] = Default::default();
    let (mut first, mut last) = (Vec::new(), Vec::new());
    each_row(batch, &mut groups, |groups, row| {
        let parts = [
            (batch.account(row), false),
            part(batch.frame_fp.at(row)),
            part(batch.system_fp.at(row)),
        ];
        let group = groups.of(key(parts), row);
        add(&mut counts[0], group, true);
        for (slot, which) in [SLOTTED, COT, FOLLOW_UP].into_iter().enumerate() {
            add(&mut counts[slot + 1], group, batch.flag(which, row));
        }
        add_extreme(&mut first, group, batch.ts.at(row), i64::min);
        add_extreme(&mut last, group, batch.ts.at(row), i64::max);
    });
    let [n, slotted, cot, follow_up] = counts;
    table(
        "account_frames",
        vec![
            ("row", groups.rows()),
            ("n", u32s(n)),
            ("n_slotted", u32s(slotted)),
            ("n_cot", u32s(cot)),
            ("n_follow_up", u32s(follow_up)),
            ("first_ts", optional_i64s(first)),
            ("last_ts", optional_i64s(last)),
        ],
    )
}

/// The item table: of each account, its first-turn rows' `item`, then their `item_2`,
/// by (account, topic, item); the item values come out beside the rows, as two columns
/// feed them.
fn account_items(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut n = Vec::new();
    let mut values = Vec::new();
    for rows in batch.by_account.accounts() {
        groups.next_account();
        for (column, &row) in batch
            .items
            .iter()
            .flat_map(|column| rows.iter().map(move |row| (column, row)))
        {
            let row = row as usize;
            let Some(item) = column.at(row) else { continue };
            if batch.flag(MULTI_TURN, row) {
                continue;
            }
            let parts = [
                (batch.account(row), false),
                (u64::from(batch.text[1][row]), false),
                (item, false),
            ];
            let group = groups.of(key(parts), row);
            if group == values.len() {
                values.push(item);
            }
            add(&mut n, group, true);
        }
    }
    table(
        "account_items",
        vec![
            ("row", groups.rows()),
            ("item", {
                values.shrink_to_fit();
                Arc::new(UInt64Array::from(values)) as ArrayRef
            }),
            ("n", u32s(n)),
        ],
    )
}

/// Every table of the batch (see the module's notes), built side by side.
pub fn reduce(columns: &[Vec<ArrayData>]) -> Result<Vec<Table>, ReduceError> {
    let batch = Batch::read(columns)?;
    let rows = batch.rows;
    let batch = &batch;
    let text = |column: usize, row: usize| {
        let code = batch.text[column][row];
        (u64::from(code), code == NULL_CODE)
    };
    let account = |row: usize| (batch.account(row), false);
    type Build<'a> = Box<dyn Fn() -> Result<Table, ReduceError> + Send + Sync + 'a>;
    let mut builds: Vec<Build<'_>> = vec![
        Box::new(move || Ok(accounts(batch))),
        Box::new(move || Ok(account_frames(batch))),
        Box::new(move || Ok(account_items(batch))),
        Box::new(move || {
            let skeleton = INPUTS[SKELETON];
            counted_with_text("frames", rows, &batch.skeleton, skeleton, |row| {
                Some(batch.frame_fp.at(row))
            })
        }),
        Box::new(move || {
            let system_text = INPUTS[SYSTEM_TEXT];
            counted_with_text("systems", rows, &batch.system_text, system_text, |row| {
                batch.system_fp.at(row).map(Some)
            })
        }),
        Box::new(move || {
            Ok(counted("account_topics", batch, |row| {
                Some(key([account(row), text(1, row), NONE]))
            }))
        }),
        Box::new(move || {
            Ok(counted("account_buckets", batch, |row| {
                Some(key([
                    account(row),
                    signed(batch.bucket.at(row)),
                    text(2, row),
                ]))
            }))
        }),
        Box::new(move || {
            Ok(counted("account_params", batch, |row| {
                Some(key([
                    account(row),
                    float(batch.temperature.at(row)),
                    signed(batch.max_tokens.at(row)),
                ]))
            }))
        }),
    ];
    for (kind, column) in VALUE_KINDS {
        builds.push(Box::new(move || {
            Ok(counted(&format!("values:{kind}"), batch, |row| {
                let code = batch.text[column][row];
                (code != NULL_CODE).then(|| key([account(row), (u64::from(code), false), NONE]))
            }))
        }));
    }
    builds.par_iter().map(|build| build()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Float64Array, StringArray};

    fn batch(
        accounts: &[Option<&str>],
        temperature: &[Option<f64>],
        items: &[Option<u64>],
    ) -> Vec<Vec<ArrayData>> {
        let rows = accounts.len();
        let text = |values: Vec<Option<&str>>| vec![StringArray::from(values).into_data()];
        let mut columns = vec![text(accounts.to_vec())];
        for _ in 1..TEXT_KEYS {
            columns.push(text(vec![Some("x"); rows]));
        }
        let u64s = |values: Vec<Option<u64>>| vec![UInt64Array::from(values).into_data()];
        columns.push(u64s(vec![Some(7); rows]));
        columns.push(u64s(vec![None; rows]));
        columns.push(u64s(items.to_vec()));
        columns.push(u64s(vec![None; rows]));
        for index in 13..19 {
            let values: Vec<Option<i64>> = (0..rows)
                .map(|row| match index {
                    14 => None,
                    18 => Some(0),
                    _ => Some(row as i64),
                })
                .collect();
            columns.push(vec![Int64Array::from(values).into_data()]);
        }
        columns.push(vec![Float64Array::from(temperature.to_vec()).into_data()]);
        for index in 20..INPUTS.len() {
            let multi_turn = index == 20;
            columns.push(vec![BooleanArray::from(vec![!multi_turn; rows]).into_data()]);
        }
        columns
    }

    fn named<'a>(tables: &'a [Table], name: &str) -> &'a Table {
        tables
            .iter()
            .find(|table| table.name == name)
            .expect("table")
    }

    fn u32_column(table: &Table, column: &str) -> Vec<u32> {
        let (_, array) = table
            .columns
            .iter()
            .find(|(name, _)| *name == column)
            .expect("column");
        array
            .as_any()
            .downcast_ref::<UInt32Array>()
            .expect("u32")
            .values()
            .to_vec()
    }

    #[test]
    fn groups_come_in_order_of_first_appearance_with_nulls_a_group_of_their_own() {
        let tables = reduce(&batch(
            &[Some("b"), Some("a"), None, Some("b"), None],
            &[None; 5],
            &[None; 5],
        ))
        .unwrap();
        let accounts = named(&tables, "accounts");
        assert_eq!(u32_column(accounts, "row"), vec![0, 1, 2]);
        assert_eq!(u32_column(accounts, "n"), vec![2, 1, 2]);
    }

    #[test]
    fn floats_group_as_polars_does() {
        let temperature = [
            Some(0.0),
            Some(-0.0),
            Some(f64::NAN),
            Some(-f64::NAN),
            None,
            Some(1.0),
        ];
        let tables = reduce(&batch(&[Some("a"); 6], &temperature, &[None; 6])).unwrap();
        let params = named(&tables, "account_params");
        assert_eq!(u32_column(params, "row"), vec![0, 2, 4, 5]);
        assert_eq!(u32_column(params, "n"), vec![2, 2, 1, 1]);
    }

    #[test]
    fn items_skip_nulls_and_repeat_by_value() {
        let tables = reduce(&batch(
            &[Some("a"); 4],
            &[None; 4],
            &[Some(3), None, Some(3), Some(4)],
        ))
        .unwrap();
        let items = named(&tables, "account_items");
        assert_eq!(u32_column(items, "row"), vec![0, 3]);
        assert_eq!(u32_column(items, "n"), vec![2, 1]);
    }

    #[test]
    fn columns_in_several_chunks_read_as_one() {
        let whole = batch(
            &[Some("a"), Some("b"), Some("a")],
            &[Some(0.5), None, Some(0.5)],
            &[Some(1), Some(2), Some(1)],
        );
        let mut split = whole.clone();
        for column in [11, 13, 19, 20] {
            let data = &whole[column][0];
            split[column] = vec![data.slice(0, 1), data.slice(1, 2)];
        }
        let tables = |columns: &[Vec<ArrayData>]| {
            reduce(columns)
                .unwrap()
                .iter()
                .map(|table| {
                    (
                        table.name.clone(),
                        u32_column(table, "row"),
                        u32_column(table, "n"),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(tables(&split), tables(&whole));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut columns = batch(&[Some("a")], &[None], &[None]);
        columns[9] = vec![Int64Array::from(vec![1]).into_data()];
        assert_eq!(
            reduce(&columns).err(),
            Some(ReduceError::WrongType("frame_fp", "UInt64"))
        );
        let mut short = batch(&[Some("a"), Some("b")], &[None, None], &[None, None]);
        short[13] = vec![Int64Array::from(vec![1]).into_data()];
        assert_eq!(
            reduce(&short).err(),
            Some(ReduceError::Length("timestamp", 1, 2))
        );
        assert_eq!(reduce(&columns[..3]).err(), Some(ReduceError::Columns(3)));
    }
}
