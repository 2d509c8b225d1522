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
    },
    /// Parse and elaborate only; report errors and a summary.
    Check { netlist: PathBuf },
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
        Cmd::Run {
            netlist,
            output,
            params,
            quiet,
            stats,
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
            let mut bar = Bar::new(!quiet && std::io::stderr().is_terminal());
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let mut cfg = RunConfig {
                overrides: params,
                report: &mut lock,
                progress: &mut bar,
                print_op: !quiet,
                acct: stats,
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
                    if summary.points > 1 && summary.failures.len() < summary.points {
                        ExitCode::from(3)
                    } else {
                        ExitCode::from(1)
                    }
                }
            }
        }
    }
}
