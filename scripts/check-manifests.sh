#!/usr/bin/env bash
# Checks the Kubernetes manifests offline: renders the Kustomize base (with kustomize or
# kubectl when on PATH, otherwise by reading kustomization.yaml's resources), validates every
# document, and the files the base leaves out, against Kubernetes $K8S_VERSION's schemas with
# `kubernetes-validate --strict` (PyPI, installed into .local/kubernetes-validate; network only
# then), then what a schema cannot: probes, security context, resources, a PDB per
# Deployment, BIND_ADDR against the port, fanout's grace period against its drain, the HPA
# target. Usage: scripts/check-manifests.sh [DIR] (default deploy/kubernetes);
# MANIFEST_RENDERER=python forces the built-in renderer. Last line: `manifests: N passed, N failed`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

DIR=$(cd "${1:-$ROOT/deploy/kubernetes}" && pwd)
K8S_VERSION=${K8S_VERSION:-1.29.0}
VALIDATOR_VERSION=1.37.0
KV="$ROOT/.local/kubernetes-validate"

# Its own venv, so its jsonschema cannot clash with the one schemathesis needs in .local/venv.
if [ "$("$KV/bin/kubernetes-validate" --version 2>/dev/null)" != "$VALIDATOR_VERSION" ]; then
  make_venv "$KV"
  say "installing kubernetes-validate $VALIDATOR_VERSION in .local/kubernetes-validate"
  "$KV/bin/pip" install -q "kubernetes-validate==$VALIDATOR_VERSION" || die "pip could not install kubernetes-validate"
fi
PY="$KV/bin/python"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# render_base DIR: the base's documents, as kustomize would build them.
render_base() {
  if [ "${MANIFEST_RENDERER:-}" != python ] && command -v kustomize >/dev/null; then
    say "rendering with kustomize"; kustomize build "$1"
  elif [ "${MANIFEST_RENDERER:-}" != python ] && command -v kubectl >/dev/null; then
    say "rendering with kubectl kustomize"; kubectl kustomize "$1"
  else
    say "rendering with the built-in reader of kustomization.yaml"
    "$PY" - "$1" <<'PY'
import os, sys, yaml
base = sys.argv[1]
k = yaml.safe_load(open(os.path.join(base, "kustomization.yaml")))
unknown = sorted(set(k) - {"apiVersion", "kind", "namespace", "resources"})
if unknown:
    sys.exit(f"kustomization.yaml uses {unknown}: render it with kustomize or kubectl")
cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass"}
docs, seen = [], set()
for res in k.get("resources", []):
    path = os.path.join(base, res)
    if not os.path.isfile(path):
        sys.exit(f"kustomization.yaml: resource {res} is not a file in {base}")
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        if k.get("namespace") and doc.get("kind") not in cluster_scoped:
            doc.setdefault("metadata", {})["namespace"] = k["namespace"]
        key = (doc.get("kind"), doc["metadata"].get("namespace"), doc["metadata"].get("name"))
        if key in seen:
            sys.exit(f"{res}: {key} is defined twice")
        seen.add(key)
        docs.append(doc)
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
PY
  fi
}

