#!/usr/bin/env python3
"""Structural checks of the Terraform under infra/, run without terraform.

Parses every .tf file with python-hcl2 and checks what `terraform validate`
would catch about wiring (module arguments, references), plus the
platform's own rules:

- infra/services.yaml is the one list of services: modules/storefront reads
  it with yamldecode; ECR repositories, ECS services, containers, task
  definition families and the ALB's path rules come from it; each task
  definition gets exactly the settings the manifest lists for its service,
  and every one of them has a value in the storefront's value table;
- calls between services use Service Connect names, never the public ALB;
- every Postgres URL verifies the server (sslmode=verify-full with a root
  certificate) and nothing weaker appears anywhere in infra/; Redis URLs
  are rediss:// with transit encryption on;
- every queue in messaging.yaml has a DLQ and a DLQ-depth alarm, every
  subscription is created from the file;
- .github/workflows/infra.yml pins a Terraform that satisfies every
  required_version, and feeds every variable without a default;
- no account id or ARN is written out literally.

Where a terraform binary is on PATH, the storefront's settings expressions
are also evaluated by Terraform itself (offline, module outputs stubbed):
each service's environment is exactly its manifest lists, a manifest change
changes it, and a listed name without a value fails the plan.

Run with the venv `cargo xtask test` creates: .venv-hcl2/bin/python
infra/tests/check_structure.py. Prints one line per failure and a final
`<N> passed, <M> failed`; exits non-zero on any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
import yaml

INFRA = Path(__file__).resolve().parent.parent
REPO = INFRA.parent
INFRA_WORKFLOW = REPO / ".github" / "workflows" / "infra.yml"

# The one list of services (its header comment defines the fields).
MANIFEST = yaml.safe_load((INFRA / "services.yaml").read_text())
SERVICES = {s["name"]: s for s in MANIFEST["services"]}
COMMON = MANIFEST["common"]


# The common settings only a service with a database is given.
DATABASE_SETTINGS = ["DATABASE_URL", "DATABASE_MAX_CONNECTIONS", "DATABASE_ACQUIRE_TIMEOUT_SECS"]


def without_unused(service: dict, names: list[str]) -> list[str]:
    return [n for n in names if service.get("database") or n not in DATABASE_SETTINGS]


def environment_names(service: dict) -> list[str]:
    """The plain settings a service gets in AWS: `environment` and `aws`, common and its own."""
    names = COMMON.get("environment", []) + COMMON.get("aws", []) + service.get("environment", []) + service.get("aws", [])
    return without_unused(service, list(dict.fromkeys(names)))


def secret_names(service: dict) -> list[str]:
    """The settings Terraform generates into the service's runtime secret."""
    return without_unused(service, list(dict.fromkeys(COMMON.get("secrets", []) + service.get("secrets", []))))

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


def top_level_split(text: str, sep: str = ",") -> list[str]:
    """Splits at `sep` outside brackets and string literals."""
    parts, depth, quoted, i, current = [], 0, False, 0, ""
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                current += text[i : i + 2]
                i += 2
                continue
            if c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(current.strip())
            current = ""
            i += 1
            continue
        current += c
        i += 1
    if current.strip():
        parts.append(current.strip())
    return parts


def object_entries(expr: str) -> dict[str, str]:
    """`KEY = value` pairs of the object literal a `for ... => {...}` expression builds."""
    arrow = expr.find("=>")
    start = expr.find("{", arrow if arrow >= 0 else 0)
    if start < 0:
        return {}
    depth, quoted, i = 0, False, start
    while i < len(expr):
        c = expr[i]
        if quoted:
            if c == "\\":
                i += 2
                continue
            quoted = c != '"'
        elif c == '"':
            quoted = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        i += 1
    entries = {}
    for part in top_level_split(expr[start + 1 : i]):
        key, _, value = part.partition("=")
        entries[key.strip()] = value.strip()
    return entries


