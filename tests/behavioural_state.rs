//! Behavioural sources reading device state unknowns `@dev[var]` (used by the
//! seed-002 neuron chains of `netlists/plouet_hpf_layers.cir`, where the
//! output of a power-only STNO is its normalized power p).

use spinspice::analysis::run::simulate_str;
use spinspice::output::AnalysisKind;

/// V = @n1[p] of a level-2 STNO under a constant current equals the logistic
/// closed form p(t) = p∞/(1 + (p∞/p_i − 1)e^{−at}), a = 2Γ_G(ξ − 1),
/// p∞ = (ξ − 1)/ξ (Q = 0, seed 002 Eq. 5.3), after a step 0.5 → 0.3 mA from
/// the DC state p_i = 1 − γ/I = 0.7 (seed 002 Eq. 6.4).
/// A G source driven by that voltage then carries the same signal into a resistor.
#[test]
fn b_source_reads_stno_power_state() {
    let nl = "state read-out\n\
        .model nrn STNO (level=2 gammag=7.5e7 sigma=0.5e12 q=0)\n\
        I1 0 a PWL(0 0.5m 1n 0.5m 1.01n 0.3m)\n\
        YSTNO n1 a 0 nrn\n\
        Bro x 0 V={@n1[p]}\n\
        G1 0 y cur={1m*v(x)}\n\
        Ry y 0 1k\n\
        .save v(x) v(y) @n1[p]\n\
        .options reltol=1e-6\n\
        .tran 0.1n 60n\n.end\n";
    let (sink, summary) = simulate_str(nl, &[]).unwrap();
    assert!(summary.failures.is_empty());
    let a = sink.analysis(AnalysisKind::Tran).unwrap();
    let (vx, vy, p) = (
        a.signal("v(x)").unwrap(),
        a.signal("v(y)").unwrap(),
        a.signal("@n1[p]").unwrap(),
    );
    let (gg, xi) = (7.5e7, 0.3e-3 * 0.5e12 / 7.5e7);
    let (pinf, rate) = ((xi - 1.0) / xi, 2.0 * gg * (xi - 1.0));
    let mut worst: f64 = 0.0;
    for (k, &t) in a.sweep.iter().enumerate() {
        assert!(
            (vx[k] - p[k]).abs() < 1e-12,
            "t = {t}: v(x) {} vs p {}",
            vx[k],
            p[k]
        );
        assert!((vy[k] - vx[k]).abs() < 1e-9);
        if t > 3e-9 {
            let want = pinf / (1.0 + (pinf / 0.7 - 1.0) * (-rate * (t - 1.005e-9)).exp());
            worst = worst.max((p[k] - want).abs());
        }
    }
    assert!(
        worst < 1e-4,
        "max deviation from the logistic solution {worst}"
    );
}

/// Unknown states and devices are reported, not panicked on.
#[test]
fn b_source_state_errors() {
    for (expr, needle) in [
        ("@n1[zz]", "no internal state 'zz'"),
        ("@nope[p]", "device 'nope' does not exist"),
    ] {
        let nl = format!(
            "bad\n.model nrn STNO (level=2 gammag=7.5e7 sigma=0.5e12)\nI1 0 a DC 0.5m\n\
             YSTNO n1 a 0 nrn\nBro x 0 V={{{expr}}}\n.tran 1n 10n\n.end\n"
        );
        let msg = match simulate_str(&nl, &[]) {
            Err(e) => e.to_string(),
            Ok((_, s)) => format!("{:?}", s.failures),
        };
        assert!(msg.contains(needle), "{expr}: {msg}");
    }
}
