#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal of a given size, waits until its
output (ANSI stripped) matches each --expect pattern in turn, typing the
matching --then keys after each, and prints the stripped output. Each match
is announced on stderr as `pty_run: matched N` (1-based), so a test can act
between steps. Exit 0 when every pattern was seen and the command exited,
1 otherwise.

usage: pty_run.py --cols 80 --rows 24 --timeout 20 \
         --expect 'CLIENT' --then '' --expect '...' --then 'q' -- CMD ARGS...
"""
import argparse, fcntl, os, pty, re, select, signal, struct, sys, termios, time

ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07')

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cols', type=int, default=80)
    parser.add_argument('--rows', type=int, default=24)
    parser.add_argument('--timeout', type=float, default=20)
    parser.add_argument('--expect', action='append', default=[])
    parser.add_argument('--then', action='append', default=[])
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ['--'] else args.command

    pid, fd = pty.fork()
    if pid == 0:
        os.environ['TERM'] = 'xterm-256color'
        # The child stands for a person at a terminal. A CI runner's CI=true would make ink
        # (through is-in-ci) hold every frame back until exit, so the screen would stay blank.
        for ci_variable in ('CI', 'CONTINUOUS_INTEGRATION'):
            os.environ.pop(ci_variable, None)
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', args.rows, args.cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)

    deadline = time.monotonic() + args.timeout
    raw = b''
    seen_from = 0
    step = 0
    exited = False
    status = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b''
            if not chunk:
                exited = True
            raw += chunk
        text = ANSI.sub('', raw.decode('utf-8', 'replace'))
        if step < len(args.expect) and re.search(args.expect[step], text[seen_from:]):
            seen_from = len(text)
            keys = args.then[step] if step < len(args.then) else ''
            if keys:
                os.write(fd, keys.encode())
            step += 1
            sys.stderr.write('pty_run: matched %d\n' % step)
            sys.stderr.flush()
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exited = True
        if exited and step >= len(args.expect):
            break
    if not exited:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sys.stdout.write(ANSI.sub('', raw.decode('utf-8', 'replace')))
    ok = exited and step >= len(args.expect)
    if not ok:
        sys.stderr.write('pty_run: saw %d of %d expected patterns; exited=%s\n' % (step, len(args.expect), exited))
    sys.exit(0 if ok else 1)

main()
