use rustler::{Binary, Encoder, Env, NifResult, Term};

use crate::addr::{self, Parsed, Zone};
use crate::error::Error;
use crate::term;

/// Text to `Ip4 | Ip6 | {Ip6, Index | NameBinary}`, or `{error, einval}`.
/// A name is returned as a sub-binary of the input: no copy.
#[rustler::nif]
fn parse<'a>(env: Env<'a>, text: Binary<'a>) -> NifResult<Term<'a>> {
    let parsed = match addr::parse(text.as_slice()) {
        Ok(parsed) => parsed,
        Err(invalid) => return Ok(Error::from(invalid).encode(env)),
    };
    Ok(match parsed {
        Parsed::V4(v4) => term::encode_ip4(env, v4),
        Parsed::V6(v6) => term::encode_ip6(env, v6),
        Parsed::Scoped(v6, Zone::Index(index)) => (term::encode_ip6(env, v6), index).encode(env),
        Parsed::Scoped(v6, Zone::Name(name)) => {
            let offset = name.as_ptr() as usize - text.as_slice().as_ptr() as usize;
            let name = text.make_subbinary(offset, name.len())?;
            (term::encode_ip6(env, v6), name).encode(env)
        }
    })
}

/// RFC 5952 text of an IPv6 address, as a binary.
#[rustler::nif]
fn ntoa<'a>(env: Env<'a>, ip: Term<'a>) -> NifResult<Term<'a>> {
    Ok(term::decode_ip6(ip)?.to_string().encode(env))
}

/// RFC 5952 text plus `%Zone`, as a binary, or `{error, einval}`.
#[rustler::nif]
fn ntoa_scoped<'a>(env: Env<'a>, ip: Term<'a>, zone: Term<'a>) -> NifResult<Term<'a>> {
    let ip = term::decode_ip6(ip)?;
    let text = term::decode_zone(zone)?.and_then(|zone| addr::format_scoped(ip, zone));
    Ok(match text {
        Ok(text) => text.encode(env),
        Err(invalid) => Error::from(invalid).encode(env),
    })
}
