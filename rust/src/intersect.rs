//! Intersecting accounts' sorted token lists: by a merge when they are alike in length,
//! by galloping when one is far longer, and, when one account is compared with many
//! others, by testing theirs against its tokens held as bits (`TokenSet`).

/// Calls `shared` with each value in both sorted, distinct lists, in order: a merge when
/// they are alike in length, else each of the shorter list looked up in the longer by
/// galloping.
pub(crate) fn intersect(x: &[u32], y: &[u32], mut shared: impl FnMut(u32)) {
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
    // Both cursors step by comparisons rather than a three-way branch, which on lists
    // of like length mispredicts about every other step.
    let (mut i, mut j) = (0, 0);
    while i < small.len() && j < large.len() {
        let (a, b) = (small[i], large[j]);
        if a == b {
            shared(a);
        }
        i += usize::from(a <= b);
        j += usize::from(b <= a);
    }
}

/// One account's tokens as bits over the token numbers, for comparing it with each of
/// its partners in turn: testing a partner's list against it reads that list once, where
/// a merge reads both. Memory: one bit per token number (2 MB per thread for the 17M
/// item numbers of the 30M-request log). Token numbers beyond it are never held.
pub(crate) struct TokenSet {
    bits: Vec<u64>,
    held: Vec<u32>,
}

impl TokenSet {
    /// An empty set of token numbers below `tokens`.
    pub(crate) fn new(tokens: usize) -> Self {
        TokenSet {
            bits: vec![0; tokens.div_ceil(64)],
            held: Vec::new(),
        }
    }

    /// Holds `list` (sorted, distinct) in place of what it held.
    pub(crate) fn hold(&mut self, list: &[u32]) {
        for &token in &self.held {
            if let Some(word) = self.bits.get_mut(token as usize / 64) {
                *word = 0;
            }
        }
        self.held.clear();
        self.held.extend_from_slice(list);
        for &token in list {
            if let Some(word) = self.bits.get_mut(token as usize / 64) {
                *word |= 1 << (token % 64);
            }
        }
    }

    fn contains(&self, token: u32) -> bool {
        self.bits
            .get(token as usize / 64)
            .is_some_and(|word| word & (1 << (token % 64)) != 0)
    }

    /// `intersect` of the held list with `other`: `other` tested against the bits unless
    /// it is far longer than the held list, when galloping through it reads less.
    pub(crate) fn intersect(&self, other: &[u32], mut shared: impl FnMut(u32)) {
        if other.len() > 8 * self.held.len() {
            return intersect(&self.held, other, shared);
        }
        for &token in other {
            if self.contains(token) {
                shared(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn expected(x: &[u32], y: &[u32]) -> Vec<u32> {
        x.iter()
            .copied()
            .filter(|value| y.binary_search(value).is_ok())
            .collect()
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
            assert_eq!(found, expected(&small, &large));
            let mut swapped = Vec::new();
            intersect(&large, &small, |value| swapped.push(value));
            assert_eq!(swapped, expected(&small, &large));
        }
    }

    fn sorted_set() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::btree_set(0u32..300, 0..120).prop_map(|set| set.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_held_set_intersects_as_the_lists_do(first in sorted_set(), others in proptest::collection::vec(sorted_set(), 1..4)) {
            // One set reused for several accounts, as a thread reuses it.
            let mut set = TokenSet::new(300);
            for list in [&first].into_iter().chain(&others) {
                set.hold(list);
                for other in &others {
                    let mut found = Vec::new();
                    set.intersect(other, |value| found.push(value));
                    prop_assert_eq!(found, expected(other, list));
                }
            }
        }
    }

    #[test]
    fn tokens_beyond_the_set_are_never_held() {
        let mut set = TokenSet::new(10);
        set.hold(&[3, 500]);
        let mut found = Vec::new();
        set.intersect(&[3, 4, 500], |value| found.push(value));
        assert_eq!(found, vec![3]);
    }
}