def check_manifest(checks: Checks) -> None:
    names = [s.get("name") for s in MANIFEST["services"]]
    checks.check("services.yaml: service names are unique", len(names) == len(set(names)), str(names))
    defaults = [s.get("name") for s in MANIFEST["services"] if s.get("default_route")]
    checks.check("services.yaml: one service is the default route (the web shop)", len(defaults) == 1, str(defaults))
    ports = [s.get("port") for s in MANIFEST["services"]]
    checks.check("services.yaml: service ports are unique", len(ports) == len(set(ports)), str(ports))
    prefixes = [p for s in MANIFEST["services"] for p in s.get("paths", [])]
    checks.check("services.yaml: no path prefix belongs to two services", len(prefixes) == len(set(prefixes)), str(prefixes))
    queues = {q["service"] for q in yaml.safe_load((INFRA / "messaging.yaml").read_text()).get("queues", [])}
    for s in MANIFEST["services"]:
        name = s.get("name", "?")
        fields = {"name", "crate", "port", "paths"} - set(s)
        checks.check(f"services.yaml: {name} has name, crate, port and paths", not fields, f"missing: {sorted(fields)}")
        checks.check(f"services.yaml: {name}'s database, if any, is a name", isinstance(s.get("database", ""), str), str(s.get("database")))
        checks.check(f"services.yaml: {name} is a lowercase name (ECR, ECS, DNS)", re.fullmatch(r"[a-z][a-z0-9-]*", str(name)) is not None, str(name))
        checks.check(f"services.yaml: {name}'s crate is `{name}-service`", s.get("crate") == f"{name}-service", str(s.get("crate")))
        bad_calls = [c for c in s.get("calls", []) if c not in SERVICES or c == name]
        checks.check(f"services.yaml: {name} calls only other services", not bad_calls, str(bad_calls))
        if "queue_consumer" in s:
            checks.check(f"services.yaml: {name}'s queue is in messaging.yaml", name in queues, str(sorted(queues)))
            checks.check(f"services.yaml: {name}'s queue_consumer is lambda or service", s["queue_consumer"] in ("lambda", "service"), str(s["queue_consumer"]))
        # A name in two lists would be given twice (or as a secret and a value).
        lists = environment_names(s) + secret_names(s) + s.get("operator_secrets", [])
        twice = sorted({n for n in lists if lists.count(n) > 1})
        checks.check(f"services.yaml: {name} lists each setting once", not twice, str(twice))


def check_services_and_alb(checks: Checks, modules: dict[Path, Module]) -> None:
    storefront = modules[INFRA / "modules" / "storefront"]
    alb = modules[INFRA / "modules" / "alb"]

    manifest_expr = str(storefront.locals.get("manifest", ""))
    match = re.search(r'yamldecode\(file\(\\?"\$\{path\.module\}/([^"\\]+)\\?"\)\)', manifest_expr)
    path = (storefront.path / match.group(1)).resolve() if match else None
    checks.check("the storefront module reads infra/services.yaml with yamldecode", path == INFRA / "services.yaml", manifest_expr)

    services = str(storefront.locals.get("services", ""))
    checks.check("the services table iterates over the manifest, keyed by name", re.search(r"for (\w+) in local\.manifest\.services : \1\.name =>", services) is not None, services)
    entries = object_entries(services)
    for key, field_ in (("port", "port"), ("path_prefixes", "paths")):
        checks.check(f"each service's {key} is the manifest's `{field_}`", re.fullmatch(rf"\w+\.{field_}", entries.get(key, "")) is not None, entries.get(key, ""))
    for key, field_ in (("database", "database"), ("default_route", "default_route")):
        checks.check(f"each service's {key} is the manifest's `{field_}`, if given", re.fullmatch(rf"try\(\w+\.{field_}, (null|false)\)", entries.get(key, "")) is not None, entries.get(key, ""))

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

    https = alb.resources.get(("aws_lb_listener", "https"), {})
    default = str(https.get("default_action", ""))
    checks.check("the default action forwards to the web shop's target group", "forward" in default and "aws_lb_target_group.service[var.default_service].arn" in default, default)
    checks.check("the storefront gives the alb its default_route service", call.get("default_service") == "${local.default_service}", str(call.get("default_service")))
    unrouted = alb.resources.get(("aws_lb_listener_rule", "unrouted"), {})
    checks.check("metrics and health get a fixed 404 ahead of every other rule", "fixed-response" in str(unrouted.get("action", "")) and "404" in str(unrouted.get("action", "")) and int(unrouted.get("priority", 1000)) < 100, str(unrouted)[:200])
    checks.check("the unrouted rule matches each unrouted path and below it", "var.unrouted_paths" in str(unrouted.get("condition", "")) and "${p}/*" in str(unrouted.get("condition", "")), str(unrouted.get("condition")))
    default_paths = next((b['"unrouted_paths"'].get("default") for b in alb.files[alb.path / "variables.tf"]["variable"] if '"unrouted_paths"' in b), None)
    checks.check("the unrouted paths are /metrics and /health", [unquote(p) for p in default_paths or []] == ["/metrics", "/health"], str(default_paths))


