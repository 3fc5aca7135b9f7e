//! `--hierarchy`: protocol hierarchy statistics like `tshark -z io,phs` — frames and bytes
//! per protocol layer, children in order of first appearance.

use std::io::{self, Write};

#[derive(Debug, Clone, Default, serde::Serialize)]
struct Node {
    name: String,
    frames: u64,
    bytes: u64,
    /// The frame the layer first appeared in: orders siblings when hierarchies counted by
    /// `-j` workers over different frames are merged.
    #[serde(skip)]
    first: u64,
    children: Vec<Node>,
}

/// The hierarchy being counted.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    roots: Vec<Node>,
}

impl Hierarchy {
    /// Count frame number `frame`, of `len` bytes, whose protocols, outermost first, are
    /// `chain`. Frames come in increasing numbers.
    pub fn add<'a>(&mut self, chain: impl IntoIterator<Item = &'a str>, len: u64, frame: u64) {
        let mut level = &mut self.roots;
        for name in chain {
            let i = match level.iter().position(|n| n.name == name) {
                Some(i) => i,
                None => {
                    level.push(Node {
                        name: name.to_string(),
                        first: frame,
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

    /// Add the counts of `other`, made over other frames of the same run (a `-j` worker's):
    /// the result is what one hierarchy counting every frame in order holds — counts
    /// summed, and siblings in order of first appearance (the frame each first came in).
    pub fn merge(&mut self, other: Hierarchy) {
        fn merge_level(level: &mut Vec<Node>, others: Vec<Node>) {
            for o in others {
                match level.iter_mut().find(|n| n.name == o.name) {
                    Some(n) => {
                        n.frames += o.frames;
                        n.bytes += o.bytes;
                        n.first = n.first.min(o.first);
                        merge_level(&mut n.children, o.children);
                    }
                    None => level.push(o),
                }
            }
            // Siblings first appeared in different frames (one frame adds one layer per
            // level), so this order is total.
            level.sort_by_key(|n| n.first);
        }
        merge_level(&mut self.roots, other.roots);
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
        h.add(["eth", "ip", "tcp"], 66, 1);
        h.add(["eth", "ip", "tcp", "http"], 200, 2);
        h.add(["eth", "ipv6", "udp"], 100, 3);
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

    fn text(h: &Hierarchy) -> String {
        let mut out = Vec::new();
        h.write(&mut out, "").expect("write");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn hierarchies_of_frames_split_between_workers_merge_into_the_whole() {
        let frames: [(&[&str], u64); 6] = [
            (&["eth", "ipv6", "udp", "dns"], 90),
            (&["eth", "ip", "tcp"], 66),
            (&["eth", "ip", "udp"], 80),
            (&["eth", "ip", "tcp", "http"], 300),
            (&["eth", "arp"], 42),
            (&["eth", "ip", "tcp", "tls"], 500),
        ];
        let mut whole = Hierarchy::default();
        let (mut odd, mut even) = (Hierarchy::default(), Hierarchy::default());
        for (i, (chain, len)) in frames.iter().enumerate() {
            let n = i as u64 + 1;
            whole.add(chain.iter().copied(), *len, n);
            let part = if n % 2 == 1 { &mut odd } else { &mut even };
            part.add(chain.iter().copied(), *len, n);
        }
        // Either order of merging gives the whole's text, with siblings as first seen.
        let mut a = even.clone();
        a.merge(odd.clone());
        let mut b = odd;
        b.merge(even);
        assert_eq!(text(&a), text(&whole));
        assert_eq!(text(&b), text(&whole));
        let s = text(&whole);
        assert!(
            s.find("  ipv6").unwrap_or(0) < s.find("  ip ").unwrap_or(0),
            "{s}"
        );
        assert!(
            s.find("  ip ").unwrap_or(0) < s.find("  arp").unwrap_or(0),
            "{s}"
        );
        assert!(s.contains("eth                                      frames:6 bytes:1078"));
    }
}
