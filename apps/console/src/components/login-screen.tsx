import { loginSchema } from '@ioc/contracts';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { consoleAuth } from '../auth/console-auth';
import { loginFailure, type LoginFailure } from '../auth/login-failure';
import { LanguageSwitch } from './language-switch';

/** `ended`: the server ended the previous session, so say why the operator is back here. */
export function LoginScreen({ ended }: { ended: boolean }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LoginFailure | 'incomplete' | null>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const input = loginSchema.safeParse({ username, password });
    if (!input.success) {
      setFailure('incomplete');
      return;
    }
    setBusy(true);
    setFailure(null);
    // On success the console replaces this screen.
    consoleAuth.login(input.data).catch((error: unknown) => {
      setFailure(loginFailure(error));
      setPassword('');
      setBusy(false);
      passwordInput.current?.focus();
    });
  };

  return (
    <div className="login-screen">
      <form className="login-card" onSubmit={onSubmit} aria-labelledby="login-title" aria-busy={busy} data-testid="login-form">
        <div className="login-card__language">
          <LanguageSwitch />
        </div>
        <h1 className="login-card__app">{t('app.title')}</h1>
        <h2 id="login-title" className="login-card__title">
          {t('login.title')}
        </h2>
        {ended && failure === null && (
          <p className="login-card__notice" role="status">
            {t('login.sessionEnded')}
          </p>
        )}
        <label className="login-field">
          <span className="login-field__label">{t('login.username')}</span>
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={64}
            autoFocus
            value={username}
            disabled={busy}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="login-field">
          <span className="login-field__label">{t('login.password')}</span>
          <input
            ref={passwordInput}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={256}
            value={password}
            disabled={busy}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {failure !== null && (
          <div className="login-card__error" role="alert" data-testid="login-error">
            <p className="login-card__error-line">
              {t(`login.error.${failure === 'incomplete' ? 'incomplete' : failure.reason}`)}
            </p>
            {failure !== 'incomplete' && failure.serverMessage !== null && (
              <p className="login-card__server-message" data-testid="login-server-message">
                {failure.serverMessage}
              </p>
            )}
          </div>
        )}
        <button type="submit" className="login-card__submit" disabled={busy}>
          {busy && <span className="login-card__spinner" aria-hidden="true" />}
          {t(busy ? 'login.busy' : 'login.submit')}
        </button>
      </form>
    </div>
  );
}
