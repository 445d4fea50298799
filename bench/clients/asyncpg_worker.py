#!/usr/bin/env python3
"""asyncpg behind the benchmark's worker protocol (see bench/lib/protocol.ts).

One JSON request per line on stdin, one JSON response per line on stdout.
Runs on uvloop when python3-uvloop is installed, else on asyncio's own loop.
"""
import asyncio
import datetime
import json
import os
import random
import sys
import time
import traceback

import asyncpg

try:
    import uvloop
except ImportError:  # the bench reports the loop it used
    uvloop = None

PAGE = os.sysconf("SC_PAGE_SIZE")

# PGJET_BENCH_ASYNCPG_JSON=1 makes asyncpg return parsed JSON, as pgjet and the
# Node clients do, so the row-decoding workloads compare the same output.
PARSE_JSON = os.environ.get("PGJET_BENCH_ASYNCPG_JSON") == "1"


async def decode_json(con):
    for typ in ("json", "jsonb"):
        await con.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def make_records(count, seed):
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    out = []
    for i in range(count):
        id_ = seed + i
        out.append((id_, "name %d" % id_, id_ * 0.5, base + datetime.timedelta(seconds=id_)))
    return out


def percentile(sorted_xs, p):
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1, -(-p * len(sorted_xs) // 100) - 1))
    return sorted_xs[int(k)]


class NotImplementedYet(Exception):
    pass


class Client:
    def __init__(self, dsn):
        self.dsn = dsn
        self.pools = {}
        self.rt = None

    async def pool(self, n):
        if n not in self.pools:
            init = decode_json if PARSE_JSON else None
            self.pools[n] = await asyncpg.create_pool(self.dsn, min_size=n, max_size=n, init=init)
        return self.pools[n]

    def check(self, spec, n):
        exp = spec.get("expectRows")
        if exp is not None and n != exp:
            raise RuntimeError("%s: expected %d rows, got %d" % (spec["id"], exp, n))
        return n

    async def plan(self, spec, concurrency):
        pool = await self.pool(concurrency)
        kind = spec["kind"]
        sql = spec["sql"]
        if kind == "query":
            max_id = spec.get("maxId")
            if max_id is not None:
                async def op(_w):
                    return self.check(spec, len(await pool.fetch(sql, random.randint(1, max_id))))
            else:
                async def op(_w):
                    return self.check(spec, len(await pool.fetch(sql)))
            if PARSE_JSON:
                return op, "pool.fetch (statement cache; json/jsonb decoded with json.loads, like the Node clients)"
            return op, "pool.fetch (statement cache; json/jsonb come back as str, asyncpg's default, while the Node clients parse them)"
        if kind == "insert-batch":
            records = make_records(spec["expectRows"], 1)

            async def op(_w):
                await pool.executemany(sql, records)
                return len(records)
            return op, "pool.executemany (pipelined)"
        if kind == "copy":
            records = make_records(spec["expectRows"], 1)

            async def op(_w):
                await pool.copy_records_to_table(spec["table"], records=records, columns=spec["columns"])
                return len(records)
            return op, "pool.copy_records_to_table (binary COPY)"
        if kind == "cursor":
            prefetch = spec["prefetch"]

            async def op(_w):
                n = 0
                async with pool.acquire() as con:
                    async with con.transaction():
                        async for _row in con.cursor(sql, prefetch=prefetch):
                            n += 1
                return self.check(spec, n)
            return op, "con.cursor(prefetch=%d) in a transaction" % prefetch
        if kind == "pipeline":
            n = spec["batch"]
            max_id = spec["maxId"]

            async def op(_w):
                total = 0
                async with pool.acquire() as con:
                    for _ in range(n):
                        total += len(await con.fetch(sql, random.randint(1, max_id)))
                return self.check(spec, total)
            return op, "%d sequential fetches on one connection (asyncpg has no pipelining)" % n
        raise NotImplementedYet(kind)

    async def run(self, spec, concurrency, duration_ms):
        op, method = await self.plan(spec, concurrency)
        measure = bool(spec.get("measureRss"))
        lat = []
        state = {"ops": 0, "units": 0, "peak": 0}
        base = 0
        sampler = None
        if measure:
            import gc
            gc.collect()
            base = rss()
            state["peak"] = base

            async def sample():
                while True:
                    r = rss()
                    if r > state["peak"]:
                        state["peak"] = r
                    await asyncio.sleep(0.005)
            sampler = asyncio.ensure_future(sample())
        start = time.perf_counter()
        end = start + duration_ms / 1000.0

        async def loop(w):
            while True:
                t0 = time.perf_counter()
                n = await op(w)
                t1 = time.perf_counter()
                lat.append((t1 - t0) * 1000.0)
                state["ops"] += 1
                state["units"] += n
                if measure:
                    r = rss()
                    if r > state["peak"]:
                        state["peak"] = r
                if t1 >= end:
                    break

        try:
            await asyncio.gather(*(loop(w) for w in range(concurrency)))
        finally:
            if sampler:
                sampler.cancel()
        elapsed = (time.perf_counter() - start) * 1000.0
        lat.sort()
        result = {
            "ops": state["ops"],
            "units": state["units"],
            "elapsedMs": elapsed,
            "p50Ms": percentile(lat, 50),
            "p99Ms": percentile(lat, 99),
            "method": method,
        }
        if measure:
            result["rssGrowthMB"] = (state["peak"] - base) / (1024 * 1024)
        return result

    async def close(self):
        await self.rt_close()
        for p in self.pools.values():
            await p.close()

    # Round trips (bench/lib/round-trips.ts): one plain connection; connect()
    # returns once the server is ready for queries, so nothing needs a warm-up.
    async def rt_open(self, dsn, variant):
        if variant != "default":
            raise NotImplementedYet("variant " + variant)
        await self.rt_close()
        self.rt = await asyncpg.connect(dsn)
        return "asyncpg.connect(), con.fetch(text, *args) (statement cache)"

    async def rt_query(self, sql, args):
        return len(await self.rt.fetch(sql, *args))

    async def rt_close(self):
        con, self.rt = self.rt, None
        if con is not None:
            await con.close()


async def main():
    loop = asyncio.get_running_loop()
    client = None
    out = sys.stdout

    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if not line.strip():
            continue
        req = json.loads(line)
        rid = req["id"]
        try:
            if req["cmd"] == "hello":
                client = Client(req["dsn"])
                notes = ["event loop: " + ("uvloop " + uvloop.__version__ if uvloop else "asyncio (python3-uvloop not installed)")]
                send({"id": rid, "ok": True, "hello": {
                    "client": "asyncpg", "version": asyncpg.__version__,
                    "runtime": "python " + sys.version.split()[0], "notes": notes}})
            elif req["cmd"] == "rtOpen":
                method = await client.rt_open(req["dsn"], req["variant"])
                send({"id": rid, "ok": True, "rtOpened": {"method": method}})
            elif req["cmd"] == "rtQuery":
                send({"id": rid, "ok": True, "rtRows": await client.rt_query(req["sql"], req["args"])})
            elif req["cmd"] == "rtClose":
                await client.rt_close()
                send({"id": rid, "ok": True, "closed": True})
            elif req["cmd"] == "run":
                result = await client.run(req["spec"], req["concurrency"], req["durationMs"])
                send({"id": rid, "ok": True, "result": result})
            else:
                if client:
                    await client.close()
                send({"id": rid, "ok": True, "closed": True})
                break
        except NotImplementedYet as e:
            send({"id": rid, "ok": False, "notImplemented": str(e)})
        except Exception:
            send({"id": rid, "ok": False, "error": traceback.format_exc()})


if __name__ == "__main__":
    if uvloop is not None:
        uvloop.install()
    asyncio.run(main())
