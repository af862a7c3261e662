"""The scale `EventLog`: NATS JetStream.

One stream (`ENCORE` unless told) holds every topic as the subject `<stream>.<topic>`. A message
carries a batch of events (what one `publish_durably` call gave, up to `MESSAGE_EVENTS`; one event
for `publish`): per-message costs in the client and the server are paid once per batch. An
event's offset is its message's stream sequence times `SLOTS` plus its place in the message, so
offsets increase in log order as the port wants. `publish_durably` returns once JetStream
acknowledged every message (stored by the server; how often the server fsyncs is its
`sync_interval`); a message whose events all have ids carries `Nats-Msg-Id` made from them, so a
batch published twice within the stream's duplicate window is stored once. `read` pulls from an
ordered, unacknowledged consumer that follows each caller's position, keeping what it fetched
beyond the caller's `limit` for its next read.

nats-py is asynchronous; the adapter runs its own event loop on a thread, so callers stay
synchronous like the rest of Encore.
"""

import asyncio
import hashlib
import logging
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from encore.adapters.loop_thread import LoopThread
from encore.errors import Unavailable
from encore.events import Event, Payload

T = TypeVar("T")
SLOTS = 4096  # offsets per message
MESSAGE_EVENTS = 1_000  # events per message at most (well under the server's 1 MB payload)
_PUBLISH_TIMEOUT_S = 2.0  # a durable publish normally takes milliseconds
_RETRY_AFTER_S = 5  # told to a caller refused meanwhile; the client retries every 0.5 s
_FETCH_WAIT_S = 2.0  # the most a read waits for messages the stream said it has
_FETCH_BATCH = 256  # messages per fetch
_CHAINS_PER_TOPIC = 8
log = logging.getLogger(__name__)


@dataclass
class _Chain:
    """A reader's place: its subscription, and events fetched but not yet returned."""

    subscription: Any
    pending: list[Event] = field(default_factory=list)


