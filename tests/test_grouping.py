"""`make test` spreads tests over one process per core with pytest-xdist's `--dist loadgroup`, which sends every
test of an `xdist_group` to one process, so a module fixture that trains runs once. When pytest and
pytest-xdist disagree on where a test's id lives (pytest 9.2 with xdist 3.8), the group is silently dropped and
each process trains the fixture again: this test fails then, instead of the suite quietly growing slower."""

import pytest

pytestmark = pytest.mark.xdist_group("grouping_check")


def test_a_grouped_test_carries_its_group_in_the_id_xdist_schedules_by(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under make test's --dist loadgroup")
    assert request.node.nodeid.endswith("@grouping_check")
