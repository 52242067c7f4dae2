"""Reporting service (统计): the audit log auditors replay, and the figures the congress reviews."""
