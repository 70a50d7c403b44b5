"""The error raised for data a recipe cannot use."""

from common.errors import UserError


class DataError(UserError):
    """A data source, split or preprocessing step that cannot work as declared.

    Its message says what was wrong and how to fix it; the command line prints it alone
    and exits with code 2.
    """
