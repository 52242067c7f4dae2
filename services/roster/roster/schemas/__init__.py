"""Request and response shapes of the roster API, one module per use case."""
