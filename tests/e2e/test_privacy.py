"""Nothing leaves the machine: the CLI and the window, traced with strace, use no network
and change files only in their own folders (and the photos' XMP sidecars).

What runs, each under `strace -f` with an empty HOME and no XDG_* overrides: the CLI's
index, search --text, search --image, tags (read, then --add --write-xmp), status and
words; then the window (ui/app.main, offscreen) on that library, which loads the models,
rescans at start, searches by text and by photo (so thumbnails are made), rescans again
when its folder watcher sees a new photo, stays open at least 8 s and closes on SIGTERM.

Network policy. No internet socket at all: creating an AF_INET/AF_INET6 (or any other
non-local family) socket fails the test, whatever the address, because the app has no
reason to make one and a connected socket can send without naming an address again.
connect/bind/sendto/sendmsg/sendmmsg naming a non-local address fail too (a DNS lookup
is a connect or sendto to port 53). Allowed: AF_UNIX and AF_NETLINK sockets, which stay
inside the machine (D-Bus, X11, the kernel's interface list), except a connect to the
name-service sockets of nscd or systemd-resolved: through them a "local" connect is a DNS
lookup. Traced runs of both the CLI and the offscreen window make no socket at all today.

File policy. Every open/openat/openat2 with O_WRONLY, O_RDWR, O_CREAT or O_TRUNC, and every
creat, truncate, mkdir, mknod, rename, link, symlink, unlink and rmdir (and their *at
forms), succeeded or not, must land in the library folder, in the app's own
platformdirs folders under the (empty) HOME, on an XMP sidecar in a photo folder, or on
/dev/null (ftruncate and write act on an fd whose open was already checked). Only a
mkdir that found the folder already there (EEXIST) changes nothing and is not counted,
and the folders above the app's own in HOME may be made (mkdir only). Paths are resolved
with strace's -y (the folder behind a dirfd, the current folder behind AT_FDCWD); a path
given to open/creat/mkdir... without a dirfd is taken from the process's starting folder,
an empty one that is not an allowed place: a relative write is never let through, even
if the app changed folder.

Afterwards HOME holds only the app's own folders and the folders above them: onnxruntime
wrote a telemetry device id to ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ before
the engine set ORT_DISABLE_TELEMETRY=1 (cbir_desktop/engine/__init__.py).
"""

from __future__ import annotations

import codecs
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from helpers import require_tool, solid

APP = "cbir-desktop"
# The syscalls that can change a file or reach a network. "?" makes strace accept a name
# this architecture lacks (arm64 has no open, creat, mkdir, rename, unlink, ...).
FILE_CALLS = ("open", "openat", "openat2", "creat", "truncate", "mkdir", "mkdirat", "mknod", "mknodat",
              "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
              "unlink", "unlinkat", "rmdir")
NET_CALLS = ("socket", "connect", "bind", "sendto", "sendmsg", "sendmmsg")
STRACE_OPTIONS = ["-f",  # threads (ORT, Qt, superqt workers) and any child process
                  "-qq", "-e", "signal=none",  # no attach, exit or signal lines
                  "-y",  # the path behind every fd, AT_FDCWD included
                  "-s", "65535",  # whole paths, never "..."-truncated
                  "-e", "trace=" + ",".join("?" + name for name in FILE_CALLS + NET_CALLS)]
LOCAL_FAMILIES = {"AF_UNIX", "AF_LOCAL", "AF_NETLINK"}
# A connect to these AF_UNIX sockets asks the name service: it is a DNS lookup by proxy.
RESOLVER_SOCKETS = ("/run/nscd/", "/var/run/nscd/", "/run/systemd/resolve/", "/var/run/systemd/resolve/")
WRITE_FLAG = re.compile(r"\bO_(WRONLY|RDWR|CREAT|TRUNC)\b")
# A sidecar beside a photo ("red.xmp", "red.jpg.xmp") and the temporary file that
# engine/files.write_atomic writes first and renames onto it (".red.xmp.k2f9_x.tmp").
SIDECAR = re.compile(r"[^/]+\.xmp|\.[^/]+\.xmp\.[^/]+\.tmp", re.IGNORECASE)
# /dev/null is a sink: nothing written there is kept, and subprocess, glib and Qt open it
# O_RDWR to stand in for stdin/stdout (today's runs don't). No other device is allowed:
# the offscreen window needs no /dev/shm (no shared-memory segments, no POSIX semaphores).
DEVICES = ("/dev/null",)

