#!/usr/bin/env python3
"""ptyrun.py: run a command on a pseudo-terminal of a given size, for the
tests of what `tasksuite status` does on a terminal (t0710).

    ptyrun.py ROWS COLS TIMEOUT CTRLC_AFTER -- CMD...

Writes everything the command printed to stdout (raw, escape codes and
all) and exits with its exit status (124 when it was still running after
TIMEOUT seconds: then it is killed). CTRLC_AFTER > 0: type Ctrl-C on the
terminal that many seconds after the command printed something."""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main(argv):
    rows, cols, timeout, ctrlc = int(argv[1]), int(argv[2]), float(argv[3]), float(argv[4])
    cmd = argv[6:] if argv[5] == '--' else argv[5:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    out = bytearray()
    start = time.monotonic()
    first = None
    sent = False
    status = None
    eof = False
    while True:
        now = time.monotonic()
        if now - start > timeout:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            sys.stdout.buffer.write(bytes(out))
            return 124
        if ctrlc > 0 and first is not None and not sent and now - first >= ctrlc:
            os.write(fd, b'\x03')
            sent = True
        r, _, _ = select.select([] if eof else [fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if data:
                out += data
                if first is None:
                    first = time.monotonic()
                continue
            eof = True
        if status is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p:
                status = st
        if status is not None and (eof or not r):
            break
    sys.stdout.buffer.write(bytes(out))
    return os.waitstatus_to_exitcode(status) if status is not None else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