def check_names(checks: Checks, modules: dict[Path, Module]) -> None:
    """ECR repository `<prefix>/<name>`, ECS service and container `<name>`,
    family `<cluster>-<name>`, Lambda `<cluster>-<name>-emailer`: what the
    pipelines (.github/workflows/service.yml) derive from the manifest."""
    storefront = modules[INFRA / "modules" / "storefront"]
    ecs = modules[INFRA / "modules" / "ecs-service"]
    ecr = modules[INFRA / "modules" / "ecr"]

    checks.check("the platform's name prefix is storefront-<environment>", unquote(storefront.locals.get("name", "")) == "storefront-${var.environment}", str(storefront.locals.get("name")))
    checks.check("ECR repositories are the manifest's service names", storefront.calls.get("ecr", {}).get("repositories") == "${keys(local.services)}", str(storefront.calls.get("ecr", {}).get("repositories")))
    checks.check("ECR repositories are <prefix>/<name> with prefix local.name (ECR_REPOSITORY_PREFIX)", unquote(ecr.resources.get(("aws_ecr_repository", "this"), {}).get("name", "")) == "${var.name_prefix}/${each.key}" and storefront.calls.get("ecr", {}).get("name_prefix") == "${local.name}")
    checks.check("the ECS cluster is named local.name (ECS_CLUSTER)", storefront.calls.get("ecs_cluster", {}).get("name") == "${local.name}", str(storefront.calls.get("ecs_cluster", {}).get("name")))

    service_call = storefront.calls.get("service", {})
    checks.check("one ECS service per manifest service, named by its key", service_call.get("for_each") == "${local.services}" and service_call.get("service") == "${each.key}" and service_call.get("name_prefix") == "${local.name}", str({k: service_call.get(k) for k in ("for_each", "service", "name_prefix")}))
    checks.check("each service pulls from its own repository", service_call.get("ecr_repository_arn") == "${module.ecr.repository_arns[each.key]}", str(service_call.get("ecr_repository_arn")))
    svc = ecs.resources.get(("aws_ecs_service", "this"), {})
    checks.check("the ECS service is named after the service", svc.get("name") == "${var.service}", str(svc.get("name")))
    lb = (svc.get("load_balancer") or [{}])[0]
    checks.check("the load balancer targets the container named after the service", lb.get("container_name") == "${var.service}", str(lb.get("container_name")))
    taskdef = ecs.resources.get(("aws_ecs_task_definition", "this"), {})
    containers = str(taskdef.get("container_definitions", ""))
    checks.check("the container is named after the service", re.search(r"\[\{name = var\.service,", containers) is not None, containers[:80])
    checks.check("the task definition family is <name_prefix>-<service> (= <ECS_CLUSTER>-<name>)", taskdef.get("family") == "${local.name}" and unquote(ecs.locals.get("name", "")) == "${var.name_prefix}-${var.service}", str(taskdef.get("family")))

    lambda_call = storefront.calls.get("lambda_emailer", {})
    consumers = [n for n, s in SERVICES.items() if s.get("queue_consumer") == "lambda"]
    checks.check("lambda consumers come from the manifest's queue_consumer", 'try(s.queue_consumer, "") == "lambda"' in str(storefront.locals.get("lambda_consumers", "")), str(storefront.locals.get("lambda_consumers")))
    for consumer in consumers:
        checks.check(f"the {consumer} Lambda is <ECS_CLUSTER>-{consumer}-emailer and runs the {consumer} image", unquote(lambda_call.get("name", "")) == f"${{local.name}}-{consumer}-emailer" and f'module.ecr.repository_urls["{consumer}"]' in str(lambda_call.get("image")), str(lambda_call.get("name")))


