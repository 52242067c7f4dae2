"""`make run` (`wangge run`): the whole stack in the foreground with the demo county, its addresses printed, stopped
in order on Ctrl-C or SIGTERM."""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from wangge_common.settings import SERVICES

from .stack import Stack


def _living_county(stack: Stack) -> list[tuple[str, str]]:
    """Demo cases at every step of the loop (once), then the real addresses of the pages to look at."""
    from .demo_cases import DemoCases, page_addresses

    urls = {service: stack.url(service) for service in (*SERVICES, "portal")}
    cases = DemoCases(urls, stack.demo_key)
    seeded = None
    if cases.already_seeded():
        print("wangge: demo cases already there", flush=True)
    else:
        seeded = cases.seed()
        steps = sorted(set(seeded.cases.values()))
        print(f"wangge: {len(seeded.cases)} demo cases registered and taken through the loop in {seeded.seconds} s "
              f"({', '.join(steps)})", flush=True)
    return page_addresses(urls, stack.demo_key, seeded)


def run_foreground(load_demo: bool = True) -> int:
    """`make run`: start everything supervised, load the demo county, print the URLs, stop in order on
    Ctrl-C/SIGTERM."""
    stack = Stack.from_env(console=True)
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        print(f"wangge: starting the broker on {stack.bootstrap}, five services and the portal (logs in {stack.log_dir})",
              flush=True)
        stack.start()
        if load_demo:
            from roster.demo import load_demo as load

            summary = load(stack.url("roster"), stack.demo_key)
            print(f"wangge: demo county {'already loaded' if summary.get('skipped') else 'loaded'}: "
                  f"{json.dumps(summary, ensure_ascii=False)}", flush=True)
            pages = _living_county(stack)
        print("\nwangge is running:")
        print(f"  portal 门户 (people sign in here)  {stack.url('portal')}/")
        print(f"    online liaison station 网上联络站  {stack.url('portal')}/online")
        if load_demo:
            print("    demo accounts (role, username, password, name):")
            print(stack.demo_accounts(), end="")
        print(f"  broker (Kafka protocol)  {stack.bootstrap}")
        for service in SERVICES:
            base = stack.url(service)
            print(f"  {service:<10} {base:<24} docs {base}/docs   openapi {base}/openapi.json")
        print(f"  event contracts (AsyncAPI 3)  {stack.url('reporting')}/asyncapi.json")
        print("\n  pages (Chinese):")
        print(f"    dashboard 数据看板          {stack.url('reporting')}/dashboard")
        print(f"    work-order board 办理公示   {stack.url('routing')}/board")
        if not load_demo:
            print(f"    case tracking 办理进度      {stack.url('intake')}/track")
        for name, address in (pages if load_demo else ()):  # real addresses in the demo county
            print(f"    {name:<24}{address}")
        print(f"    SMS and e-mail sent 本地短信与邮件  {stack.messages_url}/   (local gateway {stack.messages_url}/sms, "
              f"SMTP 127.0.0.1:{stack.messages_smtp_port}; set WANGGE_NOTIFY_SMS_URL / _SMTP_HOST to send elsewhere)")
        print(f"\n  demo API key (every scope): {stack.demo_key}")
        print(f"  try: curl -H 'Authorization: Bearer {stack.demo_key}' {stack.url('roster')}/v1/grids?level=1")
        if stack.supervision_metrics_port:
            print(f"\n  supervision: a process that dies is restarted; metrics "
                  f"http://127.0.0.1:{stack.supervision_metrics_port}/metrics, status "
                  f"{Path(sys.executable).parent}/supervisorctl -c {stack.supervisor.config_path} status")
        processes = {name: url for name, url in stack.metrics_urls().items() if not name.endswith("-web")}
        if processes:
            print("  process metrics (Prometheus): "
                  + ", ".join(f"{name} :{url.rsplit(':', 1)[1].split('/')[0]}" for name, url in processes.items()))
        print("\nCtrl-C stops everything.", flush=True)
        while stopping["signal"] is None:
            if not stack.supervisor.alive:
                print(f"wangge: supervisord exited with {stack.supervisor.popen.returncode}; see {stack.log_dir}",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("wangge: stopping (HTTP, then relays, consumers, schedulers, the broker)", flush=True)
        stack.stop()
