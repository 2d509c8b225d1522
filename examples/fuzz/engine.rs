//! The mutation engine of the fuzz harness, shared by the short run in CI
//! (`tests/fuzz.rs`) and the long run (`cargo run --release --example fuzz`).
//!
//! A mutant is a bundled netlist (`netlists/*.cir`, `tests/netlists/*.cir`)
//! with one mutation (a quarter of them two to four): lines deleted, duplicated (up to 500 times),
//! swapped or spliced in from another netlist; tokens deleted, inserted
//! (SPICE keywords, punctuation, directives that were crashers or hangs),
//! numbers replaced by extreme ones; values wrapped in deep parentheses;
//! bytes inserted; the text truncated. It is checked in process
//! ([`check`]: parse, elaborate, build the system, resolve every signal)
//! under small limits, a panic caught and reported; a failing mutant is
//! minimized line by line, then word by word ([`minimize`]).

#![allow(dead_code)]

use spinspice::analysis::run::{run, NoProgress, RunConfig};
use spinspice::output::NullSink;
use spinspice::sweep::exec::{NoSweepProgress, SaveMode, SweepOptions};
use std::path::PathBuf;

/// xorshift64*: reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled netlists: (name, text).
pub fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["netlists", "tests/netlists"] {
        let Ok(rd) = std::fs::read_dir(repo().join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for p in files {
            if p.extension().is_some_and(|e| e == "cir") {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    out.push((p.file_name().unwrap().to_string_lossy().into_owned(), t));
                }
            }
        }
    }
    out
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "'",
    "\"",
    "=",
    "==",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^",
    "?",
    ":",
    "[",
    "]",
    "@",
    "$",
    ";",
    "0",
    "gnd",
    "v(",
    "i(",
    "@m1[mx]",
    "params:",
    "dc",
    "ac",
    "sin(",
    "pulse(",
    "pwl(",
    "exp(",
    "sffm(",
    "am(",
    "uic",
    "off",
    "list",
    "lin",
    "dec",
    "oct",
    "temp",
    "time",
    "nan",
    "inf",
    "1e308",
    "-1e308",
    "1e-308",
    "0.0",
    "-0",
    "1meg",
    "1e999",
    "x1",
    "r1",
    "c1",
    "model",
    "level=99",
    "ic=",
    "m=0",
    "tc1=1e300",
    "from=",
    "to=",
    "at=",
    "rise=0",
    "cross=last",
    "td=-1",
    "freq=0",
    "settle=-1",
    "r=0",
    "fmin=1e30",
    "window=rect",
];

const LINES: &[&str] = &[
    ".subckt s a b",
    ".ends",
    ".param p={p}",
    ".param q={q+1} r={q}",
    ".include /dev/zero",
    ".include /dev/urandom",
    ".include .",
    ".include nonexistent.inc",
    ".lib nolib.l sec",
    ".step param p list 1 2 3",
    ".step oct param p 1 1e300 1e6",
    ".step dec param p 1 1e300 1e9",
    ".tran 1n 1",
    ".tran 1f 1",
    ".tran 0 0",
    ".ac dec 1e9 1 1e9",
    ".ac lin 1e12 1 2",
    ".dc v1 0 1 1e-15",
    ".op",
    ".temp 0 27 85",
    ".options reltol=0 abstol=0 itl4=0 method=gear maxord=99",
    ".options minstep=1e300",
    ".meas tran m avg v(nowhere)",
    ".meas tran m2 when v(a)=0 cross=last",
    ".meas tran m3 param='m3+1'",
    ".meas tran m4 tonefreq v(a) fmin=1 fmax=0",
    ".meas tran m5 dcmean v(a) freq=0",
    ".save @x1.m1[nothing] v(a,b) i(zz) all",
    ".print tran v(a)",
    ".ic v(a)=1e300",
    ".nodeset v(zz)=1",
    ".global a",
    ".func f(x)={f(x)}",
    ".func g(x,y)={x/y}",
    "X1 a b s",
    "X2 a s",
    "R1 a a 0",
    "C1 a 0 -1",
    "L1 a 0 0",
    "K1 L1 L2 2",
    "V9 a 0 pwl(1 0 0 1)",
    "I9 a 0 1e300",
    "E9 a 0 a 0 1e300",
    "B9 a 0 v={1/v(a)}",
    "D9 a 0 nomodel",
    ".model dm d(is=-1 n=0 rs=-1 cjo=1e300)",
    "YMTJ m9 a 0 nomodel",
    "+ a=1",
    ".end",
    ".control",
    ".endc",
];

