"""Files that appear whole or not at all: written under a fresh name beside their own, renamed into place.

The temporary name is new for every file (`NAME.<random>.partial`, created with O_EXCL and O_NOFOLLOW), so a file or
symlink planted under a predictable name is never opened, let alone written through. The rename replaces a symlink
at the final name itself, never what it points to; a device, pipe or socket at the final name is refused, never
replaced. A write that fails (a full disk, a quota) is remembered rather than raised at the writer, the file stops
taking data, and `commit` removes the temporary file and raises `OutputError`: the previous file at the final name
stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from pathlib import Path

from scanner.errors import OutputError, UsageError

_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Temporary files are created 0600; the finished file gets what a plain open() would have given it.
_FILE_MODE = 0o666 & ~_umask()


def fresh_partial(path: Path, what: str) -> tuple[int, Path]:
    """An exclusive, new file beside `path` (its descriptor and name), refusing a directory at `path`."""
    if path.is_dir():
        raise UsageError(f"{what} {path} is a directory: give a file name")
    refuse_special(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {what} {path}: {exc.strerror}") from exc
    os.fchmod(descriptor, _FILE_MODE)
    return descriptor, Path(name)


def refuse_special(path: Path, what: str) -> None:
    """A UsageError for a device, pipe or socket at `path`: the rename into place would replace it with a regular
    file (/dev/null itself, for root). Nothing there, a regular file or a symlink is fine."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise UsageError(
            f"{what} {path} is not a regular file (a device, a pipe or a socket): outputs are written whole and "
            "renamed into place, which would replace it; give a file name"
        )


class GuardedText(io.TextIOWrapper):
    """A text stream that remembers its first write error and takes nothing after it."""

    error: OSError | None = None

    def write(self, text: str) -> int:
        if self.error is not None:
            return 0
        try:
            return super().write(text)
        except OSError as exc:
            self.error = exc
            return 0


class AtomicFile:
    """A text file written under a fresh temporary name and renamed onto `path` by `commit`."""

    def __init__(self, path: Path, what: str = "--output", newline: str | None = None) -> None:
        self.path = path
        self.what = what
        descriptor, self.partial = fresh_partial(path, what)
        self.stream = GuardedText(io.FileIO(descriptor, "w"), encoding="utf-8", newline=newline, write_through=False)
        self.done = False

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def commit(self) -> None:
        """Flush, sync and rename into place; on any write error keep the old file and raise OutputError."""
        if self.done:
            return
        self.done = True
        if self.stream.error is None:
            try:
                self.stream.flush()
                os.fsync(self.stream.fileno())
            except OSError as exc:
                self.stream.error = exc
        with contextlib.suppress(OSError):
            self.stream.close()
        failure = put_in_place(self.partial, self.path, self.stream.error)
        if failure is not None:
            raise failure

    def abandon(self) -> None:
        """Drop the temporary file; whatever was at `path` stays."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            self.stream.close()
        self.partial.unlink(missing_ok=True)


def put_in_place(partial: Path, path: Path, error: OSError | None = None) -> OutputError | None:
    """The last step of every atomic write: `partial` renamed onto `path`, unless writing it failed (`error`) or
    the rename does; then `partial` goes and the previous file at `path` stays, and the OutputError says so."""
    if error is None:
        try:
            os.replace(partial, path)
            return None
        except OSError as exc:
            error = exc
    partial.unlink(missing_ok=True)
    return OutputError(str(path), f"{reason(error)}; the previous file is kept")


def write_atomically(path: Path, text: str, what: str) -> None:
    """`text` as the whole of `path`, or an OutputError with the old file kept."""
    file = AtomicFile(path, what)
    file.write(text)
    file.commit()


def open_for_append(path: Path, what: str) -> GuardedText:
    """`path` opened to append, never through a symlink and never anything but a regular file."""
    descriptor = _open_regular(path, os.O_WRONLY | os.O_APPEND, what, "write")
    return GuardedText(io.FileIO(descriptor, "a"), encoding="utf-8")


def read_bytes(path: Path, what: str) -> bytes:
    """The bytes of a regular file at `path`, refusing a symlink there."""
    with open(_open_regular(path, os.O_RDONLY, what, "read"), "rb") as stream:
        return stream.read()


def _open_regular(path: Path, flags: int, what: str, verb: str) -> int:
    try:
        descriptor = os.open(path, flags | _OPEN_FLAGS)
    except OSError as exc:
        raise UsageError(f"cannot {verb} {what} {path}: {reason(exc)}") from exc
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UsageError(f"{what} {path} is not a regular file")
    return descriptor


def reason(exc: OSError | None) -> str:
    """What went wrong with a file, in words (a refused symlink named as such)."""
    if exc is None:
        return "not written"
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (refused: outputs are never written through links)"
    return exc.strerror or str(exc)
