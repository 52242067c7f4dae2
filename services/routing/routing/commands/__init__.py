"""Routing's state changes: one function per command, each taking the unit of work and emitting its events."""
