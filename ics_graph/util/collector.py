"""Python's cyclic garbage collector, paused where it only costs time.

Reading a mapping, or answering every page of a site, builds hundreds of thousands of
small objects (parsed YAML, marks, triples, result rows, answers) that live until the
step ends and hold no reference cycles worth collecting. The collector would scan the
growing heap again and again and free nothing: about 40% of the time of a
million-triple YAML load, and a tenth of a site's. Reference counting still frees
whatever dies meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_cyclic_collection"]


@contextmanager
def no_cyclic_collection() -> Iterator[None]:
    """Pause the cyclic collector inside; it resumes, as it was, when the block ends or
    fails."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
