//! Statement parser: logical lines (from the reader) → [`Stmt`]s.
//!
//! Each line is tokenized by [`super::lexer`]; statements are then read from
//! the token list by a small cursor, and every value goes through the nom
//! expression parser ([`crate::expr::parse::parse_expr`]) with a span mapping
//! back to the file. One error is reported per bad line; parsing continues with
//! the next line so that all bad lines are reported at once.

use super::ast::*;
use super::lexer::{lex, Tok, TokKind};
use super::reader::{Item, LogicalLine};
use crate::diag::{DResult, Diagnostic, Span};
use crate::expr::number::parse_number;
use crate::expr::parse::{is_ident, parse_expr};
use crate::expr::{Expr, ExprKind};

/// Maximum nesting of `.subckt` definitions.
const MAX_SUBCKT_NESTING: usize = 100;

/// Transient source function names.
const TRAN_FNS: [&str; 8] = [
    "sin", "pulse", "pwl", "exp", "sffm", "am", "trnoise", "trrandom",
];

/// Analysis words accepted after `.print`.
const PRINT_ANALYSES: [&str; 7] = ["tran", "ac", "dc", "op", "hb", "hb_fd", "hb_td"];
/// Analyses a `.print` may name that are not run here (the line is ignored
/// with a warning).
const PRINT_OTHER: [&str; 7] = ["noise", "es", "pce", "sens", "tf", "disto", "homotopy"];

/// Dot-commands accepted and ignored (with a warning).
const IGNORED_CMDS: [&str; 7] = [
    ".probe",
    ".backanno",
    ".width",
    ".plot",
    ".four",
    ".csparam",
    ".save_state",
];

/// Description of element letters we do not support.
fn unsupported_element(c: char) -> Option<&'static str> {
    Some(match c {
        'm' => "MOSFET",
        'q' => "BJT",
        'j' => "JFET",
        'z' => "MESFET",
        't' => "lossless transmission line",
        'o' => "lossy transmission line",
        'u' => "uniform RC line",
        's' => "voltage-controlled switch",
        'w' => "current-controlled switch",
        'a' => "XSPICE code model",
        'n' => "OSDI / Verilog-A device",
        'p' => "coupled multiconductor line",
        _ => return None,
    })
}

/// Cursor over the tokens of one logical line.
struct Cur<'l> {
    line: &'l LogicalLine,
    toks: Vec<Tok>,
    pos: usize,
    /// End of the tokenized range (end of line, or the closing `)` of a group).
    end: usize,
}

impl<'l> Cur<'l> {
    fn new(line: &'l LogicalLine, toks: Vec<Tok>, end: usize) -> Cur<'l> {
        Cur {
            line,
            toks,
            pos: 0,
            end,
        }
    }
    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }
    fn peek_at(&self, k: usize) -> Option<Tok> {
        self.toks.get(self.pos + k).copied()
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.peek();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn text(&self, t: Tok) -> &'l str {
        self.line.text.get(t.start..t.end).unwrap_or("")
    }
    fn range_text(&self, a: usize, b: usize) -> &'l str {
        self.line.text.get(a..b).unwrap_or("")
    }
    fn span(&self, t: Tok) -> Span {
        self.line.span(t.start, t.end)
    }
    /// Zero-length span at the end of the tokenized range ("missing …").
    fn eol(&self) -> Span {
        self.line.span(self.end, self.end)
    }
    /// Lower-case text of a word token (None for other kinds).
    fn word(&self, t: Tok) -> Option<String> {
        (t.kind == TokKind::Word).then(|| self.text(t).to_lowercase())
    }
    fn is_kw(&self, t: Option<Tok>, kw: &str) -> bool {
        matches!(t, Some(t) if t.kind == TokKind::Word && self.text(t).eq_ignore_ascii_case(kw))
    }
    /// Whether the next tokens are `word =`.
    fn at_assign(&self) -> bool {
        matches!(
            (self.peek(), self.peek_at(1)),
            (Some(a), Some(b)) if a.kind == TokKind::Word && b.kind == TokKind::Eq
        )
    }
    fn ident(&self, t: Tok) -> Ident {
        Ident {
            name: self.text(t).to_lowercase(),
            span: self.span(t),
        }
    }
    fn describe(&self, t: Tok) -> String {
        let s = self.text(t);
        if s.chars().count() > 30 {
            format!("'{}…'", s.chars().take(30).collect::<String>())
        } else {
            format!("'{s}'")
        }
    }
    fn err_at(&self, t: Tok, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.span(t), msg)
    }
    /// Error for an unexpected token (or end of line).
    fn unexpected(&self, t: Option<Tok>, expected: &str) -> Diagnostic {
        match t {
            Some(t) => self.err_at(
                t,
                format!("expected {expected}, found {}", self.describe(t)),
            ),
            None => Diagnostic::error(self.eol(), format!("expected {expected} at end of line")),
        }
    }
    /// Fail if tokens remain.
    fn finish(&self, form: &str) -> DResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(self
                .err_at(t, format!("unexpected {}", self.describe(t)))
                .with_help(format!("expected form: {form}"))),
        }
    }

    /// Parse the text `[a, b)` of the line as an expression.
    fn expr_range(&self, a: usize, b: usize) -> DResult<Expr> {
        let line = self.line;
        let text = self.range_text(a, b);
        parse_expr(text, &|s, e| line.span(a + s, a + e))
    }

    /// A value token → expression: numbers, names, `{expr}`, `'expr'`,
    /// `f(…)`/`(…)`.
    fn value_of(&self, t: Tok) -> DResult<Expr> {
        match t.kind {
            TokKind::Word | TokKind::Group { .. } => self.expr_range(t.start, t.end),
            TokKind::Brace | TokKind::Quote => {
                if self.range_text(t.inner.0, t.inner.1).trim().is_empty() {
                    return Err(self.err_at(t, "empty expression"));
                }
                self.expr_range(t.inner.0, t.inner.1)
            }
            TokKind::Eq => Err(self.err_at(t, "expected a value, found '='")),
            TokKind::Str => Err(self.err_at(
                t,
                format!("expected a value, found the string {}", self.describe(t)),
            )),
        }
    }
    /// `2.0e+{p}`: a mantissa whose exponent is an expression written right
    /// after it (ngspice splices the text): mantissa·10^(±p).
    fn spliced_exponent(&mut self, t: Tok) -> DResult<Option<Expr>> {
        let w = self.text(t);
        let Some(b) = self
            .peek()
            .filter(|b| b.kind == TokKind::Brace && b.start == t.end)
        else {
            return Ok(None);
        };
        let lw = w.to_ascii_lowercase();
        let (mant, neg) = match (
            lw.strip_suffix("e+"),
            lw.strip_suffix("e-"),
            lw.strip_suffix('e'),
        ) {
            (Some(m), _, _) => (m, false),
            (_, Some(m), _) => (m, true),
            (_, _, Some(m)) => (m, false),
            _ => return Ok(None),
        };
        let Some((m, n)) =
            crate::expr::number::parse_number(mant).filter(|(_, n)| *n == mant.len())
        else {
            return Ok(None);
        };
        let _ = n;
        self.pos += 1;
        let p = self.value_of(b)?;
        let span = self.span(t).to(self.span(b));
        let exp = if neg {
            Expr {
                kind: ExprKind::Unary(crate::expr::UnOp::Neg, Box::new(p)),
                span,
            }
        } else {
            p
        };
        let pow = Expr {
            kind: ExprKind::Call("pow".into(), vec![Expr::num(10.0, span), exp]),
            span,
        };
        Ok(Some(Expr {
            kind: ExprKind::Binary(
                crate::expr::BinOp::Mul,
                Box::new(Expr::num(m, span)),
                Box::new(pow),
            ),
            span,
        }))
    }
    fn is_value_tok(t: Option<Tok>) -> bool {
        matches!(t, Some(t) if !matches!(t.kind, TokKind::Eq | TokKind::Str))
    }
    /// Next token as a value, with `what` naming it in the error.
    fn value(&mut self, what: &str) -> DResult<Expr> {
        let t = self.peek();
        match t {
            Some(t) if Self::is_value_tok(Some(t)) => {
                self.pos += 1;
                if let Some(e) = self.spliced_exponent(t)? {
                    return Ok(e);
                }
                self.value_of(t)
            }
            _ => Err(self.unexpected(t, what)),
        }
    }
    /// Optional `=` (as in `DC=5`).
    fn skip_eq(&mut self) {
        if matches!(self.peek(), Some(t) if t.kind == TokKind::Eq) {
            self.pos += 1;
        }
    }
    /// Next token as a name (word).
    fn name(&mut self, what: &str) -> DResult<Ident> {
        match self.peek() {
            Some(t) if t.kind == TokKind::Word => {
                self.pos += 1;
                Ok(self.ident(t))
            }
            t => Err(self.unexpected(t, what)),
        }
    }
    /// `name = value`.
    fn assign(&mut self) -> DResult<ParamAssign> {
        let t = self.peek();
        let name = match t {
            Some(t) if t.kind == TokKind::Word && is_ident(self.text(t)) => {
                self.pos += 1;
                self.ident(t)
            }
            _ => return Err(self.unexpected(t, "a parameter 'name=value'")),
        };
        match self.peek() {
            Some(e) if e.kind == TokKind::Eq => self.pos += 1,
            other => {
                return Err(
                    self.unexpected(other, &format!("'=' after parameter name '{}'", name.name))
                )
            }
        }
        let value = self.value(&format!("a value for parameter '{}'", name.name))?;
        Ok(ParamAssign { name, value })
    }
    /// `name=value …` up to the end of the line.
    fn assigns(&mut self) -> DResult<Vec<ParamAssign>> {
        let mut v = Vec::new();
        while !self.at_end() {
            v.push(self.assign()?);
        }
        Ok(v)
    }
    /// Tokens of the inside of a group token.
    fn inner_toks(&self, t: Tok) -> DResult<Vec<Tok>> {
        lex(&self.line.text, t.inner.0, t.inner.1)
            .map_err(|e| Diagnostic::error(self.line.span(e.start, e.end), e.msg))
    }
    /// A sub-cursor over the inside of a group.
    fn sub(&self, t: Tok) -> DResult<Cur<'l>> {
        Ok(Cur::new(self.line, self.inner_toks(t)?, t.inner.1))
    }
    /// Span from token `a` to the end of token `b`.
    fn span2(&self, a: Tok, b: Tok) -> Span {
        self.line.span(a.start, b.end)
    }

    /// An expression running from the current token to the end of the line,
    /// except trailing `name=value` instance parameters (B sources, `VALUE=`):
    /// a single `{…}`/`'…'` token is unwrapped; otherwise the raw text is parsed.
    fn tail_expr(&mut self, what: &str) -> DResult<(Expr, Vec<ParamAssign>)> {
        let k = self.pos;
        let mut m = self.toks.len();
        // Peel trailing `ident = value` triples (a standalone '=').
        while m >= k + 4 {
            let (n, e, v) = (self.toks[m - 3], self.toks[m - 2], self.toks[m - 1]);
            let standalone = {
                let b = self.line.text.as_bytes();
                let before = e.start.checked_sub(1).and_then(|p| b.get(p)).copied();
                let after = b.get(e.end).copied();
                !matches!(before, Some(b'<' | b'>' | b'!' | b'=')) && after != Some(b'=')
            };
            if n.kind == TokKind::Word
                && is_ident(self.text(n))
                && e.kind == TokKind::Eq
                && standalone
                && Self::is_value_tok(Some(v))
            {
                m -= 3;
            } else {
                break;
            }
        }
        if m == k {
            return Err(Diagnostic::error(
                self.eol(),
                format!("missing {what} at end of line"),
            ));
        }
        let first = self.toks[k];
        let expr = if m == k + 1 && matches!(first.kind, TokKind::Brace | TokKind::Quote) {
            self.value_of(first)?
        } else {
            let last = self.toks[m - 1];
            if let Some(t) = self.toks[k..m].iter().find(|t| t.kind == TokKind::Str) {
                return Err(self.err_at(*t, "unexpected string in expression"));
            }
            self.expr_range(first.start, last.end)?
        };
        self.pos = m;
        let params = self.assigns()?;
        Ok((expr, params))
    }
}

