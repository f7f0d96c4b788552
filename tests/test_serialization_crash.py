"""A writer killed with SIGKILL in the middle of mg.save never costs the
previous checkpoint, and the next save to the same path removes the
temporary file the killed writer left.

A child process saves large checkpoints in a loop; the parent waits until a
temporary file shows up next to the checkpoint (so a write is under way) and
kills the child at a random moment within the write. The checkpoint must then
load, and be one of the complete ones the child wrote.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minigrad as mg

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"
)

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from minigrad.serialization import save

    path, n = sys.argv[1], int(sys.argv[2])
    for step in range(10**6):
        save({"step": step, "w": np.full(n, step, np.float32),
              "tail": [step] * 3}, path)
        print(step, flush=True)
    """
)


def _temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def _kill_mid_write(directory, n, delay):
    path = os.path.join(directory, "ckpt.npz")
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, path, str(n)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout.readline().strip() == "0"  # one complete save
        child.stdout.readline()  # and a second: the old file is now replaced
        deadline = time.monotonic() + 20
        while not _temporary_files(directory):  # a third write has started
            assert time.monotonic() < deadline, "the writer never wrote again"
            assert child.poll() is None
        time.sleep(delay)
        mid_write = bool(_temporary_files(directory))
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    checkpoint = mg.load(path)
    step = checkpoint["step"]
    assert step >= 1
    assert checkpoint["w"].shape == (n,) and np.all(checkpoint["w"] == step)
    assert checkpoint["tail"] == [step] * 3
    # the killed writer's temporary (if any) is removed by the next save there
    mg.save({"step": step + 1}, path)
    assert _temporary_files(directory) == []
    return mid_write


def _kill_many_times(tmp_path, kills, n):
    rng = np.random.default_rng(kills)
    mid_writes = 0
    for i in range(kills):
        directory = tmp_path / str(i)
        directory.mkdir()
        mid_writes += _kill_mid_write(str(directory), n, rng.uniform(0, 0.02))
    # the kills must really have landed inside writes, or the test shows nothing
    assert mid_writes >= kills // 2


def test_sigkill_during_save_keeps_the_previous_checkpoint(tmp_path):
    _kill_many_times(tmp_path, kills=4, n=4_000_000)  # 16 MB per checkpoint


@pytest.mark.slow
def test_sigkill_during_save_many_times(tmp_path):
    _kill_many_times(tmp_path, kills=40, n=8_000_000)
