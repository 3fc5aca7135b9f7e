//! `--hierarchy`: protocol hierarchy statistics like `tshark -z io,phs` — frames and bytes
//! per protocol layer, children in order of first appearance.

use std::io::{self, Write};

#[derive(Debug, Clone, Default, serde::Serialize)]
struct Node {
    name: String,
    frames: u64,
    bytes: u64,
    children: Vec<Node>,
}

/// The hierarchy being counted.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    roots: Vec<Node>,
}

impl Hierarchy {
    /// Count one frame of `len` bytes whose protocols, outermost first, are `chain`.
    pub fn add<'a>(&mut self, chain: impl IntoIterator<Item = &'a str>, len: u64) {
        let mut level = &mut self.roots;
        for name in chain {
            let i = match level.iter().position(|n| n.name == name) {
                Some(i) => i,
                None => {
                    level.push(Node {
                        name: name.to_string(),
                        ..Node::default()
                    });
                    level.len() - 1
                }
            };
            let node = &mut level[i];
            node.frames += 1;
            node.bytes += len;
            level = &mut node.children;
        }
    }

    /// The `--json` record: `{"type":"hierarchy","filter":…,"protocols":[{name, frames,
    /// bytes, children}]}`.
    pub fn json(&self, filter: &str) -> serde_json::Value {
        serde_json::json!({
            "type": "hierarchy",
            "filter": super::escape::escape_str(filter),
            "protocols": self.roots,
        })
    }

    pub fn write<W: Write>(&self, w: &mut W, filter: &str) -> io::Result<()> {
        writeln!(
            w,
            "\n==================================================================="
        )?;
        writeln!(w, "Protocol Hierarchy Statistics")?;
        writeln!(w, "Filter: {filter}\n")?;
        fn walk<W: Write>(w: &mut W, nodes: &[Node], depth: usize) -> io::Result<()> {
            for n in nodes {
                let label = format!("{}{}", "  ".repeat(depth), n.name);
                writeln!(w, "{label:<40} frames:{} bytes:{}", n.frames, n.bytes)?;
                walk(w, &n.children, depth + 1)?;
            }
            Ok(())
        }
        walk(w, &self.roots, 0)?;
        writeln!(
            w,
            "==================================================================="
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nest_in_first_seen_order() {
        let mut h = Hierarchy::default();
        h.add(["eth", "ip", "tcp"], 66);
        h.add(["eth", "ip", "tcp", "http"], 200);
        h.add(["eth", "ipv6", "udp"], 100);
        let mut out = Vec::new();
        h.write(&mut out, "").expect("write");
        let s = String::from_utf8(out).expect("utf8");
        assert!(
            s.contains("eth                                      frames:3 bytes:366"),
            "{s}"
        );
        assert!(
            s.contains("    tcp                                  frames:2 bytes:266"),
            "{s}"
        );
        assert!(
            s.contains("      http                               frames:1 bytes:200"),
            "{s}"
        );
        assert!(s.find("  ip ").unwrap_or(0) < s.find("  ipv6").unwrap_or(0));
    }
}
