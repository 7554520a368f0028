#!/usr/bin/env python3
"""Writes bench/workflows-jsonata/: the five workflows of ../shared/bench/workflows
rewritten in JSONata (QueryLanguage JSONata, Output/Condition/Items instead of
Parameters/ResultPath/Choice operators), producing the same outputs, so
stepd_asl_bench can compare the two query languages on equal work.
Usage: bench/make-jsonata-workflows.py [OUT_DIR]"""
import json, os, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "workflows-jsonata")
os.makedirs(out, exist_ok=True)

def machine(comment, start, states):
    return {"Comment": comment, "QueryLanguage": "JSONata", "StartAt": start, "States": states}

def write(name, m):
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(m, f, indent=1)
        f.write("\n")

chain = {}
for k in range(1000):
    s = {"Type": "Pass",
         "Output": {"x": "{% $states.input.x %}", "name": "{% $states.input.name %}", "step": k}}
    if k < 999:
        s["Next"] = "P%04d" % (k + 1)
    else:
        s["End"] = True
    chain["P%04d" % k] = s
write("pass-chain-1000", machine("1000 Pass states, each with a small JSONata Output.", "P0000", chain))

write("loop-10k", machine("Choice-driven counter loop, 10,000 iterations, in JSONata.", "Init", {
    "Init": {"Type": "Pass", "Output": {"i": 0}, "Next": "Increment"},
    "Increment": {"Type": "Pass", "Output": {"i": "{% $states.input.i + 1 %}"}, "Next": "Check"},
    "Check": {"Type": "Choice",
              "Choices": [{"Condition": "{% $states.input.i < 10000 %}", "Next": "Increment"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"}}))

write("map-10k", machine("Inline Map over 10,000 items, two Pass states per item, in JSONata.", "MapItems", {
    "MapItems": {"Type": "Map", "Items": "{% $states.input.items %}",
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "TagItem", "States": {
                     "TagItem": {"Type": "Pass",
                                 "Output": "{% $merge([$states.input, {'a': {'ok': true}}]) %}",
                                 "Next": "CopyId"},
                     "CopyId": {"Type": "Pass",
                                "Output": "{% $merge([$states.input, {'b': {'id': $states.input.id}}]) %}",
                                "End": True}}},
                 "Output": {"count": "{% $count($states.result) %}", "first": "{% $states.result[0] %}"},
                 "End": True}}))

branches = []
for b in range(10):
    states = {}
    for s in range(100):
        st = {"Type": "Pass", "Output": {"x": "{% $states.input.x %}", "branch": b, "step": s}}
        if s < 99:
            st["Next"] = "B%dS%03d" % (b, s + 1)
        else:
            st["End"] = True
        states["B%dS%03d" % (b, s)] = st
    branches.append({"StartAt": "B%dS000" % b, "States": states})
write("parallel-10x100", machine("Parallel, 10 branches of 100 Pass states, in JSONata.", "Fan", {
    "Fan": {"Type": "Parallel", "Branches": branches, "End": True}}))

write("many-small", machine("5-state workflow (Pass, Choice, Pass, Pass, Succeed) in JSONata.", "Start", {
    "Start": {"Type": "Pass", "Output": {"n": "{% $states.input.n %}", "kind": "{% $states.input.kind %}"},
              "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n >= 0 %}", "Next": "Work"}],
              "Default": "Done"},
    "Work": {"Type": "Pass", "Output": "{% $merge([$states.input, {'work': {'status': 'worked'}}]) %}",
             "Next": "Finish"},
    "Finish": {"Type": "Pass",
               "Output": {"n": "{% $states.input.n %}", "status": "{% $states.input.work.status %}"},
               "Next": "Done"},
    "Done": {"Type": "Succeed"}}))
