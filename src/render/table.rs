//! The one table style of every end-of-run table (report, `compare`, `--conversations`):
//! cells wrap at spaces only (a word or a cipher name is never cut), the table is laid out
//! for a given width, and the borders are Unicode box drawing or plain ASCII when the
//! locale is not UTF-8.

use unicode_width::UnicodeWidthStr;

/// Border glyphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Borders {
    Unicode,
    Ascii,
}

struct Glyphs {
    /// Outer vertical, inner vertical, horizontal, header horizontal.
    v: &'static str,
    inner: &'static str,
    h: &'static str,
    hh: &'static str,
    /// Corners and joints: top (left, mid, right), header rule, bottom.
    top: [&'static str; 3],
    head: [&'static str; 3],
    bottom: [&'static str; 3],
}

impl Borders {
    /// Unicode when the locale (`LC_ALL`, then `LC_CTYPE`, then `LANG`) says UTF-8.
    pub fn from_locale() -> Borders {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_CTYPE"))
            .or_else(|| var("LANG"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if locale.contains("utf-8") || locale.contains("utf8") {
            Borders::Unicode
        } else {
            Borders::Ascii
        }
    }

    fn glyphs(self) -> Glyphs {
        match self {
            Borders::Unicode => Glyphs {
                v: "│",
                inner: "┆",
                h: "─",
                hh: "═",
                top: ["┌", "┬", "┐"],
                head: ["╞", "╪", "╡"],
                bottom: ["└", "┴", "┘"],
            },
            Borders::Ascii => Glyphs {
                v: "|",
                inner: "|",
                h: "-",
                hh: "=",
                top: ["+", "+", "+"],
                head: ["+", "+", "+"],
                bottom: ["+", "+", "+"],
            },
        }
    }
}

/// The width to lay tables out for: `$COLUMNS`, else the terminal's width, else 100.
pub fn output_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return n;
    }
    comfy_table::Table::new()
        .width()
        .map(usize::from)
        .filter(|n| *n >= 20)
        .unwrap_or(100)
}

/// Display width of a string (East Asian wide characters count two).
pub fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// A table of text cells; a cell may hold several lines (`\n`).
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    right: Vec<usize>,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    pub fn header(&mut self, cells: Vec<String>) -> &mut Table {
        self.header = Some(cells);
        self
    }

    pub fn row(&mut self, cells: Vec<String>) -> &mut Table {
        self.rows.push(cells);
        self
    }

    /// Right-align these columns (numbers).
    pub fn align_right(&mut self, columns: &[usize]) -> &mut Table {
        self.right = columns.to_vec();
        self
    }

    fn columns(&self) -> usize {
        self.header
            .iter()
            .chain(self.rows.iter())
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }

    fn all_rows(&self) -> impl Iterator<Item = &Vec<String>> {
        self.header.iter().chain(self.rows.iter())
    }

    /// Per column: (longest word, longest line).
    fn measures(&self) -> Vec<(usize, usize)> {
        let mut m = vec![(1usize, 1usize); self.columns()];
        for r in self.all_rows() {
            for (i, c) in r.iter().enumerate() {
                if let Some(x) = m.get_mut(i) {
                    for line in c.lines() {
                        x.1 = x.1.max(text_width(line));
                        for w in line.split(' ') {
                            x.0 = x.0.max(text_width(w));
                        }
                    }
                }
            }
        }
        m
    }

    /// Width of the table with these column widths (borders and one space of padding).
    fn total(widths: &[usize]) -> usize {
        widths.iter().map(|w| w + 3).sum::<usize>() + 1
    }

    /// One two-column table per row (header name, value), for a terminal too narrow for
    /// the whole table; the first cell of each row titles its block.
    pub fn row_blocks(&self) -> Vec<(String, Table)> {
        let names = self.header.clone().unwrap_or_default();
        self.rows
            .iter()
            .map(|r| {
                let mut t = Table::new();
                for (i, v) in r.iter().enumerate().skip(1) {
                    t.row(vec![names.get(i).cloned().unwrap_or_default(), v.clone()]);
                }
                let title = format!(
                    "{} {}",
                    names.first().map_or("", String::as_str),
                    r.first().map_or("", String::as_str)
                );
                (title, t)
            })
            .collect()
    }

    /// The narrowest the table can be without cutting a word.
    pub fn min_width(&self) -> usize {
        Table::total(&self.measures().iter().map(|m| m.0).collect::<Vec<_>>())
    }

    /// Column widths for `width`: columns narrower than a fair share of the room keep
    /// their natural width; the others share what is left (never below their longest word).
    fn widths(&self, width: usize) -> Vec<usize> {
        let m = self.measures();
        let n = m.len();
        let room = width.saturating_sub(3 * n + 1);
        let mut w: Vec<Option<usize>> = vec![None; n];
        loop {
            let fixed: usize = w.iter().flatten().sum();
            let open: Vec<usize> = (0..n).filter(|&i| w[i].is_none()).collect();
            if open.is_empty() {
                break;
            }
            let share = room.saturating_sub(fixed) / open.len();
            let fits: Vec<usize> = open
                .iter()
                .copied()
                .filter(|&i| m[i].1 <= share || m[i].0 >= share)
                .collect();
            if fits.is_empty() {
                for i in open {
                    w[i] = Some(share);
                }
                break;
            }
            for i in fits {
                // Fits whole, or its longest word is wider than the share anyway.
                w[i] = Some(if m[i].1 <= share { m[i].1 } else { m[i].0 });
            }
        }
        let mut w: Vec<usize> = w.into_iter().map(|x| x.unwrap_or(1)).collect();
        // A word wider than the whole room (a long token): shrink the widest column, whose
        // longest words are then broken (the only case where a word is cut).
        while w.iter().sum::<usize>() > room {
            let Some(i) = (0..n).max_by_key(|&i| w[i]) else {
                break;
            };
            if w[i] <= 10 {
                break;
            }
            w[i] -= 1;
        }
        // Hand out what rounding left to the columns that still wrap.
        let mut left = room.saturating_sub(w.iter().sum());
        for i in 0..n {
            let want = m[i].1.saturating_sub(w[i]).min(left);
            w[i] += want;
            left -= want;
        }
        w
    }

    /// Lay the table out for `width` columns: words are kept whole when [`Table::min_width`]
    /// fits, else the widest column's longest words are cut.
    pub fn render(&self, width: usize, borders: Borders) -> String {
        if borders == Borders::Ascii {
            let map = |r: &Vec<String>| r.iter().map(|c| ascii_symbols(c)).collect::<Vec<_>>();
            let t = Table {
                header: self.header.as_ref().map(map),
                rows: self.rows.iter().map(map).collect(),
                right: self.right.clone(),
            };
            return t.render_laid_out(width, borders);
        }
        self.render_laid_out(width, borders)
    }

    fn render_laid_out(&self, width: usize, borders: Borders) -> String {
        let g = borders.glyphs();
        let widths = self.widths(width);
        let mut out = String::new();
        let rule = |out: &mut String, ends: [&str; 3], h: &str| {
            out.push_str(ends[0]);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    out.push_str(ends[1]);
                }
                out.push_str(&h.repeat(w + 2));
            }
            out.push_str(ends[2]);
            out.push('\n');
        };
        rule(&mut out, g.top, g.h);
        if let Some(h) = &self.header {
            self.write_row(&mut out, h, &widths, &g);
            rule(&mut out, g.head, g.hh);
        }
        for r in &self.rows {
            self.write_row(&mut out, r, &widths, &g);
        }
        rule(&mut out, g.bottom, g.h);
        out
    }

