"""The object pool shared by detectors: reuse, and the limit on how many exist."""

from __future__ import annotations

import threading
import time

from mailwarden.detect.base import Pool


def test_objects_are_reused_and_limited() -> None:
    """With limit 1, two threads share one object, one after the other."""
    made: list[object] = []
    pool: Pool[object] = Pool(lambda: made.append(object()) or made[-1], limit=1)
    inside = 0
    most = 0

    def borrow() -> None:
        nonlocal inside, most
        with pool.borrow():
            inside += 1
            most = max(most, inside)
            time.sleep(0.05)
            inside -= 1

    threads = [threading.Thread(target=borrow) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert most == 1
