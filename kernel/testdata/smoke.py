"""Drives the workbench kernel through jupyter_client, as JupyterLab does.

Usage: JUPYTER_PATH=DIR python3 smoke.py KERNEL_NAME MESSAGE_KERNEL_NAME
Prints one "ok <check>" line per check passed; exits non-zero on the first
failure with what was seen.
"""
import json
import sys
import time
import queue

from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 60


def fail(what, seen=None):
    print("FAIL", what, json.dumps(seen, default=str)[:2000] if seen is not None else "")
    sys.exit(1)


def ok(what):
    print("ok", what, flush=True)


def run(kc, code, **kw):
    """Executes code; returns (reply content, iopub messages of the request)."""
    msg_id = kc.execute(code, **kw)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return reply["content"], iopub_until_idle(kc, msg_id)


def iopub_until_idle(kc, msg_id):
    msgs = []
    while True:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return msgs


def of(msgs, kind):
    return [m["content"] for m in msgs if m["msg_type"] == kind]


def stdout(msgs):
    return "".join(c["text"] for c in of(msgs, "stream") if c["name"] == "stdout")


def check_basics(km, kc):
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if info["language_info"]["name"] != "go" or info["protocol_version"] != "5.3":
        fail("kernel_info", info)
    ok("kernel_info")

    reply, msgs = run(kc, 'x := 40\nfor i := 0; i < 3; i++ {\n\tfmt.Println("line", i)\n}\nx + 2')
    states = [c["execution_state"] for c in of(msgs, "status")]
    if reply["status"] != "ok" or states[0] != "busy" or states[-1] != "idle":
        fail("execute status", [reply, states])
    if not of(msgs, "execute_input"):
        fail("execute_input", msgs)
    if stdout(msgs) != "line 0\nline 1\nline 2\n":
        fail("stream stdout", msgs)
    res = of(msgs, "execute_result")
    if len(res) != 1 or res[0]["data"]["text/plain"] != "42" or res[0]["execution_count"] != reply["execution_count"]:
        fail("execute_result", msgs)
    ok("execute: stream, execute_result")

    # Output streams while the cell runs: the first line arrives before the
    # cell ends.
    msg_id = kc.execute('fmt.Println("first")\ntime.Sleep(1500 * time.Millisecond)\nfmt.Println("second")')
    t0 = time.time()
    first_at = None
    while True:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream" and "first" in m["content"]["text"] and first_at is None:
            first_at = time.time() - t0
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            end_at = time.time() - t0
            break
    kc.get_shell_msg(timeout=TIMEOUT)
    if first_at is None or end_at - first_at < 1.0:
        fail("stream flushed as the cell runs", [first_at, end_at])
    ok("stream flushed during the cell")

    reply, msgs = run(kc, 'y := 1\n\nvar z int = "not an int"\n')
    err = of(msgs, "error")
    if reply["status"] != "error" or not err:
        fail("error reply", [reply, msgs])
    text = err[0]["evalue"] + "\n".join(err[0]["traceback"])
    if ":3:" not in text or "cell[" not in text:
        fail("error names the cell and line 3", err)
    ok("error with cell and line")

    kc.complete("fmt.Prin", 8)
    c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if "fmt.Println" not in c["matches"] and "Println" not in c["matches"]:
        fail("complete fmt.Prin", c)
    text = "fmt.Prin"
    if text[:c["cursor_start"]] + c["matches"][0] != "fmt.Print" and not (text[:c["cursor_start"]] + c["matches"][0]).startswith("fmt.Print"):
        fail("complete range", c)
    kc.complete("xy := 1; x", 10)
    c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if "x" not in c["matches"] and not any(m == "x" for m in c["matches"]):
        fail("complete a cell's definition", c)
    ok("complete")

    kc.inspect("frames.Load", 8)
    c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if not c["found"] or "Load" not in c["data"]["text/plain"]:
        fail("inspect frames.Load", c)
    ok("inspect")

    for code, want in [("x := 1", "complete"), ("func f() {", "incomplete"), ("for i := 0; i < 3; i++ {\n\tfmt.Println(i)", "incomplete")]:
        kc.is_complete(code)
        c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
        if c["status"] != want:
            fail("is_complete %r" % code, c)
    ok("is_complete")

    kc.history(hist_access_type="tail", n=2)
    c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if c["status"] != "ok" or len(c["history"]) != 2:
        fail("history", c)
    ok("history")

    kc.comm_info()
    c = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    if c["status"] != "ok" or c["comms"] != {}:
        fail("comm_info", c)
    ok("comm_info")


