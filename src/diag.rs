//! Source files, spans and diagnostics.
//!
//! Every piece of parsed text keeps a [`Span`] (file id + byte range) so that any
//! later stage (elaboration, device setup, analyses) can report an error as
//! `file:line:column` with the offending text ([`Diagnostic::render`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` inside one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }
    /// Smallest span covering both (must be in the same file; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// Number of lines (a final line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of 1-based line `line` without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        if line == 0 || line > self.line_starts.len() {
            return "";
        }
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files read for one netlist (the top file and its includes/libs).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId((self.files.len() - 1) as u32)
    }
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
    /// Find an already loaded file by (canonical) path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }
    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        let f = self.file(span.file);
        f.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
    /// `path:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> Location {
        let f = self.file(span.file);
        let (line, col) = f.line_col(span.start as usize);
        Location {
            path: f.path.clone(),
            line,
            col,
        }
    }
}

/// A resolved position, for messages and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.col)
    }
}

/// Severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A user-facing message, optionally attached to a source span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Short text shown under the highlighted span.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            label: None,
            help: None,
        }
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span: Some(span),
            label: None,
            help: None,
        }
    }
    /// An error not tied to the netlist text (e.g. I/O, convergence at a time point).
    pub fn plain(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    /// The same message as a warning (a problem the run goes on without).
    pub fn into_warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One-line form: `path:line:col: error: message` (no excerpt). Used in logs and tests.
    pub fn short(&self, sm: &SourceMap) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.span {
            Some(sp) => format!("{}: {}: {}", sm.location(sp), sev, self.message),
            None => format!("{}: {}", sev, self.message),
        }
    }

    /// Full report: the one-line form, then an excerpt of the source (the
    /// line before, the line, the line after) with the span underlined and
    /// the label, then the help. Lines longer than [`EXCERPT_WIDTH`]
    /// characters are cut to a window around the span (`…` marks the cuts),
    /// so the report stays short whatever the length of the line. With
    /// `color`, the severity and the underline are coloured (ANSI).
    pub fn render(&self, sm: &SourceMap, color: bool) -> String {
        let (red, yellow, bold, reset) = if color {
            ("\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let paint = if self.is_error() { red } else { yellow };
        let mut out = match self.span {
            Some(sp) => format!("{bold}{}{reset}: ", sm.location(sp)),
            None => String::new(),
        };
        let sev = if self.is_error() { "error" } else { "warning" };
        out.push_str(&format!(
            "{bold}{paint}{sev}{reset}{bold}: {}{reset}\n",
            self.message
        ));
        if let Some(sp) = self.span {
            let f = sm.file(sp.file);
            let (line, col) = f.line_col(sp.start as usize);
            let (end_line, end_col) = f.line_col(sp.end as usize);
            let width = (line + 1).to_string().len();
            for l in line.saturating_sub(1).max(1)..=line + 1 {
                if l > f.line_count() || (l != line && f.line_text(l).trim().is_empty()) {
                    continue;
                }
                let text: Vec<char> = f.line_text(l).chars().collect();
                let ulen = if end_line == line {
                    end_col.saturating_sub(col)
                } else {
                    text.len() + 1 - col.min(text.len() + 1)
                };
                let (shown, at) = excerpt(&text, col - 1, ulen.max(1));
                out.push_str(&format!(" {l:>width$} │ {shown}\n"));
                if l == line {
                    let marks = "^".repeat(ulen.clamp(1, EXCERPT_WIDTH));
                    let label = self
                        .label
                        .as_deref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default();
                    out.push_str(&format!(
                        " {:width$} │ {}{paint}{marks}{label}{reset}\n",
                        "",
                        " ".repeat(at)
                    ));
                }
            }
        }
        if let Some(h) = &self.help {
            out.push_str(&format!("  help: {h}\n"));
        }
        out
    }
}

/// Widest excerpt line of [`Diagnostic::render`], in characters.
pub const EXCERPT_WIDTH: usize = 100;

/// The part of a line shown in an excerpt, tabs as spaces: the whole line
/// when it is short, else a window of [`EXCERPT_WIDTH`] characters starting
/// a little before column `col` (0-based), with `…` at the cuts. Returns the
/// text and where column `col` is in it.
fn excerpt(text: &[char], col: usize, len: usize) -> (String, usize) {
    let clean = |c: &char| if *c == '\t' { ' ' } else { *c };
    if text.len() <= EXCERPT_WIDTH {
        return (text.iter().map(clean).collect(), col.min(text.len()));
    }
    let lead = if len < EXCERPT_WIDTH / 2 {
        EXCERPT_WIDTH / 3
    } else {
        8
    };
    let start = col.saturating_sub(lead).min(text.len());
    let end = (start + EXCERPT_WIDTH).min(text.len());
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.extend(text[start..end].iter().map(clean));
    if end < text.len() {
        s.push('…');
    }
    (s, col - start + usize::from(start > 0))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result type of every stage that can fail on user input.
pub type DResult<T> = Result<T, Diagnostic>;
