#!/usr/bin/env python3
"""SQL tests through the real sqlite3 CLI.

Each tests/sql/*.test file holds cases separated by lines starting with
"-- name:".  A file may start with a "-- setup" block, prepended to every
case of that file.  A case is SQL followed by "-- expect" and the exact
output lines (sqlite3 -batch default list mode), or "-- error" and text
that must appear in the CLI's error output (exact error messages are API; several
lines: the ends of as many error lines, in order),
or both, "-- expect" first: a case that runs on after an error (".bail off")
checks what the failed statement left behind.

    -- setup
    .load ./build/embed0
    -- name: dims of a JSON vector
    SELECT vec_dims('[1,2,3]');
    -- expect
    3
    -- name: odd blob
    SELECT vec_dims(x'010203');
    -- error
    vec_dims(): argument 1 is a BLOB of 3 bytes

Placeholders: {BUILD} is the build directory, {MODELS} the generated test
models (build/test-models), {FIXTURES} tests/fixtures, {TMP} a scratch
directory unique to the case.  A line "-- env NAME=value" in a case sets an
environment variable for its sqlite3 process.  Each case runs in a fresh sqlite3 process
over :memory: unless its SQL opens a file itself.  Prints PASS/FAIL per case,
in file order; --jobs N runs N cases at once.
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile


def errors_in_order(want, err):
    """With ".bail off" each failed statement prints its own "Runtime error near line N: ..."
    line: a several-line expected error matches when each of its lines ends one of those
    lines, in order."""
    lines = err.split("\n")
    i = 0
    for w in want.split("\n"):
        while i < len(lines) and not lines[i].rstrip().endswith(w.strip()):
            i += 1
        if i == len(lines):
            return False
        i += 1
    return True


def parse_file(path):
    setup, cases, cur, section = [], [], None, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("-- setup"):
                section = "setup"
                continue
            if line.startswith("-- name:"):
                cur = {"name": line[len("-- name:"):].strip(), "sql": [], "expect": None, "error": None}
                cases.append(cur)
                section = "sql"
                continue
            if line.startswith("-- env ") and cur is not None:
                key, _, value = line[len("-- env "):].partition("=")
                cur.setdefault("env", {})[key.strip()] = value
                continue
            if line.strip() == "-- expect":
                cur["expect"] = []
                section = "expect"
                continue
            if line.strip() == "-- error":
                cur["error"] = []
                section = "error"
                continue
            if section == "setup":
                setup.append(line)
            elif section is not None:
                cur[section].append(line)
    return setup, cases


def strip_blank_tail(lines):
    while lines and lines[-1].strip() == "":
        lines = lines[:-1]
    return lines


def run_case(args, models, path, setup, case):
    """Runs one case in its own sqlite3 process and scratch directory: (passed, line to print)."""
    tmp = tempfile.mkdtemp(prefix="sqltest-")
    subst = lambda s: (s.replace("{BUILD}", args.build).replace("{MODELS}", models)
                       .replace("{FIXTURES}", "tests/fixtures").replace("{TMP}", tmp))
    sql = subst("\n".join(setup + case["sql"])) + "\n"
    label = "%s: %s" % (os.path.basename(path), case["name"])
    try:
        env = dict(os.environ)
        env.pop("SQLITE_EMBED_MODEL", None)
        env.update({k: subst(v) for k, v in case.get("env", {}).items()})
        proc = subprocess.run([args.sqlite3, "-batch", "-bail", ":memory:"], input=sql.encode(),
                              capture_output=True, timeout=300, env=env)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        ok, why = True, ""
        if case["error"] is not None:
            want = subst("\n".join(strip_blank_tail(case["error"]))).strip()
            if proc.returncode < 0:
                ok, why = False, "killed by signal %d (stderr %r)" % (-proc.returncode, err.strip())
            elif want not in err and not errors_in_order(want, err):
                ok, why = False, "expected error containing %r, got stderr %r stdout %r" % (want, err.strip(), out.strip())
            elif proc.returncode == 0:
                ok, why = False, "error text seen but exit status 0"
            elif case["expect"] is not None:
                want_out = subst("\n".join(strip_blank_tail(case["expect"])))
                got = "\n".join(strip_blank_tail(out.split("\n")))
                if got != want_out:
                    ok, why = False, "expected output %r, got %r (stderr %r)" % (want_out, got, err.strip())
        else:
            want = subst("\n".join(strip_blank_tail(case["expect"] or [])))
            got = "\n".join(strip_blank_tail(out.split("\n")))
            if proc.returncode != 0 or got != want:
                ok, why = False, "expected %r, got %r (exit %d, stderr %r)" % (want, got, proc.returncode, err.strip())
            if proc.returncode < 0:
                why += " -- killed by signal %d" % -proc.returncode
    except subprocess.TimeoutExpired:
        ok, why = False, "timed out"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ok, ("PASS: " + label) if ok else ("FAIL: %s (%s)" % (label, why))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--sqlite3", default=os.environ.get("SQLITE3", "sqlite3"))
    ap.add_argument("--jobs", "-j", type=int, default=1,
                    help="cases run at once (each is its own process over its own files)")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.chdir(root)
    files = args.files or sorted(glob.glob("tests/sql/*.test"))
    models = os.environ.get("TEST_MODELS", os.path.join(args.build, "test-models"))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = []
        for path in files:
            setup, cases = parse_file(path)
            runs += [pool.submit(run_case, args, models, path, setup, case) for case in cases]
        # Printed in file order, whatever order the cases finish in.
        for run in runs:
            ok, line = run.result()
            failed += 0 if ok else 1
            print(line)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