/// Parser state: the statement lists of the open scopes.
pub(crate) struct StmtParser {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    top: Vec<Stmt>,
    open: Vec<SubcktDef>,
    /// `.title` overrides the first line.
    pub title: Option<String>,
    /// An inline `.data` table waiting for its `.enddata`.
    open_data: Option<Span>,
}

impl StmtParser {
    pub fn new() -> StmtParser {
        StmtParser {
            errors: Vec::new(),
            warnings: Vec::new(),
            top: Vec::new(),
            open: Vec::new(),
            title: None,
            open_data: None,
        }
    }

    fn push(&mut self, s: Stmt) {
        match self.open.last_mut() {
            Some(sub) => sub.body.push(s),
            None => self.top.push(s),
        }
    }

    /// Parse all items; returns the top-level statements.
    pub fn run(
        mut self,
        items: &[Item],
    ) -> (Vec<Stmt>, Vec<Diagnostic>, Vec<Diagnostic>, Option<String>) {
        for it in items {
            match it {
                Item::Control(span, body) => self.control(*span, body),
                Item::Line(l) => {
                    if let Err(e) = self.line(l) {
                        self.errors.push(e);
                    }
                }
            }
        }
        if let Some(sp) = self.open_data.take() {
            self.errors.push(missing_enddata(sp));
        }
        while let Some(s) = self.open.pop() {
            if s.name.name.is_empty() {
                continue; // its header error is already reported
            }
            self.errors.push(Diagnostic::error(
                s.span,
                format!("missing .ends for subcircuit '{}'", s.name.name),
            ));
        }
        (self.top, self.errors, self.warnings, self.title)
    }

    /// A `.control` block, the batch use of it: analysis commands (`tran`,
    /// `ac`, `dc`, `op`), `save`, `print`, `meas` and `option(s)` are read as
    /// the dot commands of the same name (a `print` belongs to the analysis
    /// before it), `run` and the commands without effect on results (`set`,
    /// `echo`, `quit`, …) need nothing; everything else is named in one
    /// warning as not run.
    fn control(&mut self, span: Span, body: &[LogicalLine]) {
        let mut not_run: Vec<String> = Vec::new();
        let mut last: Option<String> = None;
        for l in body {
            let w = l.first_word();
            match w.as_str() {
                "" | "run" | "quit" | "exit" | "echo" | "rusage" | "destroy" | "reset"
                | "version" | "set" | "unset" | "setplot" | "display" | "listing" | "status"
                | "remcirc" | "*" => {}
                "tran" | "ac" | "dc" | "op" | "meas" | "measure" | "save" | "option"
                | "options" => {
                    if matches!(w.as_str(), "tran" | "ac" | "dc" | "op") {
                        last = Some(w.clone());
                    }
                    if let Err(e) = self.line(&l.dotted()) {
                        self.errors.push(e);
                    }
                }
                "print" => {
                    let n = self.top.len();
                    if let Err(e) = self.line(&l.dotted()) {
                        self.errors.push(e);
                    }
                    if let (Some(Stmt::Save(sv)), Some(a)) = (self.top.get_mut(n), &last) {
                        if sv.analysis.is_none() {
                            sv.analysis = Some(Ident {
                                name: a.clone(),
                                span: sv.span,
                            });
                        }
                    }
                }
                _ => {
                    if !not_run.contains(&w) {
                        not_run.push(w);
                    }
                }
            }
        }
        if !not_run.is_empty() {
            self.warnings.push(
                Diagnostic::warning(
                    span,
                    format!(
                        "'.control' block: not run: {} (only analyses, run, save, print, meas and options are)",
                        not_run.join(", ")
                    ),
                )
                .with_help("write the results with -o FILE.raw|.csv|.h5 instead of 'write'"),
            );
            self.push(Stmt::Ignored {
                what: ".control".to_string(),
                span,
            });
        }
    }

    fn line(&mut self, l: &LogicalLine) -> DResult<()> {
        let toks = lex(&l.text, 0, l.text.len())
            .map_err(|e| Diagnostic::error(l.span(e.start, e.end), e.msg))?;
        let mut c = Cur::new(l, toks, l.text.len());
        let Some(first) = c.peek() else {
            return Ok(());
        };
        let head = c.text(first);
        if let Some(sp) = self.open_data {
            if !head.eq_ignore_ascii_case(".enddata") {
                self.open_data = None;
                self.errors.push(missing_enddata(sp));
            }
        }
        if head.starts_with('.') && first.kind == TokKind::Word {
            return self.dot(&mut c);
        }
        if first.kind != TokKind::Word {
            return Err(c.err_at(
                first,
                format!(
                    "expected an element or a dot command, found {}",
                    c.describe(first)
                ),
            ));
        }
        let el = element(&mut c)?;
        self.push(Stmt::Element(el));
        Ok(())
    }

    fn dot(&mut self, c: &mut Cur) -> DResult<()> {
        let Some(kw_tok) = c.next() else {
            return Ok(());
        };
        let kw = c.text(kw_tok).to_lowercase();
        let line_span = c.line.full_span();
        let in_subckt = !self.open.is_empty();
        let not_in_subckt = |c: &Cur| -> DResult<()> {
            if in_subckt {
                Err(c.err_at(
                    kw_tok,
                    format!("'{kw}' is not allowed inside a subcircuit definition"),
                ))
            } else {
                Ok(())
            }
        };
        let stmt = match kw.as_str() {
            ".param" | ".params" | ".global_param" => {
                if c.at_end() {
                    return Err(c.unexpected(None, "'name=value' after .param"));
                }
                // `.param f(x)={2*x}`: a function (HSPICE, Xyce)
                if c.peek().is_some_and(|t| t.has_head()) {
                    Stmt::Func(func(c, line_span)?)
                } else {
                    Stmt::Param(c.assigns()?, line_span)
                }
            }
            ".func" => Stmt::Func(func(c, line_span)?),
            ".subckt" => {
                if self.open.len() >= MAX_SUBCKT_NESTING {
                    return Err(c.err_at(
                        kw_tok,
                        format!(
                            "subcircuit definitions nested too deeply (more than {MAX_SUBCKT_NESTING} levels)"
                        ),
                    ));
                }
                match subckt_header(c, line_span) {
                    Ok(def) => self.open.push(def),
                    Err(e) => {
                        // Keep the nesting so that the matching `.ends` is not
                        // reported as stray: an unnamed placeholder scope.
                        self.open.push(SubcktDef {
                            name: Ident {
                                name: String::new(),
                                span: line_span,
                            },
                            ports: Vec::new(),
                            params: Vec::new(),
                            body: Vec::new(),
                            span: line_span,
                        });
                        return Err(e);
                    }
                }
                return Ok(());
            }
            ".ends" => {
                let name = match c.next() {
                    Some(t) if t.kind == TokKind::Word => Some(c.ident(t)),
                    None => None,
                    Some(t) => return Err(c.unexpected(Some(t), "a subcircuit name")),
                };
                c.finish(".ends [name]")?;
                let Some(def) = self.open.pop() else {
                    return Err(c.err_at(kw_tok, "'.ends' without a matching '.subckt'"));
                };
                if let Some(n) = name {
                    if n.name != def.name.name && !def.name.name.is_empty() {
                        let msg = format!(
                            "'.ends {}' does not match the open subcircuit '{}'",
                            n.name, def.name.name
                        );
                        // Keep the definition open so later lines still nest.
                        self.open.push(def);
                        return Err(Diagnostic::error(n.span, msg));
                    }
                }
                self.push(Stmt::Subckt(def));
                return Ok(());
            }
            ".model" => Stmt::Model(model(c, line_span)?),
            ".options" | ".option" | ".opt" | ".opts" => {
                not_in_subckt(c)?;
                Stmt::Options(options(c)?, line_span)
            }
            ".ic" => Stmt::Ic(node_values(c, ".ic")?, line_span),
            ".nodeset" => Stmt::Nodeset(node_values(c, ".nodeset")?, line_span),
            ".temp" => {
                not_in_subckt(c)?;
                let mut v = Vec::new();
                while !c.at_end() {
                    v.push(c.value("a temperature")?);
                }
                if v.is_empty() {
                    return Err(c.unexpected(None, "a temperature after .temp"));
                }
                Stmt::Temp(v, line_span)
            }
            ".global" => {
                not_in_subckt(c)?;
                let mut v = Vec::new();
                while !c.at_end() {
                    v.push(c.name("a node name")?);
                }
                if v.is_empty() {
                    return Err(c.unexpected(None, "a node name after .global"));
                }
                Stmt::Global(v, line_span)
            }
            ".save" | ".print" => {
                not_in_subckt(c)?;
                Stmt::Save(save(c, kw == ".print", line_span, &mut self.warnings)?)
            }
            ".op" => {
                not_in_subckt(c)?;
                c.finish(".op")?;
                Stmt::Analysis(Box::new(Analysis::Op(line_span)))
            }
            ".dc" => {
                not_in_subckt(c)?;
                Stmt::Analysis(Box::new(dc(c, line_span)?))
            }
            ".ac" => {
                not_in_subckt(c)?;
                Stmt::Analysis(Box::new(ac(c, line_span)?))
            }
            ".tran" => {
                not_in_subckt(c)?;
                Stmt::Analysis(Box::new(tran(c, line_span)?))
            }
            ".meas" | ".measure" => {
                not_in_subckt(c)?;
                // an output-only line: a form not supported here is skipped
                // with a warning, the analyses still run
                match meas(c, line_span) {
                    Ok(m) => Stmt::Meas(Box::new(m)),
                    Err(d) => {
                        self.warnings.push(
                            d.into_warning()
                                .with_help("this .meas is skipped; the analyses run without it"),
                        );
                        return Ok(());
                    }
                }
            }
            ".step" => {
                not_in_subckt(c)?;
                Stmt::Step(Box::new(step(c, line_span)?))
            }
            ".data" => {
                not_in_subckt(c)?;
                let d = data(c, line_span)?;
                if matches!(d.source, DataSource::Inline { .. }) {
                    self.open_data = Some(line_span);
                }
                Stmt::Data(Box::new(d))
            }
            ".enddata" => {
                if self.open_data.take().is_none() {
                    return Err(c.err_at(kw_tok, "'.enddata' without an inline '.data' table"));
                }
                c.finish(".enddata")?;
                return Ok(());
            }
            ".title" => {
                let rest = c.line.text.get(kw_tok.end..).unwrap_or("").trim();
                self.title = Some(rest.to_string());
                return Ok(());
            }
            ".end" => return Ok(()),
            ".hb" => {
                not_in_subckt(c)?;
                Stmt::Analysis(Box::new(hb(c, line_span)?))
            }
            ".noise" | ".disto" | ".pz" | ".sens" | ".tf" | ".pss" | ".sp" => {
                return Err(c.err_at(kw_tok, format!("unsupported analysis '{kw}'")))
            }
            ".if" | ".elseif" | ".else" | ".endif" => {
                return Err(c.err_at(
                    kw_tok,
                    format!("conditional netlist blocks ('{kw}') are not supported"),
                ))
            }
            k if IGNORED_CMDS.contains(&k) => {
                self.warnings.push(Diagnostic::warning(
                    line_span,
                    format!("'{kw}' is not supported and is ignored"),
                ));
                Stmt::Ignored {
                    what: kw.clone(),
                    span: line_span,
                }
            }
            _ => return Err(c.err_at(kw_tok, format!("unknown dot command '{kw}'"))),
        };
        self.push(stmt);
        Ok(())
    }
}

