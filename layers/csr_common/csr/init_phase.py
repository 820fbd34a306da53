"""A function's init phase without garbage collection.

Every handler module imports this module first (ruff sorts it into a section of its own, before the standard
library), which turns the cyclic garbage collector off while the function's modules load: what they create
(modules, classes, pydantic's field descriptions, botocore's tables) lives as long as the process, so the
collections that its sheer number of objects would set off find next to nothing to free (about 700 of some
95,000 objects). They cost about 10-20% of a handler's import (`make bench-coldstart`, README). `end`, the
handler's outermost decorator and so the module's last statement, moves those objects, the few unreachable
ones with them, into the permanent generation (`gc.freeze`), out of every later collection, and turns the
collector back on for the requests.

It acts once per process, as Lambda runs one handler per process; a process that imports several handlers
(the local server, the tests) loads the later ones with collection on and freezes nothing more. Only
handlers import it (the message catalogs' walk of the package leaves it out).
"""

import gc
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

gc.disable()


def end(handler: Handler) -> Handler:
    """The init phase is over: freeze what it built and collect again from here on (where this module turned
    collection off: a later handler's import in the same process freezes nothing)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    return handler
