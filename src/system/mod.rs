//! The DAE system F(x) + dQ(x)/dt = 0.