// ------------------------------------------------------------------ elements

/// `Name n+ n-`: the next two words as nodes.
fn two_nodes(c: &mut Cur, form: &str) -> DResult<[Node; 2]> {
    let a = node(c, "n+", form)?;
    let b = node(c, "n-", form)?;
    Ok([a, b])
}

fn node(c: &mut Cur, which: &str, form: &str) -> DResult<Node> {
    match c.peek() {
        Some(t) if t.kind == TokKind::Word => {
            c.pos += 1;
            Ok(c.ident(t))
        }
        Some(t) => Err(c
            .err_at(t, format!("expected node {which}, found {}", c.describe(t)))
            .with_help(format!("expected form: {form}"))),
        None => Err(Diagnostic::error(
            c.eol(),
            format!("missing node {which}: expected '{form}'"),
        )),
    }
}

fn element(c: &mut Cur) -> DResult<Element> {
    let Some(name_tok) = c.next() else {
        return Err(c.unexpected(None, "an element"));
    };
    let name = c.ident(name_tok);
    let line = c.line.full_span();
    let Some(letter) = name.name.chars().next() else {
        return Err(c.err_at(name_tok, "empty element name"));
    };
    let raw_name = c.text(name_tok);
    let kind = match letter {
        'r' | 'c' | 'l' => rcl(c, letter)?,
        'k' => {
            let form = "Kname L1 L2 coupling";
            let a = node(c, "L1", form)?;
            let b = node(c, "L2", form)?;
            let coupling = value_or_missing(c, "coupling coefficient", form)?;
            c.finish(form)?;
            ElementKind::Mutual {
                inductors: [a, b],
                coupling,
            }
        }
        'v' | 'i' => {
            let form = if letter == 'v' {
                "Vname n+ n- [DC] value [AC mag [phase]] [SIN(…)|PULSE(…)|PWL(…)|…]"
            } else {
                "Iname n+ n- [DC] value [AC mag [phase]] [SIN(…)|PULSE(…)|PWL(…)|…]"
            };
            let nodes = two_nodes(c, form)?;
            let spec = source_spec(c)?;
            if letter == 'v' {
                ElementKind::VSource {
                    nodes,
                    spec: Box::new(spec),
                }
            } else {
                ElementKind::ISource {
                    nodes,
                    spec: Box::new(spec),
                }
            }
        }
        'e' | 'g' => controlled(c, letter)?,
        'f' | 'h' => {
            let form = if letter == 'f' {
                "Fname n+ n- vcontrol gain"
            } else {
                "Hname n+ n- vcontrol transresistance"
            };
            let nodes = two_nodes(c, form)?;
            if c.peek()
                .is_some_and(|t| c.is_kw(Some(t), "poly") || t.has_head())
            {
                let kind = poly(c, letter, nodes)?;
                return Ok(Element {
                    name,
                    kind,
                    span: line,
                });
            }
            let ctrl = match c.peek() {
                Some(t) if t.kind == TokKind::Word && !c.is_kw(Some(t), "poly") => {
                    c.pos += 1;
                    c.ident(t)
                }
                t => {
                    return Err(c
                        .unexpected(t, "the name of the controlling voltage source")
                        .with_help(format!("expected form: {form}")))
                }
            };
            let mut gain = value_or_missing(c, "gain", form)?;
            if letter == 'f' {
                gain = times_m(c, gain)?;
            }
            c.finish(form)?;
            if letter == 'f' {
                ElementKind::Cccs { nodes, ctrl, gain }
            } else {
                ElementKind::Ccvs { nodes, ctrl, gain }
            }
        }
        'b' => {
            let form = "Bname n+ n- V=expression | I=expression";
            let nodes = two_nodes(c, form)?;
            let output = match (c.peek(), c.peek_at(1)) {
                (Some(t), Some(e)) if e.kind == TokKind::Eq && c.is_kw(Some(t), "v") => {
                    BOutput::Voltage
                }
                (Some(t), Some(e)) if e.kind == TokKind::Eq && c.is_kw(Some(t), "i") => {
                    BOutput::Current
                }
                (t, _) => {
                    return Err(c
                        .unexpected(t, "'V=expression' or 'I=expression'")
                        .with_help(format!("expected form: {form}")))
                }
            };
            c.pos += 2;
            let (expr, params) = c.tail_expr("expression")?;
            ElementKind::Behavioural {
                nodes,
                output,
                expr,
                params,
            }
        }
        'd' => {
            let form = "Dname anode cathode model [area] [off] [ic=v] [m=v]";
            let nodes = two_nodes(c, form)?;
            let model = match c.peek() {
                Some(t) if t.kind == TokKind::Word => {
                    c.pos += 1;
                    c.ident(t)
                }
                t => {
                    return Err(c
                        .unexpected(t, "a diode model name")
                        .with_help(format!("expected form: {form}")))
                }
            };
            let mut area = None;
            let mut off = false;
            let mut params = Vec::new();
            while let Some(t) = c.peek() {
                if c.at_assign() {
                    let p = c.assign()?;
                    if p.name.name == "area" {
                        if area.is_some() {
                            return Err(Diagnostic::error(p.name.span, "area given twice"));
                        }
                        area = Some(p.value);
                    } else {
                        params.push(p);
                    }
                } else if c.is_kw(Some(t), "off") {
                    c.pos += 1;
                    off = true;
                } else if Cur::is_value_tok(Some(t)) && area.is_none() && params.is_empty() {
                    c.pos += 1;
                    area = Some(c.value_of(t)?);
                } else {
                    return Err(c
                        .err_at(t, format!("unexpected {}", c.describe(t)))
                        .with_help(format!("expected form: {form}")));
                }
            }
            ElementKind::Diode {
                nodes,
                model,
                area,
                off,
                params,
            }
        }
        'x' => {
            let form = "Xname n1 n2 … subckt [params:] [a=v …]";
            let mut words = Vec::new();
            while let Some(t) = c.peek() {
                if c.at_assign() || c.is_kw(Some(t), "params:") {
                    break;
                }
                if t.kind != TokKind::Word {
                    return Err(c
                        .err_at(
                            t,
                            format!(
                                "expected a node or subcircuit name, found {}",
                                c.describe(t)
                            ),
                        )
                        .with_help(format!("expected form: {form}")));
                }
                c.pos += 1;
                words.push(c.ident(t));
            }
            let Some(subckt) = words.pop() else {
                return Err(Diagnostic::error(
                    if c.at_end() {
                        c.eol()
                    } else {
                        c.span(c.toks[c.pos])
                    },
                    format!("missing subcircuit name: expected '{form}'"),
                ));
            };
            if c.is_kw(c.peek(), "params:") {
                c.pos += 1;
            }
            let params = c.assigns()?;
            ElementKind::Subckt {
                nodes: words,
                subckt,
                params,
            }
        }
        'y' => {
            let form = "Y<type> name n1 n2 … model [p=v …]";
            let ty = name.name.get(1..).unwrap_or("");
            if ty.is_empty() {
                return Err(c
                    .err_at(name_tok, "missing device type after 'Y'")
                    .with_help(format!(
                        "expected form: {form}, e.g. 'YMTJ m1 a b mtjmodel'"
                    )));
            }
            let dev_type = Ident {
                name: ty.to_string(),
                span: c.line.span(name_tok.start + 1, name_tok.end),
            };
            let inst = c.name("an instance name")?;
            let mut words = Vec::new();
            while let Some(t) = c.peek() {
                if c.at_assign() {
                    break;
                }
                if t.kind != TokKind::Word {
                    return Err(c
                        .err_at(
                            t,
                            format!("expected a node or model name, found {}", c.describe(t)),
                        )
                        .with_help(format!("expected form: {form}")));
                }
                c.pos += 1;
                words.push(c.ident(t));
            }
            let Some(model) = words.pop() else {
                return Err(Diagnostic::error(
                    if c.at_end() {
                        c.eol()
                    } else {
                        c.span(c.toks[c.pos])
                    },
                    format!("missing nodes and model name: expected '{form}'"),
                ));
            };
            let params = c.assigns()?;
            return Ok(Element {
                name: inst,
                kind: ElementKind::General {
                    dev_type,
                    nodes: words,
                    model,
                    params,
                },
                span: line,
            });
        }
        other => {
            return Err(match unsupported_element(other) {
                Some(what) => c.err_at(
                    name_tok,
                    format!("unsupported element type '{raw_name}' ({what})"),
                ),
                None => c.err_at(
                    name_tok,
                    format!("unknown element or statement '{raw_name}'"),
                ),
            })
        }
    };
    Ok(Element {
        name,
        kind,
        span: line,
    })
}

fn value_or_missing(c: &mut Cur, what: &str, form: &str) -> DResult<Expr> {
    if c.at_end() {
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing {what}: expected '{form}'"),
        ));
    }
    c.value(what)
        .map_err(|d| d.with_help(format!("expected form: {form}")))
}

