#!/usr/bin/env python3
"""slowlink.py LISTEN_PORT TARGET_PORT [--delay-ms D] [--window-kib W] — a TCP
proxy on loopback that makes a link to TARGET_PORT look like a long one:
every byte arrives D milliseconds after it was sent (each way), and each
connection has at most W KiB on the way in each direction, as a TCP window
would allow. One connection then moves at most W/D (512 KiB / 25 ms: about
20 MiB/s), and a request waits at least 2 D for its answer: what makes
parallel transfers pay over a WAN. bench/s3.sh puts it in front of the RGW
(the kernel's netem is not available on every machine).
"""
import argparse
import asyncio
import time


async def pump(reader, writer, delay, window):
    """copies reader to writer, each piece delay seconds late, at most
    window bytes sent and not yet delivered"""
    queue = asyncio.Queue()
    room = asyncio.Event()
    state = {"inflight": 0}

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
            state["inflight"] -= len(data)
            room.set()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            while state["inflight"] >= window:
                room.clear()
                await room.wait()
            data = await reader.read(min(65536, window))
            if not data:
                break
            state["inflight"] += len(data)
            await queue.put((time.monotonic() + delay, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("--delay-ms", type=float, default=25)
    ap.add_argument("--window-kib", type=int, default=512)
    a = ap.parse_args()
    delay, window = a.delay_ms / 1000, a.window_kib * 1024

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", a.target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pump(cr, sw, delay, window), pump(sr, cw, delay, window))
        for w in (cw, sw):
            try:
                w.close()
            except OSError:
                pass

    server = await asyncio.start_server(handle, "127.0.0.1", a.listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
