"""Exceptions of the mock server.

    MockServerError            root: everything the package raises on purpose
    ├── SpecError              an OpenAPI document cannot be loaded or compiled
    │   ├── NotOpenAPIError    the file is no OpenAPI document at all (a folder's other files)
    │   └── ProfileError       a per-API profile is malformed or names unknown fields
    ├── UsageError             bad command-line input (flags, paths)
    ├── StateError             the state store cannot be opened or reached (SQLite, Redis)
    ├── FixtureError           a `--data` file is malformed or breaks a collection's schema
    └── GeneratedBodyError     the generator built a body its own schema rejects (a bug of
                               the mock, never the client's; answered as a logged 500)

A client's mistake is never an exception: it is a `problems.Problem`, data that the stage
finding it returns and that `negotiator.Negotiator.render` turns into the answer.
Library errors (YAML, jsonschema_rs, OS) are translated at the boundary with
`raise SpecError(...) from exc`, so a user sees what is wrong and where, never a traceback.
"""


class MockServerError(Exception):
    """Root of every error the package raises on purpose."""


class SpecError(MockServerError):
    """An OpenAPI document cannot be loaded or compiled."""

    def __init__(self, source: str, message: str, where: str = "") -> None:
        self.source = source
        self.where = where
        self.message = message
        location = f"{source}: {where}" if where else source
        super().__init__(f"{location}: {message}")


class NotOpenAPIError(SpecError):
    """The file is not an OpenAPI document (no `openapi` field): a schema fragment, a list."""


class ProfileError(SpecError):
    """A per-API profile is malformed or refers to fields the spec does not have."""


class UsageError(MockServerError):
    """Bad command-line input."""


class StateError(MockServerError):
    """The state store cannot be opened or reached: an unwritable SQLite file, no Redis."""


class FixtureError(MockServerError):
    """A `--data` file is malformed or a resource in it breaks its collection's schema."""

    def __init__(self, source: str, message: str, where: str = "") -> None:
        self.source = source
        self.where = where
        self.message = message
        super().__init__(f"{source}: {where}: {message}" if where else f"{source}: {message}")


class GeneratedBodyError(MockServerError):
    """The generator built a body its own schema rejects: a bug in the mock, never the client's."""


def excerpt(value: object, limit: int = 300) -> str:
    """`repr(value)`, cut to `limit` characters: for log lines about large bodies."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
