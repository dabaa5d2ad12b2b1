# Vietnamese formats: dates dd/mm/yyyy, "." groups thousands (50.000.000 ₫), "," is the decimal mark.
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "d/m"
YEAR_MONTH_FORMAT = "m/Y"
# Typed dates (the same in English, see ../en): d/m/yyyy too, as strptime's %d and %m take one digit.
# One list, kept with the date fields in sencrm/core/forms.py; Django's own fields read it from here.
from sencrm.core.forms import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: E402, F401

FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
