//! The DAE system **F(x) + dQ(x)/dt = 0** assembled from devices.
//!
//! Unknown 0 is ground: it is never solved, `x[0] == 0` always, and every
//! matrix slot touching row or column 0 is a trash slot, so devices stamp
//! without branching on ground. Unknowns `1..=n` are node voltages, branch
//! currents, internal nodes and device internal states, in allocation order;
//! the linear solver sees them as `0..n`.
//!
//! Matrix values (G = ∂F/∂x, C = ∂Q/∂x) live in arrays in the CSC order of one
//! pattern fixed at build time, plus one trailing trash entry. Linear devices
//! stamp once into `g_lin`/`c_lin`; their residual contribution is computed by
//! a sparse matrix–vector product. Nonlinear devices stamp every Newton
//! iteration. No allocation happens after [`System::build`].

use crate::devices::Device;
use crate::diag::{DResult, Diagnostic};
use crate::solver::CscPattern;
use std::collections::HashMap;

/// What an unknown is; sets its unit and default tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKind {
    /// Node voltage (external or device-internal node) [V].
    Voltage,
    /// Branch current [A].
    Current,
    /// Device internal state (magnetization component, oscillator amplitude…);
    /// its tolerances are given by the device.
    State,
}

/// Description of one unknown.
#[derive(Debug, Clone)]
pub struct UnknownInfo {
    /// `out`, `x1.n2`, `v1#branch`, `m1#mx` …
    pub name: String,
    pub kind: UnknownKind,
    pub unit: String,
    /// Absolute tolerance (Newton update and truncation error), in `unit`.
    pub abstol: f64,
    /// Relative tolerance; None = the circuit's `reltol`.
    pub reltol: Option<f64>,
    /// Whether this is a node of the netlist (saved by default) rather than
    /// a device-internal node.
    pub external: bool,
    /// Index of the owning device (None for circuit nodes).
    pub owner: Option<usize>,
    /// Whether the unknown enters the truncation-error control when it is
    /// differential (false for states driven by white noise, whose
    /// divided differences measure the noise, not the integration error).
    pub lte: bool,
}

/// Simulator tolerances and limits (`.options`).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub reltol: f64,
    /// Absolute current tolerance [A].
    pub abstol: f64,
    /// Absolute voltage tolerance [V].
    pub vntol: f64,
    /// Charge tolerance [C] (used for residual scaling of charge rows).
    pub chgtol: f64,
    /// Truncation-error overestimation factor (SPICE `trtol`).
    pub trtol: f64,
    /// Minimum conductance added across pn junctions [S].
    pub gmin: f64,
    /// DC iteration limit (ITL1).
    pub itl1: usize,
    /// DC transfer-curve iteration limit (ITL2).
    pub itl2: usize,
    /// Transient iteration limit per time point (ITL4).
    pub itl4: usize,
    /// Integration method.
    pub method: Method,
    /// Maximum integration order (1 or 2).
    pub maxord: usize,
    /// Output on a uniform `tstep` grid instead of the accepted time points.
    pub interp: bool,
    /// Circuit temperature [°C] and nominal model temperature [°C].
    pub temp: f64,
    pub tnom: f64,
    /// Smallest allowed time step [s] (0 = derived from tstop).
    pub minstep: f64,
    /// gmin stepping steps and source stepping steps for `.op`.
    pub gminsteps: usize,
    pub srcsteps: usize,
    /// Collect and print run statistics and time split (`.options acct`, `--stats`).
    pub acct: bool,
    /// Reference of relative tolerances (`.options relref=`).
    pub relref: RelRef,
}

/// What `reltol` is relative to in the Newton update test (Spectre's
/// `relref`). The truncation-error test always uses the present values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelRef {
    /// The largest |x_i| seen so far in the analysis (default): an RF signal
    /// passing through zero keeps a Newton tolerance proportional to its
    /// amplitude instead of `abstol`.
    SigGlobal,
    /// The present |x_i| only (SPICE): the tolerance shrinks to `abstol`/
    /// `vntol` at every zero crossing.
    PointLocal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Trap,
    Gear,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            reltol: 1e-3,
            abstol: 1e-12,
            vntol: 1e-6,
            chgtol: 1e-14,
            trtol: 7.0,
            gmin: 1e-12,
            itl1: 100,
            itl2: 50,
            itl4: 10,
            method: Method::Trap,
            maxord: 2,
            interp: false,
            temp: 27.0,
            tnom: 27.0,
            minstep: 0.0,
            gminsteps: 10,
            srcsteps: 10,
            acct: false,
            relref: RelRef::SigGlobal,
        }
    }
}

/// Analysis mode seen by devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `.op` / `.dc`: dQ/dt = 0; sources use their DC value.
    Dc,
    /// Operating point at t = 0 before a transient: dQ/dt = 0; sources use
    /// their transient function at t = 0 (SPICE MODETRANOP).
    TranOp,
    /// Transient.
    Tran,
    /// Harmonic balance: the transient equations evaluated at the time
    /// samples of a periodic steady state (no integrator, no noise, no
    /// voltage limiting; sources enter through their spectra).
    Hb,
}

impl Mode {
    /// Whether dQ/dt is dropped (a DC solution).
    pub fn is_dc(self) -> bool {
        matches!(self, Mode::Dc | Mode::TranOp)
    }
    /// Whether a steady state is solved directly (DC or harmonic balance):
    /// no `accept` projection runs, so a device with a conserved quantity
    /// (|m| = 1 of a macrospin) must pin it in its equations.
    pub fn is_steady(self) -> bool {
        self != Mode::Tran
    }
    /// Whether devices may limit their controlling voltages from one
    /// evaluation to the next (pnjlim): not in harmonic balance, whose
    /// successive evaluations are different time samples.
    pub fn limits(self) -> bool {
        self != Mode::Hb
    }
    /// Whether thermal noise sources are on (transient only).
    pub fn has_noise(self) -> bool {
        self == Mode::Tran
    }
}

