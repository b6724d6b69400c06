"""agentbus: a Python client of the agentbus wire protocol (docs/PROTOCOL.md), asyncio first.

Its version follows the Maven project's (0.1.0-SNAPSHOT), spelled the PEP 440 way."""

from .broadcast import Listener
from .bus import AgentBus, SendReceipt
from .consumer import Consumer, Delivery
from .envelope import DeadLetterVerdict, Envelope, InvalidEnvelopeError, decode_entry, parse_priority
from .errors import AgentBusError, InboxFullError, NonRetryableError, NoRespondersError, RequestTimeoutError
from .options import BusOptions
from .seed import MessageBus

__version__ = "0.1.0.dev0"

__all__ = ["AgentBus", "AgentBusError", "BusOptions", "Consumer", "DeadLetterVerdict", "Delivery", "Envelope",
           "InboxFullError", "InvalidEnvelopeError", "Listener", "MessageBus", "NoRespondersError",
           "NonRetryableError", "RequestTimeoutError", "SendReceipt", "decode_entry", "parse_priority"]
