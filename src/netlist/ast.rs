//! Parsed netlist (AST). Produced by [`super::parse_netlist`], consumed by the
//! elaborator. Names are lower-cased (SPICE is case-insensitive); every item keeps
//! its span so later stages can point at the text.
//!
//! `.include` and `.lib file section` are resolved by the reader before
//! parsing, so they never appear here; the statements they bring in carry spans
//! into the included file.

use crate::diag::Span;
use crate::expr::Expr;

/// A name with its span. `name` is lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `name=value` (model parameters, instance parameters, `.param`, `.options`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamAssign {
    pub name: Ident,
    pub value: Expr,
}

/// The whole netlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Netlist {
    /// First line of the top file (SPICE convention), verbatim.
    pub title: String,
    pub statements: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Stmt {
    Element(Element),
    /// `.model name type (params)`
    Model(ModelDef),
    /// `.subckt name ports… [params: a=1 …]` … `.ends`
    Subckt(SubcktDef),
    /// `.param a=1 b={a*2} …`
    Param(Vec<ParamAssign>, Span),
    /// `.func name(args) {body}` (or `= body`)
    Func(FuncDef),
    /// `.options k=v flag …`; a bare flag has no value. Word values (`method=gear`)
    /// are [`OptionValue::Word`].
    Options(Vec<OptionItem>, Span),
    /// `.ic v(n)=val …`
    Ic(Vec<NodeValue>, Span),
    /// `.nodeset v(n)=val …`
    Nodeset(Vec<NodeValue>, Span),
    /// `.temp t1 [t2 …]` (first value used; °C)
    Temp(Vec<Expr>, Span),
    /// `.global n1 n2 …`
    Global(Vec<Ident>, Span),
    /// `.save …` / `.print [analysis] …` (both select what is written).
    Save(SaveStmt),
    // Rare and large: boxed so that a `Stmt` stays the size of an element.
    Analysis(Box<Analysis>),
    Meas(Box<Measure>),
    Step(Box<StepStmt>),
    /// `.data NAME …`: a table whose rows are the points of `.step data=NAME`.
    Data(Box<DataStmt>),
    /// A dot-command that is accepted and ignored with a warning (`.probe`,
    /// `.control` … `.endc` block, `.backanno`, `.width`, …).
    Ignored {
        what: String,
        span: Span,
    },
}

// ---------------------------------------------------------------- elements

