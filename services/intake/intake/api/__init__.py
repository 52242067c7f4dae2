"""Intake HTTP API, version 1: one module per use case (cases, links, households, attachments, personal data,
tracking, Open311, internal reads), each with its blueprint."""
