import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../hooks/use-pathname';
import { normalizeTrackingCode, trackingPath } from '../state/citizen-route';

/** A tracking code typed by hand (or read out over the phone) leads to its report. */
export function TrackingLookup() {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [invalid, setInvalid] = useState(false);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = normalizeTrackingCode(typed);
    setInvalid(code === null);
    if (code !== null) navigate(trackingPath(code));
  };
  return (
    <form className="citizen-card tracking-lookup" onSubmit={onSubmit} noValidate data-testid="tracking-lookup">
      <h2 className="citizen-card__title">{t('report.lookupTitle')}</h2>
      <label className="report-field">
        <span className="report-field__label">{t('report.codeLabel')}</span>
        <span className="tracking-lookup__row">
          <input
            name="code"
            autoCapitalize="characters"
            autoComplete="off"
            spellCheck={false}
            maxLength={40}
            placeholder="7K3M9Q2XWD"
            value={typed}
            aria-invalid={invalid}
            onChange={(e) => {
              setTyped(e.target.value);
              setInvalid(false);
            }}
          />
          <button type="submit" className="citizen-button citizen-button--primary">
            {t('report.lookupSubmit')}
          </button>
        </span>
      </label>
      {invalid && (
        <p className="report-field__problem" role="alert">
          {t('report.codeInvalid')}
        </p>
      )}
    </form>
  );
}
