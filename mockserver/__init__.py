"""A spec-faithful OpenAPI mock server.

A request flows through one fixed line of stages, each in its own module:

    routing -> security -> validation -> state/update -> prefer -> generator -> responder

`app.create_app` is the one place that wires them together.
"""

from mockserver.app import create_app
from mockserver.errors import MockServerError

__all__ = ["MockServerError", "create_app"]
__version__ = "0.1.0"