def check_settings(checks: Checks, modules: dict[Path, Module]) -> None:
    """Each task definition gets exactly its manifest lists, each with a value."""
    storefront = modules[INFRA / "modules" / "storefront"]
    ecs = modules[INFRA / "modules" / "ecs-service"]
    loc = storefront.locals

    env_names = str(loc.get("environment_names", ""))
    checks.check(
        "environment names are the manifest's common.environment + common.aws + service environment + aws",
        all(f in env_names for f in ("local.manifest.common.environment", "local.manifest.common.aws", "s.environment", "s.aws")) and "for s in local.manifest.services" in env_names,
        env_names,
    )
    secrets = str(loc.get("secret_names", ""))
    checks.check("generated secret names are the manifest's common.secrets + service secrets", "local.manifest.common.secrets" in secrets and "s.secrets" in secrets, secrets)
    operator = str(loc.get("operator_secret_names", ""))
    checks.check("operator secrets are the manifest's operator_secrets", "s.operator_secrets" in operator, operator)

    service_env = str(loc.get("service_environment", ""))
    checks.check("each service's environment picks its names from the value table", "for n in local.environment_names[s] : n => local.setting_values[s][n]" in service_env, service_env)
    checks.check("library settings come only from the manifest's common.runtime", "contains(local.manifest.common.runtime, n)" in service_env, service_env)
    generated = str(loc.get("generated_secrets", ""))
    checks.check("each service's runtime secret picks its names from the secrets table", "for n in local.secret_names[s] : n => local.secret_values[s][n]" in generated, generated)

    call = storefront.calls.get("service", {})
    for arg, expr in (("environment", "local.service_environment[each.key]"), ("generated_secrets", "local.generated_secrets[each.key]"), ("operator_secrets", "local.operator_secret_names[each.key]")):
        checks.check(f"the ECS services get {arg} from the manifest's lists", call.get(arg) == f"${{{expr}}}", str(call.get(arg)))
    taskdef = str(ecs.resources.get(("aws_ecs_task_definition", "this"), {}).get("container_definitions", ""))
    checks.check("the container's environment is exactly var.environment", "for k in sort(keys(var.environment)) : {name = k, value = var.environment[k]}" in taskdef, taskdef)
    checks.check("the container's secrets are the generated and the operator ones", "secrets = local.container_secrets" in taskdef)
    container_secrets = str(ecs.locals.get("container_secrets", ""))
    checks.check("container secrets: one per generated key, one per operator secret", "local.generated_secret_keys" in container_secrets and "var.operator_secrets" in container_secrets, container_secrets)

    values = object_entries(str(loc.get("setting_values", "")))
    secret_values = object_entries(str(loc.get("secret_values", "")))
    runtime_values = loc.get("runtime_values", {})
    checks.check("the value table parses", bool(values) and bool(secret_values), str(loc.get("setting_values"))[:80])
    for name, service in SERVICES.items():
        missing = [n for n in environment_names(service) if n not in values]
        checks.check(f"every setting infra/services.yaml lists for {name} has a value in modules/storefront setting_values", not missing, f"{name}: no value for {', '.join(missing)}")
        missing = [n for n in secret_names(service) if n not in secret_values]
        checks.check(f"every secret infra/services.yaml lists for {name} has a value in modules/storefront secret_values", not missing, f"{name}: no value for {', '.join(missing)}")
    unknown = [n for n in runtime_values if n not in COMMON.get("runtime", [])]
    checks.check("runtime_values sets only names of common.runtime", not unknown, str(unknown))

    # East-west: Service Connect names, never the public load balancer.
    internal = unquote(str(loc.get("internal_urls", "")))
    checks.check("internal URLs are Service Connect names http://<name>:<port>", "for s, v in local.services : s => \\\"http://${s}:${v.port}\\\"" in internal or 'for s, v in local.services : s => "http://${s}:${v.port}"' in internal, internal)
    for key, value in values.items():
        if key.endswith("_URL") and key != "PUBLIC_BASE_URL":
            public = "module.alb" in value or "local.base_url" in value or "https://" in value
            checks.check(f"{key} does not point at the public ALB", not public, value)
    for name in SERVICES:
        key = f"{name.upper()}_URL"
        if key in values:
            checks.check(f"{key} is {name}'s Service Connect address", values[key] == f'local.internal_urls["{name}"]', values[key])
    checks.check("JWKS_URL is registration's Service Connect address", values.get("JWKS_URL", "").startswith('"${local.internal_urls[\\"registration\\"]}/.well-known/jwks.json') or 'local.internal_urls["registration"]' in values.get("JWKS_URL", "").replace('\\"', '"'), values.get("JWKS_URL", ""))
    checks.check("JWT_ISSUER and PUBLIC_BASE_URL stay the public base URL", values.get("JWT_ISSUER") == "local.base_url" and values.get("PUBLIC_BASE_URL") == "local.base_url", str((values.get("JWT_ISSUER"), values.get("PUBLIC_BASE_URL"))))

    # Lambda consumers run no in-process consumer on ECS.
    for name, service in SERVICES.items():
        if service.get("queue_consumer") == "lambda":
            checks.check(f"the ECS {name} service is given CONSUMER_ENABLED (its queue is the Lambda's)", "CONSUMER_ENABLED" in environment_names(service))
    checks.check("CONSUMER_ENABLED is false for Lambda consumers", values.get("CONSUMER_ENABLED", "").startswith('contains(local.lambda_consumers, s) ? "false"'), values.get("CONSUMER_ENABLED", ""))
    lam = storefront.calls.get("lambda_emailer", {})
    lam_env = str(lam.get("environment", ""))
    checks.check("the emailer gets campaign's settings less AWS_REGION and CONSUMER_ENABLED, with a small pool", 'local.service_environment["campaign"]' in lam_env and '"AWS_REGION"' in lam_env and '"CONSUMER_ENABLED"' in lam_env and 'DATABASE_MAX_CONNECTIONS = "2"' in lam_env, lam_env)
    checks.check("the emailer gets campaign's generated secrets", lam.get("secret_environment") == '${local.generated_secrets["campaign"]}', str(lam.get("secret_environment")))


