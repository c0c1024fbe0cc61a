use rustler::{Atom, Env, Term};

use crate::error::Error;
use crate::{atoms, sys, term};

/// `{ok, {Address, Port}}` of a port's descriptor (from `inet:getfd/1`),
/// the peer's when `Which` is `peer`, with the scope the driver drops.
#[rustler::nif]
fn socket_addr(env: Env<'_>, fd: i32, which: Atom) -> Result<Term<'_>, Error> {
    let addr = sys::socket_addr(fd, which == atoms::peer())?;
    Ok(term::encode_socket_addr(env, addr))
}