    fn write_row(&self, out: &mut String, cells: &[String], widths: &[usize], g: &Glyphs) {
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| wrap(cells.get(i).map(String::as_str).unwrap_or(""), *w))
            .collect();

        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for line in 0..height {
            out.push_str(g.v);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    out.push_str(g.inner);
                }
                let text = wrapped
                    .get(i)
                    .and_then(|c| c.get(line))
                    .map(String::as_str)
                    .unwrap_or("");
                let pad = w.saturating_sub(text_width(text));
                out.push(' ');
                if self.right.contains(&i) {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(text);
                } else {
                    out.push_str(text);
                    out.push_str(&" ".repeat(pad));
                }
                out.push(' ');
            }
            out.push_str(g.v);
            out.push('\n');
        }
    }
}

/// The typographic symbols of the report's own text in ASCII (`→` as `->`), for a locale
/// that is not UTF-8. (Escaped wire text is left as it is.)
fn ascii_symbols(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '→' => o.push_str("->"),
            '↔' => o.push_str("<->"),
            '×' => o.push('x'),
            '…' => o.push_str("..."),
            '—' | '–' => o.push('-'),
            c => o.push(c),
        }
    }
    o
}

/// A word wider than `width` in pieces that fit (only when it is wider than the table
/// can be: see [`Table::widths`]).
fn split_long(word: &str, width: usize) -> Vec<String> {
    if text_width(word) <= width || width == 0 {
        return vec![word.to_string()];
    }
    let mut out = vec![String::new()];
    for c in word.chars() {
        let last = out.last_mut().map_or(0, |l| text_width(l));
        if last + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > width {
            out.push(String::new());
        }
        if let Some(l) = out.last_mut() {
            l.push(c);
        }
    }
    out
}