/// Node names are kept as written (lower-cased); `0` and `gnd` are ground
/// (the elaborator maps both to ground).
pub type Node = Ident;

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Instance name, lower-cased: the first word including its type letter
    /// (`r1`, `xamp`); for `Y<type> name …` devices the word after the type.
    /// Unique among all elements of one scope.
    pub name: Ident,
    pub kind: ElementKind,
    /// The whole logical line (for "this element" errors).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ElementKind {
    /// `Rname n+ n- [value] [r=value] [model] [tc1= tc2= m= …]`
    Resistor {
        nodes: [Node; 2],
        value: Option<Expr>,
        model: Option<Ident>,
        params: Vec<ParamAssign>,
    },
    /// `Cname n+ n- value [ic=v] [m=]`
    Capacitor {
        nodes: [Node; 2],
        value: Option<Expr>,
        model: Option<Ident>,
        params: Vec<ParamAssign>,
    },
    /// `Lname n+ n- value [ic=i] [m=]`
    Inductor {
        nodes: [Node; 2],
        value: Option<Expr>,
        model: Option<Ident>,
        params: Vec<ParamAssign>,
    },
    /// `Kname L1 L2 k`
    Mutual {
        inductors: [Ident; 2],
        coupling: Expr,
    },
    /// `Vname n+ n- [DC] v [AC mag [phase]] [transient fn]` (boxed: keeps the
    /// common element small in memory for netlists of 10⁵ elements).
    VSource {
        nodes: [Node; 2],
        spec: Box<SourceSpec>,
    },
    /// `Iname n+ n- …` (current flows from n+ through the source to n-).
    ISource {
        nodes: [Node; 2],
        spec: Box<SourceSpec>,
    },
    /// `Ename n+ n- nc+ nc- gain`
    Vcvs {
        nodes: [Node; 2],
        ctrl: [Node; 2],
        gain: Expr,
    },
    /// `Gname n+ n- nc+ nc- gm`
    Vccs {
        nodes: [Node; 2],
        ctrl: [Node; 2],
        gain: Expr,
    },
    /// `Fname n+ n- vctrl gain`
    Cccs {
        nodes: [Node; 2],
        ctrl: Ident,
        gain: Expr,
    },
    /// `Hname n+ n- vctrl transresistance`
    Ccvs {
        nodes: [Node; 2],
        ctrl: Ident,
        gain: Expr,
    },
    /// `Bname n+ n- V=expr` / `I=expr`; also `Ename n+ n- VALUE={expr}` / `vol=`
    /// (voltage) and `Gname n+ n- VALUE={expr}` / `cur=` (current) land here.
    Behavioural {
        nodes: [Node; 2],
        output: BOutput,
        expr: Expr,
        params: Vec<ParamAssign>,
    },
    /// `Dname anode cathode model [area] [off] [ic=v] [area=] [m=] [temp=]`
    Diode {
        nodes: [Node; 2],
        model: Ident,
        area: Option<Expr>,
        off: bool,
        params: Vec<ParamAssign>,
    },
    /// `Xname n1 n2 … subckt [params:] [a=1 …]`
    Subckt {
        nodes: Vec<Node>,
        subckt: Ident,
        params: Vec<ParamAssign>,
    },
    /// Xyce-style general device: `Y<type> name n1 n2 … model [p=v …]`.
    /// `dev_type` is the word after `Y` (`mtj`, `amr`, `stno`, `sd`); the
    /// instance name is `Element::name`. The nodes are the words between the
    /// name and the last word before the first `p=v` (the model); the node count
    /// depends on the device and is checked by the elaborator.
    General {
        dev_type: Ident,
        nodes: Vec<Node>,
        model: Ident,
        params: Vec<ParamAssign>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BOutput {
    Voltage,
    Current,
}

/// What an independent source does in each analysis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceSpec {
    /// DC / operating-point value (`DC v` or a bare value). None = 0, or the
    /// transient function's value at t = 0 (SPICE rule) when one is given.
    pub dc: Option<Expr>,
    /// `AC mag [phase_deg]`
    pub ac: Option<(Expr, Option<Expr>)>,
    pub tran: Option<TranFn>,
}

/// Transient source functions, arguments as written (defaults applied later).
#[derive(Debug, Clone, PartialEq)]
pub enum TranFn {
    /// `SIN(VO VA FREQ TD THETA PHASE)`
    Sin(Vec<Expr>, Span),
    /// `PULSE(V1 V2 TD TR TF PW PER [NP])`
    Pulse(Vec<Expr>, Span),
    /// `PWL(t1 v1 t2 v2 …) [r=t] [td=t]` (the keywords may also stand inside
    /// the parentheses after the pairs).
    Pwl {
        points: Vec<(Expr, Expr)>,
        repeat: Option<Expr>,
        delay: Option<Expr>,
        span: Span,
    },
    /// `EXP(V1 V2 TD1 TAU1 TD2 TAU2)`
    Exp(Vec<Expr>, Span),
    /// `SFFM(VO VA FC MDI FS [PHASEC PHASES])`
    Sffm(Vec<Expr>, Span),
    /// `AM(VA VO MF FC TD [PHASEM PHASEC])` (ngspice argument order)
    Am(Vec<Expr>, Span),
    /// `TRNOISE(NA NT [NALPHA NAMP RTSAM RTSCAPT RTSEMT])` (ngspice)
    TrNoise(Vec<Expr>, Span),
    /// `TRRANDOM(TYPE TS [TD PARAM1 PARAM2])` (ngspice)
    TrRandom(Vec<Expr>, Span),
}

// ------------------------------------------------------- dot-commands

