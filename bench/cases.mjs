// The in-process cases: (a) naive per-reader MJML, (b) nodemailer pool with pre-rendered
// messages, (c) a minimal pipelined SMTP client. (d) runs in its own process (service-run.mjs).
import { connect } from 'node:net';
import Handlebars from 'handlebars';
import nodemailer from 'nodemailer';
import { createApp } from '../dist/app.js';
import { silentLogger } from '../dist/domain/logger.js';
import { negotiateLocale } from '../dist/domain/locale.js';
import { latestSlotAtOrBefore } from '../dist/compose/slots.js';
import { composeIssue } from '../dist/service/compose-issue.js';
import { IssueRenderer, articlesForTopics } from '../dist/render/issue-renderer.js';
import { readTemplateFiles } from '../dist/render/template-files.js';
import { createMessages } from '../dist/render/messages.js';
import { buildIssueView } from '../dist/render/view.js';
import { htmlToText, renderForReader } from '../dist/render/pipeline.js';
import mjml2html from 'mjml';
import { listDomain, messageIdFor, outboxKey } from '../dist/delivery/message.js';
import { preferencesUrl, unsubscribeUrl } from '../dist/audience/reader-links.js';
import { nodemailerDigest, nodemailerEml } from './nodemailer-message.mjs';
import { BENCH_ENV, cpuMs, makeProject, nullTransport } from './lib.mjs';

/**
 * The realistic issue: the sample project's articles composed for the latest slot, stored in a
 * throw-away SQLite store (id 1), and the service's own renderer for it.
 */
export async function prepareIssue() {
  const project = makeProject(0, 'issue');
  const app = await createApp({ configFile: project.configFile, env: { ...BENCH_ENV, DATABASE_URL: project.dbFile }, logger: silentLogger, transport: nullTransport() });
  const newsletter = app.config.newsletters[0];
  const now = new Date();
  const slot = latestSlotAtOrBefore(newsletter.schedule, newsletter.timezone, now);
  const composition = await composeIssue(app.store, newsletter, app.config, slot, now);
  const { issue } = await app.store.createIssue(composition.draft);
  const files = readTemplateFiles(app.config.paths.templates, newsletter.template);
  const renderer = new IssueRenderer(issue, newsletter, files, app.config.publicUrl);
  return {
    app,
    newsletter,
    issue,
    files,
    renderer,
    publicUrl: app.config.publicUrl,
    secret: app.config.secrets[0],
    async close() {
      await app.close();
      project.cleanup();
    },
  };
}

/** The message the service would build for this reader (as deliverOne does), from the cached renderings. */
export async function serviceMessage(ctx, s, outboxId, date) {
  const { newsletter, issue, renderer, publicUrl, secret } = ctx;
  const locale = negotiateLocale(s.locale, newsletter.locales.supported, newsletter.locales.default);
  const rendering = await renderer.forLocale(locale, s.timezone, s.topics);
  const unsubscribe = unsubscribeUrl(publicUrl, secret, s.id, newsletter.id);
  const rendered = renderForReader(rendering, {
    name: s.name,
    email: s.email,
    unsubscribeUrl: unsubscribe,
    preferencesUrl: preferencesUrl(publicUrl, secret, s.id, newsletter.id),
    attributes: s.attributes,
  });
  const domain = listDomain(newsletter);
  return nodemailerDigest({
    newsletter,
    issue,
    outboxId,
    subscriber: s,
    rendered,
    unsubscribeUrl: unsubscribe,
    date,
    options: ctx.app.messageOptions,
    messageId: messageIdFor(issue, outboxId, domain),
    key: outboxKey(newsletter.id, issue.id, outboxId),
    domain,
  });
}

// --- (a) naive ----------------------------------------------------------------------------

