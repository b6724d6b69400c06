"""The wire form of a message, version 1 (docs/PROTOCOL.md, sections 1 and 3): validation, encoding,
and the reader's verdict on a stream entry (an :class:`Envelope`, or a :class:`DeadLetterVerdict`).

The verdicts follow protocol/vectors/entries.json, which records what the Java reader does; the
order of the checks is the Java reader's (``EnvelopeCodec``, ``Envelope``), so that an entry with
several faults names the same field in every language.
"""

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

PROTOCOL_VERSION = 1
DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024
#: What an entry may hold besides its payload before a reader refuses it unread (Java
#: ``StreamScripts.ENVELOPE_ALLOWANCE_BYTES``).
ENVELOPE_ALLOWANCE_BYTES = 64 * 1024

REQUIRED_FIELDS = ("message_id", "from_agent", "to_agent", "message_type", "payload")
ENVELOPE_FIELDS = frozenset(REQUIRED_FIELDS + ("v", "timestamp", "priority", "reply_to", "correlation_id",
                                               "conversation_id", "expires_at"))
#: The fields an audit record copies from a message, in the order ack.lua takes them (protocol.lua).
AUDITED_FIELDS = ("message_id", "from_agent", "to_agent", "message_type", "priority", "conversation_id",
                  "correlation_id")

PRIORITY_NAMES = {"low": 3, "normal": 5, "high": 7, "urgent": 8, "critical": 9}
DEFAULT_PRIORITY = 5

_AGENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MESSAGE_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MESSAGE_ID = re.compile(r"[!-~]{1,128}")
_INTEGER = re.compile(r"[+-]?\d+")
_TIMESTAMP = re.compile(
    r"(?P<year>[+-]\d{4,9}|\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2}(?::\d{2})?)?",
    re.ASCII)
_MAX_EXTENSION_NAME = 64


class InvalidEnvelopeError(ValueError):
    """A message breaks a rule of the protocol; ``field`` names the wire field at fault."""

    def __init__(self, field_name: str, value: Optional[str], rule: str):
        shown = value if value is None or len(value) <= 100 else value[:100] + "…"
        super().__init__(f"{field_name} {rule}; was {shown!r}")
        self.field = field_name
        self.rule = rule


@dataclass(frozen=True)
class Envelope:
    """One message, validated. ``payload`` is the JSON object as text, exactly as sent; ``timestamp``
    and ``expires_at`` are milliseconds since the epoch (UTC); ``extensions`` are the fields this
    version does not define, carried through unchanged."""

    message_id: str
    from_agent: str
    to_agent: str
    message_type: str
    payload: str
    timestamp: int
    priority: int = DEFAULT_PRIORITY
    reply_to: Optional[str] = None
    correlation_id: Optional[str] = None
    conversation_id: Optional[str] = None
    expires_at: Optional[int] = None
    extensions: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        check_message_id("message_id", self.message_id)
        check_agent_id("from_agent", self.from_agent)
        check_agent_id("to_agent", self.to_agent)
        if not isinstance(self.message_type, str) or not _MESSAGE_TYPE.fullmatch(self.message_type):
            raise InvalidEnvelopeError("message_type", self.message_type,
                                       "must be 1-128 characters of letters, digits, '_', '.', '-', "
                                       "starting with a letter or digit")
        check_payload(self.payload)
        if not isinstance(self.priority, int) or isinstance(self.priority, bool) or not 1 <= self.priority <= 9:
            raise InvalidEnvelopeError("priority", str(self.priority), PRIORITY_RULE)
        if self.reply_to is not None:
            check_agent_id("reply_to", self.reply_to)
        if self.correlation_id is not None:
            check_message_id("correlation_id", self.correlation_id)
        if self.conversation_id is not None:
            check_message_id("conversation_id", self.conversation_id)
        for name, value in self.extensions.items():
            if not name or _utf16_length(name) > _MAX_EXTENSION_NAME:
                raise InvalidEnvelopeError("extension field name", name, "must be 1-64 characters")
            if name in ENVELOPE_FIELDS:
                raise InvalidEnvelopeError(name, value, "is a protocol field and cannot be set as an extension")
            if not isinstance(value, str):
                raise InvalidEnvelopeError(name, repr(value), "extension value must be a string")

    @staticmethod
    def create(from_agent: str, to_agent: str, message_type: str, payload: Union[str, dict, None] = None, *,
               priority: Union[int, str] = DEFAULT_PRIORITY, message_id: Optional[str] = None,
               **optional) -> "Envelope":
        """A new message: a random UUID as its id unless given, the current time, the payload as a dict
        (written as JSON) or as JSON text; ``priority`` as 1-9 or a name (``"high"``)."""
        if payload is None:
            payload = "{}"
        elif isinstance(payload, dict):
            payload = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        if isinstance(priority, str):
            priority = parse_priority(priority)
        return Envelope(message_id=message_id or str(uuid.uuid4()), from_agent=from_agent, to_agent=to_agent,
                        message_type=message_type, payload=payload, timestamp=int(time.time() * 1000),
                        priority=priority, **optional)

    @property
    def data(self) -> dict:
        """The payload, parsed."""
        return json.loads(self.payload)

    def is_expired_at(self, now_ms: int) -> bool:
        return self.expires_at is not None and now_ms >= self.expires_at

    def to_fields(self) -> Dict[str, str]:
        """The wire fields in the writer's order (section 3), then the extensions."""
        fields = {"v": str(PROTOCOL_VERSION), "message_id": self.message_id, "from_agent": self.from_agent,
                  "to_agent": self.to_agent, "message_type": self.message_type, "payload": self.payload,
                  "timestamp": format_timestamp(self.timestamp), "priority": str(self.priority)}
        for name in ("reply_to", "correlation_id", "conversation_id"):
            if getattr(self, name) is not None:
                fields[name] = getattr(self, name)
        if self.expires_at is not None:
            fields["expires_at"] = format_timestamp(self.expires_at)
        fields.update(self.extensions)
        return fields

    def audited_values(self) -> List[str]:
        """The values of AUDITED_FIELDS, ``''`` for an absent one, as ack.lua takes them."""
        return [self.message_id, self.from_agent, self.to_agent, self.message_type, str(self.priority),
                self.conversation_id or "", self.correlation_id or ""]


