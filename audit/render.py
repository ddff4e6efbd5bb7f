"""HTML → PDF with WeasyPrint, each document in its own short-lived process, forked warm.

WeasyPrint keeps the whole box tree of a document in memory while it lays it out (hundreds of
megabytes for a long plan) and Python does not give that memory back to the system. So every
document is rendered in a process of its own, which returns that memory when it ends.

Starting a Python process and importing WeasyPrint and the fonts costs about a second, a quarter
of the time a 1,000-line plan may take. So each app process keeps one *render server*: this file
run as a script by the same interpreter (a fresh process that imports WeasyPrint only, never the
app, its database connections or its threads). The server imports WeasyPrint and lays out a
small Chinese page once, so that fontconfig and the CJK font are loaded, then waits for jobs on
its standard input. For each job it forks: the fork renders the document and exits, and the
server, which never grows, waits for the next. Its peak memory is reported per job.

The server is started by `warm()`, which the app calls before every request (it returns at
once), or else by the first render; it is started again if it died or was killed for a timeout,
and ends when the app process ends (its standard input closes). One job at a time per app
process; concurrent renders in one process wait their turn. No Flask import here.

A long document (a plan of 50,000 lines, the recall report of a lot issued to 50,000 units) is
rendered in parts (`render_document`): each part is a document of its own, rendered in its own
fork, so that memory is bounded by the size of a part, not of the document; a last fork joins
the parts into one PDF with pypdf. Each part numbers its own pages ("volume k of K, page n of
m"): the total of the whole document is known only once every part has been laid out, and
laying every part out twice would double the time.
"""

import atexit
import contextlib
import hashlib
import json
import os
import resource
import select
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

# Fonts are embedded as subsets (WeasyPrint's default); images are recompressed losslessly.
PDF_OPTIONS = {"optimize_images": True}
# Under gunicorn's worker timeout (180 s in the Makefile and README), so that a render that
# takes too long fails with a page that says so rather than a killed worker.
TIMEOUT_SECONDS = 120
# How long the server may take to import WeasyPrint and warm its fonts before the first job.
START_SECONDS = 30
# After a server died before serving a job, `warm()` waits this long before starting another.
RETRY_SECONDS = 60

# A page with the fonts every document uses: laying it out loads fontconfig and the CJK font
# before the server forks, so that no render pays for it again.
WARM_UP_HTML = (
    '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\', sans-serif">'
    "<p>调配方案 第 1 页 共 1 页 Allocation plan</p>"
    "<pre style=\"font-family: 'Noto Sans Mono CJK SC', monospace\">批号 0123456789</pre>"
    "</body></html>"
)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    peak_kib: int  # peak resident memory of the process that rendered


@dataclass(frozen=True)
class RenderedFile:
    """A document rendered (in one part or several) into a file."""

    path: Path
    pages: int
    size: int
    sha256: str
    peak_kib: int  # the highest peak resident memory of the processes that rendered or joined
    parts: int


# progress(done, total, message): called after every step of a long render; the message is
# text or a lazy translation (a background job's reporter keeps it in both languages).
Progress = Callable[[int, int, object], None]


class RenderError(RuntimeError):
    """The renderer failed or took too long."""


def render_here(html: str, base_url: str | None = None) -> tuple[bytes, int]:
    """Render in this process (the forked child does this; tests of tiny documents may too)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    return document.write_pdf(**PDF_OPTIONS), len(document.pages)


def render_pdf(html: str, base_url: str | None = None, in_child: bool = True) -> Rendered:
    """Render `html` to PDF bytes; in a child of the render server unless `in_child` is False."""
    if not in_child:
        pdf, pages = render_here(html, base_url)
        return Rendered(pdf, pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return _server.render(html, base_url)


def join_here(parts: list[str], out: str) -> int:
    """Join the PDFs `parts` into `out` (pypdf), keeping the first part's metadata (title,
    description) and every part's bookmarks; each part's pages are labelled "k-n" (volume k,
    page n) in PDF viewers. The number of pages."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    start = 0
    for number, path in enumerate(parts, start=1):
        reader = PdfReader(path)
        if number == 1 and reader.metadata:
            writer.add_metadata({k: str(v) for k, v in reader.metadata.items()})
        writer.append(reader)
        pages = len(reader.pages)
        writer.set_page_label(start, start + pages - 1, style="/D", prefix=f"{number}-")
        start += pages
    with open(out, "wb") as handle:
        writer.write(handle)
    return start