/// Per-evaluation context passed to devices.
#[derive(Debug, Clone, Copy)]
pub struct LoadCtx {
    pub mode: Mode,
    /// Time [s] (0 for DC).
    pub time: f64,
    /// Source stepping factor (1 normally).
    pub src_scale: f64,
    /// Junction gmin [S].
    pub gmin: f64,
    /// Circuit temperature [K].
    pub temp_k: f64,
    /// First Newton iteration of this solve (devices may initialise limiting).
    pub first_iter: bool,
    /// First iteration of the whole operating point: junctions start at
    /// their critical voltage (SPICE MODEINITJCT).
    pub init_junctions: bool,
    /// Time step of the current transient step [s] (0 in DC).
    pub h: f64,
}

/// Handle on a reserved matrix entry: index into G/C value arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Slot(pub u32);

impl Slot {
    #[inline]
    pub fn i(self) -> usize {
        self.0 as usize
    }
}

/// Allocator of unknowns, handed to [`Device::setup`].
pub struct Setup<'a> {
    unknowns: &'a mut Vec<UnknownInfo>,
    device: usize,
    device_name: &'a str,
    opts: &'a Options,
}

impl Setup<'_> {
    /// A branch-current unknown named `<device>#branch`.
    pub fn branch_current(&mut self) -> usize {
        let name = format!("{}#branch", self.device_name);
        self.push(name, UnknownKind::Current, "A", self.opts.abstol, None)
    }
    /// A device-internal node (e.g. behind a series resistance).
    pub fn internal_node(&mut self, suffix: &str) -> usize {
        let name = format!("{}#{}", self.device_name, suffix);
        self.push(name, UnknownKind::Voltage, "V", self.opts.vntol, None)
    }
    /// An internal state variable with its own tolerances.
    pub fn state(&mut self, suffix: &str, unit: &str, abstol: f64, reltol: Option<f64>) -> usize {
        let name = format!("{}#{}", self.device_name, suffix);
        self.push(name, UnknownKind::State, unit, abstol, reltol)
    }
    /// Exclude unknown `i` (allocated by this device) from the
    /// truncation-error control (a state driven by white noise). Its step is
    /// then bounded by the other unknowns and by `tmax`.
    pub fn exclude_from_lte(&mut self, i: usize) {
        if let Some(u) = self.unknowns.get_mut(i) {
            if u.owner == Some(self.device) {
                u.lte = false;
            }
        }
    }
    pub fn options(&self) -> &Options {
        self.opts
    }
    fn push(
        &mut self,
        name: String,
        kind: UnknownKind,
        unit: &str,
        abstol: f64,
        reltol: Option<f64>,
    ) -> usize {
        self.unknowns.push(UnknownInfo {
            name,
            kind,
            unit: unit.to_string(),
            abstol,
            reltol,
            external: false,
            owner: Some(self.device),
            lte: true,
        });
        self.unknowns.len() - 1
    }
}

/// Name lookup for [`Device::resolve`].
pub struct Resolver<'a> {
    by_name: &'a HashMap<String, usize>,
    devices: &'a [Box<dyn Device>],
    nodes: &'a HashMap<String, usize>,
    unknowns: &'a [UnknownInfo],
}

impl Resolver<'_> {
    /// Branch-current unknown of the named device (`i(vx)`).
    pub fn branch_of(&self, device: &str) -> Option<usize> {
        self.by_name
            .get(device)
            .and_then(|&d| self.devices[d].branch())
    }
    /// `i(name)` of a device without a branch unknown whose current is
    /// g·(x[a] − x[b]) ([`Device::linear_current`]).
    /// Also the device's index, for [`Device::refresh_linear_currents`].
    pub fn linear_current(&self, device: &str) -> Option<(usize, usize, usize, f64)> {
        let &d = self.by_name.get(device)?;
        let (a, b, g) = self.devices[d].linear_current()?;
        Some((d, a, b, g))
    }
    /// Whether a device of that name exists.
    pub fn has_device(&self, device: &str) -> bool {
        self.by_name.contains_key(device)
    }
    /// Unknown index of a circuit node (0 = ground).
    pub fn node(&self, name: &str) -> Option<usize> {
        self.nodes.get(name).copied()
    }
    /// Unknown index of the internal state `var` of the named device
    /// (`@dev[var]`, the unknown `dev#var` its setup allocated).
    pub fn state_of(&self, device: &str, var: &str) -> Option<usize> {
        let &d = self.by_name.get(device)?;
        self.unknowns.iter().position(|u| {
            u.owner == Some(d)
                && u.kind == UnknownKind::State
                && u.name
                    .rsplit_once('#')
                    .is_some_and(|(_, v)| v.eq_ignore_ascii_case(var))
        })
    }
}

/// Records (reserve phase) or looks up (bind phase) matrix entries.
pub struct SlotAlloc {
    binding: bool,
    entries: Vec<(u32, u32)>,
    /// Bind phase: per column (unknown index), sorted (row, position).
    cols: Vec<Vec<(u32, u32)>>,
    trash: u32,
    /// Bind phase: positions handed out, when recording
    /// ([`System::nonlinear_pattern`]).
    recorded: Option<Vec<u32>>,
}

