import { rateReportSchema, type ReportTrackingDto } from '@ioc/contracts';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiRequestError, reportsApi } from '../api/api-client';
import { formatDateTime } from '../format/format';
import { navigate } from '../hooks/use-pathname';
import { REPORT_PATH } from '../state/citizen-route';
import { reportFailure, type ReportFailure } from '../state/report-form';
import { FailureNotice } from './failure-notice';
import { TrackingLookup } from './tracking-lookup';

const RATINGS = [1, 2, 3, 4, 5] as const;

const failureOf = (error: unknown): ReportFailure =>
  error instanceof ApiRequestError ? reportFailure(error.status, { message: error.message, issues: error.issues }) : reportFailure(0);

type Loaded = { status: 'loading' } | { status: 'failed'; failure: ReportFailure } | { status: 'ready'; report: ReportTrackingDto };

/** /phan-anh/<code>: where a citizen's report stands, what came of it, and their rating of the work. */
export function TrackingPage({ code }: { code: string | null }) {
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });

  const load = useCallback(() => {
    if (code === null) return;
    setLoaded({ status: 'loading' });
    reportsApi.track(code).then(
      (report) => setLoaded({ status: 'ready', report }),
      (error: unknown) => setLoaded({ status: 'failed', failure: failureOf(error) }),
    );
  }, [code]);
  useEffect(load, [load]);

  return (
    <>
      {code === null ? (
        <section className="citizen-card">
          <p className="report-field__problem" role="alert" data-testid="tracking-invalid">
            {t('report.codeInvalid')}
          </p>
        </section>
      ) : loaded.status === 'loading' ? (
        <section className="citizen-card" aria-busy="true">
          <p className="citizen-card__lead">{t('tracking.loading')}</p>
        </section>
      ) : loaded.status === 'failed' ? (
        <section className="citizen-card">
          <FailureNotice failure={loaded.failure} testId="tracking-error" />
          {loaded.failure.reason !== 'not-found' && (
            <button type="button" className="citizen-button citizen-button--secondary" onClick={load}>
              {t('tracking.retry')}
            </button>
          )}
        </section>
      ) : (
        <ReportStatus report={loaded.report} onRated={(report) => setLoaded({ status: 'ready', report })} />
      )}
      <a
        className="citizen-link"
        href={REPORT_PATH}
        onClick={(event) => {
          event.preventDefault();
          navigate(REPORT_PATH);
        }}
      >
        {t('tracking.newReport')}
      </a>
      <TrackingLookup />
    </>
  );
}

function ReportStatus({ report, onRated }: { report: ReportTrackingDto; onRated: (report: ReportTrackingDto) => void }) {
  const { t } = useTranslation();
  return (
    <section className="citizen-card tracking" aria-labelledby="tracking-title" data-testid="tracking">
      <h2 id="tracking-title" className="citizen-card__title">
        {t('tracking.title')}
      </h2>
      <p className="tracking__code">
        {t('report.codeLabel')}: <strong data-testid="tracking-code">{report.code}</strong>
      </p>
      <p className={`tracking__status tracking__status--${report.status}`} data-testid="tracking-status" data-status={report.status}>
        {t(`tracking.status.${report.status}`)}
      </p>
      <p className="tracking__when">{t('tracking.updatedAt', { time: formatDateTime(report.updatedAt) })}</p>
      {report.merged && <p className="tracking__note">{t('tracking.merged')}</p>}
      {report.outcome !== null && (
        <div className="tracking__outcome" data-testid="tracking-outcome">
          <h3 className="tracking__heading">{t(report.status === 'rejected' ? 'tracking.rejectedBecause' : 'tracking.outcome')}</h3>
          <p className="tracking__text">{report.outcome}</p>
        </div>
      )}
      <dl className="tracking__facts">
        <dt>{t('report.category')}</dt>
        <dd data-testid="tracking-category">{t(`incidents.category.${report.category}`)}</dd>
        <dt>{t('tracking.yourWords')}</dt>
        <dd className="tracking__text" data-testid="tracking-description">
          {report.description}
        </dd>
        <dt>{t('tracking.submittedAt')}</dt>
        <dd>{formatDateTime(report.submittedAt)}</dd>
        {report.photoCount > 0 && (
          <>
            <dt>{t('tracking.photos')}</dt>
            <dd>{t('tracking.photoCount', { count: report.photoCount })}</dd>
          </>
        )}
      </dl>
      {report.rating !== null ? (
        <div className="tracking__rated" data-testid="tracking-rating">
          <h3 className="tracking__heading">{t('tracking.yourRating')}</h3>
          <p className="rating-stars rating-stars--shown" aria-label={t('tracking.stars', { count: report.rating.rating })}>
            {RATINGS.map((n) => (
              <span key={n} aria-hidden="true" className={n <= report.rating!.rating ? 'rating-star rating-star--on' : 'rating-star'}>
                ★
              </span>
            ))}
          </p>
          {report.rating.comment !== null && <p className="tracking__text">{report.rating.comment}</p>}
          <p className="tracking__when">{t('tracking.ratedAt', { time: formatDateTime(report.rating.ratedAt) })}</p>
        </div>
      ) : (
        report.ratingAsked && <RatingForm code={report.code} onRated={onRated} />
      )}
    </section>
  );
}

function RatingForm({ code, onRated }: { code: string; onRated: (report: ReportTrackingDto) => void }) {
  const { t } = useTranslation();
  const [rating, setRating] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ReportFailure | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const input = rateReportSchema.safeParse({ rating, comment: comment.trim() === '' ? undefined : comment });
    setMissing(!input.success);
    if (!input.success) return;
    setBusy(true);
    setFailure(null);
    reportsApi.rate(code, input.data).then(onRated, (error: unknown) => {
      setBusy(false);
      setFailure(failureOf(error));
    });
  };

  return (
    <form className="rating-form" onSubmit={onSubmit} noValidate aria-busy={busy} data-testid="rating-form">
      <h3 className="tracking__heading">{t('tracking.rateTitle')}</h3>
      <p className="citizen-card__lead">{t('tracking.rateQuestion')}</p>
      <div className="rating-stars" role="radiogroup" aria-label={t('tracking.rateTitle')}>
        {RATINGS.map((n) => (
          <button
            key={n}
            type="button"
            role="radio"
            aria-checked={rating === n}
            aria-label={t('tracking.stars', { count: n })}
            className={rating !== null && n <= rating ? 'rating-star rating-star--on' : 'rating-star'}
            data-testid={`rating-${n}`}
            disabled={busy}
            onClick={() => {
              setRating(n);
              setMissing(false);
            }}
          >
            ★
          </button>
        ))}
      </div>
      {rating !== null && <p className="rating-form__meaning">{t(`tracking.meaning.${rating}`)}</p>}
      {missing && (
        <p className="report-field__problem" role="alert">
          {t('tracking.chooseStars')}
        </p>
      )}
      <label className="report-field">
        <span className="report-field__label">{t('tracking.comment')}</span>
        <textarea name="comment" rows={3} maxLength={1000} value={comment} disabled={busy} onChange={(e) => setComment(e.target.value)} />
      </label>
      {failure !== null && <FailureNotice failure={failure} testId="rating-error" />}
      <button type="submit" className="citizen-button citizen-button--primary" disabled={busy} data-testid="rating-submit">
        {t(busy ? 'tracking.rateSending' : 'tracking.rateSubmit')}
      </button>
    </form>
  );
}
