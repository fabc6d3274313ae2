"""Docks of the samples kind (profiles of any format): flame graph, functions, call tree, sandwich, timeline."""
