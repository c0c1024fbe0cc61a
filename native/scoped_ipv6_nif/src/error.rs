//! The one error type of the crate. `term.rs` turns it into the atoms and
//! tagged tuples that the Erlang API documents, never into strings.

use std::io;

use crate::addr::{Invalid, Zone};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Address or zone text that is not valid: `einval`, as `inet` says it.
    #[error("invalid address: {0}")]
    Invalid(#[from] Invalid),
    /// `{no_such_interface, NameOrIndex}`.
    #[error("no such interface: {0:?}")]
    NoSuchInterface(OwnedZone),
    /// An OS call failed: its errno as an `inet:posix()` atom.
    #[error(transparent)]
    Os(#[from] io::Error),
}

/// A zone that outlives the input it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedZone {
    Index(u32),
    Name(String),
}

impl From<Zone<'_>> for OwnedZone {
    fn from(zone: Zone<'_>) -> Self {
        match zone {
            Zone::Index(index) => OwnedZone::Index(index),
            Zone::Name(name) => OwnedZone::Name(name.to_owned()),
        }
    }
}

impl OwnedZone {
    pub fn as_zone(&self) -> Zone<'_> {
        match self {
            OwnedZone::Index(index) => Zone::Index(*index),
            OwnedZone::Name(name) => Zone::Name(name),
        }
    }
}

impl std::fmt::Display for OwnedZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnedZone::Index(index) => write!(f, "{index}"),
            OwnedZone::Name(name) => f.write_str(name),
        }
    }
}
