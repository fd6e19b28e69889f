"""A spec-faithful OpenAPI mock server.

`app.create_app` loads the documents, compiles every operation and its role in the inferred
resource model, and composes the request line of `pipeline.Pipeline`:

    route -> credentials (security) -> body (body) -> validation (validation)
          -> Prefer (negotiator) -> resources (resources) -> render a Problem (negotiator)

Every stage takes the one `request.MockRequest` and returns nothing (go on), a
`responses.MockResponse` or a `problems.Problem`.
"""

from mockserver.app import create_app
from mockserver.errors import MockServerError

__all__ = ["MockServerError", "create_app"]
__version__ = "0.1.0"
