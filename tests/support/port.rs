//! Loopback ports for the services tests start.

use std::net::{Ipv4Addr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

/// The only address test services listen on.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it, the listener is
/// closed and the port handed out. Another process can take it in between, so services
/// that fail to bind retry with a new one.
#[track_caller]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0))
        .unwrap_or_else(|error| panic!("no free port on {LOOPBACK}: {error}"));
    listener
        .local_addr()
        .unwrap_or_else(|error| panic!("reading the port of {listener:?}: {error}"))
        .port()
}

/// Calls `ready` every few milliseconds until it says yes or `within` has passed.
pub(crate) fn wait_until(within: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}
