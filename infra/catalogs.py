"""`make catalogs`: the French and Spanish catalogs of `csr.i18n`, kept in step with the code.

A message id is the English text of: a string marked `N_(...)`; the first argument of a call to an
`ApiError` class (the message it raises with); the `message` of every `ApiError` class; the message of
a `Refusal` (the portal-status table's 409s); the message of a `field_error` (an entry of
`details.fields`); the singular and plural of an `NP_(...)` (one message with its plural forms). This
updates each `messages.po` (a new id gets an empty translation to fill in, an id the code no longer has is
dropped) and compiles it to the `messages.mo` that `csr.i18n` reads in Lambda
(only the standard library's gettext there, no Babel).

    python -m infra.catalogs
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

import csr
from csr.errors import ApiError
from csr.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE_DIR = Path(csr.__file__).parent


# Imported by a handler only: its import turns the garbage collector off for the handler's init phase.
HANDLER_ONLY = "csr.init_phase"


def _error_classes() -> list[type[ApiError]]:
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="csr."):
        if module.name != HANDLER_ONLY:
            importlib.import_module(module.name)
    found, pending = [], [ApiError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _called_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


MessageId = str | tuple[str, str]


def _plural_id(node: ast.Call) -> tuple[str, str] | None:
    texts = [arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return (texts[0], texts[1]) if len(texts) == 2 else None


def message_ids() -> set[MessageId]:
    classes = _error_classes()
    # The position of the message among each marker's positional arguments.
    positions = {"N_": 0, "Refusal": 1, "field_error": 1} | {cls.__name__: 0 for cls in classes}
    ids: set[MessageId] = {
        cls.message if isinstance(cls.message, str) else (cls.message.singular, cls.message.plural) for cls in classes
    }
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _called_name(node) == "NP_":
                plural = _plural_id(node)
                if plural:
                    ids.add(plural)
            elif isinstance(node, ast.Call) and _called_name(node) in positions:
                position = positions[_called_name(node)]
                argument = node.args[position] if len(node.args) > position else None
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    ids.add(argument.value)
    return ids


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def update(language: str, ids: set[MessageId]) -> None:
    path = po_path(language)
    old = read_catalog(language) if path.exists() else Catalog(locale=language, domain=DOMAIN)
    catalog = Catalog(
        locale=language, domain=DOMAIN, project="csr-console-api", fuzzy=False, creation_date=old.creation_date
    )
    plural_forms = catalog.num_plurals
    for message in sorted(ids, key=lambda message_id: message_id if isinstance(message_id, str) else message_id[0]):
        previous = old.get(message[0] if isinstance(message, tuple) else message)
        if isinstance(message, tuple):
            kept = previous.string if previous and isinstance(previous.string, tuple | list) else ()
            catalog.add(message, tuple(kept) if kept else ("",) * plural_forms)
        else:
            catalog.add(message, previous.string if previous and isinstance(previous.string, str) else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=120, omit_header=False, no_location=True, sort_output=True)
    with path.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalog)


def _forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return (string or "",) if string is None or isinstance(string, str) else tuple(string)


def main() -> None:
    ids = message_ids()
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            update(language, ids)
            missing = [m for m in read_catalog(language) if m.id and not all(_forms(m.string))]
            print(f"{language}: {len(ids)} messages, {len(missing)} without a translation")


if __name__ == "__main__":
    main()
