"""The block shuffle: every row once, rows kept together, seeded, and mixed as far as its pool reaches."""

from __future__ import annotations

import numpy as np
import pytest

from data.block_shuffle import row_bytes, shuffled_blocks


def blocks_of(rows: int, size: int) -> list[tuple]:
    numbers = np.arange(rows)
    return [(numbers[start:start + size], numbers[start:start + size].astype("float32") * 10,
             numbers[start:start + size].astype(str).astype(object)) for start in range(0, rows, size)]


def shuffled(rows: int, size: int, capacity: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    out = list(shuffled_blocks(iter(blocks_of(rows, size)), capacity, np.random.default_rng(seed)))
    assert all(len(block[0]) <= size for block in out), "no block may leave longer than the longest that came"
    return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))


@pytest.mark.parametrize(("rows", "size", "capacity"), [(100, 7, 1000), (100, 7, 30), (100, 40, 13), (5, 5, 1)])
def test_every_row_leaves_once_with_its_other_arrays(rows, size, capacity):
    numbers, tens, texts = shuffled(rows, size, capacity)
    assert sorted(numbers) == list(range(rows))
    np.testing.assert_array_equal(tens, numbers * 10)
    assert list(texts) == [str(number) for number in numbers]


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    first, again, other = (shuffled(200, 16, 64, seed)[0] for seed in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_split_that_fits_in_the_pool_is_shuffled_across_all_of_it():
    numbers = shuffled(1000, 100, 1000)[0]
    assert not np.array_equal(numbers, np.arange(1000))
    assert numbers[:100].max() > 500, "the first rows out should come from anywhere in the split"


def test_a_smaller_pool_mixes_rows_only_within_its_reach():
    numbers = shuffled(1000, 10, 50)[0]
    # The first 10 rows out were drawn from a full pool of the first 50 rows.
    assert numbers[:10].max() < 50
    # No row leaves more than a pool and a block ahead of its place in the file.
    assert np.all(numbers - np.arange(1000) < 50 + 10)
    assert not np.array_equal(numbers, np.arange(1000))


def test_row_bytes_counts_every_array_and_text_at_a_fixed_size():
    block = (np.zeros((3, 4), "float32"), np.zeros(3, "int64"), np.array(["a", "b", "c"], dtype=object))
    assert row_bytes(block) == 16 + 8 + 64
