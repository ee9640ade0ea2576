// The npm `docker-compose` 1.5 wrapper driving `docker compose` (rcompose installed as the CLI
// plugin). Usage: NODE_PATH=<node_modules> node node.js PROJECT_DIR PROJECT_NAME.
// upAll, ps (its table parsed by the wrapper), exec, images, down; any failed check exits 1 and
// the Rust side then judges engine state by label.
'use strict';
const compose = require('docker-compose');

const [cwd, name] = process.argv.slice(2);
const options = { cwd, composeOptions: [['--project-name', name]] };

function check(cond, what) {
  if (!cond) {
    throw new Error(`check failed: ${what}`);
  }
  console.log(`ok ${what}`);
}

async function main() {
  const up = await compose.upAll(options);
  check(up.exitCode === 0, `upAll exit ${up.exitCode}: ${up.err}`);

  const ps = await compose.ps(options);
  check(ps.exitCode === 0, 'ps exit 0');
  const services = ps.data.services;
  check(services.length === 2, `ps rows ${JSON.stringify(services)}`);
  const byName = Object.fromEntries(services.map((s) => [s.name, s]));
  const web = byName[`${name}-web-1`];
  const worker = byName[`${name}-worker-1`];
  check(web && worker, `ps names ${Object.keys(byName)}`);
  check(web.state.startsWith('Up') && worker.state.startsWith('Up'), `ps states ${web.state} / ${worker.state}`);
  check(worker.ports.length === 0, `worker ports ${JSON.stringify(worker.ports)}`);
  check(web.ports.length === 1 && web.ports[0].exposed.port === 8080, `web ports ${JSON.stringify(web.ports)}`);
  const mapped = web.ports[0].mapped;
  check(mapped.address === '127.0.0.1' && mapped.port > 0, `web mapped ${JSON.stringify(mapped)}`);
  check(web.command.includes('sh -c'), `web command ${web.command}`);

  const ex = await compose.exec('worker', ['sh', '-c', 'echo exec-$((6*7))'], options);
  check(ex.exitCode === 0 && ex.out.trim() === 'exec-42', `exec ${JSON.stringify(ex)}`);

  const images = await compose.images(options);
  check(images.exitCode === 0, 'images exit 0');
  const rows = images.data.services;
  check(rows.length === 2, `images rows ${JSON.stringify(rows)}`);
  for (const r of rows) {
    check(r.repository === 'rcompose-test/busybox' && r.tag === 'latest' && r.id.length === 12,
      `image row ${JSON.stringify(r)}`);
  }

  const down = await compose.down(options);
  check(down.exitCode === 0, `down exit ${down.exitCode}`);
  const after = await compose.ps({ ...options, commandOptions: ['-a'] });
  check(after.data.services.length === 0, `ps -a after down ${JSON.stringify(after.data.services)}`);
  console.log('node scenario passed');
}

main().catch((e) => {
  console.error(e && e.message ? e.message : e);
  if (e && e.err) console.error(e.err);
  process.exit(1);
});
