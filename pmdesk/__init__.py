"""pmdesk: a desktop post-mortem analyser for heap dumps, thread dumps, JFR recordings and crash artefacts."""

__version__ = "0.1.0"
