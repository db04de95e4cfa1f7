//! Text columns read straight from Arrow buffers, and the bounded slices of each value
//! that the annotator reads (the ends of a prompt, the head of a system prompt).
//!
//! Every layout is read as bytes through bounds-checked indexing: imported buffers are
//! not validated on import, so a producer's lie (an offset past its buffer, invalid UTF-8
//! in a string array) becomes an error or a replacement character, never a bad read.
//! Bytes are decoded lossily (each invalid sequence becomes U+FFFD, as
//! `String::from_utf8_lossy` does), and only the edge regions are decoded: a 20 MB
//! prompt costs what a 640-character one does.

use std::borrow::Cow;

use arrow_buffer::{Buffer, NullBuffer};
use arrow_data::ArrayData;
use arrow_schema::DataType;

/// One chunk of a text column: where its values' bytes are, by layout.
enum Layout {
    /// Utf8 / Binary (`width` 4) and LargeUtf8 / LargeBinary (`width` 8).
    Offsets {
        offsets: Buffer,
        values: Buffer,
        width: usize,
    },
    /// Utf8View / BinaryView: 16-byte views into inline bytes or data buffers.
    Views { views: Buffer, data: Vec<Buffer> },
    /// A column of the Null type: every value is null.
    AllNull,
}

struct Chunk {
    layout: Layout,
    offset: usize,
    len: usize,
    nulls: Option<NullBuffer>,
}

/// A text column made of one or more imported chunks, read row by row.
pub struct TextColumn {
    chunks: Vec<Chunk>,
    /// The first row of each chunk, ascending.
    starts: Vec<usize>,
    len: usize,
}

/// Why a column cannot be read as text.
#[derive(Debug)]
pub struct UnsupportedType(pub DataType);

impl TextColumn {
    /// A column over the given chunks, which must all hold text or bytes (or nulls).
    pub fn new(chunks: &[ArrayData]) -> Result<Self, UnsupportedType> {
        let mut column = TextColumn {
            chunks: Vec::new(),
            starts: Vec::new(),
            len: 0,
        };
        for data in chunks {
            let buffers = data.buffers();
            let layout = match data.data_type() {
                DataType::Utf8 | DataType::Binary | DataType::LargeUtf8 | DataType::LargeBinary => {
                    let width = match data.data_type() {
                        DataType::Utf8 | DataType::Binary => 4,
                        _ => 8,
                    };
                    match buffers {
                        [offsets, values] => Layout::Offsets {
                            offsets: offsets.clone(),
                            values: values.clone(),
                            width,
                        },
                        _ => return Err(UnsupportedType(data.data_type().clone())),
                    }
                }
                DataType::Utf8View | DataType::BinaryView => match buffers.split_first() {
                    Some((views, data)) => Layout::Views {
                        views: views.clone(),
                        data: data.to_vec(),
                    },
                    None => return Err(UnsupportedType(data.data_type().clone())),
                },
                DataType::Null => Layout::AllNull,
                other => return Err(UnsupportedType(other.clone())),
            };
            column.starts.push(column.len);
            column.len += data.len();
            column.chunks.push(Chunk {
                layout,
                offset: data.offset(),
                len: data.len(),
                nulls: data.nulls().cloned(),
            });
        }
        Ok(column)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The bytes of row `row`; None when the row is null. An offset or view that points
    /// outside its buffer reads as an error.
    pub fn bytes(&self, row: usize) -> Result<Option<&[u8]>, BadBuffer> {
        let index = self
            .starts
            .partition_point(|&start| start <= row)
            .checked_sub(1)
            .ok_or(BadBuffer)?;
        let chunk = self.chunks.get(index).ok_or(BadBuffer)?;
        let local = row - self.starts[index];
        if local >= chunk.len {
            return Err(BadBuffer);
        }
        if chunk
            .nulls
            .as_ref()
            .is_some_and(|nulls| nulls.is_null(local))
        {
            return Ok(None);
        }
        let position = chunk.offset + local;
        match &chunk.layout {
            Layout::AllNull => Ok(None),
            Layout::Offsets {
                offsets,
                values,
                width,
            } => {
                let start = read_offset(offsets, position, *width)?;
                let end = read_offset(offsets, position + 1, *width)?;
                values.as_slice().get(start..end).map(Some).ok_or(BadBuffer)
            }
            Layout::Views { views, data } => {
                let view = views
                    .as_slice()
                    .get(position * 16..position * 16 + 16)
                    .ok_or(BadBuffer)?;
                let length =
                    u32::from_le_bytes(view[0..4].try_into().map_err(|_| BadBuffer)?) as usize;
                if length <= 12 {
                    return Ok(Some(&view[4..4 + length]));
                }
                let buffer =
                    u32::from_le_bytes(view[8..12].try_into().map_err(|_| BadBuffer)?) as usize;
                let start =
                    u32::from_le_bytes(view[12..16].try_into().map_err(|_| BadBuffer)?) as usize;
                let bytes = data.get(buffer).ok_or(BadBuffer)?.as_slice();
                bytes.get(start..start + length).map(Some).ok_or(BadBuffer)
            }
        }
    }
}

/// An offset or view that points outside its buffer.
#[derive(Debug)]
pub struct BadBuffer;

fn read_offset(offsets: &Buffer, position: usize, width: usize) -> Result<usize, BadBuffer> {
    let bytes = offsets
        .as_slice()
        .get(position * width..(position + 1) * width)
        .ok_or(BadBuffer)?;
    let value = match width {
        4 => i64::from(i32::from_le_bytes(bytes.try_into().map_err(|_| BadBuffer)?)),
        _ => i64::from_le_bytes(bytes.try_into().map_err(|_| BadBuffer)?),
    };
    usize::try_from(value).map_err(|_| BadBuffer)
}

/// Characters of raw text normalised at each end of a prompt.
pub const EDGE_CHARS: usize = 320;
/// Characters of a system prompt that are normalised.
pub const SYSTEM_CHARS: usize = 2_000;
/// Bytes one decoded character takes at most (a valid 4-byte character; an invalid
/// sequence, replaced by one U+FFFD, takes 1 to 3).
const MAX_CHAR_BYTES: usize = 4;

/// The pieces of a prompt that are normalised: a prompt of at most 2 × EDGE_CHARS
/// characters is one piece (`head`, with an empty `tail`); a longer one gives its first
/// and last EDGE_CHARS characters.
pub struct Edges<'a> {
    pub short: bool,
    pub head: Cow<'a, str>,
    pub tail: Cow<'a, str>,
}