render_base "$DIR" >"$WORK/base.yaml" || die "cannot render $DIR"
# Files of DIR the base does not apply (secret.example.yaml, …) are validated on their own.
extras=()
for file in "$DIR"/*.yaml "$DIR"/*.yml; do
  if [ ! -f "$file" ] || [ "$(basename "$file")" = kustomization.yaml ]; then continue; fi
  grep -Eq "^[[:space:]]*-[[:space:]]*$(basename "$file")[[:space:]]*$" "$DIR/kustomization.yaml" || extras+=("$file")
done

# Schemas: one INFO line per document that passed; a kind without a schema is only a WARN
# (exit 0), so every WARN, ERROR or FATAL line counts as a failure.
say "validating against Kubernetes $K8S_VERSION (kubernetes-validate $VALIDATOR_VERSION, --strict)"
status=0
"$KV/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "$WORK/base.yaml" "${extras[@]}" \
  >"$WORK/validate.log" 2>&1 || status=$?
sed "s|$WORK/base.yaml|rendered base|" "$WORK/validate.log" | grep -v '^INFO ' >&2 || true
schema_passed=$(grep -c '^INFO .* passed' "$WORK/validate.log" || true)
schema_failed=$(grep -Ec '^(WARN|ERROR|FATAL)' "$WORK/validate.log" || true)
[ "$status" -eq 0 ] || [ "$schema_failed" -gt 0 ] || schema_failed=1

# What a schema cannot check.
"$PY" - "$schema_passed" "$schema_failed" "$WORK/base.yaml" "${extras[@]}" <<'PY'
import math, sys, yaml
passed, failed, base, extras = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
docs = [d for d in yaml.safe_load_all(open(base)) if d]
extra = [d for f in extras for d in yaml.safe_load_all(open(f)) if d]

def check(ok, what):
    global passed, failed
    passed, failed = passed + bool(ok), failed + (not ok)
    if not ok:
        print(f"FAILED: {what}", file=sys.stderr)

def of(kind, pool=docs):
    return [d for d in pool if d.get("kind") == kind]

def within(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

def quantity(q):
    q = str(q)
    scale = {"k": 1e3, "M": 1e6, "m": 1e-3}.get(q[-1:], 1)
    return float(q[:-1] if scale != 1 else q) * scale

config = {d["metadata"]["name"]: d.get("data") or {} for d in of("ConfigMap")}
secrets = {d["metadata"]["name"]: set(d.get("stringData") or {}) | set(d.get("data") or {})
           for d in of("Secret", docs + extra)}

def settings(where, c):
    """The container's environment from its ConfigMaps and env; secrets as '<secret>'."""
    env = {}
    for src in c.get("envFrom", []):
        if "configMapRef" in src:
            name = src["configMapRef"]["name"]
            check(name in config, f"{where}: ConfigMap {name} exists")
            env.update(config.get(name, {}))
        if "secretRef" in src:
            name = src["secretRef"]["name"]
            check(name in secrets, f"{where}: Secret {name} is in the base or an example file")
            env.update({key: "<secret>" for key in secrets.get(name, ())})
    for e in c.get("env", []):
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            check(ref["key"] in secrets.get(ref["name"], ()), f"{where}: Secret key {ref['name']}/{ref['key']}")
        env[e["name"]] = "<secret>" if ref else e.get("value", "")
    return env

deployments = {d["metadata"]["name"]: d for d in of("Deployment")}
check(set(deployments) >= {"ingest", "fanout", "janitor"}, "Deployments ingest, fanout and janitor exist")
envs, pod_labels = {}, {}
for name, dep in deployments.items():
    spec, pod = dep["spec"], dep["spec"]["template"]["spec"]
    labels = pod_labels[name] = spec["template"]["metadata"].get("labels", {})
    check(within(spec["selector"].get("matchLabels"), labels), f"{name}: selector matches its pods")
    check(any(within(p["spec"]["selector"].get("matchLabels"), labels) for p in of("PodDisruptionBudget")),
          f"{name}: a PodDisruptionBudget covers its pods")
    podsc = pod.get("securityContext", {})
    for c in pod["containers"]:
        where, sc, res = f"{name}/{c['name']}", c.get("securityContext", {}), c.get("resources", {})
        setting = lambda key: sc.get(key, podsc.get(key))
        ports = {p.get("name", p["containerPort"]): p["containerPort"] for p in c.get("ports", [])}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = (c.get(probe) or {}).get("httpGet", {})
            check(get.get("path") == path and ports.get(get.get("port"), get.get("port")) in ports.values(),
                  f"{where}: {probe} is GET {path} on the container's port")
        check(setting("runAsNonRoot") is True and setting("runAsUser") == 10001, f"{where}: runAsNonRoot, user 10001")
        check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
              and "ALL" in sc.get("capabilities", {}).get("drop", []), f"{where}: read-only root, no escalation, no capabilities")
        check((setting("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{where}: seccomp RuntimeDefault")
        check(all(r in res.get(kind, {}) for kind in ("requests", "limits") for r in ("cpu", "memory")),
              f"{where}: cpu and memory requests and limits")
        env = envs[name] = settings(where, c)
        host, _, port = env.get("BIND_ADDR", "").rpartition(":")
        check(host == "0.0.0.0" and port.isdigit() and int(port) in ports.values(),
              f"{where}: BIND_ADDR {env.get('BIND_ADDR')} is 0.0.0.0:<its containerPort>")

for svc in of("Service"):
    sel, name = svc["spec"].get("selector", {}), svc["metadata"]["name"]
    pods = [n for n, labels in pod_labels.items() if within(sel, labels)]
    check(pods, f"service {name}: selects a Deployment's pods")

if "fanout" in deployments:
    pod, env = deployments["fanout"]["spec"]["template"]["spec"], envs["fanout"]
    most, batch, pause = (int(env.get(k, d)) for k, d in
                          (("WS_MAX_CONNECTIONS", 20000), ("WS_DRAIN_BATCH", 500), ("WS_DRAIN_PAUSE_MS", 100)))
    drain = math.ceil(most / max(batch, 1)) * pause / 1000
    hook = pod["containers"][0].get("lifecycle", {}).get("preStop", {})
    cmd = hook.get("exec", {}).get("command", [])
    pre_stop = float(cmd[1]) if cmd[:1] == ["sleep"] and len(cmd) == 2 else hook.get("sleep", {}).get("seconds", 0)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    # One pause after each batch (hub.rs), then each close handshake takes at most 1 s (closing.rs).
    needed = pre_stop + drain + 1
    print(f"fanout: preStop {pre_stop:g} s + drain ceil({most}/{batch}) × {pause} ms = {drain:g} s"
          f" + 1 s handshake = {needed:g} s; terminationGracePeriodSeconds {grace}", file=sys.stderr)
    check(grace > needed, f"fanout: terminationGracePeriodSeconds {grace} > {needed:g} s")
    for hpa in of("HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] != "fanout":
            continue
        metric = next((m["pods"] for m in hpa["spec"].get("metrics", []) if m["type"] == "Pods"), {})
        target = quantity(metric.get("target", {}).get("averageValue", 0))
        print(f"fanout HPA: {target:g} connections per replica = {target / most:.0%} of {most}", file=sys.stderr)
        check(metric.get("metric", {}).get("name") == "possync_ws_connections" and 0.5 <= target / most <= 0.8,
              "fanout HPA: Pods metric possync_ws_connections at 50–80 % of WS_MAX_CONNECTIONS")

print(f"manifests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
