"""The scale `EventLog`: NATS JetStream.

One stream (`ENCORE` unless told) holds every topic as the subject `<stream>.<topic>`; an event's
offset is its stream sequence. `publish_durably` returns once JetStream acknowledged every event
(stored by the server; how often the server fsyncs is its `sync_interval`); its events carry
`Nats-Msg-Id` when they have an `id`, so a batch published twice within the stream's duplicate
window is stored once. `read` pulls from an ordered, unacknowledged consumer per topic that
follows the caller's offset, recreated when the caller jumps elsewhere.

nats-py is asynchronous; the adapter runs its own event loop on a thread, so callers stay
synchronous like the rest of Encore.
"""

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from encore.events import Event, Payload

T = TypeVar("T")
_FETCH_WAIT_S = 2.0  # the most a read waits for events the stream said it has
_FETCH_BATCH = 1_000
_CHAINS_PER_TOPIC = 8


class JetStreamEventLog:
    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        *,
        stream: str = "ENCORE",
        connect_timeout_s: float = 2.0,
    ) -> None:
        import nats

        self._stream = stream
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="jetstream", daemon=True
        )
        self._thread.start()
        # (topic, next offset) -> the subscription that delivers from there: each consumer
        # reading a topic follows its own chain, so consumers at different offsets never
        # make each other start over.
        self._readers: dict[tuple[str, int], Any] = {}
        self._read_lock = threading.Lock()
        try:
            self._nc = self._run(
                nats.connect(url, connect_timeout=connect_timeout_s, max_reconnect_attempts=3)
            )
            self._js = self._nc.jetstream()
            self._run(self._ensure_stream())
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

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
    def _encode(payload: Payload) -> bytes:
        stamp = datetime.now(UTC).isoformat()
        return orjson.dumps({"p": payload, "t": stamp})

    def publish(self, topic: str, payload: Payload) -> None:
        data = self._encode(payload)
        asyncio.run_coroutine_threadsafe(self._nc.publish(self._subject(topic), data), self._loop)

    def publish_durably(self, topic: str, payloads: Sequence[Payload]) -> None:
        if payloads:
            self._run(self._publish_all(self._subject(topic), payloads))

    async def _publish_all(self, subject: str, payloads: Sequence[Payload]) -> None:
        pending = []
        for payload in payloads:
            event_id = payload.get("id")
            headers = {"Nats-Msg-Id": str(event_id)} if event_id is not None else None
            pending.append(
                await self._js.publish_async(subject, self._encode(payload), headers=headers)
            )
        await asyncio.gather(*pending)

    def read(self, topic: str, *, after: int = 0, limit: int = 1000) -> Sequence[Event]:
        with self._read_lock:
            return self._run(self._read(topic, after, limit))

    async def _read(self, topic: str, after: int, limit: int) -> list[Event]:
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        # The topic's end, known first, tells the reads when to stop: a fetch that waits for
        # messages that are not there would cost its whole timeout.
        end = await self._last_offset(topic)
        if end <= after:
            return []
        subscription = self._readers.pop((topic, after + 1), None)
        if subscription is None:
            await self._forget_oldest(topic)
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=after + 1,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=60.0,
            )
            subscription = await self._js.pull_subscribe(
                self._subject(topic), stream=self._stream, config=config
            )
        messages: list[Any] = []
        while len(messages) < limit:
            asked = min(limit - len(messages), _FETCH_BATCH)
            try:
                fetched = await subscription.fetch(asked, timeout=_FETCH_WAIT_S)
            except NatsTimeout:
                break
            if not fetched:
                break
            messages.extend(fetched)
            if messages[-1].metadata.sequence.stream >= end:
                break
        events = []
        for message in messages:
            body = orjson.loads(message.data)
            sequence = message.metadata.sequence.stream
            if sequence <= after:
                continue
            events.append(Event(sequence, topic, body["p"], datetime.fromisoformat(body["t"])))
        following = events[-1].offset + 1 if events else after + 1
        self._readers[(topic, following)] = subscription
        return events

    async def _forget_oldest(self, topic: str) -> None:
        """Keep a few chains per topic: one a consumer left (it failed and went back) ends."""
        chains = [key for key in self._readers if key[0] == topic]
        for key in chains[: max(0, len(chains) - _CHAINS_PER_TOPIC + 1)]:
            await self._readers.pop(key).unsubscribe()

    def last_offset(self, topic: str) -> int:
        return self._run(self._last_offset(topic))

    async def _last_offset(self, topic: str) -> int:
        from nats.js.errors import NotFoundError

        try:
            message = await self._js.get_last_msg(self._stream, self._subject(topic))
        except NotFoundError:
            return 0
        return int(message.seq or 0)

    def flush(self) -> None:
        self._run(self._flush())

    async def _flush(self) -> None:
        await self._nc.flush()
        await self._js.publish_async_completed()

    async def _close(self) -> None:
        await self._flush()
        for subscription in self._readers.values():
            await subscription.unsubscribe()
        await self._nc.close()

    def delete_stream(self) -> None:
        """Remove the stream and everything in it (tests and benchmarks)."""
        self._run(self._js.delete_stream(self._stream))

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._run(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
