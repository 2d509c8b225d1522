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
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    /// Parse and elaborate only; report errors and a summary.
    Check { netlist: PathBuf },
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

fn print_diags(diags: &[Diagnostic], sm: &SourceMap) {
    let color = std::io::stderr().is_terminal();
    for d in diags {
        eprintln!("{}", d.render(sm, color));
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check { netlist } => {
            let mut sm = SourceMap::new();
            let parsed = match parse_file(&netlist, &mut sm) {
                Ok(p) => p,
                Err(d) => {
                    print_diags(&d, &sm);
                    return ExitCode::from(1);
                }
            };
            print_diags(&parsed.warnings, &sm);
            match spinspice::elab::elaborate(&parsed.netlist, &[]) {
                Ok(c) => {
                    print_diags(&c.warnings, &sm);
                    println!(
                        "{}: ok — {} nodes, {} devices, {} analyses{}",
                        netlist.display(),
                        c.node_names.len() - 1,
                        c.devices.len(),
                        c.analyses.len(),
                        if c.steps.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", .step over {}",
                                c.steps
                                    .iter()
                                    .map(|s| s.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    print_diags(&d, &sm);
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Merge { output, inputs } => match spinspice::sweep::merge::merge(&output, &inputs) {
            Ok(r) => {
                if !r.duplicates.is_empty() {
                    eprintln!(
                        "warning: {} point(s) found in several inputs; the first input's were used",
                        r.duplicates.len()
                    );
                }
                if !r.missing.is_empty() {
                    eprintln!(
                        "warning: {} point(s) are in no input (first: {}); '{}' is marked incomplete",
                        r.missing.len(),
                        r.missing[0],
                        output.display()
                    );
                    return ExitCode::from(1);
                }
                if r.failed > 0 {
                    eprintln!("{} of {} points had failed", r.failed, r.points);
                    return ExitCode::from(3);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Cmd::Plot { what } => match plot_cmd(what) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
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
        } => {
            let mut sm = SourceMap::new();
            let parsed = match parse_file(&netlist, &mut sm) {
                Ok(p) => p,
                Err(d) => {
                    print_diags(&d, &sm);
                    return ExitCode::from(1);
                }
            };
            print_diags(&parsed.warnings, &sm);
            let text = sm
                .files()
                .first()
                .map(|f| f.text.clone())
                .unwrap_or_default();
            let mut sink: Box<dyn Sink> = match &output {
                Some(p) => match open_sink(p) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: cannot create '{}': {e}", p.display());
                        return ExitCode::from(1);
                    }
                },
                None => Box::new(NullSink),
            };
            let show = !quiet && std::io::stderr().is_terminal();
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
                print_op: !quiet,
                acct: stats,
                steps,
                sweep: SweepOptions {
                    jobs,
                    save,
                    shard,
                    cancel: None,
                },
                sweep_progress: &mut sweep_bar,
            };
            let res = run(parsed.netlist, &text, &mut cfg, sink.as_mut());
            bar.done();
            match res {
                Err(d) => {
                    print_diags(&d, &sm);
                    ExitCode::from(1)
                }
                Ok(summary) => {
                    print_diags(&summary.warnings, &sm);
                    if stats || summary.acct {
                        for s in &summary.stats {
                            for l in s.lines() {
                                eprintln!("{l}");
                            }
                        }
                        if let Some(s) = &summary.sweep_stats {
                            for l in s.lines() {
                                eprintln!("{l}");
                            }
                        }
                    }
                    if summary.failures.is_empty() {
                        return ExitCode::SUCCESS;
                    }
                    for (k, d) in &summary.failures {
                        if summary.points > 1 {
                            eprintln!("step point {}:", k + 1);
                        }
                        print_diags(std::slice::from_ref(d), &sm);
                    }
                    if let Some(p) = &output {
                        eprintln!(
                            "results computed so far are in '{}' (marked incomplete)",
                            p.display()
                        );
                    }
                    if summary.sweep && summary.failures.len() < summary.points {
                        ExitCode::from(3)
                    } else {
                        ExitCode::from(1)
                    }
                }
            }
        }
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
