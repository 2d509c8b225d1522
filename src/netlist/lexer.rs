//! Lexer: one logical line → tokens (nom).
//!
//! Separators are whitespace and `,`; `=` is a token of its own. Grouping is
//! kept:
//!
//! * `{…}` (balanced) → [`TokKind::Brace`], `'…'` → [`TokKind::Quote`],
//!   `"…"` → [`TokKind::Str`];
//! * `(…)` (balanced, quotes respected) → [`TokKind::Group`]; when a word is
//!   immediately followed by `(` the word is the group's head, so `SIN(0 1 1k)`,
//!   `D(is=1n)` and `v(a,b)` are single tokens;
//! * anything else up to a separator or one of `=(){}'"` is a
//!   [`TokKind::Word`]. `params:` at the start of a word is split off as its own
//!   word (`params:w=1`).
//!
//! Token offsets are byte offsets in the logical line.

use nom::bytes::complete::{tag_no_case, take_while, take_while1};
use nom::character::complete::char;
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    Eq,
    Brace,
    Quote,
    Str,
    /// `head(…)` or `(…)`; `head_end` is the end of the head word (== start
    /// when there is no head).
    Group {
        head_end: usize,
    },
}

/// A token: kind, full range `[start, end)` and inner range (inside the
/// delimiters; the whole token for words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
    pub inner: (usize, usize),
}

impl Tok {
    /// Whether this is a group with a head word (`sin(…)`).
    pub fn has_head(&self) -> bool {
        matches!(self.kind, TokKind::Group { head_end } if head_end > self.start)
    }
    pub fn head(&self) -> (usize, usize) {
        match self.kind {
            TokKind::Group { head_end } => (self.start, head_end),
            _ => (self.start, self.start),
        }
    }
}

/// A lexing error: byte range in the line and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub start: usize,
    pub end: usize,
    pub msg: String,
}

/// nom error carrying the remaining length (position) and an optional message.
#[derive(Debug)]
struct LErr {
    rest: usize,
    len: usize,
    msg: Option<String>,
}

impl<'a> ParseError<&'a str> for LErr {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        LErr {
            rest: input.len(),
            len: 0,
            msg: None,
        }
    }
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type R<'a, T> = IResult<&'a str, T, LErr>;

fn failure<'a, T>(at: &'a str, len: usize, msg: &str) -> R<'a, T> {
    Err(nom::Err::Failure(LErr {
        rest: at.len(),
        len,
        msg: Some(msg.to_string()),
    }))
}

fn is_sep(c: char) -> bool {
    c.is_whitespace() || c == ','
}

fn is_word_char(c: char) -> bool {
    !is_sep(c) && !"=(){}'\"".contains(c)
}

/// Skip whitespace and commas.
fn seps(i: &str) -> R<'_, &str> {
    take_while(is_sep).parse(i)
}

/// Text between `open` and the matching `close` quote; `i` starts at `open`.
fn quoted(i: &str, q: char) -> R<'_, &str> {
    let (j, _) = char(q).parse(i)?;
    let (j, body) = take_while(|c| c != q).parse(j)?;
    match char::<&str, LErr>(q).parse(j) {
        Ok((k, _)) => Ok((k, body)),
        Err(_) => failure(
            i,
            1,
            if q == '"' {
                "unterminated string: '\"' is never closed"
            } else {
                "unterminated quote: ' is never closed"
            },
        ),
    }
}

/// Balanced `{…}`; returns the inner text.
fn braced(i: &str) -> R<'_, &str> {
    let (j, _) = char('{').parse(i)?;
    let mut depth = 1usize;
    for (k, c) in j.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((&j[k + 1..], &j[..k]));
                }
            }
            _ => {}
        }
    }
    failure(i, 1, "unbalanced braces: '{' is never closed")
}

/// Balanced `(…)` (quotes inside respected); returns the inner text.
fn paren(i: &str) -> R<'_, &str> {
    let (j, _) = char('(').parse(i)?;
    let mut depth = 1usize;
    let mut k = 0;
    let b = j.as_bytes();
    while k < b.len() {
        match b[k] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((&j[k + 1..], &j[..k]));
                }
            }
            q @ (b'\'' | b'"') => match b[k + 1..].iter().position(|&c| c == q) {
                Some(p) => k += p + 1,
                None => {
                    let at = &j[k..];
                    return failure(
                        at,
                        1,
                        if q == b'"' {
                            "unterminated string: '\"' is never closed"
                        } else {
                            "unterminated quote: ' is never closed"
                        },
                    );
                }
            },
            _ => {}
        }
        k += 1;
    }
    failure(i, 1, "unbalanced parentheses: '(' is never closed")
}

struct Lexer<'s> {
    src: &'s str,
    base: usize,
}

impl<'s> Lexer<'s> {
    fn off(&self, i: &str) -> usize {
        self.base + self.src.len() - i.len()
    }