# The window, started through its real entry point (ui/app.main), with a MainWindow that
# also searches, by text and by photo, once the start-up rescan is done, so the search
# and thumbnail paths are traced too. It reports on stdout, which the test reads.
WINDOW = """
import os, sys
from cbir_desktop.ui import app, main_window

class Driven(main_window.MainWindow):
    def __init__(self, *args):
        super().__init__(*args)
        self.searches = 0
        self.index_finished.connect(self.on_indexed)
        self.search_finished.connect(self.on_found)

    def on_indexed(self, report):
        print("indexed", report.added, flush=True)
        if self.searches == 0:
            self.searches = 1
            self.search_text("red")

    def on_found(self, hits):
        print("found", len(hits), flush=True)
        if self.searches == 1:
            self.searches = 2
            self.search_image(sys.argv[1])

print("pid", os.getpid(), flush=True)
main_window.MainWindow = Driven  # app.main imports it when called
sys.exit(app.main([]))
"""
# onnxruntime 1.31 sends no telemetry when it sees one of these (names from its library's
# strings); left set on a CI machine they would hide a regression of ORT_DISABLE_TELEMETRY.
QUIET_TELEMETRY = ("CI", "ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS", "TF_BUILD", "GITHUB_ACTIONS",
                   "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE",
                   "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER")
MIN_WINDOW_S = 8.0  # left open at least this long: word vectors, model load, relearning


@dataclass(frozen=True)
class Call:
    """One traced syscall: what ran it, its name, its arguments as strace printed them, its result."""

    run: str
    line: str
    name: str
    args: list[str]
    result: str | None  # None: the process ended inside the call

    def __str__(self) -> str:
        return f"[{self.run}] {self.line[:400]}"


def _split_args(text: str) -> list[str]:
    """strace's argument list split at top-level commas (not inside "...", <...>, {...}, [...], (...))."""
    args: list[str] = []
    depth, start, quoted, i = 0, 0, False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "{[(<":
            depth += 1
        elif char in "}])>":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return args


_START = re.compile(r"^(\d+) +(\w+)\((.*?)(?: <unfinished \.\.\.>|\) += (.*))$")
_RESUMED = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>.*?\) += (.*)$")


def parse_trace(path: Path, run: str) -> Iterator[Call]:
    """The calls in an `strace -f -o` file; an unfinished call is joined to its resumption."""
    pending: dict[str, tuple[str, str, str]] = {}
    for line in path.read_text(errors="surrogateescape").splitlines():
        if match := _START.match(line):
            pid, name, args, result = match.groups()
            if result is None:
                pending[pid] = (line, name, args)
            else:
                yield Call(run, line, name, _split_args(args), result)
        elif (match := _RESUMED.match(line)) and match.group(1) in pending:
            start, name, args = pending.pop(match.group(1))
            yield Call(run, start, name, _split_args(args), match.group(3))
    for start, name, args in pending.values():
        yield Call(run, start, name, _split_args(args), None)


def _string(arg: str) -> str:
    """A path strace printed as a C string literal."""
    raw = arg.strip()
    if raw.startswith('"') and raw.endswith('"'):
        raw = raw[1:-1]
    return os.fsdecode(codecs.escape_decode(raw.encode("utf-8", "surrogateescape"))[0])


def _fd_path(arg: str) -> str | None:
    """The path strace -y printed behind a dirfd: `AT_FDCWD</work>` or `5</tmp/photos>`."""
    match = re.search(r"<(.*)>$", arg)
    return match.group(1) if match else None


def _at(dirfd: str, path_arg: str, cwd: Path) -> str:
    path = _string(path_arg)
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(_fd_path(dirfd) or str(cwd), path))


def _plain(path_arg: str, cwd: Path) -> str:
    return os.path.normpath(os.path.join(cwd, _string(path_arg)))


