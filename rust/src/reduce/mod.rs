//! One batch of annotated requests reduced to its partial aggregate tables in hash maps:
//! what one Polars group-by per table over the batch gives (`aggregate/partial.py` says what each
//! table holds). Key columns are not copied out: each table gives the first row of each
//! of its groups (`row`), and the caller gathers the key values from the batch, so only
//! numbers cross back. Accounts come in id order (their bytes) and each account's groups
//! in order of first appearance, so the output is the same on every run and thread
//! count, and the tables keyed by account are sorted by it: a range of accounts then
//! reads a slice of each spilled batch (`aggregate/ranges.py`).
//!
//! Keys compare as Polars' group-by compares them: nulls form their own group, text by
//! bytes, floats by value with every NaN alike and −0.0 equal to 0.0. Sums skip nulls
//! (0 when all are null) and wrap on overflow; minimums and maximums skip nulls (null
//! when all are).
//!
//! Memory: the batch's columns as read, a code per row for each text key column, and the
//! groups of each table (at most one per row).

mod groups;
mod input;

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, UInt32Array, UInt64Array};
use arrow_data::ArrayData;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::text::TextColumn;
use groups::{add, add_extreme, add_sum, float, key, part, signed, Groups, Key, NONE};
use input::{
    Batch, COT, DEPTH_KNOWN, FOLLOW_UP, IMAGES, MODEL, MULTI_TURN, SKELETON, SLOTTED, SYSTEM_TEXT,
    TOOL_RESULTS, TOPIC, VALUE_KINDS,
};
pub use input::{ReduceError, INPUTS, TEXT_KEYS};

