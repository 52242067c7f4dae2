"""Roster commands: one function per state change, taking the unit of work and emitting its events."""