/// The edges of a prompt's bytes, decoded lossily; reads at most about 2.6 kB of it.
pub fn prompt_edges(bytes: &[u8]) -> Edges<'_> {
    let whole_limit = MAX_CHAR_BYTES * (2 * EDGE_CHARS + 1);
    if bytes.len() <= whole_limit {
        let text = decode(bytes);
        if bytes.len() <= 2 * EDGE_CHARS || text.chars().count() <= 2 * EDGE_CHARS {
            return Edges {
                short: true,
                head: text,
                tail: Cow::Borrowed(""),
            };
        }
        return Edges {
            short: false,
            head: first_chars(&text, EDGE_CHARS),
            tail: last_chars(&text, EDGE_CHARS),
        };
    }
    // Over whole_limit bytes the text has more than 2 × EDGE_CHARS characters whatever
    // its bytes are, since a character takes at most MAX_CHAR_BYTES.
    Edges {
        short: false,
        head: head_chars(bytes, EDGE_CHARS),
        tail: tail_chars(bytes, EDGE_CHARS),
    }
}

/// `bytes` decoded lossily, exactly as `String::from_utf8_lossy` does; valid text (nearly
/// all of it) is checked by `str::from_utf8`, whose ASCII fast path the lossy decoder's
/// chunk-by-chunk reading lacks (it cost 5% of a batch's annotation).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The first SYSTEM_CHARS characters of a system prompt's bytes, decoded lossily.
pub fn system_head(bytes: &[u8]) -> Cow<'_, str> {
    head_chars(bytes, SYSTEM_CHARS)
}

/// The first `count` characters of lossily decoded `bytes`, decoding only a prefix: a
/// prefix of MAX_CHAR_BYTES × (count + 1) bytes decodes to at least count + 1
/// characters, of which only the last can differ from the whole text's (a character cut
/// by the prefix's end).
fn head_chars(bytes: &[u8], count: usize) -> Cow<'_, str> {
    let limit = MAX_CHAR_BYTES * (count + 1);
    let region = &bytes[..bytes.len().min(limit)];
    match decode(region) {
        Cow::Borrowed(text) => Cow::Borrowed(first_str(text, count)),
        Cow::Owned(text) => Cow::Owned(first_str(&text, count).to_owned()),
    }
}

