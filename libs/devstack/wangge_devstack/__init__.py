"""wangge development tooling: the one-machine stack (`make run`, tests/integration), never used in production."""