def check_service_connect(checks: Checks, modules: dict[Path, Module]) -> None:
    storefront = modules[INFRA / "modules" / "storefront"]
    ecs = modules[INFRA / "modules" / "ecs-service"]
    cluster = modules[INFRA / "modules" / "ecs-cluster"]

    checks.check("the cluster has a Cloud Map HTTP namespace", ("aws_service_discovery_http_namespace", "this") in cluster.resources)
    svc = ecs.resources.get(("aws_ecs_service", "this"), {})
    sc = (svc.get("service_connect_configuration") or [{}])[0]
    checks.check("each ECS service is in Service Connect", sc.get("enabled") is True and sc.get("namespace") == "${var.service_connect_namespace_arn}", str(sc)[:120])
    sc_service = (sc.get("service") or [{}])[0]
    alias = (sc_service.get("client_alias") or [{}])[0]
    checks.check("Service Connect names it <name> on its port", sc_service.get("port_name") == "${var.service}" and alias.get("dns_name") == "${var.service}" and alias.get("port") == "${var.port}", str(sc_service)[:160])
    taskdef = str(ecs.resources.get(("aws_ecs_task_definition", "this"), {}).get("container_definitions", ""))
    checks.check("the container's port mapping is named for Service Connect (http)", 'portMappings = [{name = var.service, containerPort = var.port, protocol = \\"tcp\\", appProtocol = \\"http\\"}]' in taskdef or 'portMappings = [{name = var.service, containerPort = var.port, protocol = "tcp", appProtocol = "http"}]' in taskdef, taskdef)
    checks.check("the storefront passes the cluster's namespace", storefront.calls.get("service", {}).get("service_connect_namespace_arn") == "${module.ecs_cluster.service_connect_namespace_arn}")

    calls = str(storefront.locals.get("service_calls", ""))
    checks.check("service calls come from the manifest's calls", "s.calls" in calls and "local.manifest.services" in calls, calls)
    for kind in ("ingress", "egress"):
        rule = storefront.resources.get((f"aws_vpc_security_group_{kind}_rule", "service_calls"), {})
        checks.check(f"one {kind} rule per call, on the callee's port", rule.get("for_each") == "${local.service_calls}" and rule.get("from_port") == "${local.services[each.value.callee].port}" and rule.get("to_port") == rule.get("from_port"), str(rule)[:160])
    ingress = storefront.resources.get(("aws_vpc_security_group_ingress_rule", "service_calls"), {})
    checks.check("a callee accepts its port from the caller's security group", ingress.get("security_group_id") == "${module.service[each.value.callee].security_group_id}" and ingress.get("referenced_security_group_id") == "${module.service[each.value.caller].security_group_id}")
    egress = storefront.resources.get(("aws_vpc_security_group_egress_rule", "service_calls"), {})
    checks.check("a caller may reach the callee's security group", egress.get("security_group_id") == "${module.service[each.value.caller].security_group_id}" and egress.get("referenced_security_group_id") == "${module.service[each.value.callee].security_group_id}")
    texts = " ".join(t for m in modules.values() for parsed in m.files.values() for t in strings(parsed))
    checks.check("no description says the services talk through the ALB", "through the ALB" not in texts)


def check_tls(checks: Checks, modules: dict[Path, Module]) -> None:
    weak = re.compile(r"sslmode\s*=\s*\\?\"?(disable|allow|prefer|require)\b", re.I)
    pg_weak = re.compile(r"PGSSLMODE\\?\"?\s*,\s*value\s*=\s*\\?\"(?!verify-full)", re.I)
    for path in sorted(INFRA.rglob("*")):
        rel = path.relative_to(INFRA)
        if not path.is_file() or rel.parts[0] == "tests" or any(part.startswith(".") for part in rel.parts):
            continue
        text = path.read_text(errors="replace")
        found = weak.findall(text) + pg_weak.findall(text)
        checks.check(f"{rel}: no Postgres TLS mode weaker than verify-full", not found, str(found))
        if path.suffix == ".tf":
            for url in re.findall(r"postgres(?:ql)?://[^\"\s]*", text):
                checks.check(f"{rel}: the Postgres URL verifies the server (verify-full, sslrootcert)", "sslmode=verify-full" in url and "sslrootcert=" in url, url)
            checks.check(f"{rel}: no plain redis:// URL", "redis://" not in text)

    rds = modules[INFRA / "modules" / "rds"]
    urls = str(rds.locals.get("database_urls", ""))
    checks.check("the RDS module writes the service DATABASE_URLs with verify-full and the image's CA bundle", "sslmode=verify-full&sslrootcert=${var.ca_bundle_path}" in urls, urls)
    default = next((b['"ca_bundle_path"'].get("default") for b in rds.files[rds.path / "variables.tf"]["variable"] if '"ca_bundle_path"' in b), None)
    checks.check("the CA bundle is where the image keeps it", unquote(default) == "/etc/ssl/certs/rds-global-bundle.pem", str(default))
    checks.check("the storefront's DATABASE_URLs are the RDS module's", object_entries(str(modules[INFRA / "modules" / "storefront"].locals.get("secret_values", ""))).get("DATABASE_URL") == "lookup(module.rds.database_urls, s, null)")

    redis = modules[INFRA / "modules" / "redis"]
    group = redis.resources.get(("aws_elasticache_replication_group", "this"), {})
    checks.check("ElastiCache encrypts in transit", group.get("transit_encryption_enabled") is True)
    redis_urls = str(redis.locals.get("urls", ""))
    checks.check("Redis URLs are rediss://", redis_urls.count("rediss://") == 1 and "redis://" not in redis_urls, redis_urls)
    checks.check("the storefront's REDIS_URLs are the Redis module's", object_entries(str(modules[INFRA / "modules" / "storefront"].locals.get("secret_values", ""))).get("REDIS_URL") == "module.redis.urls[s]")