/// R, C, L: `Xname n+ n- [value] [model] [x=value] [params…]`. A bare
/// identifier in a positional slot is the model name (as in SPICE); numbers and
/// `{}`/`''` expressions are the value.
fn rcl(c: &mut Cur, letter: char) -> DResult<ElementKind> {
    let (form, key) = match letter {
        'r' => ("Rname n+ n- value [model] [r=value] [tc1=…] [m=…]", "r"),
        'c' => ("Cname n+ n- value [model] [c=value] [ic=…] [m=…]", "c"),
        _ => ("Lname n+ n- value [model] [l=value] [ic=…] [m=…]", "l"),
    };
    let nodes = two_nodes(c, form)?;
    let mut value: Option<Expr> = None;
    let mut model: Option<Ident> = None;
    let mut params = Vec::new();
    while let Some(t) = c.peek() {
        if c.at_assign() {
            let p = c.assign()?;
            if p.name.name == key {
                if value.is_some() {
                    return Err(Diagnostic::error(p.name.span, "value given twice"));
                }
                value = Some(p.value);
            } else {
                params.push(p);
            }
            continue;
        }
        if !params.is_empty() {
            return Err(c
                .err_at(t, format!("unexpected {} after parameters", c.describe(t)))
                .with_help(format!("expected form: {form}")));
        }
        if t.kind == TokKind::Word && is_ident(c.text(t)) {
            if model.is_some() {
                return Err(c
                    .err_at(
                        t,
                        format!("unexpected {}: model already given", c.describe(t)),
                    )
                    .with_help("write parameter values in braces: {name}"));
            }
            c.pos += 1;
            model = Some(c.ident(t));
            continue;
        }
        if Cur::is_value_tok(Some(t)) && value.is_none() {
            value = Some(c.value("a value")?);
            continue;
        }
        return Err(c
            .err_at(t, format!("unexpected {}", c.describe(t)))
            .with_help(format!("expected form: {form}")));
    }
    if value.is_none() && model.is_none() {
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing value: expected '{form}'"),
        ));
    }
    Ok(match letter {
        'r' => ElementKind::Resistor {
            nodes,
            value,
            model,
            params,
        },
        'c' => ElementKind::Capacitor {
            nodes,
            value,
            model,
            params,
        },
        _ => ElementKind::Inductor {
            nodes,
            value,
            model,
            params,
        },
    })
}

/// E and G: linear `n+ n- nc+ nc- gain`, or `VALUE={expr}` / `vol=` / `cur=`.
/// `E|G n+ n- POLY(n) c1+ c1- … cn+ cn- p0 p1 …` and `F|H n+ n- POLY(n)
/// v1 … vn p0 p1 …` (SPICE2 polynomial sources) as the B element of the
/// same polynomial: p0 + p1·x1 + … + pn·xn + p(n+1)·x1² + p(n+2)·x1·x2 + …
/// (terms by total degree, SPICE's order within a degree), x = controlling
/// voltages (E, G) or currents of the named voltage sources (F, H).
fn poly(c: &mut Cur, letter: char, nodes: [Node; 2]) -> DResult<ElementKind> {
    let form = if matches!(letter, 'e' | 'g') {
        "Ename n+ n- POLY(n) nc1+ nc1- … p0 p1 …"
    } else {
        "Fname n+ n- POLY(n) vcontrol1 … p0 p1 …"
    };
    let Some(t) = c.next() else {
        return Err(c.unexpected(None, "POLY(n)"));
    };
    let dims_tok = if t.has_head() {
        t
    } else {
        match c.next() {
            Some(g) if matches!(g.kind, TokKind::Group { .. }) => g,
            other => return Err(c.unexpected(other, "'(n)' after POLY")),
        }
    };
    let inner = c.range_text(dims_tok.inner.0, dims_tok.inner.1).trim();
    let n = match inner.parse::<usize>() {
        Ok(n) if (1..=8).contains(&n) => n,
        _ => return Err(c.err_at(dims_tok, "POLY dimension must be an integer from 1 to 8")),
    };
    let span = c.span(t);
    let mut xs: Vec<Expr> = Vec::with_capacity(n);
    for k in 0..n {
        let probe = if matches!(letter, 'e' | 'g') {
            let a = node(c, &format!("nc{}+", k + 1), form)?;
            let b = node(c, &format!("nc{}-", k + 1), form)?;
            ExprKind::Probe {
                func: "v".into(),
                args: vec![a.name, b.name],
            }
        } else {
            let v = c.name("the name of a controlling voltage source")?;
            ExprKind::Probe {
                func: "i".into(),
                args: vec![v.name],
            }
        };
        xs.push(Expr { kind: probe, span });
    }
    let mut coef = Vec::new();
    while !c.at_end() {
        if c.at_assign() {
            // ic=… of the controlling values: no effect on the polynomial
            c.assign()?;
            continue;
        }
        coef.push(c.value("a polynomial coefficient")?);
    }
    if coef.is_empty() {
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing coefficients: expected '{form}'"),
        ));
    }
    let bin = |op, a: Expr, b: Expr| Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        span,
    };
    let mut expr: Option<Expr> = None;
    for (p, exps) in coef.into_iter().zip(poly_terms(n)) {
        let mut term = p;
        for (x, &e) in xs.iter().zip(&exps) {
            for _ in 0..e {
                term = bin(crate::expr::BinOp::Mul, term, x.clone());
            }
        }
        expr = Some(match expr {
            None => term,
            Some(s) => bin(crate::expr::BinOp::Add, s, term),
        });
    }
    let expr = expr.unwrap_or_else(|| Expr::num(0.0, span));
    Ok(ElementKind::Behavioural {
        nodes,
        output: if matches!(letter, 'e' | 'h') {
            BOutput::Voltage
        } else {
            BOutput::Current
        },
        expr,
        params: Vec::new(),
    })
}

/// Exponent vectors of the terms of an n-variable polynomial in SPICE's
/// order: by total degree, and within a degree x1 first (x1², x1·x2, x2²).
fn poly_terms(n: usize) -> impl Iterator<Item = Vec<u32>> {
    fn rec(n: usize, d: u32, out: &mut Vec<Vec<u32>>, cur: &mut Vec<u32>) {
        if cur.len() == n - 1 {
            let used: u32 = cur.iter().sum();
            let mut v = cur.clone();
            v.push(d - used);
            out.push(v);
            return;
        }
        let used: u32 = cur.iter().sum();
        for e in (0..=d - used).rev() {
            cur.push(e);
            rec(n, d, out, cur);
            cur.pop();
        }
    }
    (0u32..).flat_map(move |d| {
        let mut out = Vec::new();
        rec(n, d, &mut out, &mut Vec::new());
        out
    })
}

/// A trailing `m=` of a current-output source (G, F): parallel copies,
/// folded into the gain.
fn times_m(c: &mut Cur, gain: Expr) -> DResult<Expr> {
    if !(c.at_assign()
        && c.peek()
            .is_some_and(|t| c.text(t).eq_ignore_ascii_case("m")))
    {
        return Ok(gain);
    }
    let m = c.assign()?.value;
    let span = gain.span;
    Ok(Expr {
        kind: ExprKind::Binary(crate::expr::BinOp::Mul, Box::new(gain), Box::new(m)),
        span,
    })
}

fn controlled(c: &mut Cur, letter: char) -> DResult<ElementKind> {
    let (form, kw) = if letter == 'e' {
        ("Ename n+ n- nc+ nc- gain | Ename n+ n- VALUE={expr}", "vol")
    } else {
        ("Gname n+ n- nc+ nc- gm | Gname n+ n- VALUE={expr}", "cur")
    };
    let nodes = two_nodes(c, form)?;
    let t = c.peek();
    if c.is_kw(t, "value") || c.is_kw(t, kw) {
        c.pos += 1;
        c.skip_eq();
        let (expr, params) = c.tail_expr("expression")?;
        return Ok(ElementKind::Behavioural {
            nodes,
            output: if letter == 'e' {
                BOutput::Voltage
            } else {
                BOutput::Current
            },
            expr,
            params,
        });
    }
    if let Some(t) = t {
        let w = c.text(t).to_lowercase();
        let head = c.range_text(t.head().0, t.head().1).to_lowercase();
        if w == "poly" || head == "poly" {
            return poly(c, letter, nodes);
        }
        for unsup in ["table", "laplace", "freq", "chebyshev"] {
            if w == unsup || head == unsup {
                return Err(c.err_at(
                    t,
                    format!(
                        "{} controlled sources are not supported; use VALUE={{expr}}",
                        unsup.to_uppercase()
                    ),
                ));
            }
        }
    }
    let a = node(c, "nc+", form)?;
    let b = node(c, "nc-", form)?;
    let mut gain = value_or_missing(c, "gain", form)?;
    if letter == 'g' {
        gain = times_m(c, gain)?;
    }
    c.finish(form)?;
    Ok(if letter == 'e' {
        ElementKind::Vcvs {
            nodes,
            ctrl: [a, b],
            gain,
        }
    } else {
        ElementKind::Vccs {
            nodes,
            ctrl: [a, b],
            gain,
        }
    })
}

/// Independent source specification: any order of `[DC] v`, `AC mag [phase]`
/// and one transient function (with or without parentheses).
fn source_spec(c: &mut Cur) -> DResult<SourceSpec> {
    let mut spec = SourceSpec::default();
    let is_kw = |c: &Cur, t: Option<Tok>| -> bool {
        match t {
            Some(t) if t.kind == TokKind::Word => {
                let w = c.text(t).to_lowercase();
                w == "dc"
                    || w == "ac"
                    || w == "distof1"
                    || w == "distof2"
                    || TRAN_FNS.contains(&w.as_str())
            }
            Some(t) if t.has_head() => {
                let h = c.range_text(t.head().0, t.head().1).to_lowercase();
                TRAN_FNS.contains(&h.as_str())
            }
            _ => false,
        }
    };
    while let Some(t) = c.peek() {
        let w = c.word(t).unwrap_or_default();
        let head = if t.has_head() {
            c.range_text(t.head().0, t.head().1).to_lowercase()
        } else {
            String::new()
        };
        if w == "dc" {
            c.pos += 1;
            c.skip_eq();
            // `dc 1.0 dc 0.0`: the last one counts (ngspice)
            spec.dc = Some(c.value("a DC value")?);
        } else if w == "ac" {
            c.pos += 1;
            c.skip_eq();
            if spec.ac.is_some() {
                return Err(c.err_at(t, "AC specification given twice"));
            }
            let mag = c.value("an AC magnitude")?;
            let phase = if Cur::is_value_tok(c.peek()) && !is_kw(c, c.peek()) && !c.at_assign() {
                Some(c.value("an AC phase")?)
            } else {
                None
            };
            spec.ac = Some((mag, phase));
        } else if TRAN_FNS.contains(&w.as_str()) || TRAN_FNS.contains(&head.as_str()) {
            if spec.tran.is_some() {
                return Err(c.err_at(t, "more than one transient function"));
            }
            spec.tran = Some(tran_fn(c, &is_kw)?);
        } else if w == "distof1" || w == "distof2" {
            // distortion inputs (ngspice `.disto`, not run here): accepted
            // with their magnitude and optional phase, no effect
            c.pos += 1;
            c.skip_eq();
            c.value("a distortion magnitude")?;
            if Cur::is_value_tok(c.peek()) && !is_kw(c, c.peek()) && !c.at_assign() {
                c.value("a distortion phase")?;
            }
        } else if let Some(mut inner) = spice2_group(c, t)? {
            // SPICE2 form `V1 a b 0.7 (PWL 0 0 1u 1)`, `(AC 1)`: the
            // specification inside the parentheses
            c.pos += 1;
            let sub = source_spec(&mut inner)?;
            if sub.tran.is_some() && spec.tran.is_some() {
                return Err(c.err_at(t, "more than one transient function"));
            }
            spec.tran = spec.tran.take().or(sub.tran);
            spec.ac = sub.ac.or(spec.ac.take());
            spec.dc = sub.dc.or(spec.dc.take());
        } else if t.kind == TokKind::Eq {
            return Err(c.err_at(t, "unexpected '='"));
        } else if Cur::is_value_tok(Some(t)) && !c.at_assign() {
            if spec.dc.is_some() {
                return Err(c.err_at(
                    t,
                    format!("unexpected {}: DC value already given", c.describe(t)),
                ));
            }
            spec.dc = Some(c.value("a DC value")?);
        } else {
            return Err(c.err_at(
                t,
                format!("unexpected {} in source specification", c.describe(t)),
            ));
        }
    }
    Ok(spec)
}

