"""Crash docks: summary, threads, symbolicated stack, registers, disassembly, modules, memory."""
