import type { Transporter } from 'nodemailer';
import { SmtpSink, type SmtpAnswer } from '../../../../test/support/smtp-sink';
import { sendEmail, smtpTransport } from './email-sender';

const never = new AbortController().signal;
const MAIL = {
  to: 'truongca@ioc.example.vn',
  subject: '[IOC] Nghiêm trọng · Sự cố mới: Ngập sâu đường Ấp Bắc',
  text: 'Sự cố mới: Ngập sâu đường Ấp Bắc\nThời hạn tiếp nhận: 23/11/2026 14:05',
  html: '<p>Sự cố mới: Ngập sâu đường Ấp Bắc</p>',
  headers: { 'X-IOC-Incident': '42' },
};

describe('sending an email over SMTP', () => {
  const sinks: SmtpSink[] = [];
  const transports: Transporter[] = [];
  const sink = async (answer?: (n: number) => SmtpAnswer) => {
    const s = await SmtpSink.start(answer);
    sinks.push(s);
    return s;
  };
  const transport = (url: string, timeoutMs = 2000) => {
    const t = smtpTransport({ url, from: 'IOC Tiền Giang <ioc@tiengiang.gov.vn>', timeoutMs, connections: 2 });
    transports.push(t);
    return t;
  };

  afterEach(async () => {
    transports.splice(0).forEach((t) => t.close());
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  it('hands the message to the server, which reads it in Vietnamese, and answers its reply code', async () => {
    const s = await sink();
    expect(await sendEmail(transport(s.url), MAIL, 2000, never)).toEqual({ ok: true, statusCode: 250 });
    const [mail] = s.to('truongca@ioc.example.vn');
    expect(mail.subject).toBe(MAIL.subject);
    expect(mail.text).toContain('Thời hạn tiếp nhận: 23/11/2026 14:05');
    expect(mail.html).toContain('<p>Sự cố mới: Ngập sâu đường Ấp Bắc</p>');
    expect(mail.headers.from).toBe('IOC Tiền Giang <ioc@tiengiang.gov.vn>');
    expect(mail.headers['x-ioc-incident']).toBe('42');
  });

  it('says what a refusing server answered', async () => {
    const s = await sink(() => ({ code: 451, message: 'Thử lại sau' }));
    const result = await sendEmail(transport(s.url), MAIL, 2000, never);
    expect(result).toMatchObject({ ok: false, statusCode: 451, retryAfterMs: null });
    expect(!result.ok && result.error).toContain('451 Thử lại sau');
  });

  it('says when nobody listens', async () => {
    const s = await sink();
    await s.close();
    const result = await sendEmail(transport(s.url), MAIL, 2000, never);
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(!result.ok && result.error).toMatch(/ECONNECTION|ECONNREFUSED/);
  });

  it('gives up on a server that does not answer, and stops waiting when told to', async () => {
    const s = await sink(() => 'hang');
    const started = Date.now();
    expect(await sendEmail(transport(s.url, 10_000), MAIL, 300, never)).toEqual({ ok: false, statusCode: null, error: 'no answer within 300 ms', retryAfterMs: null });
    expect(Date.now() - started).toBeLessThan(2000);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    expect(await sendEmail(transport(s.url, 10_000), MAIL, 5000, stop.signal)).toMatchObject({ ok: false, error: 'the server stopped during the attempt' });
  });
});
