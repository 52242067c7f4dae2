"""Intake service (受理): every channel's front door; one case per matter (一事一登记)."""
