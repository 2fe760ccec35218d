import { STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from './server.ts';

/** Registers and signs in a fresh user; returns its id, token and a client acting as it. */
export async function signUp(server: Pick<TestServer, 'client'>, name = 'Test User') {
  const email = uniqueEmail();
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD, name });
  const login = tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  if (!login.accessToken) throw new Error('body delivery returned no access token');
  return { id: login.user.id, email, accessToken: login.accessToken, client: server.client({ accessToken: login.accessToken }) };
}


/** Reads one sample from a Prometheus text exposition, e.g. `bastion_db_statements_total`. */
export async function metricValue(server: { url: string }, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const family = name.split('{')[0]!.replace(/_(count|sum|bucket)$/, '');
  if (!text.includes(`# TYPE ${family} `)) throw new Error(`metric ${family} not found`);
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  // A labelled series appears on its first increment; before that it is zero.
  return line ? Number(line.slice(name.length + 1)) : 0;
}

export { failureOf } from './server.ts';