def check_ownership(checks: Checks, modules: dict[Path, Module]) -> None:
    """Terraform owns the task definition; the pipeline owns the image."""
    ecs = modules[INFRA / "modules" / "ecs-service"]
    svc = ecs.resources.get(("aws_ecs_service", "this"), {})
    ignored = str((svc.get("lifecycle") or [{}])[0].get("ignore_changes", ""))
    checks.check("an apply does not roll back the ECS service's release (ignore_changes task_definition)", "task_definition" in ignored, ignored)
    lam = modules[INFRA / "modules" / "lambda-emailer"]
    fn = lam.resources.get(("aws_lambda_function", "this"), {})
    ignored = str((fn.get("lifecycle") or [{}])[0].get("ignore_changes", ""))
    checks.check("an apply does not roll back the emailer's release (ignore_changes image_uri)", "image_uri" in ignored, ignored)
    ecr = modules[INFRA / "modules" / "ecr"]
    policy = str(ecr.resources.get(("aws_ecr_lifecycle_policy", "this"), {}).get("policy", ""))
    statuses = re.findall(r"tagStatus = \\?\"?(\w+)", policy)
    checks.check("ECR expires only untagged images (never a tag in use)", bool(statuses) and set(statuses) == {"untagged"}, str(statuses))


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def satisfies(version: str, constraint: str) -> bool:
    """Terraform's version constraint syntax: comma-separated `op x.y[.z]`."""
    have = version_tuple(version)
    have = have + (0,) * (3 - len(have))
    for part in constraint.split(","):
        m = re.fullmatch(r"\s*(>=|<=|!=|~>|>|<|=)?\s*(\d+(?:\.\d+){0,2})\s*", part)
        if not m:
            return False
        op, want = m.group(1) or "=", version_tuple(m.group(2))
        padded = want + (0,) * (3 - len(want))
        if op == "~>":
            # Only the rightmost given component may grow: ~> 1.10 is >= 1.10, < 2.0.
            if have < padded:
                return False
            if len(want) > 1:
                upper = want[:-2] + (want[-2] + 1,)
                if have >= upper + (0,) * (3 - len(upper)):
                    return False
        elif not {">=": have >= padded, "<=": have <= padded, ">": have > padded, "<": have < padded, "=": have == padded, "!=": have != padded}[op]:
            return False
    return True


