"""Keys derived from the one service secret kept in SSM Parameter Store (generated for local mode).

Each purpose (cursor signing, recovery-code hashing) gets its own key, so a key leaked from one use
cannot forge another.
"""

from __future__ import annotations

import hashlib
import hmac

from aws_lambda_powertools.utilities.parameters import get_parameter
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from csr.errors import DependencyUnavailableError
from csr.observability import logger
from csr.settings import get_settings

_CACHE_SECONDS = 300


def derived_key(purpose: str) -> bytes:
    """The key for `purpose`. SSM missing, throttled or unreachable is 503 `dependency_unavailable`
    (Powertools wraps every failure of the call in `GetParameterError`), never a 500."""
    try:
        secret = get_parameter(get_settings().secret_key_parameter, decrypt=True, max_age=_CACHE_SECONDS)
    except GetParameterError as exc:
        # The error's text may name the parameter: log its cause's type only.
        cause = exc.__cause__ or exc.__context__ or exc
        logger.warning("service key unavailable", extra={"ssm_error": type(cause).__name__})
        raise DependencyUnavailableError() from exc
    return hmac.new(str(secret).encode(), purpose.encode(), hashlib.sha256).digest()


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA-256 of `value` under the key for `purpose`: the stored form of short secrets."""
    return hmac.new(derived_key(purpose), value.encode(), hashlib.sha256).hexdigest()