@dataclass(frozen=True)
class DeadLetterVerdict:
    """Why an entry is not a message: the ``dlq_reason``, the wire field at fault (``''`` for the
    entry as a whole) and the broken rule in words."""

    reason: str
    field: str
    detail: str


PRIORITY_RULE = "must be an integer 1-9 or one of low, normal, high, urgent, critical"


def parse_priority(text: str) -> int:
    """``"1"``..``"9"`` or a name in any case, surrounding spaces ignored (section 1)."""
    trimmed = _java_trim(text)
    if len(trimmed) == 1 and "1" <= trimmed <= "9":
        return int(trimmed)
    value = PRIORITY_NAMES.get(trimmed.lower()) if trimmed.isascii() else None
    if value is None:
        raise InvalidEnvelopeError("priority", text, PRIORITY_RULE)
    return value


def check_agent_id(field_name: str, value: str) -> str:
    if not isinstance(value, str) or not _AGENT_ID.fullmatch(value):
        raise InvalidEnvelopeError(field_name, value, "must be 1-64 characters of letters, digits, '_', '.', '-', "
                                                      "starting with a letter or digit")
    return value


def check_message_id(field_name: str, value: str) -> str:
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value):
        raise InvalidEnvelopeError(field_name, value, "must be 1-128 printable ASCII characters without spaces")
    return value


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def check_payload(text: str) -> None:
    """A payload is one JSON object and nothing after it (NaN and Infinity are not JSON)."""
    if not isinstance(text, str):
        raise InvalidEnvelopeError("payload", None, "is required")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise InvalidEnvelopeError("payload", text, f"must be a JSON object ({e})") from None
    if not isinstance(value, dict):
        raise InvalidEnvelopeError("payload", text, "must be a JSON object")


# --- timestamps: ISO-8601 as Java's Instant/OffsetDateTime/LocalDateTime parse them -------------------------

