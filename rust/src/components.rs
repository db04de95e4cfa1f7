//! Connected components of an edge list over dense node codes, by union-find: memory
//! grows with the nodes, not the edges, and each component's root is its smallest code,
//! so the result does not depend on edge order.

use arrow_array::{Array, UInt32Array};
use arrow_data::ArrayData;
use arrow_schema::DataType;

/// Why an edge list could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum EdgeError {
    NotUInt32(&'static str),
    HasNulls(&'static str),
    LengthsDiffer(usize, usize),
    OutOfRange(u32, usize),
    TooManyNodes(usize),
}

impl std::fmt::Display for EdgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EdgeError::NotUInt32(side) => write!(f, "column {side:?} is not UInt32"),
            EdgeError::HasNulls(side) => write!(f, "column {side:?} holds nulls"),
            EdgeError::LengthsDiffer(a, b) => {
                write!(f, "columns \"a\" and \"b\" differ in length: {a} and {b}")
            }
            EdgeError::OutOfRange(code, nodes) => {
                write!(f, "node code {code} is not below the node count {nodes}")
            }
            EdgeError::TooManyNodes(nodes) => {
                write!(f, "{nodes} nodes do not fit 32-bit codes")
            }
        }
    }
}

/// The values of a UInt32 column without nulls, chunk by chunk.
fn codes(chunks: &[ArrayData], side: &'static str) -> Result<Vec<UInt32Array>, EdgeError> {
    chunks
        .iter()
        .map(|chunk| {
            if chunk.data_type() != &DataType::UInt32 {
                return Err(EdgeError::NotUInt32(side));
            }
            let array = UInt32Array::from(chunk.clone());
            if array.null_count() > 0 {
                return Err(EdgeError::HasNulls(side));
            }
            Ok(array)
        })
        .collect()
}

/// The root (smallest code of its component) of every node code below `nodes`, given
/// the edges as two UInt32 columns of codes below `nodes`.
pub fn component_roots(
    a: &[ArrayData],
    b: &[ArrayData],
    nodes: usize,
) -> Result<Vec<u32>, EdgeError> {
    let count = u32::try_from(nodes).map_err(|_| EdgeError::TooManyNodes(nodes))?;
    let (a, b) = (codes(a, "a")?, codes(b, "b")?);
    let length = |arrays: &[UInt32Array]| arrays.iter().map(Array::len).sum::<usize>();
    if length(&a) != length(&b) {
        return Err(EdgeError::LengthsDiffer(length(&a), length(&b)));
    }
    let mut components = UnionFind::new(count);
    let ends = a
        .iter()
        .flat_map(|array| array.values().iter().copied())
        .zip(b.iter().flat_map(|array| array.values().iter().copied()));
    for (x, y) in ends {
        for code in [x, y] {
            if code as usize >= nodes {
                return Err(EdgeError::OutOfRange(code, nodes));
            }
        }
        components.join_if(x, y, || true);
    }
    Ok(components.roots())
}

/// Union-find over codes below its size, whose every root is its component's smallest
/// code (the larger root hangs under the smaller), so the components and their roots do
/// not depend on the order of the joins.
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `count` codes, each alone.
    pub(crate) fn new(count: u32) -> Self {
        UnionFind {
            parent: (0..count).collect(),
        }
    }

    /// The root of `node`, halving the path on the way (every parent is no larger than
    /// its node, so the walk ends).
    fn find(&mut self, mut node: u32) -> u32 {
        while self.parent[node as usize] != node {
            let grand = self.parent[self.parent[node as usize] as usize];
            self.parent[node as usize] = grand;
            node = grand;
        }
        node
    }

    /// Joins the components of `x` and `y` if they are apart and `verify` holds (it is
    /// not called for two codes already joined).
    pub(crate) fn join_if(&mut self, x: u32, y: u32, verify: impl FnOnce() -> bool) {
        let (root_x, root_y) = (self.find(x), self.find(y));
        if root_x == root_y || !verify() {
            return;
        }
        let (low, high) = if root_x < root_y {
            (root_x, root_y)
        } else {
            (root_y, root_x)
        };
        self.parent[high as usize] = low;
    }

    /// Every code's root, code after code.
    pub(crate) fn roots(mut self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .map(|node| self.find(node))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[u32]) -> Vec<ArrayData> {
        vec![UInt32Array::from(values.to_vec()).into_data()]
    }

    #[test]
    fn roots_are_the_smallest_code_whatever_the_edge_order() {
        let roots = component_roots(&column(&[3, 1, 2, 5]), &column(&[2, 0, 1, 4]), 6);
        assert_eq!(roots, Ok(vec![0, 0, 0, 0, 4, 4]));
        let reversed = component_roots(&column(&[5, 2, 1, 3]), &column(&[4, 1, 0, 2]), 6);
        assert_eq!(reversed, Ok(vec![0, 0, 0, 0, 4, 4]));
    }

    #[test]
    fn bad_edges_are_errors_not_panics() {
        assert_eq!(
            component_roots(&column(&[0, 7]), &column(&[1, 2]), 3),
            Err(EdgeError::OutOfRange(7, 3))
        );
        assert_eq!(
            component_roots(&column(&[0]), &column(&[1, 2]), 3),
            Err(EdgeError::LengthsDiffer(1, 2))
        );
        let signed = vec![arrow_array::Int32Array::from(vec![0]).into_data()];
        assert_eq!(
            component_roots(&signed, &column(&[1]), 3),
            Err(EdgeError::NotUInt32("a"))
        );
        let with_null = vec![UInt32Array::from(vec![Some(0), None]).into_data()];
        assert_eq!(
            component_roots(&column(&[0, 1]), &with_null, 3),
            Err(EdgeError::HasNulls("b"))
        );
    }

    #[test]
    fn a_long_chain_settles() {
        let a: Vec<u32> = (1..100_000).collect();
        let b: Vec<u32> = (0..99_999).collect();
        let roots = component_roots(&column(&a), &column(&b), 100_000).unwrap_or_default();
        assert!(roots.len() == 100_000 && roots.iter().all(|&root| root == 0));
    }
}
