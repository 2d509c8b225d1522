//! Every command and Python snippet of the README and of `docs/` runs
//! (issue 12: the README's first snippet read a measure the example does not
//! write). The fenced blocks of each document are executed in order in a
//! scratch workspace holding the repository's `netlists/`, `models/`,
//! `tools/` (linked) and a copy of `docs/`: the lines that start with
//! `spinspice`, `cargo run --release --`, `python3` or `$P` (shell blocks,
//! run by `sh` with `spinspice` the binary under test) and the `python`
//! blocks (with `$SPINSPICE_PYTHON`; they read the files the commands wrote;
//! those that `import spinspice` with the package installed as
//! `pip install ./python` does, see `tests/python.rs`).
//! Every one must exit 0.
//!
//! What is not run as written, and why:
//! - `cargo test` (this suite) and the synopses (`spinspice run NETLIST [-o OUT] …`);
//! - the drone network run of `tools/rf_network.py run` (45 min; its stages
//!   are tested in `tests/systems_net.rs`), the trainings of
//!   `tools/train_rf_network.py` (minutes; they rewrite the shipped weights,
//!   which `tests/drone_weights.rs` checks) and the `tools/variability.py`
//!   studies: a block holding one of these is skipped whole;
//! - the sweeps of the heavy examples run one point in K (`--shard 1/K`,
//!   a handful of points; the full sweeps and their numbers are the subject
//!   of `tests/systems_*.rs`); the commands that read their files still run;
//! - the Slurm script runs its 16 array tasks one after the other (with the
//!   `SLURM_*` variables set, on `det.cir` = the detector sweep), then the
//!   merge its comment submits.
//!
//! Cost: about a minute of CPU (the examples' sweeps are cut as above).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Examples whose sweeps are cut to one point in K when a doc runs them.
const HEAVY: &[(&str, usize)] = &[
    ("spin_diode_measurement.cir", 100),
    ("rf_network_xor.cir", 30),
    ("amr_convolution.cir", 4),
    ("amr_synapse_chain.cir", 20),
    ("stno_mutual_sync.cir", 24),
    ("leroux_neuron_resonator.cir", 16),
    ("rf_mac_chain.cir", 15),
];

/// A fenced block: its language word and its lines.
struct Block {
    lang: String,
    lines: Vec<String>,
    /// 1-based line of the opening fence, for messages.
    at: usize,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur: Option<Block> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if let Some(rest) = t.strip_prefix("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => {
                    cur = Some(Block {
                        lang: rest.trim().to_string(),
                        lines: Vec::new(),
                        at: i + 1,
                    })
                }
            }
        } else if let Some(b) = cur.as_mut() {
            b.lines.push(l.to_string());
        }
    }
    out
}

/// The shell commands of a block: continuation lines joined, comments and
/// everything that is not a command we run dropped.
fn commands(b: &Block) -> Vec<String> {
    let mut joined = Vec::new();
    let mut acc = String::new();
    for l in &b.lines {
        let l = l.trim_end();
        if let Some(head) = l.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            continue;
        }
        acc.push_str(l);
        joined.push(std::mem::take(&mut acc));
    }
    joined
        .into_iter()
        .map(|l| strip_comment(l.trim()).to_string())
        .filter(|l| {
            [
                "spinspice ",
                "cargo run --release --",
                "python3 ",
                "$P ",
                "P=",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect()
}

/// The line without a trailing ` # comment` (outside quotes).
fn strip_comment(l: &str) -> &str {
    let (mut sq, mut dq) = (false, false);
    let b = l.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !dq => sq = !sq,
            b'"' if !sq => dq = !dq,
            b'#' if !sq && !dq && k > 0 && b[k - 1].is_ascii_whitespace() => {
                return l[..k].trim_end()
            }
            _ => {}
        }
    }
    l
}

