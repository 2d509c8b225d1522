//! Fuzzing, short budget (CI): mutants of the bundled netlists (the
//! mutation engine of `examples/fuzz/engine.rs`) are checked in process —
//! parse, elaborate, build the system, resolve every signal, render the
//! messages — and a few of them run, all under small limits; none may
//! panic. A failure prints the minimized mutant (save it with the long run,
//! below, or by hand into `tests/fuzz_regressions/`). The saved crashers of
//! earlier runs are checked and run every time.
//!
//! The long run (documented in README, "Fuzzing"):
//! `cargo run --release --example fuzz -- --mutants 35000 --runs 2500`
//! runs the `spinspice` binary on each mutant (`check`, and `run` for a
//! share), with a 5 s hang limit, peak memory and exit codes recorded.
//!
//! Cost: about 10 s (3 000 checks, 60 runs).

#[path = "../examples/fuzz/engine.rs"]
mod engine;

use engine::Outcome;
use proptest::prelude::*;

fn quiet_panics() {
    // a caught panic is reported by the test, not printed by the hook
    std::panic::set_hook(Box::new(|_| {}));
    engine::small_limits();
}

fn report(text: &str, msg: &str, probe: fn(&str) -> Outcome) -> String {
    let small = engine::minimize(text, &|t| matches!(probe(t), Outcome::Panic(_)));
    format!("panic: {msg}\nminimized mutant:\n{small}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutants_check_without_panic(seed in any::<u64>()) {
        quiet_panics();
        let corpus = engine::corpus();
        let mut rng = engine::Rng::new(seed);
        let (_, base) = rng.pick(&corpus).clone();
        let text = engine::mutate(&mut rng, &base, &corpus);
        if let Outcome::Panic(msg) = engine::check(&text) {
            return Err(TestCaseError::fail(report(&text, &msg, engine::check)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutants_run_without_panic(seed in any::<u64>()) {
        quiet_panics();
        let corpus = engine::corpus();
        let mut rng = engine::Rng::new(seed);
        let (_, base) = rng.pick(&corpus).clone();
        let text = engine::mutate(&mut rng, &base, &corpus);
        if let Outcome::Panic(msg) = engine::simulate(&text) {
            return Err(TestCaseError::fail(report(&text, &msg, engine::simulate)));
        }
    }
}

#[test]
fn saved_crashers_stay_fixed() {
    quiet_panics();
    for (path, text) in engine::regressions() {
        for (what, o) in [
            ("check", engine::check(&text)),
            ("run", engine::simulate(&text)),
        ] {
            assert!(
                !matches!(o, Outcome::Panic(_)),
                "{}: {what}: {o:?}",
                path.display()
            );
        }
    }
}

#[test]
fn mutation_is_reproducible_and_minimization_shrinks() {
    let corpus = engine::corpus();
    assert!(corpus.len() >= 20, "{} netlists", corpus.len());
    let (_, base) = &corpus[0];
    let a = engine::mutate(&mut engine::Rng::new(7), base, &corpus);
    let b = engine::mutate(&mut engine::Rng::new(7), base, &corpus);
    assert_eq!(a, b);
    let text = "t\nR1 a 0 1\nBOOM here now\nC1 a 0 1\n";
    let small = engine::minimize(text, &|t| t.contains("BOOM"));
    assert_eq!(small, "t\nBOOM\n");
}
