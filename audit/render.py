"""HTML → PDF with WeasyPrint, in a child process.

WeasyPrint keeps the whole box tree of a document in memory while it lays it out (hundreds of
megabytes for a long plan) and Python does not give that memory back to the system. Rendering in
a short-lived child process bounds the memory to the child and returns it when the child ends.
The child is this file run as a script by the same interpreter (a fresh process: it imports
WeasyPrint only, never the app, its database connections or its threads; unlike
`multiprocessing`'s spawn it does not re-import the parent's `__main__`). No Flask import here.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass

# Fonts are embedded as subsets (WeasyPrint's default); images are recompressed losslessly.
PDF_OPTIONS = {"optimize_images": True}
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    peak_kib: int  # peak resident memory of the process that rendered


class RenderError(RuntimeError):
    """The child process failed or took too long."""


def render_here(html: str, base_url: str | None = None) -> tuple[bytes, int]:
    """Render in this process (the child does this; tests of tiny documents may too)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    return document.write_pdf(**PDF_OPTIONS), len(document.pages)


def render_pdf(html: str, base_url: str | None = None, in_child: bool = True) -> Rendered:
    """Render `html` to PDF bytes; in a child process unless `in_child` is False."""
    if not in_child:
        pdf, pages = render_here(html, base_url)
        return Rendered(pdf, pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with tempfile.TemporaryDirectory(prefix="baogong-pdf-") as folder:
        source, target = os.path.join(folder, "in.html"), os.path.join(folder, "out.pdf")
        with open(source, "w", encoding="utf-8") as handle:
            handle.write(html)
        try:
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), source, target, base_url or ""],
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise RenderError("PDF rendering timed out") from error
        if done.returncode != 0:
            raise RenderError(done.stderr.decode("utf-8", "replace")[-2000:])
        facts = json.loads(done.stdout.decode().strip().splitlines()[-1])
        with open(target, "rb") as handle:
            return Rendered(handle.read(), facts["pages"], facts["peak_kib"])


def _main(source: str, target: str, base_url: str) -> None:
    with open(source, encoding="utf-8") as handle:
        html = handle.read()
    pdf, pages = render_here(html, base_url or None)
    with open(target, "wb") as handle:
        handle.write(pdf)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"pages": pages, "peak_kib": peak}))


if __name__ == "__main__":
    _main(*sys.argv[1:4])