/**
 * What most examples do, per reader: fill the Handlebars template with the reader's own values
 * (name, address, greeting, signed unsubscribe and preference links), compile that MJML, then
 * html-to-text on the result. Handlebars templates are compiled once per locale (generous to
 * the naive way); the MJML compile and html-to-text run per reader. No MIME, no SMTP.
 */
export function naiveRenderer(ctx) {
  const { newsletter, issue, files, publicUrl, secret } = ctx;
  const perLocale = new Map();
  const forLocale = (locale) => {
    let l = perLocale.get(locale);
    if (l) return l;
    const messages = createMessages(locale, files.catalogs, newsletter.locales.default, files.localeFile);
    const hb = Handlebars.create();
    hb.registerHelper('t', (key, options) => messages.t(key, options.hash));
    let attrs = {};
    hb.registerHelper('attr', (name) => attrs[name] ?? '');
    for (const p of files.partials) hb.registerPartial(p.name, hb.compile(p.source, { strict: true }));
    const layout = hb.compile(files.layout.source, { strict: true });
    l = { messages, layout, setAttrs: (a) => (attrs = a ?? {}) };
    perLocale.set(locale, l);
    return l;
  };
  return async (s) => {
    const locale = negotiateLocale(s.locale, newsletter.locales.supported, newsletter.locales.default);
    const l = forLocale(locale);
    const forReader = s.topics.length ? { ...issue, articles: articlesForTopics(issue, s.topics) } : issue;
    const view = buildIssueView(forReader, newsletter, locale, publicUrl, s.timezone);
    view.reader = {
      name: s.name,
      email: s.email,
      greeting: s.name ? l.messages.t('greeting', { name: s.name }) : l.messages.t('greeting_anonymous'),
      unsubscribeUrl: unsubscribeUrl(publicUrl, secret, s.id, newsletter.id),
      preferencesUrl: preferencesUrl(publicUrl, secret, s.id, newsletter.id),
    };
    l.setAttrs(s.attributes);
    const mjml = l.layout(view);
    // mjml2html as the examples call it: not minified (the service's compileMjml minifies, which
    // would make this case slower than what it stands for).
    const { html } = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false });
    const text = htmlToText(html);
    const subject = l.messages.t('subject', { newsletter: newsletter.name, date: view.issue.date, count: view.issue.count });
    return { subject, html, text };
  };
}

export async function runNaive(ctx, readers, warmup = readers.slice(0, 5)) {
  const render = naiveRenderer(ctx);
  // Warm-up (mjml's lazy loading, JIT), not timed.
  for (const s of warmup) await render(s);
  globalThis.gc?.();
  const t0 = performance.now();
  const c0 = cpuMs();
  let bytes = 0;
  for (const s of readers) {
    const r = await render(s);
    bytes += r.html.length + r.text.length;
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  return { n: readers.length, ms, msgsPerS: readers.length / (ms / 1000), cpuMsPerMsg: cpu / readers.length, avgChars: bytes / readers.length };
}

// --- (b) nodemailer pool ------------------------------------------------------------------

export function createPool(port) {
  // The service's own pool settings (src/transport/smtp.ts, config defaults): 5 connections,
  // 500 messages per connection.
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 500 });
}

/**
 * n messages through nodemailer's pool, each filled per reader from the renderings made once
 * (renderForReader) and built by nodemailer's Mailer from fields (nodemailer-message.mjs:
 * html + text, all headers, per-reader links), at most `window` in flight.
 */
export async function runPool(ctx, pool, readers, n, window = 20) {
  const date = new Date();
  globalThis.gc?.();
  let next = 0;
  let sent = 0;
  const t0 = performance.now();
  const c0 = cpuMs();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const s = readers[i % readers.length];
      const msg = await serviceMessage(ctx, s, 1_000_000 + i, date);
      await pool.sendMail(msg.mail);
      sent++;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  return { n: sent, ms, msgsPerS: sent / (ms / 1000), cpuMsPerMsg: cpu / sent };
}

// --- (c) raw pipelined SMTP ---------------------------------------------------------------

