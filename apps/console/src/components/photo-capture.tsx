import { PHOTO_PHASES, PHOTO_TYPES, type PhotoPhase } from '@ioc/contracts';
import { useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiRequestError } from '../api/api-client';
import { shrinkPhoto } from '../photos/shrink-photo';
import { reportFailure, type ReportFailureReason } from '../state/report-form';

const ACCEPT = PHOTO_TYPES.join(',');

/** Refusals a team can act on, said in their language; any other shows the server's message. */
const KNOWN_FAILURES: Partial<Record<ReportFailureReason, string>> = {
  'invalid-photo': 'incidents.photoUnreadable',
  'too-large': 'incidents.photoTooLarge',
  unreachable: 'incidents.photoOffline',
};

function failureText(error: unknown, t: (key: string) => string): string {
  if (!(error instanceof ApiRequestError)) return String(error);
  const known = KNOWN_FAILURES[reportFailure(error.status, { message: error.message, issues: error.issues }).reason];
  return known === undefined ? error.message : t(known);
}

type Upload =
  | { status: 'idle' }
  | { status: 'sending'; phase: PhotoPhase; fraction: number }
  | { status: 'sent'; phase: PhotoPhase }
  | { status: 'failed'; phase: PhotoPhase; message: string };

/** A field team photographs the site before and after the work; each photo goes up at once. */
export function PhotoCapture({ incidentId, onUploaded }: { incidentId: number; onUploaded: () => void }) {
  const { t } = useTranslation();
  const [upload, setUpload] = useState<Upload>({ status: 'idle' });
  const busy = upload.status === 'sending';

  const onPicked = (phase: PhotoPhase) => (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setUpload({ status: 'sending', phase, fraction: 0 });
    void shrinkPhoto(file)
      .then((photo) => api.addIncidentPhoto(incidentId, phase, photo, (fraction) => setUpload({ status: 'sending', phase, fraction })))
      .then(
        () => {
          setUpload({ status: 'sent', phase });
          onUploaded();
        },
        (error: unknown) => setUpload({ status: 'failed', phase, message: failureText(error, t) }),
      );
  };

  return (
    <div className="photo-capture" role="group" aria-label={t('incidents.photoTake')} data-testid={`photo-capture-${incidentId}`}>
      <div className="incident-actions__buttons">
        {PHOTO_PHASES.map((phase) => (
          <label key={phase} className={`incident-button photo-capture__button${busy ? ' photo-capture__button--busy' : ''}`}>
            {t(`incidents.photoPhase.${phase}`)}
            <input
              type="file"
              className="visually-hidden"
              accept={ACCEPT}
              capture="environment"
              disabled={busy}
              data-testid={`photo-capture-${phase}`}
              onChange={onPicked(phase)}
            />
          </label>
        ))}
      </div>
      {upload.status === 'sending' && (
        <p className="photo-capture__status" role="status">
          {t('incidents.photoUploading', { percent: Math.round(upload.fraction * 100) })}
          <progress max={1} value={upload.fraction} />
        </p>
      )}
      {upload.status === 'sent' && (
        <p className="photo-capture__status" role="status" data-testid="photo-capture-sent">
          {t('incidents.photoUploaded')}: {t(`incidents.photoPhase.${upload.phase}`)}
        </p>
      )}
      {upload.status === 'failed' && (
        <p className="incident-actions__error" role="alert">
          {t('incidents.photoUploadFailed')}: <span data-testid="photo-capture-error">{upload.message}</span>
        </p>
      )}
    </div>
  );
}
