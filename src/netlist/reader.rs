//! Reader: source files → logical lines.
//!
//! * The first physical line of the top file is the title (kept verbatim).
//! * `*` (first non-blank character) and `//` start full-line comments; blank
//!   lines are skipped. Neither interrupts a `+` continuation.
//! * Inline comments: `;` anywhere, `$` when preceded by whitespace (or at the
//!   start of the line) and followed by whitespace or the end of the line.
//! * A line whose first non-blank character is `+` continues the previous
//!   logical line; the `+` becomes a single space. A `+` line with nothing
//!   before it is an error.
//! * `.end` ends the file (the top file: the netlist); the rest is not read.
//! * `.include path` / `.inc path` (quotes optional) splices in another file,
//!   relative to the including file's directory. `.lib file section` splices in
//!   the lines between `.lib section` and `.endl` of `file`; a one-argument
//!   `.lib name` met while reading normally is a section definition and is
//!   skipped up to its `.endl`. Recursion (direct or indirect) is an error naming
//!   the chain.
//! * `.control` … `.endc` blocks are not parsed; they become one
//!   [`Item::Control`] (the parser turns it into `Stmt::Ignored` + a warning).
//!
//! Each logical line keeps a piecewise map from its bytes back to the file, so
//! any byte range of the line (e.g. an expression straddling a continuation)
//! maps to a [`Span`].

use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Maximum depth of nested `.include` / `.lib` files.
const MAX_INCLUDE_DEPTH: usize = 64;

/// A run of bytes of a logical line that is contiguous in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    /// Offset in the logical line.
    pub lstart: usize,
    /// Offset in the file.
    pub fstart: usize,
    pub len: usize,
}

/// One logical line: physical lines joined by `+` continuations, comments removed.
#[derive(Debug, Clone)]
pub(crate) struct LogicalLine {
    pub file: FileId,
    pub text: String,
    pub pieces: Vec<Piece>,
}

impl LogicalLine {
    fn map(&self, o: usize, is_end: bool) -> usize {
        if self.pieces.is_empty() {
            return 0;
        }
        let idx = if is_end && o > 0 {
            self.pieces.partition_point(|p| p.lstart < o)
        } else {
            self.pieces.partition_point(|p| p.lstart <= o)
        };
        let p = self.pieces[idx.saturating_sub(1)];
        p.fstart + o.saturating_sub(p.lstart).min(p.len)
    }

    /// The same line with a `.` in front (a control-block command read as
    /// the dot command of the same name); spans still point at the file.
    pub fn dotted(&self) -> LogicalLine {
        let mut pieces = Vec::with_capacity(self.pieces.len() + 1);
        pieces.push(Piece {
            lstart: 0,
            fstart: self.pieces.first().map_or(0, |p| p.fstart),
            len: 0,
        });
        pieces.extend(self.pieces.iter().map(|p| Piece {
            lstart: p.lstart + 1,
            ..*p
        }));
        LogicalLine {
            file: self.file,
            text: format!(".{}", self.text),
            pieces,
        }
    }

    /// File span of the byte range `[a, b)` of the logical line.
    pub fn span(&self, a: usize, b: usize) -> Span {
        let s = self.map(a, false);
        let e = if b > a { self.map(b, true) } else { s };
        Span::new(self.file, s, e.max(s))
    }

    /// Span of the whole line.
    pub fn full_span(&self) -> Span {
        self.span(0, self.text.len())
    }

    /// Zero-length span just after the last character (for "missing …" errors).
    pub fn eol_span(&self) -> Span {
        let n = self.text.len();
        self.span(n, n)
    }

    /// The first whitespace-delimited word, lower-cased.
    pub fn first_word(&self) -> String {
        self.text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase()
    }
}

/// What the reader hands to the statement parser.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Line(LogicalLine),
    /// A `.control` … `.endc` block (span of the `.control` line to `.endc`)
    /// and the lines inside it.
    Control(Span, Vec<LogicalLine>),
}

