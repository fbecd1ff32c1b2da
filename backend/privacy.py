"""Personal data as staff see it: phone numbers are always masked outside the resident's own view."""
import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    """13812345678 -> 138****5678; shorter numbers keep only their last 4 digits visible."""
    if not phone:
        return phone
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 13 and digits.startswith("86"):  # +86 country code
        digits = digits[2:]
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"
