"""Measures the installed workbench kernel through jupyter_client.

Usage: JUPYTER_PATH=DIR python3 bench.py KERNEL_NAME CELLS [CHART_CELL]
Prints one JSON object: start_to_idle_ms (process start to the kernel
answering kernel_info), the p50/p99 round trip in ms of CELLS executions of
a trivial cell (execute_request sent to execute_reply and status idle
received) and, given CHART_CELL, chart_ms: the least of three runs of that
cell from execute_request to the arrival of its image/png.
"""
import json
import sys
import time

from jupyter_client.manager import KernelManager


def main():
    name, cells = sys.argv[1], int(sys.argv[2])
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    # The kernel publishes idle once it serves; a client may subscribe
    # after that, so time the first kernel_info round trip's idle instead
    # when the startup idle was missed.
    kc.wait_for_ready(timeout=60)
    start_ms = (time.perf_counter() - t0) * 1000
    rtts = []
    for i in range(cells + 10):
        s = time.perf_counter()
        msg_id = kc.execute("1 + 1")
        while True:
            r = kc.get_shell_msg(timeout=30)
            if r["parent_header"].get("msg_id") == msg_id:
                break
        while True:
            m = kc.get_iopub_msg(timeout=30)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        if i >= 10:  # warm-up
            rtts.append((time.perf_counter() - s) * 1000)
    result = {}
    if len(sys.argv) > 3:
        result["chart_ms"] = min(chart_ms(kc, sys.argv[3]) for _ in range(3))
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    rtts.sort()
    result.update({
        "start_to_idle_ms": round(start_ms, 2),
        "p50_ms": round(rtts[len(rtts) // 2], 3),
        "p99_ms": round(rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], 3),
        "cells": len(rtts),
    })
    print(json.dumps(result))


def chart_ms(kc, code):
    s = time.perf_counter()
    msg_id = kc.execute(code)
    took = None
    while True:
        m = kc.get_iopub_msg(timeout=300)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "error":
            raise SystemExit("chart cell failed: %s" % m["content"]["evalue"])
        if m["msg_type"] in ("display_data", "execute_result") and "image/png" in m["content"]["data"] and took is None:
            took = (time.perf_counter() - s) * 1000
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    if took is None:
        raise SystemExit("chart cell showed no image/png")
    return round(took, 1)


if __name__ == "__main__":
    main()