/** RFC 5321 transparency: a line starting with a dot gets another; the body ends with CRLF. */
export function dotStuff(eml) {
  let s = eml.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (s.startsWith('.')) s = '.' + s;
  s = s.replace(/\r\n\./g, '\r\n..');
  if (!s.endsWith('\r\n')) s += '\r\n';
  return Buffer.from(s, 'latin1');
}

/** The bytes of one representative message of the issue, as the service would send it. */
export async function representativeMessage(ctx, reader) {
  const msg = await serviceMessage(ctx, reader, 999_999, new Date());
  return { eml: await nodemailerEml(msg.mail), from: 'brief@news.example.org', to: reader.email };
}

/**
 * One connection of the minimal client: EHLO, then per message MAIL FROM, RCPT TO and DATA in
 * one write; on 354 the pre-built bytes, the final dot and the next message's three commands
 * in one write (RFC 2920 allows commands right after the data). Counts the 250s after the dot.
 */
function rawConnection(port, count, body, from, to, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const expect = [];
    let buf = '';
    let started = 0;
    let done = 0;
    let settled = false;
    const envelope = Buffer.from(`MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\n`, 'latin1');
    const end = Buffer.from('.\r\n', 'latin1');
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(done);
    };
    const timer = setTimeout(() => finish(new Error(`raw client: timed out after ${done}/${count} messages`)), timeoutMs);
    const startTxn = () => {
      started++;
      expect.push('mail', 'rcpt', 'data');
      return envelope;
    };
    expect.push('greeting');
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish(done === count ? undefined : new Error(`raw client: connection closed after ${done}/${count}`)));
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let nl;
      let ehloText = '';
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (line[3] === '-') {
          ehloText += line + '\n';
          continue;
        }
        const code = Number(line.slice(0, 3));
        const what = expect.shift();
        if (what === 'greeting') {
          if (code !== 220) return finish(new Error(`raw client: greeting ${line}`));
          expect.push('ehlo');
          socket.write('EHLO bench.localhost\r\n');
        } else if (what === 'ehlo') {
          if (code !== 250 || !/PIPELINING/.test(ehloText + line)) return finish(new Error(`raw client: the sink does not offer PIPELINING (${line})`));
          if (count === 0) {
            expect.push('quit');
            socket.write('QUIT\r\n');
          } else socket.write(startTxn());
        } else if (what === 'mail' || what === 'rcpt') {
          if (code !== 250) return finish(new Error(`raw client: ${what} refused: ${line}`));
        } else if (what === 'data') {
          if (code !== 354) return finish(new Error(`raw client: DATA refused: ${line}`));
          expect.push('eom');
          const parts = [body, end];
          if (started < count) parts.push(startTxn());
          socket.write(Buffer.concat(parts));
        } else if (what === 'eom') {
          if (code !== 250) return finish(new Error(`raw client: message refused: ${line}`));
          done++;
          if (done === count) {
            expect.push('quit');
            socket.write('QUIT\r\n');
          }
        } else if (what === 'quit') {
          socket.end();
          return finish();
        } else {
          return finish(new Error(`raw client: unexpected reply ${line}`));
        }
        ehloText = '';
      }
    });
  });
}

export async function runRaw(port, message, n, connections = 5, timeoutMs = 120_000) {
  const body = dotStuff(message.eml);
  const per = Array.from({ length: connections }, (_, i) => Math.floor(n / connections) + (i < n % connections ? 1 : 0));
  globalThis.gc?.();
  const t0 = performance.now();
  const c0 = cpuMs();
  const done = await Promise.all(per.map((k) => rawConnection(port, k, body, message.from, message.to, timeoutMs)));
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  const sent = done.reduce((a, b) => a + b, 0);
  return { n: sent, ms, msgsPerS: sent / (ms / 1000), cpuMsPerMsg: cpu / sent, bytesPerMsg: body.length };
}