class JetStreamEventLog:
    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        *,
        stream: str = "ENCORE",
        connect_timeout_s: float = 2.0,
        idle_reader_s: float = 60.0,
    ) -> None:
        import nats

        self._stream = stream
        # The server deletes a reader's pull consumer after this long without a fetch.
        self._idle_reader_s = idle_reader_s
        self._loop = LoopThread("jetstream")
        # (topic, the offset a reader got to) -> its chain: each consumer reading a topic
        # follows its own, so consumers at different offsets never make each other start over.
        self._readers: dict[tuple[str, int], _Chain] = {}
        self._read_lock = threading.Lock()
        try:
            # Reconnect for as long as it takes: a client that gave up would need a restart of
            # Encore once the server is back (bench/faults stops NATS for 30 s). Meanwhile a
            # durable publish fails (no acknowledgement), so no event is taken and then lost.
            self._nc = self._run(
                nats.connect(
                    url,
                    connect_timeout=connect_timeout_s,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                )
            )
            self._js = self._nc.jetstream()
            self._run(self._ensure_stream())
        except BaseException:
            self._loop.stop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coroutine)

    async def _ensure_stream(self) -> None:
        from nats.js.api import StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        try:
            await self._js.stream_info(self._stream)
        except NotFoundError:
            await self._js.add_stream(
                StreamConfig(
                    name=self._stream,
                    subjects=[f"{self._stream}.>"],
                    storage=StorageType.FILE,
                    duplicate_window=120.0,
                )
            )

    def _subject(self, topic: str) -> str:
        return f"{self._stream}.{topic}"

    @staticmethod
    def _encode(payloads: Sequence[Payload]) -> tuple[bytes, dict[str, str] | None]:
        body = orjson.dumps({"t": datetime.now(UTC).isoformat(), "p": list(payloads)})
        ids = [payload.get("id") for payload in payloads]
        if any(event_id is None for event_id in ids):
            return body, None
        digest = hashlib.blake2b("\0".join(map(str, ids)).encode(), digest_size=16)
        return body, {"Nats-Msg-Id": digest.hexdigest()}

    def publish(self, topic: str, payload: Payload) -> None:
        # Sent for acknowledgement without waiting for it; `flush` waits for every one.
        body, _ = self._encode([payload])
        self._loop.submit(self._js.publish_async(self._subject(topic), body))

    def publish_durably(self, topic: str, payloads: Sequence[Payload]) -> None:
        from nats.errors import Error as NatsError

        if payloads:
            # While the server is away the client holds messages for when it is back, and their
            # acknowledgements never come: the caller gets an error after a bounded wait (and
            # acknowledges nothing) instead of a request that hangs.
            try:
                self._run(
                    asyncio.wait_for(
                        self._publish_all(self._subject(topic), payloads), _PUBLISH_TIMEOUT_S
                    )
                )
            except (TimeoutError, NatsError) as error:
                log.warning("JetStream took no events: %s", type(error).__name__)
                raise Unavailable(
                    "The event log is not answering; nothing was recorded, send them again",
                    retry_after_s=_RETRY_AFTER_S,
                ) from error

    async def _publish_all(self, subject: str, payloads: Sequence[Payload]) -> None:
        pending = []
        for start in range(0, len(payloads), MESSAGE_EVENTS):
            body, headers = self._encode(payloads[start : start + MESSAGE_EVENTS])
            pending.append(await self._js.publish_async(subject, body, headers=headers))
        await asyncio.gather(*pending)

    def read(self, topic: str, *, after: int = 0, limit: int = 1000) -> Sequence[Event]:
        with self._read_lock:
            return self._run(self._read(topic, after, limit))

    async def _read(self, topic: str, after: int, limit: int) -> list[Event]:
        end = await self._last_offset(topic)
        chain = self._readers.pop((topic, after), None)
        if end <= after and not (chain and chain.pending):
            if chain is not None:
                self._readers[(topic, after)] = chain
            return []
        if chain is None:
            chain = _Chain(await self._subscribe(topic, after // SLOTS))
        events = [event for event in chain.pending if event.offset > after]
        renewed = False
        while len(events) < limit and (not events or events[-1].offset < end):
            fetched = await self._fetch(chain.subscription)
            if not fetched and not events and not renewed:
                # The stream holds events past `after` and this reader got none: its pull
                # consumer idled past `idle_reader_s` and the server deleted it. A new one
                # from the same place; without this the consumer would wait forever.
                await _unsubscribe(chain.subscription)
                chain = _Chain(await self._subscribe(topic, after // SLOTS))
                renewed = True
                continue
            if not fetched:
                break
            for message in fetched:
                events.extend(e for e in self._decode(topic, message) if e.offset > after)
        chain.pending = events[limit:]
        events = events[:limit]
        self._readers[(topic, events[-1].offset if events else after)] = chain
        return events

    async def _subscribe(self, topic: str, from_sequence: int) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        await self._forget_oldest(topic)
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(1, from_sequence),
            ack_policy=AckPolicy.NONE,
            inactive_threshold=self._idle_reader_s,
        )
        return await self._js.pull_subscribe(
            self._subject(topic), stream=self._stream, config=config
        )

    @staticmethod
    async def _fetch(subscription: Any) -> list[Any]:
        from nats.errors import TimeoutError as NatsTimeout

        try:
            fetched: list[Any] = await subscription.fetch(_FETCH_BATCH, timeout=_FETCH_WAIT_S)
        except NatsTimeout:
            return []
        return fetched

    @staticmethod
    def _decode(topic: str, message: Any) -> list[Event]:
        body = orjson.loads(message.data)
        base = message.metadata.sequence.stream * SLOTS
        stamp = datetime.fromisoformat(body["t"])
        return [Event(base + n, topic, payload, stamp) for n, payload in enumerate(body["p"])]

    async def _forget_oldest(self, topic: str) -> None:
        """Keep a few chains per topic: one a consumer left (it failed and went back) ends."""
        chains = [key for key in self._readers if key[0] == topic]
        for key in chains[: max(0, len(chains) - _CHAINS_PER_TOPIC + 1)]:
            await _unsubscribe(self._readers.pop(key).subscription)

    def last_offset(self, topic: str) -> int:
        return self._run(self._last_offset(topic))

    async def _last_offset(self, topic: str) -> int:
        from nats.js.errors import NotFoundError

        try:
            message = await self._js.get_last_msg(self._stream, self._subject(topic))
        except NotFoundError:
            return 0
        count = len(orjson.loads(message.data or b"{}").get("p", [])) or 1
        return int(message.seq or 0) * SLOTS + count - 1

    def flush(self) -> None:
        self._run(self._flush())

    async def _flush(self) -> None:
        await self._nc.flush()
        await self._js.publish_async_completed()

    async def _close(self) -> None:
        await self._flush()
        for chain in self._readers.values():
            await chain.subscription.unsubscribe()
        await self._nc.close()

    def delete_stream(self) -> None:
        """Remove the stream and everything in it (tests and benchmarks)."""
        self._run(self._js.delete_stream(self._stream))

    def close(self) -> None:
        if not self._loop.running:
            return
        try:
            self._run(self._close())
        finally:
            self._loop.stop()


async def _unsubscribe(subscription: Any) -> None:
    # A pull consumer the server already deleted may refuse to be deleted again: it is gone.
    from nats.errors import Error as NatsError

    try:
        await subscription.unsubscribe()
    except NatsError:
        log.warning("a JetStream reader was gone before it was closed", exc_info=True)
