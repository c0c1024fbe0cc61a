//! Interfaces: names <-> indexes, and every interface with its addresses,
//! those that need a scope carrying it. Safe code over `sys`.

use std::net::IpAddr;

use crate::addr::{self, Zone};
use crate::error::{Error, OwnedZone};
use crate::sys;

/// Interface flags that the BEAM sees, named as `inet:getifaddrs/0` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Up,
    Broadcast,
    Loopback,
    PointToPoint,
    Running,
    Multicast,
}

const FLAG_BITS: [(libc::c_int, Flag); 6] = [
    (libc::IFF_UP, Flag::Up),
    (libc::IFF_BROADCAST, Flag::Broadcast),
    (libc::IFF_LOOPBACK, Flag::Loopback),
    (libc::IFF_POINTOPOINT, Flag::PointToPoint),
    (libc::IFF_RUNNING, Flag::Running),
    (libc::IFF_MULTICAST, Flag::Multicast),
];

/// An address of an interface. `scope` is `Some` exactly when the address
/// needs one (`addr::needs_scope`), holding the interface's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddr {
    pub addr: IpAddr,
    pub scope: Option<u32>,
    pub prefix_len: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub index: u32,
    pub flags: Vec<Flag>,
    pub addrs: Vec<InterfaceAddr>,
}

/// The index a zone stands for: a name is looked up, an index must exist
/// (index 0, "no zone", is returned as it is).
pub fn resolve(zone: Zone<'_>) -> Result<u32, Error> {
    match zone {
        Zone::Index(0) => Ok(0),
        Zone::Index(index) => name_of(index).map(|_| index),
        Zone::Name(name) => {
            addr::check_zone_name(name.as_bytes())?;
            sys::if_nametoindex(name)?.ok_or_else(|| Error::NoSuchInterface(zone.into()))
        }
    }
}

/// The name of the interface with this index.
pub fn name_of(index: u32) -> Result<String, Error> {
    sys::if_indextoname(index)?.ok_or(Error::NoSuchInterface(OwnedZone::Index(index)))
}

/// Every interface of this network namespace, by index.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    let mut found: Vec<Interface> = Vec::new();
    for entry in sys::getifaddrs()? {
        let at = match found.iter().position(|i| i.name == entry.name) {
            Some(at) => at,
            None => {
                // Gone between getifaddrs and now: skip it rather than guess.
                let Some(index) = sys::if_nametoindex(&entry.name)? else {
                    continue;
                };
                found.push(Interface {
                    name: entry.name.clone(),
                    index,
                    flags: flags_of(entry.flags),
                    addrs: Vec::new(),
                });
                found.len() - 1
            }
        };
        if let Some((ip, scope_id)) = entry.addr {
            let addr = interface_addr(ip, scope_id, entry.netmask);
            if !found[at].addrs.contains(&addr) {
                found[at].addrs.push(addr);
            }
        }
    }
    found.sort_by_key(|i| i.index);
    Ok(found)
}

fn flags_of(bits: u32) -> Vec<Flag> {
    FLAG_BITS
        .iter()
        .filter(|(bit, _)| bits & (*bit as u32) != 0)
        .map(|&(_, flag)| flag)
        .collect()
}

fn interface_addr(ip: IpAddr, scope_id: u32, netmask: Option<IpAddr>) -> InterfaceAddr {
    let prefix_len = netmask.map(prefix_len);
    match ip {
        IpAddr::V6(v6) if addr::needs_scope(v6) => {
            let (v6, scope) = if cfg!(target_os = "linux") {
                (v6, scope_id)
            } else {
                addr::normalize_kame(v6, scope_id)
            };
            InterfaceAddr {
                addr: IpAddr::V6(v6),
                scope: Some(scope),
                prefix_len,
            }
        }
        _ => InterfaceAddr {
            addr: ip,
            scope: None,
            prefix_len,
        },
    }
}

fn prefix_len(netmask: IpAddr) -> u8 {
    let ones = match netmask {
        IpAddr::V4(v4) => u32::from(v4).leading_ones(),
        IpAddr::V6(v6) => u128::from(v6).leading_ones(),
    };
    ones as u8
}

#[cfg(test)]
#[path = "iface_tests.rs"]
mod tests;
