"""Which devices and workers? The tf.distribute strategy a run trains under.

- `strategy`: `choose_strategy(name, replicas)` and `Chosen`: auto, cpu, gpu, mirrored, multi_worker, tpu.
- `multi_worker`: `make recipe WORKERS=N`, N worker processes on 127.0.0.1.
- `compat`: the isolated, version-checked Keras 3.15 work-arounds for multi-worker training.
- `local_cluster`: starting, watching and stopping a group of local processes.
"""