def _file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def render_document(
    parts: Iterable[str],
    count: int,
    out: Path | Callable[[str], Path],
    base_url: str | None = None,
    in_child: bool = True,
    progress: Progress | None = None,
    messages: Callable[[int, int], object] | None = None,
    processes: int = 1,
) -> RenderedFile:
    """Render the `count` HTML documents `parts` (made one at a time, as they are needed) into
    one PDF at `out` (or at `out(its SHA-256)`), written atomically. One part is rendered as
    `render_pdf` does; several are rendered each in a fork of their own, then joined in another.

    `progress(done, total, message)` is called after each part and after the join
    (total = count, plus one for the join when there are several parts); `messages(done, total)`
    gives the message. In the render server, up to `processes` parts render at once."""
    say = messages or (lambda done, total: f"{done}/{total}")
    folder = Path(out).parent if not callable(out) else out("0" * 64).parent
    handle, name = tempfile.mkstemp(prefix=".rendering-", suffix=".part", dir=folder)
    os.close(handle)
    temporary = Path(name)
    try:
        if in_child and count > 1:
            return _render_forked(parts, count, out, temporary, base_url, processes, progress, say)
        return _render_parts(parts, count, out, temporary, base_url, in_child, progress, say)
    finally:
        temporary.unlink(missing_ok=True)


def _finish(out, temporary: Path, pages: int, peak: int, count: int) -> RenderedFile:
    sha256, size = _file_sha256(temporary)
    path = Path(out(sha256) if callable(out) else out)
    temporary.replace(path)
    return RenderedFile(path, pages, size, sha256, peak, count)


def _render_forked(parts, count, out, temporary, base_url, processes, progress, say):
    """Several parts in the render server's forks (up to `processes` at once), then joined."""
    total, files, pages, peaks = count + 1, {}, [], []

    def done(number: int, path: str, part_pages: int, peak_kib: int) -> None:
        files[number] = path
        pages.append(part_pages)
        peaks.append(peak_kib)
        if progress:
            progress(len(files), total, say(len(files), total))

    with tempfile.TemporaryDirectory(prefix="baogong-parts-", ignore_cleanup_errors=True) as tmp:
        _server.render_parts(parts, tmp, base_url, processes, done)
        joined, peak = _server.join([files[n] for n in sorted(files)], str(temporary))
        if joined != sum(pages):
            raise RenderError(f"the joined PDF has {joined} pages, its parts {sum(pages)}")
        if progress:
            progress(total, total, say(total, total))
    return _finish(out, temporary, joined, max([peak, *peaks]), count)


def _render_parts(parts, count, out, temporary, base_url, in_child, progress, say):
    total = count + (1 if count > 1 else 0)
    peak = 0
    with tempfile.TemporaryDirectory(prefix="baogong-parts-", ignore_cleanup_errors=True) as tmp:
        files: list[str] = []
        pages = 0
        for number, html in enumerate(parts, start=1):
            rendered = render_pdf(html, base_url, in_child=in_child)
            peak, pages = max(peak, rendered.peak_kib), pages + rendered.pages
            if count == 1:
                temporary.write_bytes(rendered.pdf)
            else:
                path = os.path.join(tmp, f"part-{number:04d}.pdf")
                with open(path, "wb") as handle:
                    handle.write(rendered.pdf)
                files.append(path)
            del rendered, html
            if progress:
                progress(number, total, say(number, total))
        if count > 1:  # in this process (several parts in the server go `_render_forked`)
            pages = join_here(files, str(temporary))
            peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            if progress:
                progress(total, total, say(total, total))
    return _finish(out, temporary, pages, peak, count)


def warm() -> None:
    """Start the render server if it is not running, without waiting for it to be ready (it
    warms while the app serves). Cheap enough to call on every request."""
    _server.start()


