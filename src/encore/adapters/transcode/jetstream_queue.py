"""The scale `TranscodeQueue`: a NATS JetStream work-queue stream and a durable pull consumer.

Jobs are messages on `<stream>.jobs` in a stream with work-queue retention: a message stays until
a worker acks it. Every worker pulls from one durable consumer with explicit acks, so each job
goes to one worker at a time; the consumer's `ack_wait` is the lease (a worker renews it with
in-progress acks while it encodes), its `max_ack_pending` the fleet-wide cap on jobs held, and its
`max_deliver` (one more than the attempts allowed) a backstop against a job that kills every
worker that takes it: the delivery past the last attempt is dead-lettered unrun.

The per-user cap is a semaphore in a key-value bucket (`<stream>_SLOTS`): a job runs only once its
worker created one of the user's `per_user` slot keys, which is atomic; the worker deletes its slot
when done and refreshes it with each heartbeat, and the bucket's age limit (the lease) frees the
slot of a killed worker. A job whose user has no free slot goes back to the end of the stream, with
the attempts it has had in a header, so other users' jobs behind it are given out meanwhile.
Dead letters are keys of `<stream>_DEAD`: the job, its attempts and its last error.

nats-py is asynchronous; like the event log, the adapter runs its own loop on a thread.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Collection, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from encore.adapters.loop_thread import LoopThread
from encore.catalog.transcoding import (
    WORKER_STOPPED,
    DeadLetter,
    QueueDepth,
    QueuePolicy,
    QueueUnavailable,
    TakenJob,
    TranscodeJob,
    backoff_s,
)

T = TypeVar("T")
ATTEMPTS_HEADER = "Encore-Attempts"  # attempts a job had before it was put back in the stream
_CONSUMER = "transcoders"
_PUT_BACK_BEFORE_PAUSE = 32  # jobs of users at their cap put back in a row, before a pause
_PUT_BACK_PAUSE_S = 0.1
_REQUEST_TIMEOUT_S = 3.0
_FIRST_CONNECT_ATTEMPTS = 2
_RECONNECT_WAIT_S = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Held:
    message: Any
    slot: str


class JetStreamTranscodeQueue:
    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        policy: QueuePolicy = QueuePolicy(),
        *,
        stream: str = "ENCORE_TRANSCODE",
        connect_timeout_s: float = 2.0,
    ) -> None:
        self._policy = policy
        self._stream = stream
        self._subject = f"{stream}.jobs"
        self._loop = LoopThread("transcode-queue")
        self._fetch_lock = threading.Lock()
        try:
            self._run(self._connect(url, connect_timeout_s))
            self._run(self._declare())
        except BaseException:
            if hasattr(self, "_nc"):
                self._run(self._nc.close())
            self._loop.stop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coroutine)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine`; a failure of NATS itself is a `QueueUnavailable`."""
        from nats.errors import Error as NatsError

        try:
            return self._run(coroutine)
        except (NatsError, TimeoutError, OSError) as error:
            raise QueueUnavailable(f"the transcode queue failed: {error!r}") from error

    async def _connect(self, url: str, connect_timeout_s: float) -> None:
        import nats

        async def said(error: Exception) -> None:
            log.warning("NATS (transcode queue): %r", error)

        try:
            self._nc = await nats.connect(
                url,
                connect_timeout=connect_timeout_s,
                max_reconnect_attempts=_FIRST_CONNECT_ATTEMPTS,
                reconnect_time_wait=_RECONNECT_WAIT_S,
                error_cb=said,
            )
        except Exception as error:  # nats-py raises OSError, its own errors, or timeouts
            raise QueueUnavailable(f"cannot reach NATS at {url}: {error!r}") from error
        # Once connected, a worker rides out any NATS outage: reconnecting never stops (nats-py
        # reads this option at each reconnect; at the first connect it would never give up).
        self._nc.options["max_reconnect_attempts"] = -1
        self._js = self._nc.jetstream(timeout=_REQUEST_TIMEOUT_S)

    async def _declare(self) -> None:
        """The stream, its consumer and buckets, made or brought to this queue's policy."""
        from nats.js.api import (
            AckPolicy,
            ConsumerConfig,
            RetentionPolicy,
            StorageType,
            StreamConfig,
        )
        from nats.js.errors import NotFoundError

        try:
            await self._js.stream_info(self._stream)
        except NotFoundError:
            await self._js.add_stream(
                StreamConfig(
                    name=self._stream,
                    subjects=[self._subject],
                    retention=RetentionPolicy.WORK_QUEUE,
                    storage=StorageType.FILE,
                )
            )
        await self._js.add_consumer(
            self._stream,
            ConsumerConfig(
                durable_name=_CONSUMER,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self._policy.lease_s,
                max_deliver=self._policy.max_attempts + 1,
                max_ack_pending=self._policy.total,
            ),
        )
        self._subscription = await self._js.pull_subscribe_bind(_CONSUMER, stream=self._stream)
        self._slots = await self._bucket(f"{self._stream}_SLOTS", ttl_s=self._policy.lease_s)
        self._dead = await self._bucket(f"{self._stream}_DEAD", ttl_s=None)

    async def _bucket(self, name: str, *, ttl_s: float | None) -> Any:
        from nats.js.api import KeyValueConfig, StorageType
        from nats.js.errors import BucketNotFoundError

        try:
            bucket = await self._js.key_value(name)
        except BucketNotFoundError:
            config = KeyValueConfig(bucket=name, ttl=ttl_s, storage=StorageType.FILE)
            return await self._js.create_key_value(config)
        # A bucket made under another lease: its age limit follows the settings.
        info = await self._js.stream_info(f"KV_{name}")
        if ttl_s is not None and info.config.max_age != ttl_s:
            window = min(ttl_s, info.config.duplicate_window or ttl_s)
            await self._js.update_stream(
                replace(info.config, max_age=ttl_s, duplicate_window=window)
            )
        return bucket

    def submit(self, jobs: Sequence[TranscodeJob]) -> None:
        self._call(self._submit(jobs))

    async def _submit(self, jobs: Sequence[TranscodeJob]) -> None:
        # Each publish returns once JetStream stored the job (its PubAck).
        for job in jobs:
            await self._js.publish(self._subject, orjson.dumps(job.to_json()))
            await self._dead.purge(job.job_id)

    def take(self, *, wait_s: float) -> TakenJob | None:
        deadline = time.monotonic() + wait_s
        put_back = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with self._fetch_lock:
                message = self._call(self._fetch(max(0.05, left)))
            if message is None:
                return None
            taken = self._call(self._hold(message))
            if taken is not None:
                return taken
            put_back += 1
            # Past a capped user's backlog quickly, but without spinning on a queue that holds
            # nothing else.
            if put_back % _PUT_BACK_BEFORE_PAUSE == 0:
                time.sleep(min(_PUT_BACK_PAUSE_S, max(0.0, deadline - time.monotonic())))

    async def _fetch(self, wait_s: float) -> Any:
        from nats.errors import TimeoutError as NatsTimeout

        try:
            messages = await self._subscription.fetch(1, timeout=wait_s)
        except NatsTimeout:
            return None
        return messages[0] if messages else None

    async def _hold(self, message: Any) -> TakenJob | None:
        """The job in `message` if this worker may run it now; else it is put back or dead."""
        job = TranscodeJob.from_json(orjson.loads(message.data))
        before = int((message.headers or {}).get(ATTEMPTS_HEADER, "0"))
        attempt = before + message.metadata.num_delivered
        if attempt > self._policy.max_attempts:
            error = f"{WORKER_STOPPED} on each of {attempt - 1} attempts"
            await self._bury(job, attempt - 1, error)
            await message.ack_sync()
            return None
        slot = await self._claim_slot(job.submitter_id)
        if slot is None:
            # Back to the end of the stream, then acked: a crash between the two leaves the job
            # twice in the queue, which its idempotence makes harmless.
            headers = {ATTEMPTS_HEADER: str(attempt - 1)}
            await self._js.publish(self._subject, message.data, headers=headers)
            await message.ack_sync()
            return None
        return TakenJob(job, attempt, _Held(message, slot))

    async def _claim_slot(self, user_id: str) -> str | None:
        from nats.js.errors import KeyWrongLastSequenceError

        user = hashlib.blake2b(user_id.encode(), digest_size=12).hexdigest()
        for n in range(self._policy.per_user):
            key = f"{user}.{n}"
            try:
                await self._slots.create(key, b"held")
            except KeyWrongLastSequenceError:
                continue
            return key
        return None

    async def _bury(self, job: TranscodeJob, attempts: int, error: str) -> None:
        letter = {
            "job": job.to_json(),
            "attempts": attempts,
            "error": error,
            "failed_at": datetime.now(UTC).isoformat(),
        }
        await self._dead.put(job.job_id, orjson.dumps(letter))

    def heartbeat(self, taken: TakenJob) -> None:
        held = _held(taken)
        self._call(self._heartbeat(held))

    async def _heartbeat(self, held: _Held) -> None:
        await held.message.in_progress()
        await self._slots.put(held.slot, b"held")

    def ack(self, taken: TakenJob) -> None:
        held = _held(taken)
        self._call(self._ack(held))

    async def _ack(self, held: _Held) -> None:
        await held.message.ack_sync()
        await self._slots.delete(held.slot)

    def fail(self, taken: TakenJob, error: str) -> None:
        self._call(self._fail(taken, _held(taken), error))

    async def _fail(self, taken: TakenJob, held: _Held, error: str) -> None:
        if taken.attempt >= self._policy.max_attempts:
            await self._bury(taken.job, taken.attempt, error)
            await held.message.ack_sync()
        else:
            await held.message.nak(
                delay=backoff_s(taken.attempt, base_s=self._policy.backoff_base_s)
            )
        await self._slots.delete(held.slot)

    def dead_letters(self, job_ids: Collection[str] | None = None) -> Sequence[DeadLetter]:
        return self._call(self._dead_letters(job_ids))

    async def _dead_letters(self, job_ids: Collection[str] | None) -> list[DeadLetter]:
        from nats.js.errors import KeyNotFoundError, NoKeysError

        if job_ids is None:
            try:
                job_ids = await self._dead.keys()
            except NoKeysError:
                return []
        letters = []
        for job_id in job_ids:
            try:
                entry = await self._dead.get(job_id)
            except KeyNotFoundError:
                continue
            if entry.value:
                data = orjson.loads(entry.value)
                letters.append(
                    DeadLetter(
                        TranscodeJob.from_json(data["job"]),
                        int(data["attempts"]),
                        str(data["error"]),
                        datetime.fromisoformat(data["failed_at"]),
                    )
                )
        return sorted(letters, key=lambda letter: letter.failed_at)

    def depth(self) -> QueueDepth:
        return self._call(self._depth())

    async def _depth(self) -> QueueDepth:
        stream = await self._js.stream_info(self._stream)
        consumer = await self._js.consumer_info(self._stream, _CONSUMER)
        held = int(consumer.num_ack_pending or 0)
        return QueueDepth(
            waiting=max(0, int(stream.state.messages or 0) - held),
            in_flight=held,
            dead=len(await self._dead_letters(None)),
        )

    def delete(self) -> None:
        """Remove the stream, its buckets and everything in them (tests)."""
        self._run(self._delete())

    async def _delete(self) -> None:
        await self._js.delete_stream(self._stream)
        await self._js.delete_key_value(f"{self._stream}_SLOTS")
        await self._js.delete_key_value(f"{self._stream}_DEAD")

    def close(self) -> None:
        if not self._loop.running:
            return
        try:
            self._run(self._nc.close())
        finally:
            self._loop.stop()


def _held(taken: TakenJob) -> _Held:
    assert isinstance(taken.handle, _Held), "a job taken from another queue"
    return taken.handle