#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    pub name: Ident,
    /// Model type word (`d`, `r`, `c`, `mtj`, `amr`, `stno`, `spindiode`, …).
    pub kind: Ident,
    pub params: Vec<ParamAssign>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubcktDef {
    pub name: Ident,
    pub ports: Vec<Node>,
    /// Default parameter values (`params:` section or trailing `a=1` on the line).
    pub params: Vec<ParamAssign>,
    /// Statements between `.subckt` and `.ends` (may hold nested `.subckt`, `.model`, `.param`).
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FuncDef {
    pub name: Ident,
    pub args: Vec<Ident>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OptionItem {
    pub name: Ident,
    pub value: Option<OptionValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Expr(Expr),
    Word(Ident),
}

/// `v(node)=value` in `.ic` / `.nodeset`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeValue {
    pub node: Node,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SaveStmt {
    /// For `.print tran …` the analysis word; None for `.save`.
    pub analysis: Option<Ident>,
    /// Each entry is a probe expression (`v(a)`, `v(a,b)`, `i(v1)`, `@dev[var]`)
    /// or the word `all` (as `ExprKind::Ident("all")`).
    pub items: Vec<Expr>,
    /// `.print` (a table of these outputs is printed), not `.save`.
    pub print: bool,
    /// `.print … FILE=path`: the table goes to this file instead of stdout.
    pub file: Option<(String, Span)>,
    /// `.print … FORMAT=CSV`: comma-separated table.
    pub csv: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Analysis {
    Op(Span),
    /// `.dc src start stop step [src2 start2 stop2 step2]`
    Dc {
        sweeps: Vec<DcSweep>,
        span: Span,
    },
    /// `.ac dec|oct|lin n fstart fstop`
    Ac {
        scale: AcScale,
        points: Expr,
        fstart: Expr,
        fstop: Expr,
        span: Span,
    },
    /// `.hb f1 [f2 …] [osc=device …]`: harmonic balance (tones in Hz;
    /// `osc=` names a free-running oscillator whose frequency is solved).
    Hb {
        tones: Vec<Expr>,
        osc: Vec<Ident>,
        span: Span,
    },
    /// `.tran tstep tstop [tstart [tmax]] [uic]`
    Tran {
        tstep: Expr,
        tstop: Expr,
        tstart: Option<Expr>,
        tmax: Option<Expr>,
        uic: bool,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DcSweep {
    /// Source name (`v1`, `i2`), `temp`, or a parameter / resistor name.
    pub var: Ident,
    pub start: Expr,
    pub stop: Expr,
    pub step: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcScale {
    Dec,
    Oct,
    Lin,
}

// ---------------------------------------------------------------- .meas

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasAnalysis {
    Tran,
    Dc,
    Ac,
    /// `.meas hb` (also `hb_fd`): on the harmonic-balance spectrum.
    Hb,
    /// `.meas hb_td`: on the harmonic-balance steady-state waveform.
    HbTd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub analysis: MeasAnalysis,
    pub name: Ident,
    pub kind: MeasKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatFn {
    Avg,
    Rms,
    Pp,
    Min,
    Max,
    Integ,
    /// `MIN_AT`: the abscissa of the minimum (its first occurrence).
    MinAt,
    /// `MAX_AT`: the abscissa of the maximum (its first occurrence).
    MaxAt,
}

#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum MeasKind {
    /// `AVG|RMS|PP|MIN|MAX|INTEG|MIN_AT|MAX_AT signal [FROM=] [TO=]`
    Stat {
        func: StatFn,
        signal: Expr,
        from: Option<Expr>,
        to: Option<Expr>,
    },
    /// `FIND signal AT=x`
    FindAt { signal: Expr, at: Expr },
    /// `FIND signal WHEN cond`
    FindWhen { signal: Expr, when: Condition },
    /// `WHEN cond` → the sweep value (time/frequency/…) where it happens.
    When(Condition),
    /// `TRIG … TARG …` → targ − trig.
    TrigTarg { trig: Trigger, targ: Trigger },
    /// `PARAM='expr'` (may reference earlier measures by name).
    Param(Expr),
    /// `DCMEAN|RIPPLE signal [FREQ=f] [SETTLE=t] [FROM=a] [TO=b]` (tran):
    /// rectified DC (mean over a whole number of periods) or its residual
    /// ripple (peak-to-peak over the same window).
    DcMean {
        ripple: bool,
        signal: Expr,
        win: RfWindow,
    },
    /// `TONEAMP|TONEFREQ|TONEPOWER|TONEDBM signal [FMIN=] [FMAX=] [FROM=]
    /// [TO=] [R=] [WINDOW=HANN|RECT]` (tran): the strongest tone of the signal
    /// in a frequency band, by FFT.
    Tone {
        out: ToneOut,
        signal: Expr,
        fmin: Option<Expr>,
        fmax: Option<Expr>,
        from: Option<Expr>,
        to: Option<Expr>,
        /// Load resistance for TONEPOWER/TONEDBM (default 50 Ω).
        r: Option<Expr>,
        window: FftWindow,
    },
}

/// Averaging window of DCMEAN/RIPPLE.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RfWindow {
    /// Frequency of the slowest tone: the window holds a whole number of its periods.
    pub freq: Option<Expr>,
    /// Start of the window (default: half way through the data).
    pub settle: Option<Expr>,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
}

/// What a tone measure returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneOut {
    /// Peak amplitude (signal unit).
    Amp,
    /// Frequency [Hz].
    Freq,
    /// Power A²/(2R) [W].
    Power,
    /// Power in dBm.
    Dbm,
    /// Phase of the tone's peak phasor [rad] (`.meas hb` only).
    Phase,
}

/// FFT window of the tone measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FftWindow {
    #[default]
    Hann,
    Rect,
}

/// `lhs=rhs` crossing, where rhs is a value (`VAL=` form) or another signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub lhs: Expr,
    pub rhs: Expr,
    pub edge: Edge,
    /// `TD=` (ignore crossings before this time), `FROM=`/`TO=` window.
    pub td: Option<Expr>,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
}

/// Which crossing counts: `RISE=n`, `FALL=n`, `CROSS=n` (n ≥ 1) or `=LAST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Rise(Count),
    Fall(Count),
    Cross(Count),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Nth(u32),
    Last,
}

#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Trigger {
    /// `TRIG signal VAL=v RISE|FALL|CROSS=n [TD=]`
    Cross(Condition),
    /// `TRIG AT=t`
    At(Expr),
}