impl SlotAlloc {
    /// Reserve/bind the entry (row, col) (unknown indices; 0 = ground → trash).
    #[inline]
    pub fn slot(&mut self, row: usize, col: usize) -> Slot {
        if row == 0 || col == 0 {
            return Slot(self.trash);
        }
        if !self.binding {
            self.entries.push((row as u32, col as u32));
            return Slot(0);
        }
        let c = &self.cols[col];
        match c.binary_search_by_key(&(row as u32), |e| e.0) {
            Ok(k) => {
                if let Some(r) = self.recorded.as_mut() {
                    r.push(c[k].1);
                }
                Slot(c[k].1)
            }
            // Cannot happen when the device calls the same sequence twice; a
            // device bug, not user input.
            Err(_) => panic!("slot ({row},{col}) was not reserved"),
        }
    }
}

/// Output of one nonlinear `load`: residual and Jacobian contributions.
///
/// Two modes, invisible to devices: *separate* (DC, AC, the transient's
/// initial point) keeps F, Q, G, C apart; *fused* (transient Newton) adds
/// a0·Q into F and a0·C into the Jacobian directly, so the integrator's
/// Jacobian G + a0·C is assembled in one pass.
pub struct Stamp<'a> {
    f: &'a mut [f64],
    q: &'a mut [f64],
    fscale: &'a mut [f64],
    g: &'a mut [f64],
    c: &'a mut [f64],
    a0: f64,
    fused: bool,
    /// Whether Jacobian entries are wanted (false: residual-only evaluation).
    jac: bool,
    /// Slots where nonlinear devices stamp ∂Q/∂x (recorded on first use).
    c_seen: &'a mut [bool],
    c_slots: &'a mut Vec<u32>,
    /// Probe load: record the rows devices stamp F or Q into.
    row_seen: Option<&'a mut [bool]>,
    /// Set by a device that limited its controlling voltages this iteration
    /// (the iteration cannot be the converged one).
    pub limited: bool,
}

impl<'a> Stamp<'a> {
    /// A stamp into the value arrays of `ws` (separate F and Q unless
    /// `fused`; Jacobian entries when `jac`), recording the rows devices
    /// stamp into `row_seen` (a probe load) when given.
    fn new(
        ws: &'a mut Workspace,
        c_seen: &'a mut [bool],
        c_slots: &'a mut Vec<u32>,
        (a0, fused, jac): (f64, bool, bool),
        row_seen: Option<&'a mut [bool]>,
    ) -> Stamp<'a> {
        Stamp {
            f: &mut ws.f,
            q: &mut ws.q,
            fscale: &mut ws.fscale,
            g: &mut ws.g,
            c: &mut ws.c,
            a0,
            fused,
            jac,
            c_seen,
            c_slots,
            row_seen,
            limited: false,
        }
    }

    /// Add `v` to F at `row` (current leaving the node through the device).
    #[inline]
    pub fn f(&mut self, row: usize, v: f64) {
        self.f[row] += v;
        self.fscale[row] += v.abs();
        if let Some(seen) = self.row_seen.as_deref_mut() {
            seen[row] = true;
        }
    }
    /// Add `v` to Q at `row` (charge, flux, or state under d/dt).
    #[inline]
    pub fn q(&mut self, row: usize, v: f64) {
        self.q[row] += v;
        if let Some(seen) = self.row_seen.as_deref_mut() {
            seen[row] = true;
        }
        if self.fused {
            let d = self.a0 * v;
            self.f[row] += d;
            self.fscale[row] += d.abs();
        }
    }
    /// A two-terminal branch from `a` to `b` carrying current `i` and charge
    /// `q`: the same as `f(a, i)`, `f(b, −i)`, `q(a, q)`, `q(b, −q)` (same
    /// values, same rounding when a ≠ b), with each row read and written
    /// once.
    #[inline]
    pub fn branch(&mut self, a: usize, b: usize, i: f64, q: f64) {
        let d = if self.fused { self.a0 * q } else { 0.0 };
        for (row, s) in [(a, 1.0), (b, -1.0)] {
            if let Some(seen) = self.row_seen.as_deref_mut() {
                seen[row] = true;
            }
            self.f[row] = (self.f[row] + s * i) + s * d;
            self.fscale[row] = (self.fscale[row] + i.abs()) + d.abs();
            self.q[row] += s * q;
        }
    }
    /// Add `v` to ∂F/∂x at slot `s`.
    #[inline]
    pub fn g(&mut self, s: Slot, v: f64) {
        if self.jac {
            self.g[s.i()] += v;
        }
    }
    /// Add `v` to ∂Q/∂x at slot `s`.
    #[inline]
    pub fn c(&mut self, s: Slot, v: f64) {
        if self.jac {
            if self.fused {
                self.g[s.i()] += self.a0 * v;
            }
            self.c[s.i()] += v;
            if !self.c_seen[s.i()] {
                self.c_seen[s.i()] = true;
                // capacity reserved for every slot: never reallocates
                self.c_slots.push(s.0);
            }
        }
    }
    /// Whether the Jacobian is being assembled (devices may skip computing
    /// derivatives they would only stamp).
    #[inline]
    pub fn wants_jacobian(&self) -> bool {
        self.jac
    }
}

/// Scratch vectors for assembling the system; allocated once per system.
pub struct Workspace {
    pub f: Vec<f64>,
    pub q: Vec<f64>,
    pub fscale: Vec<f64>,
    pub b: Vec<f64>,
    pub g: Vec<f64>,
    pub c: Vec<f64>,
    pub limited: bool,
}

