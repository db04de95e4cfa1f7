//! Annotating a batch of requests: read the edges of every prompt and system prompt,
//! annotate each distinct piece and system prompt once, on all threads, and lay the
//! results out as Arrow columns.
//!
//! Templated traffic repeats its wrappers and system prompts, so the work follows the
//! distinct pieces of a batch, not its rows. Distinct pieces are found by their text
//! (a 64-bit hash picks the bucket, the text decides), so no two pieces are confused.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, StringViewArray, UInt64Array};
use arrow_buffer::{Buffer, NullBuffer, ScalarBuffer};
use rayon::prelude::*;

use crate::annotate::{annotate_piece, annotate_system, skeleton, Piece, System};
use crate::fingerprint;
use crate::intern::{intern, Interned};
use crate::items::request_anchors;
use crate::normalise::Scratch;
use crate::patterns::{GENERAL_TOPIC, TOPIC_PATTERNS};
use crate::text::{prompt_edges, system_head, BadBuffer, TextColumn};

/// The names and order of the columns `annotate` returns.
pub const COLUMNS: [&str; 10] = [
    "system_text",
    "system_fp",
    "skeleton",
    "has_slot",
    "is_cot",
    "topic",
    "frame_fp",
    "item",
    "item_2",
    "closer_fp",
];

/// What each row reads: its prompt's pieces and its system prompt's head.
struct RowText<'a> {
    short: bool,
    head: Cow<'a, str>,
    tail: Cow<'a, str>,
    system: Cow<'a, str>,
}

/// What a row's annotation takes from its pieces and system prompt.
struct RowNotes {
    topic: u8,
    has_slot: bool,
    is_cot: bool,
    item: Option<u64>,
    item_2: Option<u64>,
    closer: Option<u64>,
}

/// The annotation columns (see COLUMNS) of the rows of `prompts` and `systems`.
pub fn annotate(prompts: &TextColumn, systems: &TextColumn) -> Result<Vec<ArrayRef>, BadBuffer> {
    let rows = prompts.len();
    let texts: Vec<RowText<'_>> = (0..rows)
        .into_par_iter()
        .map(|row| {
            let edges = prompt_edges(prompts.bytes(row)?.unwrap_or_default());
            let system = system_head(systems.bytes(row)?.unwrap_or_default());
            Ok(RowText {
                short: edges.short,
                head: edges.head,
                tail: edges.tail,
                system,
            })
        })
        .collect::<Result<_, BadBuffer>>()?;

    // Pieces: each row's head, then each row's tail (items row and rows + row).
    let pieces: Interned<&str> = intern(
        &texts
            .iter()
            .map(|text| text.head.as_ref())
            .chain(texts.iter().map(|text| text.tail.as_ref()))
            .collect::<Vec<_>>(),
    );
    let system_heads: Interned<&str> = intern(
        &texts
            .iter()
            .map(|text| text.system.as_ref())
            .collect::<Vec<_>>(),
    );
    let piece_notes: Vec<Piece> = pieces
        .distinct
        .par_iter()
        .map_init(Scratch::default, |scratch, piece| {
            annotate_piece(piece, scratch)
        })
        .collect();
    let system_notes: Vec<System> = system_heads
        .distinct
        .par_iter()
        .map(|head| annotate_system(head))
        .collect();

    // A frame: (system, head piece, the piece whose last words end it).
    let frames: Vec<(u32, u32, u32)> = (0..rows)
        .map(|row| {
            let head = pieces.ids[row];
            let tail = if texts[row].short {
                head
            } else {
                pieces.ids[rows + row]
            };
            (system_heads.ids[row], head, tail)
        })
        .collect();
    let distinct_frames: Interned<(u32, u32, u32)> = intern(&frames);
    let frame_fps_distinct: Vec<u64> = distinct_frames
        .distinct
        .par_iter()
        .map_init(Vec::new, |scratch, &(system, head, tail)| {
            fingerprint::frame_fp(
                system_notes[system as usize].fp,
                piece_notes[head as usize].first(),
                piece_notes[tail as usize].last(),
                scratch,
            )
        })
        .collect();

    // What each row takes from its pieces, read in one pass over the rows: each read of
    // a piece's notes is a cache miss (a batch's notes are tens of MB), and four passes,
    // one per column, cost four of them.
    let row_notes: Vec<RowNotes> = (0..rows)
        .into_par_iter()
        .map(|row| {
            // A frame's head piece is the row's head; its last piece is the head again
            // when the prompt was read whole.
            let (system, _, last) = frames[row];
            let head = &piece_notes[pieces.ids[row] as usize];
            let tail = &piece_notes[pieces.ids[rows + row] as usize];
            let [item, item_2] = request_anchors(texts[row].short, &head.anchors, &tail.anchors);
            RowNotes {
                topic: system_notes[system as usize]
                    .topic
                    .min(head.topic)
                    .min(piece_notes[last as usize].topic),
                // A template frames varying content: the prompt runs past its frame, or
                // the frame itself holds masked values. A short message repeated
                // verbatim ("thanks, that fixed it") is a repeat, not a template.
                has_slot: !texts[row].short || head.wordy || head.masked || tail.masked,
                // Chain-of-thought asks are counted in the user's text only: an
                // instruction a product sets once in its system prompt is configuration,
                // not a per-request ask.
                is_cot: head.cot || tail.cot,
                // The task inside the wrappers, as one number (see `items`).
                item,
                item_2,
                // The sentence that closes the prompt, read off the piece that ends it.
                closer: piece_notes[last as usize].closer,
            }
        })
        .collect();
    let system_fps: Vec<Option<u64>> = system_heads
        .ids
        .par_iter()
        .map(|&id| system_notes[id as usize].fp)
        .collect();
    let frame_fps: Vec<u64> = distinct_frames
        .ids
        .par_iter()
        .map(|&id| frame_fps_distinct[id as usize])
        .collect();

    let topic_names: Vec<&str> = TOPIC_PATTERNS
        .iter()
        .map(|(name, _)| *name)
        .chain([GENERAL_TOPIC])
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(views(
            system_notes.len(),
            |index, out| out.push_str(&system_notes[index].text),
            &system_heads.ids,
        )),
        Arc::new(UInt64Array::from(system_fps)),
        Arc::new(views(
            distinct_frames.distinct.len(),
            |index, out| {
                let (system, head, tail) = distinct_frames.distinct[index];
                skeleton(
                    &system_notes[system as usize].skeleton,
                    piece_notes[head as usize].first(),
                    piece_notes[tail as usize].last(),
                    out,
                );
            },
            &distinct_frames.ids,
        )),
        Arc::new(BooleanArray::from(
            row_notes
                .iter()
                .map(|notes| notes.has_slot)
                .collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            row_notes
                .iter()
                .map(|notes| notes.is_cot)
                .collect::<Vec<_>>(),
        )),
        Arc::new(views(
            topic_names.len(),
            |index, out| out.push_str(topic_names[index]),
            &row_notes
                .iter()
                .map(|notes| u32::from(notes.topic))
                .collect::<Vec<_>>(),
        )),
        Arc::new(UInt64Array::new(
            ScalarBuffer::from(frame_fps),
            None::<NullBuffer>,
        )),
        Arc::new(UInt64Array::from_iter(
            row_notes.iter().map(|notes| notes.item),
        )),
        Arc::new(UInt64Array::from_iter(
            row_notes.iter().map(|notes| notes.item_2),
        )),
        Arc::new(UInt64Array::from_iter(
            row_notes.iter().map(|notes| notes.closer),
        )),
    ];
    Ok(columns)
}