const NUMS: &[&str] = &[
    "0",
    "-0",
    "1e300",
    "-1e300",
    "1e-300",
    "nan",
    "inf",
    "1e999",
    "1f",
    "1t",
    "99999999999999999999",
    "1e",
    "1.2.3",
    "-1",
    "0.5",
    "1meg",
    "1k2",
];

/// One to four random mutations of `text`.
pub fn mutate(rng: &mut Rng, text: &str, corpus: &[(String, String)]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // mostly one mutation, sometimes up to four
    let count = if rng.below(4) == 0 {
        2 + rng.below(3)
    } else {
        1
    };
    for _ in 0..count {
        let n = lines.len().max(1);
        match rng.below(12) {
            0 if lines.len() > 1 => {
                lines.remove(1 + rng.below(n - 1));
            }
            1 => {
                let k = rng.below(n);
                let l = lines.get(k).cloned().unwrap_or_default();
                let times = *rng.pick(&[1, 2, 10, 500]);
                for _ in 0..times {
                    lines.insert(k, l.clone());
                }
            }
            2 if lines.len() > 2 => {
                let (a, b) = (1 + rng.below(n - 1), 1 + rng.below(n - 1));
                lines.swap(a, b);
            }
            3 => {
                let k = rng.below(n);
                let (_, other) = rng.pick(corpus);
                let ol: Vec<&str> = other.lines().collect();
                if !ol.is_empty() {
                    lines.insert(
                        k.max(1).min(lines.len()),
                        ol[rng.below(ol.len())].to_string(),
                    );
                }
            }
            4 => {
                let k = 1.min(n - 1) + rng.below(n);
                lines.insert(k.min(lines.len()), rng.pick(LINES).to_string());
            }
            5 | 6 => edit_words(rng, &mut lines, |rng, w| match rng.below(3) {
                0 => String::new(),
                1 => format!("{w} {}", rng.pick(TOKENS)),
                _ => rng.pick(TOKENS).to_string(),
            }),
            7 => edit_words(rng, &mut lines, |rng, w| {
                if w.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
                    rng.pick(NUMS).to_string()
                } else {
                    w.to_string()
                }
            }),
            8 => edit_words(rng, &mut lines, |rng, w| {
                let d = *rng.pick(&[1, 5, 70, 300]);
                format!("{{{}{w}{}}}", "(".repeat(d), ")".repeat(d))
            }),
            9 => {
                let k = rng.below(n);
                if let Some(l) = lines.get_mut(k) {
                    let junk = *rng.pick(&[
                        "\u{0}", "\u{fffd}", "é", "\t", "\r", "`", "\\", "{{", "}}}", "µ",
                    ]);
                    let at = (0..=l.len())
                        .filter(|&i| l.is_char_boundary(i))
                        .nth(rng.below(l.len() + 1))
                        .unwrap_or(0);
                    l.insert_str(at, junk);
                }
            }
            10 => {
                let keep = rng.below(n + 1);
                lines.truncate(keep.max(1));
            }
            _ => {
                let k = rng.below(n);
                if let Some(l) = lines.get_mut(k) {
                    *l = l.to_uppercase();
                }
            }
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// Applies `f` to one random word of one random line.
fn edit_words(rng: &mut Rng, lines: &mut [String], f: impl Fn(&mut Rng, &str) -> String) {
    if lines.is_empty() {
        return;
    }
    let k = rng.below(lines.len());
    let words: Vec<String> = lines[k].split(' ').map(String::from).collect();
    if words.is_empty() {
        return;
    }
    let j = rng.below(words.len());
    let mut out = words.clone();
    out[j] = f(rng, &words[j]);
    lines[k] = out.join(" ");
}

/// The limits a mutant runs under: every size small, so no mutant can take
/// long (a legitimate big request is refused, which is what we want to see).
pub fn small_limits() {
    let mut l = spinspice::limits::Limits::default();
    for (n, v) in [
        ("points", 2e4),
        ("timepoints", 2e4),
        ("sweep", 16.0),
        ("devices", 2e4),
        ("input", 4.0),
        ("depth", 500.0),
        ("hierarchy", 50.0),
    ] {
        let _ = l.set_named(n, v);
    }
    spinspice::limits::set(l);
}

/// What a mutant did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Checked (or ran) fine.
    Ok,
    /// Refused with errors (how many).
    Errors(usize),
    /// A panic: its message.
    Panic(String),
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// `spinspice check` in process: parse, elaborate, build, resolve signals.
/// Includes resolve against `netlists/`.
pub fn check(text: &str) -> Outcome {
    let r = std::panic::catch_unwind(|| {
        let mut sm = spinspice::diag::SourceMap::new();
        let base = repo().join("netlists");
        let parsed = match spinspice::netlist::parse_str("mutant.cir", text, &base, &mut sm) {
            Ok(p) => p,
            Err(d) => {
                render_all(&d, &sm);
                return Outcome::Errors(d.len());
            }
        };
        match spinspice::analysis::run::check(&parsed.netlist, &[], &[]) {
            Ok(_) => Outcome::Ok,
            Err(d) => {
                render_all(&d, &sm);
                Outcome::Errors(d.len())
            }
        }
    });
    r.unwrap_or_else(|p| Outcome::Panic(panic_message(p)))
}

/// The messages are rendered too (the renderer was a crasher).
fn render_all(d: &[spinspice::diag::Diagnostic], sm: &spinspice::diag::SourceMap) {
    for x in d.iter().take(20) {
        let _ = x.render(sm, false);
    }
}

/// `spinspice run` in process (no output file, one worker).
pub fn simulate(text: &str) -> Outcome {
    let r = std::panic::catch_unwind(|| {
        let mut sm = spinspice::diag::SourceMap::new();
        let base = repo().join("netlists");
        let parsed = match spinspice::netlist::parse_str("mutant.cir", text, &base, &mut sm) {
            Ok(p) => p,
            Err(d) => return Outcome::Errors(d.len()),
        };
        let mut report = Vec::new();
        let (mut np, mut nsp) = (NoProgress, NoSweepProgress);
        let mut cfg = RunConfig {
            overrides: Vec::new(),
            report: &mut report,
            progress: &mut np,
            print_op: true,
            acct: false,
            steps: Vec::new(),
            sweep: SweepOptions {
                jobs: 1,
                save: SaveMode::All,
                shard: None,
                cancel: None,
            },
            sweep_progress: &mut nsp,
        };
        let mut sink = NullSink;
        match run(parsed.netlist, text, &mut cfg, &mut sink) {
            Ok(s) if s.failures.is_empty() => Outcome::Ok,
            Ok(s) => {
                // a point that panicked inside a sweep is a failure with this text
                if let Some((_, d)) = s
                    .failures
                    .iter()
                    .find(|(_, d)| d.message.contains("(panic)"))
                {
                    return Outcome::Panic(d.message.clone());
                }
                Outcome::Errors(s.failures.len())
            }
            Err(d) => Outcome::Errors(d.len()),
        }
    });
    r.unwrap_or_else(|p| Outcome::Panic(panic_message(p)))
}

/// The smallest text (by lines, then words) for which `bad` still holds.
pub fn minimize(text: &str, bad: &dyn Fn(&str) -> bool) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let join = |l: &[String]| {
        let mut s = l.join("\n");
        s.push('\n');
        s
    };
    let mut changed = true;
    while changed {
        changed = false;
        let mut k = 1;
        while k < lines.len() {
            let mut trial = lines.clone();
            trial.remove(k);
            if bad(&join(&trial)) {
                lines = trial;
                changed = true;
            } else {
                k += 1;
            }
        }
        for k in 0..lines.len() {
            let mut j = 0;
            loop {
                let words: Vec<&str> = lines[k].split(' ').collect();
                if j >= words.len() || words.len() < 2 {
                    break;
                }
                let mut w: Vec<&str> = words.clone();
                w.remove(j);
                let mut trial = lines.clone();
                trial[k] = w.join(" ");
                if bad(&join(&trial)) {
                    lines = trial;
                    changed = true;
                } else {
                    j += 1;
                }
            }
        }
    }
    join(&lines)
}

/// Writes a minimized crasher into `tests/fuzz_regressions/`, named by a
/// hash of its text; returns the path.
pub fn save_regression(text: &str) -> std::io::Result<PathBuf> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let dir = repo().join("tests/fuzz_regressions");
    std::fs::create_dir_all(&dir)?;
    let p = dir.join(format!("{h:016x}.cir"));
    std::fs::write(&p, text)?;
    Ok(p)
}

/// The saved crashers (now fixed): (path, text).
pub fn regressions() -> Vec<(PathBuf, String)> {
    let dir = repo().join("tests/fuzz_regressions");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<(PathBuf, String)> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cir"))
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    v.sort();
    v
}