/// The assembled system for one topology.
pub struct System {
    /// Number of solved unknowns (excluding ground).
    pub n: usize,
    /// Unknowns; entry 0 is ground.
    pub unknowns: Vec<UnknownInfo>,
    pub devices: Vec<Box<dyn Device>>,
    /// Indices of devices whose `load` runs every iteration.
    pub nonlinear: Vec<usize>,
    /// Indices of independent sources and of devices with an `accept` step.
    pub sources_idx: Vec<usize>,
    pub acceptors: Vec<usize>,
    /// Devices by name.
    pub by_name: HashMap<String, usize>,
    /// Circuit nodes by name → unknown index (ground names → 0).
    pub nodes: HashMap<String, usize>,
    /// Sparsity pattern of the n×n Jacobian (solver numbering).
    pub pattern: CscPattern,
    /// Positions of the diagonal entries of node-voltage unknowns (for gshunt).
    pub node_diag: Vec<(usize, Slot)>,
    /// Constant parts of G and C (len nnz + 1; last = trash).
    pub g_lin: Vec<f64>,
    pub c_lin: Vec<f64>,
    /// The nonzero entries of `c_lin` as (row + 1, column + 1, value): the
    /// linear charges C_lin·x touch only these (a few capacitors and
    /// inductors among all the slots of the pattern).
    c_lin_nz: Vec<(u32, u32, f64)>,
    /// Cached G_lin + a0·C_lin for the fused transient load, and its a0
    /// (zero outside the linear slots `lin_pos`).
    jlin: Vec<f64>,
    jlin_a0: Option<f64>,
    /// The linear residual's matrix by rows over the slots where G_lin or
    /// C_lin is nonzero (CSR: `lin_ptr[r]..lin_ptr[r + 1]` for unknown row r,
    /// 1-based columns in `lin_col`, the CSC slot in `lin_pos`), with the
    /// values of G_lin and of the cached G_lin + a0·C_lin in that order.
    /// A row-wise product gathers instead of scattering and starts each row
    /// from −b, so F's initialisation and its linear part are one pass.
    lin_ptr: Vec<u32>,
    lin_col: Vec<u32>,
    lin_pos: Vec<u32>,
    lin_g: Vec<f64>,
    lin_j: Vec<f64>,
    /// Slots where nonlinear devices have stamped ∂Q/∂x, and the column of
    /// every slot (for the charge correction over those slots only).
    c_seen: Vec<bool>,
    c_slots: Vec<u32>,
    slot_col: Vec<u32>,
    /// (slot, row, column) of `c_slots[..c_rc_len]`, for the charge
    /// correction.
    c_rc: Vec<(u32, u32, u32)>,
    c_rc_len: usize,
    /// Rows (1-based) where nonlinear devices stamp F or Q, found by the
    /// first load (None before it); every other row is *linear*. And the
    /// full pattern of those rows (CSR: `nl_ptr` over `nl_rows`, CSC slot
    /// `nl_slot`, 1-based column `nl_col`) for [`System::spice_rhs`].
    pub nl_rows: Option<Vec<u32>>,
    /// Whether a separate (DC/AC) and a fused (transient) load have probed
    /// the rows: devices may stamp other rows in the two modes.
    probed: [bool; 2],
    nl_ptr: Vec<u32>,
    nl_slot: Vec<u32>,
    nl_col: Vec<u32>,
    /// Unknown has a nonzero column in C (a differential variable; enters LTE).
    pub differential: Vec<bool>,
    /// Per-unknown absolute and relative tolerances (index 0 unused).
    pub atol: Vec<f64>,
    pub rtol: Vec<f64>,
    /// Per-unknown reference magnitude for `rtol` (`relref=sigglobal`: the
    /// largest |x_i| accepted so far; 0 with `pointlocal`).
    pub xref: Vec<f64>,
    pub opts: Options,
    /// Warnings of the analyses (an operating point at an unstable
    /// equilibrium, physically absurd values …), drained by the run driver
    /// after each analysis.
    pub notes: Vec<String>,
}

