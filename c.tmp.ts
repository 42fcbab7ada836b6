import { loadConfig } from './lib/config';
import { runDrill } from './cli/drill/run';
import { localEnvironment } from './cli/drill/environment';
(async () => {
  const config = loadConfig('./dr.config.json');
  const env = await localEnvironment({});
  const counts = new Map<string, number>();
  const times = new Map<string, number>();
  for (const c of [env.dynamodb, env.s3] as any[]) c.middlewareStack.add((next: any, ctx: any) => async (args: any) => { const t = Date.now(); try { return await next(args); } finally { const k = ctx.commandName; counts.set(k, (counts.get(k) ?? 0) + 1); times.set(k, (times.get(k) ?? 0) + Date.now() - t); } }, { step: 'initialize', name: 'count' });
  const t0 = Date.now();
  const r = await runDrill({ config, env, items: 200, scenarios: ['region-lost-midday'], log: () => undefined });
  console.log(r.scenarios[0].passed, Date.now() - t0, r.scenarios[0].rtoMs);
  console.log([...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n} ${times.get(k)}ms`).join('\n'));
})();