# The client side: one server per app process ------------------------------------------------


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.owner = 0  # the pid that started it: a forked app process starts its own
        self.ready = False
        self.failed_at = -RETRY_SECONDS  # when a server last died without serving a job
        self.unread = b""  # what the server wrote after the last reply read

    def start(self) -> None:
        """Start the server if it is not running; never waits for a render in progress, and
        does not try again within RETRY_SECONDS of a server that died before serving (a
        missing library would otherwise cost a failed start on every request)."""
        if time.monotonic() - self.failed_at < RETRY_SECONDS:
            return
        if self.lock.acquire(blocking=False):
            try:
                self._ensure()
            finally:
                self.lock.release()

    def _ensure(self) -> subprocess.Popen:
        if self.process is not None:
            if self.owner != os.getpid():  # inherited across a fork: not ours to talk to
                self._close(self.process)
                self.process = None
            elif self.process.poll() is None:
                return self.process
            else:
                self.stop()
        self.process = subprocess.Popen(
            # -P: the server's imports come from the standard library and WeasyPrint only.
            [sys.executable, "-P", os.path.abspath(__file__), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # its own process group: a timeout kills it and its fork
        )
        self.owner, self.ready, self.unread = os.getpid(), False, b""
        return self.process

    @staticmethod
    def _close(process: subprocess.Popen) -> None:
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                stream.close()

    def stop(self) -> None:
        """Kill the server and any render it forked (the group outlives its leader)."""
        process, self.process = self.process, None
        if process is None or self.owner != os.getpid():
            return
        if not self.ready:
            self.failed_at = time.monotonic()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._close(process)

    def _reply(self, process: subprocess.Popen, deadline: float) -> dict:
        """The next reply (one JSON line); the bytes after it wait for the next call."""
        line, self.unread = self.unread, b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in line:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.stop()
                    raise RenderError("PDF rendering timed out")
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    self.stop()
                    raise RenderError("the PDF render server ended unexpectedly")
                line += chunk
        line, self.unread = line.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or not {"ok", "code", "peak_kib"} <= reply.keys():
            self.stop()
            raise RenderError(f"the PDF render server answered {line[:200]!r}")
        return reply

    def _send(self, process: subprocess.Popen, folder: str, job: dict) -> None:
        try:
            process.stdin.write(json.dumps({**job, "folder": folder}).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError as error:
            self.stop()
            raise RenderError("the PDF render server ended unexpectedly") from error

    def _wait(self, process: subprocess.Popen) -> dict:
        deadline = time.monotonic() + TIMEOUT_SECONDS + (0 if self.ready else START_SECONDS)
        reply = self._reply(process, deadline)
        self.ready = True
        return reply

    @staticmethod
    def _check(folder: str, reply: dict) -> None:
        """RenderError with the end of the job's error output, if it failed."""
        if reply["ok"]:
            return
        try:
            with open(os.path.join(folder, "error.txt"), errors="replace") as handle:
                detail = handle.read()[-2000:]
        except FileNotFoundError:
            detail = ""
        raise RenderError(f"PDF rendering failed (exit code {reply['code']}): {detail}")

    def _job(self, folder: str, job: dict) -> dict:
        """Send one job to the server (starting it when needed) and wait for its reply; a job
        that failed raises RenderError with the end of its error output."""
        process = self._ensure()
        self._send(process, folder, job)
        reply = self._wait(process)
        self._check(folder, reply)
        return reply

    def render_parts(
        self,
        parts: Iterable[str],
        folder: str,
        base_url: str | None,
        processes: int,
        done: Callable[[int, str, int, int], None],
    ) -> None:
        """Render each HTML of `parts` into `folder/part-NNNN/out.pdf`, in up to `processes`
        forks at once; `done(number, pdf path, pages, peak KiB)` as each one ends. A failure
        stops the server (and the forks still running) and raises RenderError."""
        with self.lock:
            process = self._ensure()
            running: dict[int, str] = {}

            def wait_one() -> None:
                reply = self._wait(process)
                number = reply.get("id")
                if number not in running:
                    raise RenderError(f"the PDF render server answered job {number!r}")
                part = running.pop(number)
                self._check(part, reply)
                done(number, os.path.join(part, "out.pdf"), int(reply["pages"]), reply["peak_kib"])

            try:
                for number, html in enumerate(parts, start=1):
                    part = os.path.join(folder, f"part-{number:04d}")
                    os.mkdir(part)
                    with open(os.path.join(part, "in.html"), "w", encoding="utf-8") as handle:
                        handle.write(html)
                    del html
                    job = {"op": "render", "base_url": base_url or "", "id": number}
                    self._send(process, part, job)
                    running[number] = part
                    while len(running) >= max(1, processes):
                        wait_one()
                while running:
                    wait_one()
            except BaseException:
                if running:  # their replies would answer the next jobs: start afresh
                    self.stop()
                raise

    def render(self, html: str, base_url: str | None) -> Rendered:
        with (
            self.lock,
            tempfile.TemporaryDirectory(
                prefix="baogong-pdf-", ignore_cleanup_errors=True
            ) as folder,
        ):
            with open(os.path.join(folder, "in.html"), "w", encoding="utf-8") as handle:
                handle.write(html)
            reply = self._job(folder, {"op": "render", "base_url": base_url or ""})
            try:
                with open(os.path.join(folder, "out.pdf"), "rb") as handle:
                    return Rendered(handle.read(), int(reply["pages"]), reply["peak_kib"])
            except (OSError, KeyError, ValueError) as error:
                raise RenderError("the PDF render server gave no PDF") from error

    def join(self, parts: list[str], out: str) -> tuple[int, int]:
        """Join the PDFs `parts` into `out` in a fork of the server: (pages, peak KiB)."""
        with (
            self.lock,
            tempfile.TemporaryDirectory(
                prefix="baogong-pdf-", ignore_cleanup_errors=True
            ) as folder,
        ):
            reply = self._job(folder, {"op": "join", "parts": parts, "out": out})
            try:
                return int(reply["pages"]), reply["peak_kib"]
            except (KeyError, ValueError) as error:
                raise RenderError("the PDF render server did not join the parts") from error


_server = _Server()
atexit.register(_server.stop)


# The server side ----------------------------------------------------------------------------


def _render_job(folder: str, job: dict) -> None:
    """In the forked child: render `folder/in.html` to `folder/out.pdf` (or join the PDFs
    `job["parts"]` into `job["out"]`), then exit."""
    status = 1
    try:
        errors = os.open(os.path.join(folder, "error.txt"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(errors, 2)  # WeasyPrint's warnings and any traceback go to the job's folder
        if job.get("op") == "join":
            pages = join_here(job["parts"], job["out"])
        else:
            with open(os.path.join(folder, "in.html"), encoding="utf-8") as handle:
                html = handle.read()
            pdf, pages = render_here(html, job.get("base_url") or None)
            with open(os.path.join(folder, "out.pdf"), "wb") as handle:
                handle.write(pdf)
        with open(os.path.join(folder, "pages"), "w") as handle:
            handle.write(str(pages))
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(status)


def serve() -> None:
    """Read jobs (one JSON line each) from standard input; fork for each at once (the client
    decides how many run together) and answer one JSON line each as its fork ends, with the
    job's "id" when it had one."""
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # nothing that prints may corrupt the replies
    render_here(WARM_UP_HTML)
    jobs = sys.stdin.buffer.fileno()
    unread, closed = b"", False
    running: dict[int, dict] = {}
    while running or not closed:
        while running:  # answer for every fork that ended
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            job = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            reply: dict = {"ok": code == 0, "code": code, "peak_kib": usage.ru_maxrss}
            if "id" in job:
                reply["id"] = job["id"]
            if reply["ok"]:
                with open(os.path.join(job["folder"], "pages")) as handle:
                    reply["pages"] = int(handle.read())
            replies.write(json.dumps(reply).encode() + b"\n")
        if closed:
            time.sleep(0.05)
            continue
        if not select.select([jobs], [], [], 0.05 if running else None)[0]:
            continue
        chunk = os.read(jobs, 65536)
        if not chunk:
            closed = True
            continue
        unread += chunk
        while b"\n" in unread:
            line, unread = unread.split(b"\n", 1)
            job = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _render_job(job["folder"], job)
            running[pid] = job


if __name__ == "__main__":
    serve()