def check_interrupt(km, kc, how):
    run(kc, "kept := 7")
    msg_id = kc.execute("for {}")
    time.sleep(1.0)
    if how == "signal":
        km.interrupt_kernel()
    else:
        # interrupt_mode "message": jupyter_client sends interrupt_request
        # on the control channel.
        km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=20)
    if reply["parent_header"]["msg_id"] != msg_id or reply["content"]["status"] != "error":
        fail("interrupt (%s) ends for {}" % how, reply)
    iopub_until_idle(kc, msg_id)
    reply, msgs = run(kc, "kept * 6")
    res = of(msgs, "execute_result")
    if reply["status"] != "ok" or not res or res[0]["data"]["text/plain"] != "42":
        fail("state kept after interrupt (%s)" % how, [reply, msgs])
    ok("interrupt by %s, state kept" % how)


def check_stop_on_error(kc):
    # The failing cell sleeps first, so the next request is queued behind
    # it when it fails.
    bad = kc.execute('time.Sleep(500 * time.Millisecond)\npanic("boom")')
    queued = kc.execute('fmt.Println("must not run")')
    replies = {}
    while len(replies) < 2:
        r = kc.get_shell_msg(timeout=TIMEOUT)
        replies[r["parent_header"]["msg_id"]] = r["content"]
    if replies[bad]["status"] != "error" or replies[queued]["status"] != "aborted":
        fail("stop_on_error aborts the queued cell", replies)
    iopub_until_idle(kc, queued)
    reply, msgs = run(kc, 'fmt.Println("runs")')
    if reply["status"] != "ok" or stdout(msgs) != "runs\n":
        fail("a cell after the aborted one runs", [reply, msgs])
    ok("stop_on_error aborts a queued cell")


def check_faults(kc):
    """Cells that end the evaluator process fail with the fault; the
    session comes back with the definitions of the cells that succeeded."""
    run(kc, "survivor := 41\nfunc inc(n int) int { return n + 1 }")
    for code, want in [
        ("var deep func(int) int\ndeep = func(n int) int { return deep(n+1) + 1 }\ndeep(0)", "stack overflow"),
        ('time.AfterFunc(time.Millisecond, func() { panic("late") })\ntime.Sleep(2 * time.Second)', "panic: late"),
        ("b := make([]byte, 1<<40)\nb[0] = 1", "out of memory"),
    ]:
        reply, msgs = run(kc, code)
        err = of(msgs, "error")
        if reply["status"] != "error" or not err or want not in err[0]["evalue"]:
            fail("fault %r reported as the cell's error" % want, [reply, msgs])
        if not any("session restored" in line for line in err[0]["traceback"]):
            fail("fault %r: session restored" % want, err)
        reply, msgs = run(kc, "inc(survivor)")
        res = of(msgs, "execute_result")
        if reply["status"] != "ok" or not res or res[0]["data"]["text/plain"] != "42":
            fail("state restored after %r" % want, [reply, msgs])
        ok("fault %r: kernel survives, state restored" % want)


def check_late_fault(kc):
    """A timer a cell leaves behind ends the evaluator after the cell: the
    next cell says so and runs in the session restored without that cell."""
    run(kc, "keep := 5")
    reply, _ = run(kc, 'time.AfterFunc(200*time.Millisecond, func() { panic("later") })')
    if reply["status"] != "ok":
        fail("a cell leaving a timer", reply)
    time.sleep(1.5)
    reply, msgs = run(kc, "keep * 2")
    err = "".join(c["text"] for c in of(msgs, "stream") if c["name"] == "stderr")
    res = of(msgs, "execute_result")
    if reply["status"] != "ok" or not res or res[0]["data"]["text/plain"] != "10" or "panic: later" not in err or "not replayed" not in err:
        fail("a fault between cells", [reply, msgs])
    reply, msgs = run(kc, "keep")
    if reply["status"] != "ok" or any("ended" in c["text"] for c in of(msgs, "stream")):
        fail("the session after a fault between cells", [reply, msgs])
    ok("fault between cells: reported, session restored without the cell")


