//! Graceful interruption (SIGINT, SIGTERM, SIGHUP).
//!
//! The CLI installs the handlers ([`install`]); a signal only sets a flag.
//! The run polls it where stopping loses nothing ([`check`]): between output
//! points of an analysis (the single-run sink filter), between the points a
//! sweep worker computes, and before the sweep writer replays the next
//! finished point. The analysis then fails with "interrupted", the writer
//! finishes the output file with `complete = 0` (the step points already
//! written keep their status and measures, the point being written is marked
//! "run interrupted") and the CLI exits with 130. A second signal ends the
//! process at once (exit 130); what the file holds is then what the last
//! commit put there, as after SIGKILL.
//!
//! Without [`install`] (library use, tests) the flag is never set.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Exit status of an interrupted run (128 + SIGINT, the shell convention).
pub const EXIT_STATUS: u8 = 130;

/// Installs the handlers: the first signal sets the flag, a second one exits.
pub fn install() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // Registered first, so it sees the flag as it was before this signal.
        signal_hook::flag::register_conditional_shutdown(sig, i32::from(EXIT_STATUS), &REQUESTED)?;
        signal_hook::flag::register(sig, &REQUESTED)?;
    }
    Ok(())
}

/// A signal asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` once a signal asked the run to stop.
pub fn check() -> io::Result<()> {
    if requested() {
        Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "interrupted by a signal",
        ))
    } else {
        Ok(())
    }
}