    fn token(&self, i: &'s str) -> R<'s, Tok> {
        let start = self.off(i);
        let Some(c) = i.chars().next() else {
            return Err(nom::Err::Error(LErr::from_error_kind(i, ErrorKind::Eof)));
        };
        let mk = |kind, rest: &str, inner: (usize, usize)| Tok {
            kind,
            start,
            end: self.off(rest),
            inner,
        };
        match c {
            '=' => {
                let (j, _) = char('=').parse(i)?;
                Ok((j, mk(TokKind::Eq, j, (start, start + 1))))
            }
            '{' => {
                let (j, body) = braced(i)?;
                let s = start + 1;
                Ok((j, mk(TokKind::Brace, j, (s, s + body.len()))))
            }
            '}' => failure(i, 1, "unbalanced braces: unexpected '}'"),
            '\'' => {
                let (j, body) = quoted(i, '\'')?;
                let s = start + 1;
                Ok((j, mk(TokKind::Quote, j, (s, s + body.len()))))
            }
            '"' => {
                let (j, body) = quoted(i, '"')?;
                let s = start + 1;
                Ok((j, mk(TokKind::Str, j, (s, s + body.len()))))
            }
            '(' => {
                let (j, body) = paren(i)?;
                let s = start + 1;
                Ok((
                    j,
                    mk(TokKind::Group { head_end: start }, j, (s, s + body.len())),
                ))
            }
            ')' => failure(i, 1, "unbalanced parentheses: unexpected ')'"),
            _ => {
                if let Ok((j, _)) = tag_no_case::<&str, &str, LErr>("params:").parse(i) {
                    return Ok((j, mk(TokKind::Word, j, (start, self.off(j)))));
                }
                let (j, _) = take_while1(is_word_char).parse(i)?;
                let head_end = self.off(j);
                if j.starts_with('(') {
                    let (k, body) = paren(j)?;
                    let s = head_end + 1;
                    return Ok((k, mk(TokKind::Group { head_end }, k, (s, s + body.len()))));
                }
                Ok((j, mk(TokKind::Word, j, (start, head_end))))
            }
        }
    }
}

/// Tokenize `line[from..to]`. Offsets in the result are offsets in `line`.
pub(crate) fn lex(line: &str, from: usize, to: usize) -> Result<Vec<Tok>, LexError> {
    let Some(src) = line.get(from..to) else {
        return Err(LexError {
            start: from,
            end: from,
            msg: "internal error: bad token range".to_string(),
        });
    };
    let lx = Lexer { src, base: from };
    let mut toks = Vec::new();
    let mut i = src;
    while let Ok((j, _)) = seps(i) {
        i = j;
        if i.is_empty() {
            break;
        }
        match lx.token(i) {
            Ok((j, t)) => {
                toks.push(t);
                i = j;
            }
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
                let start = from + src.len() - e.rest;
                return Err(LexError {
                    start,
                    end: (start + e.len).min(to),
                    msg: e.msg.unwrap_or_else(|| "unexpected character".to_string()),
                });
            }
            Err(nom::Err::Incomplete(_)) => {
                return Err(LexError {
                    start: lx.off(i),
                    end: to,
                    msg: "incomplete input".to_string(),
                })
            }
        }
    }
    Ok(toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(TokKind, &str)> {
        lex(s, 0, s.len())
            .map(|v| {
                v.into_iter()
                    .map(|t| (t.kind, &s[t.start..t.end]))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn words_groups_and_separators() {
        let t = kinds("V1 a,b SIN(0 1 1k) dc=5 {x*2} 'y' \"f.cir\" (1 2)");
        let texts: Vec<&str> = t.iter().map(|x| x.1).collect();
        assert_eq!(
            texts,
            [
                "V1",
                "a",
                "b",
                "SIN(0 1 1k)",
                "dc",
                "=",
                "5",
                "{x*2}",
                "'y'",
                "\"f.cir\"",
                "(1 2)"
            ]
        );
        assert_eq!(t[3].0, TokKind::Group { head_end: 10 });
        assert_eq!(t[5].0, TokKind::Eq);
        assert_eq!(t[7].0, TokKind::Brace);
        assert_eq!(t[8].0, TokKind::Quote);
        assert_eq!(t[9].0, TokKind::Str);
        assert_eq!(t[10].0, TokKind::Group { head_end: 42 });
    }

    #[test]
    fn params_colon_is_split() {
        let t = kinds("x1 a b sub params:w=1");
        let texts: Vec<&str> = t.iter().map(|x| x.1).collect();
        assert_eq!(texts, ["x1", "a", "b", "sub", "params:", "w", "=", "1"]);
    }

    #[test]
    fn errors_point_at_the_opening_delimiter() {
        let e = lex("R1 a b {1+2", 0, 11).unwrap_err();
        assert_eq!((e.start, e.end), (7, 8));
        assert!(e.msg.contains("never closed"));
        let e = lex("V1 a b SIN(0 1", 0, 14).unwrap_err();
        assert_eq!(e.start, 10);
        let e = lex("R1 a b 'x", 0, 9).unwrap_err();
        assert_eq!(e.start, 7);
        let e = lex("R1 a b x)", 0, 9).unwrap_err();
        assert_eq!(e.start, 8);
    }
}
