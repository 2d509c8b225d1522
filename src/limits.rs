//! Bounds on every size a netlist or the command line controls, checked
//! before the work they bound starts (not by running out of memory, disk or
//! patience). Each refusal names the line, the size asked for, the limit and
//! how to lift it: `--limit NAME=VALUE` on `run` and `check`.
//!
//! | name | default | bounds |
//! |---|---|---|
//! | `points` | 10⁷ | points of one `.dc` or `.ac` analysis |
//! | `timepoints` | 10⁸ | time points of one `.tran`: refused when tstop/tmax is more (tmax defaults to tstep), stopped when the steps taken are more |
//! | `sweep` | 10⁶ | points of a sweep (the product of the `.step`/`--step` axes, each axis first) |
//! | `devices` | 10⁷ | device instances after flattening the subcircuits |
//! | `input` | 256 | MiB of netlist text: one file, and all files spliced in by `.include`/`.lib` |
//! | `depth` | 20 000 | chain of parameters defined through each other |
//! | `hierarchy` | 1 000 | subcircuit instances inside each other (each level copies its scope) |
//!
//! Fixed bounds (not options): expressions nest at most
//! [`crate::expr::parse::MAX_NESTING`] levels, `.subckt` definitions 100,
//! `.include` files 64; `.options itl1 itl2 itl4 gminsteps srcsteps` are at
//! most 10⁵ (iteration counts multiply into the time a circuit that does not
//! converge takes to fail).
//!
//! The limits are process-wide (the CLI sets them once, before parsing);
//! library users may call [`set`].

use std::sync::RwLock;

/// The limits of the process (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub points: f64,
    pub timepoints: f64,
    pub sweep: f64,
    pub devices: f64,
    /// MiB.
    pub input: f64,
    pub depth: usize,
    pub hierarchy: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            points: 1e7,
            timepoints: 1e8,
            sweep: 1e6,
            devices: 1e7,
            input: 256.0,
            depth: 20_000,
            hierarchy: 1_000,
        }
    }
}

impl Limits {
    /// The names `--limit` accepts, with what they bound.
    pub const NAMES: [(&'static str, &'static str); 7] = [
        ("points", "points of one .dc/.ac analysis"),
        ("timepoints", "time points of one .tran"),
        ("sweep", "points of a sweep"),
        ("devices", "devices after flattening subcircuits"),
        ("input", "MiB of netlist text"),
        ("depth", "depth of parameter chains"),
        (
            "hierarchy",
            "depth of subcircuit instances inside each other",
        ),
    ];

    /// Sets one limit by name (`--limit NAME=VALUE`).
    pub fn set_named(&mut self, name: &str, value: f64) -> Result<(), String> {
        if !(value >= 1.0 && value.is_finite()) {
            return Err(format!("--limit {name}={value}: the value must be ≥ 1"));
        }
        match name {
            "points" => self.points = value,
            "timepoints" => self.timepoints = value,
            "sweep" => self.sweep = value,
            "devices" => self.devices = value,
            "input" => self.input = value,
            "depth" => self.depth = value.min(1e9) as usize,
            "hierarchy" => self.hierarchy = value.min(1e9) as usize,
            _ => {
                let names: Vec<&str> = Self::NAMES.iter().map(|n| n.0).collect();
                return Err(format!(
                    "--limit {name}: unknown limit (known: {})",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Bytes of netlist text allowed.
    pub fn input_bytes(&self) -> u64 {
        (self.input * (1u64 << 20) as f64).min(u64::MAX as f64) as u64
    }
}

static LIMITS: RwLock<Option<Limits>> = RwLock::new(None);

/// The limits in force.
pub fn get() -> Limits {
    LIMITS.read().ok().and_then(|l| *l).unwrap_or_default()
}

/// Sets the limits of the process.
pub fn set(l: Limits) {
    if let Ok(mut g) = LIMITS.write() {
        *g = Some(l);
    }
}

/// The sentence that ends a refusal: the limit and how to lift it.
pub fn lift(name: &str, value: f64) -> String {
    format!("the limit is {value:e} (`--limit {name}=N` raises it)")
}

/// Stack size for a thread that parses, elaborates or runs a netlist: room
/// for [`Limits::depth`] levels of parameter nesting (about 2.5 KiB each
/// measured; 8 KiB reserved) and [`Limits::hierarchy`] levels of instances
/// (16 KiB reserved each). Only the pages used are committed.
pub fn stack_bytes() -> usize {
    let l = get();
    (64usize << 20)
        .saturating_add(l.depth.saturating_mul(8 << 10))
        .saturating_add(l.hierarchy.saturating_mul(16 << 10))
}
