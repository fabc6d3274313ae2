"""A Python program whose faulthandler writes only the current thread (all_threads=False): the block
"Stack (most recent call first):" — from faulthandler.dump_traceback(all_threads=False), and with "segv" from
a fatal signal after faulthandler.enable(all_threads=False)."""
import ctypes
import faulthandler
import sys
import threading
import time


def worker():
    time.sleep(60)


def crash_here():
    if sys.argv[1:] == ["segv"]:
        faulthandler.enable(all_threads=False)
        ctypes.string_at(0)
    faulthandler.dump_traceback(sys.stderr, all_threads=False)


def main():
    threading.Thread(target=worker, daemon=True).start()
    crash_here()


main()
