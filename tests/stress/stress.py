#!/usr/bin/env python3
"""Stress tests of nst as a scheduler and a shell treat it: signals in every phase, a batch
killed and resumed again and again, and memory limits set the way clusters set them.

    stress.py NST MODEL CASE

CASE is one of:
  phases        SIGTERM (and SIGINT) in each phase that can wait or take long: a content FIFO
                with no writer, a model arriving slowly through a FIFO, a long style target
                computation, standard output into a pipe nobody reads, and a second signal
                during a long optimisation step. Each must end within NST_STRESS_SECONDS
                (default 1) with 130/143, a report saying "interrupted", no output and no
                temporary file.
  resume        a 12-job batch interrupted 20 times at random moments by SIGINT, SIGTERM and
                SIGKILL and resumed each time with --skip-existing; after each stop every
                visible image decodes whole, INT/TERM give 130/143 and a valid report; the last
                run exits 0 with every output, no .partial and no temporary file.
  address-space a run under `ulimit -v` too small for its size is refused up front with the
                memory message, not a crash.
  cgroup        the same inside a cgroup with a memory limit (v1 or v2) made for the test;
                exits 77 (skipped) where this machine does not let it make one.

Only the standard library: images are written and checked as PNG with zlib.
"""
import glob
import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

SKIPPED = 77
LIMIT_SECONDS = float(os.environ.get("NST_STRESS_SECONDS", "1.0"))
# How long after exec() the dynamic loader may still be mapping LibTorch's libraries, before
# any code of nst's runs: about 0.25 s on an idle 2-core Xeon, but over 0.6 s on a 2-core EPYC
# while CTest started other tests beside this one.
STARTUP_SECONDS = 1.5


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# --- PNG writing and checking --------------------------------------------------------------


