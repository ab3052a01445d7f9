/**
 * Provider webhooks for bounces and complaints: one pure verifier per provider, each checking
 * the provider's proof of origin before it reads anything, and answering with DeliveryReports
 * or a reason for the log. The HTTP edge picks the verifier by route, gives it the raw body, the
 * lower-cased headers, the clock and the configured secrets, and does the I/O the result asks for
 * (fetch an SNS certificate, GET an SNS SubscribeURL, remember a Mailgun token).
 */
export type WebhookProvider = 'ses' | 'postmark' | 'sendgrid' | 'mailgun';

export { MAX_BODY_BYTES, type WebhookAccepted, type WebhookInput, type WebhookRefused } from './common.js';
export { verifySes, sesEventReports, type SesResult } from './ses.js';
export { isSnsCertificateUrl, isSnsSubscribeUrl, SNS_MAX_SKEW_MS, type SnsConfig, type SnsDeps, type SnsMessage } from './sns.js';
export { verifyPostmark, POSTMARK_METADATA, type PostmarkSecrets } from './postmark.js';
export { verifySendGrid, SENDGRID_ISSUE_ARG, SENDGRID_MAX_AGE_SECONDS, type SendGridOptions, type SendGridSecrets } from './sendgrid.js';
export { verifyMailgun, MAILGUN_ISSUE_VARIABLE, MAILGUN_MAX_AGE_SECONDS, type MailgunOptions, type MailgunResult, type MailgunSecrets } from './mailgun.js';
