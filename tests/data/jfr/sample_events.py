"""Writes beside a recording what the JDK's own tool says of it, for the tests: NAME.print-sample.json.gz —
for every event type, the first, middle and last event as `jfr print --json --stack-depth 64` prints them —
and NAME.sample-stacks.json.gz — every jdk.ExecutionSample's thread and full stack (Class.method(descriptor), top
first), the same output cut down. Usage: python sample_events.py RECORDING.jfr [JFR_TOOL]"""

import gzip
import json
import subprocess
import sys
from pathlib import Path

recording = Path(sys.argv[1])
tool = sys.argv[2] if len(sys.argv) > 2 else "jfr"
out = subprocess.run([tool, "print", "--json", "--stack-depth", "64", str(recording)], capture_output=True,
                     check=True).stdout
by_type: dict[str, list] = {}
for event in json.loads(out)["recording"]["events"]:
    by_type.setdefault(event["type"], []).append(event)
sample = [e for events in by_type.values() for e in {id(x): x for x in (events[0], events[len(events) // 2],
                                                                         events[-1])}.values()]
target = recording.with_name(recording.stem + ".print-sample.json.gz")
with gzip.open(target, "wt") as f:
    json.dump({"tool": tool, "events": sample}, f)
print(f"{target}: {len(sample)} events of {len(by_type)} types")

stacks = [{"thread": e["values"]["sampledThread"]["javaName"],
           "frames": [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"]
                      + f["method"]["descriptor"]
                      for f in e["values"]["stackTrace"]["frames"]]}
          for e in by_type.get("jdk.ExecutionSample", []) if e["values"]["stackTrace"]]
target = recording.with_name(recording.stem + ".sample-stacks.json.gz")
with gzip.open(target, "wt") as f:
    json.dump({"tool": tool, "samples": stacks}, f)
print(f"{target}: {len(stacks)} samples")
