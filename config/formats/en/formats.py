# English UI for a Vietnamese business: the same dd/mm/yyyy dates, English number separators.
from config.formats.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
