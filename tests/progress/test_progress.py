"""Progress on stderr (`auditor.progress`): the plain lines CI sees, on a clock the test turns by hand; the
bytes each layer's reading reports; `--quiet`; stdout untouched; the rich display on a real pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from auditor import progress
from auditor.progress import SILENT, Display, Lines, metered
from auditor.sources import open_image
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec
from testing.spawn import spawn

TOKEN = "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"
MiB = 1 << 20


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_plain_line_names_the_layer_bytes_of_total_and_rate_once_the_interval_has_passed():
    clock, out = Clock(), io.StringIO()
    shown = Lines(out, interval=30, clock=clock)
    shown.step("layer 3/5", total=int(1.1 * 1024 * MiB))
    clock.now += 7.5
    shown.advance(412 * MiB)
    assert out.getvalue() == ""  # 7.5 s since the start: too early for a line
    clock.now += 22.5
    shown.advance(0)
    assert lines(out) == ["audit: layer 3/5: 412 MiB of 1.1 GiB, 14 MB/s"]  # 412 MiB in 30 s


def test_plain_lines_come_at_most_once_per_interval_however_many_bytes_go_by():
    clock, out = Clock(), io.StringIO()
    shown = Lines(out, interval=30, clock=clock)
    shown.step("exporting app:1 from the engine")
    for _ in range(300):  # 300 s of reading, a MiB a second
        clock.now += 1
        shown.advance(MiB)
    assert len(lines(out)) == 10
    assert lines(out)[0] == "audit: exporting app:1 from the engine: 30 MiB, 1.0 MB/s"  # no total: none shown


def test_a_run_shorter_than_the_interval_writes_no_line():
    clock, out = Clock(), io.StringIO()
    shown = Lines(out, interval=30, clock=clock)
    for index in range(5):
        shown.step(f"layer {index + 1}/5", 10 * MiB)
        clock.now += 5
        shown.advance(10 * MiB)
    shown.close()
    assert out.getvalue() == ""


def test_a_step_that_read_nothing_yet_is_named_alone():
    clock, out = Clock(), io.StringIO()
    shown = Lines(out, interval=30, clock=clock)
    clock.now += 31
    shown.step("scanning file contents")
    assert lines(out) == ["audit: scanning file contents"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "quiet", "kind"), [
    (io.StringIO(), False, Lines),
    (io.StringIO(), True, type(SILENT)),
    (Terminal(), True, type(SILENT)),
    (Terminal(), False, Display),
])
def test_quiet_shows_nothing_a_terminal_gets_the_display_anything_else_lines(stream, quiet, kind):
    with progress.for_stream(stream, quiet) as shown:
        assert type(shown) is kind


def test_size_reads_as_a_person_would_write_it():
    assert [progress.size(n) for n in (0, 1023, 1536, 412 * MiB, int(1.1 * 1024 * MiB))] == \
        ["0 B", "1023 B", "1.5 KiB", "412 MiB", "1.1 GiB"]


class Recorder(progress.Progress):
    def __init__(self) -> None:
        self.events: list[tuple[str, int | None]] = []

    def step(self, label: str, total: int | None = None) -> None:
        self.events.append((label, total))

    def advance(self, nbytes: int) -> None:
        self.events.append(("+", nbytes))


def spec() -> ImageSpec:
    return ImageSpec(layers=[[Dir("/app"), File("/app/data.bin", os.urandom(3 * MiB))],
                             [File("/app/.env", f"GITHUB_TOKEN={TOKEN}\n".encode())]])


def test_metered_layer_reports_its_step_with_the_blob_size_from_the_store_and_every_byte_read(tmp_path):
    kit.write_docker_archive(tmp_path / "image.tar", spec())
    seen = Recorder()
    with open_image(str(tmp_path / "image.tar")) as image:
        layer = metered(image.layers[0], len(image.layers), seen)
        with layer.opener() as stream:
            data = stream.read()
    label, total = seen.events[0]
    assert (label, total) == ("layer 1/2", len(data))  # the tar member's size, known before reading
    assert sum(n for what, n in seen.events[1:] if what == "+") == len(data) > 3 * MiB


def test_metered_layer_of_an_oci_layout_takes_the_compressed_size_from_the_manifest(tmp_path):
    kit.write_oci_layout(tmp_path / "oci", spec())
    seen = Recorder()
    with open_image(str(tmp_path / "oci")) as image:
        with metered(image.layers[0], 2, seen).opener() as stream:
            data = stream.read()
    assert seen.events[0] == ("layer 1/2", image.layers[0].size)
    assert image.layers[0].size == len(data) == sum(n for what, n in seen.events[1:] if what == "+")


def test_silent_progress_leaves_the_layer_as_it_is(tmp_path):
    kit.write_docker_archive(tmp_path / "image.tar", spec())
    with open_image(str(tmp_path / "image.tar")) as image:
        assert metered(image.layers[0], 2, SILENT) is image.layers[0]


# --- through the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> str:
    kit.write_docker_archive(tmp_path / "image.tar", spec())
    return str(tmp_path / "image.tar")


@pytest.fixture
def every_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain line for every event: what a 30 s interval shows of a long run, in a short one."""
    monkeypatch.setattr(progress, "INTERVAL", 0.0)


