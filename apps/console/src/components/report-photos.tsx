import { PHOTO_TYPES, REPORT_MAX_PHOTOS } from '@ioc/contracts';
import { useEffect, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { shrinkPhoto } from '../photos/shrink-photo';
import { addPhotos, type PhotoRefusal } from '../state/report-form';

const ACCEPT = PHOTO_TYPES.join(',');

interface ReportPhotosProps {
  photos: File[];
  onChange: (photos: File[]) => void;
  disabled: boolean;
}

/** Up to REPORT_MAX_PHOTOS photos: taken with the camera or chosen from the phone, shown as thumbnails. */
export function ReportPhotos({ photos, onChange, disabled }: ReportPhotosProps) {
  const { t } = useTranslation();
  const [refused, setRefused] = useState<PhotoRefusal | null>(null);
  const [preparing, setPreparing] = useState(false);
  const full = photos.length >= REPORT_MAX_PHOTOS;

  const onPicked = (event: ChangeEvent<HTMLInputElement>) => {
    const picked = [...(event.target.files ?? [])];
    // The same file can be picked again after it was removed.
    event.target.value = '';
    if (picked.length === 0) return;
    const { photos: kept, refused: why } = addPhotos(photos, picked);
    setRefused(why);
    const added = kept.slice(photos.length);
    if (added.length === 0) return;
    setPreparing(true);
    void Promise.all(added.map(shrinkPhoto)).then((ready) => {
      setPreparing(false);
      onChange([...photos, ...ready]);
    });
  };
  const remove = (index: number) => {
    setRefused(null);
    onChange(photos.filter((_, i) => i !== index));
  };
  const busy = disabled || preparing;

  return (
    <fieldset className="report-field report-photos" data-testid="report-photos">
      <legend className="report-field__label">{t('report.photos', { max: REPORT_MAX_PHOTOS })}</legend>
      {photos.length > 0 && (
        <ul className="report-photos__list">
          {photos.map((photo, index) => (
            <li key={`${photo.name}-${photo.lastModified}-${index}`} className="report-photos__item">
              <Thumbnail file={photo} alt={t('report.photoAlt', { n: index + 1 })} />
              <button
                type="button"
                className="report-photos__remove"
                aria-label={t('report.removePhoto', { n: index + 1 })}
                disabled={busy}
                onClick={() => remove(index)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {full ? (
        <p className="report-field__hint" data-testid="report-photos-full">
          {t('report.photosFull', { max: REPORT_MAX_PHOTOS })}
        </p>
      ) : (
        <div className="report-photos__buttons">
          <label className={`citizen-button citizen-button--secondary${busy ? ' citizen-button--disabled' : ''}`}>
            {t('report.takePhoto')}
            <input type="file" className="visually-hidden" accept={ACCEPT} capture="environment" disabled={busy} onChange={onPicked} data-testid="report-photo-camera" />
          </label>
          <label className={`citizen-button citizen-button--secondary${busy ? ' citizen-button--disabled' : ''}`}>
            {t('report.choosePhotos')}
            <input type="file" className="visually-hidden" accept={ACCEPT} multiple disabled={busy} onChange={onPicked} data-testid="report-photo-input" />
          </label>
        </div>
      )}
      {preparing && <p className="report-field__hint">{t('report.preparingPhotos')}</p>}
      {refused !== null && (
        <p className="report-field__problem" role="alert" data-testid="report-photo-refused">
          {t(refused === 'too-many' ? 'report.photoTooMany' : 'report.photoType', { max: REPORT_MAX_PHOTOS })}
        </p>
      )}
    </fieldset>
  );
}

function Thumbnail({ file, alt }: { file: File; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const created = URL.createObjectURL(file);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [file]);
  return url === null ? <span className="report-photos__thumb" /> : <img className="report-photos__thumb" src={url} alt={alt} />;
}
