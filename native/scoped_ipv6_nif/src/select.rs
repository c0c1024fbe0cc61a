//! A connect in progress, waiting in the VM's own poll set: `enif_select`
//! and the resource type it needs. rustler registers no `stop` callback and
//! wraps no `enif_select`, so this module opens the type itself with `dtor`,
//! `stop` and `down`, and is, with `sys`, the only module with `unsafe`.
//!
//! Life of a `Pending`:
//! - made with the socket, it monitors the caller and selects WRITE; the
//!   caller gets `{select, Pending, Ref, ready_output}` when the connect ends;
//! - `finish` hands a duplicate descriptor to the BEAM and STOPs the
//!   original: the VM's poll set forgets it, then `stop` closes it. The
//!   duplicate is not in the poll set, so the inet driver can adopt it at
//!   once, without waiting for a stop that may be scheduled later;
//! - `cancel` (timeout), the caller's death (`down`) and garbage collection
//!   (`dtor`) close it too, through STOP whenever it was selected.
//!
//! The lock is never held across `enif_select(STOP)`: the VM may call `stop`
//! from inside it, on this thread.

use std::ffi::CStr;
use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard};

use rustler::sys::{
    enif_alloc_resource, enif_demonitor_process, enif_get_resource, enif_make_resource,
    enif_monitor_process, enif_open_resource_type_x, enif_release_resource, enif_select, ErlNifEnv,
    ErlNifEvent, ErlNifMonitor, ErlNifPid, ErlNifResourceDown, ErlNifResourceDtor,
    ErlNifResourceFlags, ErlNifResourceStop, ErlNifResourceType, ErlNifResourceTypeInit,
    ERL_NIF_SELECT_STOP, ERL_NIF_SELECT_WRITE,
};
use rustler::{Atom, Env, Term};
use socket2::Socket;

use crate::sock;

/// Bits of `enif_select`'s answer that `rustler::sys` lacks (erl_nif.h).
const ERL_NIF_SELECT_FAILED: i32 = 1 << 3;

static PENDING_TYPE: AtomicPtr<ErlNifResourceType> = AtomicPtr::new(ptr::null_mut());

rustler::atoms! { undefined }

/// A socket whose connect is in progress.
pub struct Pending {
    state: Mutex<State>,
}

struct State {
    /// Closed when dropped: taken out by whoever closes it, exactly once.
    socket: Option<Socket>,
    /// Registered in the VM's poll set: only STOP may close it then.
    selected: bool,
    monitor: Option<ErlNifMonitor>,
}

/// The NIF's `load` callback: opens the resource type, once.
pub fn on_load(env: Env, _load_info: Term) -> bool {
    let init = ErlNifResourceTypeInit {
        dtor: pending_dtor as *const ErlNifResourceDtor,
        stop: pending_stop as *const ErlNifResourceStop,
        down: pending_down as *const ErlNifResourceDown,
    };
    let name: &CStr = c"scoped_ipv6_pending_connect";
    // SAFETY: called from the load callback with its env; `name` and `init`
    // are valid for the call, which copies what it keeps.
    let ty = unsafe {
        enif_open_resource_type_x(
            env.as_c_arg(),
            name.as_ptr(),
            &init,
            ErlNifResourceFlags::ERL_NIF_RT_CREATE,
            ptr::null_mut(),
        )
    };
    PENDING_TYPE.store(ty as *mut _, Ordering::Release);
    !ty.is_null()
}