def test_without_a_terminal_lines_go_to_stderr_and_stdout_json_is_unchanged(cli, archive, every_event):
    quiet = cli(archive, "--format", "json", "--no-cache", "--quiet")
    shown = cli(archive, "--format", "json", "--no-cache")
    assert shown.code == quiet.code == 1, shown.err
    assert shown.out == quiet.out and json.loads(shown.out)["summary"]["findings"] >= 1
    assert "audit: layer 1/2: " in shown.err and "audit: layer 2/2: " in shown.err
    assert "audit: building the report" in shown.err
    assert "layer 1/2" not in shown.out


def test_quiet_prints_nothing_on_stderr(cli, archive, every_event):
    result = cli(archive, "--format", "json", "--no-cache", "--quiet")
    assert result.code == 1
    assert result.err == ""


def test_files_command_reports_progress_too(cli, archive, every_event):
    result = cli("files", archive, "--format", "json")
    assert result.code == 0, result.err
    assert "audit: layer 2/2: " in result.err
    json.loads(result.out)


@pytest.mark.slow
def test_rich_display_appears_on_a_terminal(archive, tmp_path):
    """`python -m auditor` with stderr on a pseudo-terminal (`testing.spawn`, the `pty` way): the display
    draws each step with a spinner and bytes; stdout (a pipe) carries the JSON only."""
    run = spawn([archive, "--format", "json"], tmp_path, tty="stderr", env={"TERM": "xterm-256color"})
    err = run.err.decode("utf-8", "replace")
    assert run.code == 1, err
    assert "layer 1/2" in err and "layer 2/2" in err and "building the report" in err
    assert "\x1b[" in err  # drawn and redrawn in place (cursor control), not printed as lines
    assert any(frame in err for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")  # rich's default spinner
    assert "MiB" in err
    assert json.loads(run.out)["summary"]["findings"] >= 1


def test_a_silent_export_still_gets_its_line_every_interval():
    """An engine preparing an export sends nothing for a while; the heartbeat keeps the plain lines coming
    (a CI runner that kills silent steps sees the audit alive)."""
    import threading

    stream = io.StringIO()
    shown = Lines(stream, interval=0.0)
    shown.step("exporting big:1 from the Docker engine")
    stream.seek(0)
    stream.truncate()
    beats = threading.Event()
    real = shown.advance

    def advance(nbytes: int) -> None:
        real(nbytes)
        beats.set()

    shown.advance = advance  # type: ignore[method-assign]
    with progress.heartbeat(shown, every=0.01):
        assert beats.wait(5), "no heartbeat in 5 s"
    assert lines(stream)[-1] == "audit: exporting big:1 from the Docker engine"
