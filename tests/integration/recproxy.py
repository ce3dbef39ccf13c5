#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A recording TCP proxy on loopback (branch inference): what the operator of
the machines can capture between processes. It listens on 127.0.0.1 (a free
port, written to PORT_FILE once listening), forwards every connection to
TARGET (HOST:PORT) unchanged, and appends every byte it carries, both
directions, to RECORD. The whole-story test (test_inference_story.sh) puts
one in front of ccgpu-verifierd and one in front of the inference server,
and runs one as the operator's Oblivious HTTP relay; then it looks for the
parties' canaries in the recordings. It stops on SIGTERM or after LIMIT s.

usage: recproxy.py PORT_FILE TARGET RECORD [LIMIT]
"""
import asyncio
import os
import signal
import sys


async def pump(reader, writer, record):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            record.write(data)
            record.flush()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # the peer already went
            pass


async def main():
    port_file, target, record_path = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 600.0
    host, port = target.rsplit(":", 1)
    record = open(record_path, "ab")

    async def handle(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection(host, int(port))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pump(client_r, server_w, record), pump(server_r, client_w, record))

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.rename(tmp, port_file)
    stop = asyncio.get_running_loop().create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    try:
        await asyncio.wait_for(stop, limit)
    except asyncio.TimeoutError:
        pass
    srv.close()
    record.close()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.split("\n\n")[-1].strip())
    asyncio.run(main())