def check_infra_workflow(checks: Checks, modules: dict[Path, Module]) -> None:
    workflow = yaml.safe_load(INFRA_WORKFLOW.read_text())
    version = str(workflow.get("env", {}).get("TF_VERSION", ""))
    checks.check("infra.yml pins a full Terraform version", re.fullmatch(r"\d+\.\d+\.\d+", version) is not None, version)
    for module in modules.values():
        for parsed in module.files.values():
            for block in parsed.get("terraform", []):
                constraint = unquote(block.get("required_version"))
                if constraint:
                    checks.check(f"{module.rel}: Terraform {version} (infra.yml) satisfies required_version {constraint}", satisfies(version, constraint), constraint)

    jobs = workflow.get("jobs", {})
    text = INFRA_WORKFLOW.read_text()
    for env, job_id, prefix in (("dev", "plan", None), ("prod", "plan", None), ("dev", "apply-dev", "TF_DEV_"), ("prod", "apply-production", "TF_PROD_")):
        module = modules.get(INFRA / "envs" / env)
        if module is None:
            continue
        job_env = jobs.get(job_id, {}).get("env", {}) or {}
        required = sorted(v for v, req in module.variables.items() if req)
        missing = [v for v in required if not job_env.get(f"TF_VAR_{v}")]
        checks.check(f"infra.yml {job_id} feeds every required variable of envs/{env} as TF_VAR_*", not missing, f"missing: {missing}")
        unknown = [k for k in job_env if k.startswith("TF_VAR_") and k[len("TF_VAR_"):] not in module.variables]
        checks.check(f"infra.yml {job_id} feeds only variables envs/{env} declares", not unknown, str(unknown))
        if prefix:
            wrong = {k: v for k, v in job_env.items() if k.startswith("TF_VAR_") and k != "TF_VAR_region" and v != f"${{{{ vars.{prefix}{k[len('TF_VAR_'):].upper()} }}}}"}
            checks.check(f"infra.yml {job_id}: TF_VAR_<name> comes from the repository variable {prefix}<NAME>", not wrong, str(wrong))
        example = INFRA / "envs" / env / "terraform.tfvars.example"
        listed = set(re.findall(r"^(\w+)\s*=", example.read_text(), re.M)) if example.exists() else set()
        checks.check(f"envs/{env}/terraform.tfvars.example lists every required variable", set(required) <= listed, f"missing: {sorted(set(required) - listed)}")

        backend = {}
        for parsed in module.files.values():
            for block in parsed.get("terraform", []):
                for b in block.get("backend", []):
                    backend = b.get('"s3"', backend)
        partial = [k for k in ("bucket", "region") if k not in backend]
        given = [k for k in partial if f'-backend-config="{k}=' not in text]
        checks.check(f"infra.yml gives every backend setting envs/{env} leaves out ({', '.join(partial)}) with -backend-config", not given, f"not given: {given}")
    inits = [str(step.get("run", "")) for job in jobs.values() for step in job.get("steps", []) if re.search(r"terraform (-chdir=\S+ )?init", str(step.get("run", "")))]
    bare = [run for run in inits if "-backend-config" not in run and "-backend=false" not in run]
    checks.check("infra.yml's every terraform init gets its backend settings (or none: -backend=false)", bool(inits) and not bare, str(bare))


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


ALB_STUB = "https://public-alb.example.invalid"


def first_block(text: str, opening: str) -> str:
    """The text of the first `opening {...}` block of a file."""
    start = text.index(opening)
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    raise ValueError(f"unclosed {opening}")


def storefront_settings(terraform: str, manifest_text: str) -> tuple[bool, dict, str]:
    """Evaluates the storefront's settings locals with Terraform, offline:
    the locals block as written, the manifest given, module outputs, data
    sources and generated passwords stubbed. Returns (ok, outputs, log)."""
    source = (INFRA / "modules" / "storefront" / "main.tf").read_text()
    block = first_block(source, "locals {")
    block = re.sub(r"\bdata\.aws_region\.current\.name\b", '"eu-west-1"', block)
    block = re.sub(r"\brandom_password\.(\w+)\.result\b", r'"generated-\1"', block)
    block = re.sub(r"\bmodule\.(\w+)\.", r"local.stub_\1.", block)
    variables = sorted(set(VAR_REF.findall(block)))
    topology = yaml.safe_load((INFRA / "messaging.yaml").read_text())
    topics = {t["service"]: f"arn:stub:sns:{t['service']}" for t in topology.get("topics", [])}
    queues = {q["service"]: f"https://sqs.stub/{q['service']}" for q in topology.get("queues", [])}
    stubs = f"""
locals {{
  stub_alb       = {{ url = "{ALB_STUB}" }}
  stub_messaging = {{ topic_arns = {json.dumps(topics)}, queue_urls = {json.dumps(queues)} }}
  stub_rds       = {{ database_urls = {{ for s, v in local.services : s => "postgres://db.stub/${{v.database}}?sslmode=verify-full" if v.database != null }} }}
  stub_redis     = {{ urls = {{ for s, v in local.services : s => "rediss://redis.stub:6379" }} }}
}}
""" + "".join(f'variable "{v}" {{\n  default = "<{v}>"\n}}\n' for v in variables) + """
output "service_environment" { value = local.service_environment }
output "generated_secrets" { value = local.generated_secrets }
output "operator_secret_names" { value = local.operator_secret_names }
"""
    with tempfile.TemporaryDirectory(prefix="storefront-settings-") as tmp:
        root = Path(tmp) / "modules" / "storefront"
        root.mkdir(parents=True)
        (Path(tmp) / "services.yaml").write_text(manifest_text)
        (root / "main.tf").write_text(block + "\n" + stubs)
        cli_config = Path(tmp) / "terraformrc"
        cli_config.write_text("")
        env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "TF_CLI_CONFIG_FILE": str(cli_config)}
        log = ""
        for args in (["init", "-backend=false", "-no-color"], ["apply", "-auto-approve", "-no-color"], ["output", "-json"]):
            run = subprocess.run([terraform, f"-chdir={root}", *args], env=env, capture_output=True, text=True, timeout=120)
            log += run.stdout + run.stderr
            if run.returncode != 0:
                return False, {}, log
        outputs = {k: v["value"] for k, v in json.loads(run.stdout).items()}
        return True, outputs, log


