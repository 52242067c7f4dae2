"""Request and response shapes of the routing API, one module per use case (as api/)."""