/// Result of reading the top file and everything it includes.
#[derive(Debug, Default)]
pub(crate) struct ReadOutput {
    pub title: String,
    pub items: Vec<Item>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// Directory of each file read (relative paths in its lines resolve there).
    pub bases: HashMap<FileId, PathBuf>,
}

/// A file (or library section) being read, for recursion detection.
#[derive(Debug, Clone)]
struct Frame {
    canon: PathBuf,
    section: Option<String>,
    display: String,
}

struct Reader<'a> {
    sm: &'a mut SourceMap,
    out: ReadOutput,
    /// Canonical path → loaded file.
    loaded: HashMap<PathBuf, FileId>,
    /// Directory against which each file's relative includes are resolved.
    base: HashMap<FileId, PathBuf>,
    stack: Vec<Frame>,
    /// Bytes of text spliced in so far (the same file included twice counts twice).
    spliced: u64,
}

/// Strip an inline comment (`;` anywhere, `$` surrounded by whitespace).
fn strip_inline_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        match c {
            b';' => return &line[..k],
            b'$' => {
                let before_ok = k == 0 || b[k - 1].is_ascii_whitespace();
                let after_ok = b.get(k + 1).is_none_or(|c| c.is_ascii_whitespace());
                if before_ok && after_ok {
                    return &line[..k];
                }
            }
            _ => {}
        }
    }
    line
}

/// Continue logical line `l` with one space (mapped to file offset `sep`)
/// and `rest` (at file offset `at`).
fn append(l: &mut LogicalLine, sep: usize, at: usize, rest: &str) {
    l.pieces.push(Piece {
        lstart: l.text.len(),
        fstart: sep,
        len: 1,
    });
    l.text.push(' ');
    if !rest.is_empty() {
        l.pieces.push(Piece {
            lstart: l.text.len(),
            fstart: at,
            len: rest.len(),
        });
        l.text.push_str(rest);
    }
}

/// Whether `text` opens more `(` than it closes.
fn unclosed(text: &str) -> bool {
    let n = |c| text.chars().filter(|&x| x == c).count();
    n('(') > n(')')
}

/// Split the text of `file` into logical lines. With `skip_title` the first
/// physical line is not part of the result. Stops at `.end`.
///
/// A line that starts with `)` is not SPICE; ngspice reads it as a comment
/// (with a warning). Here a line of `)` alone that closes a `(` left open by
/// the statement before continues it (`.model d D (` … `+ IS=1e-14` … `)`,
/// which ngspice also accepts by ignoring both); any other such line is
/// skipped as ngspice does. Both with a warning.
pub(crate) fn split_lines(
    sm: &SourceMap,
    file: FileId,
    skip_title: bool,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<LogicalLine> {
    let text = &sm.file(file).text;
    let mut lines: Vec<LogicalLine> = Vec::new();
    let mut cur: Option<LogicalLine> = None;
    let mut offset = 0usize;
    let mut first = true;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        if first && skip_title {
            first = false;
            continue;
        }
        first = false;
        let body = raw.trim_end_matches(['\n', '\r']);
        let body = strip_inline_comment(body);
        let lead = body.len() - body.trim_start().len();
        let content = body.trim();
        if content.is_empty() || content.starts_with('*') || content.starts_with("//") {
            continue;
        }
        let abs = line_start + lead;
        if content.starts_with(')') {
            let at = Span::new(file, abs, abs + content.len());
            let closes = content.chars().all(|c| c == ')' || c.is_whitespace());
            match cur.as_mut() {
                Some(l) if closes && unclosed(&l.text) => {
                    warnings.push(Diagnostic::warning(
                        at,
                        "a line of ')' alone: read as the end of the statement before (a '+' line)",
                    ));
                    append(l, abs, abs, content);
                }
                _ => warnings.push(
                    Diagnostic::warning(at, "a line starting with ')' is ignored (as ngspice)")
                        .with_help("continue a statement with '+'"),
                ),
            }
            continue;
        }
        if let Some(rest) = content.strip_prefix('+') {
            let Some(l) = cur.as_mut() else {
                errors.push(
                    Diagnostic::error(
                        Span::new(file, abs, abs + 1),
                        "continuation line '+' with nothing before it to continue",
                    )
                    .with_help("a '+' line continues the previous statement; the title line cannot be continued"),
                );
                continue;
            };
            // The '+' becomes one space.
            append(l, abs, abs + 1, rest);
            continue;
        }
        if let Some(l) = cur.take() {
            lines.push(l);
        }
        let word = content
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let l = LogicalLine {
            file,
            text: content.to_string(),
            pieces: vec![Piece {
                lstart: 0,
                fstart: abs,
                len: content.len(),
            }],
        };
        if word == ".end" {
            return lines;
        }
        cur = Some(l);
    }
    if let Some(l) = cur {
        lines.push(l);
    }
    lines
}

