"""Memory housekeeping shared by the stages that create many long-lived objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's automatic cycle collector while a stage creates its long-lived objects.

    Loading 5,000 articles, rendering a thousand pages or holding every harvest record until
    it is written creates millions of objects that live to the end of the stage; the
    collector would scan them again and again (a third of the time of gathering a large
    desk) and find next to nothing, since they are freed by reference counting. A stage
    that may make cycles collects the young generations itself now and then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Freezing and unfreezing moves every tracked object to the oldest generation without
        # examining it; otherwise the next young collection would walk all of them at once.
        # They are still collected as usual later (``serve`` builds again and again in one process).
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()
