import { afterEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { killSpawned, spawnCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { parsePrometheusText, sample } from '../helpers/prom-text.js';

/**
 * `start` as operators run it, with webhooks and metrics on: its webhook loop sends the send's
 * events while it runs, and its HTTP server answers /metrics with the token.
 */
const SECRET = 'a-webhook-secret-of-32-characters';
const TOKEN = 'metrics-token-0123456789';

describe('start with webhooks and metrics', () => {
  let project: TestProject | undefined;
  afterEach(() => {
    killSpawned();
    project?.cleanup();
  });

  it('sends the issue, its webhook loop delivers issue.created and issue.sent signed, /metrics counts the send, and SIGTERM stops it all', async () => {
    const receiver = await startWebhookReceiver();
    try {
      project = makeProject({
        config: (y) =>
          y.replace('newsletters:', 'preview:\n  enabled: false\n\nnewsletters:') +
          `\nmetrics:\n  enabled: true\nwebhooks:\n  - url: ${receiver.url}\n    events: [issue.created, issue.sent]\n    secretEnv: HOOK_SECRET\n`,
      });
      const svc = spawnCli(['start', '--config', project.configFile], { env: { HOOK_SECRET: SECRET, METRICS_TOKEN: TOKEN } });
      await svc.waitFor(/Running\./);
      expect(svc.stderr()).toContain(`sent ${CONSENTING.length}`);
      await until('the webhook loop to deliver both events', () => receiver.received.length >= 2, 15_000);
      expect(receiver.received.map((h) => (JSON.parse(h.body) as { type: string }).type)).toEqual(['issue.created', 'issue.sent']);
      for (const h of receiver.received) {
        const mac = createHmac('sha256', SECRET)
          .update(`${String(h.headers['webhook-id'])}.${String(h.headers['webhook-timestamp'])}.${h.body}`)
          .digest('base64');
        expect(h.headers['webhook-signature']).toBe(`v1,${mac}`);
      }
      expect(svc.stderr()).not.toContain(SECRET);

      const port = /HTTP: http:\/\/127\.0\.0\.1:(\d+)\//.exec(svc.stderr())![1];
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const metrics = parsePrometheusText(await res.text());
      expect(sample(metrics, 'newsletter_messages_total', { newsletter: 'weekly-brief', state: 'sent' })).toBe(CONSENTING.length);
      expect(sample(metrics, 'newsletter_webhook_deliveries', { state: 'delivered' })).toBe(2);

      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