/// Split the argument text of `.include` / `.lib` into words, honouring quotes.
/// Returns (word, start, end) in line offsets of the word without quotes.
fn directive_args(l: &LogicalLine) -> Result<Vec<(String, usize, usize)>, Diagnostic> {
    let text = &l.text;
    let b = text.as_bytes();
    // Skip the directive word.
    let mut i = b
        .iter()
        .position(|c| c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let mut out = Vec::new();
    while i < b.len() {
        if b[i].is_ascii_whitespace() || b[i] == b',' {
            i += 1;
            continue;
        }
        if b[i] == b'"' || b[i] == b'\'' {
            let q = b[i];
            let Some(close) = b[i + 1..].iter().position(|&c| c == q) else {
                return Err(Diagnostic::error(
                    l.span(i, i + 1),
                    "unterminated quote in file name",
                ));
            };
            let (s, e) = (i + 1, i + 1 + close);
            out.push((text[s..e].to_string(), s, e));
            i = e + 1;
            continue;
        }
        let s = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b',' {
            i += 1;
        }
        out.push((text[s..i].to_string(), s, i));
    }
    Ok(out)
}

impl Reader<'_> {
    fn chain(&self, last: &str) -> String {
        let mut parts: Vec<&str> = self.stack.iter().map(|f| f.display.as_str()).collect();
        parts.push(last);
        parts.join(" -> ")
    }

    /// Load a file (once per canonical path).
    fn load(&mut self, path: &Path) -> Result<(FileId, PathBuf), std::io::Error> {
        let canon = std::fs::canonicalize(path)?;
        if let Some(&id) = self.loaded.get(&canon) {
            return Ok((id, canon));
        }
        let text = super::read_text(&canon, true)?;
        let id = self.sm.add(path.to_path_buf(), text);
        self.loaded.insert(canon.clone(), id);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.base.insert(id, dir);
        Ok((id, canon))
    }

    /// Counts file `id` against the `input` limit on all the text spliced
    /// in (a file included many times counts each time); else an error at
    /// the including line.
    fn within_input_limit(&mut self, l: &LogicalLine, id: FileId) -> bool {
        let lim = crate::limits::get();
        self.spliced += self.sm.file(id).text.len() as u64;
        if self.spliced > lim.input_bytes() {
            self.out.errors.push(Diagnostic::error(
                l.full_span(),
                format!(
                    "the included files add up to more than {} MiB of netlist text; {}",
                    lim.input,
                    crate::limits::lift("input", lim.input)
                ),
            ));
            return false;
        }
        true
    }

    fn resolve(&self, file: FileId, arg: &str) -> PathBuf {
        let p = PathBuf::from(arg);
        if p.is_absolute() {
            return p;
        }
        match self.base.get(&file) {
            Some(dir) => dir.join(p),
            None => p,
        }
    }

    fn display_name(path: &Path) -> String {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }

    /// Process the logical lines of one file (or library section).
    fn expand(&mut self, lines: Vec<LogicalLine>) {
        let mut it = lines.into_iter();
        while let Some(l) = it.next() {
            let word = l.first_word();
            match word.as_str() {
                ".include" | ".inc" | ".incl" => self.include(&l),
                ".lib" => {
                    let args = match directive_args(&l) {
                        Ok(a) => a,
                        Err(e) => {
                            self.out.errors.push(e);
                            continue;
                        }
                    };
                    match args.len() {
                        0 => self.out.errors.push(Diagnostic::error(
                            l.eol_span(),
                            "expected '.lib file section' (or '.lib section' … '.endl')",
                        )),
                        1 => {
                            // A section definition that was not selected: skip it.
                            let mut closed = false;
                            for m in it.by_ref() {
                                if m.first_word() == ".endl" {
                                    closed = true;
                                    break;
                                }
                            }
                            if !closed {
                                self.out.errors.push(Diagnostic::error(
                                    l.full_span(),
                                    format!("missing .endl for library section '{}'", args[0].0),
                                ));
                            }
                        }
                        2 => self.lib(&l, &args[0], &args[1]),
                        _ => self.out.errors.push(Diagnostic::error(
                            l.span(args[2].1, args[2].2),
                            "unexpected argument: expected '.lib file section'",
                        )),
                    }
                }
                ".endl" => self.out.errors.push(Diagnostic::error(
                    l.span(0, 5),
                    "'.endl' without a matching '.lib section'",
                )),
                ".control" => {
                    let mut end = None;
                    let mut body = Vec::new();
                    for m in it.by_ref() {
                        if m.first_word() == ".endc" {
                            end = Some(m.full_span());
                            break;
                        }
                        body.push(m);
                    }
                    match end {
                        Some(e) => self
                            .out
                            .items
                            .push(Item::Control(l.full_span().to(e), body)),
                        None => self.out.errors.push(Diagnostic::error(
                            l.full_span(),
                            "missing .endc for this .control block",
                        )),
                    }
                }
                ".endc" => self.out.errors.push(Diagnostic::error(
                    l.span(0, 5),
                    "'.endc' without a matching '.control'",
                )),
                _ => self.out.items.push(Item::Line(l)),
            }
        }
    }

    fn open_file(
        &mut self,
        l: &LogicalLine,
        arg: &(String, usize, usize),
    ) -> Option<(FileId, PathBuf)> {
        let path = self.resolve(l.file, &arg.0);
        match self.load(&path) {
            Ok(r) => Some(r),
            Err(e) => {
                self.out.errors.push(Diagnostic::error(
                    l.span(arg.1, arg.2),
                    format!("cannot read included file '{}': {e}", path.display()),
                ));
                None
            }
        }
    }

    fn too_deep(&mut self, l: &LogicalLine) -> bool {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.out.errors.push(Diagnostic::error(
                l.full_span(),
                format!("files nested too deeply (more than {MAX_INCLUDE_DEPTH} levels of .include/.lib)"),
            ));
            return true;
        }
        false
    }

    fn include(&mut self, l: &LogicalLine) {
        let args = match directive_args(l) {
            Ok(a) => a,
            Err(e) => {
                self.out.errors.push(e);
                return;
            }
        };
        let arg = match args.as_slice() {
            [a] => a.clone(),
            [] => {
                self.out.errors.push(Diagnostic::error(
                    l.eol_span(),
                    "expected a file name after .include",
                ));
                return;
            }
            [_, b, ..] => {
                self.out.errors.push(Diagnostic::error(
                    l.span(b.1, b.2),
                    "unexpected argument after the .include file name (quote names with spaces)",
                ));
                return;
            }
        };
        if self.too_deep(l) {
            return;
        }
        let Some((id, canon)) = self.open_file(l, &arg) else {
            return;
        };
        let display = Self::display_name(&self.sm.file(id).path);
        if self
            .stack
            .iter()
            .any(|f| f.canon == canon && f.section.is_none())
        {
            let chain = self.chain(&display);
            self.out.errors.push(Diagnostic::error(
                l.full_span(),
                format!("recursive .include: {chain}"),
            ));
            return;
        }
        let Some(lines) = self.file_lines(l, id) else {
            return;
        };
        self.stack.push(Frame {
            canon,
            section: None,
            display,
        });
        self.expand(lines);
        self.stack.pop();
    }

    /// The logical lines of an included file (None past the input limit,
    /// which has been reported).
    fn file_lines(&mut self, l: &LogicalLine, id: FileId) -> Option<Vec<LogicalLine>> {
        if !self.within_input_limit(l, id) {
            return None;
        }
        Some(split_lines(
            self.sm,
            id,
            false,
            &mut self.out.errors,
            &mut self.out.warnings,
        ))
    }

    fn lib(
        &mut self,
        l: &LogicalLine,
        file: &(String, usize, usize),
        section: &(String, usize, usize),
    ) {
        if self.too_deep(l) {
            return;
        }
        let Some((id, canon)) = self.open_file(l, file) else {
            return;
        };
        let sec = section.0.to_lowercase();
        let display = format!("{}[{}]", Self::display_name(&self.sm.file(id).path), sec);
        if self
            .stack
            .iter()
            .any(|f| f.canon == canon && f.section.as_deref() == Some(sec.as_str()))
        {
            let chain = self.chain(&display);
            self.out.errors.push(Diagnostic::error(
                l.full_span(),
                format!("recursive .lib: {chain}"),
            ));
            return;
        }
        let Some(lines) = self.file_lines(l, id) else {
            return;
        };
        // Find `.lib sec` … `.endl`.
        let mut body = Vec::new();
        let mut state = 0; // 0 = looking, 1 = inside, 2 = done
        let mut header: Option<Span> = None;
        for m in lines {
            match state {
                0 => {
                    if m.first_word() == ".lib" {
                        let words: Vec<String> = m
                            .text
                            .split_whitespace()
                            .skip(1)
                            .map(str::to_lowercase)
                            .collect();
                        if words.len() == 1 && words[0].trim_matches(['"', '\'']) == sec {
                            state = 1;
                            header = Some(m.full_span());
                        }
                    }
                }
                1 => {
                    if m.first_word() == ".endl" {
                        state = 2;
                    } else {
                        body.push(m);
                    }
                }
                _ => break,
            }
        }
        match (state, header) {
            (0, _) | (_, None) => {
                self.out.errors.push(Diagnostic::error(
                    l.span(section.1, section.2),
                    format!(
                        "library section '{}' not found in '{}'",
                        section.0,
                        self.sm.file(id).path.display()
                    ),
                ));
                return;
            }
            (1, Some(h)) => {
                self.out.errors.push(Diagnostic::error(
                    h,
                    format!("missing .endl for library section '{}'", section.0),
                ));
                return;
            }
            _ => {}
        }
        self.stack.push(Frame {
            canon,
            section: Some(sec),
            display,
        });
        self.expand(body);
        self.stack.pop();
    }
}

/// Read the top file `top` (already in `sm`) and everything it includes.
/// `canon` identifies the top file for recursion detection; `base_dir` resolves
/// its relative includes.
pub(crate) fn read(sm: &mut SourceMap, top: FileId, canon: PathBuf, base_dir: &Path) -> ReadOutput {
    let title = sm
        .file(top)
        .text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .trim_start_matches('\u{feff}')
        .to_string();
    let mut r = Reader {
        sm,
        out: ReadOutput::default(),
        loaded: HashMap::new(),
        base: HashMap::new(),
        stack: Vec::new(),
        spliced: 0,
    };
    r.loaded.insert(canon.clone(), top);
    r.base.insert(top, base_dir.to_path_buf());
    let display = Reader::display_name(&r.sm.file(top).path);
    let lines = split_lines(r.sm, top, true, &mut r.out.errors, &mut r.out.warnings);
    r.stack.push(Frame {
        canon,
        section: None,
        display,
    });
    r.expand(lines);
    r.stack.pop();
    let mut out = r.out;
    out.title = title;
    out.bases = r.base;
    out
}