/// `(PWL …)`, `(SIN …)`: a group without a head whose first word is a
/// transient function; its cursor.
fn spice2_group<'l>(c: &Cur<'l>, t: Tok) -> DResult<Option<Cur<'l>>> {
    if !matches!(t.kind, TokKind::Group { .. }) || t.has_head() {
        return Ok(None);
    }
    let inner = c.sub(t)?;
    let first = inner.peek().and_then(|f| inner.word(f)).unwrap_or_default();
    Ok((TRAN_FNS.contains(&first.as_str()) || first == "ac" || first == "dc").then_some(inner))
}

/// A transient function starting at the current token.
fn tran_fn(c: &mut Cur, is_kw: &dyn Fn(&Cur, Option<Tok>) -> bool) -> DResult<TranFn> {
    let Some(t) = c.next() else {
        return Err(c.unexpected(None, "a transient function"));
    };
    let (fname, name_span) = if t.has_head() {
        let (a, b) = t.head();
        (c.range_text(a, b).to_lowercase(), c.line.span(a, b))
    } else {
        (c.text(t).to_lowercase(), c.span(t))
    };
    let mut span = c.span(t);
    // Argument tokens: inside the parentheses, or the following value tokens.
    let mut args_cur = if t.has_head() {
        c.sub(t)?
    } else if matches!(c.peek(), Some(g) if matches!(g.kind, TokKind::Group{..}) && !g.has_head()) {
        let g = c.peek().map_or(t, |g| g);
        c.pos += 1;
        span = c.span2(t, g);
        c.sub(g)?
    } else {
        let start = c.pos;
        while Cur::is_value_tok(c.peek()) && !is_kw(c, c.peek()) && !c.at_assign() {
            c.pos += 1;
        }
        if c.pos > start {
            span = c.span2(t, c.toks[c.pos - 1]);
        }
        let end = c.toks.get(c.pos).map_or(c.end, |t| t.start);
        Cur::new(c.line, c.toks[start..c.pos].to_vec(), end)
    };
    let mut args = Vec::new();
    let mut repeat = None;
    let mut delay = None;
    while let Some(a) = args_cur.peek() {
        if fname == "pwl" && args_cur.at_assign() {
            let p = args_cur.assign()?;
            match p.name.name.as_str() {
                "r" if repeat.is_none() => repeat = Some(p.value),
                "td" if delay.is_none() => delay = Some(p.value),
                "r" | "td" => {
                    return Err(Diagnostic::error(
                        p.name.span,
                        format!("PWL '{}=' given twice", p.name.name),
                    ))
                }
                other => {
                    return Err(Diagnostic::error(
                        p.name.span,
                        format!("unknown PWL keyword '{other}' (expected r= or td=)"),
                    ))
                }
            }
            continue;
        }
        if repeat.is_some() || delay.is_some() {
            return Err(args_cur.err_at(a, "PWL values must come before r= and td="));
        }
        args_cur.pos += 1;
        args.push(args_cur.value_of(a)?);
    }
    // `PWL(…) r=… td=…` after the parentheses.
    if fname == "pwl" {
        while c.at_assign() {
            let Some(n) = c.peek() else { break };
            let w = c.text(n).to_lowercase();
            if w != "r" && w != "td" {
                break;
            }
            let p = c.assign()?;
            let slot = if w == "r" { &mut repeat } else { &mut delay };
            if slot.is_some() {
                return Err(Diagnostic::error(
                    p.name.span,
                    format!("PWL '{w}=' given twice"),
                ));
            }
            *slot = Some(p.value);
            span = span.to(p.name.span);
        }
    }
    let upper = fname.to_uppercase();
    let (min, max, names) = match fname.as_str() {
        "sin" => (2, 6, "VO VA FREQ TD THETA PHASE"),
        "pulse" => (2, 8, "V1 V2 TD TR TF PW PER NP"),
        "exp" => (2, 6, "V1 V2 TD1 TAU1 TD2 TAU2"),
        "sffm" => (2, 7, "VO VA FC MDI FS PHASEC PHASES"),
        "am" => (2, 7, "VA VO MF FC TD PHASEM PHASEC"),
        "trnoise" => (2, 7, "NA NT NALPHA NAMP RTSAM RTSCAPT RTSEMT"),
        "trrandom" => (2, 5, "TYPE TS TD PARAM1 PARAM2"),
        _ => (2, usize::MAX, "t1 v1 t2 v2 …"),
    };
    if args.len() < min || args.len() > max {
        let range = if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Diagnostic::error(
            name_span,
            format!(
                "{upper} takes {range} arguments ({names}), got {}",
                args.len()
            ),
        ));
    }
    Ok(match fname.as_str() {
        "sin" => TranFn::Sin(args, span),
        "pulse" => TranFn::Pulse(args, span),
        "exp" => TranFn::Exp(args, span),
        "sffm" => TranFn::Sffm(args, span),
        "am" => TranFn::Am(args, span),
        "trnoise" => TranFn::TrNoise(args, span),
        "trrandom" => TranFn::TrRandom(args, span),
        _ => {
            if args.len() % 2 != 0 {
                return Err(Diagnostic::error(
                    name_span,
                    format!(
                        "PWL needs time/value pairs, got an odd number of values ({})",
                        args.len()
                    ),
                ));
            }
            let mut points = Vec::with_capacity(args.len() / 2);
            let mut it = args.into_iter();
            while let (Some(t), Some(v)) = (it.next(), it.next()) {
                points.push((t, v));
            }
            TranFn::Pwl {
                points,
                repeat,
                delay,
                span,
            }
        }
    })
}

// -------------------------------------------------------------- dot commands

fn func(c: &mut Cur, span: Span) -> DResult<FuncDef> {
    let form = ".func name(arg, …) {body}";
    let Some(t) = c.next() else {
        return Err(c.unexpected(None, "a function name after .func"));
    };
    let (name, args_tok) = if t.has_head() {
        let (a, b) = t.head();
        (
            Ident {
                name: c.range_text(a, b).to_lowercase(),
                span: c.line.span(a, b),
            },
            t,
        )
    } else if t.kind == TokKind::Word {
        match c.next() {
            Some(g) if matches!(g.kind, TokKind::Group { .. }) => (c.ident(t), g),
            other => {
                return Err(c
                    .unexpected(other, "'(' with the argument list")
                    .with_help(format!("expected form: {form}")))
            }
        }
    } else {
        return Err(c.unexpected(Some(t), "a function name"));
    };
    if !is_ident(&name.name) {
        return Err(Diagnostic::error(
            name.span,
            format!("invalid function name '{}'", name.name),
        ));
    }
    let mut ac = c.sub(args_tok)?;
    let mut args = Vec::new();
    while let Some(a) = ac.next() {
        if a.kind != TokKind::Word || !is_ident(ac.text(a)) {
            return Err(ac.err_at(
                a,
                format!("expected an argument name, found {}", ac.describe(a)),
            ));
        }
        args.push(ac.ident(a));
    }
    c.skip_eq();
    let (body, params) = c.tail_expr("function body")?;
    if let Some(p) = params.first() {
        return Err(Diagnostic::error(
            p.name.span,
            "unexpected 'name=value' after the function body",
        ));
    }
    Ok(FuncDef {
        name,
        args,
        body,
        span,
    })
}

fn subckt_header(c: &mut Cur, span: Span) -> DResult<SubcktDef> {
    let name = c.name("a subcircuit name after .subckt")?;
    let mut ports = Vec::new();
    while let Some(t) = c.peek() {
        if c.at_assign() || c.is_kw(Some(t), "params:") {
            break;
        }
        if t.kind != TokKind::Word {
            return Err(c.unexpected(Some(t), "a port name"));
        }
        c.pos += 1;
        ports.push(c.ident(t));
    }
    if c.is_kw(c.peek(), "params:") {
        c.pos += 1;
    }
    let params = c.assigns()?;
    Ok(SubcktDef {
        name,
        ports,
        params,
        body: Vec::new(),
        span,
    })
}

fn model(c: &mut Cur, span: Span) -> DResult<ModelDef> {
    let form = ".model name type (param=value …)";
    let name = c.name("a model name after .model")?;
    let mut params = Vec::new();
    let kind = match c.next() {
        Some(t) if t.has_head() => {
            let (a, b) = t.head();
            params.extend(c.sub(t)?.assigns()?);
            Ident {
                name: c.range_text(a, b).to_lowercase(),
                span: c.line.span(a, b),
            }
        }
        Some(t) if t.kind == TokKind::Word => c.ident(t),
        other => {
            return Err(c
                .unexpected(other, "a model type")
                .with_help(format!("expected form: {form}")))
        }
    };
    while let Some(t) = c.peek() {
        if matches!(t.kind, TokKind::Group { .. }) && !t.has_head() {
            c.pos += 1;
            params.extend(c.sub(t)?.assigns()?);
        } else {
            params.push(c.assign()?);
        }
    }
    Ok(ModelDef {
        name,
        kind,
        params,
        span,
    })
}

fn options(c: &mut Cur) -> DResult<Vec<OptionItem>> {
    let mut v = Vec::new();
    while let Some(t) = c.next() {
        if t.kind != TokKind::Word {
            return Err(c.unexpected(Some(t), "an option name"));
        }
        let name = c.ident(t);
        let value = if matches!(c.peek(), Some(e) if e.kind == TokKind::Eq) {
            c.pos += 1;
            match c.peek() {
                Some(w) if w.kind == TokKind::Word && is_ident(c.text(w)) => {
                    c.pos += 1;
                    Some(OptionValue::Word(c.ident(w)))
                }
                // a file name or other text (`diagfilename="d.txt"`,
                // `diagfilename=x.dia`, `conparam=vtest:dcv0`)
                Some(w) if w.kind == TokKind::Word && c.value_of(w).is_err() => {
                    c.pos += 1;
                    Some(OptionValue::Word(c.ident(w)))
                }
                Some(w) if w.kind == TokKind::Str => {
                    c.pos += 1;
                    Some(OptionValue::Word(Ident {
                        name: c.range_text(w.inner.0, w.inner.1).to_string(),
                        span: c.span(w),
                    }))
                }
                _ => Some(OptionValue::Expr(
                    c.value(&format!("a value for option '{}'", name.name))?,
                )),
            }
        } else {
            None
        };
        v.push(OptionItem { name, value });
    }
    Ok(v)
}

fn node_values(c: &mut Cur, cmd: &str) -> DResult<Vec<NodeValue>> {
    let mut v = Vec::new();
    while let Some(t) = c.next() {
        let head = c.range_text(t.head().0, t.head().1);
        if !t.has_head() || !head.eq_ignore_ascii_case("v") {
            return Err(c
                .unexpected(Some(t), "'v(node)=value'")
                .with_help(format!("expected form: {cmd} v(node)=value …")));
        }
        let mut inner = c.sub(t)?;
        let node = match (inner.next(), inner.peek()) {
            (Some(n), None) if n.kind == TokKind::Word => inner.ident(n),
            _ => {
                return Err(c.err_at(
                    t,
                    format!("expected a single node name in {}", c.describe(t)),
                ))
            }
        };
        match c.next() {
            Some(e) if e.kind == TokKind::Eq => {}
            other => return Err(c.unexpected(other, "'=' after v(node)")),
        }
        let value = c.value("a node value")?;
        v.push(NodeValue { node, value });
    }
    if v.is_empty() {
        return Err(c.unexpected(None, &format!("'v(node)=value' after {cmd}")));
    }
    Ok(v)
}