/// Bytes per data buffer of a view array (views address a buffer with 32-bit offsets).
const BLOCK_BYTES: usize = 1 << 30;

/// A string view array whose row i is distinct string `ids[i]`, where `write(d, out)`
/// appends distinct string d to the (empty) `out`: each distinct string is stored once
/// and every row that repeats it points at the same bytes.
fn views(count: usize, mut write: impl FnMut(usize, &mut String), ids: &[u32]) -> StringViewArray {
    let mut blocks: Vec<Vec<u8>> = vec![Vec::new()];
    let mut text = String::new();
    let distinct_views: Vec<u128> = (0..count)
        .map(|index| {
            text.clear();
            write(index, &mut text);
            let bytes = text.as_bytes();
            if bytes.len() <= 12 {
                return arrow_array::builder::make_view(bytes, 0, 0);
            }
            if blocks
                .last()
                .is_some_and(|block| block.len() + bytes.len() > BLOCK_BYTES)
            {
                blocks.push(Vec::new());
            }
            let block_id = blocks.len() - 1;
            let block = &mut blocks[block_id];
            let offset = block.len();
            block.extend_from_slice(bytes);
            arrow_array::builder::make_view(bytes, block_id as u32, offset as u32)
        })
        .collect();
    let row_views: Vec<u128> = ids
        .par_iter()
        .map(|&id| distinct_views[id as usize])
        .collect();
    let buffers: Vec<Buffer> = blocks.into_iter().map(Buffer::from_vec).collect();
    // SAFETY: `new_unchecked` requires every view to describe valid UTF-8 inside its
    // buffer (or inline). Each distinct view above was made by `make_view` from the bytes
    // of a `String` (valid UTF-8): inline when at most 12 bytes, else after copying those
    // bytes whole to the end of block `block_id` at `offset`, so the view's block, offset
    // and length address exactly them; blocks are never changed afterwards, and are the
    // buffers here in order. Offsets and lengths fit in u32: a string is appended at an
    // offset of at most BLOCK_BYTES (2^30), as a block takes no string that would carry it
    // past that unless it is empty, and one string is far shorter than 2^32 bytes (a
    // skeleton, or a system prompt's head: both bounded, to a few kilobytes). Every row view is a copy of a distinct one
    // (`ids` index `distinct_views`, bounds-checked). There are no nulls. Checking would
    // re-validate the UTF-8 of every row's string (each distinct string many times over).
    unsafe { StringViewArray::new_unchecked(ScalarBuffer::from(row_views), buffers.into(), None) }
}
