import numpy as np
import pytest

import data
import data.pipeline


def test_every_source_that_needs_nothing_loads_with_matching_rows_and_a_task():
    for name in data.list_sources():
        if data.sources.source_needs(name):
            continue  # tests/data/test_user_files.py and test_online.py cover these through files they write
        dataset = data.load(name)
        assert len(dataset.features) == len(dataset.targets) > 0
        assert dataset.task in (data.CLASSIFICATION, data.REGRESSION)
        if dataset.task == data.CLASSIFICATION:
            assert len(dataset.class_names) == len(np.unique(dataset.targets))


def test_splits_are_seeded_disjoint_complete_and_stratified():
    targets = data.load("iris").targets
    parts = data.split_indices(targets, 0.2, 0.2, seed=7, stratify=True)
    again = data.split_indices(targets, 0.2, 0.2, seed=7, stratify=True)
    other = data.split_indices(targets, 0.2, 0.2, seed=8, stratify=True)
    assert all(np.array_equal(parts[name], again[name]) for name in parts)
    assert not np.array_equal(parts["test"], other["test"])
    everything = np.concatenate(list(parts.values()))
    assert sorted(everything.tolist()) == list(range(len(targets)))
    # 50 flowers per species: stratification puts exactly 10 of each in a 30-flower test split.
    assert np.bincount(targets[parts["test"]]).tolist() == [10, 10, 10]


def test_standardization_statistics_come_from_the_training_split_alone():
    prepared = data.prepare("diabetes", validation_split=0.2, test_split=0.2, seed=3,
                            preprocessing=[{"name": "standardize"}, {"name": "standardize_targets"}])
    train_features, train_targets = prepared.splits["train"]
    np.testing.assert_allclose(train_features.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_features.std(axis=0), 1.0, atol=1e-4)
    assert abs(float(train_targets.mean())) < 1e-5
    # Fitted on all the data, the held-out parts would be centred too; fitted on train they are not.
    test_features, _ = prepared.splits["test"]
    assert np.abs(test_features.mean(axis=0)).max() > 0.05

    raw = data.load("diabetes")
    parts = data.split_indices(raw.targets, 0.2, 0.2, seed=3, stratify=False)
    train_mean = raw.features[parts["train"]].mean(axis=0)
    train_std = raw.features[parts["train"]].std(axis=0)
    expected = (raw.features[parts["test"]] - train_mean) / train_std
    np.testing.assert_allclose(test_features, expected, rtol=1e-4, atol=1e-4)


def test_rescale_reshape_and_one_hot_labels():
    prepared = data.prepare("digits", preprocessing=[
        {"name": "rescale", "scale": 1 / 16}, {"name": "reshape", "shape": [8, 8, 1]}, {"name": "one_hot_labels"}])
    features, targets = prepared.splits["train"]
    assert prepared.input_shape == (8, 8, 1)
    assert features.max() <= 1.0 and features.min() >= 0.0
    assert targets.shape == (len(features), 10)
    np.testing.assert_array_equal(targets.sum(axis=1), 1.0)


def test_pipeline_batches_and_shuffles_reproducibly():
    features = np.arange(20, dtype="float32").reshape(10, 2)
    targets = np.arange(10)
    first = data.pipeline.make_dataset(features, targets, batch_size=4, shuffle=True, seed=1)
    second = data.pipeline.make_dataset(features, targets, batch_size=4, shuffle=True, seed=1)
    order = [batch[1].numpy().tolist() for batch in first]
    assert [len(batch) for batch in order] == [4, 4, 2]
    assert order == [batch[1].numpy().tolist() for batch in second]
    assert sorted(sum(order, [])) == list(range(10))
    unshuffled = data.pipeline.make_dataset(features, targets, batch_size=4, shuffle=False, seed=1)
    assert sum((batch[1].numpy().tolist() for batch in unshuffled), []) == list(range(10))


def test_a_large_array_gathered_batch_by_batch_gives_the_batches_of_the_cached_pipeline(monkeypatch):
    features = np.random.default_rng(0).normal(size=(50, 3, 2)).astype("float32")
    targets = np.arange(50)
    sliced = data.pipeline.make_dataset(features, targets, batch_size=8, shuffle=True, seed=5)
    monkeypatch.setattr(data.pipeline, "GATHER_FROM_BYTES", 0)  # every array counts as large
    assert data.pipeline.gathered(features)
    gathered = data.pipeline.make_dataset(features, targets, batch_size=8, shuffle=True, seed=5)
    for _ in range(2):  # two epochs: each reshuffled alike
        for (x_sliced, y_sliced), (x_gathered, y_gathered) in zip(sliced, gathered, strict=True):
            np.testing.assert_array_equal(x_gathered.numpy(), x_sliced.numpy())
            np.testing.assert_array_equal(y_gathered.numpy(), y_sliced.numpy())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.load("mnist_digits"), "must be a registered source"),
        (lambda: data.load("iris", n_samples=5), "arguments it does not take"),
        (lambda: data.prepare("iris", validation_split=0.0), "between 0 and 1"),
        (lambda: data.prepare("iris", preprocessing=[{"name": "reshape", "shape": [3, 3]}]), "cannot turn samples"),
        (lambda: data.prepare("diabetes", preprocessing=[{"name": "one_hot_labels"}]), "needs a classification"),
        (lambda: data.prepare("iris", preprocessing=[{"name": "rescale", "factor": 2}]), "does not take"),
    ],
)
def test_data_mistakes_raise_a_data_error_saying_what_to_change(call, message):
    with pytest.raises(data.DataError, match=message):
        call()