/// `.save items…` or `.print [analysis] items… [FILE=path] [FORMAT=csv|std|…]`.
///
/// Output lines never abort a run: an item that cannot be read (an
/// unsupported Xyce form, a stray token) or an option without a meaning here
/// is dropped with a warning naming it (returned in `warn`).
fn save(c: &mut Cur, print: bool, span: Span, warn: &mut Vec<Diagnostic>) -> DResult<SaveStmt> {
    let mut analysis = None;
    if print {
        if let Some(t) = c.peek() {
            if let Some(w) = c.word(t) {
                if PRINT_ANALYSES.contains(&w.as_str()) {
                    c.pos += 1;
                    let mut id = c.ident(t);
                    if id.name == "hb_fd" {
                        id.name = "hb".into(); // Xyce's frequency-domain table
                    }
                    analysis = Some(id);
                } else if PRINT_OTHER.contains(&w.as_str()) {
                    warn.push(
                        c.err_at(
                            t,
                            format!("'.print {w}': no such analysis here; line ignored"),
                        )
                        .into_warning(),
                    );
                    return Ok(SaveStmt {
                        analysis: None,
                        items: Vec::new(),
                        print,
                        file: None,
                        csv: false,
                        span,
                    });
                }
            }
        }
    }
    let what = if print { ".print" } else { ".save" };
    let mut items = Vec::new();
    let (mut file, mut csv) = (None, false);
    while let Some(t) = c.next() {
        // Xyce options: FORMAT=, FILE=, WIDTH=, PRECISION=, DELIMITER=, …
        if t.kind == TokKind::Word && matches!(c.peek(), Some(e) if e.kind == TokKind::Eq) {
            c.pos += 1;
            let key = c.text(t).to_lowercase();
            let Some(v) = c.next() else {
                warn.push(
                    c.err_at(t, format!("'{what}': '{key}=' without a value; ignored"))
                        .into_warning(),
                );
                break;
            };
            let val = match v.kind {
                TokKind::Str | TokKind::Quote | TokKind::Brace => {
                    c.range_text(v.inner.0, v.inner.1)
                }
                _ => c.text(v),
            };
            match key.as_str() {
                "file" if print => file = Some((val.to_string(), c.span(v))),
                "format" if print => match val.to_lowercase().as_str() {
                    "csv" => csv = true,
                    "std" | "noindex" => {}
                    f => warn.push(c.err_at(v, format!(
                        "'.print FORMAT={f}' is not supported; the table is printed in the standard format"
                    )).into_warning()),
                },
                _ => warn.push(c.err_at(t, format!("'{what}' option '{key}' is not supported and is ignored")).into_warning()),
            }
            continue;
        }
        match save_item(c, t) {
            Ok(Some(e)) => items.push(e),
            Ok(None) => {}
            Err(d) => warn.push(d.into_warning().with_help(format!(
                "the {what} item is left out; the analysis runs without it"
            ))),
        }
    }
    if items.is_empty() && !print && warn.is_empty() {
        return Err(c.unexpected(None, "an output (v(node), i(source), @dev[var] or all)"));
    }
    Ok(SaveStmt {
        analysis,
        items,
        print,
        file,
        csv,
        span,
    })
}

/// One output item of `.save`/`.print`: `v(a)`, `v(a,b)`, `vdb(a)`, `i(v1)`,
/// `@dev[var]`, `{expr}`, `all`, a bare node name (its voltage), the sweep
/// words Xyce prints (`INDEX TIME FREQ`: None, the sweep is always printed),
/// Xyce's `X1:N1` (node `n1` of `x1`: `v(x1.n1)`) and `V(*)`/`I(*)`.
fn save_item(c: &Cur, t: Tok) -> DResult<Option<Expr>> {
    let probe = |func: &str, args: Vec<String>| Expr {
        kind: ExprKind::Probe {
            func: func.to_string(),
            args,
        },
        span: c.span(t),
    };
    match t.kind {
        TokKind::Word => {
            let w = c.text(t).to_lowercase();
            if matches!(
                w.as_str(),
                "index" | "time" | "freq" | "frequency" | "sweep"
            ) {
                return Ok(None);
            }
            if w == "all" || w.starts_with('@') {
                return c.value_of(t).map(Some);
            }
            if w.contains(':') {
                // Xyce hierarchical node X1:N1 → x1.n1; a device parameter
                // (R1:R) has no voltage and is reported later as missing.
                return Ok(Some(probe("v", vec![w.replace(':', ".")])));
            }
            // A bare node name means its voltage (ngspice).
            Ok(Some(probe("v", vec![w])))
        }
        TokKind::Group { head_end } if head_end > t.start => {
            let head = c.range_text(t.start, head_end).to_lowercase();
            let inner = c.range_text(t.inner.0, t.inner.1).trim();
            if inner == "*" && matches!(head.as_str(), "v" | "i") {
                return Ok(Some(probe(&head, vec!["*".into()])));
            }
            if matches!(head.as_str(), "p" | "w") && !inner.contains(',') {
                // device power (Xyce P(dev), W(dev))
                return Ok(Some(probe(&head, vec![inner.to_lowercase()])));
            }
            let args: Vec<String> = inner.split(',').map(|a| a.trim().to_lowercase()).collect();
            if args.iter().all(|a| !a.is_empty()) && args.iter().any(|a| a.contains(':')) {
                return Ok(Some(probe(
                    &head,
                    args.iter().map(|a| a.replace(':', ".")).collect(),
                )));
            }
            c.value_of(t).map(Some)
        }
        TokKind::Group { .. } | TokKind::Brace | TokKind::Quote => c.value_of(t).map(Some),
        _ => Err(c.unexpected(Some(t), "an output (v(node), i(source), @dev[var] or all)")),
    }
}

fn dc(c: &mut Cur, span: Span) -> DResult<Analysis> {
    let form = ".dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]";
    let mut sweeps = Vec::new();
    while !c.at_end() {
        let var = c
            .name("a source or parameter name")
            .map_err(|d| d.with_help(format!("expected form: {form}")))?;
        let mut vals = Vec::with_capacity(3);
        for what in ["START", "STOP", "STEP"] {
            vals.push(value_or_missing(c, &format!(".dc {what} value"), form)?);
        }
        let mut it = vals.into_iter();
        if let (Some(start), Some(stop), Some(step)) = (it.next(), it.next(), it.next()) {
            sweeps.push(DcSweep {
                var,
                start,
                stop,
                step,
            });
        }
    }
    if sweeps.is_empty() {
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing sweep: expected '{form}'"),
        ));
    }
    if sweeps.len() > 2 {
        return Err(Diagnostic::error(
            sweeps[2].var.span,
            "at most two .dc sweeps are supported",
        ));
    }
    Ok(Analysis::Dc { sweeps, span })
}

fn ac(c: &mut Cur, span: Span) -> DResult<Analysis> {
    let form = ".ac dec|oct|lin POINTS FSTART FSTOP";
    let scale = match c.peek() {
        Some(t) => match c.word(t).as_deref() {
            Some("dec") => AcScale::Dec,
            Some("oct") => AcScale::Oct,
            Some("lin") => AcScale::Lin,
            _ => {
                return Err(c
                    .err_at(
                        t,
                        format!("expected dec, oct or lin, found {}", c.describe(t)),
                    )
                    .with_help(format!("expected form: {form}")))
            }
        },
        None => {
            return Err(Diagnostic::error(
                c.eol(),
                format!("missing sweep type: expected '{form}'"),
            ))
        }
    };
    c.pos += 1;
    let points = value_or_missing(c, "number of points", form)?;
    let fstart = value_or_missing(c, "start frequency", form)?;
    let fstop = value_or_missing(c, "stop frequency", form)?;
    c.finish(form)?;
    Ok(Analysis::Ac {
        scale,
        points,
        fstart,
        fstop,
        span,
    })
}

fn tran(c: &mut Cur, span: Span) -> DResult<Analysis> {
    let form = ".tran TSTEP TSTOP [TSTART [TMAX]] [UIC]";
    let mut vals = Vec::new();
    let mut uic = false;
    while let Some(t) = c.peek() {
        if c.is_kw(Some(t), "uic") {
            c.pos += 1;
            uic = true;
            continue;
        }
        if uic || vals.len() == 4 {
            return Err(c
                .err_at(t, format!("unexpected {}", c.describe(t)))
                .with_help(format!("expected form: {form}")));
        }
        vals.push(
            c.value("a time value")
                .map_err(|d| d.with_help(format!("expected form: {form}")))?,
        );
    }
    if vals.len() < 2 {
        let what = if vals.is_empty() { "TSTEP" } else { "TSTOP" };
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing {what}: expected '{form}'"),
        ));
    }
    let mut it = vals.into_iter();
    let (Some(tstep), Some(tstop)) = (it.next(), it.next()) else {
        return Err(Diagnostic::error(c.eol(), format!("expected '{form}'")));
    };
    Ok(Analysis::Tran {
        tstep,
        tstop,
        tstart: it.next(),
        tmax: it.next(),
        uic,
        span,
    })
}

/// `.hb F1 [F2 …] [OSC=device …]`.
fn hb(c: &mut Cur, span: Span) -> DResult<Analysis> {
    let form = ".hb F1 [F2 …] [OSC=device …]";
    let mut tones = Vec::new();
    let mut osc = Vec::new();
    while let Some(t) = c.peek() {
        if c.at_assign() {
            let key = c.ident(t);
            if key.name != "osc" {
                return Err(c
                    .err_at(t, format!("unknown .hb parameter '{}'", key.name))
                    .with_help(format!("expected form: {form}")));
            }
            c.pos += 2;
            osc.push(c.name("the oscillator's device name after OSC=")?);
            continue;
        }
        tones.push(
            c.value("a tone frequency")
                .map_err(|d| d.with_help(format!("expected form: {form}")))?,
        );
    }
    if tones.is_empty() && osc.is_empty() {
        return Err(Diagnostic::error(
            c.eol(),
            format!("missing tone: expected '{form}'"),
        ));
    }
    Ok(Analysis::Hb { tones, osc, span })
}

// ---------------------------------------------------------------------- .meas

/// A measured signal: `v(out)`, `i(v1)`, `vdb(x)`, `@d[x]`, `{expr}`, `'expr'`,
/// `par('expr')` or a name.
fn signal(c: &mut Cur, what: &str) -> DResult<Expr> {
    let t = c.peek();
    let Some(t) = t.filter(|t| Cur::is_value_tok(Some(*t))) else {
        return Err(c.unexpected(t, what));
    };
    c.pos += 1;
    if t.has_head() {
        let (a, b) = t.head();
        if c.range_text(a, b).eq_ignore_ascii_case("par") {
            let inner = c.inner_toks(t)?;
            return match inner.as_slice() {
                [q] if q.kind == TokKind::Quote => c.value_of(*q),
                _ => c.expr_range(t.inner.0, t.inner.1),
            };
        }
    }
    c.value_of(t)
}

