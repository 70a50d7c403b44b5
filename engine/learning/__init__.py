"""The built-in kinds of learning, one module each; the protocol they follow is engine.kinds.

- `supervised.Supervised` (the default): data with labels; `model.fit` in one or two phases, then scikit-learn
  metrics against the easy baseline, a diagnosis, the cost and the plots. The base of every kind that fits a
  compiled model on a dataset.
- `unsupervised.Unsupervised`: labels never reach the model or the loss; an autoencoder or a contrastive model
  trains on the inputs alone, then its codes are judged against PCA, by clustering and by a linear probe.
- `reinforcement.Reinforcement`: a Gymnasium environment in place of data; an agent (DQN, PPO) learns from its
  rewards, and is scored by its mean return over greedy episodes against a random policy.

Techniques wrap the supervised kind, each one field of the recipe (engine.kinds.TECHNIQUES; a recipe declares
one at a time, and `engine.kinds.kind_of` gives it in place of the supervised kind):

- `active.ActiveLearning`: `active_learning` chooses which training samples get labels, round by round, from a
  model's uncertainty (margin, entropy, least confidence) or at random (the control).
- `curriculum.Curriculum`: `curriculum` shows the training samples easiest first at a growing pace (difficulty
  from cross-fitted teachers or declared), against the same pace in random order or hardest first.

engine.kinds finds each by name ("module:Class" in its BUILT_IN and TECHNIQUES) and imports it on first use;
nothing below this package imports it. What each declares (its name, fields, settings and their ranges) is in
`declarations`, which imports no TensorFlow: each kind's class subclasses its declaration, and `make show` and
the checks of a recipe read it there (engine.kinds.declaration).
"""