/// Wrap `text` to `width` at spaces; a word is only cut when it is wider than `width`.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').flat_map(|w| split_long(w, width)) {
            if line.is_empty() {
                line.push_str(&word);
            } else if text_width(&line) + 1 + text_width(&word) <= width {
                line.push(' ');
                line.push_str(&word);
            } else {
                out.push(std::mem::take(&mut line));
                line.push_str(&word);
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new();
        t.header(vec![String::new(), "a.pcap".into(), "b.pcap".into()]);
        t.row(vec![
            "TLS version, cipher".into(),
            "no TLS".into(),
            "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into(),
        ]);
        t
    }

    #[test]
    fn never_cuts_a_word_and_fits_when_it_can() {
        let t = sample();
        let min = t.min_width();
        for width in [40, min, 80, 200] {
            let s = t.render(width, Borders::Unicode);
            // Whole when the table can be that wide; cut only below that.
            assert_eq!(
                s.contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                width >= min,
                "{s}"
            );
            let widest = s.lines().map(text_width).max().unwrap_or(0);
            assert!(widest <= width, "{width}: {s}");
            let lines: Vec<&str> = s.lines().collect();
            assert!(lines.iter().all(|l| text_width(l) == widest), "{s}");
        }
        // At 200 columns nothing wraps: header, rules and one row.
        assert_eq!(t.render(200, Borders::Unicode).lines().count(), 5);
    }

    #[test]
    fn ascii_borders() {
        let mut t = sample();
        t.row(vec![
            "Content visible".into(),
            "GET / → 200 …".into(),
            "×2".into(),
        ]);
        let s = t.render(100, Borders::Ascii);
        assert!(s.is_ascii(), "{s}");
        assert!(s.contains("GET / -> 200 ..."), "{s}");
        let widest = s.lines().map(text_width).max().unwrap_or(0);
        assert!(s.lines().all(|l| text_width(l) == widest), "aligned: {s}");
        assert!(s.starts_with("+-"), "{s}");
        assert!(s.contains("| TLS version, cipher |"), "{s}");
    }

    #[test]
    fn wrap_keeps_long_words() {
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh x", 3), vec!["abc", "def", "gh", "x"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }
}
