//! `spinspice` command line.
//!
//! Exit codes: 0 success; 1 error (bad netlist, failed analysis — results
//! computed so far are in the output file, marked incomplete); 2 bad command
//! line; 3 a `.step` run where some points failed and the others finished.

use clap::{Parser, Subcommand};
use spinspice::analysis::run::{run, Progress, RunConfig};
use spinspice::diag::{Diagnostic, SourceMap};
use spinspice::netlist::parse_file;
use spinspice::output::{open_sink, NullSink, Sink};
use spinspice::sweep::exec::{SaveMode, SweepOptions, SweepProgress};
use spinspice::sweep::grid::{CliStep, Shard};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `eprintln!` that never panics: a closed stderr (`… 2>&1 | head -1`) is
/// not an error of the run.
macro_rules! err {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `println!` that never panics on a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "spinspice",
    version,
    about = "SPICE-like circuit simulator for spintronic netlists"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Simulate a netlist; the extension of -o picks the format (.h5/.hdf5, .csv, .raw).
    Run {
        netlist: PathBuf,
        /// Output file (.h5, .hdf5, .csv or .raw). Without it, only measures are printed.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Override a .param: NAME=VALUE (engineering suffixes allowed). Repeatable.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, f64)>,
        /// No progress bar and no operating-point listing.
        #[arg(short, long)]
        quiet: bool,
        /// Print solver statistics (steps, iterations, factorizations, time split) on stderr.
        #[arg(long)]
        stats: bool,
        /// Sweep a .param (or source/resistor value): "NAME lin START STOP N" (N points),
        /// "NAME dec|oct START STOP N" (N per decade/octave), "NAME list V1 V2 …";
        /// optional last word unit=U. Repeatable: the first varies fastest, after the
        /// netlist's .step lines; replaces a .step of the same name.
        #[arg(long = "step", value_name = "SPEC", value_parser = parse_step)]
        steps: Vec<CliStep>,
        /// Sweep points run in parallel on N threads (default: one per core).
        #[arg(short, long, value_name = "N", default_value_t = 0)]
        jobs: usize,
        /// What each point keeps: all (waveforms), measures (only the waveforms the
        /// .meas read), none (measures and status only).
        #[arg(long, value_name = "WHAT", default_value = "all", value_parser = parse_save)]
        save: SaveMode,
        /// Run only the points k with k mod N = K-1 (K = 1…N) of the sweep, for one job
        /// of a cluster array; combine the files with `spinspice merge`.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<Shard>,
        /// Print at most N errors and warnings (then their count); 0 prints all.
        #[arg(long, value_name = "N", default_value_t = 20)]
        max_errors: usize,
        /// Raise (or lower) a bound on the sizes a netlist may ask for:
        /// points, timepoints, sweep, devices, input (MiB), depth, hierarchy. Repeatable.
        #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = parse_limit)]
        limits: Vec<(String, f64)>,
    },
    /// Combine the shard files of a sweep (`run --shard K/N`) into one file, as one run
    /// of the whole sweep would have written it.
    Merge {
        /// Output file (.h5, or .csv for the tables).
        output: PathBuf,
        /// Shard files (.h5).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Draw waveforms, a measure vs a swept parameter, or a map (PNG or SVG by extension).
    Plot {
        #[command(subcommand)]
        what: PlotCmd,
    },
    /// Everything a run does before its first analysis (parse, elaborate,
    /// sweep grid, signals of .save and .meas); report errors and a summary.
    Check {
        netlist: PathBuf,
        /// As for run: overrides of .param values.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, f64)>,
        /// As for run: sweeps from the command line.
        #[arg(long = "step", value_name = "SPEC", value_parser = parse_step)]
        steps: Vec<CliStep>,
        /// Print at most N errors and warnings (then their count); 0 prints all.
        #[arg(long, value_name = "N", default_value_t = 20)]
        max_errors: usize,
        /// Raise (or lower) a bound on the sizes a netlist may ask for:
        /// points, timepoints, sweep, devices, input (MiB), depth, hierarchy. Repeatable.
        #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = parse_limit)]
        limits: Vec<(String, f64)>,
    },
}

#[derive(Subcommand)]
enum PlotCmd {
    /// Signals vs time (or frequency / swept value) from a run or one sweep point.
    Waves {
        /// HDF5 file of a run.
        file: PathBuf,
        /// Image to write (.png or .svg).
        #[arg(short, long)]
        output: PathBuf,
        /// Signal to draw, e.g. v(out). Repeatable; default: every signal (at most 8).
        #[arg(short, long = "signal", value_name = "NAME")]
        signals: Vec<String>,
        /// Analysis group (tran, ac, dc, tran_2 …); default: tran, else the first.
        #[arg(long)]
        analysis: Option<String>,
        /// Sweep point index (0-based), for a sweep file.
        #[arg(long, conflicts_with = "at")]
        point: Option<usize>,
        /// Sweep point by its values: NAME=VALUE (nearest), repeatable.
        #[arg(long, value_name = "NAME=VALUE", value_parser = parse_param)]
        at: Vec<(String, f64)>,
        /// Image size in pixels, WxH.
        #[arg(long, default_value = "960x600", value_parser = parse_size)]
        size: (u32, u32),
    },
    /// A measure vs one swept parameter, one curve per value of a second.
    Measure {
        /// HDF5 file of a sweep.
        file: PathBuf,
        /// Measure name.
        measure: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Swept parameter on the x axis (default: the first axis).
        #[arg(short)]
        x: Option<String>,
        /// Swept parameter giving one curve per value (default: the next axis, if any).
        #[arg(long)]
        curves: Option<String>,
        /// Fix the other axes: NAME=VALUE (nearest), repeatable.
        #[arg(long, value_name = "NAME=VALUE", value_parser = parse_param)]
        at: Vec<(String, f64)>,
        #[arg(long, default_value = "960x600", value_parser = parse_size)]
        size: (u32, u32),
    },
    /// Heat map of a measure over two swept parameters.
    Map {
        file: PathBuf,
        measure: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Parameter on the x axis (default: the first axis).
        #[arg(short)]
        x: Option<String>,
        /// Parameter on the y axis (default: the second axis).
        #[arg(short)]
        y: Option<String>,
        #[arg(long, value_name = "NAME=VALUE", value_parser = parse_param)]
        at: Vec<(String, f64)>,
        #[arg(long, default_value = "960x720", value_parser = parse_size)]
        size: (u32, u32),
    },
}

fn parse_limit(s: &str) -> Result<(String, f64), String> {
    let (name, v) = parse_param(s)?;
    spinspice::limits::Limits::default().set_named(&name, v)?;
    Ok((name, v))
}

/// Sets the `--limit`s before clap parses the rest (the `--step` values are
/// built, and checked against the `points` limit, while clap parses).
fn preset_limits() {
    let args: Vec<String> = std::env::args().collect();
    let mut l = spinspice::limits::Limits::default();
    for (k, a) in args.iter().enumerate() {
        let spec = match a.strip_prefix("--limit=") {
            Some(v) => Some(v),
            None if a == "--limit" => args.get(k + 1).map(String::as_str),
            None => None,
        };
        if let Some(Ok((name, v))) = spec.map(parse_limit) {
            let _ = l.set_named(&name, v);
        }
    }
    spinspice::limits::set(l);
}

fn parse_step(s: &str) -> Result<CliStep, String> {
    spinspice::sweep::grid::parse_cli_step(s)
}

fn parse_save(s: &str) -> Result<SaveMode, String> {
    SaveMode::parse(s)
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WxH, got '{s}'"))?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| format!("bad width in '{s}'"))?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| format!("bad height in '{s}'"))?;
    if !(100..=10000).contains(&w) || !(100..=10000).contains(&h) {
        return Err(format!(
            "image size {w}x{h}: each side must be 100…10000 pixels"
        ));
    }
    Ok((w, h))
}

/// One progress bar for a sweep: points done / total and ETA, on stderr.
struct SweepBar {
    enabled: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl SweepProgress for SweepBar {
    fn begin(&mut self, total: usize) {
        if !self.enabled {
            return;
        }
        let b = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} points{msg} eta {eta}",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        self.bar = Some(b);
    }
    fn point_done(&mut self, done: usize, failed: usize) {
        if let Some(b) = &self.bar {
            b.set_position(done as u64);
            if failed > 0 {
                b.set_message(format!(" ({failed} failed)"));
            }
        }
    }
    fn end(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn parse_param(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got '{s}'"))?;
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(format!("missing parameter name in '{s}'"));
    }
    let v = value.trim();
    match spinspice::expr::number::parse_number(v) {
        Some((x, n)) if n == v.len() && x.is_finite() => Ok((name, x)),
        _ => Err(format!("'{v}' is not a number")),
    }
}

/// Progress bar on stderr, shown only after one second and only on a terminal.
struct Bar {
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
    enabled: bool,
}

impl Bar {
    fn new(enabled: bool) -> Bar {
        Bar {
            start: Instant::now(),
            bar: None,
            enabled,
        }
    }
    fn done(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn set(&mut self, frac: f64) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() {
            if self.start.elapsed() < Duration::from_secs(1) {
                return;
            }
            let b = indicatif::ProgressBar::new(1000);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {percent:>3}% eta {eta}",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(b);
        }
        if let Some(b) = &self.bar {
            b.set_position((frac.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }
}

/// Prints diagnostics on stderr: the first `max` (all when `max` is 0),
/// then how many more there were. Returns how many were not shown.
fn print_diags(diags: &[Diagnostic], sm: &SourceMap, max: usize) -> usize {
    let color = std::io::stderr().is_terminal();
    let shown = if max == 0 {
        diags.len()
    } else {
        max.min(diags.len())
    };
    let mut e = std::io::stderr().lock();
    for d in &diags[..shown] {
        let _ = writeln!(e, "{}", d.render(sm, color));
    }
    let rest = &diags[shown..];
    if !rest.is_empty() {
        let errors = rest.iter().filter(|d| d.is_error()).count();
        let _ = writeln!(
            e,
            "… and {} more ({errors} errors, {} warnings) not shown; --max-errors 0 shows all",
            rest.len(),
            rest.len() - errors
        );
    }
    rest.len()
}

fn main() -> ExitCode {
    preset_limits();
    let cli = Cli::parse();
    // Parsing and elaboration recurse with the nesting of the netlist: a
    // thread with room for `--limit depth` levels does the work.
    let worker = std::thread::Builder::new()
        .name("spinspice".into())
        .stack_size(spinspice::limits::stack_bytes())
        .spawn(move || command(cli.cmd));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => ExitCode::from(101), // a panic, already reported
        Err(e) => {
            err!("error: cannot start the main thread: {e}");
            ExitCode::from(1)
        }
    }
}

fn command(cmd: Cmd) -> ExitCode {
    match cmd {
        Cmd::Check {
            netlist,
            params,
            steps,
            max_errors,
            limits: _,
        } => {
            let mut sm = SourceMap::new();
            let parsed = match parse_file(&netlist, &mut sm) {
                Ok(p) => p,
                Err(d) => {
                    print_diags(&d, &sm, max_errors);
                    return ExitCode::from(1);
                }
            };
            let mut warnings = parsed.warnings;
            match spinspice::analysis::run::check(&parsed.netlist, &params, &steps) {
                Ok(c) => {
                    warnings.extend(c.warnings);
                    print_diags(&warnings, &sm, max_errors);
                    let sweep = match &c.sweep {
                        None => String::new(),
                        Some((names, n)) => {
                            format!(", .step over {} ({n} points)", names.join(", "))
                        }
                    };
                    out!(
                        "{}: ok — {} nodes, {} devices, {} unknowns, {} analyses{sweep}",
                        netlist.display(),
                        c.nodes,
                        c.devices,
                        c.unknowns,
                        c.analyses,
                    );
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    warnings.extend(d);
                    print_diags(&warnings, &sm, max_errors);
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Merge { output, inputs } => match spinspice::sweep::merge::merge(&output, &inputs) {
            Ok(r) => {
                if !r.duplicates.is_empty() {
                    err!(
                        "warning: {} point(s) found in several inputs; the first input's were used",
                        r.duplicates.len()
                    );
                }
                if !r.missing.is_empty() {
                    err!(
                        "warning: {} point(s) are in no input (first: {}); '{}' is marked incomplete",
                        r.missing.len(),
                        r.missing[0],
                        output.display()
                    );
                    return ExitCode::from(1);
                }
                if r.failed > 0 {
                    err!("{} of {} points had failed", r.failed, r.points);
                    return ExitCode::from(3);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                err!("error: {e}");
                ExitCode::from(1)
            }
        },
        Cmd::Plot { what } => match plot_cmd(what) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                err!("error: {e}");
                ExitCode::from(1)
            }
        },
        Cmd::Run {
            netlist,
            output,
            params,
            quiet,
            stats,
            steps,
            jobs,
            save,
            shard,
            max_errors,
            limits: _,
        } => {
            let opts = RunOpts {
                quiet,
                stats,
                max_errors,
            };
            let cfg = (
                params,
                steps,
                SweepOptions {
                    jobs,
                    save,
                    shard,
                    cancel: None,
                },
            );
            cmd_run(&netlist, output.as_deref(), cfg, &opts)
        }
    }
}

/// Display options of `run`.
struct RunOpts {
    quiet: bool,
    stats: bool,
    max_errors: usize,
}

fn cmd_run(
    netlist: &std::path::Path,
    output: Option<&std::path::Path>,
    (params, steps, sweep): (Vec<(String, f64)>, Vec<CliStep>, SweepOptions),
    opts: &RunOpts,
) -> ExitCode {
    if let Err(e) = spinspice::interrupt::install() {
        err!("warning: cannot catch SIGINT/SIGTERM ({e}): an interrupted run will not finish its output file");
    }
    let mut sm = SourceMap::new();
    let parsed = match parse_file(netlist, &mut sm) {
        Ok(p) => p,
        Err(d) => {
            print_diags(&d, &sm, opts.max_errors);
            return ExitCode::from(1);
        }
    };
    print_diags(&parsed.warnings, &sm, opts.max_errors);
    let text = sm
        .files()
        .first()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    let mut sink: Box<dyn Sink> = match output {
        Some(p) => match open_sink(p) {
            Ok(s) => s,
            Err(e) => {
                err!("error: {e}");
                return ExitCode::from(1);
            }
        },
        None => Box::new(NullSink),
    };
    let show = !opts.quiet && std::io::stderr().is_terminal();
    let mut bar = Bar::new(show);
    let mut sweep_bar = SweepBar {
        enabled: show,
        bar: None,
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let mut cfg = RunConfig {
        overrides: params,
        report: &mut lock,
        progress: &mut bar,
        print_op: !opts.quiet,
        acct: opts.stats,
        steps,
        sweep,
        sweep_progress: &mut sweep_bar,
    };
    let res = run(parsed.netlist, &text, &mut cfg, sink.as_mut());
    bar.done();
    let kept = || {
        if let Some(p) = output {
            err!(
                "results computed so far are in '{}' (marked incomplete)",
                p.display()
            );
        }
    };
    if spinspice::interrupt::requested() {
        err!("interrupted by a signal");
        kept();
        return ExitCode::from(spinspice::interrupt::EXIT_STATUS);
    }
    let summary = match res {
        Err(d) => {
            // Nothing ran (or the output failed): the file says incomplete.
            let _ = sink.finish(false);
            print_diags(&d, &sm, opts.max_errors);
            return ExitCode::from(1);
        }
        Ok(summary) => summary,
    };
    print_diags(&summary.warnings, &sm, opts.max_errors);
    if opts.stats || summary.acct {
        let sweep = summary.sweep_stats.iter().flat_map(|s| s.lines());
        for l in summary.stats.iter().flat_map(|s| s.lines()).chain(sweep) {
            err!("{l}");
        }
    }
    if summary.failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    let shown = if opts.max_errors == 0 {
        summary.failures.len()
    } else {
        opts.max_errors.min(summary.failures.len())
    };
    for (k, d) in &summary.failures[..shown] {
        if summary.points > 1 {
            err!("step point {}:", k + 1);
        }
        print_diags(std::slice::from_ref(d), &sm, 0);
    }
    if summary.sweep {
        err!(
            "{} of {} points failed{}",
            summary.failures.len(),
            summary.points,
            if shown < summary.failures.len() {
                format!(" (the first {shown} shown; every point's error is in the output file, --max-errors 0 prints all)")
            } else {
                String::new()
            }
        );
    }
    kept();
    if summary.sweep && summary.failures.len() < summary.points {
        ExitCode::from(3)
    } else {
        ExitCode::from(1)
    }
}

fn plot_cmd(what: PlotCmd) -> Result<(), String> {
    use spinspice::plot::{self, Select};
    match what {
        PlotCmd::Waves {
            file,
            output,
            signals,
            analysis,
            point,
            at,
            size,
        } => {
            let sel = match point {
                Some(k) => Select::Index(k),
                None => Select::At(at),
            };
            plot::waves_file(&file, &output, &signals, analysis.as_deref(), &sel, size)
        }
        PlotCmd::Measure {
            file,
            measure,
            output,
            x,
            curves,
            at,
            size,
        } => plot::measure_file(
            &file,
            &measure,
            &output,
            x.as_deref(),
            curves.as_deref(),
            &at,
            size,
        ),
        PlotCmd::Map {
            file,
            measure,
            output,
            x,
            y,
            at,
            size,
        } => plot::map_file(
            &file,
            &measure,
            &output,
            x.as_deref(),
            y.as_deref(),
            &at,
            size,
        ),
    }
}
