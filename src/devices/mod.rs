//! Devices. Each device is one file that evaluates its F, Q and their Jacobian
//! entries into slots reserved once per topology.
pub mod waveform;
