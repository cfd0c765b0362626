#!/usr/bin/env python3
"""Structural checks of the Terraform under infra/, run without terraform.

Parses every .tf file with python-hcl2 and checks what `terraform validate`
would catch about wiring (module arguments, references), plus the
platform's own rules: the ALB routes exactly DESIGN.md's path table to
target groups checking /health/ready, every queue in messaging.yaml has a
DLQ and a DLQ-depth alarm, every subscription is created from the file,
and no account id or ARN is written out literally.

Run with the venv `cargo xtask test` creates: .venv-hcl2/bin/python
infra/tests/check_structure.py. Prints one line per failure and a final
`<N> passed, <M> failed`; exits non-zero on any failure.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
import yaml

INFRA = Path(__file__).resolve().parent.parent

# DESIGN.md, "Services, ports and public paths" (copied; keep in step).
EXPECTED_SERVICES = {
    "registration": (8081, ["/customers", "/auth", "/.well-known/jwks.json", "/docs/registration"]),
    "campaign": (8082, ["/campaigns", "/promo-codes", "/emails", "/docs/campaign"]),
    "catalog": (8083, ["/products", "/categories", "/docs/catalog"]),
    "order": (8084, ["/cart", "/orders", "/reports", "/docs/order"]),
    "inventory": (8085, ["/inventory", "/reservations", "/flash-sales", "/docs/inventory"]),
}

# Arguments of a module block that are meta-arguments, not variables.
META_ARGS = {"source", "version", "for_each", "count", "depends_on", "providers"}

IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
VAR_REF = re.compile(rf"(?<![\w.])var\.({IDENT})")
LOCAL_REF = re.compile(rf"(?<![\w.])local\.({IDENT})")
MODULE_REF = re.compile(rf"(?<![\w.])module\.({IDENT})(?:\[[^\]]*\])?(?:\.({IDENT}))?")
FOR_OVER_MODULE = re.compile(rf"for\s+{IDENT}\s*,\s*({IDENT})\s+in\s+module\.({IDENT})\s*:")


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok


def unquote(value):
    """python-hcl2 keeps the quotes of string literals: "\"x\"" -> "x"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def strings(node):
    """Every string in a parsed tree (expressions are strings), comments excluded."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "__comments__":
                continue
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


@dataclass
class Module:
    """One directory of .tf files: a Terraform module (or root)."""

    path: Path
    files: dict[Path, dict] = field(default_factory=dict)
    variables: dict[str, bool] = field(default_factory=dict)  # name -> required
    outputs: set[str] = field(default_factory=set)
    locals: dict[str, object] = field(default_factory=dict)
    calls: dict[str, dict] = field(default_factory=dict)  # module name -> body
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(INFRA))

    def texts(self):
        for parsed in self.files.values():
            yield from strings(parsed)


def load_modules(checks: Checks) -> dict[Path, Module]:
    modules: dict[Path, Module] = {}
    for tf in sorted(INFRA.rglob("*.tf")):
        if any(part.startswith(".") for part in tf.relative_to(INFRA).parts):
            continue
        module = modules.setdefault(tf.parent, Module(tf.parent))
        try:
            with tf.open() as f:
                parsed = hcl2.load(f)
        except Exception as e:  # noqa: BLE001 - any parse error is a failed check
            checks.check(f"{tf.relative_to(INFRA)} parses", False, str(e).splitlines()[0])
            continue
        checks.check(f"{tf.relative_to(INFRA)} parses", True)
        module.files[tf] = parsed
        for block in parsed.get("variable", []):
            for name, body in block.items():
                if name.startswith("__"):
                    continue
                module.variables[unquote(name)] = "default" not in body
        for block in parsed.get("output", []):
            module.outputs.update(unquote(n) for n in block if not n.startswith("__"))
        for block in parsed.get("locals", []):
            module.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        for block in parsed.get("module", []):
            for name, body in block.items():
                if not name.startswith("__"):
                    module.calls[unquote(name)] = body
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                if rtype.startswith("__"):
                    continue
                for rname, body in named.items():
                    if not rname.startswith("__"):
                        module.resources[(unquote(rtype), unquote(rname))] = body
    return modules


def args_of(call: dict) -> set[str]:
    return {k for k in call if not k.startswith("__") and k not in META_ARGS}


def check_module_calls(checks: Checks, modules: dict[Path, Module]) -> None:
    for module in modules.values():
        for name, call in module.calls.items():
            source = unquote(call.get("source", ""))
            target = modules.get((module.path / source).resolve())
            where = f"{module.rel}: module {name}"
            if not checks.check(f"{where} source exists", target is not None, source):
                continue
            args = args_of(call)
            unknown = sorted(args - set(target.variables))
            checks.check(f"{where} passes only declared variables", not unknown, f"undeclared: {unknown}")
            required = {v for v, req in target.variables.items() if req}
            missing = sorted(required - args)
            checks.check(f"{where} passes every required variable", not missing, f"missing: {missing}")


def check_references(checks: Checks, modules: dict[Path, Module]) -> None:
    for module in modules.values():
        texts = list(module.texts())
        var_refs = {m for t in texts for m in VAR_REF.findall(t)}
        local_refs = {m for t in texts for m in LOCAL_REF.findall(t)}
        bad_vars = sorted(var_refs - set(module.variables))
        bad_locals = sorted(local_refs - set(module.locals))
        checks.check(f"{module.rel}: every var. reference is declared", not bad_vars, str(bad_vars))
        checks.check(f"{module.rel}: every local. reference is defined", not bad_locals, str(bad_locals))

        bad_modules = []
        for text in texts:
            refs = [(m, o) for m, o in MODULE_REF.findall(text)]
            # `for k, m in module.x : ... m.output ...`
            for alias, mod in FOR_OVER_MODULE.findall(text):
                refs += [(mod, o) for o in re.findall(rf"(?<![\w.]){re.escape(alias)}\.({IDENT})", text)]
            for mod, output in refs:
                call = module.calls.get(mod)
                if call is None:
                    bad_modules.append(f"module.{mod}")
                    continue
                if not output:
                    continue
                target = modules.get((module.path / unquote(call.get("source", ""))).resolve())
                if target is None or output not in target.outputs:
                    bad_modules.append(f"module.{mod}.{output}")
        checks.check(
            f"{module.rel}: every module.x.y reference names a call and its output",
            not bad_modules,
            str(sorted(set(bad_modules))),
        )


def check_literals(checks: Checks) -> None:
    account_id = re.compile(r"(?<!\d)\d{12}(?!\d)")
    arn = re.compile(r"arn:aws[a-z-]*:")
    for tf in sorted(INFRA.rglob("*.tf")):
        text = tf.read_text()
        rel = tf.relative_to(INFRA)
        checks.check(f"{rel}: no literal account id", not account_id.search(text), account_id.findall(text)[:3])
        checks.check(f"{rel}: no literal ARN", not arn.search(text), arn.findall(text)[:3])
        # Skips are inline and justified: `#checkov:skip=CKV_..:reason`.
        for line in text.splitlines():
            if "checkov:skip" in line:
                ok = re.search(r"#checkov:skip=CKV2?_[A-Z0-9]+_\d+:\s*\S.{10,}", line) is not None
                checks.check(f"{rel}: checkov skip has a reason", ok, line.strip())


def check_services_and_alb(checks: Checks, modules: dict[Path, Module]) -> None:
    storefront = modules[INFRA / "modules" / "storefront"]
    alb = modules[INFRA / "modules" / "alb"]

    services = storefront.locals.get("services", {})
    actual = {
        name: (spec.get("port"), [unquote(p) for p in spec.get("path_prefixes", [])])
        for name, spec in services.items()
    }
    checks.check("services and ports equal DESIGN.md", {k: v[0] for k, v in actual.items()} == {k: v[0] for k, v in EXPECTED_SERVICES.items()}, str(actual))
    for name, (_, prefixes) in EXPECTED_SERVICES.items():
        got = actual.get(name, (None, []))[1]
        checks.check(f"ALB prefixes of {name} equal DESIGN.md", got == prefixes, f"{got} != {prefixes}")

    call = storefront.calls.get("alb", {})
    checks.check("the alb module gets the services table", "local.services" in call.get("services", ""), call.get("services", ""))

    tg = alb.resources.get(("aws_lb_target_group", "service"), {})
    checks.check("one target group per service (for_each over var.services)", tg.get("for_each") == "${var.services}", tg.get("for_each"))
    health = (tg.get("health_check") or [{}])[0]
    checks.check("target groups check /health/ready", unquote(health.get("path")) == "/health/ready", health.get("path"))
    checks.check("target groups use the service's port", tg.get("port") == "${each.value.port}", tg.get("port"))

    rule = alb.resources.get(("aws_lb_listener_rule", "path"), {})
    checks.check("one listener rule per path prefix", rule.get("for_each") == "${local.path_rules}", rule.get("for_each"))
    path_rules = alb.locals.get("path_rules", "")
    checks.check("path rules come from each service's path_prefixes", "var.services[service].path_prefixes" in path_rules, path_rules)
    patterns = str(rule.get("condition", ""))
    checks.check("a rule matches the prefix and everything below it", "each.value.prefix" in patterns and "${each.value.prefix}/*" in patterns, patterns)
    action = str(rule.get("action", ""))
    checks.check("a rule forwards to its service's target group", "aws_lb_target_group.service[each.value.service].arn" in action, action)


def check_ecs(checks: Checks, modules: dict[Path, Module]) -> None:
    storefront = modules[INFRA / "modules" / "storefront"]
    ecs = modules[INFRA / "modules" / "ecs-service"]

    ecs_calls = [
        (m.rel, name, call)
        for m in modules.values()
        for name, call in m.calls.items()
        if (m.path / unquote(call.get("source", ""))).resolve() == ecs.path
    ]
    checks.check("ecs-service is called once, for each service", len(ecs_calls) == 1 and ecs_calls[0][2].get("for_each") == "${local.services}", str([(r, n) for r, n, _ in ecs_calls]))

    service = ecs.resources.get(("aws_ecs_service", "this"), {})
    breaker = (service.get("deployment_circuit_breaker") or [{}])[0]
    checks.check("deployment circuit breaker with rollback", breaker.get("enable") is True and breaker.get("rollback") is True, str(breaker))
    net = (service.get("network_configuration") or [{}])[0]
    checks.check("tasks get no public IP", net.get("assign_public_ip") is False, str(net))

    stop = next((b for b in ecs.files[ecs.path / "variables.tf"]["variable"] if '"stop_timeout_seconds"' in b), {})
    default = stop.get('"stop_timeout_seconds"', {}).get("default", 0)
    checks.check("stop timeout above the 25 s drain", isinstance(default, int) and default > 25, str(default))
    taskdef = str(ecs.resources.get(("aws_ecs_task_definition", "this"), {}).get("container_definitions", ""))
    checks.check("the container gets the stop timeout", "var.stop_timeout_seconds" in taskdef, "")
    metrics = {
        unquote(p["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][0]["predefined_metric_type"])
        for (rtype, _), p in ecs.resources.items()
        if rtype == "aws_appautoscaling_policy"
    }
    checks.check("autoscaling on CPU and requests per target", {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"} <= metrics, str(metrics))

    env = str(storefront.locals.get("service_environment", ""))
    consumer_off = re.search(r's == "campaign" \? merge\([^)]*CONSUMER_ENABLED = "false"', env)
    checks.check("the ECS campaign service runs with CONSUMER_ENABLED=false", consumer_off is not None, env)
    queue_arns = str(storefront.calls.get("service", {}).get("consume_queue_arns", ""))
    checks.check("the ECS services do not consume the Lambda's queue", "!contains(local.lambda_consumers, k)" in queue_arns, queue_arns)

    lam = modules[INFRA / "modules" / "lambda-emailer"]
    esm = lam.resources.get(("aws_lambda_event_source_mapping", "queue"), {})
    checks.check("the emailer reports partial batch failures", [unquote(x) for x in esm.get("function_response_types", [])] == ["ReportBatchItemFailures"], str(esm.get("function_response_types")))

    sched = storefront.calls.get("daily_report", {})
    command = [unquote(x) for x in sched.get("command", [])] if isinstance(sched.get("command"), list) else sched.get("command")
    checks.check("the daily report runs order-service publish-daily-report", command == ["order-service", "publish-daily-report"], str(command))


def derives_from(module: Module, expr: str, target: str, seen: set[str] | None = None) -> bool:
    """True when `expr` mentions `target`, directly or through locals."""
    seen = seen or set()
    if target in expr:
        return True
    for name in LOCAL_REF.findall(expr):
        if name not in seen and name in module.locals:
            seen.add(name)
            if derives_from(module, str(module.locals[name]), target, seen):
                return True
    return False


def check_messaging(checks: Checks, modules: dict[Path, Module]) -> None:
    messaging = modules[INFRA / "modules" / "messaging"]
    topology_expr = str(messaging.locals.get("topology", ""))
    match = re.search(r'yamldecode\(file\(\\?"\$\{path\.module\}/([^"\\]+)\\?"\)\)', topology_expr)
    path = (messaging.path / match.group(1)).resolve() if match else None
    checks.check("the messaging module reads infra/messaging.yaml with yamldecode", path == INFRA / "messaging.yaml", topology_expr)
    topology = yaml.safe_load((INFRA / "messaging.yaml").read_text())

    def for_each_from_file(rtype: str, rname: str) -> bool:
        res = messaging.resources.get((rtype, rname), {})
        return derives_from(messaging, str(res.get("for_each", "")), "local.topology")

    checks.check("topics iterate over the file", for_each_from_file("aws_sns_topic", "this"))
    topic_name = unquote(messaging.resources.get(("aws_sns_topic", "this"), {}).get("name", ""))
    checks.check("topics are named <prefix>-<service>-events", topic_name == "${var.name_prefix}-${each.key}-events", topic_name)

    queue = messaging.resources.get(("aws_sqs_queue", "this"), {})
    dlq = messaging.resources.get(("aws_sqs_queue", "dlq"), {})
    alarm = messaging.resources.get(("aws_cloudwatch_metric_alarm", "dlq_depth"), {})
    checks.check("queues iterate over the file", for_each_from_file("aws_sqs_queue", "this"))
    checks.check("DLQs iterate over the file's queues", dlq.get("for_each") == queue.get("for_each") and for_each_from_file("aws_sqs_queue", "dlq"))
    checks.check("DLQs are named <queue>-dlq", unquote(dlq.get("name", "")) == "${var.name_prefix}-${each.key}-events-dlq", dlq.get("name"))
    redrive = str(queue.get("redrive_policy", ""))
    checks.check("each queue redrives to its DLQ after max_receive_count", "aws_sqs_queue.dlq[each.key].arn" in redrive and "each.value.max_receive_count" in redrive, redrive)
    checks.check("visibility timeout comes from the file", queue.get("visibility_timeout_seconds") == "${each.value.visibility_timeout_seconds}")
    checks.check("DLQ-depth alarms iterate over the file's queues", alarm.get("for_each") == queue.get("for_each") and for_each_from_file("aws_cloudwatch_metric_alarm", "dlq_depth"))
    checks.check("each DLQ alarm watches its DLQ's depth", "aws_sqs_queue.dlq[each.key].name" in str(alarm.get("dimensions")) and unquote(alarm.get("metric_name", "")) == "ApproximateNumberOfMessagesVisible", str(alarm.get("dimensions")))
    checks.check("each queue has a policy letting its topics deliver", for_each_from_file("aws_sqs_queue_policy", "this"))

    sub = messaging.resources.get(("aws_sns_topic_subscription", "this"), {})
    subs_expr = str(messaging.locals.get("subscriptions", ""))
    checks.check("subscriptions iterate over every queue's subscriptions in the file", for_each_from_file("aws_sns_topic_subscription", "this") and "q.subscriptions" in subs_expr, subs_expr)
    checks.check("subscription keys are unique per queue and topic", "${q.service}-${s.topic}" in subs_expr, subs_expr)
    checks.check("subscriptions use raw message delivery", sub.get("raw_message_delivery") is True)
    checks.check("subscriptions deliver to SQS", unquote(sub.get("protocol", "")) == "sqs")
    policy = str(sub.get("filter_policy", ""))
    checks.check("subscriptions filter on event_type", "event_type" in policy and "each.value.event_types" in policy, policy)

    topics = {t["service"] for t in topology.get("topics", [])}
    for q in topology.get("queues", []):
        # Created by the for_each above; the file itself must be well formed.
        checks.check(f"queue {q['service']}: DLQ and DLQ alarm (max_receive_count {q.get('max_receive_count')})", isinstance(q.get("max_receive_count"), int) and q["max_receive_count"] > 0)
        pairs = [s["topic"] for s in q.get("subscriptions", [])]
        checks.check(f"queue {q['service']}: one subscription per topic", len(pairs) == len(set(pairs)), str(pairs))
        for s in q.get("subscriptions", []):
            checks.check(f"subscription {s['topic']} -> {q['service']} ({', '.join(s['event_types'])}) is created", s["topic"] in topics and bool(s["event_types"]))


def check_envs(checks: Checks, modules: dict[Path, Module]) -> None:
    for env in ("dev", "prod"):
        module = modules.get(INFRA / "envs" / env)
        if not checks.check(f"envs/{env} exists", module is not None):
            continue
        backend = {}
        for parsed in module.files.values():
            for block in parsed.get("terraform", []):
                for b in block.get("backend", []):
                    backend = b.get('"s3"', backend)
        locked = backend.get("use_lockfile") is True or "dynamodb_table" in backend
        checks.check(f"envs/{env}: S3 backend with locking", bool(backend) and locked, str(backend))
        checks.check(f"envs/{env}: outputs the ALB URL, Swagger URLs and topic ARNs", {"alb_url", "swagger_urls", "topic_arns"} <= module.outputs, str(module.outputs))
        storefront = [c for c in module.calls.values() if unquote(c.get("source", "")) == "../../modules/storefront"]
        checks.check(f"envs/{env}: composes the platform module", len(storefront) == 1)


def main() -> int:
    checks = Checks()
    modules = load_modules(checks)
    check_module_calls(checks, modules)
    check_references(checks, modules)
    check_literals(checks)
    check_services_and_alb(checks, modules)
    check_ecs(checks, modules)
    check_messaging(checks, modules)
    check_envs(checks, modules)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