impl System {
    /// Build from devices and the numbered circuit nodes. `node_names[i]` is the
    /// name of unknown i for i in 1..=node_names.len()-1 (`node_names[0]` is
    /// ground).
    pub fn build(
        node_names: &[String],
        mut devices: Vec<Box<dyn Device>>,
        opts: &Options,
    ) -> DResult<System> {
        let mut unknowns = vec![UnknownInfo {
            name: "0".into(),
            kind: UnknownKind::Voltage,
            unit: "V".into(),
            abstol: opts.vntol,
            reltol: None,
            external: true,
            owner: None,
            lte: true,
        }];
        let mut nodes = HashMap::new();
        nodes.insert("0".to_string(), 0);
        nodes.insert("gnd".to_string(), 0);
        for name in node_names.iter().skip(1) {
            nodes.insert(name.clone(), unknowns.len());
            unknowns.push(UnknownInfo {
                name: name.clone(),
                kind: UnknownKind::Voltage,
                unit: "V".into(),
                abstol: opts.vntol,
                reltol: None,
                external: true,
                owner: None,
                lte: true,
            });
        }
        let n_nodes = unknowns.len();
        let mut by_name = HashMap::new();
        for (i, d) in devices.iter().enumerate() {
            if by_name.insert(d.name().to_string(), i).is_some() {
                return Err(Diagnostic::plain(format!(
                    "duplicate device name '{}'",
                    d.name()
                )));
            }
        }
        for (i, d) in devices.iter_mut().enumerate() {
            let name = d.name().to_string();
            let mut s = Setup {
                unknowns: &mut unknowns,
                device: i,
                device_name: &name,
                opts,
            };
            d.setup(&mut s)?;
        }
        {
            // resolve needs shared access to all devices while mutating one:
            // take each device out in turn.
            for i in 0..devices.len() {
                let mut d = std::mem::replace(&mut devices[i], Box::new(Placeholder));
                let r = Resolver {
                    by_name: &by_name,
                    devices: &devices,
                    nodes: &nodes,
                    unknowns: &unknowns,
                };
                let res = d.resolve(&r);
                devices[i] = d;
                res?;
            }
        }
        let n = unknowns.len() - 1;

        // Reserve: every node diagonal (gshunt, gmin stepping) + device entries.
        let mut alloc = SlotAlloc {
            binding: false,
            entries: Vec::new(),
            cols: Vec::new(),
            trash: 0,
            recorded: None,
        };
        for i in 1..n_nodes {
            alloc.slot(i, i);
        }
        for d in devices.iter_mut() {
            d.slots(&mut alloc);
        }
        // Every unknown needs at least its diagonal structurally present so that
        // KLU's ordering sees a full structural rank where the values allow it.
        for i in 1..=n {
            alloc.entries.push((i as u32, i as u32));
        }
        let mut cols: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
        for &(r, c) in &alloc.entries {
            cols[c as usize].push(r);
        }
        let mut col_ptr = Vec::with_capacity(n + 1);
        let mut row_idx = Vec::new();
        let mut bound: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n + 1];
        col_ptr.push(0i32);
        for (c, rows) in cols.iter_mut().enumerate().skip(1) {
            rows.sort_unstable();
            rows.dedup();
            for &r in rows.iter() {
                bound[c].push((r, row_idx.len() as u32));
                row_idx.push(r as i32 - 1);
            }
            col_ptr.push(row_idx.len() as i32);
        }
        let nnz = row_idx.len();
        let mut alloc = SlotAlloc {
            binding: true,
            entries: Vec::new(),
            cols: bound,
            trash: nnz as u32,
            recorded: None,
        };
        let node_diag: Vec<(usize, Slot)> = (1..n_nodes).map(|i| (i, alloc.slot(i, i))).collect();
        for d in devices.iter_mut() {
            d.slots(&mut alloc);
        }
        let pattern = CscPattern {
            n,
            col_ptr,
            row_idx,
        };
        let pick = |f: &dyn Fn(&dyn Device) -> bool| -> Vec<usize> {
            devices
                .iter()
                .enumerate()
                .filter(|(_, d)| f(d.as_ref()))
                .map(|(i, _)| i)
                .collect()
        };
        let nonlinear = pick(&|d| d.is_nonlinear());
        let sources_idx = pick(&|d| d.is_source());
        let acceptors = pick(&|d| d.wants_accept());
        let atol = unknowns.iter().map(|u| u.abstol).collect();
        let rtol = unknowns
            .iter()
            .map(|u| u.reltol.unwrap_or(opts.reltol))
            .collect();
        let mut sys = System {
            n,
            unknowns,
            devices,
            nonlinear,
            sources_idx,
            acceptors,
            by_name,
            nodes,
            pattern,
            node_diag,
            g_lin: vec![0.0; nnz + 1],
            c_lin: vec![0.0; nnz + 1],
            c_lin_nz: Vec::new(),
            jlin: vec![0.0; nnz + 1],
            jlin_a0: None,
            lin_ptr: Vec::new(),
            lin_col: Vec::new(),
            lin_pos: Vec::new(),
            lin_g: Vec::new(),
            lin_j: Vec::new(),
            c_seen: vec![false; nnz + 1],
            c_slots: Vec::with_capacity(nnz + 1),
            c_rc: Vec::with_capacity(nnz + 1),
            c_rc_len: 0,
            nl_rows: None,
            probed: [false; 2],
            nl_ptr: Vec::new(),
            nl_slot: Vec::new(),
            nl_col: Vec::new(),
            slot_col: Vec::new(),
            differential: vec![false; n + 1],
            atol,
            rtol,
            xref: vec![0.0; n + 1],
            opts: opts.clone(),
            notes: Vec::new(),
        };
        sys.slot_col = vec![0u32; nnz + 1];
        for col in 0..sys.n {
            for k in sys.pattern.col_ptr[col] as usize..sys.pattern.col_ptr[col + 1] as usize {
                sys.slot_col[k] = col as u32;
            }
        }
        sys.restamp_linear();
        Ok(sys)
    }

    pub fn nnz(&self) -> usize {
        self.pattern.nnz()
    }

    /// Recompute the constant G/C parts (after a `.dc` sweep changed a value).
    /// Also determines which unknowns are differential (need a probe load of
    /// the nonlinear devices; see [`System::mark_differential`]).
    pub fn restamp_linear(&mut self) {
        let gs: Vec<Option<f64>> = self
            .devices
            .iter()
            .map(|d| d.linear_current().map(|l| l.2))
            .collect();
        for d in &mut self.devices {
            d.refresh_linear_currents(&|i| gs.get(i).copied().flatten());
        }
        self.g_lin.iter_mut().for_each(|v| *v = 0.0);
        self.c_lin.iter_mut().for_each(|v| *v = 0.0);
        for d in &self.devices {
            d.stamp_linear(&mut self.g_lin, &mut self.c_lin);
        }
        let nnz = self.nnz();
        self.g_lin[nnz] = 0.0;
        self.c_lin[nnz] = 0.0;
        self.jlin_a0 = None;
        self.jlin.iter_mut().for_each(|v| *v = 0.0);
        mark_differential(&self.pattern, &self.c_lin, &mut self.differential);
        self.c_lin_nz.clear();
        let mut by_row: Vec<(u32, u32, u32)> = Vec::new();
        for col in 0..self.n {
            for k in self.pattern.col_ptr[col] as usize..self.pattern.col_ptr[col + 1] as usize {
                let r = self.pattern.row_idx[k] as u32 + 1;
                if self.c_lin[k] != 0.0 {
                    self.c_lin_nz.push((r, col as u32 + 1, self.c_lin[k]));
                }
                if self.g_lin[k] != 0.0 || self.c_lin[k] != 0.0 {
                    by_row.push((r, col as u32 + 1, k as u32));
                }
            }
        }
        by_row.sort_unstable();
        self.lin_ptr = vec![0u32; self.n + 2];
        for &(r, _, _) in &by_row {
            self.lin_ptr[r as usize + 1] += 1;
        }
        for r in 1..self.lin_ptr.len() {
            self.lin_ptr[r] += self.lin_ptr[r - 1];
        }
        self.lin_col = by_row.iter().map(|e| e.1).collect();
        self.lin_pos = by_row.iter().map(|e| e.2).collect();
        self.lin_g = self
            .lin_pos
            .iter()
            .map(|&k| self.g_lin[k as usize])
            .collect();
        self.lin_j = self.lin_g.clone();
    }

    /// Mark unknowns whose C column has a nonzero entry in `c` (e.g. the C of a
    /// nonlinear load) as differential.
    pub fn mark_from_c(&mut self, c: &[f64]) {
        mark_differential(&self.pattern, c, &mut self.differential);
    }

    pub fn workspace(&self) -> Workspace {
        let n1 = self.n + 1;
        let m = self.nnz() + 1;
        Workspace {
            f: vec![0.0; n1],
            q: vec![0.0; n1],
            fscale: vec![0.0; n1],
            b: vec![0.0; n1],
            g: vec![0.0; m],
            c: vec![0.0; m],
            limited: false,
        }
    }

    /// Excitation vector b at `cx.time`, scaled by `cx.src_scale` (into `ws.b`).
    pub fn sources(&self, cx: &LoadCtx, ws: &mut Workspace) {
        ws.b.iter_mut().for_each(|v| *v = 0.0);
        for &k in &self.sources_idx {
            self.devices[k].stamp_rhs(cx, &mut ws.b);
        }
        ws.b[0] = 0.0;
    }

    /// Evaluate the system at `x` (with `ws.b` from [`System::sources`]).
    ///
    /// - `a0 = None` (separate): `ws.f` = F(x), `ws.q` = Q(x), `ws.g` = G,
    ///   `ws.c` = C.
    /// - `a0 = Some(a0)` (fused, transient Newton): `ws.f` = F(x) + a0·Q(x),
    ///   `ws.g` = G + a0·C, `ws.q` and `ws.c` = the *nonlinear* parts of Q and
    ///   C only (complete Q with [`System::add_linear_q`] for an accepted
    ///   point).
    ///
    /// With `jacobian = false` (fused mode only: a chord iteration) `ws.g` and
    /// `ws.c` are left as they were: the residual is computed, no Jacobian.
    ///
    /// With `nl_only` (once [`System::nl_rows`] is known) F and its scale
    /// are evaluated on the nonlinear rows only and set to 0 on the linear
    /// ones, whose residual the transient Newton never needs (see
    /// `Newton::solve`).
    ///
    /// Sets `ws.limited` when a device limited its voltages.
    pub fn load(
        &mut self,
        cx: &LoadCtx,
        x: &[f64],
        ws: &mut Workspace,
        a0: Option<f64>,
        jacobian: bool,
        nl_only: bool,
    ) {
        let fused = a0.is_some();
        let jac = jacobian || !fused;
        let a0 = a0.unwrap_or(0.0);
        if fused && self.jlin_a0 != Some(a0) {
            for &k in &self.lin_pos {
                let k = k as usize;
                self.jlin[k] = self.g_lin[k] + a0 * self.c_lin[k];
            }
            for (j, &k) in self.lin_j.iter_mut().zip(&self.lin_pos) {
                *j = self.jlin[k as usize];
            }
            self.jlin_a0 = Some(a0);
        }
        if fused && jac {
            ws.g.copy_from_slice(&self.jlin);
            for &k in &self.c_slots {
                ws.c[k as usize] = 0.0;
            }
        } else if !fused {
            ws.g.copy_from_slice(&self.g_lin);
            ws.c.copy_from_slice(&self.c_lin);
        }
        // F = −b + (G + a0·C)_lin·x (fused) or −b + G_lin·x, with the row
        // sums of magnitudes; the nonlinear devices add to it below.
        let lin = if fused { &self.lin_j } else { &self.lin_g };
        match &self.nl_rows {
            Some(rows) if nl_only => {
                ws.f.fill(0.0);
                ws.fscale.fill(0.0);
                for &r in rows {
                    lin_residual_row(r as usize, &self.lin_ptr, &self.lin_col, lin, x, ws);
                }
            }
            _ => {
                for r in 1..self.lin_ptr.len().saturating_sub(1) {
                    lin_residual_row(r, &self.lin_ptr, &self.lin_col, lin, x, ws);
                }
                ws.f[0] = 0.0;
                ws.fscale[0] = 0.0;
            }
        }
        // the first load of each mode finds the rows nonlinear devices stamp
        let mode = usize::from(fused);
        let mut row_seen = (!self.probed[mode]).then(|| {
            let mut seen = vec![false; self.n + 1];
            for &r in self.nl_rows.iter().flatten() {
                seen[r as usize] = true;
            }
            seen
        });
        ws.q.iter_mut().for_each(|q| *q = 0.0);
        let mut st = Stamp::new(
            ws,
            &mut self.c_seen,
            &mut self.c_slots,
            (a0, fused, jac),
            row_seen.as_deref_mut(),
        );
        let nl = &self.nonlinear;
        for (j, &k) in nl.iter().enumerate() {
            if let Some(&next) = nl.get(j + 1) {
                prefetch_device(self.devices[next].as_ref());
            }
            self.devices[k].load(cx, x, &mut st);
        }
        ws.limited = st.limited;
        if let Some(seen) = row_seen {
            self.set_nl_rows(&seen);
            self.probed[mode] = true;
        }
        // (tests: no device stamps outside the rows the first load found)
        #[cfg(debug_assertions)]
        if let (true, Some(rows)) = (nl_only, &self.nl_rows) {
            let mut nl = vec![false; self.n + 1];
            rows.iter().for_each(|&r| nl[r as usize] = true);
            for (r, ((&is_nl, &f), &q)) in nl.iter().zip(&ws.f).zip(&ws.q).enumerate().skip(1) {
                assert!(
                    is_nl || (f == 0.0 && q == 0.0),
                    "a nonlinear device stamped row {r} outside the rows of its first load"
                );
            }
            // and the Jacobian's linear rows are the linear part exactly
            if fused && jac {
                for c in 0..self.pattern.n {
                    for k in self.pattern.col_ptr[c] as usize..self.pattern.col_ptr[c + 1] as usize
                    {
                        let r = self.pattern.row_idx[k] as usize + 1;
                        assert!(
                            nl[r] || ws.g[k] == self.jlin[k],
                            "a nonlinear device stamped the Jacobian of linear row {r}"
                        );
                    }
                }
            }
        }
        // Q += C_lin x (the fused load leaves Q's linear part out)
        if !fused {
            self.add_linear_q(x, &mut ws.q);
        }
        ws.f[0] = 0.0;
        ws.q[0] = 0.0;
    }

    /// Whether [`System::nl_rows`] covers the transient (fused) loads.
    pub fn nl_rows_fused(&self) -> bool {
        self.probed[1]
    }

    /// Record the nonlinear rows and the full pattern of those rows.
    fn set_nl_rows(&mut self, seen: &[bool]) {
        let rows: Vec<u32> = (1..=self.n as u32).filter(|&r| seen[r as usize]).collect();
        let mut pos = vec![u32::MAX; self.n + 1];
        for (k, &r) in rows.iter().enumerate() {
            pos[r as usize] = k as u32;
        }
        let mut e: Vec<(u32, u32, u32)> = Vec::new();
        for c in 0..self.pattern.n {
            for k in self.pattern.col_ptr[c] as usize..self.pattern.col_ptr[c + 1] as usize {
                let p = pos[self.pattern.row_idx[k] as usize + 1];
                if p != u32::MAX {
                    e.push((p, k as u32, c as u32 + 1));
                }
            }
        }
        e.sort_unstable();
        self.nl_ptr = vec![0u32; rows.len() + 1];
        for &(p, _, _) in &e {
            self.nl_ptr[p as usize + 1] += 1;
        }
        for k in 0..rows.len() {
            self.nl_ptr[k + 1] += self.nl_ptr[k];
        }
        self.nl_slot = e.iter().map(|t| t.1).collect();
        self.nl_col = e.iter().map(|t| t.2).collect();
        self.nl_rows = Some(rows);
    }

    /// The right-hand side of the Newton step in SPICE's form, J·x_new =
    /// J·x − r(x), for the Jacobian `ws.g` (the factored one) at `x`, with
    /// `ws` from a transient load with `nl_only` and `hist` the integration
    /// history (0-based `out`). A linear row's entries are all in J, so its
    /// J·x − r(x) is b − hist without any product; a nonlinear row takes
    /// its row of J·x. The solution is x_new itself.
    pub fn spice_rhs(&self, ws: &Workspace, x: &[f64], hist: &[f64], out: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            out[i] = ws.b[i + 1] - hist[i + 1];
        }
        let Some(rows) = &self.nl_rows else { return };
        for (k, &r) in rows.iter().enumerate() {
            let r = r as usize;
            let mut jx = 0.0;
            for m in self.nl_ptr[k] as usize..self.nl_ptr[k + 1] as usize {
                jx += ws.g[self.nl_slot[m] as usize] * x[self.nl_col[m] as usize];
            }
            out[r - 1] = jx - (ws.f[r] + hist[r]);
        }
    }

    /// Add the linear devices' charges C_lin·x to `q` (completes the Q of a
    /// fused load).
    pub fn add_linear_q(&self, x: &[f64], q: &mut [f64]) {
        for &(r, c, v) in &self.c_lin_nz {
            q[r as usize] += v * x[c as usize];
        }
        q[0] = 0.0;
    }

    /// Record an accepted solution in the tolerance references.
    pub fn accept_reference(&mut self, x: &[f64]) {
        if self.opts.relref == RelRef::SigGlobal {
            for (r, v) in self.xref.iter_mut().zip(x) {
                *r = r.max(v.abs());
            }
        }
    }

    /// Move the nonlinear charges of a fused load along a Newton correction:
    /// `q += C_nl·dx` (0-based `dx`), over the slots nonlinear devices stamp.
    pub fn correct_charges(&mut self, ws: &mut Workspace, dx: &[f64]) {
        // (slot, row, column) of the slots recorded since the last call
        let nnz = self.nnz();
        for &k in &self.c_slots[self.c_rc_len..] {
            let k = k as usize;
            if k < nnz {
                // (not the trash slot of ground)
                let r = self.pattern.row_idx[k] as u32 + 1;
                self.c_rc.push((k as u32, r, self.slot_col[k]));
            }
        }
        self.c_rc_len = self.c_slots.len();
        for &(k, r, c) in &self.c_rc {
            ws.q[r as usize] += ws.c[k as usize] * dx[c as usize];
        }
        ws.q[0] = 0.0;
    }

    /// The entries, rows and read unknowns of the nonlinear devices (for
    /// harmonic balance, which samples them): their slots are found by
    /// binding them again (`Device::slots` is idempotent), their F/Q rows by
    /// those slots and by a probe load in `cx` at `x`.
    pub fn nonlinear_pattern(&mut self, cx: &LoadCtx, x: &[f64]) -> NlPattern {
        let nnz = self.nnz();
        let mut cols: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.n + 1];
        for c in 0..self.n {
            for k in self.pattern.col_ptr[c] as usize..self.pattern.col_ptr[c + 1] as usize {
                cols[c + 1].push((self.pattern.row_idx[k] as u32 + 1, k as u32));
            }
        }
        let mut alloc = SlotAlloc {
            binding: true,
            entries: Vec::new(),
            cols,
            trash: nnz as u32,
            recorded: Some(Vec::new()),
        };
        for &d in &self.nonlinear {
            self.devices[d].slots(&mut alloc);
        }
        let mut slots = alloc.recorded.unwrap_or_default();
        slots.sort_unstable();
        slots.dedup();
        let rows: Vec<u32> = slots
            .iter()
            .map(|&k| self.pattern.row_idx[k as usize] as u32 + 1)
            .collect();
        let cols: Vec<u32> = slots
            .iter()
            .map(|&k| self.slot_col[k as usize] + 1)
            .collect();
        // rows stamped without a Jacobian entry: a probe load
        let mut ws = self.workspace();
        let mut seen = vec![false; self.n + 1];
        rows.iter().for_each(|&r| seen[r as usize] = true);
        {
            let mut st = Stamp::new(
                &mut ws,
                &mut self.c_seen,
                &mut self.c_slots,
                (0.0, false, true),
                Some(&mut seen),
            );
            for &d in &self.nonlinear {
                self.devices[d].load(cx, x, &mut st);
            }
        }
        seen[0] = false;
        let f_rows: Vec<u32> = (1..=self.n as u32).filter(|&r| seen[r as usize]).collect();
        let mut reads: Vec<u32> = cols.iter().chain(&f_rows).copied().collect();
        reads.sort_unstable();
        reads.dedup();
        NlPattern {
            slots,
            rows,
            cols,
            f_rows,
            reads,
        }
    }

    /// Load the nonlinear devices only (separate F, Q, G, C) at `x`: their
    /// rows of `ws.f`, `ws.q`, `ws.fscale` and their slots of `ws.g`, `ws.c`
    /// are overwritten, nothing else is touched. Sets `ws.limited`.
    pub fn load_nonlinear(&mut self, cx: &LoadCtx, x: &[f64], ws: &mut Workspace, p: &NlPattern) {
        for &r in &p.f_rows {
            let r = r as usize;
            ws.f[r] = 0.0;
            ws.q[r] = 0.0;
            ws.fscale[r] = 0.0;
        }
        for &k in &p.slots {
            ws.g[k as usize] = 0.0;
            ws.c[k as usize] = 0.0;
        }
        let mut st = Stamp::new(
            ws,
            &mut self.c_seen,
            &mut self.c_slots,
            (0.0, false, true),
            None,
        );
        for &d in &self.nonlinear {
            self.devices[d].load(cx, x, &mut st);
        }
        ws.limited = st.limited;
    }

    /// Name of unknown `i` for messages: `v(node)`, `i(dev)`, state name.
    pub fn unknown_label(&self, i: usize) -> String {
        let u = &self.unknowns[i];
        match u.kind {
            UnknownKind::Voltage => format!("v({})", u.name),
            UnknownKind::Current => match u.name.strip_suffix("#branch") {
                Some(d) => format!("i({d})"),
                None => format!("i({})", u.name),
            },
            UnknownKind::State => u.name.clone(),
        }
    }
}

