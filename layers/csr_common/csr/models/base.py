"""The base of every model of the service."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validator and serializer are built on first use rather than at import, so a
    cold start builds only the models of the route it serves (a handler's routes share one function)."""

    model_config = ConfigDict(defer_build=True)