/// `=` then a value.
fn eq_value(c: &mut Cur, key: &str) -> DResult<Expr> {
    match c.next() {
        Some(e) if e.kind == TokKind::Eq => {}
        other => return Err(c.unexpected(other, &format!("'=' after {key}"))),
    }
    c.value(&format!("a value after {key}="))
}

fn count(c: &mut Cur, key: &str) -> DResult<Count> {
    match c.next() {
        Some(e) if e.kind == TokKind::Eq => {}
        other => return Err(c.unexpected(other, &format!("'=' after {key}"))),
    }
    let Some(t) = c.next() else {
        return Err(c.unexpected(None, &format!("a count after {key}=")));
    };
    let txt = c.text(t);
    if t.kind == TokKind::Word && txt.eq_ignore_ascii_case("last") {
        return Ok(Count::Last);
    }
    match txt.parse::<u32>() {
        Ok(n) if n >= 1 && t.kind == TokKind::Word => Ok(Count::Nth(n)),
        _ => Err(c.err_at(
            t,
            format!(
                "{key}= needs a whole number ≥ 1 or LAST, found {}",
                c.describe(t)
            ),
        )),
    }
}

/// Options after a crossing: RISE|FALL|CROSS=n, TD=, FROM=, TO=. Stops at a
/// word in `stop` (e.g. `targ`).
fn condition_opts(c: &mut Cur, lhs: Expr, rhs: Expr, stop: &[&str]) -> DResult<Condition> {
    let mut edge = None;
    let mut td = None;
    let mut from = None;
    let mut to = None;
    while let Some(t) = c.peek() {
        let Some(w) = c.word(t) else {
            return Err(c.err_at(t, format!("unexpected {} in .meas", c.describe(t))));
        };
        if stop.contains(&w.as_str()) {
            break;
        }
        c.pos += 1;
        let dup = |c: &Cur| c.err_at(t, format!("'{}' given twice", w.to_uppercase()));
        match w.as_str() {
            "rise" | "fall" | "cross" => {
                if edge.is_some() {
                    return Err(c.err_at(t, "only one of RISE=, FALL=, CROSS= may be given"));
                }
                let n = count(c, &w.to_uppercase())?;
                edge = Some(match w.as_str() {
                    "rise" => Edge::Rise(n),
                    "fall" => Edge::Fall(n),
                    _ => Edge::Cross(n),
                });
            }
            "td" if td.is_none() => td = Some(eq_value(c, "TD")?),
            "from" if from.is_none() => from = Some(eq_value(c, "FROM")?),
            "to" if to.is_none() => to = Some(eq_value(c, "TO")?),
            "td" | "from" | "to" => return Err(dup(c)),
            _ => {
                return Err(c.err_at(
                    t,
                    format!(
                        "unexpected {} (expected RISE=, FALL=, CROSS=, TD=, FROM= or TO=)",
                        c.describe(t)
                    ),
                ))
            }
        }
    }
    Ok(Condition {
        lhs,
        rhs,
        edge: edge.unwrap_or(Edge::Cross(Count::Nth(1))),
        td,
        from,
        to,
    })
}

/// `… AT=x` or `… WHEN cond` after the signal of FIND (or DERIV).
fn find_at_or_when(c: &mut Cur, signal: Expr, kw: &str) -> DResult<MeasKind> {
    let t = c.peek();
    if c.is_kw(t, "at") {
        c.pos += 1;
        let at = eq_value(c, "AT")?;
        c.finish(&format!(".meas … {kw} signal AT=value"))?;
        Ok(MeasKind::FindAt { signal, at })
    } else if c.is_kw(t, "when") {
        c.pos += 1;
        let when = when_condition(c, &[])?;
        Ok(MeasKind::FindWhen { signal, when })
    } else {
        Err(c.unexpected(t, &format!("AT= or WHEN after {kw} signal")))
    }
}

/// `lhs = rhs [options]` (WHEN form).
fn when_condition(c: &mut Cur, stop: &[&str]) -> DResult<Condition> {
    let lhs = signal(c, "a signal after WHEN")?;
    match c.next() {
        Some(e) if e.kind == TokKind::Eq => {}
        other => return Err(c.unexpected(other, "'=' in WHEN signal=value")),
    }
    let rhs = signal(c, "a value or signal after '='")?;
    condition_opts(c, lhs, rhs, stop)
}

/// `TRIG`/`TARG` body: `AT=t` or `signal VAL=v [RISE|FALL|CROSS=n] [TD=] …`.
fn trigger(c: &mut Cur, key: &str, stop: &[&str]) -> DResult<Trigger> {
    if c.is_kw(c.peek(), "at") && matches!(c.peek_at(1), Some(e) if e.kind == TokKind::Eq) {
        c.pos += 1;
        let at = eq_value(c, "AT")?;
        return Ok(Trigger::At(at));
    }
    let sig = signal(c, &format!("a signal or AT= after {key}"))?;
    if !c.is_kw(c.peek(), "val") {
        return Err(c.unexpected(c.peek(), &format!("VAL= after the {key} signal")));
    }
    c.pos += 1;
    let val = eq_value(c, "VAL")?;
    Ok(Trigger::Cross(condition_opts(c, sig, val, stop)?))
}

/// `KEY=value` options of the RF measures, each at most once; `WINDOW=HANN|RECT`
/// when `window` is given.
fn rf_options(
    c: &mut Cur,
    keys: &mut [(&str, &mut Option<Expr>)],
    mut window: Option<&mut FftWindow>,
) -> DResult<()> {
    let expected = {
        let mut v: Vec<String> = keys
            .iter()
            .map(|(k, _)| format!("{}=", k.to_uppercase()))
            .collect();
        if window.is_some() {
            v.push("WINDOW=".into());
        }
        v.join(", ")
    };
    let mut window_seen = false;
    while let Some(t) = c.next() {
        let w = c.word(t).unwrap_or_default();
        if let Some((_, slot)) = keys.iter_mut().find(|(k, _)| *k == w) {
            if slot.is_some() {
                return Err(c.err_at(t, format!("'{}' given twice", w.to_uppercase())));
            }
            **slot = Some(eq_value(c, &w.to_uppercase())?);
            continue;
        }
        if w == "window" {
            if let Some(win) = window.as_deref_mut() {
                if window_seen {
                    return Err(c.err_at(t, "'WINDOW' given twice"));
                }
                window_seen = true;
                match c.next() {
                    Some(e) if e.kind == TokKind::Eq => {}
                    other => return Err(c.unexpected(other, "'=' after WINDOW")),
                }
                let Some(v) = c.next() else {
                    return Err(c.unexpected(None, "HANN or RECT after WINDOW="));
                };
                *win = match c.word(v).as_deref() {
                    Some("hann") | Some("hanning") => FftWindow::Hann,
                    Some("rect") | Some("none") => FftWindow::Rect,
                    _ => {
                        return Err(c.err_at(
                            v,
                            format!(
                                "expected HANN or RECT after WINDOW=, found {}",
                                c.describe(v)
                            ),
                        ))
                    }
                };
                continue;
            }
        }
        return Err(c.err_at(
            t,
            format!("unexpected {} (expected {expected})", c.describe(t)),
        ));
    }
    Ok(())
}

fn meas(c: &mut Cur, span: Span) -> DResult<Measure> {
    let analysis = match c.peek() {
        Some(t) => match c.word(t).as_deref() {
            Some("tran") => MeasAnalysis::Tran,
            Some("dc") => MeasAnalysis::Dc,
            Some("ac") => MeasAnalysis::Ac,
            Some("hb") | Some("hb_fd") => MeasAnalysis::Hb,
            Some("hb_td") => MeasAnalysis::HbTd,
            Some(w) if w.ends_with("_cont") => {
                return Err(c.err_at(
                    t,
                    format!(
                        "Xyce's continuous measure {} (every occurrence, written to a file of \
                         its own) is not supported here; the {} form gives the first one",
                        w.to_uppercase(),
                        w.trim_end_matches("_cont").to_uppercase()
                    ),
                ))
            }
            _ => {
                return Err(c.err_at(
                    t,
                    format!(
                        "expected tran, dc, ac, hb or hb_td after .meas, found {}",
                        c.describe(t)
                    ),
                ))
            }
        },
        None => return Err(c.unexpected(None, "tran, dc, ac, hb or hb_td after .meas")),
    };
    c.pos += 1;
    let name = c.name("a measure name")?;
    let Some(kt) = c.next() else {
        return Err(c.unexpected(
            None,
            "a measure (AVG, RMS, PP, MIN, MAX, MIN_AT, MAX_AT, INTEG, FIND, WHEN, TRIG or PARAM)",
        ));
    };
    let kw = c.word(kt).unwrap_or_default();
    let kind = match kw.as_str() {
        "avg" | "rms" | "pp" | "min" | "max" | "min_at" | "max_at" | "integ" | "integral" => {
            let func = match kw.as_str() {
                "avg" => StatFn::Avg,
                "rms" => StatFn::Rms,
                "pp" => StatFn::Pp,
                "min" => StatFn::Min,
                "max" => StatFn::Max,
                "min_at" => StatFn::MinAt,
                "max_at" => StatFn::MaxAt,
                _ => StatFn::Integ,
            };
            let signal = signal(c, "a signal")?;
            let mut from = None;
            let mut to = None;
            while let Some(t) = c.next() {
                match c.word(t).as_deref() {
                    Some("from") if from.is_none() => from = Some(eq_value(c, "FROM")?),
                    Some("to") if to.is_none() => to = Some(eq_value(c, "TO")?),
                    _ => {
                        return Err(c.err_at(
                            t,
                            format!("unexpected {} (expected FROM= or TO=)", c.describe(t)),
                        ))
                    }
                }
            }
            MeasKind::Stat {
                func,
                signal,
                from,
                to,
            }
        }
        "find" => {
            let signal = signal(c, "a signal after FIND")?;
            find_at_or_when(c, signal, "FIND")?
        }
        "when" => MeasKind::When(when_condition(c, &[])?),
        "trig" => {
            let trig = trigger(c, "TRIG", &["targ"])?;
            if !c.is_kw(c.peek(), "targ") {
                return Err(c.unexpected(c.peek(), "TARG after the TRIG specification"));
            }
            c.pos += 1;
            let targ = trigger(c, "TARG", &[])?;
            MeasKind::TrigTarg { trig, targ }
        }
        "param" => {
            match c.next() {
                Some(e) if e.kind == TokKind::Eq => {}
                other => return Err(c.unexpected(other, "'=' after PARAM")),
            }
            let e = c.value("an expression after PARAM=")?;
            c.finish(".meas … PARAM='expression'")?;
            MeasKind::Param(e)
        }
        "dcmean" | "ripple" => {
            let signal = signal(c, "a signal")?;
            let mut win = RfWindow::default();
            rf_options(
                c,
                &mut [
                    ("freq", &mut win.freq),
                    ("settle", &mut win.settle),
                    ("from", &mut win.from),
                    ("to", &mut win.to),
                ],
                None,
            )?;
            MeasKind::DcMean {
                ripple: kw == "ripple",
                signal,
                win,
            }
        }
        "toneamp" | "tonefreq" | "tonepower" | "tonedbm" | "tonephase" => {
            let signal = signal(c, "a signal")?;
            let (mut fmin, mut fmax, mut from, mut to, mut r) = (None, None, None, None, None);
            let mut window = FftWindow::Hann;
            rf_options(
                c,
                &mut [
                    ("fmin", &mut fmin),
                    ("fmax", &mut fmax),
                    ("from", &mut from),
                    ("to", &mut to),
                    ("r", &mut r),
                ],
                Some(&mut window),
            )?;
            let out = match kw.as_str() {
                "toneamp" => ToneOut::Amp,
                "tonefreq" => ToneOut::Freq,
                "tonepower" => ToneOut::Power,
                "tonephase" => ToneOut::Phase,
                _ => ToneOut::Dbm,
            };
            MeasKind::Tone {
                out,
                signal,
                fmin,
                fmax,
                from,
                to,
                r,
                window,
            }
        }
        "deriv" | "derivative" => {
            // DERIV signal AT=x | WHEN cond: FIND of the signal's derivative
            // with respect to the sweep (time, frequency, the .dc source)
            let inner = signal(c, "a signal after DERIV")?;
            let span = inner.span;
            let signal = Expr {
                kind: ExprKind::Call("deriv".into(), vec![inner]),
                span,
            };
            find_at_or_when(c, signal, "DERIV")?
        }
        "integ_abs" => {
            return Err(c.err_at(kt, format!("unsupported .meas function '{kw}'")))
        }
        _ => {
            return Err(c.err_at(
                kt,
                format!(
                    "unknown .meas kind {} (expected AVG, RMS, PP, MIN, MAX, MIN_AT, MAX_AT, INTEG, FIND, WHEN, TRIG, PARAM, DCMEAN, RIPPLE, TONEAMP, TONEFREQ, TONEPOWER, TONEDBM or TONEPHASE)",
                    c.describe(kt)
                ),
            ))
        }
    };
    Ok(Measure {
        analysis,
        name,
        kind,
        span,
    })
}