def check_stuck_interrupt(km, kc):
    """A cell that ignores the interrupt (compiled code sleeping) is ended
    with its evaluator; the session is restored."""
    run(kc, "stay := 3")
    msg_id = kc.execute("time.Sleep(time.Hour)")
    time.sleep(0.5)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    if reply["parent_header"]["msg_id"] != msg_id or reply["content"]["status"] != "error" or reply["content"]["ename"] != "Interrupted":
        fail("interrupt of a sleeping cell", reply)
    iopub_until_idle(kc, msg_id)
    reply, msgs = run(kc, "stay")
    res = of(msgs, "execute_result")
    if reply["status"] != "ok" or not res or res[0]["data"]["text/plain"] != "3":
        fail("state after a stuck interrupt", [reply, msgs])
    ok("interrupt of a cell ignoring it: evaluator replaced, state kept")


def check_stdin(kc):
    """With allow_stdin a cell's fmt.Scanln asks the front end
    (input_request on the stdin channel); without it the cell reads EOF."""
    msg_id = kc.execute('var name string\nfmt.Scanln(&name)\n"hello " + name', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    if req["msg_type"] != "input_request" or req["parent_header"]["msg_id"] != msg_id:
        fail("input_request", req)
    kc.input("gopher")
    msgs = iopub_until_idle(kc, msg_id)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    res = of(msgs, "execute_result")
    if reply["content"]["status"] != "ok" or not res or res[0]["data"]["text/plain"] != '"hello gopher"':
        fail("a cell reading stdin", [reply, msgs])
    reply, msgs = run(kc, 'var other string\n_, err := fmt.Scanln(&other)\nerr != nil', allow_stdin=False)
    res = of(msgs, "execute_result")
    if reply["status"] != "ok" or not res or res[0]["data"]["text/plain"] != "true":
        fail("stdin without allow_stdin", [reply, msgs])
    ok("allow_stdin: input_request answered; without it, EOF")


def check_bad_hmac(km, kc):
    """A message signed with a wrong key gets no answer; a good one does."""
    import zmq
    ci = km.get_connection_info()
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect("tcp://%s:%d" % (ci["ip"], ci["shell_port"]))
    good = Session(key=km.session.key, username="smoke")
    wrong = Session(key=b"not-the-key", username="smoke")
    bad = wrong.msg("kernel_info_request", {})
    wrong.send(sock, bad)
    if sock.poll(1500):
        fail("bad HMAC answered", good.recv(sock))
    ok_msg = good.msg("kernel_info_request", {})
    good.send(sock, ok_msg)
    if not sock.poll(10000):
        fail("a well-signed message after a bad one gets no answer")
    _, reply = good.recv(sock)
    if reply["msg_type"] != "kernel_info_reply" or reply["parent_header"]["msg_id"] != ok_msg["header"]["msg_id"]:
        fail("well-signed kernel_info", reply)
    sock.close()
    ok("bad HMAC dropped")


def check_restart(km, kc):
    run(kc, "before := 1")
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=TIMEOUT)
    reply, msgs = run(kc, "before")
    if reply["status"] != "error":
        fail("restart drops definitions", [reply, msgs])
    reply, msgs = run(kc, "1 + 1")
    if reply["status"] != "ok" or reply["execution_count"] != 2:
        fail("restart: a fresh session", reply)
    ok("restart")


def main():
    name, msg_name = sys.argv[1], sys.argv[2]
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=TIMEOUT)
    try:
        check_basics(km, kc)
        check_interrupt(km, kc, "signal")
        check_stop_on_error(kc)
        check_faults(kc)
        check_late_fault(kc)
        check_stuck_interrupt(km, kc)
        check_stdin(kc)
        check_bad_hmac(km, kc)
        check_restart(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    if km.is_alive():
        fail("shutdown")
    ok("shutdown")

    km, kc = start_new_kernel(kernel_name=msg_name, startup_timeout=TIMEOUT)
    try:
        check_interrupt(km, kc, "interrupt_request")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    ok("done")


if __name__ == "__main__":
    main()