/// Where the commands of one document run.
fn workspace(name: &str) -> PathBuf {
    let d = common::scratch(&format!("docs-{name}"));
    for sub in ["netlists", "models", "tools"] {
        std::os::unix::fs::symlink(repo().join(sub), d.join(sub)).unwrap();
    }
    copy_dir(&repo().join("docs"), &d.join("docs"));
    // the user's netlist of the Slurm recipe
    std::fs::copy(
        repo().join("netlists/detector_sweep.cir"),
        d.join("det.cir"),
    )
    .unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs `script` with `sh` in `dir`, `spinspice` being the binary under
/// test and `python3` the test Python.
fn sh(dir: &Path, script: &str, env: &[(&str, String)]) -> (bool, String) {
    let prelude = format!(
        "spinspice() {{ '{bin}' \"$@\"; }}\n\
         cargo() {{ if [ \"$1 $2 $3\" = 'run --release --' ]; then shift 3; '{bin}' \"$@\"; else return 97; fi; }}\n\
         python3() {{ '{py}' \"$@\"; }}\n\
         set -e\n",
        bin = env!("CARGO_BIN_EXE_spinspice"),
        py = common::python(),
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

/// The command as the test runs it (see the module documentation), or None
/// to skip it.
/// The recipes of long runs (minutes to hours of CPU, or that rewrite the
/// shipped weights): the network runs, the trainings and the variability
/// studies. A block holding one is skipped whole: its other commands read
/// what the recipe writes.
fn long_recipe(cmd: &str) -> bool {
    [
        "rf_network.py run",
        "train_rf_network.py spin",
        "train_rf_network.py mlp",
        "variability.py",
    ]
    .iter()
    .any(|r| cmd.contains(r))
}

fn adapt(cmd: &str) -> Option<String> {
    // a synopsis (`spinspice run NETLIST [-o OUT] …`), not a command
    if cmd.contains("NETLIST") || cmd.contains(" [") || cmd.contains('…') {
        return None;
    }
    if long_recipe(cmd) {
        return None;
    }
    if cmd.starts_with("P=") {
        // the venv of the docs is the test's Python
        return Some(format!("P='{}'", common::python()));
    }
    let mut c = cmd.replace("target/release/spinspice", env!("CARGO_BIN_EXE_spinspice"));
    if c.starts_with("spinspice run") && !c.contains("--shard") && !c.contains("--param") {
        if let Some((n, k)) = HEAVY.iter().find(|(n, _)| c.contains(n)) {
            let text = std::fs::read_to_string(repo().join("netlists").join(n)).unwrap();
            let sweep = c.contains("--step") || text.lines().any(|l| l.starts_with(".step"));
            if sweep {
                c.push_str(&format!(" --shard 1/{k}"));
            }
        }
    }
    Some(c)
}

fn have_python() -> bool {
    let ok = Command::new(common::python())
        .args(["-c", "import h5py, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            !common::tools_required(),
            "a Python with h5py is required (SPINSPICE_REQUIRE_TOOLS=1)"
        );
        eprintln!("NOTICE: no Python with h5py: the docs' Python snippets and tools are skipped");
    }
    ok
}

/// The Python package installed for the snippets that `import spinspice`
/// (once per run of this file), or None with a notice when the Python
/// lacks pip's build backend (maturin; `SPINSPICE_REQUIRE_TOOLS=1`: fail).
fn package_site() -> Option<PathBuf> {
    static SITE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    SITE.get_or_init(|| {
        let py = common::python();
        let has = Command::new(&py)
            .args(["-c", "import maturin, numpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !has {
            assert!(
                !common::tools_required(),
                "SPINSPICE_REQUIRE_TOOLS=1 but '{py}' lacks maturin (the package's snippets)"
            );
            eprintln!("NOTICE: no maturin: the snippets that import spinspice are skipped");
            return None;
        }
        let site = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-site-docs");
        common::install_python_package(&py, &site).unwrap_or_else(|e| panic!("{e}"));
        Some(site)
    })
    .clone()
}

/// Runs the blocks of one document; returns what ran, for the caller's checks.
fn run_doc(doc: &Path) -> (PathBuf, usize) {
    let rel = doc.strip_prefix(repo()).unwrap().display().to_string();
    let name = rel.replace(['/', '.'], "_");
    let dir = workspace(&name);
    let py = have_python();
    let text = std::fs::read_to_string(doc).unwrap();
    let mut ran = 0;
    for b in blocks(&text) {
        if b.lang == "python" {
            if !py {
                continue;
            }
            let mut env = Vec::new();
            let mut code = b.lines.join("\n");
            if code.contains("spinspice.") || code.contains("import spinspice") {
                let Some(site) = package_site() else { continue };
                env.push(("PYTHONPATH", site.display().to_string()));
                env.push(("SPINSPICE_BIN", env!("CARGO_BIN_EXE_spinspice").to_string()));
                // a later snippet of the same session relies on the import
                if !code.contains("import spinspice") {
                    code = format!("import spinspice\n{code}");
                }
            }
            let script = dir.join("snippet.py");
            std::fs::write(&script, code).unwrap();
            let (ok, out) = sh(&dir, "python3 snippet.py", &env);
            assert!(ok, "{rel}:{}: the Python snippet failed:\n{out}", b.at);
            ran += 1;
            continue;
        }
        if !matches!(b.lang.as_str(), "" | "sh" | "bash") {
            continue;
        }
        let slurm = b.lines.iter().any(|l| l.starts_with("#SBATCH --array"));
        let cmds = commands(&b);
        if cmds.iter().any(|c| long_recipe(c)) {
            continue;
        }
        // Without Python, a block that runs it is skipped whole (its other
        // commands may read what the Python wrote).
        if !py
            && cmds
                .iter()
                .any(|c| c.starts_with("python3") || c.starts_with("$P"))
        {
            continue;
        }
        let mut script = String::new();
        for cmd in cmds {
            if cmd == "cargo test --release" {
                continue;
            }
            if let Some(c) = adapt(&cmd) {
                script.push_str(&c);
                script.push('\n');
                ran += usize::from(!c.starts_with("P="));
            }
        }
        if script.is_empty() {
            continue;
        }
        if slurm {
            // the array's tasks, then the merge the comment submits
            for task in 1..=16 {
                let env = [
                    ("SLURM_CPUS_PER_TASK", "2".to_string()),
                    ("SLURM_ARRAY_TASK_ID", task.to_string()),
                    ("SLURM_ARRAY_TASK_COUNT", "16".to_string()),
                ];
                let (ok, out) = sh(&dir, &script, &env);
                assert!(ok, "{rel}:{}: task {task}:\n{script}\n{out}", b.at);
            }
            let (ok, out) = sh(&dir, "spinspice merge sweep.h5 shard_*.h5", &[]);
            assert!(ok, "{rel}:{}: merge of the shards:\n{out}", b.at);
            continue;
        }
        let (ok, out) = sh(&dir, &script, &[]);
        assert!(ok, "{rel}:{}: a command failed:\n{script}\n{out}", b.at);
    }
    (dir, ran)
}

#[test]
fn readme_commands_and_snippets_run() {
    let (dir, ran) = run_doc(&repo().join("README.md"));
    assert!(ran >= 6, "only {ran} commands and snippets found");
    // The sizes the README states are the example's.
    let f = hdf5_pure::File::open(dir.join("sweep.h5")).unwrap();
    let shape = |a: &str| {
        f.dataset(&format!("sweep/axes/{a}"))
            .unwrap()
            .shape()
            .unwrap()[0]
    };
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let claim = format!("{} powers × {} frequencies", shape("prf"), shape("f0"));
    assert!(readme.contains(&claim), "the README does not say '{claim}'");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn docs_commands_and_snippets_run() {
    let mut docs = Vec::new();
    let mut stack = vec![repo().join("docs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                docs.push(p);
            }
        }
    }
    docs.sort();
    let mut total = 0;
    for doc in &docs {
        let (dir, ran) = run_doc(doc);
        total += ran;
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(total >= 25, "only {total} commands and snippets in docs/");
}

#[test]
fn command_extraction() {
    let b = Block {
        lang: "sh".into(),
        lines: vec![
            "#!/bin/bash".into(),
            "#SBATCH --array=1-16".into(),
            "spinspice run det.cir -q \\".into(),
            "    --shard \"$K/$N\" -o x.h5   # one shard".into(),
            "spinspice plot waves w.h5 -s 'v(#)' -o w.png".into(),
            "++++....".into(),
        ],
        at: 1,
    };
    assert_eq!(
        commands(&b),
        [
            "spinspice run det.cir -q      --shard \"$K/$N\" -o x.h5",
            "spinspice plot waves w.h5 -s 'v(#)' -o w.png"
        ]
    );
}
