"""Runs a Python script as __main__ and reports its peak RSS (MB) as the last stderr line, so the
reference pipeline is measured without modifying it."""
import resource, runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        raise
print("PEAK_RSS_MB %d" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024), file=sys.stderr)
