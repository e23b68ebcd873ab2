#!/usr/bin/env bash
# Offline check of scripts/cluster/k8s_indexed_job.yaml, with no cluster and no network:
#  - YAML: one document, no duplicate keys;
#  - schema: the batch/v1 Job schema of the Kubernetes API (types, enums, required fields,
#    quantities), as the npm package kubernetes-models bundles it, generated from Kubernetes'
#    OpenAPI spec;
#  - field names: the same package's TypeScript types, with TypeScript's excess property check,
#    which catches a misspelt field (the schema itself lets unknown fields through);
#  - rules the API server enforces beyond the schema for the fields used here (Indexed needs
#    completions, backoffLimitPerIndex needs Indexed, podFailurePolicy needs restartPolicy
#    Never, FailIndex needs backoffLimitPerIndex, no exit code 0 with In, known resource
#    names), the container's shell command parses (sh -n), and SHARDS equals completions;
#  - and that each check rejects a manifest broken on purpose in its way.
# Needs node and the npm packages kubernetes-models, yaml and typescript, found in
# $NST_K8S_NODE_MODULES or else in npm's global folder (`npm root -g`):
#   npm install -g kubernetes-models@5.1.0 yaml@2 typescript@5
# Skipped (exit 77) without them.
#   k8s_manifest_test.sh [SCRIPTS_FOLDER]
set -euo pipefail
scripts=${1:-$(dirname "$0")/../../scripts}
manifest=$scripts/cluster/k8s_indexed_job.yaml
[ -f "$manifest" ] || { echo "FAIL: no $manifest" >&2; exit 1; }

skip() { echo "SKIP: $*"; exit 77; }
install_hint="npm install -g kubernetes-models@5.1.0 yaml@2 typescript@5"
command -v node >/dev/null || skip "node is not installed (Debian: nodejs; then $install_hint)"
modules=${NST_K8S_NODE_MODULES:-}
if [ -z "$modules" ] && command -v npm >/dev/null; then
  modules=$(npm root -g 2>/dev/null) || modules=
fi
for package in kubernetes-models yaml typescript; do
  if [ -z "$modules" ] || [ ! -f "$modules/$package/package.json" ]; then
    skip "the npm package $package is not in '${modules:-npm root -g}' ($install_hint)"
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$(realpath "$modules")" "$work/node_modules"
echo '{"type": "module"}' >"$work/package.json"
cat >"$work/check.mjs" <<'EOF'
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";

const [work, modules, manifestPath] = process.argv.slice(2);
const text = readFileSync(manifestPath, "utf8");

function parseManifest() {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const problems = docs.flatMap((d) =>
    [...d.errors, ...d.warnings].map((e) => `YAML: ${e.message}`));
  if (docs.length !== 1) problems.push(`YAML: ${docs.length} documents, expected 1`);
  return { job: problems.length ? null : docs[0].toJS(), problems };
}

function schemaProblems(job) {
  const problems = [];
  if (job.apiVersion !== "batch/v1" || job.kind !== "Job")
    problems.push(`schema: apiVersion/kind are ${job.apiVersion}/${job.kind}, not batch/v1/Job`);
  try {
    new Job(job).validate();
  } catch (error) {
    problems.push(`schema: ${error.message}`);
  }
  return problems;
}

// Rules of the API server's validation of a Job that its schema does not express, for the
// fields this manifest uses, and the manifest's own convention.
function ruleProblems(job) {
  const problems = [];
  const spec = job.spec ?? {};
  const pod = spec.template?.spec ?? {};
  if (spec.completionMode === "Indexed" && spec.completions == null)
    problems.push("rule: completionMode Indexed needs completions");
  if (spec.backoffLimitPerIndex != null && spec.completionMode !== "Indexed")
    problems.push("rule: backoffLimitPerIndex needs completionMode Indexed");
  if ((spec.podFailurePolicy || spec.backoffLimitPerIndex != null) && pod.restartPolicy !== "Never")
    problems.push("rule: podFailurePolicy and backoffLimitPerIndex need restartPolicy Never");
  for (const [i, rule] of (spec.podFailurePolicy?.rules ?? []).entries()) {
    if (rule.action === "FailIndex" && spec.backoffLimitPerIndex == null)
      problems.push(`rule: podFailurePolicy.rules[${i}] FailIndex needs backoffLimitPerIndex`);
    const codes = rule.onExitCodes;
    if (codes?.operator === "In" && codes.values.includes(0))
      problems.push(`rule: podFailurePolicy.rules[${i}] In must not list exit code 0`);
  }
  if (spec.parallelism > spec.completions)
    problems.push("convention: parallelism is more than completions");
  const containers = pod.containers ?? [];
  if (containers.length !== 1) problems.push("convention: expected one container");
  for (const container of containers) {
    const shards = (container.env ?? []).find((e) => e.name === "SHARDS");
    if (!shards || shards.value !== String(spec.completions))
      problems.push(
        `convention: env SHARDS (${shards?.value}) is not completions (${spec.completions})`);
    for (const kind of ["requests", "limits"])
      for (const name of Object.keys(container.resources?.[kind] ?? {}))
        if (!/^(cpu|memory|ephemeral-storage|hugepages-.+|.+\/.+)$/.test(name))
          problems.push(
            `rule: resources.${kind}: '${name}' is no standard or domain-qualified resource`);
    const command = [...(container.command ?? []), ...(container.args ?? [])];
    if (command[0] !== "/bin/sh" || command[1] !== "-c" || command.length !== 3) {
      problems.push("convention: the container does not run one /bin/sh -c script");
      continue;
    }
    const sh = spawnSync("sh", ["-n", "-c", command[2]], { encoding: "utf8" });
    if (sh.status !== 0)
      problems.push(`convention: its sh script does not parse: ${sh.stderr.trim()}`);
    for (const needed of ["$JOB_COMPLETION_INDEX/$SHARDS", "--skip-existing", "--report"])
      if (!command[2].includes(needed)) problems.push(`convention: its script lacks ${needed}`);
  }
  return problems;
}