// ---------------------------------------------------------------- .step

#[derive(Debug, Clone, PartialEq)]
pub struct StepStmt {
    /// Swept name: a `.param` (`param NAME`), or a source/element name.
    pub var: Ident,
    pub sweep: StepSweep,
    /// `unit=U` at the end of the line: the unit of the axis in the output.
    pub unit: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepSweep {
    List(Vec<Expr>),
    /// start stop increment
    Lin(Expr, Expr, Expr),
    /// start stop points-per-decade
    Dec(Expr, Expr, Expr),
    /// start stop points-per-octave
    Oct(Expr, Expr, Expr),
    /// `.step mc N`: N Monte Carlo samples (the axis `mc`, values 1…N).
    Mc(Expr),
    /// `.step data=NAME` (Xyce): one point per row of the table NAME; `var`
    /// is the table's name.
    Data,
}

// ---------------------------------------------------------------- .data

/// `.data NAME …`: a table of values for the swept names (its columns).
#[derive(Debug, Clone, PartialEq)]
pub struct DataStmt {
    pub name: Ident,
    pub source: DataSource,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// Xyce's inline form: `.data NAME n1 n2 … v11 v12 … v21 v22 …` (usually
    /// on `+` lines), closed by `.enddata`; `values` row by row.
    Inline { names: Vec<Ident>, values: Vec<f64> },
    /// `.data NAME file=PATH [dataset=D] [param=P] [rows=A:B]`.
    File(DataFile),
}

/// A table read from a file when the sweep starts (`src/sweep/data.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// The path as written; relative paths are relative to the directory of
    /// the netlist file that contains the line (`base`).
    pub path: String,
    pub base: std::path::PathBuf,
    pub path_span: Span,
    /// HDF5: the dataset (a path inside the file). Without it the file is a
    /// text table (CSV or whitespace-separated) with a header row of names.
    pub dataset: Option<Ident>,
    /// HDF5: column `c` of a 2-D dataset is the parameter `P<c>` (`P` for a
    /// 1-D dataset).
    pub param: Option<Ident>,
    /// Rows `A:B` (0-based, B excluded; `A:` to the end, `A` one row).
    pub rows: Option<(usize, Option<usize>, Span)>,
}
