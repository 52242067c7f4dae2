"""Roster reads for the API, the pages and the commands (a query never writes and never imports a command)."""
