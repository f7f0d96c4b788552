"""Writing a file atomically, and cleaning up after writers that died.

``write_atomically(path, write)`` hands ``write`` an open temporary file in
``path``'s directory, named ``.<name>.<pid>.<host>.<random>.tmp`` (the
writer's process id and host name), then flushes, fsyncs and renames it over
``path`` with ``os.replace`` and fsyncs the directory: readers see the old
file or the whole new one, whenever the writer dies. A SIGKILL leaves the
temporary behind; the next successful write to the same ``path`` deletes the
temporaries whose writer, on this host, no longer runs (POSIX only). A live
writer's temporary, another host's, or one in any other form is never touched.
"""
import errno
import os
import re
import socket
import tempfile

__all__ = ["write_atomically"]


def write_atomically(path, write):
    """Call ``write(file)`` on a temporary file, then put it at ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):  # else os.replace's error would name the temp file
        raise IsADirectoryError(
            errno.EISDIR, "cannot save there: it is a directory (give a file "
            "name inside it)", path)
    if not os.path.isdir(directory):  # else the error would name the temp file
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save there: the directory {directory!r} "
            "does not exist", path)
    base = os.path.basename(path)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f".{base}.{os.getpid()}.{_host()}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            _set_mode(file.fileno(), path)
            os.fsync(file.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(directory, base)


def _host():
    """This host's name as it goes into temporary file names."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "-"


# what follows ".<name>." in a temporary file's name: pid, host, random part
_TEMPORARY = re.compile(r"([0-9]{1,10})\.([A-Za-z0-9-]{1,40})\.[a-z0-9_]+\.tmp")


def _remove_stale_temporaries(directory, name):
    """Delete the temporaries of saves to ``name`` whose writer died.

    Only files named by this module for this host, and only when no process
    with the writer's pid is running: a live writer's file (or one whose pid
    was reused since) is left alone. POSIX only -- elsewhere ``os.kill``
    cannot ask whether a process lives without harming it."""
    if os.name != "posix":
        return
    prefix, host = f".{name}.", _host()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for candidate in names:
        match = candidate.startswith(prefix) and _TEMPORARY.fullmatch(
            candidate[len(prefix):])
        if not match or match[2] != host or _is_running(int(match[1])):
            continue
        try:
            os.unlink(os.path.join(directory, candidate))
        except OSError:  # already gone (another cleaner), or not ours to delete
            pass


def _is_running(pid):
    if pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # e.g. EPERM: alive, another user's
        return True
    return True


def _set_mode(fd, path):
    """mkstemp makes files only the owner can read; give the checkpoint the
    mode the file it replaces had, or what ``open`` would have given it."""
    if not hasattr(os, "fchmod"):
        return
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.fchmod(fd, mode)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