// One TypeScript run for all cases: each as `const job: IJob = {...}` in its own file.
function typeProblems(jobs) {
  const files = jobs.map((job, i) => {
    const file = `case${i}.ts`;
    writeFileSync(join(work, file),
      'import type { IJob } from "kubernetes-models/batch/v1/Job";\n' +
      `export const job: IJob = ${JSON.stringify(job, null, 2)};\n`);
    return file;
  });
  writeFileSync(join(work, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext",
                       target: "es2022", skipLibCheck: true, types: [], pretty: false },
    files,
  }));
  const tsc = spawnSync(process.execPath, [join(modules, "typescript", "bin", "tsc"), "-p", work],
                        { encoding: "utf8", cwd: work });
  const problems = jobs.map(() => []);
  for (const line of tsc.stdout.split("\n")) {
    const m = /^case(\d+)\.ts\((\d+),\d+\): (.*)$/.exec(line);
    const source = m && readFileSync(join(work, `case${m[1]}.ts`), "utf8").split("\n")[m[2] - 1];
    if (m) problems[Number(m[1])].push(`types: at ${source.trim()}: ${m[3]}`);
    else if (line.trim()) problems.forEach((p) => p.push(`types: ${line}`));
  }
  if (tsc.status !== 0 && problems.every((p) => p.length === 0))
    problems.forEach((p) => p.push(`types: tsc failed: ${tsc.stderr || tsc.stdout}`));
  return problems;
}

const parsed = parseManifest();
if (!parsed.job) {
  console.error(`FAIL: ${manifestPath}:\n  ${parsed.problems.join("\n  ")}`);
  process.exit(1);
}
// The manifest, then copies broken on purpose, each with what must catch it.
const broken = [
  ["completionMode: Indexd", "schema", (j) => { j.spec.completionMode = "Indexd"; }],
  ['parallelism: "8"', "schema", (j) => { j.spec.parallelism = "8"; }],
  ["memory limit 4Zi", "schema", (j) => {
    j.spec.template.spec.containers[0].resources.limits.memory = "4Zi"; }],
  ["volumeMounts[0].mountpath", "types", (j) => {
    const mount = j.spec.template.spec.containers[0].volumeMounts[0];
    mount.mountpath = mount.mountPath;
    delete mount.mountPath; }],
  ["spec.backoffLimitPerIdx", "types", (j) => {
    j.spec.backoffLimitPerIdx = j.spec.backoffLimitPerIndex;
    delete j.spec.backoffLimitPerIndex; }],
  ["a request for 'memry'", "rule", (j) => {
    j.spec.template.spec.containers[0].resources.requests.memry = "3Gi"; }],
  ["restartPolicy: OnFailure", "rule", (j) => {
    j.spec.template.spec.restartPolicy = "OnFailure"; }],
  ["completions: 9 (SHARDS 8)", "convention", (j) => { j.spec.completions += 1; }],
  ["unbalanced quote in the script", "convention", (j) => {
    j.spec.template.spec.containers[0].args[0] += ' "'; }],
];
const jobs = [parsed.job, ...broken.map(([, , breakIt]) => {
  const copy = structuredClone(parsed.job);
  breakIt(copy);
  return copy;
})];
const types = typeProblems(jobs);
const problems = jobs.map((job, i) => [...schemaProblems(job), ...types[i], ...ruleProblems(job)]);

let failed = false;
if (problems[0].length) {
  console.error(`FAIL: ${manifestPath}:\n  ${problems[0].join("\n  ")}`);
  failed = true;
}
broken.forEach(([what, checker], i) => {
  if (!problems[i + 1].some((p) => p.startsWith(checker))) {
    console.error(`FAIL: the ${checker} check missed a manifest with ${what}; found: ` +
                  JSON.stringify(problems[i + 1]));
    failed = true;
  }
});
if (failed) process.exit(1);
console.log(`${manifestPath}: a valid batch/v1 Job (schema, field names, API rules, ` +
            `conventions); ${broken.length} broken copies rejected`);
EOF
node "$work/check.mjs" "$work" "$(realpath "$modules")" "$manifest"
