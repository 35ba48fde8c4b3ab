//! Small C functions that stand between scripts and the Rust functions behind them.
//!
//! Redis's library functions are C functions: an error they raise carries no position, and a
//! script's `return redis.call(...)` keeps the script's frame on the stack, so the error names
//! the script's line. A Lua wrapper would break both (a Lua function in a tail call replaces the
//! caller's frame), and a Rust callback cannot raise a plain Lua value (mlua raises its own error
//! objects). These trampolines are C functions: they call the Rust function and raise what it
//! asked to raise as an ordinary Lua error value.
//!
//! They hold no Rust values with destructors when they raise, so the longjmp of `lua_error`
//! skips nothing that needs dropping.

use std::ffi::c_int;

use mlua::ffi;

use super::error_mark_ptr;

/// `make_checked(f)`: a C closure that calls `f` and, when `f` returns the error mark, the error
/// value and whether to put the position in front (as `luaL_error` does), raises it; otherwise
/// returns what `f` returned.
pub unsafe extern "C-unwind" fn make_checked(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        ffi::lua_settop(state, 1);
        ffi::lua_pushcclosure(state, checked, 1);
    }
    1
}

unsafe extern "C-unwind" fn checked(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let nargs = ffi::lua_gettop(state);
        if ffi::lua_checkstack(state, 2) == 0 {
            return 0;
        }
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let results = ffi::lua_gettop(state);
        if results >= 3
            && ffi::lua_type(state, 1) == ffi::LUA_TLIGHTUSERDATA
            && ffi::lua_touserdata(state, 1) == error_mark_ptr()
        {
            let positioned = ffi::lua_toboolean(state, 3) != 0;
            ffi::lua_settop(state, 2);
            if positioned {
                ffi::luaL_where(state, 1);
                ffi::lua_insert(state, 2);
                ffi::lua_concat(state, 2);
            }
            ffi::lua_error(state);
        }
        results
    }
}

/// `make_call(transport, raise)`: redis.call (`raise` true) or redis.pcall. The transport
/// returns the reply and whether to raise it.
pub unsafe extern "C-unwind" fn make_call(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        ffi::lua_settop(state, 2);
        ffi::lua_pushcclosure(state, call, 2);
    }
    1
}

unsafe extern "C-unwind" fn call(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let nargs = ffi::lua_gettop(state);
        if ffi::lua_checkstack(state, 3) == 0 {
            return 0;
        }
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
        ffi::lua_insert(state, 2);
        ffi::lua_call(state, nargs + 1, 2);
        let raise = ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_pop(state, 1);
        if raise {
            ffi::lua_error(state);
        }
    }
    1
}
