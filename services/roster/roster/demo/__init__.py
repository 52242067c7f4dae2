"""The demo county (韶山, seed 002): roster's own example data, built from a seed and loaded through its API.

`build_demo_county(seed)` gives the county as plain data; `load_demo(roster_url, api_key)` posts it to a running
roster (what `wangge run` does).
"""
from .county import build_demo_county
from .load import load_demo

__all__ = ["build_demo_county", "load_demo"]
