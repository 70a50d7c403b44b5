"""What differs between kinds of learning? Each kind is one module saying how it trains and is assessed.

Every run goes check -> plan -> train -> assess -> record (engine.run); only train and assess differ by
kind. A kind is a `Learning` object in `KINDS`, found by `kind_of(recipe)`:

- `supervised` (the default): data with labels; `model.fit`, then scikit-learn metrics against baselines.

The unsupervised and reinforcement kinds, and the curriculum and active-learning techniques that wrap
supervised training, each add one module here.
"""
