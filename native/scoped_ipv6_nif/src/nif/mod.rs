//! The NIF functions of `scoped_ipv6_nif`, one file per area. Each decodes
//! its arguments, calls safe code, and encodes the answer.

mod addr;
mod host;
mod iface;
mod sock;
