"""The stack's supervision on the real services (the same supervisord and policy `make run` uses): a process
killed with SIGKILL is restarted while the others keep serving, the restart is counted in
`wangge_process_restarts_total`, and a killed broker comes back on its port with every topic created before any
client can use it. The broker test comes last: Tansu forgets everything when it restarts."""
from __future__ import annotations

import requests
from kafka import KafkaAdminClient
from stackhelpers import case_body, case_everywhere, eventually
from wangge_common.contracts import all_topic_specs
from wangge_devstack.stack import port_open


def restarts(stack, process: str) -> float:
    text = requests.get(f"http://127.0.0.1:{stack.supervision_metrics_port}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(f'wangge_process_restarts_total{{process="{process}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_killed_consumer_is_restarted_while_the_others_keep_serving(stack, api, grid):
    consumer, web = stack.processes["routing-consumer"], stack.processes["intake-web"]
    before, web_pid = restarts(stack, "routing-consumer"), web.pid
    victim = consumer.kill()
    # intake goes on accepting while routing's consumer is down
    answer = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid, content="路由消费者被杀时受理。"))
    assert answer.status_code == 201, answer.text
    eventually(lambda: consumer.running and consumer.pid != victim, 60, "routing's consumer runs again")
    eventually(lambda: restarts(stack, "routing-consumer") == before + 1, 30, "the restart is counted")
    assert web.pid == web_pid and not stack.given_up()
    eventually(lambda: case_everywhere(stack, api, answer.json()["id"]), 120,
               "the case accepted while the consumer was down reaches routing, notify and reporting", interval=0.5)
    log = (stack.log_dir / "supervision.log").read_text()
    assert "routing-consumer died (killed by a signal); restarting it in" in log


def test_a_killed_web_process_is_restarted_and_serves_again(stack, api, grid):
    web = stack.processes["roster-web"]
    victim = web.kill()  # the gunicorn master and its workers
    eventually(lambda: web.running and web.pid != victim, 60, "roster's web process runs again")
    eventually(lambda: api.get(stack.url("roster") + "/v1/grids/" + grid).status_code == 200, 60,
               "roster answers again")


def test_a_killed_broker_comes_back_on_its_port_with_its_topics(stack, api, grid):
    broker = stack.processes["broker"]
    victim = broker.kill()  # Tansu and its keeper: everything the broker held is gone
    eventually(lambda: broker.running and broker.pid != victim and port_open(stack.broker_port), 60,
               "the broker answers on its port again")
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap, client_id="it-topics")
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(all_topic_specs()))}
    finally:
        admin.close()
    # created with their partition counts before any client could connect: a producer's auto-create gives 4
    assert described == all_topic_specs()
    answer = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid, content="代理重启后受理。"))
    assert answer.status_code == 201, answer.text
    eventually(lambda: case_everywhere(stack, api, answer.json()["id"]), 180,
               "a case accepted after the broker restarted reaches routing, notify and reporting", interval=0.5)
    assert restarts(stack, "broker") >= 1 and not stack.given_up()
