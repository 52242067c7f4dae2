"""Roster service (名册): grids, deputies and who serves where; the system of record for roster.v1."""
