"""The PDF render server (audit/render.py): one warm WeasyPrint process per app process, a fresh
fork for every document, and recovery when a render fails, hangs or the server dies."""

import os
import signal
import time

import pytest

from audit import render

CHINESE = (
    '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">保供 测试</body></html>'
)


@pytest.fixture
def server():
    """A render server of the test's own, stopped afterwards."""
    own = render._Server()
    yield own
    own.stop()


def test_renders_in_a_fork_of_a_warm_server(server):
    first = server.render(CHINESE, None)
    assert first.pdf.startswith(b"%PDF-") and first.pages == 1 and first.peak_kib > 0
    pid = server.process.pid
    second = server.render(CHINESE.replace("测试", "第二份"), None)
    assert second.pdf.startswith(b"%PDF-") and second.pdf != first.pdf
    assert server.process.pid == pid  # the same server, warm: it forked for each document


def test_a_failing_document_is_an_error_and_the_server_carries_on(server):
    server.render(CHINESE, None)
    pid = server.process.pid
    with pytest.raises(render.RenderError, match="OverflowError"):
        server.render('<p style="font-size: 1e308px">too big</p>', None)
    assert server.render(CHINESE, None).pages == 1
    assert server.process.pid == pid


def test_a_dead_server_is_started_again(server):
    server.render(CHINESE, None)
    dead = server.process.pid
    os.killpg(dead, signal.SIGKILL)
    server.process.wait()
    assert server.render(CHINESE, None).pages == 1
    assert server.process.pid != dead


def _group_gone(pgid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_render_that_takes_too_long_is_stopped_with_its_fork(server, monkeypatch):
    server.render(CHINESE, None)
    pgid = server.process.pid  # the server leads its own process group
    monkeypatch.setattr(render, "TIMEOUT_SECONDS", 0.5)
    long = "<html><body>" + "<p>保供 一页又一页</p>" * 20_000 + "</body></html>"
    started = time.monotonic()
    with pytest.raises(render.RenderError, match="timed out"):
        server.render(long, None)
    assert time.monotonic() - started < 5
    assert server.process is None and _group_gone(pgid)  # the server and the render it forked
    monkeypatch.setattr(render, "TIMEOUT_SECONDS", 120)
    assert server.render(CHINESE, None).pages == 1


def test_a_server_that_cannot_start_is_not_started_on_every_request(server, monkeypatch):
    monkeypatch.setattr(render, "__file__", "/nonexistent/render.py")
    with pytest.raises(render.RenderError, match="ended unexpectedly"):
        server.render(CHINESE, None)
    assert server.process is None
    server.start()  # what every request does: no new attempt for RETRY_SECONDS
    assert server.process is None
    monkeypatch.undo()
    assert server.render(CHINESE, None).pages == 1  # asking for a PDF always tries


def test_render_pdf_uses_the_shared_server_or_this_process():
    rendered = render.render_pdf(CHINESE)
    assert rendered.pdf.startswith(b"%PDF-") and render._server.process is not None
    here = render.render_pdf(CHINESE, in_child=False)
    assert here.pdf.startswith(b"%PDF-") and here.pages == 1
