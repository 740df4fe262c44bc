"""Every file the auditor writes goes through here: atomic, never through a symlink, and
confined to the scanned root when the path came from the scanned repository.

A write is a temporary file created beside the target (``O_CREAT | O_EXCL | O_NOFOLLOW``),
filled, then renamed over the target: a reader sees the old file or the new one, a failed
write leaves the old file as it was and no temporary behind. ``rename`` replaces a directory
entry and never follows a link, so even a link planted between the check and the rename
cannot redirect the bytes. Imports only the standard library: the start-up path uses it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

TEMP_PREFIX = ".auditor-tmp-"


class UnsafeWrite(OSError):
    """A write refused before anything was written; ``str()`` is one line for the user."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def inside(root: Path, path: Path) -> bool:
    """``path`` (its folder resolved through links, its last part as written) lies inside ``root``."""
    try:
        real_root = root.resolve()
        folder = path.parent.resolve() if path.parent != Path("") else Path.cwd().resolve()
        return (folder / path.name).is_relative_to(real_root) and path.name not in ("", ".", "..")
    except (OSError, RuntimeError):
        return False


def check_target(path: Path, root: Path | None = None) -> None:
    """Refuse a target that is a symlink or not a regular file, or (with ``root``) one outside it."""
    if root is not None and not inside(root, path):
        raise UnsafeWrite(f"{path}: outside the scanned folder; not written")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UnsafeWrite(f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeWrite(f"{path}: is a symbolic link; not written (write to the file it names instead)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeWrite(f"{path}: is not a regular file; not written")


def _stream(path: Path) -> bool:
    """``path`` names (through links) a character device or a FIFO: ``/dev/null``, ``/dev/stdout``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _write_stream(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, root: Path | None = None, make_parents: bool = False,
                 private: bool = False, streams: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; ``OSError`` (``UnsafeWrite`` for a refusal) on failure.

    ``root``: the path came from the scanned repository, so it must stay inside ``root``.
    ``private``: keep the temporary file's owner-only mode (cache entries); otherwise the file
    gets the existing file's mode, or the mode a plain ``open`` would give under the umask.
    ``streams``: the user named the path, and a character device or FIFO (``-o /dev/stdout``)
    is written in place: there is no file to replace, and nothing to lose.
    """
    if streams and root is None and _stream(path):
        _write_stream(path, data)
        return
    check_target(path, root)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
        if root is not None and not inside(root, path):  # a link among the new folders' parents
            raise UnsafeWrite(f"{path}: outside the scanned folder; not written")
    folder = path.parent if str(path.parent) else Path(".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    tmp = None
    for _attempt in range(100):  # random names: another user's planted file only costs a retry
        candidate = folder / f"{TEMP_PREFIX}{os.urandom(6).hex()}"
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        tmp = candidate
        break
    if tmp is None:
        raise UnsafeWrite(f"{path}: cannot create a temporary file beside it")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if not private:
                try:
                    mode = stat.S_IMODE(os.stat(path).st_mode)
                except OSError:
                    mode = 0o666 & ~_umask()
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        check_target(path, root)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path: Path, text: str, root: Path | None = None, make_parents: bool = False,
                      streams: bool = False) -> None:
    """:func:`write_atomic` for UTF-8 text with ``\\n`` line ends."""
    write_atomic(path, text.encode("utf-8"), root=root, make_parents=make_parents, streams=streams)


def read_regular(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; OSError for anything else (a FIFO is never waited on).

    Opened non-blocking, so a file swapped for a FIFO after discovery cannot hang the scan;
    at most ``max_bytes`` (+1) are read, so a file that grew after discovery cannot exhaust memory.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise OSError(errno.EFBIG, f"{st.st_size} bytes is over the {max_bytes}-byte limit")
        # read what fstat says plus one byte (to see growth), never a max_bytes-sized buffer: a
        # buffer over malloc's mmap threshold stays a mapping of its own per kept file, and a tree
        # of many small files ran into the kernel's limit on mappings
        want = st.st_size + 1 if max_bytes is None else min(st.st_size, max_bytes) + 1
        with os.fdopen(fd, "rb", closefd=False) as handle:
            chunks = [handle.read(want)]
            while chunks[-1] and (max_bytes is None or sum(map(len, chunks)) <= max_bytes):
                more = handle.read(65536 if max_bytes is None else min(65536, max_bytes + 1))
                if not more:
                    break
                chunks.append(more)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if max_bytes is not None and len(data) > max_bytes:
        raise OSError(errno.EFBIG, f"grew over the {max_bytes}-byte limit while read")
    return data
