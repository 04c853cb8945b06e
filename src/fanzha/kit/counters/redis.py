"""The shared velocity-counter backend: one Redis sorted set per counter key.

Layout: key ``{prefix}{counter key}``; score = event time; member = ``"{n}:{member}{observation id}"``
where ``n`` is the UTF-8 byte length of the distinct member, or ``"-:{observation id}"`` for plain
counts. The length prefix keeps the encoding unambiguous whatever characters ids and members hold,
and lets the distinct-count script recover the member. Because the member string is fixed per
observation, ``ZADD NX`` makes recording idempotent.

One :meth:`RedisCounterStore.apply` is one pipeline (one round trip): per observation an
``EVALSHA`` of the record script (``ZADD NX``, prune by retention relative to the key's newest
score, cap, ``EXPIRE``), per plain query a ``ZCOUNT key (at - window) (at`` with an inclusive lower
and exclusive upper bound, per distinct query an ``EVALSHA`` of the distinct-count script. Scripts
are identified by their SHA1, computed locally; they are loaded on the first ``NOSCRIPT`` reply and
the call is repeated, which is safe because recording is idempotent and queries only read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import redis
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from fanzha.kit.counters.protocol import CounterQuery, CounterUnavailable, Observation

__all__ = ["DEFAULT_EXPIRE_SLACK_S", "DEFAULT_PREFIX", "RedisCounterStore", "make_redis_client"]

DEFAULT_PREFIX = "fanzha:ctr:"
DEFAULT_EXPIRE_SLACK_S = 3600

# Lua numbers are doubles; "%.17g" is needed because redis.call() would format them with "%.14g"
# and shift the pruning bound.
_RECORD_SCRIPT = """
local key = KEYS[1]
redis.call('ZADD', key, 'NX', ARGV[1], ARGV[2])
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local threshold = tonumber(newest[2]) - tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.17g', threshold))
local cap = tonumber(ARGV[5])
if cap > 0 then
  local size = redis.call('ZCARD', key)
  if size > cap then
    redis.call('ZREMRANGEBYRANK', key, 0, size - cap - 1)
  end
end
redis.call('EXPIRE', key, ARGV[4])
return 0
"""

_DISTINCT_SCRIPT = """
local items = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2])
local seen = {}
local count = 0
for _, item in ipairs(items) do
  local colon = string.find(item, ':', 1, true)
  local size = tonumber(string.sub(item, 1, colon - 1))
  if size then
    local member = string.sub(item, colon + 1, colon + size)
    if not seen[member] then
      seen[member] = true
      count = count + 1
    end
  end
end
return count
"""


def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()


def _encode_member(observation: Observation) -> str:
    """The sorted-set member that stands for ``observation``."""
    if observation.member is None:
        return f"-:{observation.observation_id}"
    member = observation.member
    return f"{len(member.encode())}:{member}{observation.observation_id}"


def make_redis_client(url: str, *, timeout_s: float) -> redis.Redis:
    """A client suited to the decision path: short socket timeouts and no retries.

    Retries are switched off explicitly: redis-py's default (which differs between versions and
    constructors, up to ten retries with backoff) would turn one outage into seconds of latency;
    here the caller's fail-open/fail-closed policy decides instead.
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )


class RedisCounterStore:
    """Velocity counters in Redis sorted sets, shared by every process pointed at the same server.

    Args:
        client: The Redis client; the store owns it from now on and closes it in :meth:`close`. Its
            socket timeouts bound how long a call can hang (:func:`make_redis_client` sets them).
        prefix: Prepended to every counter key.
        timeout_s: Budget for one :meth:`apply`; a call that takes longer raises
            :class:`CounterUnavailable` even if Redis answered, since the caller's deadline has passed.
        max_per_key: Most observations kept per key, oldest dropped first; 0 for no cap.
        expire_slack_s: Added to the retention for the key's ``EXPIRE``. Expiry runs on wall-clock time
            while windows run on event time, so the slack covers event time lagging behind (queues,
            replays); the TTL only reclaims keys that went quiet.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float,
        max_per_key: int = 0,
        expire_slack_s: int = DEFAULT_EXPIRE_SLACK_S,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        if max_per_key < 0 or expire_slack_s < 0:
            raise ValueError("max_per_key and expire_slack_s must be >= 0")
        self._client = client
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._max_per_key = max_per_key
        self._expire_slack_s = expire_slack_s
        self._record_sha = _sha1(_RECORD_SCRIPT)
        self._distinct_sha = _sha1(_DISTINCT_SCRIPT)

    @property
    def prefix(self) -> str:
        return self._prefix

    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        """Record the observations, then answer the queries, in one pipeline (see :class:`CounterStore`).

        Raises:
            CounterUnavailable: Redis failed, timed out, or the call ran past ``timeout_s``.
        """
        started = time.monotonic()
        try:
            try:
                counts = self._round_trip(observations, queries)
            except NoScriptError:
                self._load_scripts()
                counts = self._round_trip(observations, queries)
        except (RedisError, OSError) as exc:
            raise CounterUnavailable(f"redis counters failed: {exc}", zh=f"Redis 计数器出错：{exc}") from exc
        elapsed = time.monotonic() - started
        if elapsed > self._timeout_s:
            raise CounterUnavailable(
                f"redis counters answered in {elapsed * 1000:.1f} ms, past the {self._timeout_s * 1000:.1f} ms budget",
                zh=f"Redis 计数器耗时 {elapsed * 1000:.1f} ms，超出 {self._timeout_s * 1000:.1f} ms 的时限",
            )
        return counts

    def _round_trip(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        if not observations and not queries:
            return []
        prefix = self._prefix
        pipe = self._client.pipeline(transaction=False)
        for observation in observations:
            pipe.evalsha(
                self._record_sha,
                1,
                prefix + observation.key,
                repr(observation.at),
                _encode_member(observation),
                observation.retention,
                max(1, observation.retention + self._expire_slack_s),
                self._max_per_key,
            )
        for query in queries:
            key = prefix + query.key
            # [at - window, at): inclusive lower bound, "(" makes the upper bound exclusive.
            low = repr(query.at - query.window)
            high = "(" + repr(query.at)
            if query.distinct:
                pipe.evalsha(self._distinct_sha, 1, key, low, high)
            else:
                pipe.zcount(key, low, high)
        replies = pipe.execute()
        return [int(reply) for reply in replies[len(observations) :]]

    def _load_scripts(self) -> None:
        for script, sha in ((_RECORD_SCRIPT, self._record_sha), (_DISTINCT_SCRIPT, self._distinct_sha)):
            loaded = self._client.script_load(script)
            if isinstance(loaded, bytes):
                loaded = loaded.decode()
            if loaded != sha:
                raise CounterUnavailable(
                    f"redis returned SHA {loaded!r} for a script expected as {sha}",
                    zh=f"Redis 为预期 SHA 为 {sha} 的脚本返回了 SHA {loaded!r}",
                )

    def close(self) -> None:
        """Close the client and its connections."""
        self._client.close()

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except (RedisError, OSError):
            return False
