/**
 * The mail clients the rendering is checked against (caniemail data through doiuse-email), and
 * what the digest does where one of them lacks a feature: every entry is a fallback a reader of
 * that client actually gets. README § Rendering quotes this list.
 */
export const EMAIL_CLIENTS = [
  'gmail.desktop-webmail',
  'gmail.ios',
  'gmail.android',
  'outlook.windows',
  'outlook.outlook-com',
  'outlook.macos',
  'apple-mail.macos',
  'apple-mail.ios',
  'yahoo.desktop-webmail',
];

export const SUPPORT_FALLBACKS: Record<string, string> = {
  '@media': "Outlook on Windows: the responsive widths and dark mode are enhancements; it renders MJML's fixed 600 px Outlook tables (<!--[if mso]>) in the light design, which reads at 4.5:1.",
  'Chaining selectors': 'Outlook on Windows: used only inside the @media blocks above (same fallback).',
  outline: "Outlook on Windows: MJML's image reset (outline:none); without it the image shows the same.",
  opacity: 'Outlook on Windows, Yahoo: the hidden preheader is also hidden by display:none, max-height:0, font-size:0 and mso-hide:all.',
  overflow: 'Outlook on Windows: the hidden preheader (mso-hide:all hides it there).',
  'aria-label attribute': 'Yahoo: the mail wrapper loses its spoken name; the <title> and the <h1> still name the newsletter.',
  'word-break': 'Yahoo: very long words (URLs) wrap at spaces only; the text stays readable.',
  'border-radius': 'Outlook on Windows: the "Read more" button has square corners.',
  'target attribute': 'Gmail, Outlook for Mac, Yahoo: links open the way the client opens every link.',
};

/**
 * html-validate rules that email markup breaks on purpose, each with why. Everything else
 * (invalid attribute values such as <img height="auto">, a missing <title>, unclosed elements…)
 * stays an error.
 */
export const EMAIL_CONVENTIONS: Record<string, string> = {
  'no-inline-style': 'clients that drop <style> (Gmail with other accounts, many webmails) keep inline styles: they are the base design',
  'no-conditional-comment': 'Outlook on Windows reads only the MSO conditional tables MJML writes (<!--[if mso | IE]>)',
  'no-deprecated-attr': "Outlook's Word engine sizes and aligns tables by align, bgcolor, border, cellpadding, cellspacing and width attributes",
  'prefer-native-element': 'MJML wraps the mail in <div role="article">: <article> is dropped or restyled by several clients',
};