def changed_paths(call: Call, cwd: Path) -> list[str]:
    """The paths `call` creates, writes, renames or removes ([] for a read-only open)."""
    a, name = call.args, call.name
    if name in ("open", "openat", "openat2"):
        flags = " ".join(a[1:]) if name == "open" else " ".join(a[2:])
        if not WRITE_FLAG.search(flags):
            return []
        return [_plain(a[0], cwd) if name == "open" else _at(a[0], a[1], cwd)]
    if name in ("mkdir", "mkdirat") and call.result is not None and "EEXIST" in call.result:
        return []  # nothing made: Path.mkdir(parents=True, exist_ok=True) climbing to a folder that exists
    if name in ("creat", "truncate", "mkdir", "mknod", "unlink", "rmdir"):
        return [_plain(a[0], cwd)]
    if name in ("mkdirat", "mknodat", "unlinkat"):
        return [_at(a[0], a[1], cwd)]
    if name == "rename":
        return [_plain(a[0], cwd), _plain(a[1], cwd)]
    if name in ("renameat", "renameat2"):
        return [_at(a[0], a[1], cwd), _at(a[2], a[3], cwd)]
    if name in ("link", "symlink"):
        return [_plain(a[1], cwd)]  # the new name; a link's target is not changed
    if name == "linkat":
        return [_at(a[2], a[3], cwd)]
    if name == "symlinkat":
        return [_at(a[1], a[2], cwd)]
    return []


def network_problem(call: Call) -> str | None:
    """Why `call` counts as network use (None: local or not a network call)."""
    if call.name == "socket":
        family = call.args[0].split("|")[0]
        return None if family in LOCAL_FAMILIES else f"socket family {family}"
    if call.name not in NET_CALLS:
        return None
    text = ", ".join(call.args)
    for family in re.findall(r"sa_family=(\w+)", text):
        if family not in LOCAL_FAMILIES:
            return f"address family {family}"
    if call.name == "connect":
        for unix_path in re.findall(r'sun_path=@?"((?:[^"\\]|\\.)*)"', text):
            if _string(f'"{unix_path}"').startswith(RESOLVER_SOCKETS):
                return "the name service (a DNS lookup)"
    return None


@dataclass(frozen=True)
class Allowed:
    """Where the app may change files."""

    roots: tuple[str, ...]  # anything inside
    parents: tuple[str, ...]  # may be made (mkdir) to reach a root
    photo_folders: tuple[str, ...]  # XMP sidecars only

    def permits(self, call: Call, path: str) -> bool:
        if path in DEVICES or any(path == r or path.startswith(r + os.sep) for r in self.roots):
            return True
        if call.name in ("mkdir", "mkdirat") and path in self.parents:
            return True
        return os.path.dirname(path) in self.photo_folders and bool(SIDECAR.fullmatch(os.path.basename(path)))


