//! The one error type of the crate. `term.rs` encodes it as the reason the
//! Erlang API documents (an atom or a tagged tuple, never a string); a NIF
//! returns `Result<T, Error>`, which rustler encodes as `{ok, T}` or
//! `{error, Reason}`.

use std::io;

use crate::addr::{Invalid, Zone};
use crate::gai::GaiError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Address or zone text that is not valid: `einval`, as `inet` says it.
    #[error("invalid address: {0}")]
    Invalid(#[from] Invalid),
    /// `{no_such_interface, NameOrIndex}`.
    #[error("no such interface: {0:?}")]
    NoSuchInterface(OwnedZone),
    /// A host name with no address: `nxdomain`.
    #[error("no such host name")]
    NoSuchHost,
    /// A lookup that may succeed later (DNS did not answer): `try_again`.
    #[error("temporary failure in name resolution")]
    TryAgain,
    /// A lookup that failed for good: `no_recovery`.
    #[error("non-recoverable failure in name resolution")]
    NoRecovery,
    /// Every lookup slot is taken: `system_limit`.
    #[error("too many lookups in progress")]
    SystemLimit,
    /// An OS call failed: its errno as an `inet:posix()` atom.
    #[error(transparent)]
    Os(#[from] io::Error),
}

// rustler returns a NIF's value across `catch_unwind`. An `io::Error` may
// hold a boxed custom error, which the compiler cannot prove unwind-safe;
// ours are only ever made from errno values, and an error is read, never
// mutated, after a panic.
impl std::panic::UnwindSafe for Error {}
impl std::panic::RefUnwindSafe for Error {}

impl From<GaiError> for Error {
    fn from(err: GaiError) -> Self {
        match err {
            GaiError::NoName => Error::NoSuchHost,
            GaiError::Again => Error::TryAgain,
            GaiError::Fail => Error::NoRecovery,
            GaiError::Os(err) => Error::Os(err),
            GaiError::Invalid => Error::Os(io::Error::from_raw_os_error(libc::EINVAL)),
        }
    }
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
