//! The layered, Wireshark-style tree that `-V` prints.

use std::ops::Range;

/// One line of the `-V` tree, with the lines indented beneath it.
///
/// `text` is already escaped (safe for a terminal). `range` is the byte range in the frame
/// that the line describes, when the line describes bytes of the current frame (used to
/// highlight the same bytes in the hex dump); lines about reassembled data carry `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeNode {
    pub text: String,
    pub range: Option<Range<usize>>,
    pub children: Vec<TreeNode>,
}

impl TreeNode {
    pub fn new(text: impl Into<String>) -> Self {
        TreeNode {
            text: text.into(),
            range: None,
            children: Vec::new(),
        }
    }

    pub fn with_range(text: impl Into<String>, range: Range<usize>) -> Self {
        TreeNode {
            text: text.into(),
            range: Some(range),
            children: Vec::new(),
        }
    }

    /// Add a leaf line and return `self` for chaining.
    pub fn leaf(&mut self, text: impl Into<String>) -> &mut Self {
        self.children.push(TreeNode::new(text));
        self
    }

    /// Add a leaf that covers `range` of the frame.
    pub fn leaf_at(&mut self, text: impl Into<String>, range: Range<usize>) -> &mut Self {
        self.children.push(TreeNode::with_range(text, range));
        self
    }

    /// Add a child node and return a mutable reference to it.
    pub fn child(&mut self, node: TreeNode) -> &mut TreeNode {
        self.children.push(node);
        let last = self.children.len() - 1;
        &mut self.children[last]
    }

    /// Write the tree, four spaces of indent per level, one node per line.
    pub fn write_to<W: std::io::Write + ?Sized>(
        &self,
        w: &mut W,
        depth: usize,
    ) -> std::io::Result<()> {
        for _ in 0..depth {
            w.write_all(b"    ")?;
        }
        w.write_all(self.text.as_bytes())?;
        w.write_all(b"\n")?;
        for c in &self.children {
            c.write_to(w, depth + 1)?;
        }
        Ok(())
    }
}
