//! Splitting a display filter into tokens, each with the 1-based column where it starts.
//!
//! Field names, numbers, addresses (IPv4, IPv6, CIDR) and bare words are all one token kind,
//! [`Tok::Word`]: the parser knows from the position what a word should be.

use super::FilterError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
    Matches,
    /// `&` / `bitwise_and`: some bit of the mask is set in the value.
    BitAnd,
}

impl CmpOp {
    /// The symbol as written in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
            CmpOp::Contains => "contains",
            CmpOp::Matches => "matches",
            CmpOp::BitAnd => "&",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A name, number, address or bare word.
    Word(String),
    /// A double-quoted string, escapes resolved.
    Str(String),
    LParen,
    RParen,
    Cmp(CmpOp),
    And,
    Or,
    Not,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(s) => format!("\"{}\"", crate::present::escape::escape_str(s)),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Cmp(op) => format!("'{}'", op.symbol()),
            Tok::And => "'and'".into(),
            Tok::Or => "'or'".into(),
            Tok::Not => "'not'".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    /// 1-based column (in characters) of the token's first character.
    pub col: usize,
    /// As written.
    pub text: String,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-')
}

/// Tokenise `src`. Also returns the column just past the end (for "expected … at end" errors).
pub fn lex(src: &str) -> Result<(Vec<Token>, usize), FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        let mut push = |tok: Tok, len: usize| {
            let text: String = chars.iter().skip(i).take(len).collect();
            out.push(Token { tok, col, text });
            len
        };
        let used = match (c, next) {
            (c, _) if c.is_whitespace() => 1,
            ('(', _) => push(Tok::LParen, 1),
            (')', _) => push(Tok::RParen, 1),
            ('=', Some('=')) => push(Tok::Cmp(CmpOp::Eq), 2),
            ('!', Some('=')) => push(Tok::Cmp(CmpOp::Ne), 2),
            ('<', Some('=')) => push(Tok::Cmp(CmpOp::Le), 2),
            ('>', Some('=')) => push(Tok::Cmp(CmpOp::Ge), 2),
            ('<', _) => push(Tok::Cmp(CmpOp::Lt), 1),
            ('>', _) => push(Tok::Cmp(CmpOp::Gt), 1),
            ('~', _) => push(Tok::Cmp(CmpOp::Matches), 1),
            ('!', _) => push(Tok::Not, 1),
            ('&', Some('&')) => push(Tok::And, 2),
            ('|', Some('|')) => push(Tok::Or, 2),
            ('=', _) => {
                return Err(FilterError::new(
                    col,
                    "'=' is not an operator (use '==' to compare)",
                ))
            }
            ('&', _) => push(Tok::Cmp(CmpOp::BitAnd), 1),
            ('|', _) => {
                return Err(FilterError::new(
                    col,
                    "'|' is not an operator (use '||' or 'or')",
                ))
            }
            ('"', _) => {
                let (s, len) = string(&chars, i)?;
                push(Tok::Str(s), len)
            }
            (c, _) if is_word_char(c) => {
                let len = chars
                    .iter()
                    .skip(i)
                    .take_while(|c| is_word_char(**c))
                    .count();
                let word: String = chars.iter().skip(i).take(len).collect();
                let tok = match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "eq" => Tok::Cmp(CmpOp::Eq),
                    "ne" => Tok::Cmp(CmpOp::Ne),
                    "lt" => Tok::Cmp(CmpOp::Lt),
                    "gt" => Tok::Cmp(CmpOp::Gt),
                    "le" => Tok::Cmp(CmpOp::Le),
                    "ge" => Tok::Cmp(CmpOp::Ge),
                    "contains" => Tok::Cmp(CmpOp::Contains),
                    "matches" => Tok::Cmp(CmpOp::Matches),
                    "bitwise_and" => Tok::Cmp(CmpOp::BitAnd),
                    _ => Tok::Word(word),
                };
                push(tok, len)
            }
            (c, _) => {
                let shown: String = c.escape_debug().collect();
                return Err(FilterError::new(
                    col,
                    format!("unexpected character '{shown}'"),
                ));
            }
        };
        i += used;
    }
    Ok((out, chars.len() + 1))
}

/// A quoted string starting at `start` (the opening quote): its value and its length in chars.
fn string(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FilterError::new(
                    start + 1,
                    "unterminated string (missing closing '\"')",
                ))
            }
            Some('"') => return Ok((s, i + 1 - start)),
            Some('\\') => {
                let esc = chars.get(i + 1).copied();
                match esc {
                    Some('"') => s.push('"'),
                    Some('\\') => s.push('\\'),
                    Some('n') => s.push('\n'),
                    Some('r') => s.push('\r'),
                    Some('t') => s.push('\t'),
                    // `\.` and similar pass through, so that regular expressions read naturally.
                    Some(c) if c.is_ascii_punctuation() => {
                        s.push('\\');
                        s.push(c);
                    }
                    Some(c) => {
                        let shown: String = c.escape_debug().collect();
                        return Err(FilterError::new(
                            i + 1,
                            format!("unknown escape '\\{shown}' in string"),
                        ));
                    }
                    None => {
                        return Err(FilterError::new(
                            start + 1,
                            "unterminated string (missing closing '\"')",
                        ))
                    }
                }
                i += 2;
            }
            Some(c) => {
                s.push(*c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<(Tok, usize)> {
        lex(src)
            .map(|(t, _)| t.into_iter().map(|t| (t.tok, t.col)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn words_operators_and_columns() {
        assert_eq!(
            toks("ip.addr==10.0.0.0/8 && !tcp"),
            vec![
                (Tok::Word("ip.addr".into()), 1),
                (Tok::Cmp(CmpOp::Eq), 8),
                (Tok::Word("10.0.0.0/8".into()), 10),
                (Tok::And, 21),
                (Tok::Not, 24),
                (Tok::Word("tcp".into()), 25),
            ]
        );
        assert_eq!(toks("a ge 0x10")[1], (Tok::Cmp(CmpOp::Ge), 3));
        assert_eq!(toks("ipv6.addr == ::1")[2], (Tok::Word("::1".into()), 14));
        assert_eq!(toks("a~\"x\"")[1], (Tok::Cmp(CmpOp::Matches), 2));
    }

    #[test]
    fn strings_with_escapes() {
        assert_eq!(toks(r#""a\"b\\c""#), vec![(Tok::Str("a\"b\\c".into()), 1)]);
        assert_eq!(toks(r#""x\.y""#), vec![(Tok::Str("x\\.y".into()), 1)]);
        let err = lex(r#"http.host == "abc"#).err().map(|e| e.column);
        assert_eq!(err, Some(14));
        let err = lex(r#""a\qb""#).err().map(|e| e.column);
        assert_eq!(err, Some(3));
    }

    #[test]
    fn end_column_counts_characters() {
        assert_eq!(lex("\"é\" ==").map(|(_, end)| end).ok(), Some(7));
        assert_eq!(lex("a = 1").err().map(|e| e.column), Some(3));
        assert_eq!(lex("a $ 1").err().map(|e| e.column), Some(3));
    }
}
