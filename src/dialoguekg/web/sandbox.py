"""Take the network away from a SPARQL query worker process, for good.

pyoxigraph's engine performs HTTP requests for SPARQL ``SERVICE`` clauses and has no option to
turn that off, so a worker running a stranger's query could be made to fetch any URL. Once, at
start-up, the worker calls :func:`forbid_network`, which installs a seccomp-BPF filter (Linux,
x86_64 and aarch64, built with ctypes only) on every thread of the process, and on every process
it starts later. The filter cannot be removed. It makes:

* ``socket()`` fail with EACCES unless the domain is AF_UNIX or AF_NETLINK: no AF_INET, AF_INET6,
  AF_PACKET, nor any other family that can reach another machine (AF_SMC, AF_VSOCK, AF_TIPC...);
* ``io_uring_setup()`` fail with ENOSYS, as io_uring can create and connect sockets itself;
* on x86_64, every x32-ABI system call fail with EACCES, and any other ABI (i386...) too, so
  that the numbers checked above cannot be sidestepped.

Every other system call is allowed: pipes, AF_UNIX sockets and socketpairs, files, threads.
File descriptors already open are untouched: the worker talks to the server over inherited pipes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import threading
from dataclasses import dataclass

__all__ = ["SandboxUnavailable", "forbid_network"]


class SandboxUnavailable(Exception):
    """This platform cannot forbid the network to the process; the message says why."""


# Linux constants (linux/filter.h, linux/seccomp.h, linux/audit.h, linux/prctl.h).
_BPF_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JSET_K = 0x05 | 0x40 | 0x00  # BPF_JMP | BPF_JSET | BPF_K
_BPF_RET_K = 0x06 | 0x00  # BPF_RET | BPF_K

_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_PR_SET_NO_NEW_PRIVS = 38

# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0_LOW = 16  # low 32 bits of args[0] on little-endian ABIs (the only two we accept)

_AUDIT_ARCH_X86_64 = 0xC000003E
_AUDIT_ARCH_AARCH64 = 0xC00000B7
_X32_SYSCALL_BIT = 0x40000000
_NR_IO_URING_SETUP = 425  # the same on x86_64 and aarch64

_AF_UNIX = 1
_AF_NETLINK = 16
_ALLOWED_DOMAINS = (_AF_UNIX, _AF_NETLINK)


@dataclass(frozen=True)
class _Abi:
    """The system call numbers of one ABI that the filter and its installation need."""

    audit_arch: int
    nr_socket: int
    nr_seccomp: int


_X86_64 = _Abi(audit_arch=_AUDIT_ARCH_X86_64, nr_socket=41, nr_seccomp=317)
_AARCH64 = _Abi(audit_arch=_AUDIT_ARCH_AARCH64, nr_socket=198, nr_seccomp=277)
_ABIS = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


# An instruction before assembly: (code, k, jump-if-true label, jump-if-false label).
_Op = tuple[int, int, str | None, str | None]


def _load(offset: int) -> _Op:
    return (_BPF_LD_W_ABS, offset, None, None)


def _jeq(value: int, if_true: str | None, if_false: str | None = None) -> _Op:
    return (_BPF_JEQ_K, value, if_true, if_false)


def _ret(action: int) -> _Op:
    return (_BPF_RET_K, action, None, None)


def _program() -> list[tuple[str | None, _Op]]:
    """The filter, as (label, instruction) pairs; a jump to None falls through."""
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    return [
        (None, _load(_OFFSET_ARCH)),
        (None, _jeq(_X86_64.audit_arch, "x86_64")),
        (None, _jeq(_AARCH64.audit_arch, "aarch64", "deny")),
        ("x86_64", _load(_OFFSET_NR)),
        (None, (_BPF_JSET_K, _X32_SYSCALL_BIT, "deny", None)),
        (None, _jeq(_X86_64.nr_socket, "socket")),
        (None, _jeq(_NR_IO_URING_SETUP, "no_io_uring", "allow")),
        ("aarch64", _load(_OFFSET_NR)),
        (None, _jeq(_AARCH64.nr_socket, "socket")),
        (None, _jeq(_NR_IO_URING_SETUP, "no_io_uring", "allow")),
        ("socket", _load(_OFFSET_ARG0_LOW)),
        *((None, _jeq(domain, "allow")) for domain in _ALLOWED_DOMAINS),
        ("deny", _ret(deny)),
        ("no_io_uring", _ret(_SECCOMP_RET_ERRNO | errno.ENOSYS)),
        ("allow", _ret(_SECCOMP_RET_ALLOW)),
    ]


def _assemble(program: list[tuple[str | None, _Op]]) -> ctypes.Array[_SockFilter]:
    """Resolve the labels of ``program`` into the forward offsets classic BPF jumps take."""
    where = {label: index for index, (label, _) in enumerate(program) if label is not None}

    def offset(index: int, label: str | None) -> int:
        if label is None:
            return 0
        jump = where[label] - index - 1
        if not 0 <= jump <= 255:
            raise AssertionError(f"BPF jump to {label} out of range: {jump}")
        return jump

    instructions = (_SockFilter * len(program))()
    for index, (_, (code, k, if_true, if_false)) in enumerate(program):
        instructions[index] = _SockFilter(code, offset(index, if_true), offset(index, if_false), k)
    return instructions


def _abi(system: str, machine: str, pointer_size: int) -> _Abi:
    """The ABI this interpreter runs under, or SandboxUnavailable saying why there is none."""
    if system != "Linux":
        raise SandboxUnavailable(f"seccomp filters need Linux; this is {system or 'unknown'}")
    abi = _ABIS.get(machine.lower())
    if abi is None:
        raise SandboxUnavailable(f"no seccomp filter for machine {machine!r} (x86_64, aarch64)")
    if pointer_size != 8:
        raise SandboxUnavailable(
            f"a {8 * pointer_size}-bit interpreter on {machine} is not "
            "supported, only the 64-bit ABI"
        )
    return abi


def _libc_call(what: str, result: int) -> None:
    """Raise SandboxUnavailable if the libc call ``what`` returned ``result`` as a failure."""
    if result != 0:
        code = ctypes.get_errno()
        reason = os.strerror(code) if result == -1 else f"returned {result}"
        raise SandboxUnavailable(f"{what} failed: {reason}")


def _install(abi: _Abi) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    _libc_call(
        "prctl(PR_SET_NO_NEW_PRIVS)",
        libc.prctl(
            _PR_SET_NO_NEW_PRIVS,
            ctypes.c_ulong(1),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        ),
    )
    instructions = _assemble(_program())
    fprog = _SockFprog(len(instructions), instructions)
    # seccomp(2) rather than prctl(PR_SET_SECCOMP): TSYNC puts the filter on every thread
    # already running (pyoxigraph's included), not only on this one. It returns the id of a
    # thread it could not synchronise, if any.
    _libc_call(
        "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)",
        libc.syscall(
            ctypes.c_long(abi.nr_seccomp),
            ctypes.c_ulong(_SECCOMP_SET_MODE_FILTER),
            ctypes.c_ulong(_SECCOMP_FILTER_FLAG_TSYNC),
            ctypes.byref(fprog),
        ),
    )


_lock = threading.Lock()
_installed = False


def forbid_network() -> None:
    """Install the filter on this process: from now on, it and its children cannot open a
    network socket. Calling it again is a no-op. Raise SandboxUnavailable, saying why, where
    the platform cannot (non-Linux, another machine, a 32-bit interpreter, seccomp refused)."""
    global _installed
    with _lock:
        if _installed:
            return
        _install(_abi(platform.system(), platform.machine(), struct.calcsize("P")))
        _installed = True