def terraform_error(log: str) -> str:
    """Terraform's error, where and in which expression, on one line."""
    lines = [line.strip(" │╷╵") for line in log.splitlines()]
    picked = [line for line in lines if line.startswith("Error:") or re.match(r"on \S+ line \d+", line) or re.match(r"\d+:\s", line)]
    return "; ".join(picked[:3]) or (lines[-1] if lines else "")


def check_with_terraform(checks: Checks) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        print("SKIP the Terraform evaluation of the settings: no terraform on PATH")
        return
    manifest_text = (INFRA / "services.yaml").read_text()
    ok, out, log = storefront_settings(terraform, manifest_text)
    if not checks.check("Terraform evaluates the storefront's settings from infra/services.yaml", ok, terraform_error(log)):
        return
    runtime = [n for n in COMMON.get("runtime", []) if n in ("RUST_LOG",)]
    for name, service in SERVICES.items():
        env = out["service_environment"].get(name, {})
        want = set(environment_names(service)) | set(runtime)
        checks.check(f"terraform: {name}'s task environment is exactly its manifest names", set(env) == want, f"extra {sorted(set(env) - want)}, missing {sorted(want - set(env))}")
        got = set(out["generated_secrets"].get(name, {}))
        checks.check(f"terraform: {name}'s runtime secret holds exactly its manifest secrets", got == set(secret_names(service)), str(sorted(got)))
        checks.check(f"terraform: {name}'s operator secrets are its manifest's", out["operator_secret_names"].get(name) == service.get("operator_secrets", []), str(out["operator_secret_names"].get(name)))
        public = sorted(k for k, v in env.items() if ALB_STUB in v and k not in ("JWT_ISSUER", "PUBLIC_BASE_URL"))
        checks.check(f"terraform: no URL {name} calls points at the public ALB", not public, str(public))
        for callee in service.get("calls", []):
            key = f"{callee.upper()}_URL"
            if key in env:
                checks.check(f"terraform: {name} calls {callee} at http://{callee}:{SERVICES[callee]['port']}", env[key] == f"http://{callee}:{SERVICES[callee]['port']}", env[key])
        if "JWKS_URL" in env:
            checks.check(f"terraform: {name} fetches the JWKS inside the VPC", env["JWKS_URL"] == f"http://registration:{SERVICES['registration']['port']}/.well-known/jwks.json", env["JWKS_URL"])

    # A change in the manifest is a change in what the task definitions get
    # (and so, through the pipeline's latest-revision deploy, what runs).
    changed = yaml.safe_load(manifest_text)
    catalog = next(s for s in changed["services"] if s["name"] == "catalog")
    catalog["port"] = 9083
    catalog.setdefault("environment", []).append("ADMIN_ALERT_EMAIL")
    ok, out, log = storefront_settings(terraform, yaml.safe_dump(changed, sort_keys=False))
    catalog_env = out.get("service_environment", {}).get("catalog", {}) if ok else {}
    order_env = out.get("service_environment", {}).get("order", {}) if ok else {}
    checks.check("terraform: a name added to a service's manifest list reaches its task environment", catalog_env.get("ADMIN_ALERT_EMAIL") == "<admin_alert_email>", str(sorted(catalog_env)))
    checks.check("terraform: a changed port changes PORT and the callers' URLs", catalog_env.get("PORT") == "9083" and order_env.get("CATALOG_URL") == "http://catalog:9083", str((catalog_env.get("PORT"), order_env.get("CATALOG_URL"))))

    broken = yaml.safe_load(manifest_text)
    next(s for s in broken["services"] if s["name"] == "order")["environment"].append("NO_SUCH_SETTING")
    ok, _, log = storefront_settings(terraform, yaml.safe_dump(broken, sort_keys=False))
    checks.check("terraform: a listed name with no value fails the plan", not ok and "setting_values" in log, terraform_error(log) or "the plan succeeded")


def main() -> int:
    checks = Checks()
    modules = load_modules(checks)
    check_module_calls(checks, modules)
    check_references(checks, modules)
    check_literals(checks)
    check_manifest(checks)
    check_services_and_alb(checks, modules)
    check_names(checks, modules)
    check_settings(checks, modules)
    check_service_connect(checks, modules)
    check_tls(checks, modules)
    check_ownership(checks, modules)
    check_infra_workflow(checks, modules)
    check_ecs(checks, modules)
    check_messaging(checks, modules)
    check_envs(checks, modules)
    check_with_terraform(checks)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