/// The last `count` characters of lossily decoded `bytes`, decoding only a suffix that
/// starts where the whole text's decoding starts a character anew (see `sync_point`).
fn tail_chars(bytes: &[u8], count: usize) -> Cow<'_, str> {
    let limit = MAX_CHAR_BYTES * (count + 1);
    let region = if bytes.len() <= limit + 3 {
        bytes
    } else {
        &bytes[sync_point(bytes, bytes.len() - limit)..]
    };
    match decode(region) {
        Cow::Borrowed(text) => Cow::Borrowed(last_str(text, count)),
        Cow::Owned(text) => Cow::Owned(last_str(&text, count).to_owned()),
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The first position at or after `cut` (at most cut + 3, which must be within `bytes`)
/// where lossy decoding of the whole of `bytes` starts a new character: a byte that is
/// no continuation byte, or one after three continuation bytes. Every decoded unit (a
/// character, or an invalid sequence replaced by one U+FFFD) is a non-continuation byte
/// followed by at most three continuation bytes, or a lone continuation byte; so no unit
/// spans such a position, and decoding from it gives exactly the whole text's tail.
fn sync_point(bytes: &[u8], cut: usize) -> usize {
    (cut..cut + 3)
        .find(|&position| !is_continuation(bytes[position]))
        .unwrap_or(cut + 3)
}

fn first_chars<'a>(text: &Cow<'a, str>, count: usize) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(first_str(text, count)),
        Cow::Owned(text) => Cow::Owned(first_str(text, count).to_owned()),
    }
}

fn last_chars<'a>(text: &Cow<'a, str>, count: usize) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(last_str(text, count)),
        Cow::Owned(text) => Cow::Owned(last_str(text, count).to_owned()),
    }
}

/// The first `count` characters of `text`. A character takes at least one byte, so
/// text of at most `count` bytes is whole (most system prompts: no characters to walk).
fn first_str(text: &str, count: usize) -> &str {
    if text.len() <= count {
        return text;
    }
    match text.char_indices().nth(count) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The last `count` characters of `text` (whole when it has at most `count` bytes).
fn last_str(text: &str, count: usize) -> &str {
    if text.len() <= count {
        return text;
    }
    if count == 0 {
        return "";
    }
    match text.char_indices().rev().nth(count - 1) {
        Some((start, _)) => &text[start..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference_edges(bytes: &[u8]) -> (bool, String, String) {
        let text = String::from_utf8_lossy(bytes);
        let chars: Vec<char> = text.chars().collect();
        if chars.len() <= 2 * EDGE_CHARS {
            return (true, text.into_owned(), String::new());
        }
        let head = chars[..EDGE_CHARS].iter().collect();
        let tail = chars[chars.len() - EDGE_CHARS..].iter().collect();
        (false, head, tail)
    }

    fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
        // Lengths around every threshold, bytes biased to UTF-8 lead and continuation
        // bytes so that cuts fall inside characters and invalid sequences.
        let byte = prop_oneof![
            3 => any::<u8>(),
            2 => 0x80u8..0xC0,
            2 => prop_oneof![Just(0xE2u8), Just(0xF0), Just(0xC3), Just(0xED), Just(0xF4)],
            3 => b'a'..=b'z',
        ];
        prop::collection::vec(byte, 0..6_000)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]
        #[test]
        fn edges_equal_slicing_the_whole_decoded_text(bytes in arbitrary_bytes()) {
            let edges = prompt_edges(&bytes);
            let (short, head, tail) = reference_edges(&bytes);
            prop_assert_eq!(edges.short, short);
            prop_assert_eq!(edges.head.as_ref(), head.as_str());
            prop_assert_eq!(edges.tail.as_ref(), tail.as_str());
        }

        #[test]
        fn system_head_equals_slicing_the_whole_decoded_text(bytes in prop::collection::vec(any::<u8>(), 0..10_000)) {
            let whole: String = String::from_utf8_lossy(&bytes).chars().take(SYSTEM_CHARS).collect();
            let head = system_head(&bytes);
            prop_assert_eq!(head.as_ref(), whole.as_str());
        }
    }

    #[test]
    fn a_huge_prompt_reads_only_its_ends() {
        let mut bytes = vec![b'x'; 20_000_000];
        bytes[0] = b'A';
        *bytes.last_mut().unwrap() = b'Z';
        let edges = prompt_edges(&bytes);
        assert!(!edges.short);
        assert!(edges.head.starts_with('A') && edges.head.chars().count() == EDGE_CHARS);
        assert!(edges.tail.ends_with('Z') && edges.tail.chars().count() == EDGE_CHARS);
    }
}