impl Pending {
    /// Wraps a connecting socket in a resource term that monitors the caller
    /// and waits for WRITE; `ref_` comes back in the `select` message.
    pub fn start<'a>(env: Env<'a>, socket: Socket, ref_: Term<'a>) -> io::Result<Term<'a>> {
        let fd = sock::raw(&socket);
        let pending = Pending {
            state: Mutex::new(State {
                socket: Some(socket),
                selected: false,
                monitor: None,
            }),
        };
        let ty = PENDING_TYPE.load(Ordering::Acquire);
        // SAFETY: `ty` was opened in load for objects of this size.
        let obj = unsafe { enif_alloc_resource(ty, mem::size_of::<Pending>()) }.cast::<Pending>();
        // SAFETY: `obj` is fresh, aligned memory of the right size, written once.
        unsafe { obj.write(pending) };
        // SAFETY: `obj` is a live resource; the term keeps it alive after release.
        let term = unsafe { Term::new(env, enif_make_resource(env.as_c_arg(), obj.cast())) };
        // SAFETY: drops our own reference; the term above holds another.
        unsafe { enif_release_resource(obj.cast()) };
        // SAFETY: `obj` stays alive as long as `term`, which lives for this call.
        let pending = unsafe { &*obj };

        let caller = env.pid();
        let mut monitor = MaybeUninit::<ErlNifMonitor>::zeroed();
        // SAFETY: `obj` is a resource of a type with a `down` callback; the
        // pid and the monitor slot are valid for the call.
        let monitored = unsafe {
            enif_monitor_process(
                env.as_c_arg(),
                obj.cast(),
                caller.as_c_arg(),
                monitor.as_mut_ptr(),
            )
        };
        if monitored != 0 {
            // The caller is gone already (or cannot be monitored): close now.
            pending.lock().socket = None;
            return Err(io::Error::from_raw_os_error(libc::ECANCELED));
        }
        {
            let mut state = pending.lock();
            // SAFETY: enif_monitor_process returned 0, so it wrote the monitor.
            state.monitor = Some(unsafe { monitor.assume_init() });
            state.selected = true;
        }
        // SAFETY: `fd` is the open socket owned by `obj`; `caller` and `ref_`
        // are valid terms of this env.
        let selected = unsafe {
            enif_select(
                env.as_c_arg(),
                fd as ErlNifEvent,
                ERL_NIF_SELECT_WRITE,
                obj.cast(),
                caller.as_c_arg(),
                ref_.as_c_arg(),
            )
        };
        if selected < 0 || selected & ERL_NIF_SELECT_FAILED != 0 {
            pending.lock().selected = false;
            pending.close(env);
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        Ok(term)
    }

    /// The `Pending` behind a term, if it is one.
    pub fn get<'a>(term: Term<'a>) -> Option<&'a Pending> {
        let ty = PENDING_TYPE.load(Ordering::Acquire);
        let mut obj: *const libc::c_void = ptr::null();
        // SAFETY: `term` is a valid term of its env; `obj` receives a pointer.
        let found =
            unsafe { enif_get_resource(term.get_env().as_c_arg(), term.as_c_arg(), ty, &mut obj) };
        // SAFETY: a resource of our type is a `Pending`, alive while `term` is.
        (found != 0).then(|| unsafe { &*obj.cast::<Pending>() })
    }

    /// After `ready_output`: the connected socket as a new descriptor, or
    /// the connect's error. Either way this `Pending` is closed.
    pub fn finish(&self, env: Env) -> io::Result<OwnedFd> {
        let result = match self.lock().socket.as_ref() {
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
            Some(socket) => sock::connect_outcome(socket).and_then(|()| sock::duplicate(socket)),
        };
        self.close(env);
        result
    }

    /// Stops waiting and closes the socket (timeout, or an error).
    pub fn close(&self, env: Env) {
        self.demonitor(env);
        self.close_with(env.as_c_arg());
    }

    fn demonitor(&self, env: Env) {
        if let Some(monitor) = self.lock().monitor.take() {
            // SAFETY: `self` is a live resource and `monitor` one of its monitors.
            unsafe { enif_demonitor_process(env.as_c_arg(), self.as_obj(), &monitor) };
        }
    }

    /// STOP when selected (`stop` then closes), else close here and now.
    fn close_with(&self, env: *mut ErlNifEnv) {
        let fd = {
            let mut state = self.lock();
            if !state.selected {
                state.socket = None;
                return;
            }
            match state.socket.as_ref() {
                Some(socket) => sock::raw(socket),
                None => return,
            }
        };
        select_stop(env, fd, self.as_obj());
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock still guards a consistent Option: keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn as_obj(&self) -> *mut libc::c_void {
        (self as *const Pending).cast_mut().cast()
    }
}

fn select_stop(env: *mut ErlNifEnv, fd: RawFd, obj: *mut libc::c_void) {
    let no_ref: Atom = undefined();
    // SAFETY: `fd` is the socket `obj` selected; STOP ignores pid and ref.
    unsafe {
        enif_select(
            env,
            fd as ErlNifEvent,
            ERL_NIF_SELECT_STOP,
            obj,
            ptr::null::<ErlNifPid>(),
            no_ref.as_c_arg(),
        )
    };
}

unsafe extern "C" fn pending_stop(
    _env: *mut ErlNifEnv,
    obj: *mut libc::c_void,
    _fd: ErlNifEvent,
    _is_direct_call: libc::c_int,
) {
    // SAFETY: the VM calls `stop` with a live resource of our type.
    let pending = unsafe { &*obj.cast::<Pending>() };
    let mut state = pending.lock();
    state.selected = false;
    state.socket = None;
}

unsafe extern "C" fn pending_down(
    env: *mut ErlNifEnv,
    obj: *mut libc::c_void,
    _pid: *const ErlNifPid,
    _monitor: *const ErlNifMonitor,
) {
    // SAFETY: the VM calls `down` with a live resource of our type.
    let pending = unsafe { &*obj.cast::<Pending>() };
    pending.lock().monitor = None;
    pending.close_with(env);
}

unsafe extern "C" fn pending_dtor(_env: *mut ErlNifEnv, obj: *mut libc::c_void) {
    // SAFETY: the last reference is gone (a selected resource is kept alive
    // by the VM until STOP), so nobody else can touch it; dropped once.
    unsafe { ptr::drop_in_place(obj.cast::<Pending>()) };
}
