"""Small CNN on the digits 0-4 only: the pretrained backbone for the transfer study.

Exactly digits_cnn's network and training, on the 901 images of digits 0 to 4. It ships in
the zoo as `digits04_cnn`, and `digits59_finetune` starts from it. Expected result: test
accuracy >= 0.98.
"""

import dataclasses

from recipes.digits_cnn import recipe as digits_cnn

# Only the data differ from digits_cnn; name and description come from this module.
recipe = dataclasses.replace(
    digits_cnn,
    data=dataclasses.replace(digits_cnn.data, args={"classes": [0, 1, 2, 3, 4]}),
    name=None,
    description="",
)
