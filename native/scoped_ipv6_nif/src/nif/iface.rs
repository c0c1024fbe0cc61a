use rustler::{Env, NifResult, Term};

use crate::atoms;
use crate::error::Error;
use crate::iface::{self, Flag, Interface, InterfaceAddr};
use crate::term;

/// `{ok, Index}` for a zone (index or name binary), or `{error, Reason}`.
#[rustler::nif]
fn resolve_zone(zone: Term<'_>) -> NifResult<Result<u32, Error>> {
    Ok(term::decode_zone(zone)?
        .map_err(Error::from)
        .and_then(|zone| iface::resolve(zone.as_zone())))
}

/// `{ok, NameBinary}` for an interface index, or `{error, Reason}`.
#[rustler::nif]
fn if_name(index: u32) -> Result<String, Error> {
    iface::name_of(index)
}

/// `{ok, [#{name, index, flags, addrs}]}`; getifaddrs may take a while on a
/// box with thousands of interfaces, hence the dirty scheduler.
#[rustler::nif(schedule = "DirtyIo")]
fn interfaces(env: Env<'_>) -> Result<Vec<Term<'_>>, Error> {
    let list = iface::interfaces()?;
    Ok(list.iter().map(|i| encode_interface(env, i)).collect())
}

fn encode_interface<'a>(env: Env<'a>, interface: &Interface) -> Term<'a> {
    let flags: Vec<_> = interface.flags.iter().map(|&f| flag_atom(f)).collect();
    let addrs: Vec<_> = interface
        .addrs
        .iter()
        .map(|a| encode_addr(env, a))
        .collect();
    rustler::term_map!(env, {
        atoms::name() => interface.name.as_str(),
        atoms::index() => interface.index,
        atoms::flags() => flags,
        atoms::addrs() => addrs,
    })
}

fn encode_addr<'a>(env: Env<'a>, entry: &InterfaceAddr) -> Term<'a> {
    let addr = match entry.addr {
        std::net::IpAddr::V6(v6) => term::encode_scoped(env, v6, entry.scope),
        v4 => term::encode_ip(env, v4),
    };
    rustler::term_map!(env, {
        atoms::addr() => addr,
        atoms::prefixlen() => entry.prefix_len,
    })
}

fn flag_atom(flag: Flag) -> rustler::Atom {
    match flag {
        Flag::Up => atoms::up(),
        Flag::Broadcast => atoms::broadcast(),
        Flag::Loopback => atoms::loopback(),
        Flag::PointToPoint => atoms::pointtopoint(),
        Flag::Running => atoms::running(),
        Flag::Multicast => atoms::multicast(),
    }
}