/// What the nonlinear devices of a [`System`] touch
/// ([`System::nonlinear_pattern`]). Unknowns are 1-based.
#[derive(Debug, Clone, Default)]
pub struct NlPattern {
    /// CSC positions of their Jacobian entries, sorted.
    pub slots: Vec<u32>,
    /// Row and column of each slot.
    pub rows: Vec<u32>,
    pub cols: Vec<u32>,
    /// Rows they stamp F or Q into, sorted.
    pub f_rows: Vec<u32>,
    /// Unknowns they read (slot columns and their rows), sorted.
    pub reads: Vec<u32>,
}

/// Row r of the linear residual: f[r] = −b[r] + Σ_c A[r, c]·x[c] and
/// fscale[r] = |b[r]| + Σ_c |A[r, c]·x[c]|, over the row-compressed
/// `ptr`/`col`/`vals` (1-based unknowns). Assigns, so it also initialises F.
#[inline(always)]
fn lin_residual_row(
    r: usize,
    ptr: &[u32],
    col: &[u32],
    vals: &[f64],
    x: &[f64],
    ws: &mut Workspace,
) {
    let (a, e) = (ptr[r] as usize, ptr[r + 1] as usize);
    let b = ws.b[r];
    let mut s = -b;
    let mut sa = b.abs();
    for (&c, &v) in col[a..e].iter().zip(&vals[a..e]) {
        let v = v * x[c as usize];
        s += v;
        sa += v.abs();
    }
    ws.f[r] = s;
    ws.fscale[r] = sa;
}

/// Ask the cache for a device's state while the previous device loads: the
/// devices are separate heap objects, which the hardware prefetcher cannot
/// follow, and with many nonlinear devices they no longer stay in L1/L2.
#[inline]
fn prefetch_device(d: &dyn Device) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = d as *const dyn Device as *const u8;
        let len = std::mem::size_of_val(d).min(1024);
        for off in (0..len).step_by(64) {
            // SAFETY: a prefetch is only a hint (it never faults), and the
            // address lies inside the live device object.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    p.add(off) as *const i8
                )
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = d;
}

fn mark_differential(p: &CscPattern, c: &[f64], differential: &mut [bool]) {
    for col in 0..p.n {
        let (a, b) = (p.col_ptr[col] as usize, p.col_ptr[col + 1] as usize);
        if c[a..b].iter().any(|&v| v != 0.0) {
            differential[col + 1] = true;
        }
    }
}

/// Stand-in used while a device is taken out of the list during `resolve`.
struct Placeholder;

impl Device for Placeholder {
    fn name(&self) -> &str {
        ""
    }
    fn slots(&mut self, _s: &mut SlotAlloc) {}
}
