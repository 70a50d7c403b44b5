"""Fixtures shared by several files of tests/engine."""

from tests.engine.serve_runs import serve_runs_fixture  # noqa: F401 - tiny finished runs for test_predict, test_export
