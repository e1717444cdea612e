import { CITIZEN_CATEGORIES, type ReportReceiptDto } from '@ioc/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiRequestError, reportsApi } from '../api/api-client';
import { navigate } from '../hooks/use-pathname';
import { trackingPath } from '../state/citizen-route';
import {
  emptyDraft,
  isCitizenCategory,
  reportFailure,
  reportFormData,
  reportProblems,
  type ReportDraft,
  type ReportFailure,
  type ReportField,
} from '../state/report-form';
import { FailureNotice } from './failure-notice';
import { LocationPicker } from './location-picker';
import { ReportPhotos } from './report-photos';
import { TrackingLookup } from './tracking-lookup';

const failureOf = (error: unknown): ReportFailure =>
  error instanceof ApiRequestError ? reportFailure(error.status, { message: error.message, issues: error.issues }) : reportFailure(0);

/** /phan-anh: a citizen reports a problem where they are; the answer is a tracking code. */
export function ReportPage() {
  const [receipt, setReceipt] = useState<ReportReceiptDto | null>(null);
  return (
    <>
      {receipt === null ? <ReportForm onSent={setReceipt} /> : <ReportReceipt receipt={receipt} onAnother={() => setReceipt(null)} />}
      <TrackingLookup />
    </>
  );
}

function ReportForm({ onSent }: { onSent: (receipt: ReportReceiptDto) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<ReportDraft>(emptyDraft);
  const [problems, setProblems] = useState<ReportField[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [failure, setFailure] = useState<ReportFailure | null>(null);
  const busy = progress !== null;

  const change = (next: Partial<ReportDraft>) => {
    setDraft((current) => ({ ...current, ...next }));
    // A field fixed stops being pointed at; the rest wait for the next send.
    setProblems((current) => current.filter((field) => !(field in next)));
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = reportProblems(draft);
    setProblems(found);
    setFailure(null);
    if (found.length > 0) {
      document.querySelector<HTMLElement>(`[data-field="${found[0]}"]`)?.scrollIntoView({ block: 'center', behavior: 'smooth' });
      return;
    }
    setProgress(0);
    reportsApi.submit(reportFormData(draft), setProgress).then(
      (receipt) => {
        setProgress(null);
        onSent(receipt);
      },
      (error: unknown) => {
        setProgress(null);
        setFailure(failureOf(error));
      },
    );
  };
  const problem = (field: ReportField) =>
    problems.includes(field) && (
      <p className="report-field__problem" role="alert" data-testid={`report-problem-${field}`}>
        {t(`report.problem.${field}`)}
      </p>
    );

  return (
    <form className="citizen-card report-form" onSubmit={onSubmit} noValidate aria-busy={busy} data-testid="report-form">
      <h2 className="citizen-card__title">{t('report.formTitle')}</h2>
      <p className="citizen-card__lead">{t('report.lead')}</p>

      <label className="report-field" data-field="category">
        <span className="report-field__label">{t('report.category')}</span>
        <select
          name="category"
          value={draft.category}
          disabled={busy}
          aria-invalid={problems.includes('category')}
          onChange={(e) => change({ category: isCitizenCategory(e.target.value) ? e.target.value : '' })}
        >
          <option value="" disabled>
            {t('report.chooseCategory')}
          </option>
          {CITIZEN_CATEGORIES.map((category) => (
            <option key={category} value={category}>
              {t(`incidents.category.${category}`)}
            </option>
          ))}
        </select>
        {problem('category')}
      </label>

      <label className="report-field" data-field="description">
        <span className="report-field__label">{t('report.description')}</span>
        <textarea
          name="description"
          rows={4}
          maxLength={2000}
          placeholder={t('report.descriptionPlaceholder')}
          value={draft.description}
          disabled={busy}
          aria-invalid={problems.includes('description')}
          onChange={(e) => change({ description: e.target.value })}
        />
        {problem('description')}
      </label>

      <div data-field="location">
        <LocationPicker value={draft.location} onChange={(location) => change({ location })} disabled={busy} invalid={problems.includes('location')} />
        {problem('location')}
      </div>

      <ReportPhotos photos={draft.photos} onChange={(photos) => change({ photos })} disabled={busy} />

      <label className="report-field" data-field="phone">
        <span className="report-field__label">{t('report.phone')}</span>
        <input
          name="phone"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          maxLength={20}
          value={draft.phone}
          disabled={busy}
          aria-invalid={problems.includes('phone')}
          onChange={(e) => change({ phone: e.target.value })}
        />
        <span className="report-field__hint">{t('report.phoneHint')}</span>
        {problem('phone')}
      </label>

      {failure !== null && <FailureNotice failure={failure} testId="report-error" />}

      <button type="submit" className="citizen-button citizen-button--primary" disabled={busy} data-testid="report-submit">
        {busy ? t('report.sending', { percent: Math.round((progress ?? 0) * 100) }) : t('report.submit')}
      </button>
      {busy && <progress className="report-form__progress" max={1} value={progress ?? 0} />}
    </form>
  );
}

function ReportReceipt({ receipt, onAnother }: { receipt: ReportReceiptDto; onAnother: () => void }) {
  const { t } = useTranslation();
  const path = trackingPath(receipt.code);
  return (
    <section className="citizen-card report-receipt" aria-labelledby="receipt-title" data-testid="report-receipt">
      <h2 id="receipt-title" className="citizen-card__title">
        {t('report.sent')}
      </h2>
      <p className="report-receipt__label">{t('report.codeLabel')}</p>
      <p className="report-receipt__code" data-testid="report-code">
        {receipt.code}
      </p>
      <p className="citizen-card__lead">{t('report.codeHint')}</p>
      <a
        className="citizen-button citizen-button--primary"
        href={path}
        data-testid="report-tracking-link"
        onClick={(event) => {
          event.preventDefault();
          navigate(path);
        }}
      >
        {t('report.openTracking')}
      </a>
      <button type="button" className="citizen-button citizen-button--secondary" onClick={onAnother}>
        {t('report.another')}
      </button>
    </section>
  );
}
