//! NIF of `scoped_ipv6`: scoped IPv6 addresses and interface resolution for
//! the BEAM. `addr` and `iface` are plain Rust with their own unit tests;
//! `nif` only decodes, calls and encodes (through `term`). `unsafe` lives in
//! two modules: `sys` (the libc calls: interface names, indexes, addresses)
//! and `gai` (getaddrinfo, which std wraps without its error codes).
//!
//! The BEAM-facing modules are left out of unit-test builds: on Linux they
//! link the `enif_*` symbols that only a running VM provides. The Erlang and
//! Elixir suites test them through the real VM.

pub mod addr;
pub mod error;
#[allow(unsafe_code)]
pub mod gai;
pub mod iface;
pub mod resolver;
#[allow(unsafe_code)]
mod sys;

#[cfg(not(test))]
mod atoms;
#[cfg(not(test))]
mod nif;
#[cfg(not(test))]
mod term;

#[cfg(not(test))]
rustler::init!("scoped_ipv6_nif");
