"""A function's init phase without garbage collection.

Every handler module imports this module first (ruff sorts it into a section of its own, before the standard
library), which turns the cyclic garbage collector off while the function's modules load: what they create
(modules, classes, pydantic's field descriptions, botocore's tables) lives as long as the process, so the
collections that its sheer number of objects would set off find nothing to free. They cost 9-19% of a
cold start (`make bench-coldstart`, README). `end`, the handler's outermost decorator and so the module's last
statement, moves those objects into the permanent generation (`gc.freeze`), out of every later
collection, and turns the collector back on for the requests.

It acts once per process, as Lambda runs one handler per process; a process that imports several handlers
(the local server, the tests) loads the later ones with collection on.
"""

import gc
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

gc.disable()


def end(handler: Handler) -> Handler:
    """The init phase is over: freeze what it built and collect again from here on."""
    gc.freeze()
    gc.enable()
    return handler