/// One reduced table: column names and their arrays (the first is `row`).
pub struct Table {
    pub name: String,
    pub columns: Vec<(&'static str, ArrayRef)>,
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
    each_row(batch, &mut groups, |groups, row| {
        if let Some(key) = keys(row) {
            let group = groups.of(key, row);
            add(&mut n, group, true);
        }
    });
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
        let held = by_fp.get(&fp).copied();
        let known = match held {
            None => None,
            Some(group) if text.bytes(first[group as usize] as usize).map_err(bad)? == bytes => {
                Some(group)
            }
            Some(_) => by_text.get(&(fp, bytes)).copied(),
        };
        let group = match known {
            Some(group) => group as usize,
            None => {
                let group = first.len();
                if held.is_some() {
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

/// What the account and account × frame tables count per group: rows, rows with each
/// of `flags` set, and the first and last timestamp.
struct Tally<const F: usize> {
    flags: [usize; F],
    n: Vec<u32>,
    flagged: [Vec<u32>; F],
    first: Vec<Option<i64>>,
    last: Vec<Option<i64>>,
}

impl<const F: usize> Tally<F> {
    fn new(flags: [usize; F]) -> Self {
        Tally {
            flags,
            n: Vec::new(),
            flagged: std::array::from_fn(|_| Vec::new()),
            first: Vec::new(),
            last: Vec::new(),
        }
    }

    fn add(&mut self, batch: &Batch, group: usize, row: usize) {
        add(&mut self.n, group, true);
        for (counts, &which) in self.flagged.iter_mut().zip(&self.flags) {
            add(counts, group, batch.flag(which, row));
        }
        add_extreme(&mut self.first, group, batch.ts.at(row), i64::min);
        add_extreme(&mut self.last, group, batch.ts.at(row), i64::max);
    }

    /// The columns, named `n`, then `names` (one per flag), `first_ts` and `last_ts`.
    fn columns(self, names: [&'static str; F]) -> Vec<(&'static str, ArrayRef)> {
        let mut columns = vec![("n", u32s(self.n))];
        columns.extend(names.into_iter().zip(self.flagged.map(u32s)));
        columns.push(("first_ts", optional_i64s(self.first)));
        columns.push(("last_ts", optional_i64s(self.last)));
        columns
    }
}

fn accounts(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut tally = Tally::new([MULTI_TURN, DEPTH_KNOWN, COT, IMAGES, TOOL_RESULTS]);
    let (mut input, mut output, mut created) = (Vec::new(), Vec::new(), Vec::new());
    each_row(batch, &mut groups, |groups, row| {
        let group = groups.of(key([batch.account(row), NONE, NONE]), row);
        tally.add(batch, group, row);
        add_sum(&mut input, group, batch.input_tokens.at(row));
        add_sum(&mut output, group, batch.output_tokens.at(row));
        add_extreme(&mut created, group, batch.created.at(row), i64::min);
    });
    let mut columns = vec![("row", groups.rows())];
    columns.extend(tally.columns([
        "n_multi_turn",
        "n_depth_known",
        "n_cot",
        "n_with_images",
        "n_with_tool_results",
    ]));
    columns.push(("input_tokens", i64s(input)));
    columns.push(("output_tokens", i64s(output)));
    columns.push(("created_at", optional_i64s(created)));
    table("accounts", columns)
}

fn account_frames(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut tally = Tally::new([SLOTTED, COT, FOLLOW_UP]);
    each_row(batch, &mut groups, |groups, row| {
        let parts = [
            batch.account(row),
            part(batch.frame_fp.at(row)),
            part(batch.system_fp.at(row)),
        ];
        let group = groups.of(key(parts), row);
        tally.add(batch, group, row);
    });
    let mut columns = vec![("row", groups.rows())];
    columns.extend(tally.columns(["n_slotted", "n_cot", "n_follow_up"]));
    table("account_frames", columns)
}

/// The item table: of each account, its first-turn rows' `item`, then their `item_2`,
/// by (account, topic, item), with the time each was first sent (the order an account
/// walks its items in); the item values come out beside the rows, as two columns feed
/// them. First turns only: a later turn's text is the conversation's, not a task
/// item. Not cut to each account's smallest items: merging partial tables and
/// completing them cut them (`smallest_items`).
fn account_items(batch: &Batch) -> Table {
    let mut groups = Groups::new();
    let mut n = Vec::new();
    let mut first = Vec::new();
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
                batch.account(row),
                batch.text_key(TOPIC, row),
                (item, false),
            ];
            let group = groups.of(key(parts), row);
            if group == values.len() {
                values.push(item);
            }
            add(&mut n, group, true);
            add_extreme(&mut first, group, batch.ts.at(row), i64::min);
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
            ("first_ts", optional_i64s(first)),
        ],
    )
}

/// Every table of the batch (see the module's notes), built side by side.
pub fn reduce(columns: &[Vec<ArrayData>]) -> Result<Vec<Table>, ReduceError> {
    let batch = Batch::read(columns)?;
    let rows = batch.rows;
    let batch = &batch;
    let account = |row: usize| batch.account(row);
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
                Some(key([account(row), batch.text_key(TOPIC, row), NONE]))
            }))
        }),
        Box::new(move || {
            Ok(counted("account_buckets", batch, |row| {
                Some(key([
                    account(row),
                    signed(batch.bucket.at(row)),
                    batch.text_key(MODEL, row),
                ]))
            }))
        }),
        Box::new(move || {
            Ok(counted("account_closers", batch, |row| {
                let closer = batch.closer.at(row)?;
                Some(key([account(row), (closer, false), NONE]))
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
                let value = batch.text_key(column, row);
                (!value.1).then(|| key([account(row), value, NONE]))
            }))
        }));
    }
    builds.par_iter().map(|build| build()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::input::{FLAGS, TEMPERATURE, TEXT_KEYS, TIMESTAMP};
    use arrow_array::{Array, BooleanArray, Float64Array, StringArray};

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
        columns.push(u64s(items.to_vec()));
        for index in TIMESTAMP..TEMPERATURE {
            let values: Vec<Option<i64>> = (0..rows)
                .map(|row| match index - TIMESTAMP {
                    1 => None,
                    5 => Some(0),
                    _ => Some(row as i64),
                })
                .collect();
            columns.push(vec![Int64Array::from(values).into_data()]);
        }
        columns.push(vec![Float64Array::from(temperature.to_vec()).into_data()]);
        for index in FLAGS..INPUTS.len() {
            let multi_turn = index == FLAGS + MULTI_TURN;
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
    fn groups_come_in_account_order_with_nulls_a_group_of_their_own_last() {
        let tables = reduce(&batch(
            &[Some("b"), Some("a"), None, Some("b"), None],
            &[None; 5],
            &[None; 5],
        ))
        .unwrap();
        let accounts = named(&tables, "accounts");
        assert_eq!(u32_column(accounts, "row"), vec![1, 0, 2]);
        assert_eq!(u32_column(accounts, "n"), vec![1, 2, 2]);
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
        // The closer column is fed the same values: rows without a closer are left out.
        let closers = named(&tables, "account_closers");
        assert_eq!(u32_column(closers, "row"), vec![0, 3]);
        assert_eq!(u32_column(closers, "n"), vec![2, 1]);
    }

    #[test]
    fn inputs_are_read_where_they_are_named() {
        assert_eq!(INPUTS[TEXT_KEYS], "frame_fp");
        assert_eq!(INPUTS[TIMESTAMP - 1], "closer_fp");
        assert_eq!(INPUTS[TIMESTAMP], "timestamp");
        assert_eq!(INPUTS[TEMPERATURE], "temperature");
        assert_eq!(INPUTS[FLAGS + MULTI_TURN], "multi_turn");
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
        columns[TEXT_KEYS] = vec![Int64Array::from(vec![1]).into_data()];
        assert_eq!(
            reduce(&columns).err(),
            Some(ReduceError::WrongType("frame_fp", "UInt64"))
        );
        let mut short = batch(&[Some("a"), Some("b")], &[None, None], &[None, None]);
        short[TIMESTAMP] = vec![Int64Array::from(vec![1]).into_data()];
        assert_eq!(
            reduce(&short).err(),
            Some(ReduceError::Length("timestamp", 1, 2))
        );
        assert_eq!(reduce(&columns[..3]).err(), Some(ReduceError::Columns(3)));
    }
}
