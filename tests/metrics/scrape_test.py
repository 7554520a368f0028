#!/usr/bin/python3
"""Scrapes GET /metrics of a real `stepd serve` during and after a workload
and parses it with Prometheus' own text parser (Debian's
python3-prometheus-client), so the exposition is what a Prometheus server
reads. Usage: scrape_test.py STEPD_BINARY. Exit 0 when every check passes."""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

STEPD = sys.argv[1]
FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def request(base, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else body.encode(),
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def aws(base, operation, payload):
    status, _, body = request(base, "POST", "/", json.dumps(payload), {
        "X-Amz-Target": "AWSStepFunctions." + operation,
        "Content-Type": "application/x-amz-json-1.0"})
    if status != 200:
        raise RuntimeError(f"{operation}: {status} {body}")
    return json.loads(body)


def scrape(base):
    status, headers, text = request(base, "GET", "/metrics")
    check(status == 200, f"GET /metrics answers 200 (got {status})")
    check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          "the exposition's content type is text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families, text


def value(families, family, sample_name, **labels):
    f = families.get(family)
    if f is None:
        return None
    for s in f.samples:
        if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def histogram_consistent(families, family):
    f = families[family]
    series = {}
    for s in f.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "count": None})
        if s.name.endswith("_bucket"):
            series[key]["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            series[key]["count"] = s.value
    for key, h in series.items():
        buckets = sorted(h["buckets"])
        counts = [c for _, c in buckets]
        if counts != sorted(counts) or not buckets or buckets[-1][0] != float("inf"):
            return False
        if counts[-1] != h["count"]:
            return False
    return bool(series)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        log = open(os.path.join(tmp, "stepd.log"), "w+")
        proc = subprocess.Popen(
            [STEPD, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(tmp, "stepd.db"),
             "--port-file", port_file, "--log-format", "json"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(600):
                if os.path.exists(port_file):
                    break
                time.sleep(0.1)
            base = "http://127.0.0.1:" + open(port_file).read().strip()
            for _ in range(600):
                try:
                    if request(base, "GET", "/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            run(base)
        finally:
            proc.terminate()
            code = proc.wait(timeout=30)
            check(code == 0, f"stepd exits 0 on SIGTERM (got {code})")
            log.seek(0)
            lines = []
            for l in log.read().splitlines():
                try:
                    lines.append(json.loads(l))
                except ValueError:
                    pass
            access = [l for l in lines if l.get("logger") == "http" and "request_id" in l]
            check(len(access) > 0, "access log lines carry request_id as a JSON field")
            if FAILURES:
                log.seek(0)
                print("--- stepd's output (last 60 lines)", file=sys.stderr)
                print("\n".join(log.read().splitlines()[-60:]), file=sys.stderr)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


def run(base):
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Hold"},
            "Hold": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Decide"},
            "Decide": {"Type": "Choice",
                       "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
                       "Default": "Done"},
            "Boom": {"Type": "Fail", "Error": "Export.Failed", "Cause": "the export broke"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = aws(base, "CreateStateMachine", {
        "name": "scrape-etl", "definition": json.dumps(definition),
        "roleArn": "arn:aws:iam::123456789012:role/stepd"})["stateMachineArn"]
    total, failing = 12, 4
    for i in range(total):
        aws(base, "StartExecution", {"stateMachineArn": machine, "name": f"run-{i}",
                                     "input": json.dumps({"wait": 6, "fail": i < failing})})

    # During the workload: the executions wait on timers (6 s: long enough
    # for the scrape to come first even on a loaded machine).
    families, _ = scrape(base)
    started = value(families, "stepd_executions_started", "stepd_executions_started_total",
                    state_machine="scrape-etl")
    check(started == total, f"during: {total} executions started (got {started})")
    timers = value(families, "stepd_timers_pending", "stepd_timers_pending")
    check(timers is not None and timers >= 1, f"during: Wait states hold timers (got {timers})")
    running_finished = value(families, "stepd_executions_finished",
                             "stepd_executions_finished_total", state_machine="scrape-etl",
                             status="SUCCEEDED")
    check(running_finished is None, "during: none has finished yet")

    deadline = time.time() + 60
    while time.time() < deadline:
        page = aws(base, "ListExecutions", {"stateMachineArn": machine, "statusFilter": "RUNNING"})
        if not page["executions"]:
            break
        time.sleep(0.2)

    status, _, _ = request(base, "POST", "/", json.dumps(
        {"executionArn": machine.replace(":stateMachine:", ":execution:") + ":nope"}), {
        "X-Amz-Target": "AWSStepFunctions.DescribeExecution",
        "Content-Type": "application/x-amz-json-1.0"})
    check(status == 400, f"DescribeExecution of a missing execution is a 400 (got {status})")
    families, text = scrape(base)
    get = lambda fam, sample, **labels: value(families, fam, sample, **labels)
    check(get("stepd_executions_finished", "stepd_executions_finished_total",
              state_machine="scrape-etl", status="SUCCEEDED") == total - failing,
          f"after: {total - failing} SUCCEEDED")
    check(get("stepd_executions_finished", "stepd_executions_finished_total",
              state_machine="scrape-etl", status="FAILED") == failing, f"after: {failing} FAILED")
    # Pass, Wait, Choice and Succeed or Fail: 4 states entered per execution.
    check(get("stepd_state_transitions", "stepd_state_transitions_total",
              state_machine="scrape-etl") == 4 * total, "after: 4 states entered per execution")
    check(get("stepd_timers_pending", "stepd_timers_pending") == 0, "after: no timer pending")
    check(get("stepd_ready_executions", "stepd_ready_executions") == 0, "after: ready queue empty")
    starts = get("stepd_http_requests", "stepd_http_requests_total", method="POST", route="/",
                 status="200")
    check(starts is not None and starts >= total + 1,
          f"after: the AWS API's POSTs are counted under route / (got {starts})")
    missing = get("stepd_aws_requests", "stepd_aws_requests_total",
                  operation="DescribeExecution", outcome="ExecutionDoesNotExist")
    check(missing == 1, f"after: a refused operation counts under its error type (got {missing})")
    started_ok = get("stepd_aws_requests", "stepd_aws_requests_total", operation="StartExecution",
                     outcome="ok")
    check(started_ok == total, f"after: {total} StartExecution operations counted (got {started_ok})")
    scrapes = get("stepd_http_requests", "stepd_http_requests_total", method="GET",
                  route="/metrics", status="200")
    check(scrapes is not None and scrapes >= 1, "after: the earlier scrape is counted")
    request(base, "GET", "/no/such/path/" + "x" * 50)
    families, text = scrape(base)
    unmatched = value(families, "stepd_http_requests", "stepd_http_requests_total",
                      method="GET", route="unmatched", status="404")
    check(unmatched == 1, f"a 404 of the router counts under route=unmatched (got {unmatched})")
    check("/no/such/path" not in text, "request paths never become label values")
    for family in ("stepd_http_request_duration_seconds", "stepd_commit_duration_seconds",
                   "stepd_commit_batch_executions"):
        check(family in families and families[family].type == "histogram",
              f"{family} is a histogram")
        check(histogram_consistent(families, family),
              f"{family}: buckets cumulative, +Inf equals _count")
    commits = value(families, "stepd_commit_duration_seconds", "stepd_commit_duration_seconds_count")
    check(commits is not None and commits >= 1, "commits are timed")
    check(value(families, "stepd_build_info", "stepd_build_info") == 1, "build info present")
    rss = value(families, "process_resident_memory_bytes", "process_resident_memory_bytes")
    check(rss is not None and rss > 1e6, "resident memory reported")
    # The scheduler's and the notifier's figures.
    status, _, body = request(base, "POST", "/v1/schedules", json.dumps(
        {"name": "hourly", "state_machine": "scrape-etl", "expression": "rate(1 hour)",
         "input": {"wait": 0, "fail": False}}), {"Content-Type": "application/json"})
    check(status == 201, f"a schedule is created (got {status} {body})")
    families, _ = scrape(base)
    check(value(families, "stepd_schedules_enabled", "stepd_schedules_enabled") == 1,
          "one schedule enabled")
    due = value(families, "stepd_schedule_next_due_timestamp_seconds",
                "stepd_schedule_next_due_timestamp_seconds")
    check(due is not None and due > time.time(), f"its next due time is ahead (got {due})")
    check(value(families, "stepd_notifications_pending", "stepd_notifications_pending") == 0,
          "no notification pending (no rule)")
    status, _, _ = request(base, "HEAD", "/metrics")
    check(status == 200, "HEAD /metrics answers 200")


if __name__ == "__main__":
    sys.exit(main())
