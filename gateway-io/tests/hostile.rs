//! Hostile clients end to end: every listener of one in-process `GatewayServer` (Semtech UDP,
//! Basics Station LNS and CUPS, MQTT v3 and v2, plain and TLS) takes a battery of abusive
//! inputs, and after each battery well-behaved gateways on every protocol must still get
//! uplinks through and downlinks acknowledged.
//!
//! Batteries (one module each): garbage, truncated and oversized frames; extreme numbers in
//! every numeric field of every message type; forged identities; UDP amplification; floods
//! (unregistered EUIs, idle connections, slowloris) with a memory bound, and gateways that stop
//! reading; replacement races of one gateway across listeners; a panic-inducing input followed
//! by new stations.
//!
//! Run alone with `cargo test -p loragw-gateway-io --all-features --test hostile`; the memory
//! measurement takes a lock that keeps the other tests of this binary out while it runs.
//!
//! `hostile/support.rs` is the only module that touches the server's API; the clients in
//! `hostile/clients.rs` speak the protocols over sockets only.

#![cfg(all(
    feature = "udp",
    feature = "lbs",
    feature = "cups",
    feature = "mqtt-server",
    feature = "tls"
))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed setup step is a failed test
#![allow(dead_code, unreachable_pub)] // helpers shared by batteries that each use a subset

#[path = "hostile/clients.rs"]
mod clients;
#[path = "hostile/fixtures.rs"]
mod fixtures;
#[path = "hostile/mutate.rs"]
mod mutate;
#[path = "hostile/sanity.rs"]
mod sanity;
#[path = "hostile/support.rs"]
mod support;

#[path = "hostile/amplification.rs"]
mod amplification;
#[path = "hostile/floods.rs"]
mod floods;
#[path = "hostile/forged.rs"]
mod forged;
#[path = "hostile/garbage.rs"]
mod garbage;
#[path = "hostile/numbers.rs"]
mod numbers;
#[path = "hostile/panics.rs"]
mod panics;
#[path = "hostile/races.rs"]
mod races;
#[path = "hostile/stalls.rs"]
mod stalls;

/// A small deterministic generator (xorshift64*) for random bytes and EUIs: runs repeat.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced by 1).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}