def write_png(path, width, height, seed):
    """Random RGB noise: incompressible, so its PNG is large."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + bytes(rng.getrandbits(8) for _ in range(3 * width)) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(chunk(b"IDAT", zlib.compress(rows)))
        out.write(chunk(b"IEND", b""))


def png_is_whole(path):
    """Whether `path` is a complete 8-bit PNG: every chunk's CRC right, the pixel data all there,
    IEND last."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    at, idat, header, ended = 8, b"", None, False
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length] or b"\0\0\0\0")
        if len(body) != length or zlib.crc32(kind + body) != crc:
            return False
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            ended = at + 12 + length == len(data)
            break
        at += 12 + length
    if not header or not ended:
        return False
    width, height, depth, colour = header[:4]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    try:
        pixels = zlib.decompress(idat)
    except zlib.error:
        return False
    return channels is not None and len(pixels) == height * (1 + width * channels * depth // 8)


def temporary_files(folder):
    return glob.glob(os.path.join(folder, "**", ".*.nst-*.tmp"), recursive=True)


# --- running nst ---------------------------------------------------------------------------


class Run:
    """nst started in the background, its stderr collected line by line."""

    def __init__(self, args, stdout=subprocess.DEVNULL, preexec_fn=None):
        self.process = subprocess.Popen(
            args, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec_fn
        )
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.decode("utf-8", "replace"))

    def wait_for_line(self, text, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            check(self.process.poll() is None, f"nst ended before printing '{text}':\n{self.log()}")
            time.sleep(0.01)
        raise Failure(f"nst did not print '{text}' in {timeout} s:\n{self.log()}")

    def stop(self, signum):
        """Sends `signum` and returns the seconds until nst has exited."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failure(f"nst still ran 30 s after signal {signum}:\n{self.log()}")
        return time.monotonic() - sent

    def finish(self, timeout=600):
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return self.process.returncode

    def log(self):
        return "".join(self.lines[-20:])


def read_report(path):
    check(os.path.exists(path), f"no report at {path}")
    with open(path) as f:
        return json.load(f)


# --- phases ----------------------------------------------------------------------------------


def phases(nst, model, work):
    style = os.path.join(work, "style.png")
    noisy = os.path.join(work, "noisy.png")
    write_png(style, 64, 48, 1)
    write_png(noisy, 320, 240, 2)
    base = ["--model", model, "--verbose", "--iterations", "2"]
    ready = "VGG layers in"  # the last line before the jobs start

    def expect_stopped(name, run, seconds, signum, output, phase_words):
        code = 143 if signum == signal.SIGTERM else 130
        run.finish()
        check(run.process.returncode == code,
              f"{name}: exit {run.process.returncode}, expected {code}:\n{run.log()}")
        check(seconds <= LIMIT_SECONDS, f"{name}: took {seconds:.2f} s to end, limit {LIMIT_SECONDS} s")
        report = read_report(os.path.join(work, name + ".json"))
        check(report["status"] == "interrupted" and report["exit_code"] == code,
              f"{name}: report says {report['status']} / {report['exit_code']}")
        text = json.dumps(report)
        check(any(word in text for word in phase_words),
              f"{name}: the report does not say it was {phase_words}: {text[:600]}")
        if output:
            check(not os.path.exists(output), f"{name}: {output} was written")
        check(not temporary_files(work), f"{name}: temporary files left: {temporary_files(work)}")
        print(f"{name}: exit {code} {seconds:.2f} s after the signal")

    # A content FIFO nobody writes to.
    fifo = os.path.join(work, "content.fifo")
    os.mkfifo(fifo)
    out = os.path.join(work, "fifo.png")
    run = Run([nst, "-c", fifo, "-s", style, "-o", out, "--size", "32", "--report",
               os.path.join(work, "fifo.json")] + base)
    run.wait_for_line(ready)
    time.sleep(0.3)
    expect_stopped("fifo", run, run.stop(signal.SIGTERM), signal.SIGTERM, out, ["reading image"])

    # A model arriving slowly (a stalled network share), read while the signal comes.
    model_fifo = os.path.join(work, "model.fifo")
    os.mkfifo(model_fifo)

    def trickle():
        try:
            with open(model, "rb") as source, open(model_fifo, "wb") as sink:
                while chunk := source.read(1 << 16):
                    sink.write(chunk)
                    sink.flush()
                    time.sleep(0.05)
        except (BrokenPipeError, OSError):
            pass  # nst stopped reading: as it should

    writer = threading.Thread(target=trickle, daemon=True)
    writer.start()
    out = os.path.join(work, "model.png")
    run = Run([nst, "-c", noisy, "-s", style, "-o", out, "--size", "32", "--model", model_fifo,
               "--report", os.path.join(work, "model.json"), "--iterations", "2"])
    time.sleep(1.5)
    expect_stopped("model", run, run.stop(signal.SIGINT), signal.SIGINT, out, ["model"])

    # A style whose targets take seconds (a big --style-size).
    out = os.path.join(work, "targets.png")
    run = Run([nst, "-c", noisy, "-s", style, "-o", out, "--size", "32", "--style-size", "1600",
               "--report", os.path.join(work, "targets.json")] + base)
    run.wait_for_line(ready)
    time.sleep(0.5)
    expect_stopped("targets", run, run.stop(signal.SIGTERM), signal.SIGTERM, out,
                   ["targets of style", "preparing job"])

    # Standard output into a pipe that nobody reads: the image (>64 KiB) cannot all go in.
    read_end, write_end = os.pipe()
    run = Run([nst, "-c", noisy, "-s", style, "-o", "-", "--size", "256", "--init", "noise",
               "--print-every", "1", "--report", os.path.join(work, "stdout.json")] + base,
              stdout=write_end)
    os.close(write_end)
    run.wait_for_line("iteration 2/2")
    time.sleep(0.5)
    seconds = run.stop(signal.SIGTERM)
    os.close(read_end)
    expect_stopped("stdout", run, seconds, signal.SIGTERM, None,
                   ["writing the image to standard output", "writing job"])

    # A second signal during a long step ends at once, leaving nothing behind. The step is long
    # (1024 px: seconds) so that the first signal's .partial, written after the step, cannot be
    # there before the second signal; at 512 px an idle machine sometimes finished the step
    # within the 0.1 s between them.
    out = os.path.join(work, "twice.png")
    run = Run([nst, "-c", noisy, "-s", style, "-o", out, "--size", "1024", "--iterations", "50",
               "--print-every", "1", "--model", model])
    run.wait_for_line("iteration 1/")
    run.process.send_signal(signal.SIGINT)
    time.sleep(0.1)
    seconds = run.stop(signal.SIGINT)
    run.finish()
    check(run.process.returncode == 130, f"twice: exit {run.process.returncode}:\n{run.log()}")
    check(seconds <= LIMIT_SECONDS, f"twice: took {seconds:.2f} s after the second signal")
    check(not glob.glob(os.path.join(work, "twice*")), "twice: an output or .partial was written")
    check(not temporary_files(work), f"twice: temporary files left: {temporary_files(work)}")
    print(f"twice: exit 130 {seconds:.2f} s after the second signal")


# --- interrupt and resume ------------------------------------------------------------------


def resume(nst, model, work):
    contents, styles, out = (os.path.join(work, d) for d in ("contents", "styles", "out"))
    for folder in (contents, styles):
        os.makedirs(folder)
    for i, name in enumerate("abcd"):
        write_png(os.path.join(contents, name + ".png"), 56, 40, 10 + i)
    for i, name in enumerate("xyz"):
        write_png(os.path.join(styles, name + ".png"), 40, 40, 20 + i)
    expected = sorted(f"{c}_{s}.png" for c in "abcd" for s in "xyz")
    report = os.path.join(work, "report.json")
    args = [nst, "-c", contents, "-s", styles, "-o", out, "--model", model, "--size", "40",
            "--iterations", "20", "--skip-existing", "--report", report, "-q"]
    seed = int(os.environ.get("NST_STRESS_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"resume: random seed {seed} (set NST_STRESS_SEED to repeat)")
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    # Twelve rounds: each signal about four times at random points of the batch; more with
    # NST_STRESS_ROUNDS for a longer soak.
    rounds = int(os.environ.get("NST_STRESS_ROUNDS", "12"))
    for round_number in range(1, rounds + 1):
        signum = rng.choice(signals)
        delay = rng.uniform(0.05, 3.0)
        if os.path.exists(report):
            os.remove(report)
        run = Run(args)
        time.sleep(delay)
        finished_first = run.process.poll() is not None
        if not finished_first:
            run.process.send_signal(signum)
        code = run.finish()
        images = glob.glob(os.path.join(out, "*.png"))
        for image in images:
            check(png_is_whole(image), f"round {round_number}: {image} does not decode whole")
        if signum == signal.SIGKILL and not finished_first and code == -signal.SIGKILL:
            print(f"round {round_number}: SIGKILL after {delay:.2f} s; {len(images)} images")
            continue
        if code == -signum and delay < STARTUP_SECONDS:
            # Before its handlers exist (the dynamic loader mapping LibTorch's libraries) the
            # signal's default action ends the process: a shell sees 130/143 all the same, and
            # nothing had begun, so there is no report.
            check(not os.path.exists(report), f"round {round_number}: a report from a killed start")
            print(f"round {round_number}: {signal.Signals(signum).name} after {delay:.2f} s, "
                  "while loading the program: ended by the signal")
            continue
        done = sorted(os.path.basename(p) for p in images if ".partial" not in p)
        expected_code = {signal.SIGINT: 130, signal.SIGTERM: 143}.get(signum)
        all_done = done == expected
        check(code == expected_code or (code == 0 and all_done),
              f"round {round_number}: exit {code} after {signal.Signals(signum).name}:\n{run.log()}")
        document = read_report(report)
        check(document["exit_code"] == code, f"round {round_number}: report says {document['exit_code']}")
        check(not temporary_files(work), f"round {round_number}: temporary files {temporary_files(work)}")
        print(f"round {round_number}: {signal.Signals(signum).name} after {delay:.2f} s -> exit {code}; "
              f"{len(done)} done, {document['counts']}")
    final = Run(args)
    code = final.finish()
    check(code == 0, f"final run: exit {code}:\n{final.log()}")
    names = sorted(os.listdir(out))
    check(names == expected, f"final run: the output folder holds {names}, expected {expected}")
    for name in names:
        check(png_is_whole(os.path.join(out, name)), f"final run: {name} does not decode whole")
    check(not temporary_files(work), f"final run: temporary files {temporary_files(work)}")
    print(f"final run: exit 0, {len(names)} outputs, no .partial, no temporary file")


# --- memory limits ---------------------------------------------------------------------------


def expect_refused_for_memory(name, run, words):
    code = run.finish()
    check(code in (1, 2), f"{name}: exit {code} (a crash or a kill is negative), expected a refusal:\n"
          f"{run.log()}")
    text = "".join(run.lines)
    check("it needs about" in text and words in text, f"{name}: no memory message:\n{run.log()}")
    print(f"{name}: exit {code}: {[l.strip() for l in run.lines if 'needs about' in l][0]}")


def address_space(nst, model, work):
    content = os.path.join(work, "content.png")
    write_png(content, 64, 64, 3)
    limit = 3 << 30

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out = os.path.join(work, "out.png")
    # Never tiled, so the whole image's estimate meets the limit.
    run = Run([nst, "-c", content, "-s", content, "-o", out, "--model", model, "--size", "1024",
               "--iterations", "1", "--tile", "off"], preexec_fn=limited)
    expect_refused_for_memory("address-space", run, "ulimit -v")
    check(not os.path.exists(out), "address-space: an output was written")


def make_memory_cgroup(limit):
    """A child of this process's own memory cgroup with `limit` bytes, or None where this
    machine does not allow it: (its folder, the file a process joins it by)."""
    with open("/proc/self/cgroup") as f:
        entries = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in entries:
        if "memory" in controllers.split(","):  # v1
            folder = f"/sys/fs/cgroup/memory{path}/nst-stress-{os.getpid()}"
            limit_file = "memory.limit_in_bytes"
            break
    else:
        unified = next((p for _, c, p in entries if c == ""), None)
        mount = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
        if unified is None:
            return None
        folder = f"{mount}{unified}/nst-stress-{os.getpid()}"
        limit_file = "memory.max"
    try:
        os.mkdir(folder)
    except OSError as error:
        print(f"cannot make a cgroup at {folder}: {error}")
        return None
    try:
        with open(os.path.join(folder, limit_file), "w") as f:
            f.write(str(limit))
    except OSError as error:
        print(f"cannot set {limit_file} in {folder}: {error}")
        os.rmdir(folder)
        return None
    return folder


def cgroup(nst, model, work):
    folder = make_memory_cgroup(1500 << 20)
    if folder is None:
        print("SKIPPED: this machine does not let the test make a memory cgroup")
        return SKIPPED
    try:
        content = os.path.join(work, "content.png")
        write_png(content, 64, 64, 4)
        procs = os.path.join(folder, "cgroup.procs")

        def join():
            with open(procs, "w") as f:
                f.write(str(os.getpid()))

        out = os.path.join(work, "out.png")
        run = Run([nst, "-c", content, "-s", content, "-o", out, "--model", model, "--size",
                   "1024", "--iterations", "1", "--tile", "off"], preexec_fn=join)
        expect_refused_for_memory("cgroup", run, "is available")
        check(not os.path.exists(out), "cgroup: an output was written")
    finally:
        for _ in range(50):  # the cgroup empties once nst's exit is complete
            try:
                os.rmdir(folder)
                break
            except OSError:
                time.sleep(0.1)
    return 0


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    nst, model, case = sys.argv[1:]
    cases = {"phases": phases, "resume": resume, "address-space": address_space, "cgroup": cgroup}
    with tempfile.TemporaryDirectory() as work:
        try:
            return cases[case](nst, model, work) or 0
        except Failure as failure:
            print(f"FAIL: {failure}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