TIMESTAMP_RULE = "must be an ISO-8601 UTC date-time such as 2025-11-03T10:30:00Z"


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date, any year (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> Tuple[int, int, int]:
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    mp = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return year_of_era + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_timestamp(field_name: str, text: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date-time: ``Z``, an offset with a colon, or no zone
    (read as UTC); seconds optional; finer than milliseconds truncated (section 1, vectors ``ts-*``)."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        raise InvalidEnvelopeError(field_name, text, TIMESTAMP_RULE)
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    days_in_month = [31, 29 if _is_leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= month <= 12 and 1 <= day <= days_in_month[month - 1] and hour <= 23 and minute <= 59
            and second <= 59):
        raise InvalidEnvelopeError(field_name, text, TIMESTAMP_RULE)
    offset_seconds = 0
    zone = match["zone"]
    if zone and zone not in ("Z", "z"):
        parts = [int(part) for part in zone[1:].split(":")]
        if parts[0] > 18 or parts[1] > 59 or (len(parts) > 2 and parts[2] > 59):
            raise InvalidEnvelopeError(field_name, text, TIMESTAMP_RULE)
        offset_seconds = parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)
        if zone[0] == "-":
            offset_seconds = -offset_seconds
    millis = int((match["fraction"] or "0").ljust(3, "0")[:3])
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds
    return seconds * 1000 + millis


def format_timestamp(millis: int) -> str:
    """ISO-8601 UTC as the Java writer writes it: milliseconds only when non-zero."""
    seconds, ms = divmod(millis, 1000)
    days, of_day = divmod(seconds, 86400)
    year, month, day = _civil_from_days(days)
    if year > 9999:
        year_text = f"+{year}"
    elif year < 0:
        year_text = f"-{-year:04d}"
    else:
        year_text = f"{year:04d}"
    text = f"{year_text}-{month:02d}-{day:02d}T{of_day // 3600:02d}:{of_day % 3600 // 60:02d}:{of_day % 60:02d}"
    return text + (f".{ms:03d}Z" if ms else "Z")


# --- reading an entry ---------------------------------------------------------------------------------------

RawValue = Union[bytes, str]


def decode_entry(fields: Sequence[Tuple[RawValue, RawValue]], *, max_field_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
                 now_ms: Optional[int] = None, check_expiry: bool = True) -> Union[Envelope, DeadLetterVerdict]:
    """The reader's verdict on one stream entry: its field/value pairs as read (bytes, so that invalid
    UTF-8 is seen), in order, a name possibly repeated. Checks in the Java reader's order: the entry's
    size, a repeated name, each field's size and encoding, then the message rules, then expiry (unless
    ``check_expiry`` is false: a consumer checks the delivery count first)."""
    raw = [(_as_bytes(name), _as_bytes(value)) for name, value in fields]
    size = sum(len(name) + len(value) for name, value in raw)
    if size > max_field_bytes + ENVELOPE_ALLOWANCE_BYTES:
        return DeadLetterVerdict("too_large", "", f"the entry is {size} bytes, more than the limit of "
                                                  f"{max_field_bytes + ENVELOPE_ALLOWANCE_BYTES}")
    seen = set()
    for name, _ in raw:
        if name in seen:
            shown = re.sub(r"[\x00-\x1f\x7f]", "?", name.decode("utf-8", "replace"))
            return DeadLetterVerdict("invalid_field", shown, f"the entry has field {shown} more than once: "
                                                             "which value is meant is ambiguous")
        seen.add(name)
    text = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("utf-8", "replace")
        if len(value_bytes) > max_field_bytes:
            return DeadLetterVerdict("too_large", name, f"is {len(value_bytes)} bytes, more than the limit of "
                                                        f"{max_field_bytes}")
        try:
            value = value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            value = None
        if value is None or "\ufffd" in name:
            return DeadLetterVerdict("invalid_encoding", name, "is not valid UTF-8")
        text[name] = value
    return decode_text(text, now_ms=now_ms, check_expiry=check_expiry)


def decode_text(fields: Dict[str, str], *, now_ms: Optional[int] = None,
                check_expiry: bool = True) -> Union[Envelope, DeadLetterVerdict]:
    """The verdict on an entry's fields already decoded as text (a broadcast's JSON, say)."""
    version = fields.get("v")
    if version is not None:
        trimmed = _java_trim(version)
        if not _INTEGER.fullmatch(trimmed) or not -2 ** 31 <= int(trimmed) < 2 ** 31:
            return DeadLetterVerdict("invalid_field", "v", "must be an integer protocol version")
        if int(trimmed) > PROTOCOL_VERSION:
            return DeadLetterVerdict("unsupported_version", "v", f"version {int(trimmed)} is newer than "
                                                                 f"{PROTOCOL_VERSION}, the newest this consumer reads")
        if int(trimmed) < 1:
            return DeadLetterVerdict("invalid_field", "v", "must be >= 1")
    timestamp_field = "timestamp" if "timestamp" in fields else "created_at"
    for required in REQUIRED_FIELDS:
        if required not in fields:
            return DeadLetterVerdict("missing_field", required, "is required")
    if timestamp_field not in fields:
        return DeadLetterVerdict("missing_field", "timestamp", "is required")
    try:
        # The order of the Java builder: ids as they are set, then the parsed values, then the rest.
        check_message_id("message_id", fields["message_id"])
        check_agent_id("from_agent", fields["from_agent"])
        check_agent_id("to_agent", fields["to_agent"])
        timestamp = parse_timestamp(timestamp_field, fields[timestamp_field])
        priority = parse_priority(fields["priority"]) if "priority" in fields else DEFAULT_PRIORITY
        if "reply_to" in fields:
            check_agent_id("reply_to", fields["reply_to"])
        expires_at = parse_timestamp("expires_at", fields["expires_at"]) if "expires_at" in fields else None
        envelope = Envelope(
            message_id=fields["message_id"], from_agent=fields["from_agent"], to_agent=fields["to_agent"],
            message_type=fields["message_type"], payload=fields["payload"], timestamp=timestamp, priority=priority,
            reply_to=fields.get("reply_to"), correlation_id=fields.get("correlation_id"),
            conversation_id=fields.get("conversation_id"), expires_at=expires_at,
            extensions={name: value for name, value in fields.items()
                        if name not in ENVELOPE_FIELDS and name != timestamp_field})
    except InvalidEnvelopeError as e:
        return DeadLetterVerdict("invalid_field", e.field, str(e))
    now = int(time.time() * 1000) if now_ms is None else now_ms
    if check_expiry and envelope.is_expired_at(now):
        return DeadLetterVerdict("expired", "expires_at", f"expired at {format_timestamp(envelope.expires_at)}")
    return envelope


def _as_bytes(value: RawValue) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _java_trim(text: str) -> str:
    """Java's String.trim(): strips characters up to U+0020, and nothing else."""
    return text.strip("".join(chr(c) for c in range(0x21)))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
