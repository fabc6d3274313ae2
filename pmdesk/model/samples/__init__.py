"""The stack-samples model: what every profile reader fills (readers/samples_rows.py) — samples with values
of one or more types over a trie of stacks — selected (event, thread, time, focus/ignore/show/hide) into a
Profile the flame graph, trees, tables and the diff read, whatever the source."""
