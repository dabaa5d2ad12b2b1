"""Live messages to the browsers that are open (the screen pop): publish a small JSON message to a
channel (`user:<id>`); each server-sent-events connection (views/live.py) subscribes to its user's channel.

With REDIS_URL set the messages go through Redis pub/sub, so that an event received by one app server
process reaches a browser connected to another; without it an in-process broker serves a single process
(runserver, the tests). Redis channels are named `sencrm:<db>:<channel>`: pub/sub ignores Redis database
numbers, and two installations sharing one Redis server (each on its own database) must not hear each other.

Publishing is synchronous (called after the commit of the write it announces) and never fails the write:
a message that cannot be sent is logged and dropped — the agent still finds the call in the call log.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


class Subscription(Protocol):
    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None when none came within `timeout` seconds."""

    async def close(self) -> None: ...


# --- in-process broker ---------------------------------------------------------------------------------


class _LocalSubscription:
    def __init__(self, broker: _LocalBroker, channel: str) -> None:
        self.broker = broker
        self.channel = channel
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    async def next(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        message: dict[str, Any] = json.loads(raw)
        return message

    async def close(self) -> None:
        self.broker.remove(self)


class _LocalBroker:
    """Subscribers live on an event loop (the ASGI server's); publishers run in any thread (a sync view,
    a worker): messages cross over with call_soon_threadsafe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[_LocalSubscription]] = {}

    def add(self, channel: str) -> _LocalSubscription:
        subscription = _LocalSubscription(self, channel)
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, subscription: _LocalSubscription) -> None:
        with self._lock:
            found = self._subscribers.get(subscription.channel, set())
            found.discard(subscription)
            if not found:
                self._subscribers.pop(subscription.channel, None)

    def publish(self, channel: str, raw: str) -> int:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.queue.put_nowait, raw)
            except RuntimeError:  # its loop is closed: the connection is gone
                self.remove(subscription)
        return len(targets)


LOCAL = _LocalBroker()


# --- Redis ---------------------------------------------------------------------------------------------


@functools.cache
def _redis_sync(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


@functools.cache
def _prefix(url: str) -> str:
    import redis

    db = redis.connection.parse_url(url).get("db", 0)  # type: ignore[no-untyped-call]
    return f"sencrm:{db}:"


class _RedisSubscription:
    def __init__(self, url: str, channel: str) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2)
        self.pubsub = self.client.pubsub()
        self.name = _prefix(url) + channel

    async def start(self) -> None:
        await self.pubsub.subscribe(self.name)
        # Wait for Redis to confirm: a message published from now on is delivered to this connection.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:
            reply = await self.pubsub.get_message(timeout=0.5)
            if reply is not None and reply.get("type") == "subscribe":
                return

    async def next(self, timeout: float) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            reply = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if reply is not None and reply.get("type") == "message":
                message: dict[str, Any] = json.loads(reply["data"])
                return message
        return None

    async def close(self) -> None:
        try:
            await self.pubsub.aclose()  # type: ignore[no-untyped-call]
            await self.client.aclose()
        except Exception:  # the connection may already be broken; nothing to release then
            log.debug("closing a Redis subscription failed", exc_info=True)


# --- the interface -------------------------------------------------------------------------------------


def publish(channel: str, message: dict[str, Any]) -> None:
    """Send `message` to whoever listens on `channel` now (in any process when REDIS_URL is set)."""
    raw = json.dumps(message, ensure_ascii=False, default=str)
    url = settings.REDIS_URL
    if not url:
        LOCAL.publish(channel, raw)
        return
    try:
        _redis_sync(url).publish(_prefix(url) + channel, raw)
    except Exception:  # Redis down: the call is in the log all the same
        log.warning("live message to %s not sent", channel, exc_info=True)


def publish_on_commit(channel: str, message: dict[str, Any]) -> None:
    """Publish once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: publish(channel, message))


async def subscribe(channel: str) -> Subscription:
    """Listen on `channel` from the running event loop; `close()` the subscription when done."""
    url = settings.REDIS_URL
    if not url:
        return LOCAL.add(channel)
    subscription = _RedisSubscription(url, channel)
    try:
        await subscription.start()
    except Exception:
        await subscription.close()
        raise
    return subscription
