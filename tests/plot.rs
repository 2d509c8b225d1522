//! Every plot kind renders a non-trivial image: waveforms (PNG and SVG), a
//! measure vs a swept parameter, a heat map; engineering units on the axes.

use std::path::Path;
use std::process::Command;

const NETLIST: &str = "Detector for plots
.param prf=-10 f0=2g
Vrf in 0 SIN(0 {2*dbm2v(prf, 50)} {f0})
Rs in a 50
D1 a out dd
Cv out 0 2p
Rv out 0 5k
.model dd D(IS=5e-6 N=1.05 RS=10 CJO=0.1p)
.options interp
.tran 10p 8n 0 10p
.meas tran vdc DCMEAN v(out) FREQ=f0 SETTLE=4n
.step param prf list -20 -10 0 10 unit=dBm
.step param f0 list 1g 2g 3g unit=Hz
.end
";

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

fn run(args: &[&str]) {
    let out = Command::new(exe()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (width, height, fraction of non-white pixels, number of distinct colours)
fn png_stats(path: &Path) -> (u32, u32, f64, usize) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bpp = info.line_size / info.width as usize;
    let px: Vec<&[u8]> = buf[..info.buffer_size()].chunks(bpp).collect();
    let non_white = px.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let mut colours: Vec<[u8; 3]> = px.iter().map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort();
    colours.dedup();
    (
        info.width,
        info.height,
        non_white as f64 / px.len() as f64,
        colours.len(),
    )
}

#[test]
fn every_plot_kind_renders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let nl = d.join("det.cir");
    std::fs::write(&nl, NETLIST).unwrap();
    let h5 = d.join("s.h5");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    run(&["run", &s(&nl), "-o", &s(&h5), "-q"]);

    let waves = d.join("w.png");
    run(&[
        "plot",
        "waves",
        &s(&h5),
        "-o",
        &s(&waves),
        "-s",
        "v(out)",
        "-s",
        "v(a)",
        "--at",
        "prf=0",
        "--at",
        "f0=2g",
    ]);
    let (w, h, ink, colours) = png_stats(&waves);
    assert_eq!((w, h), (960, 600));
    assert!(ink > 0.02 && ink < 0.6, "ink {ink}");
    assert!(
        colours > 20,
        "anti-aliased text and two curves: {colours} colours"
    );

    let svg = d.join("w.svg");
    run(&[
        "plot",
        "waves",
        &s(&h5),
        "-o",
        &s(&svg),
        "--point",
        "5",
        "--size",
        "800x500",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.len() > 5000);
    assert!(
        text.contains("time [ns]"),
        "engineering units on the time axis"
    );
    assert!(text.contains("f0 = 2 GHz"), "the point in the title");
    assert!(text.contains("<polyline") || text.contains("<path"));

    let curve = d.join("m.png");
    run(&[
        "plot",
        "measure",
        &s(&h5),
        "vdc",
        "-o",
        &s(&curve),
        "-x",
        "prf",
        "--curves",
        "f0",
    ]);
    let (_, _, ink, colours) = png_stats(&curve);
    assert!(ink > 0.02 && colours > 20, "ink {ink}, {colours} colours");

    let map = d.join("map.png");
    run(&["plot", "map", &s(&h5), "vdc", "-o", &s(&map)]);
    let (w, h, ink, colours) = png_stats(&map);
    assert_eq!((w, h), (960, 720));
    // 12 cells plus a 128-step colour bar cover much of the picture.
    assert!(ink > 0.3, "ink {ink}");
    assert!(colours > 100, "{colours} colours");
    let map_svg = d.join("map.svg");
    run(&[
        "plot",
        "map",
        &s(&h5),
        "vdc",
        "-o",
        &s(&map_svg),
        "-x",
        "f0",
        "-y",
        "prf",
    ]);
    let t = std::fs::read_to_string(&map_svg).unwrap();
    assert!(t.contains("f0 [GHz]") && t.contains("prf [dBm]"));

    // Clear errors, no panics.
    for (args, needle) in [
        (
            vec!["plot", "map", &s(&h5), "nope", "-o", "x.png"],
            "no measure 'nope'",
        ),
        (
            vec![
                "plot",
                "map",
                &s(&h5),
                "vdc",
                "-o",
                "x.png",
                "-x",
                "prf",
                "-y",
                "prf",
            ],
            "must differ",
        ),
        (
            vec![
                "plot",
                "measure",
                &s(&h5),
                "vdc",
                "-o",
                "x.png",
                "-x",
                "prf",
                "--curves",
                "prf",
            ],
            "must differ",
        ),
        (
            vec!["plot", "waves", &s(&h5), "-o", "x.gif"],
            "use .png or .svg",
        ),
        (
            vec!["plot", "waves", &s(&h5), "-o", "x.png", "-s", "v(zz)"],
            "no signal 'v(zz)'",
        ),
        (vec!["plot", "waves", &s(&nl), "-o", "x.png"], "cannot open"),
    ] {
        let out = Command::new(exe())
            .args(&args)
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