fn step(c: &mut Cur, span: Span) -> DResult<StepStmt> {
    let form = ".step [lin|dec|oct] [param] NAME START STOP STEP [unit=U] | .step [param] NAME LIST v1 v2 … [unit=U] | .step mc N | .step data=TABLE";
    // `.step data=TABLE` (Xyce) and `.step mc N` (Monte Carlo samples).
    if c.is_kw(c.peek(), "data") && matches!(c.peek_at(1), Some(t) if t.kind == TokKind::Eq) {
        c.pos += 2;
        let var = c
            .name("the name of a .data table")
            .map_err(|d| d.with_help(format!("expected form: {form}")))?;
        c.finish(".step data=TABLE")?;
        return Ok(StepStmt {
            var,
            sweep: StepSweep::Data,
            unit: None,
            span,
        });
    }
    if c.is_kw(c.peek(), "mc") && c.toks.len() == c.pos + 2 {
        let Some(t) = c.next() else {
            return Err(c.unexpected(None, "mc"));
        };
        let n = c.value("the number of Monte Carlo samples")?;
        return Ok(StepStmt {
            var: c.ident(t),
            sweep: StepSweep::Mc(n),
            unit: None,
            span,
        });
    }
    // `unit=U` at the end names the unit of the axis.
    let mut unit = None;
    let n = c.toks.len();
    if n >= c.pos + 3 {
        let (k, e, u) = (c.toks[n - 3], c.toks[n - 2], c.toks[n - 1]);
        if c.is_kw(Some(k), "unit") && e.kind == TokKind::Eq {
            if u.kind != TokKind::Word {
                return Err(c.err_at(u, "expected a unit name after unit="));
            }
            unit = Some(Ident {
                name: c.text(u).to_string(),
                span: c.span(u),
            });
            c.toks.truncate(n - 3);
        }
    }
    let mut scale = None;
    if let Some(t) = c.peek() {
        match c.word(t).as_deref() {
            Some("lin") | Some("dec") | Some("oct") if c.peek_at(1).is_some() => {
                scale = c.word(t);
                c.pos += 1;
            }
            _ => {}
        }
    }
    if c.is_kw(c.peek(), "param")
        && c.peek_at(1).is_some_and(|t| t.kind == TokKind::Word)
        && c.peek_at(2).is_some()
    {
        c.pos += 1;
    }
    let var = c
        .name("the swept name")
        .map_err(|d| d.with_help(format!("expected form: {form}")))?;
    if c.is_kw(c.peek(), "list") {
        if let Some(t) = c.peek() {
            if scale.is_some() {
                return Err(c.err_at(t, "LIST cannot be combined with lin/dec/oct"));
            }
        }
        c.pos += 1;
        let mut vals = Vec::new();
        while !c.at_end() {
            vals.push(c.value("a value")?);
        }
        if vals.is_empty() {
            return Err(Diagnostic::error(c.eol(), "missing values after LIST"));
        }
        return Ok(StepStmt {
            var,
            sweep: StepSweep::List(vals),
            unit,
            span,
        });
    }
    let start = value_or_missing(c, "START value", form)?;
    let stop = value_or_missing(c, "STOP value", form)?;
    let inc = value_or_missing(c, "STEP (or points) value", form)?;
    c.finish(form)?;
    let sweep = match scale.as_deref() {
        Some("dec") => StepSweep::Dec(start, stop, inc),
        Some("oct") => StepSweep::Oct(start, stop, inc),
        _ => StepSweep::Lin(start, stop, inc),
    };
    Ok(StepStmt {
        var,
        sweep,
        unit,
        span,
    })
}

fn missing_enddata(sp: Span) -> Diagnostic {
    Diagnostic::error(sp, "missing '.enddata' after this inline '.data' table").with_help(
        "an inline table is '.data NAME n1 n2 …' with its values on '+' lines, then '.enddata'",
    )
}

/// `.data NAME n1 n2 … v11 v12 …` (inline, Xyce) or `.data NAME file=PATH
/// [dataset=D] [param=P] [rows=A:B]`.
fn data(c: &mut Cur, span: Span) -> DResult<DataStmt> {
    let form = ".data NAME n1 n2 … v11 v12 … (then .enddata) | .data NAME file=PATH [dataset=D] [param=P] [rows=A:B]";
    let name = c
        .name("the table name")
        .map_err(|d| d.with_help(format!("expected form: {form}")))?;
    if c.is_kw(c.peek(), "file") && matches!(c.peek_at(1), Some(t) if t.kind == TokKind::Eq) {
        return data_file(c, name, span, form);
    }
    let mut names: Vec<Ident> = Vec::new();
    while let Some(t) = c.peek() {
        if t.kind != TokKind::Word || parse_number(c.text(t)).is_some() {
            break;
        }
        if !is_ident(c.text(t)) {
            return Err(c.err_at(t, format!("{} is not a parameter name", c.describe(t))));
        }
        let id = c.ident(t);
        if names.iter().any(|n| n.name == id.name) {
            return Err(c.err_at(t, format!("column '{}' is given twice", id.name)));
        }
        names.push(id);
        c.pos += 1;
    }
    if names.is_empty() {
        return Err(c.unexpected(c.peek(), "column names after the table name"));
    }
    let mut values = Vec::new();
    while let Some(t) = c.next() {
        match parse_number(c.text(t)) {
            Some((v, n)) if t.kind == TokKind::Word && n == c.text(t).len() && v.is_finite() => {
                values.push(v)
            }
            _ => {
                return Err(c.err_at(
                    t,
                    format!("expected a number in the table, found {}", c.describe(t)),
                ))
            }
        }
    }
    if values.is_empty() || values.len() % names.len() != 0 {
        return Err(Diagnostic::error(
            span,
            format!(
                "table '{}' has {} column(s) but {} value(s): not whole rows",
                name.name,
                names.len(),
                values.len()
            ),
        ));
    }
    Ok(DataStmt {
        name,
        source: DataSource::Inline { names, values },
        span,
    })
}

fn data_file(c: &mut Cur, name: Ident, span: Span, form: &str) -> DResult<DataStmt> {
    let mut f = DataFile {
        path: String::new(),
        base: Default::default(),
        path_span: span,
        dataset: None,
        param: None,
        rows: None,
    };
    while let Some(k) = c.next() {
        let key = c.word(k).unwrap_or_default();
        if !matches!(c.next(), Some(t) if t.kind == TokKind::Eq) {
            return Err(c
                .err_at(k, format!("expected 'key=value', found {}", c.describe(k)))
                .with_help(format!("expected form: {form}")));
        }
        let Some(v) = c.next() else {
            return Err(c.unexpected(None, &format!("a value after {key}=")));
        };
        let raw = match v.kind {
            TokKind::Str | TokKind::Quote | TokKind::Brace => c.range_text(v.inner.0, v.inner.1),
            _ => c.text(v),
        };
        let raw_ident = Ident {
            name: raw.to_string(),
            span: c.span(v),
        };
        match key.as_str() {
            "file" => {
                f.path = raw.to_string();
                f.path_span = c.span(v);
            }
            "dataset" => f.dataset = Some(raw_ident),
            "param" => {
                if !is_ident(raw) {
                    return Err(c.err_at(v, format!("{} is not a parameter name", c.describe(v))));
                }
                f.param = Some(c.ident(v));
            }
            "rows" => {
                f.rows = Some(
                    row_range(raw)
                        .map(|(a, b)| (a, b, c.span(v)))
                        .ok_or_else(|| {
                            c.err_at(
                                v,
                                format!(
                            "rows={raw}: expected A:B, A: or A (0-based row numbers, B excluded)"
                        ),
                            )
                        })?,
                )
            }
            _ => {
                return Err(c
                    .err_at(k, format!("unknown .data key '{key}'"))
                    .with_help(format!("expected form: {form}")))
            }
        }
    }
    if f.path.is_empty() {
        return Err(Diagnostic::error(span, "file= is empty"));
    }
    if f.dataset.is_none() && f.param.is_some() {
        return Err(Diagnostic::error(
            span,
            "param= names the columns of an HDF5 dataset: give dataset= too (a text table names its columns in its header)",
        ));
    }
    if f.dataset.is_some() && f.param.is_none() {
        return Err(Diagnostic::error(
            span,
            "an HDF5 table needs param=P: column c is the parameter P<c> (P for a 1-D dataset)",
        ));
    }
    Ok(DataStmt {
        name,
        source: DataSource::File(f),
        span,
    })
}

/// `A:B`, `A:`, `A` → (A, Some(B) | None | Some(A + 1)), with A < B.
fn row_range(s: &str) -> Option<(usize, Option<usize>)> {
    match s.split_once(':') {
        None => {
            let a: usize = s.trim().parse().ok()?;
            Some((a, Some(a + 1)))
        }
        Some((a, b)) => {
            let a: usize = if a.trim().is_empty() {
                0
            } else {
                a.trim().parse().ok()?
            };
            if b.trim().is_empty() {
                return Some((a, None));
            }
            let b: usize = b.trim().parse().ok()?;
            (b > a).then_some((a, Some(b)))
        }
    }
}
