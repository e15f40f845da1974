"""The subscribers file: a CSV of ``email[,name]`` lines, checked before anything is sent."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path

from ..errors import Problems
from ..i18n import _


@dataclass(frozen=True)
class Recipient:
    email: str               # as it is sent: Latin local part, domain in ASCII (punycode)
    name: str
    line: int                # line in the recipients file, for messages to the editor

    @property
    def key(self) -> str:
        """Addresses are compared case-insensitively: one subscriber, one message."""
        return self.email.lower()


class InvalidAddress(ValueError):
    pass


_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_HEADER_EMAIL = re.compile(r"^(e-?mail|email address|mail|адрес|почта|электронная почта|e-mail адрес)$", re.I)
_HEADER_NAME = re.compile(r"^(name|full name|имя|фио|ф\.и\.о\.|получатель|organisation|организация)$", re.I)


def normalise_address(raw: str) -> str:
    """A checked address ready for SMTP, or InvalidAddress saying what is wrong."""
    value = raw.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:"):]
    if not value:
        raise InvalidAddress(_("the address is empty; write it like name@example.org"))
    if any(ch.isspace() for ch in value):
        raise InvalidAddress(_("{value!r} contains a space; an address has none").format(value=value))
    if "@" not in value:
        raise InvalidAddress(_("{value!r} has no @; write it like name@example.org").format(value=value))
    if value.count("@") > 1:
        raise InvalidAddress(_("{value!r} has more than one @; write one address per line").format(value=value))
    local, domain = value.split("@")
    if not local:
        raise InvalidAddress(_("{value!r} has nothing before the @").format(value=value))
    if not _LOCAL_PART.match(local):
        raise InvalidAddress(_("{value!r}: the part before @ may have only Latin letters, digits and "
                               ". _ - + (no dot at its start or end, no two dots in a row)").format(value=value))
    if len(local) > 64:
        raise InvalidAddress(_("{value!r}: the part before @ is longer than 64 characters").format(value=value))
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidAddress(_("{value!r}: {domain!r} after the @ is not a valid domain").format(
            value=value, domain=domain)) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidAddress(_("{value!r}: the part after @ must be a domain such as example.org").format(value=value))
    address = f"{local}@{ascii_domain}"
    if len(address) > 254:
        raise InvalidAddress(_("{value!r} is longer than 254 characters").format(value=value))
    try:
        Address(addr_spec=address)          # what the To: header will be made of
    except (ValueError, IndexError):
        raise InvalidAddress(_("{value!r} is not an address a mail header can carry").format(value=value)) from None
    return address


@dataclass
class RecipientList:
    recipients: list[Recipient] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    duplicates: list[str] = field(default_factory=list)     # notes, not errors


DELIMITERS = (",", ";", "\t")     # the comma, and what spreadsheets in a Russian locale write
SAMPLE_LINES = 200                # enough lines to tell the delimiter, few enough to be quick


def detect_delimiter(text: str) -> str:
    """The delimiter that makes an address of a field in most lines.

    Counting the characters of the first line misleads: ``a@b.org;Иванов, Иван`` has a
    comma and a semicolon. Splitting each line both ways, only the semicolon leaves a
    whole address. Ties (a single column, a file of bad addresses) go to the delimiter the
    first line has most of, then to the comma.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    sample = lines[:SAMPLE_LINES]
    first = sample[0] if sample else ""

    def has_address(line: str, delimiter: str) -> bool:
        return any(_is_address(cell) for cell in next(csv.reader([line], delimiter=delimiter), []))

    return max(DELIMITERS, key=lambda d: (sum(has_address(line, d) for line in sample), first.count(d)))


def _is_address(cell: str) -> bool:
    try:
        normalise_address(cell)
    except InvalidAddress:
        return False
    return True


def header_columns(cells: list[str]) -> tuple[int, int] | None:
    """(email column, name column or -1) if the row is a header row such as ``email;name``."""
    if any("@" in cell for cell in cells):
        return None
    email_column = next((i for i, cell in enumerate(cells) if _HEADER_EMAIL.match(cell)), None)
    if email_column is None:
        return None
    named = next((i for i, cell in enumerate(cells) if _HEADER_NAME.match(cell)), None)
    # Without a recognised name heading, the first other column holds the names.
    other = next((i for i in range(len(cells)) if i != email_column), -1)
    return email_column, named if named is not None else other


def read_recipients(path: Path, shown: str | None = None) -> RecipientList:
    """Read the CSV of subscribers: ``email[,name]`` per line, an optional header row.

    Blank lines and lines starting with ``#`` are skipped. Every bad address is a problem
    ``path:line: email: message``; a repeated address (in any letter case) is sent once.
    """
    shown = shown or str(path)
    result = RecipientList()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.add(shown, 0, "-", _("cannot read the recipients file: {reason}").format(reason=exc.strerror))
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        result.problems.add(shown, line, "-", _("the file is not UTF-8 text; save it as CSV UTF-8"))
        return result
    reader = csv.reader(io.StringIO(text), delimiter=detect_delimiter(text))
    email_column, name_column = 0, 1
    first_row = True
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first_row:
                first_row = False
                columns = header_columns(cells)
                if columns is not None:
                    email_column, name_column = columns
                    continue
            raw_email = cells[email_column] if email_column < len(cells) else ""
            name = " ".join(cells[name_column].split()) if 0 <= name_column < len(cells) else ""
            try:
                address = normalise_address(raw_email)
            except InvalidAddress as exc:
                result.problems.add(shown, line, "email", str(exc))
                continue
            key = address.lower()
            if key in seen:
                result.duplicates.append(f"{shown}:{line}: email: " + _(
                    "{email} is already on line {first}; it gets one message").format(email=raw_email, first=seen[key]))
                continue
            seen[key] = line
            result.recipients.append(Recipient(address, name, line))
    except csv.Error as exc:
        result.problems.add(shown, reader.line_num, "-", _("the CSV cannot be read: {reason}").format(reason=exc))
    if not result.recipients and not result.problems:
        result.problems.add(shown, 0, "-", _("no recipients: write one address per line, e.g. name@example.org,Имя"))

    return result