def app_folders(home: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The app's platformdirs folders as the subprocesses see them (HOME set, no XDG_* overrides)."""
    import platformdirs

    with monkeypatch.context() as patch:
        patch.setenv("HOME", str(home))
        for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            patch.delenv(name, raising=False)
        # user_log_dir is inside user_state_dir on Linux; listed in case that changes.
        return [getter(APP, appauthor=False) for getter in (
            platformdirs.user_config_dir, platformdirs.user_cache_dir, platformdirs.user_state_dir,
            platformdirs.user_data_dir, platformdirs.user_log_dir)]


def _both(path: Path | str) -> tuple[str, ...]:
    """A path as given and resolved (strace -y prints resolved folders)."""
    return tuple({os.path.normpath(path), os.path.realpath(path)})


def run_cli(strace: str, args: list[str], env: dict[str, str], cwd: Path, trace: Path) -> None:
    result = subprocess.run([strace, *STRACE_OPTIONS, "-o", str(trace), sys.executable, "-m", "cbir_desktop.cli",
                             *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"cbir {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


class _Lines:
    """A process's stdout lines, read on a thread so the test can wait with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.strip())

    def wait_for(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"the window never printed {prefix!r} within {timeout} s; it printed {self.seen}")


def run_window(strace: str, env: dict[str, str], cwd: Path, trace: Path, photos: Path) -> None:
    """Open the window on an indexed library, let it rescan, search and notice a new photo, then SIGTERM it."""
    started = time.monotonic()
    stderr = trace.with_suffix(".stderr")
    with stderr.open("w") as err:
        proc = subprocess.Popen([strace, *STRACE_OPTIONS, "-o", str(trace), sys.executable, "-c", WINDOW,
                                 str(photos / "blue.jpg")], env=env, cwd=cwd, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    pid = 0
    try:
        out = _Lines(proc)
        pid = int(out.wait_for("pid", 30).split()[1])
        assert out.wait_for("indexed", 30) == "indexed 0"  # the start-up rescan: all known
        assert out.wait_for("found", 30) != "found 0"  # by text
        assert out.wait_for("found", 30) != "found 0"  # by photo
        solid(photos / "yellow.jpg", "yellow")  # the folder watcher starts a rescan
        assert out.wait_for("indexed", 30) == "indexed 1"
        time.sleep(max(0.0, MIN_WINDOW_S - (time.monotonic() - started)))
        # strace -o blocks fatal signals sent to itself: the window gets the SIGTERM.
        os.kill(pid, signal.SIGTERM)
        code = proc.wait(timeout=30)
    except BaseException:
        for target in (pid, proc.pid):  # the window, then strace (if it is still there)
            if target:
                try:
                    os.kill(target, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        proc.wait(timeout=30)
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0, f"the window exited with {code} after SIGTERM:\n{stderr.read_text()}"


def test_cli_and_window_use_no_network_and_write_only_their_own_folders(
        tiny_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strace = require_tool("strace", "strace")
    home, library, photos, cwd = (tmp_path / "home", tmp_path / "lib", tmp_path / "photos", tmp_path / "cwd")
    for folder in (home, cwd):
        folder.mkdir()
    # Qt (QStandardPaths::RuntimeLocation) would fall back to /tmp/runtime-$USER without
    # XDG_RUNTIME_DIR: an empty one here instead. No write is allowed there, and it must stay
    # empty: the offscreen window uses none (no Wayland, D-Bus or X socket to make).
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    for colour in ("red", "green", "blue"):
        solid(photos / f"{colour}.jpg", colour)
    env = {key: value for key, value in os.environ.items()
           if key not in QUIET_TELEMETRY and not key.startswith("XDG_")}
    env |= {"HOME": str(home), "CBIR_LIBRARY": str(library), "XDG_RUNTIME_DIR": str(runtime),
            "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ beside the sources
            "QT_QPA_PLATFORM": "offscreen"}

    runs = [["index", str(photos)], ["search", "--text", "red"], ["search", "--image", str(photos / "red.jpg")],
            ["tags", str(photos / "red.jpg")], ["tags", str(photos / "red.jpg"), "--add", "red", "--write-xmp"],
            ["status"], ["words", "red"]]
    traces: list[tuple[str, Path]] = []
    for i, args in enumerate(runs):
        traces.append((f"cbir {' '.join(args)}", tmp_path / f"cli{i}.trace"))
        run_cli(strace, args, env, cwd, traces[-1][1])
    assert (photos / "red.xmp").exists() or (photos / "red.jpg.xmp").exists(), "no sidecar: --write-xmp untested"
    traces.append(("window", tmp_path / "window.trace"))
    run_window(strace, env, cwd, traces[-1][1], photos)

    folders = app_folders(home, monkeypatch)
    parents = {str(parent) for folder in folders for parent in Path(folder).parents
               if parent != home and home in parent.parents}
    allowed = Allowed(roots=tuple(p for root in (library, *folders) for p in _both(root)),
                      parents=tuple(p for parent in parents for p in _both(parent)),
                      photo_folders=_both(photos))
    calls = [call for run, trace in traces for call in parse_trace(trace, run)]
    assert any(call.name in ("open", "openat") and "tiny8.onnx" in call.line for call in calls), \
        "the trace never shows the model being read: is strace tracing the app?"
    network = [f"{problem}: {call}" for call in calls if (problem := network_problem(call))]
    writes = [f"{path}: {call}" for call in calls for path in changed_paths(call, cwd)
              if not allowed.permits(call, path)]
    assert not network and not writes, (
        "network use:\n" + "\n".join(network or ["none"])
        + "\nfiles changed outside the library, the app's folders and the sidecars:\n" + "\n".join(writes or ["none"]))

    own = [Path(folder) for folder in folders]
    stray = [str(p.relative_to(home)) for p in sorted(home.rglob("*"))
             if str(p) not in parents and p not in own and not any(folder in p.parents for folder in own)]
    assert stray == [], f"HOME holds more than the app's own folders: {stray}"
    assert list(runtime.iterdir()) == []
