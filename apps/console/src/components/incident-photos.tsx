import type { IncidentPhotoDto } from '@ioc/contracts';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/api-client';
import { formatDateTime } from '../format/format';

type Listed = { status: 'loading' } | { status: 'failed' } | { status: 'ready'; photos: IncidentPhotoDto[] };

interface IncidentPhotosProps {
  incidentId: number;
  /** Changes whenever the photos may have: a new photo is a step on the incident's timeline. */
  version: string;
}

/**
 * An incident's photos, the citizen's and the field teams', as thumbnails. Photos are never
 * public: each image is fetched with the session's token and shown from a blob URL.
 */
export function IncidentPhotos({ incidentId, version }: IncidentPhotosProps) {
  const { t } = useTranslation();
  const [listed, setListed] = useState<Listed>({ status: 'loading' });

  useEffect(() => {
    let current = true;
    api.incidentPhotos(incidentId).then(
      (photos) => current && setListed({ status: 'ready', photos }),
      () => current && setListed({ status: 'failed' }),
    );
    return () => {
      current = false;
    };
  }, [incidentId, version]);

  if (listed.status === 'loading') return null;
  if (listed.status === 'failed') {
    return <p className="incident-photos__failed">{t('incidents.photoLoadFailed')}</p>;
  }
  if (listed.photos.length === 0) return null;
  return (
    <ul className="incident-photos" aria-label={t('incidents.photos')} data-testid={`incident-photos-${incidentId}`}>
      {listed.photos.map((photo) => (
        <li key={photo.id}>
          <PhotoThumbnail photo={photo} />
        </li>
      ))}
    </ul>
  );
}

function PhotoThumbnail({ photo }: { photo: IncidentPhotoDto }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let created: string | null = null;
    let current = true;
    api.photoBlob(photo.url).then(
      (blob) => {
        if (!current) return;
        created = URL.createObjectURL(blob);
        setUrl(created);
      },
      () => current && setFailed(true),
    );
    return () => {
      current = false;
      if (created !== null) URL.revokeObjectURL(created);
    };
  }, [photo.url]);

  const kind = t(photo.phase === null ? 'incidents.photoCitizen' : `incidents.photoPhase.${photo.phase}`);
  const label = t('incidents.photoOpen', { kind, time: formatDateTime(photo.takenAt) });
  return (
    <figure className="incident-photo" data-testid={`incident-photo-${photo.id}`} data-phase={photo.phase ?? 'citizen'}>
      {url !== null ? (
        <a href={url} target="_blank" rel="noreferrer" title={label}>
          <img className="incident-photo__image" src={url} alt={label} width={photo.width} height={photo.height} />
        </a>
      ) : (
        <span className={`incident-photo__image incident-photo__image--${failed ? 'failed' : 'loading'}`} title={failed ? t('incidents.photoLoadFailed') : undefined} />
      )}
      <figcaption className="incident-photo__caption">{kind}</figcaption>
    </figure>
  );
}
